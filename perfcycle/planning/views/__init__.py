"""Plan stage pages: my goals and a person's goals (the goal sheet and its agreement),
a goal with its what-if preview, action plan, key results and comments, my team's
goals, the alignment tree, the indicator library with its one-step assignment, and the
goals import.

Views stay thin: they ask ``access.policy`` who may do what, call ``planning.services``
to write and ``planning.selectors`` to read, and show service errors on the page.
"""

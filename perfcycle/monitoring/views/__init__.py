"""Coaching pages under /monitor/: check-ins, the observation log and competencies,
feedback and praise, training and the course catalogue.

Views stay thin: they ask ``access.policy`` who may do what, call the services
(``monitoring.checkins``, ``observations``, ``training``) to write and the selectors
(``monitoring.coaching``) to read, and show service errors on the page.
"""

"""The evaluate stage's pages, one module per area, each with its own ``urlpatterns``:
templates, assignment and nomination, review forms, progress, rater reliability, scores."""

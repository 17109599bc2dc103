"""The calibrate-and-feed-back stage's pages, one module per area, each with its own
``urlpatterns``: guideline and distribution, sessions, release and exports, the
employee's result, feedback talks and appeals."""

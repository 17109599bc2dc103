from django.urls import path

from perfcycle.monitoring import actuals_views
from perfcycle.monitoring.views import urls as coaching_urls

app_name = "monitoring"
urlpatterns = [
    path("", actuals_views.my_progress, name="home"),
    path("people/<int:pk>/", actuals_views.person_progress, name="person"),
    path("goals/<int:pk>/", actuals_views.goal_progress, name="goal"),
    path("goals/<int:pk>/actuals/", actuals_views.actual_enter, name="actual_enter"),
    path("team/", actuals_views.team, name="team"),
    path("import/", actuals_views.import_upload, name="import"),
    path("import/<int:pk>/", actuals_views.import_preview, name="import_preview"),
]
# Coaching: check-ins, observations, feedback, training.
urlpatterns += coaching_urls.urlpatterns

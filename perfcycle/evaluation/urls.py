from perfcycle.evaluation.views import (
    assignment,
    forms,
    home,
    progress,
    reliability,
    scores,
    templates,
)

app_name = "evaluation"
urlpatterns = [
    *home.urlpatterns,
    *forms.urlpatterns,
    *templates.urlpatterns,
    *assignment.urlpatterns,
    *progress.urlpatterns,
    *reliability.urlpatterns,
    *scores.urlpatterns,
]

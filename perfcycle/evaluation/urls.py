from perfcycle.evaluation.views import assignment, forms, progress, reliability, scores, templates

app_name = "evaluation"
urlpatterns = [
    *forms.urlpatterns,
    *templates.urlpatterns,
    *assignment.urlpatterns,
    *progress.urlpatterns,
    *reliability.urlpatterns,
    *scores.urlpatterns,
]

from perfcycle.calibration.views import appeals, distribution, release, results, sessions

app_name = "calibration"
urlpatterns = [
    *results.urlpatterns,
    *distribution.urlpatterns,
    *sessions.urlpatterns,
    *release.urlpatterns,
    *appeals.urlpatterns,
]

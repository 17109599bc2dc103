from perfcycle.retrospective.views import pages, rollover

app_name = "retrospective"
urlpatterns = [*pages.urlpatterns, *rollover.urlpatterns]

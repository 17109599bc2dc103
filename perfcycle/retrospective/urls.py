from perfcycle.retrospective.views import pages

app_name = "retrospective"
urlpatterns = [*pages.urlpatterns]

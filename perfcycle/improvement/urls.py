from perfcycle.improvement.views import pages

app_name = "improvement"
urlpatterns = [*pages.urlpatterns]

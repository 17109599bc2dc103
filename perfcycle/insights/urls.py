from perfcycle.insights.views import pages

app_name = "insights"
urlpatterns = [*pages.urlpatterns]

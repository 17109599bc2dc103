from perfcycle.proposals.views import pages

app_name = "proposals"
urlpatterns = [*pages.urlpatterns]

from perfcycle.rewards.views import pages

app_name = "rewards"
urlpatterns = [*pages.urlpatterns]

from perfcycle.rewards.views import pages, pay

app_name = "rewards"
urlpatterns = [*pages.urlpatterns, *pay.urlpatterns]

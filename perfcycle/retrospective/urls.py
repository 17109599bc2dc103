from perfcycle.retrospective.views import close, pages, rollover

app_name = "retrospective"
urlpatterns = [*pages.urlpatterns, *rollover.urlpatterns, *close.urlpatterns]

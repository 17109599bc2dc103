from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "perfcycle.dashboards"
    verbose_name = "Home dashboards"

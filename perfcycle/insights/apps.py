from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "perfcycle.insights"
    verbose_name = "Trends and process health"

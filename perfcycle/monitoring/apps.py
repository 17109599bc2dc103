from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "perfcycle.monitoring"
    label = "monitoring"

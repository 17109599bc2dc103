from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "perfcycle.improvement"
    label = "improvement"

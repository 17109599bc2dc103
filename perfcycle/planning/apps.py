from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "perfcycle.planning"
    label = "planning"

from django.apps import AppConfig


class RetrospectiveConfig(AppConfig):
    name = "perfcycle.retrospective"
    verbose_name = "Retrospective and target analysis"

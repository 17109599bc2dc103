from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "perfcycle.core"
    label = "core"

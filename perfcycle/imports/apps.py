from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "perfcycle.imports"
    label = "imports"

from django.apps import AppConfig


class CyclesConfig(AppConfig):
    name = "perfcycle.cycles"
    label = "cycles"

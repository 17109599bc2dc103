from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "perfcycle.access"
    label = "access"

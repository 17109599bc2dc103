from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "perfcycle.api"
    label = "api"

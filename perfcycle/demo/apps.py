from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "perfcycle.demo"
    label = "demo"

from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "perfcycle.org"
    label = "org"

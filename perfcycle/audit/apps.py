from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "perfcycle.audit"
    label = "audit"

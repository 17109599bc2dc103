from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "perfcycle.privacy"
    verbose_name = "Personal data (PIPL / GDPR)"

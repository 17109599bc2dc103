from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "perfcycle.proposals"
    verbose_name = "Salary review and promotion proposals"

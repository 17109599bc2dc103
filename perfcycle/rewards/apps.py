from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "perfcycle.rewards"
    label = "rewards"

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "perfcycle.accounts"
    label = "accounts"

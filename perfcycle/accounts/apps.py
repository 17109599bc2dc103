from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "perfcycle.accounts"
    label = "accounts"

    def ready(self) -> None:
        from perfcycle.accounts import checks  # noqa: F401  (registers the system checks)

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "perfcycle.notifications"
    label = "notifications"

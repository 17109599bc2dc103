from __future__ import annotations

import factory

from perfcycle.notifications.models import Notification, NotificationKind


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    kind = NotificationKind.ACTION_OVERDUE
    title = factory.Sequence(lambda n: f"Reminder {n}")
    body = "Something to do."
    url = "/plan/"
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")

"""Reading notifications: always one user's own."""

from __future__ import annotations

from perfcycle.accounts.models import User
from perfcycle.notifications.models import Notification, NotificationQuerySet


def notifications_for(*, user: User, unread_only: bool = False) -> NotificationQuerySet:
    qs = Notification.objects.for_user(user)
    return qs.unread() if unread_only else qs


def unread_count(*, user: User) -> int:
    return Notification.objects.for_user(user).unread().count()

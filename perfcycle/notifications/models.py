"""In-app messages (通知) to one user: reminders from the daily run and, later, events.

A notification is written once in its reader's language. ``dedupe_key`` names what it is
about (``actual-missing:{goal_id}:{period}``): a user never gets two notifications with
the same key, so running the reminders twice sends nothing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    CHECKIN_DUE = "checkin_due", _("check-in due")
    ACTUAL_MISSING = "actual_missing", _("actual missing")
    DEADLINE = "deadline", _("deadline approaching")
    ACTION_OVERDUE = "action_overdue", _("action item overdue")
    SHEET_ACKNOWLEDGE = "sheet_acknowledge", _("goals to acknowledge")
    SHEET_APPROVE = "sheet_approve", _("goals to approve")
    REVIEW_DUE = "review_due", _("reviews to write")
    RESULT_RELEASED = "result_released", _("result released")
    APPEAL = "appeal", _("appeal")
    PLAN_REVIEW = "plan_review", _("improvement plan review")
    BONUS = "bonus", _("bonus")
    PROPOSAL = "proposal", _("salary or promotion proposal")
    RETROSPECTIVE = "retrospective", _("retrospective")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user: object) -> NotificationQuerySet:
        return self.filter(user=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("details"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=200)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], name="notification_dedupe_per_user"
            )
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["user", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

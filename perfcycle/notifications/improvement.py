"""Reminder rule: an improvement plan's review date is near.

A review not yet held, of an active (or extended) plan, scheduled 0–3 days from today:
the employee and the manager, once per review per day, as ``PLAN_REVIEW`` notifications.
"""

from __future__ import annotations

import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from perfcycle.improvement.models import PlanReview, PlanStatus
from perfcycle.notifications.models import NotificationKind
from perfcycle.notifications.services import NotificationDraft

REVIEW_DAYS = 3


def plan_reviews_due(*, today: dt.date) -> list[NotificationDraft]:
    rows = PlanReview.objects.filter(
        held_on__isnull=True,
        scheduled_for__gte=today,
        scheduled_for__lte=today + dt.timedelta(days=REVIEW_DAYS),
        plan__status__in=(PlanStatus.ACTIVE, PlanStatus.EXTENDED),
    ).values(
        "pk",
        "plan_id",
        "scheduled_for",
        "plan__employee__name",
        "plan__employee__user_id",
        "plan__manager__name",
        "plan__manager__user_id",
    )
    drafts = []
    for row in rows:
        try:
            url = reverse("improvement:plan", args=[row["plan_id"]])
        except NoReverseMatch:
            url = ""
        key = f"plan-review:{row['pk']}:{today:%Y-%m-%d}"
        when = f"{row['scheduled_for']:%Y-%m-%d}"
        employee_id, manager_id = row["plan__employee__user_id"], row["plan__manager__user_id"]
        if employee_id is not None:
            drafts.append(
                NotificationDraft(
                    user_id=employee_id,
                    kind=NotificationKind.PLAN_REVIEW,
                    dedupe_key=key,
                    title=_("Improvement plan review on %(when)s"),
                    body=_("Your improvement plan review is scheduled for %(when)s."),
                    params={"when": when},
                    url=url,
                )
            )
        if manager_id is not None and manager_id != employee_id:
            drafts.append(
                NotificationDraft(
                    user_id=manager_id,
                    kind=NotificationKind.PLAN_REVIEW,
                    dedupe_key=key,
                    title=_("Improvement plan review with %(name)s on %(when)s"),
                    body=_("The improvement plan review with %(name)s is scheduled for %(when)s."),
                    params={"when": when, "name": row["plan__employee__name"]},
                    url=url,
                )
            )
    return drafts

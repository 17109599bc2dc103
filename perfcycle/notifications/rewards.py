"""Telling people their bonus is approved: one notification per line of the approved
plan whose employee has a login, in their language, linking to their Reward page.

The reward stage enqueues ``notify_bonus_approved`` after approval commits
(``core.later.enqueue_on_commit``); the dedupe key is the line, and an approved plan
never changes, so running it again tells nobody twice.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from perfcycle.notifications.models import NotificationKind
from perfcycle.notifications.services import NotificationDraft, notify
from perfcycle.rewards.models import BonusLine, PlanStatus

KIND = NotificationKind.BONUS


def _url() -> str:
    try:
        return reverse("rewards:home")
    except NoReverseMatch:
        return ""


def bonus_approved_drafts(plan_id: int) -> list[NotificationDraft]:
    """Drafts for everyone with a line in the approved plan and a login; one query."""
    rows = BonusLine.objects.filter(
        plan_id=plan_id, plan__status=PlanStatus.APPROVED, employee__user__isnull=False
    ).values_list("pk", "plan__name", "final_amount", "plan__currency", "employee__user_id")
    url = _url()
    return [
        NotificationDraft(
            user_id=user_id,
            kind=KIND,
            dedupe_key=f"bonus-approved:{pk}",
            title=_("Your bonus in %(plan)s is approved"),
            body=_(
                "Your bonus is %(amount)s %(currency)s. Your Reward page shows how it was "
                "worked out."
            ),
            params={"plan": plan_name, "amount": amount, "currency": currency},
            url=url,
        )
        for pk, plan_name, amount, currency, user_id in rows
    ]


@task()
def notify_bonus_approved(plan_id: int) -> dict[str, int]:
    """Notify everyone in an approved bonus plan who has not been told yet."""
    drafts = bonus_approved_drafts(plan_id)
    created = notify(drafts=drafts)
    return {"proposed": len(drafts), "created": len(created)}

"""Telling a cycle's participants that its retrospective is open.

The retrospective stage enqueues ``notify_retrospective_opened`` when HR opens it
(``core.later.enqueue_on_commit``); the dedupe key names the cycle, so running it again
tells nobody twice. One notification per participant with a login, in their language,
linking to their answer form.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from perfcycle.cycles.models import CycleParticipant
from perfcycle.notifications.models import NotificationKind
from perfcycle.notifications.services import NotificationDraft, notify
from perfcycle.retrospective.models import RetroSettings

KIND = NotificationKind.RETROSPECTIVE


def _url(cycle_id: int) -> str:
    try:
        return reverse("retrospective:answer", args=[cycle_id])
    except NoReverseMatch:
        return ""


def retrospective_opened_drafts(cycle_id: int) -> list[NotificationDraft]:
    """Drafts for every participant with a login of an opened retrospective; two queries."""
    settings = (
        RetroSettings.objects.filter(cycle_id=cycle_id).values("closes_on", "cycle__name").first()
    )
    if settings is None:
        return []
    users = CycleParticipant.objects.filter(
        cycle_id=cycle_id, employee__user__isnull=False
    ).values_list("employee__user_id", flat=True)
    url = _url(cycle_id)
    return [
        NotificationDraft(
            user_id=user_id,
            kind=KIND,
            dedupe_key=f"retrospective-opened:{cycle_id}",
            title=_("Look back on %(cycle)s"),
            body=_(
                "Say whether your targets were too low, about right or too high, and how "
                "clear and fair the cycle was. Answers are anonymous; open until %(closes)s."
            ),
            params={"cycle": settings["cycle__name"], "closes": settings["closes_on"].isoformat()},
            url=url,
        )
        for user_id in users
    ]


@task()
def notify_retrospective_opened(cycle_id: int) -> dict[str, int]:
    """Notify the participants of ``cycle_id`` that its retrospective is open."""
    drafts = retrospective_opened_drafts(cycle_id)
    created = notify(drafts=drafts)
    return {"proposed": len(drafts), "created": len(created)}

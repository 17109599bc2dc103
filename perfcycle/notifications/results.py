"""Telling people their result is released: one notification per released, not yet
acknowledged result, in the employee's language, linking to their result page.

The calibrate stage enqueues ``notify_results_released`` after a release commits
(``core.later.enqueue_on_commit``); the dedupe key carries the release time, so running
it again tells nobody twice, and a result released again (after an upheld appeal) is
told again.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from perfcycle.calibration.models import Result
from perfcycle.notifications.models import NotificationKind
from perfcycle.notifications.services import NotificationDraft, notify

# Not one of ``NotificationKind``'s choices yet (that needs a migration of notifications).
KIND = NotificationKind.RESULT_RELEASED


def _url(result_pk: int) -> str:
    try:
        return reverse("calibration:my_result", args=[result_pk])
    except NoReverseMatch:
        return ""


def results_released_drafts(cycle_id: int) -> list[NotificationDraft]:
    """Drafts for every released, unacknowledged result of the cycle whose employee has
    a login; one query."""
    rows = Result.objects.filter(
        cycle_id=cycle_id,
        released_at__isnull=False,
        acknowledged_at__isnull=True,
        employee__user__isnull=False,
    ).values_list("pk", "released_at", "cycle__name", "employee__user_id")
    return [
        NotificationDraft(
            user_id=user_id,
            kind=KIND,
            dedupe_key=f"result-released:{pk}:{released_at.isoformat()}",
            title=_("Your result for %(cycle)s is released"),
            body=_(
                "Read your result, then acknowledge it or, if you disagree, appeal within "
                "the appeal window."
            ),
            params={"cycle": cycle_name},
            url=_url(pk),
        )
        for pk, released_at, cycle_name, user_id in rows
    ]


@task()
def notify_results_released(cycle_id: int) -> dict[str, int]:
    """Notify everyone whose result in the cycle was released and not told yet."""
    drafts = results_released_drafts(cycle_id)
    created = notify(drafts=drafts)
    return {"proposed": len(drafts), "created": len(created)}

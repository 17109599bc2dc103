"""Reminders about review forms: the one-click reminder from the progress dashboard and
the daily "review forms due" rule.

A reminder tells the reviewer only what they know already: that reviews of theirs are
waiting, how many, and the earliest deadline. It never says who asked for it, who else
reviews the same person, or anything about other reviewers. A manager who reminds the
late reviewers of their team learns only how many people were reminded — never the
names of the peers or direct reports behind anonymous forms.

Each reminder goes through ``services.notify``: written in the reviewer's language and
deduplicated by its key, so one reviewer hears at most once a day per cycle from the
button and once per deadline from the daily rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from perfcycle.cycles.models import Cycle, CycleDeadline
from perfcycle.evaluation.models import FormStatus, ReviewForm
from perfcycle.evaluation.progress import PENDING, phase_deadlines, remindable_forms
from perfcycle.evaluation.reviews import PHASE_FOR_SOURCE
from perfcycle.notifications.models import NotificationKind
from perfcycle.notifications.services import NotificationDraft, notify
from perfcycle.org.models import EmployeeStatus

# The daily rule reminds reviewers when their forms' deadline is this near.
REVIEW_DUE_DAYS = 2


def my_reviews_url() -> str:
    """The reviewer's own list of forms (looked up when needed: the page may be missing)."""
    try:
        return reverse("evaluation:my_reviews")
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class ReminderOutcome:
    """How many reviewers were reminded now, and how many had been reminded today already."""

    reminded: int
    already: int

    @property
    def reviewers(self) -> int:
        return self.reminded + self.already


def _draft(
    *, user_id: int, key: str, cycle_name: str, count: int, due: dt.date | None, url: str
) -> NotificationDraft:
    return NotificationDraft(
        user_id=user_id,
        kind=NotificationKind.REVIEW_DUE,
        dedupe_key=key,
        title=_("%(cycle)s: reviews waiting for you"),
        body=(
            _("Reviews you have not submitted yet: %(count)s. The earliest is due on %(date)s.")
            if due is not None
            else _("Reviews you have not submitted yet: %(count)s.")
        ),
        params={"cycle": cycle_name, "count": count, "date": f"{due:%Y-%m-%d}" if due else ""},
        url=url,
    )


def review_reminders_send(
    *,
    actor: Any,
    cycle: Cycle,
    department_id: int | None = None,
    form_ids: Iterable[int] | None = None,
    reviewer_id: int | None = None,
    reviewee_id: int | None = None,
    today: dt.date | None = None,
) -> ReminderOutcome:
    """Remind the reviewers of the late forms ``actor`` may follow (see
    ``evaluation.progress.remindable_forms``), one notification per reviewer. The caller
    checks ``REVIEW_REMIND`` first. A constant number of queries."""
    today = today or timezone.localdate()
    forms = remindable_forms(
        actor,
        cycle,
        today=today,
        department_id=department_id,
        form_ids=form_ids,
        reviewer_id=reviewer_id,
        reviewee_id=reviewee_id,
    ).filter(reviewer__user__isnull=False, reviewer__status=EmployeeStatus.ACTIVE)
    deadlines = phase_deadlines(cycle)
    rows = forms.order_by().values("reviewer__user_id", "source").annotate(n=Count("pk"))
    per_user: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = per_user.setdefault(row["reviewer__user_id"], {"count": 0, "due": None})
        entry["count"] += row["n"]
        due = deadlines.get(PHASE_FOR_SOURCE[row["source"]])
        if due is not None and (entry["due"] is None or due < entry["due"]):
            entry["due"] = due
    if not per_user:
        return ReminderOutcome(0, 0)
    # All the reviewer's own pending forms of the current phase, not just the ones in
    # view: the count must not tell them which of their reviews somebody was following.
    current = [s for s, p in PHASE_FOR_SOURCE.items() if p == cycle.phase]
    totals = dict(
        ReviewForm.objects.filter(
            cycle=cycle,
            reviewer__user_id__in=list(per_user),
            status__in=PENDING,
            source__in=current,
        )
        .order_by()
        .values("reviewer__user_id")
        .annotate(n=Count("pk"))
        .values_list("reviewer__user_id", "n")
    )
    url = my_reviews_url()
    drafts = [
        _draft(
            user_id=user_id,
            key=f"review-remind:{cycle.pk}:{today:%Y-%m-%d}",
            cycle_name=cycle.name,
            count=totals.get(user_id, entry["count"]),
            due=entry["due"],
            url=url,
        )
        for user_id, entry in sorted(per_user.items())
    ]
    created = notify(drafts=drafts)
    return ReminderOutcome(reminded=len(created), already=len(drafts) - len(created))


def review_forms_due(*, today: dt.date) -> list[NotificationDraft]:
    """Daily rule: reviewers with forms not submitted whose phase is the cycle's current
    one and whose deadline is 0–``REVIEW_DUE_DAYS`` days away; once per deadline."""
    deadlines = list(
        CycleDeadline.objects.filter(
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=REVIEW_DUE_DAYS),
            cycle__phase=F("phase"),
            phase__in=set(PHASE_FOR_SOURCE.values()),
        ).values("pk", "cycle_id", "cycle__name", "phase", "due_date")
    )
    if not deadlines:
        return []
    condition = Q(pk__in=[])
    for d in deadlines:
        sources = [s for s, p in PHASE_FOR_SOURCE.items() if p == d["phase"]]
        condition |= Q(cycle_id=d["cycle_id"], source__in=sources)
    rows = (
        ReviewForm.objects.filter(condition)
        .filter(
            status__in=[FormStatus.OPEN, FormStatus.DRAFT],
            reviewer__user__isnull=False,
            reviewer__status=EmployeeStatus.ACTIVE,
        )
        .order_by()
        .values("cycle_id", "reviewer__user_id")
        .annotate(n=Count("pk"))
    )
    by_cycle = {d["cycle_id"]: d for d in deadlines}
    url = my_reviews_url()
    return [
        _draft(
            user_id=row["reviewer__user_id"],
            key=f"review-due:{by_cycle[row['cycle_id']]['pk']}:"
            f"{by_cycle[row['cycle_id']]['due_date']:%Y-%m-%d}",
            cycle_name=by_cycle[row["cycle_id"]]["cycle__name"],
            count=row["n"],
            due=by_cycle[row["cycle_id"]]["due_date"],
            url=url,
        )
        for row in rows
    ]

"""How far a cycle's review forms have got: completion per phase and source, per
department, and the reviewers who are late (selectors; nothing is written here).

Who sees what:

- HR sees every form of the cycle and every reviewer's name;
- a manager sees the forms about people in their reporting line (``policy.scope``).
  Self-, manager and skip-level forms are listed by reviewer; peer and upward (direct
  report) forms are anonymous, so a manager sees them only as counts per reviewee and
  per department, never who has or has not written them.

Every figure is a ``GROUP BY`` aggregate: the number of queries does not grow with the
cycle (``progress_for`` runs a fixed handful whatever the number of forms).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from perfcycle.access.policy import Action, is_hr, scope
from perfcycle.cycles.models import Cycle, CycleDeadline, Phase
from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource
from perfcycle.evaluation.reviews import PHASE_FOR_SOURCE

# Forms due within this many days count as late already (the reviewer should hurry).
DUE_SOON_DAYS = 2

# Sources whose reviewers a manager may not learn: peers and direct reports (upward).
ANONYMOUS_SOURCES = frozenset({ReviewSource.PEER, ReviewSource.REPORT})

# The phases in the order the cycle goes through them, with their sources.
PHASE_ORDER: tuple[Phase, ...] = (Phase.SELF_REVIEW, Phase.REVIEW_360, Phase.MANAGER_REVIEW)
SOURCE_ORDER: tuple[str, ...] = (
    ReviewSource.SELF,
    ReviewSource.PEER,
    ReviewSource.REPORT,
    ReviewSource.SKIP,
    ReviewSource.MANAGER,
)
PENDING = (FormStatus.OPEN, FormStatus.DRAFT)


@dataclass(frozen=True)
class Tally:
    submitted: int = 0
    in_progress: int = 0
    not_started: int = 0

    @property
    def total(self) -> int:
        return self.submitted + self.in_progress + self.not_started

    @property
    def percent_done(self) -> int | None:
        """Whole per cent submitted (rounded down, so 100 means all of them); None if empty."""
        return self.submitted * 100 // self.total if self.total else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.submitted + other.submitted,
            self.in_progress + other.in_progress,
            self.not_started + other.not_started,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "submitted": self.submitted,
            "in_progress": self.in_progress,
            "not_started": self.not_started,
            "total": self.total,
            "percent_done": self.percent_done,
        }


@dataclass(frozen=True)
class SourceProgress:
    source: str
    label: str
    tally: Tally


@dataclass(frozen=True)
class PhaseProgress:
    phase: str
    label: str
    due_date: dt.date | None
    tally: Tally
    sources: list[SourceProgress]


@dataclass(frozen=True)
class DepartmentProgress:
    department_id: int | None
    name: str
    tally: Tally


@dataclass(frozen=True)
class LateReviewer:
    """A reviewer with forms not submitted whose deadline has passed or is near.

    ``anonymous`` rows (what a manager sees of peer and upward forms) name the reviewee
    instead: ``reviewer_id`` and ``reviewer_name`` are then None.
    """

    reviewer_id: int | None
    reviewer_name: str | None
    reviewee_id: int | None
    reviewee_name: str | None
    forms: int
    oldest_due: dt.date
    overdue: bool
    remindable: bool
    anonymous: bool = False


@dataclass
class CycleProgress:
    cycle: Cycle
    today: dt.date
    total: Tally
    phases: list[PhaseProgress]
    departments: list[DepartmentProgress]
    late: list[LateReviewer] = field(default_factory=list)
    names_shown: bool = True

    @property
    def late_remindable(self) -> int:
        return sum(1 for row in self.late if row.remindable)


def _tally_aggregates() -> dict[str, Count]:
    return {
        "n_submitted": Count("pk", filter=Q(status=FormStatus.SUBMITTED)),
        "n_draft": Count("pk", filter=Q(status=FormStatus.DRAFT)),
        "n_open": Count("pk", filter=Q(status=FormStatus.OPEN)),
    }


def _tally(row: dict[str, Any]) -> Tally:
    return Tally(row["n_submitted"], row["n_draft"], row["n_open"])


def progress_forms(user: Any, cycle: Cycle) -> QuerySet[ReviewForm]:
    """The cycle's active forms (not nominated, not declined) the user may follow: all for
    HR, the forms about people in a manager's reporting line (not about themselves)."""
    return scope(
        user,
        Action.SCORE_VIEW,
        ReviewForm.objects.filter(cycle=cycle).active(),
        subject="reviewee__",
    )


def phase_deadlines(cycle: Cycle) -> dict[str, dt.date]:
    return dict(
        CycleDeadline.objects.filter(cycle=cycle, phase__in=PHASE_ORDER).values_list(
            "phase", "due_date"
        )
    )


def sources_due(deadlines: dict[str, dt.date], today: dt.date) -> dict[str, dt.date]:
    """Each source whose phase deadline has passed or is within ``DUE_SOON_DAYS``."""
    horizon = today + dt.timedelta(days=DUE_SOON_DAYS)
    due = {}
    for source, phase in PHASE_FOR_SOURCE.items():
        date = deadlines.get(phase)
        if date is not None and date <= horizon:
            due[str(source)] = date
    return due


def names_shown_to(user: Any) -> bool:
    """Whether ``user`` may see who wrote (or has not written) peer and upward forms."""
    return is_hr(user)


def progress_for(user: Any, cycle: Cycle, *, today: dt.date | None = None) -> CycleProgress:
    """The progress dashboard of ``cycle`` as ``user`` may see it (5 queries)."""
    today = today or timezone.localdate()
    forms = progress_forms(user, cycle)
    deadlines = phase_deadlines(cycle)

    by_source = {
        row["source"]: _tally(row)
        for row in forms.order_by().values("source").annotate(**_tally_aggregates())
    }
    phases = []
    for phase in PHASE_ORDER:
        sources = [
            SourceProgress(str(s), ReviewSource(s).label, by_source.get(str(s), Tally()))
            for s in SOURCE_ORDER
            if PHASE_FOR_SOURCE[s] == phase
        ]
        phases.append(
            PhaseProgress(
                phase=str(phase),
                label=phase.label,
                due_date=deadlines.get(phase),
                tally=sum((s.tally for s in sources), Tally()),
                sources=sources,
            )
        )

    departments = [
        DepartmentProgress(
            row["reviewee__department_id"], row["reviewee__department__name"] or "", _tally(row)
        )
        for row in forms.order_by()
        .values("reviewee__department_id", "reviewee__department__name")
        .annotate(**_tally_aggregates())
        .order_by("reviewee__department__name", "reviewee__department_id")
    ]

    shown = names_shown_to(user)
    late = late_reviewers(forms, cycle, deadlines, today=today, names_shown=shown)
    return CycleProgress(
        cycle=cycle,
        today=today,
        total=sum(by_source.values(), Tally()),
        phases=phases,
        departments=departments,
        late=late,
        names_shown=shown,
    )


def late_reviewers(
    forms: QuerySet[ReviewForm],
    cycle: Cycle,
    deadlines: dict[str, dt.date],
    *,
    today: dt.date,
    names_shown: bool,
) -> list[LateReviewer]:
    """Reviewers with forms not submitted whose phase deadline has passed or is within
    ``DUE_SOON_DAYS``, oldest deadline first; grouped by reviewee instead of reviewer for
    peer and upward forms when names are not shown (2 queries at most)."""
    due = sources_due(deadlines, today)
    if not due:
        return []
    pending = forms.filter(status__in=PENDING, source__in=list(due)).order_by()
    named_sources = list(due) if names_shown else [s for s in due if s not in ANONYMOUS_SOURCES]
    hidden_sources = [] if names_shown else [s for s in due if s in ANONYMOUS_SOURCES]
    current = {s for s, p in PHASE_FOR_SOURCE.items() if p == cycle.phase}

    rows: dict[tuple[str, int], dict[str, Any]] = {}

    def add(key: tuple[str, int], name: str, source: str, count: int) -> None:
        row = rows.setdefault(
            key, {"name": name, "forms": 0, "oldest": due[source], "remindable": False}
        )
        row["forms"] += count
        row["oldest"] = min(row["oldest"], due[source])
        row["remindable"] = row["remindable"] or source in current

    if named_sources:
        for row in (
            pending.filter(source__in=named_sources)
            .values("reviewer_id", "reviewer__name", "source")
            .annotate(n=Count("pk"))
        ):
            add(("reviewer", row["reviewer_id"]), row["reviewer__name"], row["source"], row["n"])
    if hidden_sources:
        for row in (
            pending.filter(source__in=hidden_sources)
            .values("reviewee_id", "reviewee__name", "source")
            .annotate(n=Count("pk"))
        ):
            add(("reviewee", row["reviewee_id"]), row["reviewee__name"], row["source"], row["n"])

    result = [
        LateReviewer(
            reviewer_id=pk if kind == "reviewer" else None,
            reviewer_name=row["name"] if kind == "reviewer" else None,
            reviewee_id=pk if kind == "reviewee" else None,
            reviewee_name=row["name"] if kind == "reviewee" else None,
            forms=row["forms"],
            oldest_due=row["oldest"],
            overdue=row["oldest"] < today,
            remindable=row["remindable"],
            anonymous=kind == "reviewee",
        )
        for (kind, pk), row in rows.items()
    ]
    result.sort(key=lambda r: (r.oldest_due, -r.forms, r.reviewer_name or r.reviewee_name or ""))
    return result


def remindable_forms(
    user: Any,
    cycle: Cycle,
    *,
    today: dt.date | None = None,
    department_id: int | None = None,
    form_ids: Iterable[int] | None = None,
    reviewer_id: int | None = None,
    reviewee_id: int | None = None,
) -> QuerySet[ReviewForm]:
    """The late forms ``user`` may have their reviewers reminded of: not submitted, in the
    cycle's current phase, deadline passed or within ``DUE_SOON_DAYS``; narrowed by the
    optional filters. A manager naming a ``reviewer`` reaches only that reviewer's self-,
    manager and skip-level forms: whether someone owes a peer or upward review stays
    unknown to them."""
    today = today or timezone.localdate()
    due = sources_due(phase_deadlines(cycle), today)
    current = [s for s, p in PHASE_FOR_SOURCE.items() if p == cycle.phase and str(s) in due]
    qs = progress_forms(user, cycle).filter(status__in=PENDING, source__in=current)
    if department_id is not None:
        qs = qs.filter(reviewee__department_id=department_id)
    if form_ids is not None:
        qs = qs.filter(pk__in=list(form_ids))
    if reviewer_id is not None:
        qs = qs.filter(reviewer_id=reviewer_id)
        if not names_shown_to(user):
            qs = qs.exclude(source__in=ANONYMOUS_SOURCES)
    if reviewee_id is not None:
        qs = qs.filter(reviewee_id=reviewee_id)
    return qs

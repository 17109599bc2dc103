"""Process health: how well each joint of the loop works, per cycle and department.

Each metric is a count over a count, both kept, so a department's row is the sum of its
own people and everyone in the departments below it, and the company row is the sum of
all. People are counted in the department they were in for that cycle
(``CycleParticipant.department``). The definitions and the target thresholds are in
``docs/process-health.md``; a value on the wrong side of its target is flagged, and the
flags sorted worst first name the weakest joint of the loop.

Set-based: nine queries for any number of cycles, departments and people.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perfcycle.calibration.models import Adjustment, Appeal, AppealStatus, Result
from perfcycle.cycles.models import Cycle, CycleDeadline, CycleParticipant, Phase
from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource
from perfcycle.evaluation.reviews import PHASE_FOR_SOURCE
from perfcycle.insights.reach import Reach
from perfcycle.monitoring.models import ActionItem, CheckIn, CheckInStatus
from perfcycle.notifications.models import Notification, NotificationKind
from perfcycle.org.models import Department, path_ids
from perfcycle.planning.models import GoalSheet

FOLLOW_UP = dt.timedelta(days=7)
# Reminders that ask someone to do something. For the first three the action itself is
# recorded, so "followed" means the action was done within FOLLOW_UP; for the others
# the system cannot tell, so "followed" means the reminder was at least read in time.
ACTED_KINDS = (
    NotificationKind.SHEET_ACKNOWLEDGE,
    NotificationKind.SHEET_APPROVE,
    NotificationKind.ACTION_OVERDUE,
)
READ_KINDS = (
    NotificationKind.CHECKIN_DUE,
    NotificationKind.ACTUAL_MISSING,
    NotificationKind.DEADLINE,
    NotificationKind.REVIEW_DUE,
    NotificationKind.PLAN_REVIEW,
)
# Forms nobody is asked to fill in any more are not counted.
COUNTED_FORMS = (FormStatus.OPEN, FormStatus.DRAFT, FormStatus.SUBMITTED)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str | Promise
    target: Decimal
    higher_is_better: bool
    unit: str  # "%" or "" (a plain rate)
    numerator: str
    denominator: str


METRICS: tuple[Metric, ...] = (
    Metric(
        "acknowledgement",
        gettext_lazy("Goal acknowledgement"),
        Decimal(90),
        True,
        "%",
        "acknowledged",
        "participants",
    ),
    Metric(
        "checkins",
        gettext_lazy("Check-ins per person per month"),
        Decimal(1),
        True,
        "",
        "checkins",
        "person_months",
    ),
    Metric(
        "on_time_reviews",
        gettext_lazy("Reviews submitted on time"),
        Decimal(85),
        True,
        "%",
        "on_time",
        "forms",
    ),
    Metric(
        "appeal_rate", gettext_lazy("Appeal rate"), Decimal(10), False, "%", "appeals", "released"
    ),
    Metric(
        "calibration_changes",
        gettext_lazy("Grades changed in calibration"),
        Decimal(20),
        False,
        "%",
        "changed",
        "results",
    ),
    Metric(
        "reminder_follow_through",
        gettext_lazy("Reminders followed within 7 days"),
        Decimal(70),
        True,
        "%",
        "followed",
        "reminders",
    ),
)
METRIC_BY_KEY = {m.key: m for m in METRICS}

COUNTERS = (
    "participants",
    "acknowledged",
    "checkins",
    "forms",
    "on_time",
    "released",
    "appeals",
    "upheld",
    "rejected",
    "open_appeals",
    "results",
    "changed",
    "reminders",
    "followed",
    "acted_reminders",
    "acted",
)


def months_in(cycle: Cycle, today: dt.date) -> int:
    """Calendar months the cycle has run: all of them once it ended, so far while open."""
    end = min(cycle.end_date, max(today, cycle.start_date))
    return (end.year - cycle.start_date.year) * 12 + end.month - cycle.start_date.month + 1


@dataclass(frozen=True)
class Value:
    metric: Metric
    value: Decimal | None
    numerator: int
    denominator: int | Decimal
    flagged: bool
    severity: Decimal  # how far on the wrong side, relative to the target (0 when fine)


@dataclass
class Row:
    department_id: int | None  # None for the company row
    name: str
    depth: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    person_months: int = 0
    values: dict[str, Value] = field(default_factory=dict)

    @property
    def cells(self) -> list[Value]:
        return [self.values[m.key] for m in METRICS]

    @property
    def flagged(self) -> int:
        return sum(1 for v in self.values.values() if v.flagged)

    def share(self, key: str, of: str) -> Decimal | None:
        total = self.counts[of]
        return _pct(self.counts[key], total) if total else None


@dataclass(frozen=True)
class Weak:
    row: Row
    value: Value

    @property
    def sentence(self) -> str:
        return _(
            "The weakest joint is “%(metric)s” in %(department)s: %(value)s against a "
            "target of %(target)s."
        ) % {
            "metric": self.value.metric.label,
            "department": self.row.name,
            "value": show(self.value.value, self.value.metric),
            "target": show(self.value.metric.target, self.value.metric),
        }


@dataclass(frozen=True)
class CycleHealth:
    cycle_id: int
    cycle_name: str
    start_date: dt.date
    months: int
    everyone: bool
    company: Row
    rows: list[Row]  # departments in tree order
    weak: list[Weak]  # flagged department cells, worst first


def _pct(numerator: int, denominator: int) -> Decimal:
    return (Decimal(100 * numerator) / denominator).quantize(Decimal("0.1"), ROUND_HALF_UP)


def show(value: Decimal | None, metric: Metric) -> str:
    if value is None:
        return "—"
    return f"{value}%" if metric.unit == "%" else f"{value}"


def _evaluate(row: Row) -> None:
    for m in METRICS:
        num = row.counts[m.numerator]
        den: int = (
            row.person_months if m.denominator == "person_months" else row.counts[m.denominator]
        )
        if not den:
            row.values[m.key] = Value(m, None, num, den, False, Decimal(0))
            continue
        if m.unit == "%":
            value = _pct(num, den)
        else:
            value = (Decimal(num) / den).quantize(Decimal("0.01"), ROUND_HALF_UP)
        gap = (m.target - value) if m.higher_is_better else (value - m.target)
        severity = (
            (gap / m.target).quantize(Decimal("0.001"), ROUND_HALF_UP) if gap > 0 else Decimal(0)
        )
        row.values[m.key] = Value(m, value, num, den, gap > 0, severity)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _window(cycle: Cycle, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Reminders count for a cycle from its first day until it closes (or until now)."""
    return _midnight(cycle.start_date), (cycle.closed_at or now)


def health(*, reach: Reach, cycles: Sequence[Cycle]) -> list[CycleHealth]:
    """Process health of ``cycles`` (oldest first), per department and for the company,
    over the people the viewer may see. Nine queries whatever the sizes."""
    cycles = sorted(cycles, key=lambda c: (c.start_date, c.pk))
    cycle_ids = [c.pk for c in cycles]
    now = timezone.now()
    today = timezone.localdate()
    who = reach.people(employee="employee", department="department")
    participants = CycleParticipant.objects.filter(cycle_id__in=cycle_ids).filter(who).order_by()
    # person's department per cycle: (cycle, employee) → department id (or 0 for none)
    dept: dict[tuple[int, int], int] = {}
    user_of: dict[int, int] = {}
    for c_id, e_id, d_id, u_id in participants.values_list(
        "cycle_id", "employee_id", "department_id", "employee__user_id"
    ):
        dept[(c_id, e_id)] = d_id or 0
        if u_id is not None:
            user_of[u_id] = e_id
    people = participants.values("employee_id")
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))

    def add(cycle_id: int, employee_id: int, key: str, n: int = 1) -> None:
        d = dept.get((cycle_id, employee_id))
        if d is not None:
            counts[(cycle_id, d)][key] += n

    for c_id, e_id in dept:
        add(c_id, e_id, "participants")
    # 1. Goal sheets acknowledged.
    for c_id, e_id in GoalSheet.objects.filter(
        cycle_id__in=cycle_ids, employee_id__in=people, acknowledged_at__isnull=False
    ).values_list("cycle_id", "employee_id"):
        add(c_id, e_id, "acknowledged")
    # 2. Check-ins held within the cycle's dates.
    tz = timezone.get_current_timezone()
    checkins = CheckIn.objects.filter(
        status=CheckInStatus.DONE,
        employee_id__in=people,
        held_at__gte=_midnight(min((c.start_date for c in cycles), default=today)),
        held_at__lt=_midnight(
            max((c.end_date for c in cycles), default=today) + dt.timedelta(days=1)
        ),
    )
    for e_id, at in checkins.values_list("employee_id", "held_at"):
        day = timezone.localtime(at, tz).date()
        for c in cycles:
            if c.start_date <= day <= c.end_date:
                add(c.pk, e_id, "checkins")
    # 3. Review forms submitted by their phase's deadline (a form without a deadline
    # counts as on time once submitted).
    deadlines = {
        (c_id, phase): due
        for c_id, phase, due in CycleDeadline.objects.filter(cycle_id__in=cycle_ids).values_list(
            "cycle_id", "phase", "due_date"
        )
    }
    # Counted per person in the database: a form is on time when submitted before the
    # local midnight that ends its deadline's day (600,000 forms' times were read and
    # converted one by one: 3 of the page's 9 seconds at 100,000 people).
    on_time = Q(pk__in=[])
    for c_id in cycle_ids:
        for phase, sources in _sources_by_phase().items():
            due = deadlines.get((c_id, phase))
            if due is None:
                on_time |= Q(cycle_id=c_id, source__in=sources)
            else:
                cutoff = dt.datetime.combine(due + dt.timedelta(days=1), dt.time.min)
                on_time |= Q(
                    cycle_id=c_id,
                    source__in=sources,
                    submitted_at__lt=timezone.make_aware(cutoff, tz),
                )
    forms = (
        ReviewForm.objects.filter(
            cycle_id__in=cycle_ids, reviewee_id__in=people, status__in=COUNTED_FORMS
        )
        .order_by()
        .values_list("cycle_id", "reviewee_id")
        .annotate(
            n=Count("pk"),
            in_time=Count(
                "pk",
                filter=Q(status=FormStatus.SUBMITTED, submitted_at__isnull=False) & on_time,
            ),
        )
    )
    for c_id, e_id, n, in_time in forms:
        add(c_id, e_id, "forms", n)
        add(c_id, e_id, "on_time", in_time)
    # 4. Results: released, changed in calibration, appealed.
    results = Result.objects.filter(cycle_id__in=cycle_ids, employee_id__in=people).order_by()
    result_key: dict[int, tuple[int, int, str]] = {}
    for pk, c_id, e_id, computed, released in results.values_list(
        "pk", "cycle_id", "employee_id", "computed_grade", "released_at"
    ):
        result_key[pk] = (c_id, e_id, computed)
        add(c_id, e_id, "results")
        if released is not None:
            add(c_id, e_id, "released")
    # The grade after the last calibration-session change, against the computed grade.
    after_sessions: dict[int, str] = {}
    for result_id, after in (
        Adjustment.objects.filter(result__in=results, session__isnull=False, field="grade")
        .order_by("result_id", "at", "pk")
        .values_list("result_id", "after")
    ):
        after_sessions[result_id] = after
    for result_id, grade in after_sessions.items():
        c_id, e_id, computed = result_key[result_id]
        if grade != computed:
            add(c_id, e_id, "changed")
    for c_id, e_id, status in Appeal.objects.filter(
        result__in=results.filter(released_at__isnull=False)
    ).values_list("result__cycle_id", "result__employee_id", "status"):
        add(c_id, e_id, "appeals")
        key = {AppealStatus.UPHELD: "upheld", AppealStatus.REJECTED: "rejected"}.get(
            status, "open_appeals"
        )
        add(c_id, e_id, key)
    # 5. Reminders and what followed them.
    windows = {c.pk: _window(c, now) for c in cycles}
    first = min((w[0] for w in windows.values()), default=now)
    reminders = list(
        Notification.objects.filter(
            kind__in=ACTED_KINDS + READ_KINDS,
            created_at__gte=first,
            user__employee__in=people,
        ).values_list("user_id", "kind", "dedupe_key", "created_at", "read_at")
    )
    sheet_ids, item_ids = set(), set()
    for _u, kind, key, _c, _r in reminders:
        target = _object_id(key)
        if target is None:
            continue
        if kind == NotificationKind.ACTION_OVERDUE:
            item_ids.add(target)
        elif kind in ACTED_KINDS:
            sheet_ids.add(target)
    sheets = {
        pk: (ack, approved)
        for pk, ack, approved in GoalSheet.objects.filter(pk__in=sheet_ids).values_list(
            "pk", "acknowledged_at", "approved_at"
        )
    }
    items = dict(ActionItem.objects.filter(pk__in=item_ids).values_list("pk", "done_at"))
    for user_id, kind, key, created, read in reminders:
        e_id = user_of.get(user_id)
        if e_id is None:
            continue
        deadline = created + FOLLOW_UP
        if kind in ACTED_KINDS:
            target = _object_id(key)
            if kind == NotificationKind.ACTION_OVERDUE:
                done = items.get(target)
            else:
                pair = sheets.get(target, (None, None))
                done = pair[0] if kind == NotificationKind.SHEET_ACKNOWLEDGE else pair[1]
            followed = done is not None and done <= deadline
        else:
            followed = read is not None and read <= deadline
        for c in cycles:
            start, end = windows[c.pk]
            if start <= created <= end and (c.pk, e_id) in dept:
                add(c.pk, e_id, "reminders")
                if followed:
                    add(c.pk, e_id, "followed")
                if kind in ACTED_KINDS:
                    add(c.pk, e_id, "acted_reminders")
                    if followed:
                        add(c.pk, e_id, "acted")
    departments = list(Department.objects.in_tree_order().values_list("pk", "name", "path"))
    return [_cycle_table(c, months_in(c, today), reach, counts, departments, dept) for c in cycles]


def _sources_by_phase() -> dict[str, list[str]]:
    """Each review phase and the sources whose forms it asks for (as ``reviews`` says)."""
    found: dict[str, list[str]] = defaultdict(list)
    for source in ReviewSource.values:
        found[PHASE_FOR_SOURCE.get(source, Phase.MANAGER_REVIEW)].append(source)
    return dict(found)


def _object_id(key: str) -> int | None:
    """The object a reminder is about: ``sheet-acknowledge:{id}:…``, ``action-overdue:{id}``."""
    parts = key.split(":")
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return None


def _cycle_table(
    cycle: Cycle,
    months: int,
    reach: Reach,
    counts: dict[tuple[int, int], dict[str, int]],
    departments: list[tuple[int, str, str]],
    dept: dict[tuple[int, int], int],
) -> CycleHealth:
    paths = {pk: path for pk, _n, path in departments}
    company = Row(None, _("Whole company") if reach.everyone else _("Your reach"), 0)
    rows = {pk: Row(pk, name, max(len(path_ids(path)) - 1, 0)) for pk, name, path in departments}
    for (c_id, d_id), bucket in counts.items():
        if c_id != cycle.pk:
            continue
        targets = [company] + [rows[a] for a in path_ids(paths.get(d_id, "")) if a in rows]
        for row in targets:
            for key, n in bucket.items():
                row.counts[key] += n
    shown = []
    for row in [company, *rows.values()]:
        row.person_months = row.counts["participants"] * months
        _evaluate(row)
        if row is not company and row.counts["participants"]:
            shown.append(row)
    weak = sorted(
        (Weak(r, v) for r in shown for v in r.cells if v.flagged),
        key=lambda w: (-w.value.severity, -w.row.depth, w.row.name),
    )
    return CycleHealth(
        cycle.pk, cycle.name, cycle.start_date, months, reach.everyone, company, shown, weak
    )


def visible_cycles(limit: int | None = None) -> list[Cycle]:
    """Cycles that have started (not drafts), newest ``limit`` of them, oldest first."""
    qs = Cycle.objects.exclude(phase=Phase.DRAFT).order_by("-start_date", "-pk")
    chosen = list(qs[:limit] if limit else qs)
    return sorted(chosen, key=lambda c: (c.start_date, c.pk))


def company_over_time(*, reach: Reach, cycles: int) -> list[CycleHealth]:
    """The company row of the last ``cycles`` cycles, oldest first."""
    return health(reach=reach, cycles=visible_cycles(cycles))


def as_dict(row: Row) -> dict[str, Any]:
    """A row for the API: each metric's value, count over count, target and flag."""
    return {
        "department_id": row.department_id,
        "name": row.name,
        "people": row.counts["participants"],
        "metrics": {
            v.metric.key: {
                "value": v.value,
                "numerator": v.numerator,
                "denominator": v.denominator,
                "target": v.metric.target,
                "higher_is_better": v.metric.higher_is_better,
                "flagged": v.flagged,
            }
            for v in row.cells
        },
        "appeal_outcomes": {
            "upheld": row.share("upheld", "appeals"),
            "rejected": row.share("rejected", "appeals"),
            "open": row.share("open_appeals", "appeals"),
        },
        "reminders_acted_on": row.share("acted", "acted_reminders"),
    }

"""Pace and risk: is each goal, and each person, where they should be by now?

*Expected progress* comes from time. For a goal whose periods add up (a KPI combined
by ``sum``) and for OKRs, milestones and qualitative goals, which advance over the
cycle, it is the share of the cycle's days elapsed (day 1 counts, so the last day
expects 100 %). For a KPI combined by average, latest, lowest or highest period the
rate itself must be met all along, so 100 % is expected from the start.

*Actual progress* is ``planning.selectors.goal_progress`` (0–100 %).

The status compares the two (thresholds below, in one place):

- **on track**: actual ≥ 95 % of expected;
- **at risk**: actual ≥ 80 % of expected;
- **off track**: below that;
- **no data**: nothing reported yet.

A person's status compares their weighted actual with their weighted expected progress
over the goals that have data (goal weights; equal weights if all are zero). The team
view lists the people most behind first: off track, at risk, no data, on track, and
within a status by how far behind pace. Every selector here runs a fixed number of
queries whatever the number of people or goals.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.db import models
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from perfcycle.access.policy import Action, acting_employee, is_hr, scope
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.imports.bulk import fetch_rows
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal, GoalKind, KeyResult, Milestone, OwnerType
from perfcycle.planning.scoring import Aggregation
from perfcycle.planning.selectors import NOTHING, Loaded, goal_progress

ZERO = Decimal(0)
HUNDRED = Decimal(100)
PLACES = Decimal("0.01")
ON_TRACK_SHARE = Decimal("0.95")
AT_RISK_SHARE = Decimal("0.80")
# Aggregations whose per-period values add up toward the target over the cycle.
CUMULATIVE = frozenset({Aggregation.SUM})


class PaceStatus(models.TextChoices):
    ON_TRACK = "on_track", _("on track")
    AT_RISK = "at_risk", _("at risk")
    OFF_TRACK = "off_track", _("off track")
    NO_DATA = "no_data", _("no data")


RISK_ORDER = {
    PaceStatus.OFF_TRACK: 0,
    PaceStatus.AT_RISK: 1,
    PaceStatus.NO_DATA: 2,
    PaceStatus.ON_TRACK: 3,
}


def _q(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def time_elapsed(cycle: Cycle, as_of: dt.date) -> Decimal:
    """Share of the cycle's days elapsed on ``as_of``, in percent (0–100)."""
    total = (cycle.end_date - cycle.start_date).days + 1
    elapsed = (min(as_of, cycle.end_date) - cycle.start_date).days + 1
    elapsed = max(0, min(total, elapsed))
    return _q(Decimal(elapsed) * HUNDRED / total)


def accumulates(goal: Goal) -> bool:
    """Does the goal's progress build up over the cycle (rather than a rate held all along)?"""
    return goal.kind != GoalKind.KPI or goal.aggregation in CUMULATIVE


def expected_progress(goal: Goal, cycle: Cycle, as_of: dt.date) -> Decimal:
    return time_elapsed(cycle, as_of) if accumulates(goal) else HUNDRED


def status_for(actual: Decimal | None, expected: Decimal) -> str:
    if actual is None:
        return PaceStatus.NO_DATA
    if expected <= 0 or actual >= expected * ON_TRACK_SHARE:
        return PaceStatus.ON_TRACK
    if actual >= expected * AT_RISK_SHARE:
        return PaceStatus.AT_RISK
    return PaceStatus.OFF_TRACK


def _ratio(actual: Decimal | None, expected: Decimal) -> Decimal | None:
    if actual is None:
        return None
    if expected <= 0:
        return HUNDRED
    return _q(actual * HUNDRED / expected)


@dataclass
class GoalPace:
    goal: Goal
    expected: Decimal
    actual: Decimal | None
    status: str
    confidence: int | None = None

    @property
    def pace(self) -> Decimal | None:
        """Actual as a percentage of expected progress."""
        return _ratio(self.actual, self.expected)

    @property
    def status_label(self) -> str:
        return str(PaceStatus(self.status).label)


class PaceDepartment(NamedTuple):
    name: str | None


class PacePerson(NamedTuple):
    """What team pace shows of a person, read without model instances (a department
    head's line has thousands of people)."""

    pk: int
    name: str
    employee_number: str
    department: PaceDepartment


@dataclass
class PersonPace:
    employee: Employee | PacePerson
    goals: list[GoalPace] = field(default_factory=list)
    expected: Decimal = ZERO
    actual: Decimal | None = None
    status: str = PaceStatus.NO_DATA

    @property
    def pace(self) -> Decimal | None:
        return _ratio(self.actual, self.expected)

    @property
    def status_label(self) -> str:
        return str(PaceStatus(self.status).label)

    def risk_key(self) -> tuple[int, Decimal, str]:
        pace = self.pace
        return (
            RISK_ORDER[PaceStatus(self.status)],
            pace if pace is not None else ZERO,
            self.employee.name,
        )


def okr_confidence(goal: Goal) -> int | None:
    """The lowest key-result confidence from the latest check-ins (prefetched key results)."""
    values = [kr.confidence for kr in goal.key_results.all() if kr.confidence is not None]
    return min(values) if values else None


def goal_pace(
    goal: Goal, *, as_of: dt.date | None = None, elapsed: Decimal | None = None
) -> GoalPace:
    """Pace of one goal; uses its prefetched ``key_results`` and ``milestones``.
    ``elapsed``: ``time_elapsed`` of its cycle on that day, when already known."""
    day = as_of or timezone.localdate()
    if elapsed is None:
        expected = expected_progress(goal, goal.cycle, day)
    else:
        expected = elapsed if accumulates(goal) else HUNDRED
    actual = goal_progress(goal)
    confidence = okr_confidence(goal) if goal.kind == GoalKind.OKR else None
    return GoalPace(goal, expected, actual, status_for(actual, expected), confidence)


def person_pace(employee: Employee | PacePerson, goals: list[GoalPace]) -> PersonPace:
    row = PersonPace(employee, goals)
    known = [g for g in goals if g.actual is not None]
    if not goals:
        return row
    weighted = known if sum((g.goal.weight for g in known), ZERO) else None
    if weighted:
        total = sum((g.goal.weight for g in known), ZERO)
        row.expected = _q(sum((g.goal.weight * g.expected for g in known), ZERO) / total)
        row.actual = _q(sum((g.goal.weight * (g.actual or ZERO) for g in known), ZERO) / total)
    elif known:
        row.expected = _q(sum((g.expected for g in known), ZERO) / len(known))
        row.actual = _q(sum((g.actual or ZERO for g in known), ZERO) / len(known))
    else:
        row.expected = _q(sum((g.expected for g in goals), ZERO) / len(goals))
    row.status = status_for(row.actual, row.expected)
    return row


def with_pace_details(qs: QuerySet[Goal]) -> QuerySet[Goal]:
    return qs.select_related("cycle", "indicator").prefetch_related(
        Prefetch("key_results", queryset=KeyResult.objects.order_by("position", "id")),
        Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "id")),
    )


def my_pace(cycle: Cycle, employee: Employee, *, as_of: dt.date | None = None) -> PersonPace:
    goals = with_pace_details(Goal.objects.filter(cycle=cycle, employee=employee)).order_by("id")
    return person_pace(employee, [goal_pace(g, as_of=as_of) for g in goals])


def team_participants(
    user: Any, cycle: Cycle, *, manager: Employee | None = None, direct: bool = False
) -> QuerySet[CycleParticipant]:
    """The cycle's participants whose actuals the user may see: a manager's subtree
    (not themselves), everyone for HR; ``manager`` narrows to that manager's subtree, and
    with ``direct`` to the people reporting to them directly."""
    qs = scope(
        user,
        Action.ACTUAL_VIEW,
        CycleParticipant.objects.filter(cycle=cycle).select_related(
            "employee", "employee__department"
        ),
        subject="employee__",
    )
    me = acting_employee(user)
    if me is not None and not is_hr(user):
        qs = qs.exclude(employee=me)
    if manager is not None and direct:
        qs = qs.filter(employee_id__in=Employee.objects.filter(manager=manager).values("pk"))
    elif manager is not None:
        below = Employee.objects.filter(path__startswith=manager.path).exclude(pk=manager.pk)
        qs = qs.filter(employee_id__in=below.values("pk"))
    return qs


@dataclass(eq=False)
class PaceGoal:
    """What team pace reads of a goal, without a model instance (a department head's line
    has thousands of goals): its fields, its indicator's name, and — for OKRs, milestones
    and qualitative goals — its key results and milestones, loaded beforehand."""

    pk: int
    employee_id: int
    kind: str
    title: str
    weight: Decimal
    baseline: Decimal | None
    target: Decimal | None
    threshold: Decimal | None
    stretch: Decimal | None
    direction: str
    aggregation: str
    current_value: Decimal | None
    done_at: dt.datetime | None
    indicator_id: int | None
    indicator_name: str | None
    cycle: Cycle
    key_results: Loaded = NOTHING
    milestones: Loaded = NOTHING

    standard = Goal.standard  # the goal's own scoring standard, the same rule

    @property
    def id(self) -> int:
        return self.pk


PACE_FIELDS = (
    "pk",
    "employee_id",
    "kind",
    "title",
    "weight",
    "baseline",
    "target",
    "threshold",
    "stretch",
    "direction",
    "aggregation",
    "current_value",
    "done_at",
    "indicator_id",
    "indicator__name",
)


def team_goals(cycle: Cycle, employees: Any) -> list[PaceGoal]:
    """The goals of ``employees`` (a queryset of ids) in ``cycle``, by person (one query),
    with the key results and milestones of the goals that are not KPIs (two more queries
    when there are any). Read in one fetch with the converters a column at a time: a
    department head's 15,000 goals in half the time of iterating the queryset."""
    goals = Goal.objects.filter(
        cycle=cycle, owner_type=OwnerType.EMPLOYEE, employee_id__in=employees
    ).order_by("employee_id", "id")
    found = [PaceGoal(*row, cycle) for row in fetch_rows(goals.values_list(*PACE_FIELDS))]
    if all(g.kind == GoalKind.KPI for g in found):
        return found
    by_pk = {g.pk: g for g in found}
    others = goals.exclude(kind=GoalKind.KPI).values("pk")
    key_results: dict[int, list[KeyResult]] = defaultdict(list)
    for kr in KeyResult.objects.filter(goal__in=others).order_by("goal_id", "position", "id"):
        key_results[kr.goal_id].append(kr)
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for m in Milestone.objects.filter(goal__in=others).order_by("goal_id", "due_date", "id"):
        milestones[m.goal_id].append(m)
    for goal_id, rows in key_results.items():
        by_pk[goal_id].key_results = Loaded(rows)
    for goal_id, rows in milestones.items():
        by_pk[goal_id].milestones = Loaded(rows)
    return found


def team_pace(
    user: Any,
    cycle: Cycle,
    *,
    manager: Employee | None = None,
    direct: bool = False,
    as_of: dt.date | None = None,
) -> list[PersonPace]:
    """Everyone the user may monitor in ``cycle`` (``manager`` and ``direct`` narrow it as
    ``team_participants`` does), most behind pace first (two queries; four when some
    goals are not KPIs)."""
    team = team_participants(user, cycle, manager=manager, direct=direct)
    people = [
        PacePerson(pk, name, number, PaceDepartment(department))
        for pk, name, number, department in team.values_list("employee_id", *PERSON_FIELDS)
    ]
    day = as_of or timezone.localdate()
    elapsed = time_elapsed(cycle, day)
    by_person: dict[int, list[GoalPace]] = defaultdict(list)
    for goal in team_goals(cycle, team.values("employee_id")):
        by_person[goal.employee_id].append(goal_pace(goal, as_of=day, elapsed=elapsed))  # type: ignore[arg-type]
    rows = [person_pace(p, by_person.get(p.pk, [])) for p in people]
    rows.sort(key=PersonPace.risk_key)
    return rows


# What the team pages and the API show of a person.
PERSON_FIELDS = (
    "employee__name",
    "employee__employee_number",
    "employee__department__name",
)


def team_goal_columns(rows: list[PersonPace]) -> list[str]:
    """Heatmap columns: goal titles (indicator names when set), most common first."""
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        for pace in row.goals:
            counts[goal_column(pace.goal)] += 1
    return sorted(counts, key=lambda title: (-counts[title], title))[:12]


def goal_column(goal: Goal | PaceGoal) -> str:
    if isinstance(goal, PaceGoal):
        return goal.indicator_name if goal.indicator_id and goal.indicator_name else goal.title
    return goal.indicator.name if goal.indicator_id and goal.indicator else goal.title


def status_counts(rows: list[PersonPace]) -> dict[str, int]:
    counts = dict.fromkeys(PaceStatus.values, 0)
    for row in rows:
        counts[row.status] += 1
    return counts

"""Trends across cycles: a person's results cycle by cycle, a department's (with its
sub-departments) and what followed training and improvement plans.

Everything is read from stored results — the calibration ``Result`` (final score and
grade) and the evaluation ``ScoreResult`` (goals score and the goal attainments in its
breakdown) — never recomputed. Each function issues a fixed number of queries whatever
the number of people or cycles.

**The effect of training and plans is an observation, not proof.** For each pair of
consecutive cycles N → N+1 (in the order of their start dates) it compares the mean
change in final score of people who completed a training between the start of N and the
end of N+1 (or whose improvement plan from cycle N was closed with an outcome) with the
mean change of everyone else with a result in both cycles. People are not assigned to
training at random (plans follow low grades, and low scores tend to move up anyway), so
a difference says where to look, not what caused it. A group smaller than
``MIN_GROUP`` is not shown.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from statistics import median
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from perfcycle.access.policy import acting_employee
from perfcycle.calibration.models import Result
from perfcycle.cycles.models import GradeBand
from perfcycle.evaluation.models import ScoreResult
from perfcycle.improvement.models import ImprovementPlan, PlanStatus
from perfcycle.insights.reach import Reach
from perfcycle.monitoring.models import TrainingAssignment, TrainingStatus
from perfcycle.org.models import Department, Employee

MIN_GROUP = 3
# Plans closed with one of these outcomes count as "had a plan with outcome".
PLAN_OUTCOMES = (PlanStatus.COMPLETED, PlanStatus.NOT_MET)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def mean(values: Iterable[Decimal]) -> Decimal | None:
    items = list(values)
    return q2(sum(items, Decimal(0)) / len(items)) if items else None


def attainment_of(breakdown: dict[str, Any] | None) -> Decimal | None:
    """Mean attainment (%) of the goals in a stored score breakdown that have one."""
    values = [
        Decimal(str(goal["attainment"]))
        for goal in (breakdown or {}).get("goals", [])
        if isinstance(goal, dict) and goal.get("attainment") not in (None, "")
    ]
    return mean(values)


# --- A person -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    """Something that happened between results: a completed training or a closed plan."""

    kind: str  # "training" or "plan"
    text: str
    on: dt.date | None
    outcome: str = ""


@dataclass
class PersonPoint:
    cycle_id: int
    cycle_name: str
    start_date: dt.date
    end_date: dt.date
    score: Decimal | None
    goals_score: Decimal | None
    grade: str
    attainment: Decimal | None
    released: bool
    # Training completed since the previous result, up to the end of this cycle.
    training: list[Marker] = field(default_factory=list)
    # Improvement plans that followed this result, with their outcome.
    plans: list[Marker] = field(default_factory=list)


@dataclass(frozen=True)
class PersonTrend:
    employee_id: int
    employee_name: str
    released_only: bool
    points: list[PersonPoint]
    later_training: list[Marker]  # completed after the last cycle shown


def person_trend(*, viewer: Any, employee: Employee) -> PersonTrend:
    """One person's results across cycles, oldest first. The person themselves sees only
    released results (so nothing before HR releases it); managers and HR see all. Four
    queries."""
    me = acting_employee(viewer)
    released_only = me is not None and me.pk == employee.pk
    results = Result.objects.filter(employee=employee)
    if released_only:
        results = results.filter(released_at__isnull=False)
    rows = list(
        results.order_by("cycle__start_date", "cycle_id").values(
            "cycle_id",
            "cycle__name",
            "cycle__start_date",
            "cycle__end_date",
            "score",
            "grade",
            "released_at",
        )
    )
    cycle_ids = [r["cycle_id"] for r in rows]
    stored = {
        r["cycle_id"]: r
        for r in ScoreResult.objects.filter(employee=employee, cycle_id__in=cycle_ids).values(
            "cycle_id", "goals_score", "breakdown"
        )
    }
    points = []
    for r in rows:
        s = stored.get(r["cycle_id"], {})
        points.append(
            PersonPoint(
                cycle_id=r["cycle_id"],
                cycle_name=r["cycle__name"],
                start_date=r["cycle__start_date"],
                end_date=r["cycle__end_date"],
                score=r["score"],
                goals_score=s.get("goals_score"),
                grade=r["grade"],
                attainment=attainment_of(s.get("breakdown")),
                released=r["released_at"] is not None,
            )
        )
    later: list[Marker] = []
    training = TrainingAssignment.objects.filter(
        employee=employee, status=TrainingStatus.COMPLETED, completed_on__isnull=False
    ).order_by("completed_on", "pk")
    for t in training.values("course__title", "completed_on"):
        marker = Marker("training", t["course__title"], t["completed_on"])
        target = next((p for p in points if t["completed_on"] <= p.end_date), None)
        (target.training if target else later).append(marker)
    by_cycle = {p.cycle_id: p for p in points}
    plans = ImprovementPlan.objects.filter(
        employee=employee, cycle_id__in=cycle_ids, status__in=PLAN_OUTCOMES
    )
    for plan in plans.values("cycle_id", "status", "closed_at"):
        closed = plan["closed_at"].date() if plan["closed_at"] else None
        label = PlanStatus(plan["status"]).label
        by_cycle[plan["cycle_id"]].plans.append(
            Marker(
                "plan",
                _("Improvement plan: %(outcome)s") % {"outcome": label},
                closed,
                str(plan["status"]),
            )
        )
    return PersonTrend(employee.pk, employee.name, released_only, points, later)


# --- A department ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeShare:
    grade: str
    count: int
    share: Decimal  # % of the graded people, one decimal


@dataclass(frozen=True)
class DepartmentPoint:
    cycle_id: int
    cycle_name: str
    start_date: dt.date
    people: int
    mean_score: Decimal | None
    median_score: Decimal | None
    attainment: Decimal | None  # mean of the people's mean goal attainment
    grades: list[GradeShare]


@dataclass(frozen=True)
class EffectGroup:
    count: int | None  # None when fewer than MIN_GROUP (hidden)
    mean_change: Decimal | None

    @property
    def hidden(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class EffectRow:
    factor: str  # "training" or "plan"
    label: str  # "Q1 → Q2" or "All cycles"
    with_it: EffectGroup
    without: EffectGroup
    difference: Decimal | None  # mean change with − mean change without


@dataclass(frozen=True)
class DepartmentTrend:
    department_id: int
    department_name: str
    everyone: bool  # False: only the viewer's line and the departments they head
    points: list[DepartmentPoint]
    effects: list[EffectRow]


def _group(changes: list[Decimal]) -> EffectGroup:
    if len(changes) < MIN_GROUP:
        return EffectGroup(None, None)
    return EffectGroup(len(changes), mean(changes))


def _effect_row(factor: str, label: str, pairs: list[tuple[bool, Decimal]]) -> EffectRow:
    with_it = _group([d for treated, d in pairs if treated])
    without = _group([d for treated, d in pairs if not treated])
    difference = (
        None
        if with_it.mean_change is None or without.mean_change is None
        else with_it.mean_change - without.mean_change
    )
    return EffectRow(factor, label, with_it, without, difference)


@dataclass(frozen=True)
class _Cycle:
    pk: int
    name: str
    start: dt.date
    end: dt.date


def effects(
    *,
    cycles: list[_Cycle],
    scores: dict[int, dict[int, Decimal]],
    training: dict[int, list[dt.date]],
    plans: set[tuple[int, int]],
) -> list[EffectRow]:
    """The change in score N → N+1 with and without training / a closed plan, per pair of
    consecutive cycles and over all pairs. ``scores`` is person → cycle → score;
    ``training`` person → completion dates; ``plans`` (person, cycle of the plan)."""
    rows: list[EffectRow] = []
    pooled: dict[str, list[tuple[bool, Decimal]]] = {"training": [], "plan": []}
    for before, after in pairwise(cycles):
        pairs: dict[str, list[tuple[bool, Decimal]]] = {"training": [], "plan": []}
        for person, by_cycle in scores.items():
            if before.pk not in by_cycle or after.pk not in by_cycle:
                continue
            change = by_cycle[after.pk] - by_cycle[before.pk]
            trained = any(before.start <= d <= after.end for d in training.get(person, ()))
            pairs["training"].append((trained, change))
            pairs["plan"].append(((person, before.pk) in plans, change))
        label = f"{before.name} → {after.name}"
        for factor in ("training", "plan"):
            rows.append(_effect_row(factor, label, pairs[factor]))
            pooled[factor] += pairs[factor]
    if len(cycles) > 2:
        for factor in ("training", "plan"):
            rows.append(_effect_row(factor, _("All cycles"), pooled[factor]))
    return rows


def _grade_order(scale_ids: set[int]) -> dict[int, list[str]]:
    order: dict[int, list[str]] = defaultdict(list)
    for scale_id, code in GradeBand.objects.filter(scale_id__in=scale_ids).values_list(
        "scale_id", "code"
    ):  # ordered by scale, -min_score
        order[scale_id].append(code)
    return order


def department_trend(*, reach: Reach, department: Department) -> DepartmentTrend:
    """A department and everything below it, cycle by cycle (by the department people
    were in at the time), with the effect table. Five queries."""
    results: QuerySet[Result] = Result.objects.filter(
        department__path__startswith=department.path
    ).filter(reach.people(employee="employee", department="department"))
    rows = list(
        results.order_by("cycle__start_date", "cycle_id").values(
            "cycle_id",
            "cycle__name",
            "cycle__start_date",
            "cycle__end_date",
            "cycle__grade_scale_id",
            "employee_id",
            "score",
            "grade",
        )
    )
    cycles: list[_Cycle] = []
    scales: dict[int, int | None] = {}
    for r in rows:
        if not cycles or cycles[-1].pk != r["cycle_id"]:
            cycles.append(
                _Cycle(
                    r["cycle_id"], r["cycle__name"], r["cycle__start_date"], r["cycle__end_date"]
                )
            )
            scales[r["cycle_id"]] = r["cycle__grade_scale_id"]
    people = results.values("employee_id")
    cycle_ids = [c.pk for c in cycles]
    attainments = {
        (s["cycle_id"], s["employee_id"]): attainment_of(s["breakdown"])
        for s in ScoreResult.objects.filter(cycle_id__in=cycle_ids, employee_id__in=people).values(
            "cycle_id", "employee_id", "breakdown"
        )
    }
    order = _grade_order({s for s in scales.values() if s is not None})
    training: dict[int, list[dt.date]] = defaultdict(list)
    for emp_id, on in TrainingAssignment.objects.filter(
        employee_id__in=people, status=TrainingStatus.COMPLETED, completed_on__isnull=False
    ).values_list("employee_id", "completed_on"):
        training[emp_id].append(on)
    plans = set(
        ImprovementPlan.objects.filter(
            employee_id__in=people, cycle_id__in=cycle_ids, status__in=PLAN_OUTCOMES
        ).values_list("employee_id", "cycle_id")
    )
    by_cycle: dict[int, list[dict[str, Any]]] = defaultdict(list)
    scores: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for r in rows:
        by_cycle[r["cycle_id"]].append(r)
        if r["score"] is not None:
            scores[r["employee_id"]][r["cycle_id"]] = r["score"]
    points = []
    for c in cycles:
        members = by_cycle[c.pk]
        values = [r["score"] for r in members if r["score"] is not None]
        graded = [r["grade"] for r in members if r["grade"]]
        codes = list(order.get(scales[c.pk] or 0, []))
        codes += sorted({g for g in graded if g not in codes})
        counts = {code: graded.count(code) for code in codes}
        shares = [
            GradeShare(
                code,
                counts[code],
                (Decimal(100 * counts[code]) / len(graded)).quantize(TENTH, rounding=ROUND_HALF_UP)
                if graded
                else Decimal(0),
            )
            for code in codes
        ]
        person_attainment = [
            a for r in members if (a := attainments.get((c.pk, r["employee_id"]))) is not None
        ]
        points.append(
            DepartmentPoint(
                cycle_id=c.pk,
                cycle_name=c.name,
                start_date=c.start,
                people=len(members),
                mean_score=mean(values),
                median_score=q2(Decimal(median(values))) if values else None,
                attainment=mean(person_attainment),
                grades=shares,
            )
        )
    return DepartmentTrend(
        department_id=department.pk,
        department_name=department.name,
        everyone=reach.everyone,
        points=points,
        effects=effects(cycles=cycles, scores=scores, training=training, plans=plans),
    )


def visible_departments(reach: Reach, line_paths: list[str]) -> QuerySet[Department]:
    """The departments whose trend the viewer may open, in tree order (one query)."""
    qs = Department.objects.in_tree_order()
    if reach.everyone:
        return qs
    condition = Q(pk__in=[])
    for path in reach.headed_paths:
        condition |= Q(path__startswith=path)
    ancestors = {int(i) for p in line_paths for i in p.strip("/").split("/") if i}
    condition |= Q(pk__in=ancestors)
    return qs.filter(condition)

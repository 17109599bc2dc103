"""Trends and process health over the API: a person's trend, a department's trend with
the effect table, a cycle's process health per department, and the company's over time.

Thin: the policy and ``insights.reach`` say who sees what — anything one may not see
answers 404, like a missing object; ``insights.trends`` and ``insights.health`` compute.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS
from perfcycle.core.dbrouter import reading_from_replica
from perfcycle.cycles.models import Cycle
from perfcycle.insights import health, trends
from perfcycle.insights.reach import Reach, line_department_paths, reach_for
from perfcycle.org.models import Department, Employee

router = Router(tags=["insights"])


class MarkerOut(Schema):
    kind: str
    text: str
    on: dt.date | None
    outcome: str


class PersonPointOut(Schema):
    cycle_id: int
    cycle_name: str
    start_date: dt.date
    end_date: dt.date
    score: Decimal | None
    goals_score: Decimal | None
    grade: str
    attainment: Decimal | None
    released: bool
    training: list[MarkerOut]
    plans: list[MarkerOut]


class PersonTrendOut(Schema):
    employee_id: int
    employee_name: str
    released_only: bool
    points: list[PersonPointOut]
    later_training: list[MarkerOut]


class GradeShareOut(Schema):
    grade: str
    count: int
    share: Decimal


class DepartmentPointOut(Schema):
    cycle_id: int
    cycle_name: str
    start_date: dt.date
    people: int
    mean_score: Decimal | None
    median_score: Decimal | None
    attainment: Decimal | None
    grades: list[GradeShareOut]


class EffectGroupOut(Schema):
    count: int | None = Field(None, description="None when the group is smaller than 3.")
    mean_change: Decimal | None


class EffectOut(Schema):
    factor: str
    label: str
    with_it: EffectGroupOut
    without: EffectGroupOut
    difference: Decimal | None


class DepartmentTrendOut(Schema):
    department_id: int
    department_name: str
    everyone: bool = Field(
        description="False: only the viewer's reporting line and the departments they head."
    )
    points: list[DepartmentPointOut]
    effects: list[EffectOut] = Field(
        description="An observation, not proof: groups are not chosen at random."
    )


class MetricOut(Schema):
    value: Decimal | None
    numerator: int
    denominator: Decimal
    target: Decimal
    higher_is_better: bool
    flagged: bool


class HealthRowOut(Schema):
    department_id: int | None
    name: str
    people: int
    metrics: dict[str, MetricOut]
    appeal_outcomes: dict[str, Decimal | None]
    reminders_acted_on: Decimal | None


class WeakOut(Schema):
    department_id: int | None
    metric: str
    value: Decimal | None
    target: Decimal
    sentence: str


class CycleHealthOut(Schema):
    cycle_id: int
    cycle_name: str
    start_date: dt.date
    months: int
    company: HealthRowOut
    departments: list[HealthRowOut]
    weakest: list[WeakOut] = Field(description="Flagged department metrics, worst first.")


class OverTimeOut(Schema):
    cycles: list[CycleHealthOut] = Field(description="Oldest first; company rows only.")


class OverTimeFilters(Schema):
    cycles: int = Field(6, ge=1, le=24, description="How many of the latest cycles.")


def _health_out(table: health.CycleHealth) -> dict[str, Any]:
    return {
        "cycle_id": table.cycle_id,
        "cycle_name": table.cycle_name,
        "start_date": table.start_date,
        "months": table.months,
        "company": health.as_dict(table.company),
        "departments": [health.as_dict(r) for r in table.rows],
        "weakest": [
            {
                "department_id": w.row.department_id,
                "metric": w.value.metric.key,
                "value": w.value.value,
                "target": w.value.metric.target,
                "sentence": w.sentence,
            }
            for w in table.weak
        ],
    }


def _reach(request: HttpRequest, action: Action) -> Reach:
    reach = reach_for(request.user, action)
    if reach is None:
        raise Http404
    return reach


@router.get(
    "/insights/people/{int:employee_id}/trend",
    response={200: PersonTrendOut, **ERRORS},
    summary="A person's results across cycles (the person: released results only)",
)
@reading_from_replica()
def person_trend(request: HttpRequest, employee_id: int) -> Any:
    employee = get_visible_or_404(
        request.user, Action.TREND_PERSON_VIEW, Employee.objects.all(), pk=employee_id
    )
    return trends.person_trend(viewer=request.user, employee=employee)


@router.get(
    "/insights/departments/{int:department_id}/trend",
    response={200: DepartmentTrendOut, **ERRORS},
    summary="A department (with those below it) across cycles, and the effect table",
)
@reading_from_replica()
def department_trend(request: HttpRequest, department_id: int) -> Any:
    reach = _reach(request, Action.TREND_DEPARTMENT_VIEW)
    department = get_object_or_404(Department, pk=department_id)
    if not reach.covers_department(department, line_department_paths(reach)):
        raise Http404
    return trends.department_trend(reach=reach, department=department)


@router.get(
    "/cycles/{int:cycle_id}/process-health",
    response={200: CycleHealthOut, **ERRORS},
    summary="A cycle's process health: one row per department and the company row",
)
@reading_from_replica()
def cycle_health(request: HttpRequest, cycle_id: int) -> Any:
    reach = _reach(request, Action.PROCESS_HEALTH_VIEW)
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    return _health_out(health.health(reach=reach, cycles=[cycle])[0])


@router.get(
    "/insights/process-health",
    response={200: OverTimeOut, **ERRORS},
    summary="The company's process health over the latest cycles, oldest first",
)
@reading_from_replica()
def health_over_time(request: HttpRequest, filters: Query[OverTimeFilters]) -> Any:
    reach = _reach(request, Action.PROCESS_HEALTH_VIEW)
    tables = health.company_over_time(reach=reach, cycles=filters.cycles)
    return {"cycles": [{**_health_out(t), "departments": [], "weakest": []} for t in tables]}

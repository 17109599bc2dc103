"""Bonus plans over the API. HR creates, changes (PATCH, versioned), computes, approves
and exports a plan; HR and managers read the lines they may see and adjust them within
the band (a stale version answers 409; a total over the budget answers 400
``over_budget``); everyone reads their own lines of approved plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page
from perfcycle.cycles.models import Cycle
from perfcycle.monitoring.models import Course
from perfcycle.org.models import Department
from perfcycle.rewards import exports, selectors, services
from perfcycle.rewards.models import BonusLine, BonusPlan, TrainingRule

router = Router(tags=["rewards"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BonusDepartmentIn(Schema):
    department_id: int
    coefficient: Decimal = Decimal(1)
    pool: Decimal | None = Field(None, description="The department's pool (pool method).")


class PlanIn(Schema):
    name: str
    method: str = Field(..., description="`target` or `pool`.")
    budget: Decimal
    currency: str = "CNY"
    rounding_unit: Decimal = Decimal("0.01")
    adjustment_band: Decimal = Field(Decimal(10), description="± percent of a computed amount.")
    grade_coefficients: dict[str, str] = Field(
        ..., description='Every grade of the cycle\'s scale, e.g. {"S": "1.5", "A": "1.2"}.'
    )
    departments: list[BonusDepartmentIn] = []
    training_rule: str = Field(TrainingRule.NONE, description="`none`, `condition` or `factor`.")
    required_course_ids: list[int] = []
    training_factor: Decimal = Field(
        Decimal(1), description="Factor rule: × this for people who completed every course."
    )
    training_deadline: dt.date | None = Field(
        None, description="Only courses completed on or before this date count."
    )


class PlanPatch(Schema):
    """Only the fields sent change; ``version`` is the plan's as read."""

    version: int
    name: str | None = None
    method: str | None = None
    budget: Decimal | None = None
    currency: str | None = None
    rounding_unit: Decimal | None = None
    adjustment_band: Decimal | None = None
    grade_coefficients: dict[str, str] | None = None
    departments: list[BonusDepartmentIn] | None = None
    training_rule: str | None = None
    required_course_ids: list[int] | None = None
    training_factor: Decimal | None = None
    training_deadline: dt.date | None = None


class PlanDepartmentOut(Schema):
    department_id: int
    department_name: str
    coefficient: Decimal
    pool: Decimal | None


class ExcludedOut(Schema):
    employee_id: int
    name: str
    reason: str
    reason_label: str
    courses: list[str] = []


class PlanOut(Schema):
    id: int
    cycle_id: int
    name: str
    method: str
    budget: Decimal
    currency: str
    rounding_unit: Decimal
    adjustment_band: Decimal
    grade_coefficients: dict[str, str]
    status: str
    computed_at: dt.datetime | None
    approved_at: dt.datetime | None
    remainder: Decimal
    total_computed: Decimal
    total_final: Decimal
    departments: list[PlanDepartmentOut]
    training_rule: str
    required_course_ids: list[int]
    training_factor: Decimal
    training_deadline: dt.date | None
    excluded: list[ExcludedOut]
    version: int


class ComputeOut(Schema):
    lines: int
    total: Decimal
    raw_total: Decimal
    remainder: Decimal
    scaled: bool
    excluded: list[ExcludedOut]


class LineOut(Schema):
    id: int
    plan_id: int
    employee_id: int
    employee_name: str
    department_id: int | None
    grade: str
    base: Decimal
    target: Decimal | None
    grade_coefficient: Decimal
    department_coefficient: Decimal
    training_factor: Decimal | None
    training_met: bool | None
    raw_amount: Decimal
    scale_factor: Decimal
    amount: Decimal
    adjustment: Decimal
    reason: str
    final_amount: Decimal
    band_limit: Decimal
    explanation: str
    version: int

    @staticmethod
    def resolve_employee_name(obj: BonusLine) -> str:
        return obj.employee.name

    @staticmethod
    def resolve_explanation(obj: BonusLine) -> str:
        return selectors.explain(obj, obj.plan)


class AdjustIn(Schema):
    adjustment: Decimal = Field(..., description="Signed; at most ± the plan's band.")
    reason: str = Field(..., description="At least 10 characters.")
    version: int = Field(..., description="The line's version as read.")


class BonusPlanApproveIn(Schema):
    version: int | None = None


def _excluded(plan: BonusPlan) -> list[dict[str, Any]]:
    return [{**e, "reason_label": services.exclusion_label(e)} for e in plan.excluded]


def plan_out(plan: BonusPlan) -> dict[str, Any]:
    totals = selectors.plan_totals(plan)
    return {
        "id": plan.pk,
        "cycle_id": plan.cycle_id,
        "name": plan.name,
        "method": plan.method,
        "budget": plan.budget,
        "currency": plan.currency,
        "rounding_unit": plan.rounding_unit,
        "adjustment_band": plan.adjustment_band,
        "grade_coefficients": plan.grade_coefficients,
        "status": plan.status,
        "computed_at": plan.computed_at,
        "approved_at": plan.approved_at,
        "remainder": plan.remainder,
        "total_computed": totals["amount"],
        "total_final": totals["final"],
        "departments": [
            {
                "department_id": d.department_id,
                "department_name": d.department.name,
                "coefficient": d.coefficient,
                "pool": d.pool,
            }
            for d in plan.departments.select_related("department")
        ],
        "training_rule": plan.training_rule,
        "required_course_ids": sorted(plan.required_courses.values_list("pk", flat=True)),
        "training_factor": plan.training_factor,
        "training_deadline": plan.training_deadline,
        "excluded": _excluded(plan),
        "version": plan.version,
    }


def _plan(request: HttpRequest, plan_id: int) -> BonusPlan:
    require(request, Action.BONUS_TEAM_VIEW)
    return get_visible_or_404(
        request.user, Action.BONUS_TEAM_VIEW, BonusPlan.objects.select_related("cycle"), pk=plan_id
    )


@router.get(
    "/cycles/{int:cycle_id}/bonus-plans",
    response={200: list[PlanOut], **ERRORS},
    summary="A cycle's bonus plans (HR)",
)
def list_plans(request: HttpRequest, cycle_id: int) -> Any:
    cycle = get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects.all(), pk=cycle_id)
    require(request, Action.BONUS_PLAN_MANAGE)
    return [plan_out(p) for p in BonusPlan.objects.filter(cycle=cycle).order_by("-created_at")]


@router.post(
    "/cycles/{int:cycle_id}/bonus-plans",
    response={201: PlanOut, **ERRORS},
    summary="Create a draft bonus plan (HR)",
)
def create_plan(request: HttpRequest, cycle_id: int, payload: PlanIn) -> Any:
    cycle = get_visible_or_404(
        request.user, Action.CYCLE_VIEW, Cycle.objects.select_related("grade_scale"), pk=cycle_id
    )
    require(request, Action.BONUS_PLAN_MANAGE)
    data = payload.dict()
    data["departments"] = _departments(payload.departments)
    data["required_courses"] = _courses(data.pop("required_course_ids"))
    plan = services.plan_create(actor=request.user, cycle=cycle, **data)
    return 201, plan_out(plan)


def _departments(rows: list[BonusDepartmentIn]) -> list[services.DepartmentInput]:
    departments = {
        d.pk: d for d in Department.objects.filter(pk__in=[r.department_id for r in rows])
    }
    out = []
    for r in rows:
        if r.department_id not in departments:
            raise Http404
        out.append(services.DepartmentInput(departments[r.department_id], r.coefficient, r.pool))
    return out


def _courses(ids: list[int]) -> list[Course]:
    courses = list(Course.objects.filter(pk__in=ids))
    if len(courses) != len(set(ids)):
        raise Http404
    return courses


@router.patch(
    "/bonus-plans/{int:plan_id}",
    response={200: PlanOut, **ERRORS},
    summary="Change a draft or computed plan (HR); a computed plan's lines are discarded",
)
def update_plan(request: HttpRequest, plan_id: int, payload: PlanPatch) -> Any:
    plan = _plan(request, plan_id)
    require(request, Action.BONUS_PLAN_MANAGE)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    current = {
        "name": plan.name,
        "method": plan.method,
        "budget": plan.budget,
        "currency": plan.currency,
        "rounding_unit": plan.rounding_unit,
        "adjustment_band": plan.adjustment_band,
        "grade_coefficients": plan.grade_coefficients,
        "departments": [
            services.DepartmentInput(d.department, d.coefficient, d.pool)
            for d in plan.departments.select_related("department")
        ],
        "training_rule": plan.training_rule,
        "required_courses": list(plan.required_courses.all()),
        "training_factor": plan.training_factor,
        "training_deadline": plan.training_deadline,
    }
    if "departments" in changes:
        changes["departments"] = _departments(payload.departments or [])
    if "required_course_ids" in changes:
        changes["required_courses"] = _courses(changes.pop("required_course_ids") or [])
    for key, value in changes.items():
        if value is None and key not in ("training_deadline",):
            continue
        current[key] = value
    updated = services.plan_update(
        actor=request.user, plan=plan, expected_version=version, **current
    )
    return plan_out(updated)


@router.get(
    "/bonus-plans/{int:plan_id}",
    response={200: PlanOut, **ERRORS},
    summary="One bonus plan with its totals and who was left out (HR)",
)
def get_plan(request: HttpRequest, plan_id: int) -> Any:
    plan = _plan(request, plan_id)
    require(request, Action.BONUS_PLAN_MANAGE)
    return plan_out(plan)


@router.post(
    "/bonus-plans/{int:plan_id}/compute",
    response={200: ComputeOut, **ERRORS},
    summary="Compute (or recompute) the plan's lines (HR); drops earlier adjustments",
)
def compute_plan(request: HttpRequest, plan_id: int) -> Any:
    plan = _plan(request, plan_id)
    require(request, Action.BONUS_PLAN_MANAGE)
    report = services.plan_compute(actor=request.user, plan=plan)
    plan.refresh_from_db()
    return {**report.as_dict(), "excluded": _excluded(plan)}


@router.get(
    "/bonus-plans/{int:plan_id}/lines",
    response={200: list[LineOut], **ERRORS},
    summary="The plan's lines the caller may see (HR: all; a manager: their line's)",
)
@paginate(Page)
def list_lines(request: HttpRequest, plan_id: int) -> Any:
    plan = _plan(request, plan_id)
    return selectors.visible_lines(request.user, plan).select_related("plan")


@router.get(
    "/me/bonus-lines",
    response={200: list[LineOut], **ERRORS},
    summary="My own bonus lines of approved plans, with how each was worked out",
)
@paginate(Page)
def my_bonus_lines(request: HttpRequest) -> Any:
    return selectors.my_lines(request.user)


@router.post(
    "/bonus-lines/{int:line_id}/adjust",
    response={200: LineOut, **ERRORS},
    summary="Adjust a line within ± the plan's band, with a reason (managers, HR)",
)
def adjust_line(request: HttpRequest, line_id: int, payload: AdjustIn) -> Any:
    line = get_visible_or_404(
        request.user,
        Action.BONUS_LINE_VIEW,
        BonusLine.objects.select_related("plan", "employee"),
        pk=line_id,
    )
    require(request, Action.BONUS_LINE_ADJUST, line)
    updated = services.line_adjust(
        actor=request.user,
        line=line,
        adjustment=payload.adjustment,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return updated


@router.post(
    "/bonus-plans/{int:plan_id}/approve",
    response={200: PlanOut, **ERRORS},
    summary="Approve a computed plan (HR); approving twice is an error",
)
def approve_plan(request: HttpRequest, plan_id: int, payload: BonusPlanApproveIn) -> Any:
    plan = _plan(request, plan_id)
    require(request, Action.BONUS_PLAN_MANAGE)
    return plan_out(
        services.plan_approve(actor=request.user, plan=plan, expected_version=payload.version)
    )


@router.get(
    "/bonus-plans/{int:plan_id}/export.xlsx",
    response={200: None, **ERRORS},
    summary="The plan's lines as a spreadsheet (HR)",
)
def export_plan(request: HttpRequest, plan_id: int) -> Any:
    plan = _plan(request, plan_id)
    require(request, Action.BONUS_PLAN_MANAGE)
    response = HttpResponse(
        exports.plan_xlsx(plan, BonusLine.objects.filter(plan=plan)), content_type=XLSX
    )
    response["Content-Disposition"] = f'attachment; filename="bonus-plan-{plan.pk}.xlsx"'
    return response

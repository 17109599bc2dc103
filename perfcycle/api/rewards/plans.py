"""Bonus plans over the API. HR creates, computes, approves and exports a plan; HR and
managers read the lines they may see and adjust them within the band (a stale version
answers 409; a total over the budget answers 400 ``over_budget``)."""

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
from perfcycle.org.models import Department
from perfcycle.rewards import exports, selectors, services
from perfcycle.rewards.models import BonusLine, BonusPlan

router = Router(tags=["rewards"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DepartmentIn(Schema):
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
    departments: list[DepartmentIn] = []


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


class ApproveIn(Schema):
    version: int | None = None


def _excluded(plan: BonusPlan) -> list[dict[str, Any]]:
    labels = services.EXCLUSION_REASONS
    return [{**e, "reason_label": str(labels.get(e["reason"], e["reason"]))} for e in plan.excluded]


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
    departments = {
        d.pk: d
        for d in Department.objects.filter(pk__in=[r.department_id for r in payload.departments])
    }
    rows = []
    for r in payload.departments:
        if r.department_id not in departments:
            raise Http404
        rows.append(services.DepartmentInput(departments[r.department_id], r.coefficient, r.pool))
    plan = services.plan_create(
        actor=request.user,
        cycle=cycle,
        name=payload.name,
        method=payload.method,
        budget=payload.budget,
        currency=payload.currency,
        rounding_unit=payload.rounding_unit,
        adjustment_band=payload.adjustment_band,
        grade_coefficients=payload.grade_coefficients,
        departments=rows,
    )
    return 201, plan_out(plan)


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
def approve_plan(request: HttpRequest, plan_id: int, payload: ApproveIn) -> Any:
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

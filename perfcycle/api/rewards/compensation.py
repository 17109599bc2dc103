"""Pay on record over the API (HR): a person's base monthly pay and target bonus, which
bonus plans compute from."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS, require
from perfcycle.org.models import Employee
from perfcycle.rewards import services
from perfcycle.rewards.models import Compensation

router = Router(tags=["compensation"])


class CompensationIn(Schema):
    base_monthly: Decimal
    target_bonus_amount: Decimal | None = Field(None, description="Takes precedence if set.")
    target_bonus_months: Decimal | None = Field(None, description="Months of base pay.")
    currency: str = "CNY"
    version: int | None = Field(None, description="The record's version when changing it.")


class CompensationOut(Schema):
    employee_id: int
    base_monthly: Decimal
    target_bonus_amount: Decimal | None
    target_bonus_months: Decimal | None
    target: Decimal | None
    currency: str
    updated_at: dt.datetime
    version: int


def _out(comp: Compensation) -> dict[str, Any]:
    return {
        "employee_id": comp.employee_id,
        "base_monthly": comp.base_monthly,
        "target_bonus_amount": comp.target_bonus_amount,
        "target_bonus_months": comp.target_bonus_months,
        "target": comp.target,
        "currency": comp.currency,
        "updated_at": comp.updated_at,
        "version": comp.version,
    }


def _employee(request: HttpRequest, employee_id: int) -> Employee:
    employee = get_visible_or_404(
        request.user, Action.EMPLOYEE_VIEW, Employee.objects.all(), pk=employee_id
    )
    require(request, Action.COMPENSATION_MANAGE)
    return employee


@router.get(
    "/employees/{int:employee_id}/compensation",
    response={200: CompensationOut, **ERRORS},
    summary="A person's pay on record (HR)",
)
def get_compensation(request: HttpRequest, employee_id: int) -> Any:
    employee = _employee(request, employee_id)
    comp = Compensation.objects.filter(employee=employee).first()
    if comp is None:
        raise Http404
    return _out(comp)


@router.put(
    "/employees/{int:employee_id}/compensation",
    response={200: CompensationOut, **ERRORS},
    summary="Set a person's pay on record (HR)",
)
def set_compensation(request: HttpRequest, employee_id: int, payload: CompensationIn) -> Any:
    employee = _employee(request, employee_id)
    comp = services.compensation_set(
        actor=request.user,
        employee=employee,
        base_monthly=payload.base_monthly,
        target_bonus_amount=payload.target_bonus_amount,
        target_bonus_months=payload.target_bonus_months,
        currency=payload.currency,
        expected_version=payload.version,
    )
    return _out(comp)

"""Pay on record over the API (HR): a person's base monthly pay and target bonus, which
bonus plans compute from; everyone's (paginated) and a file import (all-or-nothing,
``dry_run`` to preview). Uses ninja ``Query``: no ``from __future__ import annotations``."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS, ImportOptions, ImportReportOut, require
from perfcycle.api.pagination import Page
from perfcycle.imports.tables import check_size
from perfcycle.org.models import Employee
from perfcycle.rewards import imports, services
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
    employee_number: str
    employee_name: str
    base_monthly: Decimal
    target_bonus_amount: Decimal | None
    target_bonus_months: Decimal | None
    target: Decimal | None
    currency: str
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_employee_number(obj: Any) -> str:
        return obj["employee_number"] if isinstance(obj, dict) else obj.employee.employee_number

    @staticmethod
    def resolve_employee_name(obj: Any) -> str:
        return obj["employee_name"] if isinstance(obj, dict) else obj.employee.name


def _out(comp: Compensation) -> dict[str, Any]:
    return {
        "employee_id": comp.employee_id,
        "employee_number": comp.employee.employee_number,
        "employee_name": comp.employee.name,
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
    comp = Compensation.objects.filter(employee=employee).select_related("employee").first()
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


@router.get(
    "/compensation",
    response={200: list[CompensationOut], **ERRORS},
    summary="Everyone's pay on record, by name (HR)",
)
@paginate(Page)
def list_compensation(request: HttpRequest) -> Any:
    require(request, Action.COMPENSATION_MANAGE)
    return Compensation.objects.select_related("employee").order_by("employee__name", "pk")


@router.post(
    "/compensation/import",
    response={200: ImportReportOut, **ERRORS},
    summary="Import pay on record from CSV or XLSX (HR, all-or-nothing)",
)
def import_compensation(
    request: HttpRequest, options: Query[ImportOptions], file: File[UploadedFile]
) -> Any:
    require(request, Action.COMPENSATION_MANAGE)
    check_size(file.size or 0)
    report = imports.compensation_import(
        actor=request.user, data=file.read(), filename=file.name or "", dry_run=options.dry_run
    )
    return report.as_dict()

"""Departments and employees over the API. Thin: parse, ask the policy, call a service."""

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS, ImportOptions, ImportReportOut, require
from perfcycle.api.pagination import Page
from perfcycle.core.errors import ValidationFailed
from perfcycle.imports.tables import check_size
from perfcycle.org import imports, selectors, services
from perfcycle.org.models import Department, Employee, EmployeeStatus

router = Router(tags=["organisation"])
# Departments -----------------------------------------------------------------------


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    head_id: int | None
    version: int


class DepartmentIn(Schema):
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=120)
    parent_code: str | None = None
    head_number: str | None = None


class DepartmentPatch(Schema):
    version: int = Field(..., description="The version you read; a stale version answers 409.")
    code: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=120)
    parent_code: str | None = None
    head_number: str | None = None


def _department_by_code(code: str | None, field: str) -> Department | None:
    if not code:
        return None
    found = Department.objects.filter(code=code).first()
    if found is None:
        message = _("Unknown department %(code)s.") % {"code": code}
        raise ValidationFailed(message, details={"fields": {field: [message]}})
    return found


def _employee_by_number(number: str | None, field: str) -> Employee | None:
    if not number:
        return None
    found = Employee.objects.filter(employee_number=number).first()
    if found is None:
        message = _("Unknown employee %(number)s.") % {"number": number}
        raise ValidationFailed(message, details={"fields": {field: [message]}})
    return found


@router.get("/departments", response=list[DepartmentOut], summary="List departments")
@paginate(Page)
def list_departments(request: HttpRequest, search: str = "") -> Any:
    require(request, Action.DEPARTMENT_VIEW)
    qs = Department.objects.order_by("path")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs


@router.get("/departments/{int:department_id}", response={200: DepartmentOut, **ERRORS})
def get_department(request: HttpRequest, department_id: int) -> Any:
    return get_visible_or_404(
        request.user, Action.DEPARTMENT_VIEW, Department.objects, pk=department_id
    )


@router.post("/departments", response={201: DepartmentOut, **ERRORS})
def create_department(request: HttpRequest, payload: DepartmentIn) -> Any:
    require(request, Action.DEPARTMENT_CREATE)
    department = services.department_create(
        actor=request.user,
        code=payload.code,
        name=payload.name,
        parent=_department_by_code(payload.parent_code, "parent_code"),
        head=_employee_by_number(payload.head_number, "head_number"),
    )
    return 201, department


@router.patch("/departments/{int:department_id}", response={200: DepartmentOut, **ERRORS})
def update_department(request: HttpRequest, department_id: int, payload: DepartmentPatch) -> Any:
    department = get_visible_or_404(
        request.user, Action.DEPARTMENT_VIEW, Department.objects, pk=department_id
    )
    require(request, Action.DEPARTMENT_CHANGE, department)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    changes: dict[str, Any] = {
        k: v for k, v in data.items() if k in {"code", "name"} and v is not None
    }
    if "parent_code" in data:
        changes["parent"] = _department_by_code(data["parent_code"], "parent_code")
    if "head_number" in data:
        changes["head"] = _employee_by_number(data["head_number"], "head_number")
    return services.department_update(
        actor=request.user, department=department, expected_version=version, **changes
    )


# Employees -------------------------------------------------------------------------


class EmployeeOut(Schema):
    id: int
    employee_number: str
    name: str
    email: str
    job_title: str
    job_family: str
    level: str
    hire_date: dt.date | None
    manager_id: int | None
    department_id: int | None
    status: EmployeeStatus
    left_on: dt.date | None
    version: int


class EmployeeIn(Schema):
    employee_number: str = Field(..., max_length=32)
    name: str = Field(..., max_length=120)
    email: str = ""
    job_title: str = ""
    job_family: str = ""
    level: str = ""
    hire_date: dt.date | None = None
    manager_number: str | None = None
    department_code: str | None = None


class EmployeePatch(Schema):
    version: int = Field(..., description="The version you read; a stale version answers 409.")
    employee_number: str | None = None
    name: str | None = None
    email: str | None = None
    job_title: str | None = None
    job_family: str | None = None
    level: str | None = None
    hire_date: dt.date | None = None
    manager_number: str | None = None
    department_code: str | None = None
    status: EmployeeStatus | None = None
    left_on: dt.date | None = None


class EmployeeFilters(Schema):
    search: str = ""
    department_id: int | None = None
    status: EmployeeStatus | None = None


@router.get("/employees", response=list[EmployeeOut], summary="List the employees you may see")
@paginate(Page)
def list_employees(request: HttpRequest, filters: Query[EmployeeFilters]) -> Any:
    department = (
        get_object_or_404(Department, pk=filters.department_id) if filters.department_id else None
    )
    # The rows carry the department's and manager's ids only: no joins for their objects.
    return selectors.employee_list(
        user=request.user,
        search=filters.search,
        department=department,
        status=filters.status or "",
    ).select_related(None)


@router.get("/employees/{int:employee_id}", response={200: EmployeeOut, **ERRORS})
def get_employee(request: HttpRequest, employee_id: int) -> Any:
    return get_visible_or_404(request.user, Action.EMPLOYEE_VIEW, Employee.objects, pk=employee_id)


@router.post("/employees", response={201: EmployeeOut, **ERRORS})
def create_employee(request: HttpRequest, payload: EmployeeIn) -> Any:
    require(request, Action.EMPLOYEE_CREATE)
    data = payload.dict()
    manager = _employee_by_number(data.pop("manager_number"), "manager_number")
    department = _department_by_code(data.pop("department_code"), "department_code")
    employee = services.employee_create(
        actor=request.user, manager=manager, department=department, **data
    )
    return 201, employee


@router.patch("/employees/{int:employee_id}", response={200: EmployeeOut, **ERRORS})
def update_employee(request: HttpRequest, employee_id: int, payload: EmployeePatch) -> Any:
    employee = get_visible_or_404(
        request.user, Action.EMPLOYEE_VIEW, Employee.objects, pk=employee_id
    )
    require(request, Action.EMPLOYEE_CHANGE, employee)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    if "manager_number" in data:
        data["manager"] = _employee_by_number(data.pop("manager_number"), "manager_number")
    if "department_code" in data:
        data["department"] = _department_by_code(data.pop("department_code"), "department_code")
    for text_field in ("email", "job_title", "job_family", "level"):
        if text_field in data and data[text_field] is None:
            data[text_field] = ""
    return services.employee_update(
        actor=request.user, employee=employee, expected_version=version, **data
    )


# Imports ---------------------------------------------------------------------------


@router.post(
    "/employees/import",
    response={200: ImportReportOut, **ERRORS},
    summary="Import employees from CSV or XLSX (all-or-nothing)",
)
def import_employees(
    request: HttpRequest, options: Query[ImportOptions], file: File[UploadedFile]
) -> Any:
    require(request, Action.EMPLOYEE_IMPORT)
    check_size(file.size or 0)
    report = imports.employees_import(
        actor=request.user, data=file.read(), filename=file.name or "", dry_run=options.dry_run
    )
    return report.as_dict()


@router.post(
    "/departments/import",
    response={200: ImportReportOut, **ERRORS},
    summary="Import departments from CSV or XLSX (all-or-nothing)",
)
def import_departments(
    request: HttpRequest, options: Query[ImportOptions], file: File[UploadedFile]
) -> Any:
    require(request, Action.DEPARTMENT_IMPORT)
    check_size(file.size or 0)
    report = imports.departments_import(
        actor=request.user, data=file.read(), filename=file.name or "", dry_run=options.dry_run
    )
    return report.as_dict()

"""Personal data over the API: a person's data as a ZIP (HR; the person themselves) and
the erasure of a departed person's personal data (HR). Thin: the policy and the privacy
services decide."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS, require
from perfcycle.org.models import Employee
from perfcycle.privacy import services
from perfcycle.privacy.views import zip_response

router = Router(tags=["personal data"])


class EraseIn(Schema):
    reason: str = Field(
        ...,
        min_length=services.MIN_REASON,
        max_length=2000,
        description="Why the data is erased, e.g. the former employee's request and its date.",
    )


class EraseOut(Schema):
    id: int
    name: str
    employee_number: str
    status: str
    erased: bool


def _employee(request: HttpRequest, employee_id: int) -> Employee:
    return get_visible_or_404(
        request.user, Action.EMPLOYEE_VIEW, Employee.objects.select_related("user"), pk=employee_id
    )


@router.get(
    "/employees/{int:employee_id}/personal-data",
    response={200: None, **ERRORS},
    summary="Everything kept about a person, as a ZIP of JSON, XLSX and a README (HR; the "
    "person themselves)",
)
def personal_data(request: HttpRequest, employee_id: int) -> Any:
    employee = _employee(request, employee_id)
    require(request, Action.PERSONAL_DATA_EXPORT, employee)
    data = services.personal_data_export(actor=request.user, employee=employee)
    return zip_response(data, services.export_filename(employee))


@router.post(
    "/employees/{int:employee_id}/erase",
    response={200: EraseOut, **ERRORS},
    summary="Erase a departed person's personal data, keeping the numbers (HR)",
)
def erase(request: HttpRequest, employee_id: int, payload: EraseIn) -> Any:
    employee = _employee(request, employee_id)
    require(request, Action.PERSONAL_DATA_ERASE, employee)
    erased = services.personal_data_erase(
        actor=request.user, employee=employee, reason=payload.reason
    )
    return {
        "id": erased.pk,
        "name": erased.name,
        "employee_number": erased.employee_number,
        "status": erased.status,
        "erased": services.is_erased(erased),
    }

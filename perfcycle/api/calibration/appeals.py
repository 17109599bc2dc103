"""Appeals over the API: filing one (multipart, with attachments), HR's queue, the
reviewers' and my own, one appeal, routing and deciding.

Thin: the policy says who (an appeal one may not see is 404), ``calibration.appeals``
checks and writes. A stale version answers 409; a bad attachment 422 with the files.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404, is_hr
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page, Rows
from perfcycle.calibration import appeals as service
from perfcycle.calibration import feedback
from perfcycle.calibration.models import Appeal, AppealStatus, Result
from perfcycle.core.errors import Forbidden
from perfcycle.core.validation import field_error
from perfcycle.org.models import Employee

router = Router(tags=["appeals"])


# Schemas -------------------------------------------------------------------------------


class AppealFilters(Schema):
    status: AppealStatus | None = None
    open: bool | None = Field(None, description="Only filed and under-review appeals.")


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    url: str = Field(..., description="Download through the permission check.")


class PersonOut(Schema):
    id: int
    name: str


class AppealOut(Schema):
    id: int
    result_id: int
    cycle_id: int
    cycle_name: str
    employee_id: int
    employee_name: str
    status: AppealStatus
    reason: str
    talk_held: bool
    due_on: dt.date
    skip_level: PersonOut | None
    committee: list[PersonOut]
    decision: str
    decided_at: dt.datetime | None
    grade: str
    score: Decimal | None
    attachments: list[AttachmentOut]
    version: int


class RouteIn(Schema):
    skip_level: bool = False
    committee: list[int] = Field([], description="Employee ids of the appeal committee.")
    version: int | None = None


class DecideIn(Schema):
    outcome: AppealStatus = Field(..., description="upheld or rejected.")
    decision: str = Field(..., description="The decision and its reason, ≥ 10 characters.")
    grade: str | None = None
    score: Decimal | None = None
    version: int


# Helpers -------------------------------------------------------------------------------


def appeal_out(appeal: Appeal) -> dict[str, Any]:
    result = appeal.result
    return {
        "id": appeal.pk,
        "result_id": result.pk,
        "cycle_id": result.cycle_id,
        "cycle_name": result.cycle.name,
        "employee_id": result.employee_id,
        "employee_name": result.employee.name,
        "status": appeal.status,
        "reason": appeal.reason,
        "talk_held": appeal.talk_held,
        "due_on": appeal.due_on,
        "skip_level": {"id": appeal.skip_level.pk, "name": appeal.skip_level.name}
        if appeal.skip_level
        else None,
        "committee": [{"id": m.pk, "name": m.name} for m in appeal.committee.all()],
        "decision": appeal.decision,
        "decided_at": appeal.decided_at,
        "grade": result.grade,
        "score": result.score,
        "attachments": [
            {
                "id": f.pk,
                "name": f.name,
                "size": f.size,
                "url": reverse("calibration:appeal_attachment", args=[f.pk]),
            }
            for f in appeal.attachments.all()
        ],
        "version": appeal.version,
    }


def _appeal(request: HttpRequest, appeal_id: int) -> Appeal:
    return get_visible_or_404(
        request.user,
        Action.APPEAL_VIEW,
        service.appeal_details(Appeal.objects.all()),
        pk=appeal_id,
    )


def _fresh(appeal: Appeal) -> dict[str, Any]:
    return appeal_out(service.appeal_details(Appeal.objects.all()).get(pk=appeal.pk))


# Endpoints -----------------------------------------------------------------------------


@router.post(
    "/results/{int:result_id}/appeals",
    response={201: AppealOut, **ERRORS},
    summary="Appeal my released result (multipart: reason, talk_held, files)",
)
def file_appeal(
    request: HttpRequest,
    result_id: int,
    reason: Form[str],
    talk_held: Form[bool] = False,
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    result = get_visible_or_404(
        request.user,
        Action.RESULT_VIEW,
        Result.objects.select_related("cycle", "employee"),
        pk=result_id,
    )
    require(request, Action.APPEAL_FILE, result)
    appeal = service.appeal_file(
        actor=request.user,
        result=result,
        reason=reason,
        talk_held=talk_held,
        attachments=files or [],
    )
    return 201, _fresh(appeal)


@router.get(
    "/appeals",
    response=list[AppealOut],
    summary="Appeals: HR's queue, those routed to me, my own",
)
@paginate(Page)
def list_appeals(request: HttpRequest, filters: Query[AppealFilters]) -> Any:
    qs = service.appeal_details(service.visible_appeals(request.user))
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    if filters.open:
        qs = qs.filter(status__in=feedback.OPEN_APPEAL)
    return Rows(qs.order_by("due_on", "pk"), lambda page: [appeal_out(a) for a in page])


@router.get("/appeals/{int:appeal_id}", response={200: AppealOut, **ERRORS}, summary="One appeal")
def get_appeal(request: HttpRequest, appeal_id: int) -> Any:
    return appeal_out(_appeal(request, appeal_id))


@router.post(
    "/appeals/{int:appeal_id}/route",
    response={200: AppealOut, **ERRORS},
    summary="Route an appeal to the skip-level manager and/or a committee (HR)",
)
def route_appeal(request: HttpRequest, appeal_id: int, payload: RouteIn) -> Any:
    appeal = _appeal(request, appeal_id)
    if not is_hr(request.user):
        raise Forbidden(_("Only HR routes appeals."))
    committee = list(Employee.objects.filter(pk__in=payload.committee))
    if len(committee) != len(set(payload.committee)):
        raise field_error("committee", _("Some of these people do not exist."))
    service.appeal_route(
        actor=request.user,
        appeal=appeal,
        skip_level=payload.skip_level,
        committee=committee,
        expected_version=payload.version,
    )
    return _fresh(appeal)


@router.post(
    "/appeals/{int:appeal_id}/decide",
    response={200: AppealOut, **ERRORS},
    summary="Decide an appeal (HR or its reviewers); a stale version answers 409",
)
def decide_appeal(request: HttpRequest, appeal_id: int, payload: DecideIn) -> Any:
    appeal = _appeal(request, appeal_id)
    require(request, Action.APPEAL_DECIDE, appeal)
    service.appeal_decide(
        actor=request.user,
        appeal=appeal,
        outcome=payload.outcome,
        decision=payload.decision,
        grade=payload.grade,
        score=payload.score,
        expected_version=payload.version,
    )
    return _fresh(appeal)

"""Who reviews whom over the API: generation for a whole cycle and manual edits (HR), peer
nomination (the person or their manager) and its approval (their managers).

Thin: parse, ask the policy, call ``evaluation.assignment``. Nominations answer their
approval state only (nominated, approved, declined), never a form's progress.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, acting_employee, get_visible_or_404
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page
from perfcycle.core.errors import ValidationFailed
from perfcycle.cycles.models import Cycle
from perfcycle.evaluation import assignment
from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource
from perfcycle.org.models import Employee

router = Router(tags=["review assignment"])


class GenerateIn(Schema):
    peers_per_person: int = Field(3, ge=0, le=50)
    max_forms_per_reviewer: int = Field(assignment.DEFAULT_MAX_PEER_FORMS, ge=1, le=100)
    include_skip_level: bool = False
    include_upward: bool = Field(True, description="Only when the template weighs reports.")


class AssignmentReportOut(Schema):
    created: dict[str, int] = Field(..., description="Forms created per source.")
    total_created: int
    existing: int
    short_of_peers: dict[str, int] = Field(
        ..., description="Employee id → peers they have, for those with fewer than asked."
    )


class ReviewFormOut(Schema):
    id: int
    cycle_id: int
    reviewee_id: int
    reviewee_name: str
    reviewer_id: int
    reviewer_name: str
    source: str
    status: str
    nominated: bool
    submitted_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_reviewee_name(obj: ReviewForm) -> str:
        return obj.reviewee.name

    @staticmethod
    def resolve_reviewer_name(obj: ReviewForm) -> str:
        return obj.reviewer.name

    @staticmethod
    def resolve_nominated(obj: ReviewForm) -> bool:
        return obj.nominated_by_id is not None


class ReviewFormFilters(Schema):
    reviewee_id: int | None = None
    reviewer_id: int | None = None
    source: ReviewSource | None = None
    status: FormStatus | None = None


class ReviewFormIn(Schema):
    reviewee_id: int
    reviewer_id: int
    source: ReviewSource


class NominateIn(Schema):
    reviewee_id: int | None = Field(None, description="Whose peers; yourself when left out.")
    reviewer_ids: list[int] = Field(..., max_length=50)


class NominationOut(Schema):
    id: int
    reviewee_id: int
    reviewee_name: str
    reviewer_id: int
    reviewer_name: str
    state: str = Field(..., description="nominated, approved or declined.")
    version: int


class ApproveIn(Schema):
    version: int | None = Field(None, description="The version you read; stale answers 409.")


class DeclineIn(Schema):
    reason: str = Field(..., max_length=500)
    version: int | None = None


def _cycle(request: HttpRequest, cycle_id: int) -> Cycle:
    return get_visible_or_404(
        request.user, Action.CYCLE_VIEW, Cycle.objects.select_related("template"), pk=cycle_id
    )


def _employee(pk: int, field: str) -> Employee:
    found = Employee.objects.filter(pk=pk).first()
    if found is None:
        message = _("Unknown employee.")
        raise ValidationFailed(message, details={"fields": {field: [message]}})
    return found


def _nomination_out(form: ReviewForm) -> dict[str, Any]:
    return {
        "id": form.pk,
        "reviewee_id": form.reviewee_id,
        "reviewee_name": form.reviewee.name,
        "reviewer_id": form.reviewer_id,
        "reviewer_name": form.reviewer.name,
        "state": assignment.nomination_state(form).value,
        "version": form.version,
    }


@router.post(
    "/cycles/{int:cycle_id}/assignment",
    response={200: AssignmentReportOut, **ERRORS},
    summary="Assign reviewers for the whole cycle (HR); only missing forms are created",
)
def generate(request: HttpRequest, cycle_id: int, payload: GenerateIn) -> Any:
    cycle = _cycle(request, cycle_id)
    require(request, Action.REVIEW_ASSIGN, cycle)
    report = assignment.assignment_generate(actor=request.user, cycle=cycle, **payload.dict())
    return report.as_dict()


@router.get(
    "/cycles/{int:cycle_id}/review-forms",
    response={200: list[ReviewFormOut], **ERRORS},
    summary="The cycle's review forms with their reviewers (HR)",
)
@paginate(Page)
def list_review_forms(
    request: HttpRequest, cycle_id: int, filters: Query[ReviewFormFilters]
) -> Any:
    cycle = _cycle(request, cycle_id)
    require(request, Action.REVIEW_ASSIGN, cycle)
    qs = ReviewForm.objects.filter(cycle=cycle).select_related("reviewee", "reviewer")
    if filters.reviewee_id is not None:
        qs = qs.filter(reviewee_id=filters.reviewee_id)
    if filters.reviewer_id is not None:
        qs = qs.filter(reviewer_id=filters.reviewer_id)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("reviewee__name", "reviewee_id", "source", "id")


@router.post(
    "/cycles/{int:cycle_id}/review-forms",
    response={201: ReviewFormOut, **ERRORS},
    summary="Add one reviewer by hand (HR)",
)
def add_review_form(request: HttpRequest, cycle_id: int, payload: ReviewFormIn) -> Any:
    cycle = _cycle(request, cycle_id)
    require(request, Action.REVIEW_ASSIGN, cycle)
    form = assignment.review_form_add(
        actor=request.user,
        cycle=cycle,
        reviewee=_employee(payload.reviewee_id, "reviewee_id"),
        reviewer=_employee(payload.reviewer_id, "reviewer_id"),
        source=payload.source,
    )
    return 201, ReviewForm.objects.select_related("reviewee", "reviewer").get(pk=form.pk)


@router.delete(
    "/review-forms/{int:form_id}",
    response={204: None, **ERRORS},
    summary="Take a reviewer off (HR); a submitted form stays",
)
def remove_review_form(request: HttpRequest, form_id: int) -> Any:
    form = get_visible_or_404(
        request.user,
        Action.REVIEW_FORM_VIEW,
        ReviewForm.objects.select_related("cycle", "reviewee", "reviewer"),
        pk=form_id,
    )
    require(request, Action.REVIEW_ASSIGN, form)
    assignment.review_form_remove(actor=request.user, form=form)
    return 204, None


@router.post(
    "/cycles/{int:cycle_id}/peers/nominations",
    response={201: list[NominationOut], **ERRORS},
    summary="Nominate peers, for yourself or for someone in your team",
)
def nominate(request: HttpRequest, cycle_id: int, payload: NominateIn) -> Any:
    cycle = _cycle(request, cycle_id)
    if payload.reviewee_id is None:
        reviewee = acting_employee(request.user)
        if reviewee is None:
            message = _("Say whose peers these are.")
            raise ValidationFailed(message, details={"fields": {"reviewee_id": [message]}})
    else:
        reviewee = get_visible_or_404(
            request.user, Action.EMPLOYEE_VIEW, Employee.objects, pk=payload.reviewee_id
        )
    require(request, Action.REVIEW_NOMINATE_PEERS, reviewee)
    found = {e.pk: e for e in Employee.objects.filter(pk__in=payload.reviewer_ids)}
    unknown = [str(pk) for pk in payload.reviewer_ids if pk not in found]
    if unknown:
        message = _("Unknown employees: %(ids)s") % {"ids": ", ".join(unknown)}
        raise ValidationFailed(message, details={"fields": {"reviewer_ids": [message]}})
    forms = assignment.peers_nominate(
        actor=request.user,
        cycle=cycle,
        reviewee=reviewee,
        reviewers=[found[pk] for pk in payload.reviewer_ids],
    )
    return 201, [_nomination_out(f) for f in forms]


def _nomination(request: HttpRequest, form_id: int) -> ReviewForm:
    form = get_visible_or_404(
        request.user,
        Action.REVIEW_NOMINATE_PEERS,
        ReviewForm.objects.select_related("cycle__template", "reviewee", "reviewer").filter(
            source=ReviewSource.PEER, nominated_by__isnull=False
        ),
        pk=form_id,
    )
    require(request, Action.REVIEW_APPROVE_PEERS, form)
    return form


@router.post(
    "/review-forms/{int:form_id}/approve",
    response={200: NominationOut, **ERRORS},
    summary="Approve a nominated peer (the person's managers)",
)
def approve(request: HttpRequest, form_id: int, payload: ApproveIn) -> Any:
    form = _nomination(request, form_id)
    assignment.peers_approve(actor=request.user, form=form, expected_version=payload.version)
    return _nomination_out(form)


@router.post(
    "/review-forms/{int:form_id}/decline",
    response={200: NominationOut, **ERRORS},
    summary="Decline a nominated peer, saying why (the person's managers)",
)
def decline(request: HttpRequest, form_id: int, payload: DeclineIn) -> Any:
    form = _nomination(request, form_id)
    assignment.peers_decline(
        actor=request.user, form=form, reason=payload.reason, expected_version=payload.version
    )
    return _nomination_out(form)

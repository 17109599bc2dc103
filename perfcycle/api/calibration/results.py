"""Results over the API: mine once released, my line's as a manager, everyone's for HR;
one result with its live breakdown; the feedback talk and the employee's comments;
acknowledgement.

Thin: the policy says who (a result one may not see is 404 — before release, the
employee's own too), ``calibration.feedback`` writes. A stale version answers 409.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404, may
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page, Rows
from perfcycle.calibration import feedback
from perfcycle.calibration.models import FeedbackTalk, Result
from perfcycle.evaluation import scores
from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource

router = Router(tags=["results"])


# Schemas -------------------------------------------------------------------------------


class ResultFilters(Schema):
    cycle_id: int | None = None


class ResultOut(Schema):
    id: int
    cycle_id: int
    cycle_name: str
    employee_id: int
    employee_name: str
    department_id: int | None
    computed_score: Decimal | None
    computed_grade: str
    score: Decimal | None
    grade: str
    adjusted: bool
    released_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    state: str = Field(
        ..., description="not_released, waiting, acknowledged, appealed or accepted."
    )
    window_closes_on: dt.date | None = Field(
        ..., description="Last working day to acknowledge or appeal."
    )
    talk_held_on: dt.date | None
    open_appeals: int
    version: int


class AdjustmentOut(Schema):
    field: str
    before: str
    after: str
    reason: str
    session_id: int | None
    appeal_id: int | None
    at: dt.datetime


class TalkOut(Schema):
    id: int
    result_id: int
    manager_id: int
    manager_name: str
    held_on: dt.date
    strengths: str
    improvements: str
    next_steps: str
    employee_comments: str
    version: int


class ResultAppealOut(Schema):
    id: int
    status: str
    created_at: dt.datetime
    due_on: dt.date
    decided_at: dt.datetime | None
    decision: str | None = Field(..., description="Only where the viewer may see the appeal.")


class ResultDetailOut(ResultOut):
    adjustments: list[AdjustmentOut]
    manager_summary: str
    talk: TalkOut | None
    appeals: list[ResultAppealOut]
    breakdown: dict[str, Any] | None = Field(
        ...,
        description="The live score breakdown (evaluation.scores); peers and direct reports "
        "only as averages from the anonymity minimum.",
    )


class TalkIn(Schema):
    held_on: dt.date
    strengths: str
    improvements: str
    next_steps: str
    version: int | None = Field(None, description="The talk's version when editing it.")


class CommentsIn(Schema):
    comments: str
    version: int


# Helpers -------------------------------------------------------------------------------


def _result(request: HttpRequest, result_id: int) -> Result:
    return get_visible_or_404(
        request.user,
        Action.RESULT_VIEW,
        Result.objects.select_related("cycle", "cycle__grade_scale", "employee", "talk"),
        pk=result_id,
    )


def result_out(
    result: Result, *, open_appeals: int | None = None, window_days: int | None = None
) -> dict[str, Any]:
    if open_appeals is None:
        open_appeals = result.appeals.filter(status__in=feedback.OPEN_APPEAL).count()
    # A missing one-to-one raises a subclass of AttributeError: no talk yet.
    talk = getattr(result, "talk", None)
    return {
        "id": result.pk,
        "cycle_id": result.cycle_id,
        "cycle_name": result.cycle.name,
        "employee_id": result.employee_id,
        "employee_name": result.employee.name,
        "department_id": result.department_id,
        "computed_score": result.computed_score,
        "computed_grade": result.computed_grade,
        "score": result.score,
        "grade": result.grade,
        "adjusted": result.adjusted,
        "released_at": result.released_at,
        "acknowledged_at": result.acknowledged_at,
        "state": feedback.result_state(
            result, open_appeal=bool(open_appeals), window_days=window_days
        ),
        "window_closes_on": feedback.window_closes_on(result, window_days=window_days),
        "talk_held_on": talk.held_on if talk else None,
        "open_appeals": open_appeals,
        "version": result.version,
    }


def talk_out(talk: FeedbackTalk) -> dict[str, Any]:
    return {
        "id": talk.pk,
        "result_id": talk.result_id,
        "manager_id": talk.manager_id,
        "manager_name": talk.manager.name,
        "held_on": talk.held_on,
        "strengths": talk.strengths,
        "improvements": talk.improvements,
        "next_steps": talk.next_steps,
        "employee_comments": talk.employee_comments,
        "version": talk.version,
    }


def _detail(request: HttpRequest, result: Result) -> dict[str, Any]:
    talk = feedback.talk_of(result)
    summary = (
        ReviewForm.objects.filter(
            cycle_id=result.cycle_id,
            reviewee_id=result.employee_id,
            source=ReviewSource.MANAGER,
            status=FormStatus.SUBMITTED,
        )
        .order_by("-submitted_at")
        .values_list("summary", flat=True)
        .first()
    )
    appeals = list(result.appeals.order_by("created_at"))
    breakdown = (
        scores.person_score(result.cycle, result.employee).as_dict()
        if result.cycle.template_id
        else None
    )
    return {
        **result_out(result),
        "adjustments": [
            {
                "field": a.field,
                "before": a.before,
                "after": a.after,
                "reason": a.reason,
                "session_id": a.session_id,
                "appeal_id": a.appeal_id,
                "at": a.at,
            }
            for a in result.adjustments.all()
        ],
        "manager_summary": summary or "",
        "talk": talk_out(talk) if talk else None,
        "appeals": [
            {
                "id": a.pk,
                "status": a.status,
                "created_at": a.created_at,
                "due_on": a.due_on,
                "decided_at": a.decided_at,
                "decision": a.decision if may(request.user, Action.APPEAL_VIEW, a) else None,
            }
            for a in appeals
        ],
        "breakdown": breakdown,
    }


# Endpoints -----------------------------------------------------------------------------


@router.get(
    "/results",
    response=list[ResultOut],
    summary="Results: mine once released, my line's as a manager, everyone's for HR",
)
@paginate(Page)
def list_results(request: HttpRequest, filters: Query[ResultFilters]) -> Any:
    qs = feedback.visible_results(request.user)
    # Within one cycle the start date is the same for all: ordering by name alone lets
    # the database walk an index instead of sorting the whole cycle.
    order = ["-cycle__start_date", "employee__name", "pk"]
    if filters.cycle_id is not None:
        qs = qs.filter(cycle_id=filters.cycle_id)
        order = order[1:]
    qs = feedback.with_appeal_counts(qs.select_related("cycle", "employee", "talk")).order_by(
        *order
    )

    def rows(page: list[Result]) -> list[dict[str, Any]]:
        days = feedback.window_days_by_cycle({r.cycle_id for r in page})
        return [
            result_out(r, open_appeals=r.open_appeals, window_days=days[r.cycle_id]) for r in page
        ]

    return Rows(qs, rows)


@router.get(
    "/results/{int:result_id}",
    response={200: ResultDetailOut, **ERRORS},
    summary="One result with its adjustments, talk, appeals and live breakdown",
)
def get_result(request: HttpRequest, result_id: int) -> Any:
    return _detail(request, _result(request, result_id))


@router.put(
    "/results/{int:result_id}/talk",
    response={200: TalkOut, **ERRORS},
    summary="Record or edit the feedback talk (managers, HR; after release)",
)
def put_talk(request: HttpRequest, result_id: int, payload: TalkIn) -> Any:
    result = _result(request, result_id)
    require(request, Action.TALK_RECORD, result)
    talk = feedback.talk_record(
        actor=request.user,
        result=result,
        held_on=payload.held_on,
        strengths=payload.strengths,
        improvements=payload.improvements,
        next_steps=payload.next_steps,
        expected_version=payload.version,
    )
    return talk_out(talk)


@router.put(
    "/results/{int:result_id}/talk/comments",
    response={200: TalkOut, **ERRORS},
    summary="The employee's own comments on the feedback talk",
)
def put_talk_comments(request: HttpRequest, result_id: int, payload: CommentsIn) -> Any:
    result = _result(request, result_id)
    require(request, Action.TALK_COMMENT, result)
    talk = feedback.talk_comment(
        actor=request.user,
        result=result,
        comments=payload.comments,
        expected_version=payload.version,
    )
    return talk_out(talk)


@router.post(
    "/results/{int:result_id}/acknowledge",
    response={200: ResultOut, **ERRORS},
    summary="Acknowledge my released result",
)
def acknowledge(request: HttpRequest, result_id: int) -> Any:
    result = _result(request, result_id)
    require(request, Action.RESULT_ACKNOWLEDGE, result)
    feedback.result_acknowledge(actor=request.user, result=result)
    return result_out(result)

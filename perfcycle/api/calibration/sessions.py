"""Calibration sessions over the API: list and create (HR), one session with its people,
live distribution and adjustments, grade and potential changes with a reason (409 on a
stale version, 422 without a reason, 400 when locked), lock / unlock / sign-off, and the
9-box. Thin: the rules live in ``calibration.sessions``."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from perfcycle.access.policy import Action, get_visible_or_404, require
from perfcycle.api.common import ERRORS
from perfcycle.calibration import sessions
from perfcycle.calibration.models import Adjustment, CalibrationSession, Result
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Department, Employee

router = Router(tags=["calibration sessions"])


class PersonRef(Schema):
    id: int
    name: str


class SessionOut(Schema):
    id: int
    cycle_id: int
    name: str
    scope: str
    department_id: int | None
    level: str
    status: str
    version: int
    people: int
    calibrators: list[PersonRef]
    locked_at: datetime | None
    signed_off_at: datetime | None


class SessionIn(Schema):
    name: str
    scope: str = Field(..., description="company, department or level")
    department_id: int | None = None
    level: str = ""
    calibrator_ids: list[int] = Field(..., description="Employees who calibrate this session")


class RaterFlagOut(Schema):
    flag: str
    source: str
    reviewer_id: int | None = Field(None, description="Only for HR, or non-anonymous sources")
    reviewer_name: str
    text: str


class SessionPersonOut(Schema):
    result_id: int
    version: int
    employee_id: int
    employee_name: str
    employee_number: str
    department: str
    computed_score: Decimal | None
    computed_grade: str
    grade: str
    potential: str
    changes: int
    rater_flags: list[RaterFlagOut]


class SessionGradeRowOut(Schema):
    code: str
    count: int
    share: Decimal
    target: Decimal | None
    deviation: Decimal | None
    off: bool


class SessionDistributionOut(Schema):
    total: int
    ungraded: int
    has_guideline: bool
    strict: bool
    tolerance: Decimal
    ok: bool
    rows: list[SessionGradeRowOut]


class SessionAdjustmentOut(Schema):
    id: int
    result_id: int
    employee_name: str
    field: str
    before: str
    after: str
    reason: str
    by: str
    at: datetime


class SessionDetailOut(SessionOut):
    people_in_scope: list[SessionPersonOut]
    distribution: SessionDistributionOut
    adjustments: list[SessionAdjustmentOut]


class ChangeIn(Schema):
    result_id: int
    reason: str = Field(..., description="Why (at least 10 characters)")
    version: int = Field(..., description="The result's version as read")


class GradeIn(ChangeIn):
    grade: str


class PotentialIn(ChangeIn):
    potential: str = Field(..., description="low, medium or high")


class ChangeOut(Schema):
    adjustment: SessionAdjustmentOut
    result_version: int


class UnlockIn(Schema):
    reason: str


class BoxOut(Schema):
    performance: str
    potential: str
    label: str
    term_zh: str
    people: list[dict[str, Any]]


class NineBoxOut(Schema):
    grade_levels: dict[str, str]
    boxes: list[BoxOut]
    potential_not_rated: list[dict[str, Any]]
    no_grade: list[dict[str, Any]]


def _session(request: HttpRequest, session_id: int) -> CalibrationSession:
    return get_visible_or_404(
        request.user, Action.SESSION_VIEW, sessions.session_queryset(), pk=session_id
    )


def _session_out(session: CalibrationSession, people: int) -> dict[str, Any]:
    return {
        "id": session.pk,
        "cycle_id": session.cycle_id,
        "name": session.name,
        "scope": session.scope,
        "department_id": session.department_id,
        "level": session.level,
        "status": session.status,
        "version": session.version,
        "people": people,
        "calibrators": [{"id": c.pk, "name": c.name} for c in session.calibrators.all()],
        "locked_at": session.locked_at,
        "signed_off_at": session.signed_off_at,
    }


def _adjustment_out(a: Adjustment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "result_id": a.result_id,
        "employee_name": a.result.employee.name,
        "field": a.field,
        "before": a.before,
        "after": a.after,
        "reason": a.reason,
        "by": a.by.display_name,
        "at": a.at,
    }


def _person(r: sessions.SessionRow) -> dict[str, Any]:
    return {
        "result_id": r.pk,
        "employee_id": r.employee_id,
        "name": r.employee.name,
        "grade": r.grade,
    }


@router.get(
    "/cycles/{int:cycle_id}/calibration-sessions",
    response={200: list[SessionOut], **ERRORS},
    summary="The cycle's calibration sessions you may see (HR: all; calibrators: theirs)",
)
def list_sessions(request: HttpRequest, cycle_id: int) -> Any:
    cycle = get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=cycle_id)
    return [_session_out(s, s.people) for s in sessions.sessions_for(request.user, cycle)]


@router.post(
    "/cycles/{int:cycle_id}/calibration-sessions",
    response={201: SessionOut, **ERRORS},
    summary="Create a calibration session over a scope of the cycle's results (HR)",
)
def create_session(request: HttpRequest, cycle_id: int, payload: SessionIn) -> Any:
    cycle = get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=cycle_id)
    require(request, Action.SESSION_MANAGE)
    department = None
    if payload.department_id is not None:
        department = Department.objects.filter(pk=payload.department_id).first()
        if department is None:
            raise Http404
    calibrators = list(Employee.objects.filter(pk__in=payload.calibrator_ids))
    if len(calibrators) != len(set(payload.calibrator_ids)):
        raise Http404
    session = sessions.session_create(
        actor=request.user,
        cycle=cycle,
        name=payload.name,
        scope=payload.scope,
        department=department,
        level=payload.level,
        calibrators=calibrators,
    )
    return 201, _session_out(session, session.members.count())


@router.get(
    "/calibration-sessions/{int:session_id}",
    response={200: SessionDetailOut, **ERRORS},
    summary="A session: its people with rater flags, live distribution and adjustments",
)
def get_session(request: HttpRequest, session_id: int) -> Any:
    session = _session(request, session_id)
    results = list(sessions.session_results(session))
    check = sessions.session_distribution(session, [r.grade for r in results])
    notes = sessions.rater_notes(session, viewer=request.user)
    data = _session_out(session, len(results))
    data["people_in_scope"] = [
        {
            "result_id": r.pk,
            "version": r.version,
            "employee_id": r.employee_id,
            "employee_name": r.employee.name,
            "employee_number": r.employee.employee_number,
            "department": r.department.name if r.department else "",
            "computed_score": r.computed_score,
            "computed_grade": r.computed_grade,
            "grade": r.grade,
            "potential": r.potential,
            "changes": r.changes,
            "rater_flags": [
                {
                    "flag": n.flag,
                    "source": n.source,
                    "reviewer_id": n.reviewer_id,
                    "reviewer_name": n.reviewer_name,
                    "text": n.text,
                }
                for n in notes.get(r.employee_id, [])
            ],
        }
        for r in results
    ]
    data["distribution"] = {
        "total": check.total,
        "ungraded": check.ungraded,
        "has_guideline": check.has_guideline,
        "strict": check.strict,
        "tolerance": check.tolerance,
        "ok": check.ok,
        "rows": [row.__dict__ for row in check.rows],
    }
    data["adjustments"] = [
        _adjustment_out(a) for a in sessions.session_adjustments(session, results)
    ]
    return data


def _result(session: CalibrationSession, result_id: int) -> Result:
    result = (
        Result.objects.filter(sessionmember__session=session, pk=result_id)
        .select_related("employee")
        .first()
    )
    if result is None:
        raise Http404
    return result


@router.post(
    "/calibration-sessions/{int:session_id}/adjustments",
    response={201: ChangeOut, **ERRORS},
    summary="Change a person's final grade with a reason (409 when the version is stale)",
)
def adjust_grade(request: HttpRequest, session_id: int, payload: GradeIn) -> Any:
    session = _session(request, session_id)
    require(request, Action.SESSION_ADJUST, session)
    result = _result(session, payload.result_id)
    adjustment = sessions.grade_adjust(
        actor=request.user,
        session=session,
        result=result,
        grade=payload.grade,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return 201, {"adjustment": _adjustment_out(adjustment), "result_version": result.version}


@router.post(
    "/calibration-sessions/{int:session_id}/potential",
    response={201: ChangeOut, **ERRORS},
    summary="Set a person's potential (low, medium, high) with a reason",
)
def set_potential(request: HttpRequest, session_id: int, payload: PotentialIn) -> Any:
    session = _session(request, session_id)
    require(request, Action.SESSION_ADJUST, session)
    result = _result(session, payload.result_id)
    adjustment = sessions.potential_set(
        actor=request.user,
        session=session,
        result=result,
        potential=payload.potential,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return 201, {"adjustment": _adjustment_out(adjustment), "result_version": result.version}


@router.post(
    "/calibration-sessions/{int:session_id}/lock",
    response={200: SessionOut, **ERRORS},
    summary="Lock the session: no more changes (HR)",
)
def lock_session(request: HttpRequest, session_id: int) -> Any:
    session = _session(request, session_id)
    require(request, Action.SESSION_MANAGE, session)
    session = sessions.session_lock(actor=request.user, session=session)
    return _session_out(session, session.members.count())


@router.post(
    "/calibration-sessions/{int:session_id}/unlock",
    response={200: SessionOut, **ERRORS},
    summary="Reopen a locked session, with a reason (HR)",
)
def unlock_session(request: HttpRequest, session_id: int, payload: UnlockIn) -> Any:
    session = _session(request, session_id)
    require(request, Action.SESSION_MANAGE, session)
    session = sessions.session_unlock(actor=request.user, session=session, reason=payload.reason)
    return _session_out(session, session.members.count())


@router.post(
    "/calibration-sessions/{int:session_id}/sign-off",
    response={200: SessionOut, **ERRORS},
    summary="Sign off a locked session (HR or a calibrator; strict guideline enforced)",
)
def sign_off_session(request: HttpRequest, session_id: int) -> Any:
    session = _session(request, session_id)
    require(request, Action.SESSION_SIGN_OFF, session)
    session = sessions.session_sign_off(actor=request.user, session=session)
    return _session_out(session, session.members.count())


@router.get(
    "/calibration-sessions/{int:session_id}/ninebox",
    response={200: NineBoxOut, **ERRORS},
    summary="The 9-box: performance (final grade in thirds) × potential",
)
def get_ninebox(request: HttpRequest, session_id: int) -> Any:
    session = _session(request, session_id)
    grid = sessions.ninebox(session)
    return {
        "grade_levels": grid.levels,
        "boxes": [
            {
                "performance": box.kind.performance,
                "potential": box.kind.potential,
                "label": box.kind.label,
                "term_zh": box.kind.zh,
                "people": [_person(r) for r in box.people],
            }
            for box in grid.boxes
        ],
        "potential_not_rated": [_person(r) for r in grid.unrated],
        "no_grade": [_person(r) for r in grid.ungraded],
    }

"""The monitor stage over the API: actuals (history, one value, idempotent batches,
file import) and team pace. Thin: parse, ask the policy, call a service or selector."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Header, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS, ImportOptions, ImportReportOut, require
from perfcycle.api.pagination import Page
from perfcycle.core.errors import ValidationFailed
from perfcycle.cycles.models import Cycle
from perfcycle.imports.tables import check_size
from perfcycle.monitoring import actuals, imports, pace
from perfcycle.monitoring.models import Actual
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal

router = Router(tags=["actuals"])


class ActualOut(Schema):
    id: int
    goal_id: int
    period: str
    period_start: dt.date
    value: Decimal
    note: str
    source: str
    entered_by: str | None
    entered_at: dt.datetime
    revision: int
    is_current: bool

    @staticmethod
    def resolve_entered_by(obj: Actual) -> str | None:
        return obj.entered_by.get_username() if obj.entered_by_id else None


class ActualHistoryOut(Schema):
    goal_id: int
    current_value: Decimal | None
    actuals: list[ActualOut] = Field(
        ..., description="Newest period first, revisions newest first."
    )


class ActualIn(Schema):
    period: str = Field(..., description="2026-10, 2026-W43, 2026-Q4, cycle, or a date.")
    value: Decimal
    note: str = Field("", max_length=500)


class RecordedOut(Schema):
    outcome: str = Field(..., description="created, revised or unchanged.")
    current_value: Decimal | None
    actual: ActualOut


class BatchItemIn(Schema):
    employee_number: str = ""
    goal_ref: str = Field("", description="Instead of employee_number, for any goal.")
    indicator_code: str = ""
    period: str
    value: Any = Field(..., description="A number (or numeric text).")
    note: str = ""


class BatchIn(Schema):
    cycle_id: int | None = Field(None, description="Defaults to the current open cycle.")
    items: list[BatchItemIn] = Field(..., max_length=5000)


class BatchItemOut(Schema):
    index: int
    goal_id: int
    period: str
    outcome: str
    actual_id: int
    revision: int


class BatchOut(Schema):
    key: str
    cycle_id: int
    created: int
    revised: int
    unchanged: int
    items: list[BatchItemOut]


class GoalPaceOut(Schema):
    goal_id: int
    title: str
    weight: Decimal
    expected: Decimal
    actual: Decimal | None
    status: str
    confidence: int | None


class PersonPaceOut(Schema):
    employee_id: int
    employee_number: str
    name: str
    expected: Decimal
    actual: Decimal | None
    status: str
    goals: list[GoalPaceOut]


class PaceFilters(Schema):
    manager_id: int | None = Field(None, description="Only this manager's team (subtree).")
    as_of: dt.date | None = None


def _goal(request: HttpRequest, goal_id: int) -> Goal:
    return get_visible_or_404(
        request.user,
        Action.ACTUAL_VIEW,
        Goal.objects.select_related("cycle", "employee", "department__head"),
        pk=goal_id,
    )


@router.get(
    "/goals/{int:goal_id}/actuals",
    response={200: ActualHistoryOut, **ERRORS},
    summary="A goal's actuals with every revision",
)
def list_actuals(request: HttpRequest, goal_id: int) -> Any:
    goal = _goal(request, goal_id)
    return {
        "goal_id": goal.pk,
        "current_value": goal.current_value,
        "actuals": actuals.actual_history(goal),
    }


@router.post(
    "/goals/{int:goal_id}/actuals",
    response={200: RecordedOut, 201: RecordedOut, **ERRORS},
    summary="Record one value (a different value for the same period is a new revision)",
)
def record_actual(request: HttpRequest, goal_id: int, payload: ActualIn) -> Any:
    goal = _goal(request, goal_id)
    require(request, Action.ACTUAL_ENTER, goal)
    written = actuals.actual_record(
        actor=request.user,
        goal=goal,
        period=payload.period,
        value=payload.value,
        note=payload.note,
        source="api",
    )
    status = 200 if written.outcome == actuals.Outcome.UNCHANGED else 201
    return status, {
        "outcome": written.outcome,
        "current_value": goal.current_value,
        "actual": written.actual,
    }


def _cycle(request: HttpRequest, cycle_id: int | None) -> Cycle:
    if cycle_id is None:
        found = Cycle.objects.current()
        if found is None:
            raise ValidationFailed(
                _("There is no open cycle; give cycle_id."),
                details={"fields": {"cycle_id": [_("There is no open cycle; give cycle_id.")]}},
            )
        return found
    return get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=cycle_id)


@router.post(
    "/actuals/batch",
    response={200: BatchOut, 201: BatchOut, **ERRORS},
    summary="Push many values at once (all-or-nothing, idempotent by key)",
    description=(
        "Send an `Idempotency-Key` header. The same key and payload again answers the "
        "stored response and writes nothing; the same key with another payload answers "
        "409. A batch with any bad item answers 422 with `details.errors` listing each "
        "bad item by index, and writes nothing."
    ),
)
def push_batch(
    request: HttpRequest,
    payload: BatchIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Any:
    require(request, Action.ACTUAL_IMPORT)
    if not idempotency_key.strip():
        raise ValidationFailed(
            _("Send an Idempotency-Key header."),
            code="idempotency_key",
            details={"fields": {"Idempotency-Key": [_("This header is required.")]}},
        )
    cycle = _cycle(request, payload.cycle_id)
    items = [item.dict() for item in payload.items]
    return imports.actuals_batch(actor=request.user, cycle=cycle, key=idempotency_key, items=items)


@router.post(
    "/cycles/{int:cycle_id}/actuals/import",
    response={200: ImportReportOut, **ERRORS},
    summary="Import actuals from CSV or XLSX into a cycle (all-or-nothing)",
)
def import_actuals(
    request: HttpRequest, cycle_id: int, options: Query[ImportOptions], file: File[UploadedFile]
) -> Any:
    require(request, Action.ACTUAL_IMPORT)
    cycle = _cycle(request, cycle_id)
    check_size(file.size or 0)
    report = imports.actuals_import(
        actor=request.user,
        cycle=cycle,
        data=file.read(),
        filename=file.name or "",
        dry_run=options.dry_run,
    )
    return report.as_dict()


@router.get(
    "/cycles/{int:cycle_id}/pace",
    response={200: list[PersonPaceOut], **ERRORS},
    summary="Team pace: people most behind first",
)
@paginate(Page)
def team_pace(request: HttpRequest, cycle_id: int, filters: Query[PaceFilters]) -> Any:
    require(request, Action.TEAM_MONITOR)
    cycle = _cycle(request, cycle_id)
    manager = None
    if filters.manager_id is not None:
        manager = get_visible_or_404(
            request.user, Action.EMPLOYEE_VIEW, Employee.objects, pk=filters.manager_id
        )
    rows = pace.team_pace(request.user, cycle, manager=manager, as_of=filters.as_of)
    return [
        {
            "employee_id": row.employee.pk,
            "employee_number": row.employee.employee_number,
            "name": row.employee.name,
            "expected": row.expected,
            "actual": row.actual,
            "status": row.status,
            "goals": [
                {
                    "goal_id": g.goal.pk,
                    "title": g.goal.title,
                    "weight": g.goal.weight,
                    "expected": g.expected,
                    "actual": g.actual,
                    "status": g.status,
                    "confidence": g.confidence,
                }
                for g in row.goals
            ],
        }
        for row in rows
    ]

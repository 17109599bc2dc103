"""Goal sheets and the agreement (双方确认): propose, approve, return, acknowledge, with
what changed since the last acknowledgement; the goals import."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS, ImportOptions, ImportReportOut, require
from perfcycle.api.pagination import Page, Rows
from perfcycle.api.planning.goals import GoalOut
from perfcycle.cycles.models import Cycle
from perfcycle.imports.tables import check_size
from perfcycle.planning import imports, selectors, services
from perfcycle.planning.models import GoalSheet, SheetStatus

router = Router(tags=["agreement"])
CENT = Decimal("0.01")


class SheetRowOut(Schema):
    employee_id: int
    employee_number: str
    employee_name: str
    department: str | None
    status: SheetStatus
    goal_count: int
    weight_total: Decimal
    sheet_id: int | None
    version: int | None


class FieldChangeOut(Schema):
    field: str
    before: Any = None
    after: Any = None


class SheetChangeOut(Schema):
    goal: str
    change: str = Field(..., description="added, removed or changed")
    fields: list[FieldChangeOut] = []


class AcknowledgementOut(Schema):
    id: int
    acknowledged_at: dt.datetime
    acknowledged_by_id: int
    sheet_version: int
    snapshot: dict[str, Any] = Field(..., description="Exactly what was acknowledged.")


class SheetGoalOut(GoalOut):
    progress: Decimal | None


class SheetOut(Schema):
    id: int
    cycle_id: int
    employee_id: int
    employee_number: str
    employee_name: str
    status: SheetStatus
    proposed_at: dt.datetime | None
    proposed_by_id: int | None
    approved_at: dt.datetime | None
    approved_by_id: int | None
    acknowledged_at: dt.datetime | None
    version: int
    weight_total: Decimal
    needs_acknowledgement: bool = Field(
        ..., description="Approved goals wait for the employee to acknowledge them."
    )
    goals: list[SheetGoalOut]
    acknowledgements: list[AcknowledgementOut] = Field(..., description="Newest first.")
    changes_since_acknowledgement: list[SheetChangeOut]


class SheetStepIn(Schema):
    version: int = Field(..., description="The version you read; a stale version answers 409.")


class SheetReturnIn(SheetStepIn):
    reason: str = Field(..., description="Why the goals go back to draft.")


class WeightsIn(SheetStepIn):
    weights: dict[int, Decimal] = Field(..., description="Goal id → weight in percent.")


class SheetFilters(Schema):
    status: SheetStatus | None = None


def _visible_sheet(request: HttpRequest, sheet_id: int) -> GoalSheet:
    return get_visible_or_404(
        request.user,
        Action.SHEET_VIEW,
        GoalSheet.objects.select_related("cycle", "employee"),
        pk=sheet_id,
    )


def _sheet_body(sheet: GoalSheet) -> dict[str, Any]:
    goals = selectors.employee_goals(sheet.cycle, sheet.employee)
    for goal, progress in goals:
        goal.progress = progress  # type: ignore[attr-defined]
    return {
        "id": sheet.pk,
        "cycle_id": sheet.cycle_id,
        "employee_id": sheet.employee_id,
        "employee_number": sheet.employee.employee_number,
        "employee_name": sheet.employee.name,
        "status": sheet.status,
        "proposed_at": sheet.proposed_at,
        "proposed_by_id": sheet.proposed_by_id,
        "approved_at": sheet.approved_at,
        "approved_by_id": sheet.approved_by_id,
        "acknowledged_at": sheet.acknowledged_at,
        "version": sheet.version,
        "weight_total": sum((g.weight for g, _p in goals), Decimal(0)).quantize(CENT),
        "needs_acknowledgement": sheet.status == SheetStatus.APPROVED,
        "goals": [g for g, _p in goals],
        "acknowledgements": list(sheet.acknowledgements.all()),
        "changes_since_acknowledgement": services.sheet_changes_since_acknowledgement(sheet),
    }


@router.get(
    "/cycles/{int:cycle_id}/sheets",
    response={200: list[SheetRowOut], **ERRORS},
    summary="Each participant you may see, with their agreement status",
)
@paginate(Page)
def list_sheets(request: HttpRequest, cycle_id: int, filters: Query[SheetFilters]) -> Any:
    cycle = get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=cycle_id)
    participants = selectors.team_participants(request.user, cycle, status=filters.status or "")
    return Rows(
        participants, lambda page: [_sheet_row_out(r) for r in selectors.sheet_rows(cycle, page)]
    )


def _sheet_row_out(row: selectors.SheetRow) -> dict[str, Any]:
    return {
        "employee_id": row.employee.pk,
        "employee_number": row.employee.employee_number,
        "employee_name": row.employee.name,
        "department": row.employee.department.name if row.employee.department else None,
        "status": row.status,
        "goal_count": row.goal_count,
        "weight_total": Decimal(row.weight_total).quantize(CENT),
        "sheet_id": row.sheet.pk if row.sheet else None,
        "version": row.sheet.version if row.sheet else None,
    }


@router.get(
    "/sheets/{int:sheet_id}",
    response={200: SheetOut, **ERRORS},
    summary="One person's goals in a cycle, their agreement and what changed since acknowledged",
)
def get_sheet(request: HttpRequest, sheet_id: int) -> Any:
    return _sheet_body(_visible_sheet(request, sheet_id))


def _step(request: HttpRequest, sheet_id: int, action: Action) -> GoalSheet:
    sheet = _visible_sheet(request, sheet_id)
    require(request, action, sheet)
    return sheet


@router.post(
    "/sheets/{int:sheet_id}/propose",
    response={200: SheetOut, **ERRORS},
    summary="Propose the goals (employee or manager); weights must total 100 %",
)
def propose_sheet(request: HttpRequest, sheet_id: int, payload: SheetStepIn) -> Any:
    sheet = _step(request, sheet_id, Action.SHEET_PROPOSE)
    services.sheet_propose(actor=request.user, sheet=sheet, expected_version=payload.version)
    return _sheet_body(_visible_sheet(request, sheet_id))


@router.post(
    "/sheets/{int:sheet_id}/approve",
    response={200: SheetOut, **ERRORS},
    summary="Approve proposed goals (manager or HR)",
)
def approve_sheet(request: HttpRequest, sheet_id: int, payload: SheetStepIn) -> Any:
    sheet = _step(request, sheet_id, Action.SHEET_APPROVE)
    services.sheet_approve(actor=request.user, sheet=sheet, expected_version=payload.version)
    return _sheet_body(_visible_sheet(request, sheet_id))


@router.post(
    "/sheets/{int:sheet_id}/return",
    response={200: SheetOut, **ERRORS},
    summary="Send goals back to draft, with a reason (manager or HR)",
)
def return_sheet(request: HttpRequest, sheet_id: int, payload: SheetReturnIn) -> Any:
    sheet = _step(request, sheet_id, Action.SHEET_RETURN)
    services.sheet_return(
        actor=request.user, sheet=sheet, reason=payload.reason, expected_version=payload.version
    )
    return _sheet_body(_visible_sheet(request, sheet_id))


@router.post(
    "/sheets/{int:sheet_id}/acknowledge",
    response={200: SheetOut, **ERRORS},
    summary="Acknowledge approved goals (the employee)",
)
def acknowledge_sheet(request: HttpRequest, sheet_id: int, payload: SheetStepIn) -> Any:
    sheet = _step(request, sheet_id, Action.SHEET_ACKNOWLEDGE)
    services.sheet_acknowledge(actor=request.user, sheet=sheet, expected_version=payload.version)
    return _sheet_body(_visible_sheet(request, sheet_id))


@router.put(
    "/sheets/{int:sheet_id}/weights",
    response={200: SheetOut, **ERRORS},
    summary="Change several goal weights at once",
)
def set_weights(request: HttpRequest, sheet_id: int, payload: WeightsIn) -> Any:
    sheet = _step(request, sheet_id, Action.GOAL_CHANGE)
    services.sheet_set_weights(
        actor=request.user, sheet=sheet, weights=payload.weights, expected_version=payload.version
    )
    return _sheet_body(_visible_sheet(request, sheet_id))


# Import ------------------------------------------------------------------------------


@router.post(
    "/cycles/{int:cycle_id}/goals/import",
    response={200: ImportReportOut, **ERRORS},
    summary="Import a cycle's goals from CSV or XLSX (HR, all-or-nothing)",
)
def import_goals(
    request: HttpRequest, cycle_id: int, options: Query[ImportOptions], file: File[UploadedFile]
) -> Any:
    cycle = get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=cycle_id)
    require(request, Action.GOAL_IMPORT, cycle)
    check_size(file.size or 0)
    report = imports.goals_import(
        actor=request.user,
        cycle=cycle,
        data=file.read(),
        filename=file.name or "",
        dry_run=options.dry_run,
    )
    return report.as_dict()

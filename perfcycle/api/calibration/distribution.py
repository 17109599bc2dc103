"""The distribution guideline and the distribution over the API: read and set the
cycle's calibration settings (HR, optimistic locking: a stale version answers 409), the
final grades against the guideline (HR: everyone; managers: their reporting line), and
preparing the results from the stored scores (HR)."""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from perfcycle.access.policy import Action, get_visible_or_404, require
from perfcycle.api.common import ERRORS
from perfcycle.calibration import distribution
from perfcycle.calibration.results import results_prepare
from perfcycle.calibration.views.distribution import visible_results
from perfcycle.cycles.models import Cycle

router = Router(tags=["distribution"])


class SettingsOut(Schema):
    cycle_id: int
    grades: list[str]
    shares: dict[str, Decimal]
    tolerance: Decimal
    strict: bool
    appeal_window_days: int
    appeal_decision_days: int
    version: int | None
    presets: dict[str, dict[str, Decimal]]


class SettingsIn(Schema):
    shares: dict[str, Decimal | None] | None = Field(
        None, description="Target share per grade code in percent; they total 100."
    )
    tolerance: Decimal | None = None
    strict: bool | None = None
    appeal_window_days: int | None = None
    appeal_decision_days: int | None = None
    version: int | None = Field(None, description="The version you read; stale answers 409.")


class GradeRowOut(Schema):
    code: str
    count: int
    share: Decimal
    target: Decimal | None
    deviation: Decimal | None
    off: bool


class GroupOut(Schema):
    department_id: int | None
    label: str
    total: int
    ungraded: int
    ok: bool
    off_grades: list[str]
    rows: list[GradeRowOut]


class DistributionOut(Schema):
    cycle_id: int
    has_guideline: bool
    tolerance: Decimal
    strict: bool
    overall: GroupOut
    departments: list[GroupOut]


class PrepareOut(Schema):
    created: int
    updated: int
    unchanged: int


def _cycle(request: HttpRequest, cycle_id: int) -> Cycle:
    return get_visible_or_404(
        request.user, Action.CYCLE_VIEW, Cycle.objects.select_related("grade_scale"), pk=cycle_id
    )


def _settings(cycle: Cycle) -> dict[str, Any]:
    current = distribution.settings_for(cycle)
    codes = distribution.grade_codes(cycle)
    return {
        "cycle_id": cycle.pk,
        "grades": codes,
        "shares": {k: Decimal(str(v)) for k, v in (current.shares or {}).items()},
        "tolerance": current.tolerance,
        "strict": current.strict,
        "appeal_window_days": current.appeal_window_days,
        "appeal_decision_days": current.appeal_decision_days,
        "version": current.version if current.pk else None,
        "presets": {p.key: p.shares for p in distribution.presets(codes)},
    }


@router.get(
    "/cycles/{int:cycle_id}/calibration-settings",
    response={200: SettingsOut, **ERRORS},
    summary="The cycle's distribution guideline and appeal rules (HR)",
)
def get_settings(request: HttpRequest, cycle_id: int) -> Any:
    cycle = _cycle(request, cycle_id)
    require(request, Action.CALIBRATION_SETTINGS)
    return _settings(cycle)


@router.put(
    "/cycles/{int:cycle_id}/calibration-settings",
    response={200: SettingsOut, **ERRORS},
    summary="Set the guideline (shares per grade total 100) and the appeal rules (HR)",
)
def put_settings(request: HttpRequest, cycle_id: int, payload: SettingsIn) -> Any:
    cycle = _cycle(request, cycle_id)
    require(request, Action.CALIBRATION_SETTINGS)
    values = payload.dict(exclude_unset=True)
    version = values.pop("version", None)
    distribution.settings_set(actor=request.user, cycle=cycle, expected_version=version, **values)
    return _settings(cycle)


def _group(department_id: int | None, check: distribution.DistributionCheck) -> dict[str, Any]:
    return {
        "department_id": department_id,
        "label": check.label,
        "total": check.total,
        "ungraded": check.ungraded,
        "ok": check.ok,
        "off_grades": [r.code for r in check.off],
        "rows": check.rows,
    }


@router.get(
    "/cycles/{int:cycle_id}/distribution",
    response={200: DistributionOut, **ERRORS},
    summary="Final grades per grade against the guideline, overall and per department",
)
def get_distribution(request: HttpRequest, cycle_id: int) -> Any:
    cycle = _cycle(request, cycle_id)
    require(request, Action.DISTRIBUTION_VIEW)
    found = distribution.overview(cycle, visible_results(request.user, cycle))
    return {
        "cycle_id": cycle.pk,
        "has_guideline": found.overall.has_guideline,
        "tolerance": found.settings.tolerance,
        "strict": found.settings.strict,
        "overall": _group(None, found.overall),
        "departments": [_group(pk, c) for pk, c in found.departments],
    }


@router.post(
    "/cycles/{int:cycle_id}/results/prepare",
    response={200: PrepareOut, **ERRORS},
    summary="Make or refresh each person's result from the stored scores (HR)",
)
def prepare_results(request: HttpRequest, cycle_id: int) -> Any:
    cycle = _cycle(request, cycle_id)
    require(request, Action.SESSION_MANAGE)
    return results_prepare(actor=request.user, cycle=cycle).as_dict()

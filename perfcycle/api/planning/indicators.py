"""The indicator library (指标库), its one-step assignment, and the ad-hoc what-if score."""

from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404, scope
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page
from perfcycle.api.planning.common import (
    ScoreOut,
    ScoringIn,
    ScoringOut,
    ScoringPreviewIn,
    api_field_names,
    blank_text,
    cycle_ref,
    department_ref,
    goal_ref,
    invalid,
    score_out,
)
from perfcycle.cycles.services import participants_query
from perfcycle.planning import services
from perfcycle.planning.models import Indicator
from perfcycle.planning.scoring import Rule, Standard

router = Router(tags=["indicators"])


@router.post(
    "/scoring/preview",
    response={200: ScoreOut, **ERRORS},
    summary="What-if: the score a hypothetical actual would earn under a standard and rule",
)
def scoring_preview(request: HttpRequest, payload: ScoringPreviewIn) -> Any:
    rule = Rule(
        type=payload.rule_type,
        floor=payload.rule_floor,
        cap=payload.rule_cap,
        threshold_points=payload.threshold_points,
        bands=tuple(payload.bands),
    )
    standard = Standard(
        target=payload.target,
        direction=payload.direction,
        baseline=payload.baseline,
        threshold=payload.threshold,
        stretch=payload.stretch,
    )
    return score_out(rule, standard, payload.actual)


class IndicatorOut(ScoringOut):
    id: int
    code: str
    name: str
    description: str
    job_family: str
    is_active: bool
    version: int


class IndicatorIn(ScoringIn):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=120)
    description: str = ""
    job_family: str = Field("", max_length=64)
    is_active: bool = True


class IndicatorPatch(ScoringIn):
    version: int = Field(..., description="The version you read; a stale version answers 409.")
    code: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=120)
    description: str | None = None
    job_family: str | None = Field(None, max_length=64)
    is_active: bool | None = None


class IndicatorFilters(Schema):
    search: str = ""
    job_family: str = ""
    active: bool | None = None


class OverrideIn(Schema):
    target: Decimal | None = None
    threshold: Decimal | None = None
    stretch: Decimal | None = None
    baseline: Decimal | None = None
    weight: Decimal | None = None


class AssignIn(Schema):
    cycle_id: int
    target: Decimal
    weight: Decimal = Field(..., ge=0, le=100)
    threshold: Decimal | None = None
    stretch: Decimal | None = None
    baseline: Decimal | None = None
    title: str = Field("", max_length=200, description="Defaults to the indicator's name.")
    parent_goal_id: int | None = Field(None, description="The goal these goals align to.")
    department_id: int | None = Field(None, description="Everyone in it and its sub-departments.")
    job_family: str = ""
    employee_numbers: list[str] = []
    overrides: dict[str, OverrideIn] = Field(
        {}, description="Per employee number, the values that differ for them."
    )


class AssignOut(Schema):
    assigned: int = Field(..., description="How many people the selection named.")
    created: int
    updated: int
    unchanged: int
    skipped: list[str] = Field(..., description="People whose goals are no longer a draft.")


@router.get("/indicators", response=list[IndicatorOut], summary="The indicator library")
@paginate(Page)
def list_indicators(request: HttpRequest, filters: Query[IndicatorFilters]) -> Any:
    require(request, Action.INDICATOR_VIEW)
    qs = Indicator.objects.all()
    if filters.search:
        qs = qs.filter(Q(name__icontains=filters.search) | Q(code__icontains=filters.search))
    if filters.job_family:
        qs = qs.filter(job_family=filters.job_family)
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    return qs.order_by("job_family", "code")


@router.get("/indicators/{int:indicator_id}", response={200: IndicatorOut, **ERRORS})
def get_indicator(request: HttpRequest, indicator_id: int) -> Any:
    return get_visible_or_404(
        request.user, Action.INDICATOR_VIEW, Indicator.objects, pk=indicator_id
    )


@router.post("/indicators", response={201: IndicatorOut, **ERRORS}, summary="Add an indicator (HR)")
def create_indicator(request: HttpRequest, payload: IndicatorIn) -> Any:
    require(request, Action.INDICATOR_MANAGE)
    data = blank_text({k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None})
    indicator = services.indicator_create(
        actor=request.user, code=data.pop("code"), name=data.pop("name"), **data
    )
    return 201, Indicator.objects.get(pk=indicator.pk)


@router.patch("/indicators/{int:indicator_id}", response={200: IndicatorOut, **ERRORS})
def update_indicator(request: HttpRequest, indicator_id: int, payload: IndicatorPatch) -> Any:
    indicator = get_visible_or_404(
        request.user, Action.INDICATOR_VIEW, Indicator.objects, pk=indicator_id
    )
    require(request, Action.INDICATOR_MANAGE, indicator)
    data = blank_text(payload.dict(exclude_unset=True))
    version = data.pop("version")
    services.indicator_update(
        actor=request.user, indicator=indicator, expected_version=version, **data
    )
    return Indicator.objects.get(pk=indicator_id)


@router.post(
    "/indicators/{int:indicator_id}/assign",
    response={200: AssignOut, **ERRORS},
    summary="Give an indicator with a target to a whole department, job family or list",
    description=(
        "One step for a team: everyone selected who takes part in the cycle and whom you "
        "may see gets a goal from the indicator (a manager assigns within their reporting "
        "line, HR anyone). `overrides` change values per person. People who already hold "
        "the indicator in the cycle have their goal updated; people whose goals are no "
        "longer a draft are skipped and listed. All-or-nothing."
    ),
)
def assign_indicator(request: HttpRequest, indicator_id: int, payload: AssignIn) -> Any:
    indicator = get_visible_or_404(
        request.user, Action.INDICATOR_VIEW, Indicator.objects, pk=indicator_id
    )
    require(request, Action.INDICATOR_ASSIGN, indicator)
    cycle = cycle_ref(request, payload.cycle_id)
    department = department_ref(payload.department_id, "department_id")
    numbers = sorted({n.strip() for n in payload.employee_numbers if n.strip()})
    family = payload.job_family.strip()
    if department is None and not family and not numbers:
        raise invalid(
            "department_id", _("Choose a department, a job family or people to assign to.")
        )
    chosen = participants_query(
        department_ids=[department.pk] if department else [],
        job_families=[family] if family else [],
        employee_numbers=numbers,
    ).filter(Q(cycle_participations__cycle=cycle) | Q(employee_number__in=numbers))
    assignees = list(scope(request.user, Action.EMPLOYEE_VIEW, chosen).order_by("pk"))
    found = {e.employee_number for e in assignees}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise invalid(
            "employee_numbers",
            _("Unknown employee numbers: %(numbers)s") % {"numbers": ", ".join(missing)},
        )
    if not assignees:
        raise invalid(
            "department_id",
            _("Nobody you may assign to in this selection takes part in the cycle."),
        )
    overrides = {
        number: values.dict(exclude_unset=True) for number, values in payload.overrides.items()
    }
    with api_field_names():
        result = services.indicator_assign(
            actor=request.user,
            cycle=cycle,
            indicator=indicator,
            target=payload.target,
            weight=payload.weight,
            assignees=assignees,
            threshold=payload.threshold,
            stretch=payload.stretch,
            baseline=payload.baseline,
            title=payload.title.strip(),
            parent=goal_ref(request, payload.parent_goal_id, "parent_goal_id"),
            overrides=overrides,
        )
    return {"assigned": len(assignees), **result}

"""What the plan stage's API modules share: references in request bodies, field names
in errors, the scoring schemas and the score preview body."""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema

from perfcycle.access.policy import Action, may
from perfcycle.core.errors import ValidationFailed
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Department, Employee
from perfcycle.planning.models import AMOUNT, POINTS, Goal, Indicator, MeasurementPeriod
from perfcycle.planning.scoring import (
    Aggregation,
    Direction,
    Rule,
    RuleType,
    Standard,
    check_standard,
    score,
)

# A value and points as a goal stores them (and the pages' forms take them): the score
# preview stores nothing, so its input is bounded here (a far larger one overflowed the
# score's rounding with a server error).
Amount = Annotated[Decimal, Field(**AMOUNT)]
Points = Annotated[Decimal, Field(**POINTS)]

# Service field names → the names this API takes, so that ``details.fields`` names what
# the client sent.
API_FIELDS = {
    "employee": "employee_id",
    "department": "department_id",
    "parent": "parent_id",
    "indicator": "indicator_id",
    "owner": "owner_id",
    "assignees": "employee_numbers",
}


@contextmanager
def api_field_names() -> Iterator[None]:
    try:
        yield
    except ValidationFailed as exc:
        fields = (exc.details or {}).get("fields") if isinstance(exc.details, dict) else None
        if fields:
            exc.details["fields"] = {API_FIELDS.get(k, k): v for k, v in fields.items()}
        raise


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"fields": {field: [message]}})


def cycle_ref(request: HttpRequest, pk: int, field: str = "cycle_id") -> Cycle:
    found = Cycle.objects.filter(pk=pk).first()
    if found is None or not may(request.user, Action.CYCLE_VIEW, found):
        raise invalid(field, _("Unknown cycle."))
    return found


def employee_ref(request: HttpRequest, pk: int | None, field: str) -> Employee | None:
    """An employee named in a request body; one the caller may not see is unknown."""
    if pk is None:
        return None
    found = Employee.objects.filter(pk=pk).first()
    if found is None or not may(request.user, Action.EMPLOYEE_VIEW, found):
        raise invalid(field, _("Unknown employee."))
    return found


def department_ref(pk: int | None, field: str) -> Department | None:
    if pk is None:
        return None
    found = Department.objects.select_related("head").filter(pk=pk).first()
    if found is None:
        raise invalid(field, _("Unknown department."))
    return found


def indicator_ref(pk: int | None, field: str = "indicator_id") -> Indicator | None:
    if pk is None:
        return None
    found = Indicator.objects.filter(pk=pk).first()
    if found is None:
        raise invalid(field, _("Unknown indicator."))
    return found


def goal_ref(request: HttpRequest, pk: int | None, field: str) -> Goal | None:
    if pk is None:
        return None
    found = Goal.objects.select_related("employee", "department__head").filter(pk=pk).first()
    if found is None or not may(request.user, Action.GOAL_VIEW, found):
        raise invalid(field, _("Unknown goal."))
    return found


def _bands(bands: list[tuple[Decimal, Decimal]]) -> list[list[int | float]]:
    """Score bands as JSON numbers, the way the model stores them."""

    def number(value: Decimal) -> int | float:
        return int(value) if value == value.to_integral_value() else float(value)

    return [[number(low), number(points)] for low, points in bands]


TEXT_FIELDS = frozenset(
    {"description", "unit", "calculation_method", "quality_conditions", "data_source", "ref"}
)


def blank_text(data: dict[str, Any]) -> dict[str, Any]:
    """A text field sent as null means empty text."""
    for name in TEXT_FIELDS & set(data):
        if data[name] is None:
            data[name] = ""
    if data.get("bands") is not None:
        data["bands"] = _bands(data["bands"])
    elif "bands" in data:
        data["bands"] = []
    return data


# Schemas shared by indicators and goals ---------------------------------------------


class ScoringOut(Schema):
    unit: str
    direction: Direction
    measurement_period: MeasurementPeriod
    aggregation: Aggregation
    calculation_method: str
    quality_conditions: str
    data_source: str
    allow_negative: bool
    rule_type: RuleType
    rule_floor: Decimal
    rule_cap: Decimal
    threshold_points: Decimal
    bands: list[tuple[Decimal, Decimal]] = Field(
        ..., description="Pairs of [attainment from %, points]."
    )


class ScoringIn(Schema):
    """Optional scoring fields: left out, they come from the indicator or the defaults."""

    unit: str | None = Field(None, max_length=32)
    direction: Direction | None = None
    measurement_period: MeasurementPeriod | None = None
    aggregation: Aggregation | None = None
    calculation_method: str | None = None
    quality_conditions: str | None = None
    data_source: str | None = Field(None, max_length=200)
    allow_negative: bool | None = None
    rule_type: RuleType | None = None
    rule_floor: Decimal | None = None
    rule_cap: Decimal | None = None
    threshold_points: Decimal | None = None
    bands: list[tuple[Decimal, Decimal]] | None = Field(
        None, description="Pairs of [attainment from %, points] for a banded rule."
    )


class ScoreOut(Schema):
    points: Decimal
    attainment: Decimal | None = Field(..., description="Percent of the target reached.")
    steps: list[str] = Field(..., description="How the points were reached.")
    problems: dict[str, str] = Field(
        {}, description="Inconsistencies of the standard or rule, by field."
    )


class WhatIfActualIn(Schema):
    actual: Amount = Field(..., description="A hypothetical actual for the what-if.")


class ScoringPreviewIn(Schema):
    actual: Amount
    target: Amount
    direction: Direction = Direction.HIGHER
    baseline: Amount | None = None
    threshold: Amount | None = None
    stretch: Amount | None = None
    rule_type: RuleType = RuleType.LINEAR
    rule_floor: Points = Decimal(0)
    rule_cap: Points = Decimal(120)
    threshold_points: Points = Decimal(60)
    bands: list[tuple[Amount, Points]] = []


def score_out(rule: Rule, standard: Standard, actual: Decimal) -> dict[str, Any]:
    result = score(rule, standard, actual)
    return {
        "points": result.points,
        "attainment": result.attainment,
        "steps": list(result.steps),
        "problems": check_standard(standard, rule),
    }

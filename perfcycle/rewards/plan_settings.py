"""A bonus plan's settings, checked in one place: creating a plan and changing it go
through ``plan_values``, and write them with ``apply_values``/``write_settings``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from perfcycle.audit.services import snapshot
from perfcycle.core.errors import DomainError
from perfcycle.core.validation import field_error
from perfcycle.cycles.models import Cycle
from perfcycle.monitoring.models import Course
from perfcycle.org.models import Department
from perfcycle.rewards import allocation
from perfcycle.rewards.models import BonusPlan, Method, PlanDepartment, TrainingRule


def money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise field_error(field, _("Enter a number.")) from exc
    if not amount.is_finite():
        raise field_error(field, _("Enter a number."))
    if amount < 0:
        raise field_error(field, _("This may not be negative."), code="negative")
    return amount


def cycle_grades(cycle: Cycle) -> list[str]:
    """The grade codes of the cycle's scale, best first."""
    if cycle.grade_scale_id is None:
        raise DomainError(
            _("The cycle has no grade scale: give it one before planning bonuses."),
            code="no_grade_scale",
        )
    return list(cycle.grade_scale.bands.values_list("code", flat=True))


@dataclass(frozen=True)
class DepartmentInput:
    department: Department
    coefficient: Decimal = Decimal(1)
    pool: Decimal | None = None


@dataclass(frozen=True)
class PlanValues:
    """A plan's settings once checked; what ``plan_create`` and ``plan_update`` write."""

    name: str
    method: str
    budget: Decimal
    currency: str
    rounding_unit: Decimal
    adjustment_band: Decimal
    grade_coefficients: dict[str, str]
    departments: list[DepartmentInput]
    training_rule: str
    required_courses: list[Course]
    training_factor: Decimal
    training_deadline: dt.date | None


def _factor(value: Any) -> Decimal:
    try:
        factor = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise field_error("training_factor", _("Enter a number.")) from exc
    if not factor.is_finite() or factor <= 0:
        raise field_error(
            "training_factor", _("The training factor must be greater than 0."), code="bad_factor"
        )
    if factor != factor.quantize(Decimal("0.001")) or factor >= 1000:
        raise field_error(
            "training_factor",
            _("Use a factor below 1000 with at most three decimal places."),
            code="bad_factor",
        )
    return factor


def plan_values(
    *,
    cycle: Cycle,
    name: str,
    method: str,
    budget: Any,
    grade_coefficients: dict[str, Any],
    currency: str = "CNY",
    rounding_unit: Any = Decimal("0.01"),
    adjustment_band: Any = Decimal(10),
    departments: Iterable[DepartmentInput] = (),
    training_rule: str = TrainingRule.NONE,
    required_courses: Iterable[Course] = (),
    training_factor: Any = Decimal(1),
    training_deadline: dt.date | None = None,
) -> PlanValues:
    """Check a plan's settings, the one place both creating and editing go through. The
    coefficient table must name every grade of the cycle's scale; the budget (and each
    pool) is a multiple of the rounding unit; a training rule needs required courses."""
    if method not in Method.values:
        raise field_error("method", _("Choose a method."))
    budget = money(budget, "budget")
    unit = money(rounding_unit, "rounding_unit")
    if unit <= 0:
        raise field_error("rounding_unit", _("The rounding unit must be positive."))
    if budget % unit:
        raise field_error(
            "budget",
            _("The budget must be a multiple of the rounding unit %(unit)s.") % {"unit": unit},
            code="not_a_multiple",
        )
    band = money(adjustment_band, "adjustment_band")
    coefficients = allocation.parse_coefficients(grade_coefficients or {}, cycle_grades(cycle))
    rows = list(departments)
    seen: set[int] = set()
    for row in rows:
        if row.department.pk in seen:
            raise field_error(
                "departments",
                _("%(name)s is listed twice.") % {"name": row.department.name},
            )
        seen.add(row.department.pk)
        if row.coefficient < 0:
            raise field_error("departments", _("A department coefficient may not be negative."))
        if method == Method.POOL:
            if row.pool is None:
                raise field_error(
                    "departments",
                    _("Give %(name)s a pool.") % {"name": row.department.name},
                )
            if row.pool < 0 or row.pool % unit:
                raise field_error(
                    "departments",
                    _("The pool of %(name)s must be a non-negative multiple of %(unit)s.")
                    % {"name": row.department.name, "unit": unit},
                )
    if method == Method.POOL:
        if not rows:
            raise field_error("departments", _("The pool method needs department pools."))
        if sum((r.pool or Decimal(0) for r in rows), Decimal(0)) > budget:
            raise field_error(
                "departments",
                _("The department pools add up to more than the budget."),
                code="pools_over_budget",
            )
    if training_rule not in TrainingRule.values:
        raise field_error("training_rule", _("Choose a training rule."))
    courses = list({c.pk: c for c in required_courses}.values())
    factor = _factor(training_factor)
    if training_rule != TrainingRule.NONE and not courses:
        raise field_error(
            "required_courses",
            _("Choose the courses people must complete for this training rule."),
            code="no_courses",
        )
    return PlanValues(
        name=(name or "").strip(),
        method=method,
        budget=budget,
        currency=(currency or "CNY").strip().upper(),
        rounding_unit=unit,
        adjustment_band=band,
        grade_coefficients={k: str(v) for k, v in coefficients.items()},
        departments=rows,
        training_rule=training_rule,
        required_courses=courses if training_rule != TrainingRule.NONE else [],
        training_factor=factor if training_rule == TrainingRule.FACTOR else Decimal(1),
        training_deadline=training_deadline if training_rule != TrainingRule.NONE else None,
    )


PLAN_FIELDS = [
    "name",
    "method",
    "budget",
    "currency",
    "rounding_unit",
    "adjustment_band",
    "grade_coefficients",
    "training_rule",
    "training_factor",
    "training_deadline",
]


def apply_values(plan: BonusPlan, values: PlanValues) -> None:
    for name in PLAN_FIELDS:
        setattr(plan, name, getattr(values, name))


def write_settings(plan: BonusPlan, values: PlanValues) -> None:
    """Replace the plan's department rows and required courses with ``values``'."""
    PlanDepartment.objects.filter(plan=plan).delete()
    PlanDepartment.objects.bulk_create(
        [
            PlanDepartment(
                plan=plan,
                department=r.department,
                coefficient=r.coefficient,
                pool=r.pool if values.method == Method.POOL else None,
            )
            for r in values.departments
        ]
    )
    plan.required_courses.set(values.required_courses)


def plan_snapshot(plan: BonusPlan) -> dict[str, Any]:
    """The plan with its department rows and required courses, for the audit trail."""
    return {
        **snapshot(plan),
        "departments": [
            {
                "department": d.department_id,
                "coefficient": str(d.coefficient),
                "pool": None if d.pool is None else str(d.pool),
            }
            for d in PlanDepartment.objects.filter(plan=plan).order_by("department_id")
        ],
        "required_courses": sorted(plan.required_courses.values_list("pk", flat=True)),
    }

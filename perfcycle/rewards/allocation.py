"""The arithmetic of a bonus plan, as pure functions on ``Decimal`` (no database).

Two methods:

- ``target``: each person's target bonus × grade coefficient × department coefficient ×
  training factor; when the total exceeds the budget every amount is scaled by
  budget ÷ total.
- ``pool``: each department's pool is shared in proportion to base pay × grade
  coefficient × department coefficient × training factor.

The training factor is the caller's per person (1 when training does not count).

Then amounts are rounded to the plan's unit by the largest-remainder method, so the
rounded total is exactly the scaled total (the budget, or a department's pool) rounded
down to the unit; what rounding could not place is reported as the remainder. Scaling is
done with exact fractions, so the result is deterministic and never exceeds the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from perfcycle.core.errors import ValidationFailed

ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(frozen=True)
class Person:
    """One person going into the allocation, in a stable order (``key`` breaks ties)."""

    key: int
    grade: str
    base: Decimal
    target: Decimal | None
    department: int | None
    training_factor: Decimal = ONE


@dataclass(frozen=True)
class Allocated:
    key: int
    grade: str
    base: Decimal
    target: Decimal | None
    department: int | None
    grade_coefficient: Decimal
    department_coefficient: Decimal
    training_factor: Decimal
    raw: Decimal  # before scaling (target method) or the weight share (pool method)
    scale: Decimal
    amount: Decimal  # rounded


@dataclass(frozen=True)
class Allocation:
    lines: list[Allocated]
    total: Decimal
    raw_total: Decimal
    remainder: Decimal
    scaled: bool


def parse_coefficients(table: dict[str, object], grades: Sequence[str]) -> dict[str, Decimal]:
    """The grade → coefficient table as Decimals; every grade of the scale is required and
    no coefficient may be negative."""
    errors: dict[str, str] = {}
    out: dict[str, Decimal] = {}
    for grade in grades:
        if grade not in table or table[grade] in (None, ""):
            errors[grade] = _("The coefficient for grade %(grade)s is missing.") % {"grade": grade}
            continue
        try:
            value = Decimal(str(table[grade]).strip())
        except ArithmeticError:
            errors[grade] = _("The coefficient for grade %(grade)s is not a number.") % {
                "grade": grade
            }
            continue
        if not value.is_finite() or value < 0:
            errors[grade] = _("The coefficient for grade %(grade)s may not be negative.") % {
                "grade": grade
            }
            continue
        out[grade] = value
    if errors:
        raise ValidationFailed(
            " ".join(errors.values()), code="bad_coefficients", details={"grades": errors}
        )
    return out


def largest_remainder(
    values: Sequence[Fraction | Decimal], unit: Decimal, total: Fraction | Decimal
) -> list[Decimal]:
    """Round ``values`` to multiples of ``unit`` so that they add up to ``total`` rounded
    down to the unit: everyone gets the rounded-down amount, then one more unit goes to
    the largest remainders (ties: the earlier value). ``total`` must be ≥ sum(values)
    rounded down, and ≤ sum(values)."""
    u = Fraction(unit)
    exact = [Fraction(v) for v in values]
    units = [v // u for v in exact]
    target_units = Fraction(total) // u
    extra = int(target_units - sum(units))
    order = sorted(range(len(values)), key=lambda i: (-(exact[i] - units[i] * u), i))
    for i in order[: max(extra, 0)]:
        units[i] += 1
    return [(Decimal(int(n)) * unit).quantize(unit) for n in units]


def _decimal(value: Fraction, places: str) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(places), rounding=ROUND_HALF_EVEN
    )


def _check_money(value: Decimal, unit: Decimal, what: str) -> None:
    if value < 0:
        raise ValidationFailed(_("%(what)s may not be negative.") % {"what": what}, code="negative")
    if unit <= 0:
        raise ValidationFailed(_("The rounding unit must be positive."), code="bad_unit")
    if value % unit != 0:
        raise ValidationFailed(
            _("%(what)s must be a multiple of the rounding unit %(unit)s.")
            % {"what": what, "unit": unit},
            code="not_a_multiple",
        )


def allocate_target(
    people: Sequence[Person],
    *,
    budget: Decimal,
    unit: Decimal,
    coefficients: dict[str, Decimal],
    department_coefficients: dict[int | None, Decimal],
) -> Allocation:
    """The target method. People without a target get nothing (the caller excludes them)."""
    _check_money(budget, unit, _("The budget"))
    raws: list[Fraction] = []
    for p in people:
        target = p.target or ZERO
        raws.append(
            Fraction(target)
            * Fraction(coefficients[p.grade])
            * Fraction(department_coefficients.get(p.department, ONE))
            * Fraction(p.training_factor)
        )
    raw_total = sum(raws, Fraction(0))
    scaled = raw_total > Fraction(budget)
    factor = Fraction(budget) / raw_total if scaled else Fraction(1)
    values = [r * factor for r in raws]
    goal = Fraction(budget) if scaled else raw_total
    amounts = largest_remainder(values, unit, goal)
    total = sum(amounts, ZERO)
    lines = [
        Allocated(
            key=p.key,
            grade=p.grade,
            base=p.base,
            target=p.target,
            department=p.department,
            grade_coefficient=coefficients[p.grade],
            department_coefficient=department_coefficients.get(p.department, ONE),
            training_factor=p.training_factor,
            raw=_decimal(r, "0.000001"),
            scale=_decimal(factor, "0.0000000001"),
            amount=a,
        )
        for p, r, a in zip(people, raws, amounts, strict=True)
    ]
    return Allocation(
        lines=lines,
        total=total,
        raw_total=_decimal(raw_total, "0.000001"),
        remainder=_decimal(goal - Fraction(total), "0.000001"),
        scaled=scaled,
    )


def allocate_pool(
    people: Sequence[Person],
    *,
    budget: Decimal,
    unit: Decimal,
    coefficients: dict[str, Decimal],
    department_coefficients: dict[int | None, Decimal],
    pools: dict[int | None, Decimal],
) -> Allocation:
    """The pool method: each department's pool shared by base × coefficients. Every
    person's department must have a pool (the caller excludes the others); the pools
    together may not exceed the budget."""
    _check_money(budget, unit, _("The budget"))
    for pool in pools.values():
        _check_money(pool, unit, _("A department's pool"))
    if sum(pools.values(), ZERO) > budget:
        raise ValidationFailed(
            _("The department pools add up to more than the budget."), code="pools_over_budget"
        )
    by_department: dict[int | None, list[int]] = {}
    for i, p in enumerate(people):
        by_department.setdefault(p.department, []).append(i)
    weights = [
        Fraction(p.base)
        * Fraction(coefficients[p.grade])
        * Fraction(department_coefficients.get(p.department, ONE))
        * Fraction(p.training_factor)
        for p in people
    ]
    amounts: list[Decimal] = [ZERO] * len(people)
    shares: list[Fraction] = [Fraction(0)] * len(people)
    remainder = Fraction(0)
    for department, members in by_department.items():
        pool = Fraction(pools[department])
        weight_total = sum((weights[i] for i in members), Fraction(0))
        if weight_total == 0:
            remainder += pool
            continue
        values = [pool * weights[i] / weight_total for i in members]
        for i in members:
            shares[i] = weights[i] / weight_total
        for i, amount in zip(members, largest_remainder(values, unit, pool), strict=True):
            amounts[i] = amount
        remainder += pool - Fraction(sum((amounts[i] for i in members), ZERO))
    # Pools of departments nobody in the plan belongs to are not spent either.
    remainder += sum((Fraction(v) for d, v in pools.items() if d not in by_department), Fraction(0))
    lines = [
        Allocated(
            key=p.key,
            grade=p.grade,
            base=p.base,
            target=p.target,
            department=p.department,
            grade_coefficient=coefficients[p.grade],
            department_coefficient=department_coefficients.get(p.department, ONE),
            training_factor=p.training_factor,
            raw=_decimal(w, "0.000001"),
            scale=_decimal(s, "0.0000000001"),
            amount=a,
        )
        for p, w, s, a in zip(people, weights, shares, amounts, strict=True)
    ]
    return Allocation(
        lines=lines,
        total=sum(amounts, ZERO),
        raw_total=_decimal(sum(weights, Fraction(0)), "0.000001"),
        remainder=_decimal(remainder, "0.000001"),
        scaled=True,
    )

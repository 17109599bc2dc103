"""The arithmetic of bonus plans: examples worked by hand, then properties (Hypothesis)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfcycle.core.errors import ValidationFailed
from perfcycle.rewards.allocation import (
    Person,
    allocate_pool,
    allocate_target,
    largest_remainder,
    parse_coefficients,
)

COEF = {"S": D("1.5"), "A": D("1.2"), "B": D("1"), "C": D("0.5"), "D": D("0")}


def person(key, grade, target, base=D(10000), department=1):
    return Person(key=key, grade=grade, base=base, target=target, department=department)


def test_under_budget_everyone_gets_target_times_coefficients():
    people = [person(1, "S", D(1000)), person(2, "B", D(1000)), person(3, "D", D(1000))]
    result = allocate_target(
        people,
        budget=D(10000),
        unit=D("0.01"),
        coefficients=COEF,
        department_coefficients={1: D("1.1")},
    )
    assert [a.amount for a in result.lines] == [D("1650.00"), D("1100.00"), D("0.00")]
    assert not result.scaled
    assert result.total == D("2750.00")
    assert result.remainder == 0


def test_over_budget_scales_and_lands_exactly_on_the_budget():
    people = [person(i, "A", D(1000)) for i in range(1, 4)]  # 3 × 1200 = 3600
    result = allocate_target(
        people, budget=D(1000), unit=D("0.01"), coefficients=COEF, department_coefficients={}
    )
    assert result.scaled
    assert result.total == D(1000)
    # 333.333… each: the extra cent goes to the first (ties by order).
    assert [a.amount for a in result.lines] == [D("333.34"), D("333.33"), D("333.33")]
    assert result.lines[0].scale == D("0.2777777778")


def test_whole_yuan_rounding_uses_largest_remainders():
    assert largest_remainder([D("1.6"), D("1.3"), D("1.1")], D(1), D(4)) == [D(2), D(1), D(1)]


def test_pool_shares_each_department_pool_by_base_times_coefficient():
    people = [
        person(1, "S", None, base=D(20000), department=1),
        person(2, "B", None, base=D(10000), department=1),
        person(3, "C", None, base=D(10000), department=2),
    ]
    result = allocate_pool(
        people,
        budget=D(10000),
        unit=D(1),
        coefficients=COEF,
        department_coefficients={},
        pools={1: D(4000), 2: D(3000)},
    )
    # weights 30000 and 10000 share 4000 → 3000 and 1000; alone in department 2 → 3000.
    assert [a.amount for a in result.lines] == [D(3000), D(1000), D(3000)]
    assert result.total == D(7000)


def test_pools_over_the_budget_are_refused():
    with pytest.raises(ValidationFailed):
        allocate_pool(
            [person(1, "B", None)],
            budget=D(100),
            unit=D(1),
            coefficients=COEF,
            department_coefficients={},
            pools={1: D(200)},
        )


def test_the_coefficient_table_must_name_every_grade():
    with pytest.raises(ValidationFailed) as err:
        parse_coefficients({"S": "1.5", "A": "1.2", "B": "1"}, ["S", "A", "B", "C", "D"])
    assert "grade C" in err.value.message and "grade D" in err.value.message
    assert set(err.value.details["grades"]) == {"C", "D"}


def test_negative_coefficients_and_budgets_are_refused():
    with pytest.raises(ValidationFailed):
        parse_coefficients({"S": "-1"}, ["S"])
    with pytest.raises(ValidationFailed):
        allocate_target([], budget=D(-1), unit=D(1), coefficients={}, department_coefficients={})


def test_a_budget_off_the_unit_is_refused():
    with pytest.raises(ValidationFailed):
        allocate_target(
            [], budget=D("10.5"), unit=D(1), coefficients={}, department_coefficients={}
        )


# --- Properties ------------------------------------------------------------------------------

units = st.sampled_from([D("0.01"), D(1), D(100)])
money = st.integers(min_value=0, max_value=5_000_000).map(lambda n: D(n) / 100)
grades = st.sampled_from(list(COEF))
people_strategy = st.lists(
    st.tuples(grades, money, st.integers(min_value=1, max_value=3)), min_size=0, max_size=40
)
dept_coefs = st.fixed_dictionaries(
    {d: st.integers(min_value=0, max_value=300).map(lambda n: D(n) / 100) for d in (1, 2, 3)}
)


def build(rows):
    return [person(i, g, t, department=d) for i, (g, t, d) in enumerate(rows, start=1)]


@given(people_strategy, st.integers(min_value=0, max_value=10_000), units, dept_coefs)
def test_target_properties(rows, budget_units, unit, dcoefs):
    budget = D(budget_units) * unit
    people = build(rows)
    kwargs = {
        "budget": budget,
        "unit": unit,
        "coefficients": COEF,
        "department_coefficients": dcoefs,
    }
    result = allocate_target(people, **kwargs)
    amounts = [a.amount for a in result.lines]
    assert all(a >= 0 for a in amounts)
    assert all(a % unit == 0 for a in amounts)
    assert sum(amounts, D(0)) == result.total <= budget
    if result.scaled:
        assert result.total == budget
    else:
        # Rounded down to the unit, never more than one unit short of the raw total.
        assert result.raw_total - unit < result.total <= result.raw_total
    assert result.total + result.remainder == (budget if result.scaled else result.raw_total)
    again = allocate_target(people, **kwargs)
    assert [a.amount for a in again.lines] == amounts


@given(people_strategy, st.lists(st.integers(0, 1000), min_size=3, max_size=3), units, dept_coefs)
def test_pool_properties(rows, pool_units, unit, dcoefs):
    pools = {d: D(n) * unit for d, n in zip((1, 2, 3), pool_units, strict=True)}
    budget = sum(pools.values(), D(0)) + unit
    people = build(rows)
    result = allocate_pool(
        people,
        budget=budget,
        unit=unit,
        coefficients=COEF,
        department_coefficients=dcoefs,
        pools=pools,
    )
    assert all(a.amount >= 0 for a in result.lines)
    assert result.total <= budget
    for d, pool in pools.items():
        spent = sum((a.amount for a in result.lines if a.department == d), D(0))
        members = [a for a in result.lines if a.department == d]
        if any(a.raw > 0 for a in members):
            assert spent == pool
        else:
            assert spent == 0
    assert result.total + result.remainder == sum(pools.values(), D(0))

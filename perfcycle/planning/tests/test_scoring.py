"""Scoring rules: worked examples for each rule and properties that hold for all inputs."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfcycle.planning.scoring import (
    ORDERED_AGGREGATIONS,
    Aggregation,
    Direction,
    Rule,
    RuleType,
    Standard,
    attainment,
    check_standard,
    combine,
    points,
    score,
)

LINEAR = Rule(RuleType.LINEAR, floor=D(0), cap=D(120))
STEPPED = Rule(RuleType.THRESHOLD_STRETCH, floor=D(0), cap=D(120), threshold_points=D(60))
BANDED = Rule(RuleType.BANDED, bands=((D(100), D(100)), (D(80), D(80)), (D(60), D(60))))
BINARY = Rule(RuleType.BINARY)


@pytest.mark.parametrize(
    ("actual", "points", "att"),
    [
        ("20", "100.00", "100.00"),
        ("15", "75.00", "75.00"),
        ("30", "120.00", "150.00"),
        ("0", "0.00", "0.00"),
    ],
)
def test_linear_new_customers(actual, points, att):
    result = score(LINEAR, Standard(target=D(20)), D(actual))
    assert (result.points, result.attainment) == (D(points), D(att))


def test_linear_with_baseline_measures_progress_from_the_baseline():
    standard = Standard(target=D(120), baseline=D(100))
    assert attainment(standard, D(110)) == D("50.00")
    assert score(LINEAR, standard, D(100)).points == D(0)


@pytest.mark.parametrize(
    ("actual", "points"),
    [
        ("10", "0.00"),
        ("16", "60.00"),
        ("18", "80.00"),
        ("20", "100.00"),
        ("22", "110.00"),
        ("24", "120.00"),
        ("40", "120.00"),
    ],
)
def test_threshold_stretch(actual, points):
    standard = Standard(target=D(20), threshold=D(16), stretch=D(24))
    assert score(STEPPED, standard, D(actual)).points == D(points)


@pytest.mark.parametrize(
    ("actual", "points"),
    [("5200000", "100"), ("4500000", "80"), ("3100000", "60"), ("2000000", "0")],
)
def test_banded_sales_target(actual, points):
    result = score(BANDED, Standard(target=D(5_000_000)), D(actual))
    assert result.points == D(points)


def test_lower_is_better_defect_rate():
    standard = Standard(
        target=D("2.0"), direction=Direction.LOWER, threshold=D("3.0"), stretch=D("1.0")
    )
    assert score(LINEAR, standard, D("2.0")).points == D(100)
    assert score(LINEAR, standard, D("1.0")).points == D(120)  # 150 % attainment, capped
    assert score(LINEAR, standard, D("3.0")).points == D(50)
    assert score(LINEAR, standard, D("5.0")).points == D(0)
    assert score(STEPPED, standard, D("3.0")).points == D(60)
    assert score(STEPPED, standard, D("1.5")).points == D(110)
    assert score(STEPPED, standard, D("3.5")).points == D(0)
    assert score(BINARY, standard, D("1.9")).points == D(100)
    assert score(BINARY, standard, D("2.1")).points == D(0)


def test_binary():
    assert score(BINARY, Standard(target=D(1)), D(1)).points == D(100)
    assert score(BINARY, Standard(target=D(1)), D(0)).points == D(0)


def test_zero_target_is_not_a_division_error():
    assert score(LINEAR, Standard(target=D(0)), D(5)).attainment is None


def test_check_standard_names_the_bad_fields():
    assert "threshold" in check_standard(Standard(target=D(20), threshold=D(25)), LINEAR)
    assert "threshold" in check_standard(
        Standard(target=D(2), threshold=D(1), direction=Direction.LOWER), LINEAR
    )
    assert "stretch" in check_standard(Standard(target=D(20), stretch=D(10)), LINEAR)
    assert "threshold" in check_standard(Standard(target=D(20)), STEPPED)
    assert "bands" in check_standard(Standard(target=D(20)), Rule(RuleType.BANDED))
    assert check_standard(Standard(target=D(20), threshold=D(16), stretch=D(24)), STEPPED) == {}


def test_combine_periods():
    values = [D(18), D(22), D(17)]
    assert combine(values, Aggregation.SUM) == D(57)
    assert combine(values, Aggregation.AVERAGE) == D(19)
    assert combine(values, Aggregation.LAST) == D(17)
    assert combine(values, Aggregation.MIN) == D(17)
    assert combine(values, Aggregation.MAX) == D(22)
    assert combine([], Aggregation.SUM) is None


amounts = st.decimals(
    min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False
)
positive = st.decimals(
    min_value=D("0.01"), max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False
)


@given(
    target=positive,
    a=amounts,
    b=amounts,
    kind=st.sampled_from([LINEAR, STEPPED, BANDED, BINARY]),
    lower=st.booleans(),
)
def test_points_stay_within_floor_and_cap_and_never_fall_as_actual_improves(
    target, a, b, kind, lower
):
    direction = Direction.LOWER if lower else Direction.HIGHER
    standard = Standard(
        target=target,
        direction=direction,
        threshold=target * (D("1.2") if lower else D("0.8")),
        stretch=target * (D("0.8") if lower else D("1.2")),
    )
    worse, better = (max(a, b), min(a, b)) if lower else (min(a, b), max(a, b))
    low = score(kind, standard, worse).points
    high = score(kind, standard, better).points
    assert kind.floor <= low <= high <= max(kind.cap, D(100))


@given(target=positive)
def test_hitting_the_target_exactly_scores_100_under_every_rule(target):
    for lower in (False, True):
        standard = Standard(
            target=target,
            direction=Direction.LOWER if lower else Direction.HIGHER,
            threshold=target * (D("1.1") if lower else D("0.9")),
            stretch=target * (D("0.9") if lower else D("1.1")),
        )
        for rule in (LINEAR, STEPPED, BANDED, BINARY):
            assert score(rule, standard, target).points == D(100)


@given(
    target=positive,
    actual=amounts,
    baseline=st.one_of(st.none(), amounts),
    kind=st.sampled_from([LINEAR, STEPPED, BANDED, BINARY]),
    lower=st.booleans(),
)
def test_points_without_steps_are_the_points_with_steps(target, actual, baseline, kind, lower):
    standard = Standard(
        target=target,
        direction=Direction.LOWER if lower else Direction.HIGHER,
        baseline=baseline,
        threshold=target * (D("1.2") if lower else D("0.8")),
        stretch=target * (D("0.8") if lower else D("1.2")),
    )
    explained = score(kind, standard, actual)
    assert points(kind, standard, actual) == (explained.points, explained.attainment)
    assert score(kind, standard, actual, explain=False) == (
        explained.points,
        explained.attainment,
        (),
    )
    assert explained.steps


_AMOUNTS = st.decimals(
    min_value=D("-99999999999999.9999"),
    max_value=D("99999999999999.9999"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)


@given(st.lists(_AMOUNTS, min_size=1, max_size=53), st.randoms(use_true_random=False))
def test_only_the_ordered_rules_depend_on_the_periods_order(values, random):
    """What the actuals import relies on to leave periods unordered: every rule outside
    ``ORDERED_AGGREGATIONS`` gives the same, to the last place, in any order."""
    shuffled = random.sample(values, len(values))
    for how in Aggregation.values:
        if how not in ORDERED_AGGREGATIONS:
            assert combine(shuffled, how) == combine(values, how)

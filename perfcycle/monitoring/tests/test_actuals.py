from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import ValidationFailed
from perfcycle.imports.values import CellError
from perfcycle.monitoring.actuals import Outcome, actual_history, actual_record
from perfcycle.monitoring.models import Actual
from perfcycle.monitoring.periods import cycle_periods, parse_period
from perfcycle.monitoring.tests import actuals_fixtures as fx
from tests.factories import GoalFactory

month_key = fx.month_key
run_cycle = fx.run_cycle
new_customers = fx.new_customers
sales_goal = fx.sales_goal

Q4 = {"cycle_start": dt.date(2026, 10, 1), "cycle_end": dt.date(2026, 12, 31)}


@pytest.mark.parametrize(
    ("text", "how", "key", "start"),
    [
        ("2026-10", "month", "2026-10", dt.date(2026, 10, 1)),
        ("2026/10", "month", "2026-10", dt.date(2026, 10, 1)),
        ("2026年10月", "month", "2026-10", dt.date(2026, 10, 1)),
        ("2026-10-17", "month", "2026-10", dt.date(2026, 10, 1)),
        ("2026-W43", "week", "2026-W43", dt.date(2026, 10, 19)),
        ("2026w43", "week", "2026-W43", dt.date(2026, 10, 19)),
        ("2026-10-21", "week", "2026-W43", dt.date(2026, 10, 19)),
        ("2026-Q4", "quarter", "2026-Q4", dt.date(2026, 10, 1)),
        ("2026-11-30", "quarter", "2026-Q4", dt.date(2026, 10, 1)),
        ("cycle", "cycle", "cycle", dt.date(2026, 10, 1)),
    ],
)
def test_periods_are_parsed_per_measurement_period(text, how, key, start):
    period = parse_period(text, how, **Q4)
    assert (period.key, period.start) == (key, start)


@pytest.mark.parametrize(
    ("text", "how"),
    [
        ("2026-13", "month"),
        ("October", "month"),
        ("2026-W54", "week"),
        ("2026-Q5", "quarter"),
        ("2026-10", "cycle"),
    ],
)
def test_bad_periods_are_named(text, how):
    with pytest.raises(CellError):
        parse_period(text, how, **Q4)


def test_cycle_periods_cover_the_cycle():
    assert [p.key for p in cycle_periods("month", **Q4)] == ["2026-10", "2026-11", "2026-12"]
    assert [p.key for p in cycle_periods("quarter", **Q4)] == ["2026-Q4"]


def test_record_then_correct_keeps_history_and_recomputes(company, sales_goal, run_cycle):
    first = actual_record(
        actor=company.direct.user, goal=sales_goal, period=month_key(run_cycle, 0), value="12"
    )
    assert first.outcome == Outcome.CREATED
    actual_record(
        actor=company.direct.user, goal=sales_goal, period=month_key(run_cycle, 1), value=8
    )
    sales_goal.refresh_from_db()
    assert sales_goal.current_value == Decimal(20)  # sum of periods

    fixed = actual_record(
        actor=company.manager.user,
        goal=sales_goal,
        period=month_key(run_cycle, 0),
        value="10",
        note="two were duplicates",
    )
    assert fixed.outcome == Outcome.REVISED and fixed.actual.revision == 2
    sales_goal.refresh_from_db()
    assert sales_goal.current_value == Decimal(18)
    rows = Actual.objects.filter(goal=sales_goal, period=month_key(run_cycle, 0)).order_by(
        "revision"
    )
    assert [(a.value, a.is_current) for a in rows] == [(Decimal(12), False), (Decimal(10), True)]
    assert [(a.period, a.revision) for a in actual_history(sales_goal)] == [
        (month_key(run_cycle, 1), 1),
        (month_key(run_cycle, 0), 2),
        (month_key(run_cycle, 0), 1),
    ]
    assert AuditEvent.objects.filter(object_type="monitoring.actual").count() == 3
    assert (
        AuditEvent.objects.filter(object_type="planning.goal", object_id=str(sales_goal.pk)).count()
        == 3
    )


def test_same_value_again_changes_nothing(company, sales_goal, run_cycle):
    actual_record(actor=company.hr, goal=sales_goal, period=month_key(run_cycle, 0), value="5")
    again = actual_record(
        actor=company.hr, goal=sales_goal, period=month_key(run_cycle, 0), value="5.000"
    )
    assert again.outcome == Outcome.UNCHANGED
    assert Actual.objects.filter(goal=sales_goal).count() == 1


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [("sum", 30), ("average", 10), ("last", 5), ("min", 5), ("max", 15)],
)
def test_current_value_follows_the_goal_rule(company, run_cycle, aggregation, expected):
    goal = GoalFactory(cycle=run_cycle, employee=company.direct, aggregation=aggregation)
    for n, value in enumerate([10, 15, 5]):
        actual_record(actor=company.hr, goal=goal, period=month_key(run_cycle, n), value=value)
    goal.refresh_from_db()
    assert goal.current_value == Decimal(expected)


@pytest.mark.parametrize(
    ("period", "value", "field", "words"),
    [
        ("month", "many", "value", "not a number"),
        ("month", "-3", "value", "negative"),
        ("month", "1e400000", "value", "too large"),
        ("before", "3", "period", "outside the cycle"),
        ("future", "3", "period", "not started"),
        ("nonsense", "3", "period", "not a month"),
    ],
)
def test_bad_input_is_refused_clearly(company, sales_goal, run_cycle, period, value, field, words):
    text = {
        "month": month_key(run_cycle, 0),
        "before": month_key(run_cycle, -2),
        "future": month_key(run_cycle, 5),
        "nonsense": "someday",
    }[period]
    with pytest.raises(ValidationFailed) as caught:
        actual_record(actor=company.hr, goal=sales_goal, period=text, value=value)
    fields = caught.value.details["fields"]
    assert field in fields and words in fields[field][0]
    assert not Actual.objects.exists()


def test_negative_allowed_when_the_goal_allows(company, run_cycle):
    goal = GoalFactory(cycle=run_cycle, employee=company.direct, allow_negative=True)
    actual_record(actor=company.hr, goal=goal, period=month_key(run_cycle, 0), value="-4.5")
    goal.refresh_from_db()
    assert goal.current_value == Decimal("-4.5")


def test_only_kpis_take_actuals(company, run_cycle):
    goal = GoalFactory(cycle=run_cycle, employee=company.direct, kind="okr")
    with pytest.raises(ValidationFailed, match="KPI"):
        actual_record(actor=company.hr, goal=goal, period=month_key(run_cycle, 0), value=1)


def _value_as_parsed(goal: object, raw: str) -> Decimal | str:
    """What ``clean_value`` answered for a cell before its fast path: the cell through
    ``parse_decimal``, then the same checks."""
    from decimal import ROUND_HALF_UP, InvalidOperation

    from perfcycle.imports.values import parse_decimal
    from perfcycle.monitoring.actuals import LIMIT, PLACES

    try:
        value = parse_decimal(raw)
    except CellError as exc:
        return str(exc)
    if value is None:
        return "A value is required."
    try:
        value = value.quantize(PLACES, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return f"{raw} is too large."
    if abs(value) >= LIMIT:
        return f"{raw} is too large."
    if value < 0 and not goal.allow_negative:  # type: ignore[attr-defined]
        return "negative"
    return value


@given(
    st.text(alphabet="0123456789.,，-+eE _ \u3000NaInfity１", max_size=14)
    | st.decimals(allow_nan=True).map(str),
    st.booleans(),
)
def test_a_cells_value_reads_as_parse_decimal_reads_it(raw: str, negative: bool) -> None:
    from types import SimpleNamespace

    from perfcycle.monitoring.actuals import clean_value

    goal = SimpleNamespace(allow_negative=negative, unit="")
    expected = _value_as_parsed(goal, raw)
    try:
        got: Decimal | str = clean_value(goal, raw)  # type: ignore[arg-type]
    except CellError as exc:
        got = "negative" if "negative" in str(exc) else str(exc)
    assert got == expected
    if isinstance(got, Decimal):
        assert str(got) == str(expected)


@given(
    st.lists(
        st.tuples(
            st.text(alphabet="0123456789.,-+eE_ NaInfity", max_size=12)
            | st.decimals(allow_nan=True).map(str),
            st.booleans(),
        ),
        max_size=6,
    )
)
def test_a_columns_values_read_as_each_cell_reads(cells: list[tuple[str, bool]]) -> None:
    """``clean_values`` answers a column only when every cell passes ``clean_value``,
    and then with its very values; otherwise None (and ``clean_value`` names the cell).
    A column of plain numbers that all pass is always answered; one with a cell that
    ``clean_value`` reads only by its slower way ("1,234.5", " 7 ") may be left to it."""
    from types import SimpleNamespace

    from perfcycle.monitoring.actuals import clean_value, clean_values

    goals = [SimpleNamespace(allow_negative=negative, unit="") for _raw, negative in cells]
    raws = [raw for raw, _negative in cells]
    expected: list[Decimal] | None = []
    for goal, raw in zip(goals, raws, strict=True):
        try:
            expected.append(clean_value(goal, raw))  # type: ignore[arg-type, union-attr]
        except CellError:
            expected = None
            break
    got = clean_values(goals, raws)  # type: ignore[arg-type]
    if got is None:
        assert expected is None or not all(map(_plain_number, raws))
        return
    assert got == expected
    assert [str(v) for v in got] == [str(v) for v in expected]  # type: ignore[union-attr]


def _plain_number(raw: str) -> bool:
    try:
        Decimal(raw)
    except InvalidOperation:
        return False
    return True

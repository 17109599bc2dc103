from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from perfcycle.monitoring import pace
from perfcycle.monitoring.actuals import actual_record
from perfcycle.monitoring.tests import actuals_fixtures as fx
from perfcycle.planning.models import KeyResult
from tests.factories import CycleFactory, GoalFactory

month_key = fx.month_key
run_cycle = fx.run_cycle
new_customers = fx.new_customers
sales_goal = fx.sales_goal


def test_time_elapsed_counts_days_inclusively():
    cycle = CycleFactory.build(start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 1, 10))
    assert pace.time_elapsed(cycle, dt.date(2025, 12, 1)) == 0
    assert pace.time_elapsed(cycle, dt.date(2026, 1, 5)) == 50
    assert pace.time_elapsed(cycle, dt.date(2026, 2, 1)) == 100


@pytest.mark.parametrize(
    ("actual", "expected", "status"),
    [
        (None, Decimal(50), "no_data"),
        (Decimal(48), Decimal(50), "on_track"),  # 96 % of expected
        (Decimal(40), Decimal(50), "at_risk"),  # 80 %
        (Decimal(39), Decimal(50), "off_track"),
        (Decimal(0), Decimal(0), "on_track"),  # nothing expected yet
    ],
)
def test_status_thresholds(actual, expected, status):
    assert pace.status_for(actual, expected) == status


def test_rates_are_expected_in_full_from_the_start(company, run_cycle):
    summed = GoalFactory(cycle=run_cycle, employee=company.direct, aggregation="sum")
    averaged = GoalFactory(cycle=run_cycle, employee=company.direct, aggregation="average")
    day = run_cycle.start_date + dt.timedelta(days=9)
    assert pace.expected_progress(summed, run_cycle, day) < 10
    assert pace.expected_progress(averaged, run_cycle, day) == 100


def _half_way(cycle) -> dt.date:
    return cycle.start_date + (cycle.end_date - cycle.start_date) / 2


def test_goal_and_person_pace(company, run_cycle, sales_goal):
    other = GoalFactory(
        cycle=run_cycle, employee=company.direct, target=10, weight=40, aggregation="last"
    )
    actual_record(
        actor=company.hr, goal=sales_goal, period=month_key(run_cycle, 0), value=30
    )  # 50 %
    actual_record(
        actor=company.hr, goal=other, period=month_key(run_cycle, 0), value=6
    )  # 60 % of 100
    person = pace.my_pace(run_cycle, company.direct, as_of=_half_way(run_cycle))
    by_title = {g.goal.title: g for g in person.goals}
    assert by_title["New customers"].status == "on_track"
    assert by_title[other.title].status == "off_track"
    # weighted: actual 0.6*50 + 0.4*60 = 54; expected 0.6*~50 + 0.4*100 ≈ 70 → 77 % → off track
    assert person.actual == Decimal(54)
    assert person.status == "off_track"


def test_okr_confidence_is_shown(company, run_cycle):
    goal = GoalFactory(cycle=run_cycle, employee=company.direct, kind="okr", target=None)
    KeyResult.objects.create(goal=goal, title="A", target=10, current_value=5, confidence=7)
    KeyResult.objects.create(goal=goal, title="B", target=10, current_value=2, confidence=4)
    (row,) = pace.my_pace(run_cycle, company.direct).goals
    assert row.confidence == 4 and row.actual is not None


def test_team_sorted_by_risk_and_scoped(company, run_cycle, new_customers):
    behind = GoalFactory(
        cycle=run_cycle, employee=company.direct, indicator=new_customers, target=100
    )
    ahead = GoalFactory(
        cycle=run_cycle, employee=company.indirect, indicator=new_customers, target=100
    )
    GoalFactory(cycle=run_cycle, employee=company.stranger, target=100)
    actual_record(actor=company.hr, goal=behind, period=month_key(run_cycle, 0), value=5)
    actual_record(actor=company.hr, goal=ahead, period=month_key(run_cycle, 0), value=90)
    as_of = _half_way(run_cycle)
    rows = pace.team_pace(company.manager.user, run_cycle, as_of=as_of)
    assert [r.employee.name for r in rows] == ["Dan Direct", "Ivy Indirect"]
    assert [r.status for r in rows] == ["off_track", "on_track"]
    everyone = pace.team_pace(company.hr, run_cycle, as_of=as_of)
    assert everyone[0].employee.pk == company.direct.pk
    assert {r.employee.pk for r in everyone} >= {company.stranger.pk, company.top.pk}
    narrowed = pace.team_pace(company.hr, run_cycle, manager=company.direct, as_of=as_of)
    assert [r.employee.pk for r in narrowed] == [company.indirect.pk]

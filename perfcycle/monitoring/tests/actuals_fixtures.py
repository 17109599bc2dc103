"""Fixtures for the actuals and pace tests: a cycle running around today (three months
past, three to come) measured by month, and a sales goal of Dan Direct's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from perfcycle.cycles.models import Phase
from tests.factories import CycleFactory, GoalFactory, IndicatorFactory


def month_start(day: dt.date, offset: int) -> dt.date:
    years, month = divmod(day.month - 1 + offset, 12)
    return dt.date(day.year + years, month + 1, 1)


def month_key(cycle, n: int) -> str:
    """The key of the cycle's n-th month (0 = first)."""
    return f"{month_start(cycle.start_date, n):%Y-%m}"


@pytest.fixture
def run_cycle(company):
    today = timezone.localdate()
    return CycleFactory(
        name="Running half",
        start_date=month_start(today, -3),
        end_date=month_start(today, 3) - dt.timedelta(days=1),
        phase=Phase.IN_PROGRESS,
        participants=[
            company.top,
            company.hr_person,
            company.manager,
            company.direct,
            company.indirect,
            company.stranger,
        ],
    )


@pytest.fixture
def new_customers(db):
    return IndicatorFactory(code="NEWCUST", name="New customers", unit="customers")


@pytest.fixture
def sales_goal(company, run_cycle, new_customers):
    return GoalFactory(
        cycle=run_cycle,
        employee=company.direct,
        indicator=new_customers,
        title="New customers",
        unit="customers",
        target=60,
        weight=60,
        ref="G-DAN-NC",
    )

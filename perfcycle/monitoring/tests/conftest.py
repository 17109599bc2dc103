from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from perfcycle.cycles.models import Phase
from tests.factories import CycleFactory, GoalFactory


@pytest.fixture
def cycle(company):
    """A quarter in progress around today, with everyone in the company taking part."""
    today = timezone.localdate()
    return CycleFactory(
        name="Now",
        start_date=today - dt.timedelta(days=40),
        end_date=today + dt.timedelta(days=50),
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
def goal(company, cycle):
    return GoalFactory(cycle=cycle, employee=company.direct, title="New customers")


def soon(days: int = 1) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)

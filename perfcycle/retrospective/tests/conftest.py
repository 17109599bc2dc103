"""A sales quarter in its results phase: six reps under the manager hold "new customers
≥ 20" and mostly missed it; the manager's line holds an easy "calls" target; three reps
hold a lower-is-better "defects" target; a rare indicator is held by two only. The
previous quarter is history for the new-customers indicator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from django.utils import timezone

from perfcycle.cycles.models import Cycle, Phase
from perfcycle.org.models import Employee
from perfcycle.planning.models import Indicator
from perfcycle.retrospective import services
from tests.factories import CycleFactory, EmployeeFactory, GoalFactory, IndicatorFactory

NEW_CUSTOMER_ACTUALS = [D(10), D(12), D(14), D(15), D(17), D(22)]


@dataclass
class Quarter:
    cycle: Cycle
    previous: Cycle
    reps: list[Employee]
    customers: Indicator
    calls: Indicator
    defects: Indicator
    rare: Indicator


def make_reps(company, n: int, start: int = 1) -> list[Employee]:
    return [
        EmployeeFactory(
            name=f"Rep {i}",
            manager=company.manager,
            department=company.sales,
            login=f"rep{i}",
        )
        for i in range(start, start + n)
    ]


@pytest.fixture
def quarter(company) -> Quarter:
    reps = make_reps(company, 6)
    people = [company.manager, company.direct, company.indirect, company.stranger, *reps]
    previous = CycleFactory(
        name="2025 Q4",
        start_date=dt.date(2025, 10, 1),
        end_date=dt.date(2025, 12, 31),
        phase=Phase.CLOSED,
    )
    cycle = CycleFactory(name="2026 Q1", phase=Phase.RESULTS, participants=people)
    customers = IndicatorFactory(code="NEWCUST", name="New customers")
    calls = IndicatorFactory(code="CALLS", name="Calls")
    defects = IndicatorFactory(code="DEFECTS", name="Defects", direction="lower")
    rare = IndicatorFactory(code="RARE", name="Rare")
    for rep, actual in zip(reps, NEW_CUSTOMER_ACTUALS, strict=True):
        GoalFactory(
            cycle=cycle,
            employee=rep,
            indicator=customers,
            title="New customers",
            target=20,
            threshold=16,
            stretch=24,
            current_value=actual,
        )
    for rep, actual in zip(reps[:3], (16, 16, 18), strict=True):
        GoalFactory(
            cycle=previous,
            employee=rep,
            indicator=customers,
            title="New customers",
            target=18,
            current_value=actual,
        )
    for person, actual in zip(
        (company.manager, company.direct, company.indirect), (130, 140, 150), strict=True
    ):
        GoalFactory(
            cycle=cycle,
            employee=person,
            indicator=calls,
            title="Calls",
            weight=50,
            target=100,
            stretch=120,
            current_value=actual,
        )
    for rep, actual in zip(reps[3:], (20, 18, 16), strict=True):
        GoalFactory(
            cycle=cycle,
            employee=rep,
            indicator=defects,
            title="Defects",
            weight=0,
            direction="lower",
            target=10,
            threshold=14,
            current_value=actual,
        )
    for rep in reps[:2]:
        GoalFactory(cycle=cycle, employee=rep, indicator=rare, title="Rare", weight=0, target=5)
    return Quarter(cycle, previous, reps, customers, calls, defects, rare)


@pytest.fixture
def opened(company, quarter, django_capture_on_commit_callbacks) -> Quarter:
    with django_capture_on_commit_callbacks(execute=True):
        services.retro_open(
            actor=company.hr,
            cycle=quarter.cycle,
            closes_on=timezone.localdate() + dt.timedelta(days=7),
        )
    return quarter


def answer(employee: Employee, cycle: Cycle, *, rating: int = 3, comment: str = "", **verdicts):
    """``verdicts`` map a goal id (as ``g<id>``) to a verdict."""
    return services.retro_answer(
        actor=employee.user,
        cycle=cycle,
        clarity=rating,
        fairness=rating,
        coaching=rating,
        comment=comment,
        verdicts={int(k[1:]): v for k, v in verdicts.items()},
    )

"""A cycle with final grades and pay on record for the named people of ``company``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from perfcycle.calibration.models import Result
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import grade_scale_default
from perfcycle.rewards import services
from perfcycle.rewards.models import BonusPlan
from tests.factories import CycleFactory

COEFFICIENTS = {"S": "1.5", "A": "1.2", "B": "1.0", "C": "0.5", "D": "0"}


@dataclass
class World:
    cycle: Cycle


def build_world(company) -> World:
    cycle = CycleFactory(
        name="2026 Q1",
        phase=Phase.RESULTS,
        participants=[company.manager, company.direct, company.indirect, company.stranger],
    )
    Cycle.objects.filter(pk=cycle.pk).update(grade_scale=grade_scale_default(actor=company.hr))
    cycle.refresh_from_db()
    for employee, grade in (
        (company.manager, "A"),
        (company.direct, "B"),
        (company.indirect, "S"),
    ):
        Result.objects.create(
            cycle=cycle,
            employee=employee,
            department=employee.department,
            computed_grade=grade,
            grade=grade,
            score=D(80),
        )
    pay = {
        company.manager: (D(30000), D(60000), None),
        company.direct: (D(20000), None, D(2)),
        company.indirect: (D(10000), D(10000), None),
        company.stranger: (D(10000), D(10000), None),
    }
    for employee, (base, amount, months) in pay.items():
        services.compensation_set(
            actor=company.hr,
            employee=employee,
            base_monthly=base,
            target_bonus_amount=amount,
            target_bonus_months=months,
        )
    return World(cycle)


@pytest.fixture
def world(company) -> World:
    return build_world(company)


def make_plan(company, world, **kwargs) -> BonusPlan:
    values = {
        "name": "Q1 bonus",
        "method": "target",
        "budget": D(100000),
        "grade_coefficients": COEFFICIENTS,
    }
    values.update(kwargs)
    return services.plan_create(actor=company.hr, cycle=world.cycle, **values)

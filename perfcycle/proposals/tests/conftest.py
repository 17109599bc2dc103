"""Two released quarters with grades and pay on record for the named people of
``company``; rounds are made in each test through the services.

    grades      2026 Q1   2026 Q2
    manager       A         A
    direct        S         B
    indirect      A         S
    stranger      S         S
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

import pytest
from django.utils import timezone

from perfcycle.calibration.models import Result
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import grade_scale_default
from perfcycle.proposals import services
from perfcycle.proposals.models import ProposalRound, RoundKind
from perfcycle.rewards.services import compensation_set
from tests.factories import CycleFactory

JUSTIFICATION = "Exceeded every sales target for two quarters and coached two new hires."
GRADES = {
    "manager": ("A", "A"),
    "direct": ("S", "B"),
    "indirect": ("A", "S"),
    "stranger": ("S", "S"),
}


@dataclass
class World:
    q1: Cycle
    q2: Cycle


def add_result(cycle: Cycle, employee: Any, grade: str, released: bool = True) -> Result:
    return Result.objects.create(
        cycle=cycle,
        employee=employee,
        department=employee.department,
        computed_grade=grade,
        grade=grade,
        score=D(80),
        released_at=timezone.now() if released else None,
    )


def build_world(company: Any) -> World:
    scale = grade_scale_default(actor=company.hr)
    q1 = CycleFactory(
        name="2026 Q1",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 3, 31),
        phase=Phase.CLOSED,
    )
    q2 = CycleFactory(
        name="2026 Q2",
        start_date=dt.date(2026, 4, 1),
        end_date=dt.date(2026, 6, 30),
        phase=Phase.RESULTS,
    )
    Cycle.objects.filter(pk__in=[q1.pk, q2.pk]).update(grade_scale=scale)
    q1.refresh_from_db()
    q2.refresh_from_db()
    for name, (g1, g2) in GRADES.items():
        add_result(q1, getattr(company, name), g1)
        add_result(q2, getattr(company, name), g2)
    for name, base in (("direct", D(20000)), ("indirect", D(10000)), ("stranger", D(12000))):
        compensation_set(
            actor=company.hr,
            employee=getattr(company, name),
            base_monthly=base,
            target_bonus_months=D(2),
        )
    return World(q1, q2)


@pytest.fixture
def world(company: Any) -> World:
    return build_world(company)


def make_round(company: Any, world: World, **kwargs: Any) -> ProposalRound:
    values: dict[str, Any] = {
        "cycle": world.q2,
        "kind": RoundKind.SALARY,
        "name": "2026 Q2 salary review",
        "min_grade": "A",
        "cycles_considered": 1,
        "min_tenure_months": 12,
    }
    values.update(kwargs)
    return services.round_create(actor=company.hr, **values)


@pytest.fixture
def salary_round(company: Any, world: World) -> ProposalRound:
    return make_round(company, world, increase_budget=D(3000))


@pytest.fixture
def promotion_round(company: Any, world: World) -> ProposalRound:
    return make_round(company, world, kind=RoundKind.PROMOTION, name="2026 Q2 promotions")

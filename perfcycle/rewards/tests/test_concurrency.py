"""Twenty managers adjusting at once never push a plan past its budget (PostgreSQL: the
plan row lock serialises them; SQLite has no row locks and one writer, nothing to race)."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from django.db import connection, connections

from perfcycle.calibration.models import Result
from perfcycle.core.errors import DomainError
from perfcycle.rewards import services
from perfcycle.rewards.selectors import plan_totals
from perfcycle.rewards.tests.conftest import build_world, make_plan
from tests.factories import EmployeeFactory


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks (select_for_update) are PostgreSQL's"
)
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_adjustments_stay_within_the_budget(company):
    world = build_world(company)
    people = [
        EmployeeFactory(
            employee_number=f"P{i:03}",
            name=f"P{i:03}",
            manager=company.manager,
            department=company.sales,
        )
        for i in range(20)
    ]
    for p in people:
        Result.objects.create(cycle=world.cycle, employee=p, department=p.department, grade="B")
        services.compensation_set(
            actor=company.hr, employee=p, base_monthly=D(10000), target_bonus_amount=D(10000)
        )
    # 20 × 10000 + manager 72000 + direct 40000 + indirect 15000 = 327000; room 5000,
    # each adjustment asks for +1000 (the 10% band): at most five fit.
    plan = make_plan(company, world, budget=D(332000))
    services.plan_compute(actor=company.hr, plan=plan)
    lines = list(plan.lines.filter(employee__in=people))
    assert len(lines) == 20
    done: list[str] = []
    barrier = threading.Barrier(20)

    def adjust(line):
        try:
            barrier.wait()
            services.line_adjust(
                actor=company.user("manager"),
                line=line,
                adjustment=D(1000),
                reason="Carried the team this quarter.",
            )
            done.append("ok")
        except DomainError as exc:
            done.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=adjust, args=(line,)) for line in lines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert done.count("ok") == 5
    assert done.count("over_budget") == 15
    assert plan_totals(plan)["final"] == D(332000)

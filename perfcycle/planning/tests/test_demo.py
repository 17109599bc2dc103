"""The demo's plan: the article's cascade and agreement states."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest

from perfcycle.accounts.models import User
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.demo import demo_load
from perfcycle.planning.models import Goal, GoalSheet, OwnerType, SheetStatus
from perfcycle.planning.selectors import alignment_tree


@pytest.fixture
def demo(db):
    demo_load(stdout=io.StringIO(), until="reminders")
    return Cycle.objects.get(phase=Phase.IN_PROGRESS)


def test_the_sales_target_cascades_to_every_salesperson(demo):
    hr = User.objects.get(username="hr")
    roots = alignment_tree(hr, demo).roots
    company = next(n for n in roots if n.goal.target == D(5_000_000))
    assert company.goal.owner_type == OwnerType.COMPANY
    (department,) = company.children
    assert department.goal.department.code == "SALES"
    people = {child.goal.employee.employee_number for child in department.children}
    salespeople = {f"E0{n}" for n in range(11, 21)}
    assert people == salespeople | {"E010"}
    assert sum(
        c.goal.target for c in department.children if c.goal.employee.job_family == "sales"
    ) == D(5_000_000)


def test_new_customers_goal_everyone_in_sales(demo):
    goals = Goal.objects.filter(
        cycle=demo, indicator__code="NEW_CUSTOMERS", owner_type=OwnerType.EMPLOYEE
    )
    assert goals.count() == 10
    assert set(goals.values_list("target", flat=True)) == {D(20)}


def test_some_acknowledged_some_waiting(demo):
    assert demo.phase == Phase.IN_PROGRESS  # the monitor step moved it on
    statuses = dict(
        GoalSheet.objects.filter(cycle=demo).values_list("employee__employee_number", "status")
    )
    assert statuses["E011"] == SheetStatus.APPROVED  # the demo employee can acknowledge
    assert statuses["E012"] == SheetStatus.ACKNOWLEDGED
    assert statuses["E031"] == SheetStatus.PROPOSED
    assert set(statuses.values()) >= {
        SheetStatus.DRAFT,
        SheetStatus.PROPOSED,
        SheetStatus.APPROVED,
        SheetStatus.ACKNOWLEDGED,
    }


def test_the_employee_sees_only_their_own_and_public_goals(demo):
    employee = User.objects.get(username="employee")
    visible = Goal.objects.filter(cycle=demo)
    from perfcycle.planning.selectors import visible_goals

    mine = visible_goals(employee, demo)
    personal = {g.employee.employee_number for g in mine if g.owner_type == OwnerType.EMPLOYEE}
    assert personal == {"E011"}
    assert (
        mine.filter(owner_type=OwnerType.COMPANY).count()
        == visible.filter(owner_type=OwnerType.COMPANY).count()
    )

"""The demo's monitor stage: actuals with history, who is behind, coaching evidence."""

from __future__ import annotations

import io

import pytest

from perfcycle.accounts.models import User
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.demo import demo_load
from perfcycle.monitoring.coaching import observations_for_review
from perfcycle.monitoring.models import Actual, CheckIn, Feedback, TrainingAssignment
from perfcycle.monitoring.pace import team_pace
from perfcycle.org.models import Employee


@pytest.fixture
def demo(db):
    demo_load(stdout=io.StringIO(), until="reminders")
    return Cycle.objects.get(phase=Phase.IN_PROGRESS)


def test_two_months_of_sales_actuals_with_a_correction_kept(demo):
    new_customers = Actual.objects.filter(goal__cycle=demo, goal__indicator__code="NEW_CUSTOMERS")
    assert new_customers.filter(is_current=True).count() == 20
    corrected = new_customers.filter(goal__employee__employee_number="E012").order_by(
        "period", "revision"
    )
    assert [(a.revision, a.is_current) for a in corrected][:2] == [(1, False), (2, True)]


def test_the_team_view_puts_the_salespeople_behind_on_top(demo):
    manager = User.objects.get(username="manager")
    rows = team_pace(manager, demo)
    order = [row.employee.employee_number for row in rows]
    assert order.index("E018") < order.index("E013")
    assert order.index("E014") < order.index("E013")
    statuses = {row.employee.employee_number: row.status for row in rows}
    assert statuses["E018"] == "off_track"


def test_the_communication_gap_reaches_evaluation_and_training(demo):
    employee = Employee.objects.get(employee_number="E011")
    manager = User.objects.get(username="manager")
    observations = observations_for_review(cycle=demo, employee=employee, viewer=manager)
    gap = next(o for o in observations if o.competency and o.competency.code == "CUST_COMM")
    training = TrainingAssignment.objects.get(employee=employee)
    assert training.observation == gap
    assert training.course.competencies.filter(code="CUST_COMM").exists()
    assert CheckIn.objects.filter(employee=employee).count() == 2
    assert Feedback.objects.filter(visibility="public").count() == 2

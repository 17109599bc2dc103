"""The demo's manager sees the cycle's evidence beside the review form; others less."""

from __future__ import annotations

import io

import pytest

from perfcycle.accounts.models import User
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.demo import demo_load
from perfcycle.evaluation.evidence import review_evidence
from perfcycle.org.models import Employee


@pytest.fixture
def demo(db):
    demo_load(stdout=io.StringIO(), until="reminders")
    # The monitored quarter (the demo also adds a finished cycle being evaluated).
    return Cycle.objects.filter(phase=Phase.IN_PROGRESS).get()


def test_the_manager_sees_goals_actuals_observations_and_checkins(
    demo, django_assert_max_num_queries
):
    employee = Employee.objects.get(employee_number="E011")
    manager = User.objects.get(username="manager")
    with django_assert_max_num_queries(16):
        evidence = review_evidence(cycle=demo, employee=employee, viewer=manager)
    codes = {g.goal.indicator.code for g in evidence.goals}
    assert codes == {"SALES_AMOUNT", "NEW_CUSTOMERS"}
    assert all(len(g.actuals) == 2 for g in evidence.goals)
    assert any(o.competency and o.competency.code == "CUST_COMM" for o in evidence.observations)
    assert len(evidence.checkins) == 1
    assert evidence.private_notes_shown
    assert evidence.checkins[0].private_notes
    # The anonymous peer and upward aggregates, withheld or not, are the managers'.
    assert evidence.peers is not None and evidence.reports is not None
    assert evidence.reports.source == "report"


def test_the_employee_sees_their_shared_evidence_only(demo):
    employee = Employee.objects.get(employee_number="E018")
    viewer = employee.user
    evidence = review_evidence(cycle=demo, employee=employee, viewer=viewer)
    assert not evidence.private_notes_shown
    assert evidence.peers is None and evidence.reports is None
    # The observation about E018 is private to managers.
    assert evidence.observations == []


def test_a_stranger_sees_no_coaching_evidence(demo):
    employee = Employee.objects.get(employee_number="E011")
    stranger = User.objects.get(username="hujun")  # the production manager
    evidence = review_evidence(cycle=demo, employee=employee, viewer=stranger)
    assert evidence.checkins == [] and evidence.observations == [] and evidence.self_review is None
    assert evidence.goals == []

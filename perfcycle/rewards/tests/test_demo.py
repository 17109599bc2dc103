"""The demo's rewards: the bonus total equals the budget exactly after scaling and
rounding, every line explains itself, motivations are filled in, and the lowest-graded
salesperson's improvement plan is under way with the communication course linked."""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from django.test import Client

from perfcycle.accounts.models import User
from perfcycle.demo import demo_load
from perfcycle.improvement.models import ImprovementPlan
from perfcycle.rewards.models import BonusLine, BonusPlan, MotivationProfile
from perfcycle.rewards.selectors import explain


@pytest.fixture
def plan(db):
    demo_load(stdout=io.StringIO())
    return BonusPlan.objects.get()


def test_the_bonus_total_is_the_budget_exactly(plan):
    lines = list(BonusLine.objects.filter(plan=plan))
    assert sum(line.amount for line in lines) == plan.budget
    assert sum(line.final_amount for line in lines) == plan.budget  # adjustments net to 0
    scaled = [line for line in lines if line.scale_factor < 1]
    assert scaled  # the targets exceeded the budget
    for line in lines:
        assert line.amount >= 0 and line.amount == line.amount.quantize(D(1))
        if line.target is not None:
            raw = (
                line.target
                * line.grade_coefficient
                * line.department_coefficient
                * line.training_factor
            )
            assert line.raw_amount == raw
            assert abs(raw * line.scale_factor - line.amount) < 1


def test_the_training_factor_shows_in_the_explanation(plan):
    assert plan.training_rule == "factor" and plan.training_factor == D("1.05")
    assert [c.code for c in plan.required_courses.all()] == ["COMM101"]
    lines = BonusLine.objects.filter(plan=plan).select_related("employee")
    trained = {line.employee.employee_number for line in lines if line.training_met}
    assert trained == {"E011", "E013"}
    for line in lines:
        assert line.training_factor == (D("1.05") if line.training_met else D(1))
    zhang = next(line for line in lines if line.employee.employee_number == "E011")
    assert "× training factor 1.05 (required training completed)" in explain(zhang, plan)
    # Amounts read as written: no "2.4E+4" for a round 24,000.
    for line in lines:
        assert "E+" not in explain(line, plan)


def test_motivations_and_the_improvement_plan(plan):
    assert MotivationProfile.objects.count() >= 20
    pip = ImprovementPlan.objects.get(employee__employee_number="E018")
    assert pip.status == "active" and pip.acknowledged_at is not None
    assert pip.training.filter(assignment__course__code="COMM101").exists()
    assert pip.reviews.filter(held_on__isnull=False).count() == 1


def test_reward_and_improve_pages_for_each_role(plan):
    pip = ImprovementPlan.objects.get(employee__employee_number="E018")
    for login, urls in {
        "hr": ["/reward/", "/reward/plans/", f"/reward/plans/{plan.pk}/", "/improve/"],
        "manager": [
            "/reward/",
            f"/reward/plans/{plan.pk}/",
            "/improve/",
            f"/improve/plans/{pip.pk}/",
        ],
        "suntao": [
            "/improve/",
            f"/improve/plans/{pip.pk}/",
            "/reward/motivation/",
        ],
    }.items():
        client = Client()
        client.force_login(User.objects.get(username=login))
        for url in urls:
            assert client.get(url).status_code == 200, (login, url)
    stranger = Client()
    stranger.force_login(User.objects.get(username="employee"))
    assert stranger.get(f"/improve/plans/{pip.pk}/").status_code == 404

"""Bonus plans end to end through the services: create, compute, adjust, approve."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.rewards import services
from perfcycle.rewards.models import BonusLine, MotivationProfile, PlanStatus
from perfcycle.rewards.selectors import motivation_by_department, plan_totals
from perfcycle.rewards.tests.conftest import make_plan


def lines_by_name(plan):
    return {line.employee.name: line for line in plan.lines.select_related("employee")}


def test_compute_under_budget_and_excluded_people_are_listed(company, world):
    plan = make_plan(company, world, budget=D(200000))
    report = services.plan_compute(actor=company.hr, plan=plan)
    lines = lines_by_name(plan)
    # manager 60000 × 1.2; direct 2 months × 20000 × 1.0; indirect 10000 × 1.5
    assert lines["Mia Manager"].amount == D("72000.00")
    assert lines["Dan Direct"].amount == D("40000.00")
    assert lines["Ivy Indirect"].amount == D("15000.00")
    assert report.total == D("127000.00") and not report.scaled and report.remainder == 0
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPUTED
    assert plan.excluded == [
        {"employee_id": company.stranger.pk, "name": "Sam Stranger", "reason": "no_result"}
    ]
    assert AuditEvent.objects.filter(object_type="rewards.bonusplan").count() == 2


def test_compute_over_budget_lands_exactly_on_it(company, world):
    plan = make_plan(company, world, budget=D(100000))
    report = services.plan_compute(actor=company.hr, plan=plan)
    assert report.scaled
    assert plan_totals(plan)["final"] == D(100000)


def test_department_coefficient_and_whole_yuan(company, world):
    plan = make_plan(
        company,
        world,
        budget=D(1000000),
        rounding_unit=D(1),
        departments=[services.DepartmentInput(company.sales, D("1.1"))],
    )
    services.plan_compute(actor=company.hr, plan=plan)
    assert lines_by_name(plan)["Ivy Indirect"].amount == D(16500)


def test_pool_method(company, world):
    plan = make_plan(
        company,
        world,
        method="pool",
        budget=D(10000),
        departments=[services.DepartmentInput(company.sales, D(1), D(9000))],
    )
    services.plan_compute(actor=company.hr, plan=plan)
    lines = lines_by_name(plan)
    # weights: 30000×1.2=36000, 20000×1=20000, 10000×1.5=15000 (71000)
    assert sum(line.amount for line in lines.values()) == D(9000)
    assert lines["Mia Manager"].amount == D("4563.38")


def test_missing_grade_in_the_table_is_named(company, world):
    with pytest.raises(ValidationFailed) as err:
        make_plan(company, world, grade_coefficients={"S": "1.5", "A": "1", "B": "1", "C": "1"})
    assert "grade D" in err.value.message


def test_negative_budget_and_non_hr_are_refused(company, world):
    with pytest.raises(ValidationFailed):
        make_plan(company, world, budget=D(-1))
    with pytest.raises(Forbidden):
        services.plan_create(
            actor=company.user("manager"),
            cycle=world.cycle,
            name="x",
            method="target",
            budget=D(1),
            grade_coefficients={},
        )


@pytest.fixture
def computed(company, world):
    plan = make_plan(company, world, budget=D(130000))
    services.plan_compute(actor=company.hr, plan=plan)
    return plan


def test_a_manager_adjusts_within_the_band_with_a_reason(company, computed):
    line = lines_by_name(computed)["Dan Direct"]  # 40000, band 10% → 4000
    adjusted = services.line_adjust(
        actor=company.user("manager"),
        line=line,
        adjustment=D(-4000),
        reason="Missed the key renewal in March.",
    )
    assert adjusted.final_amount == D(36000)
    event = AuditEvent.objects.get(object_type="rewards.bonusline", object_id=str(line.pk))
    assert event.reason == "Missed the key renewal in March."
    with pytest.raises(ValidationFailed) as err:
        services.line_adjust(
            actor=company.user("manager"), line=adjusted, adjustment=D(-4001), reason="x" * 12
        )
    assert err.value.code == "outside_band"
    with pytest.raises(ValidationFailed) as err:
        services.line_adjust(
            actor=company.user("manager"), line=adjusted, adjustment=D(1), reason="short"
        )
    assert err.value.code == "reason_too_short"


def test_not_over_the_budget(company, computed):
    # 72000 + 40000 + 15000 = 127000 of 130000: 3000 of room.
    line = lines_by_name(computed)["Dan Direct"]
    with pytest.raises(DomainError) as err:
        services.line_adjust(
            actor=company.hr, line=line, adjustment=D(3001), reason="Exceptional year."
        )
    assert err.value.code == "over_budget"
    services.line_adjust(
        actor=company.hr, line=line, adjustment=D(3000), reason="Exceptional year."
    )
    assert plan_totals(computed)["final"] == D(130000)


def test_a_stale_line_is_a_conflict(company, computed):
    line = lines_by_name(computed)["Dan Direct"]
    stale = BonusLine.objects.get(pk=line.pk)
    services.line_adjust(actor=company.hr, line=line, adjustment=D(10), reason="First change here.")
    with pytest.raises(Conflict):
        services.line_adjust(
            actor=company.hr, line=stale, adjustment=D(20), reason="Second change here."
        )


def test_only_the_persons_managers_or_hr_adjust(company, computed):
    line = lines_by_name(computed)["Dan Direct"]
    for name in ("direct", "stranger", "indirect"):
        with pytest.raises(Forbidden):
            services.line_adjust(
                actor=company.user(name), line=line, adjustment=D(1), reason="I deserve more."
            )


def test_approve_once_then_frozen(company, computed):
    services.plan_approve(actor=company.hr, plan=computed)
    with pytest.raises(DomainError) as err:
        services.plan_approve(actor=company.hr, plan=computed)
    assert err.value.code == "already_approved"
    line = lines_by_name(computed)["Dan Direct"]
    with pytest.raises(DomainError):
        services.line_adjust(actor=company.hr, line=line, adjustment=D(1), reason="Too late now.")
    with pytest.raises(DomainError):
        services.plan_compute(actor=company.hr, plan=computed)


def test_a_draft_is_not_approved(company, world):
    plan = make_plan(company, world)
    with pytest.raises(DomainError) as err:
        services.plan_approve(actor=company.hr, plan=plan)
    assert err.value.code == "not_computed"


def test_motivation_profile_and_aggregate(company):
    order = ["learning", "bonus", "promotion", "recognition", "flexible", "challenge"]
    services.motivation_set(actor=company.user("direct"), employee=company.direct, motivators=order)
    services.motivation_set(
        actor=company.user("indirect"),
        employee=company.indirect,
        motivators=["bonus", *[m for m in order if m != "bonus"]],
    )
    assert MotivationProfile.objects.get(employee=company.direct).motivators == order
    with pytest.raises(ValidationFailed):
        services.motivation_set(
            actor=company.user("direct"), employee=company.direct, motivators=["bonus"]
        )
    with pytest.raises(Forbidden):
        services.motivation_set(
            actor=company.user("manager"), employee=company.direct, motivators=order
        )
    (sales,) = motivation_by_department()
    rows = {r["code"]: r for r in sales.rows()}
    assert sales.people == 2
    assert rows["bonus"] == {"code": "bonus", "label": "bonus", "first": 1, "top": 2}
    assert rows["learning"]["first"] == 1 and rows["learning"]["top"] == 2

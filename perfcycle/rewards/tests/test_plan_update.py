"""Changing a plan after creating it: the same checks as creating (each refused with its
field), a computed plan goes back to draft without its lines, an approved plan is final,
a stale version is a conflict, the change is audited; the edit page and PATCH."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.monitoring.models import Course
from perfcycle.rewards import services
from perfcycle.rewards.models import BonusLine, PlanStatus
from perfcycle.rewards.tests.conftest import COEFFICIENTS, make_plan


def settings_of(plan, **changes):
    values = {
        "name": plan.name,
        "method": plan.method,
        "budget": plan.budget,
        "currency": plan.currency,
        "rounding_unit": plan.rounding_unit,
        "adjustment_band": plan.adjustment_band,
        "grade_coefficients": plan.grade_coefficients,
        "departments": [],
    }
    values.update(changes)
    return values


def update(company, plan, **changes):
    return services.plan_update(
        actor=company.hr, plan=plan, expected_version=plan.version, **settings_of(plan, **changes)
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"method": "lottery"}, "method"),
        ({"budget": "-1"}, "budget"),
        ({"budget": "abc"}, "budget"),
        ({"budget": "100.5", "rounding_unit": "1"}, "budget"),
        ({"rounding_unit": "0"}, "rounding_unit"),
        ({"adjustment_band": "-5"}, "adjustment_band"),
        ({"method": "pool"}, "departments"),
        ({"training_rule": "sometimes"}, "training_rule"),
        ({"training_rule": "factor"}, "required_courses"),
        ({"training_rule": "factor", "training_factor": "0"}, "training_factor"),
        ({"training_rule": "factor", "training_factor": "-1.05"}, "training_factor"),
    ],
)
def test_each_bad_value_is_refused_with_its_field(company, world, changes, field):
    plan = make_plan(company, world)
    with pytest.raises(ValidationFailed) as err:
        update(company, plan, **changes)
    assert field in err.value.details["fields"], err.value.details
    plan.refresh_from_db()
    assert plan.version == 1 and plan.name == "Q1 bonus"


def test_a_missing_grade_and_twice_listed_department_are_refused(company, world):
    plan = make_plan(company, world)
    with pytest.raises(ValidationFailed) as err:
        update(company, plan, grade_coefficients={"S": "1"})
    assert "grade A" in err.value.message
    row = services.DepartmentInput(company.sales, D(1))
    with pytest.raises(ValidationFailed) as err:
        update(company, plan, departments=[row, row])
    assert "twice" in err.value.message


def test_a_draft_changes_and_is_audited_before_and_after(company, world):
    plan = make_plan(company, world)
    course = Course.objects.create(code="C1", title="Course one")
    updated = update(
        company,
        plan,
        name="Q1 bonus (revised)",
        budget=D(90000),
        training_rule="factor",
        required_courses=[course],
        training_factor=D("1.05"),
        departments=[services.DepartmentInput(company.sales, D("1.1"))],
    )
    assert updated.version == 2 and updated.status == PlanStatus.DRAFT
    assert updated.budget == D(90000) and updated.training_factor == D("1.05")
    assert list(updated.required_courses.all()) == [course]
    assert updated.departments.get().coefficient == D("1.1")
    event = AuditEvent.objects.filter(object_type="rewards.bonusplan").order_by("pk").last()
    assert event.before["name"] == "Q1 bonus" and event.after["name"] == "Q1 bonus (revised)"
    assert event.after["required_courses"] == [course.pk]


def test_a_computed_plan_loses_its_lines_and_is_a_draft_again(company, world):
    plan = make_plan(company, world)
    services.plan_compute(actor=company.hr, plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPUTED and plan.lines.exists()
    updated = update(company, plan, budget=D(50000))
    assert updated.status == PlanStatus.DRAFT and updated.computed_at is None
    assert updated.excluded == [] and updated.remainder == 0
    assert not BonusLine.objects.filter(plan=plan).exists()
    services.plan_compute(actor=company.hr, plan=updated)
    assert sum(BonusLine.objects.filter(plan=plan).values_list("amount", flat=True)) == D(50000)


def test_an_approved_plan_cannot_be_changed(company, world):
    plan = make_plan(company, world)
    services.plan_compute(actor=company.hr, plan=plan)
    plan = services.plan_approve(actor=company.hr, plan=plan)
    with pytest.raises(DomainError) as err:
        update(company, plan, name="Changed")
    assert err.value.code == "already_approved"


def test_a_stale_version_is_a_conflict_and_non_hr_is_refused(company, world):
    plan = make_plan(company, world)
    update(company, plan, name="First")
    with pytest.raises(Conflict):
        services.plan_update(
            actor=company.hr, plan=plan, expected_version=1, **settings_of(plan, name="Second")
        )
    with pytest.raises(Forbidden):
        services.plan_update(
            actor=company.user("manager"), plan=plan, expected_version=2, **settings_of(plan)
        )


def form_data(plan, **extra):
    data = {
        "name": plan.name,
        "method": plan.method,
        "budget": str(plan.budget),
        "currency": plan.currency,
        "rounding_unit": str(plan.rounding_unit),
        "adjustment_band": str(plan.adjustment_band),
        "coefficients": "\n".join(f"{k}={v}" for k, v in COEFFICIENTS.items()),
        "departments": "",
        "training_rule": "none",
        "training_factor": "1",
        "version": str(plan.version),
    }
    data.update(extra)
    return data


def test_the_edit_page_warns_saves_and_reports_a_stale_version(company, world, as_user):
    plan = make_plan(company, world)
    services.plan_compute(actor=company.hr, plan=plan)
    plan.refresh_from_db()
    hr = as_user(company.hr)
    url = reverse("rewards:plan_edit", args=[plan.pk])
    page = hr.get(url).content.decode()
    assert "discards its lines" in page and 'value="Q1 bonus"' in page
    course = Course.objects.create(code="C1", title="Course one")
    response = hr.post(
        url,
        form_data(
            plan,
            name="Renamed",
            training_rule="condition",
            required_courses=[course.pk],
            departments="SALES 1.2",
        ),
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.name == "Renamed" and plan.status == PlanStatus.DRAFT
    assert plan.training_rule == "condition" and plan.departments.get().coefficient == D("1.2")
    stale = hr.post(url, form_data(plan, name="Again", version="1"))
    assert stale.status_code == 200 and "Somebody else changed" in stale.content.decode()
    bad = hr.post(url, form_data(plan, training_rule="factor", training_factor="0"))
    assert bad.status_code == 200 and "greater than 0" in bad.content.decode()
    assert as_user(company.user("manager")).get(url).status_code in (403, 404)


def test_patch_over_the_api(company, world, as_user):
    plan = make_plan(company, world)
    hr = as_user(company.hr)
    course = Course.objects.create(code="C1", title="Course one")
    response = hr.patch(
        f"/api/v1/bonus-plans/{plan.pk}",
        {
            "version": 1,
            "budget": "120000",
            "training_rule": "factor",
            "required_course_ids": [course.pk],
            "training_factor": "1.05",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert D(body["budget"]) == D(120000) and body["version"] == 2
    assert body["required_course_ids"] == [course.pk] and D(body["training_factor"]) == D("1.05")
    assert body["name"] == "Q1 bonus"  # unchanged fields kept
    stale = hr.patch(
        f"/api/v1/bonus-plans/{plan.pk}",
        {"version": 1, "name": "x"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    bad = hr.patch(
        f"/api/v1/bonus-plans/{plan.pk}",
        {"version": 2, "training_factor": "0"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_factor"
    manager = as_user(company.user("manager")).patch(
        f"/api/v1/bonus-plans/{plan.pk}", {"version": 2}, content_type="application/json"
    )
    assert manager.status_code in (403, 404)

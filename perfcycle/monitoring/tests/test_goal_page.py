"""A goal's own progress page: where company and department goals take their actuals."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perfcycle.monitoring.models import Actual
from perfcycle.planning import services
from perfcycle.planning.models import OwnerType


@pytest.fixture
def department_goal(company, cycle):
    company.sales.head = company.manager
    company.sales.save(update_fields=["head"])
    return services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.DEPARTMENT,
        department=company.sales,
        title="Sales department revenue",
        weight=D(100),
        target=D(1_000_000),
        unit="yuan",
    )


def test_the_department_head_records_an_actual_on_the_goal_page(company, department_goal, as_user):
    client = as_user(company.user("manager"))
    page = client.get(f"/monitor/goals/{department_goal.pk}/")
    assert page.status_code == 200
    assert 'name="value"' in page.content.decode()
    period = f"{department_goal.cycle.start_date:%Y-%m}"
    response = client.post(
        f"/monitor/goals/{department_goal.pk}/actuals/", {"period": period, "value": "250000"}
    )
    assert response.status_code == 302
    assert response.url == f"/monitor/goals/{department_goal.pk}/"
    actual = Actual.objects.get(goal=department_goal)
    assert (actual.value, actual.source) == (D(250000), "typed")
    page = client.get(f"/monitor/goals/{department_goal.pk}/")
    assert "250,000" in page.content.decode()


def test_everyone_sees_a_public_goal_but_only_its_owners_record(company, department_goal, as_user):
    client = as_user(company.user("stranger"))
    page = client.get(f"/monitor/goals/{department_goal.pk}/")
    assert page.status_code == 200
    assert 'name="value"' not in page.content.decode()
    period = f"{department_goal.cycle.start_date:%Y-%m}"
    response = client.post(
        f"/monitor/goals/{department_goal.pk}/actuals/", {"period": period, "value": "1"}
    )
    assert response.status_code == 403
    assert not Actual.objects.exists()


def test_a_personal_goal_page_is_hidden_from_strangers(company, cycle, as_user):
    goal = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.EMPLOYEE,
        employee=company.direct,
        title="New customers",
        weight=D(100),
        target=D(20),
    )
    assert as_user(company.user("stranger")).get(f"/monitor/goals/{goal.pk}/").status_code == 404
    assert as_user(company.user("manager")).get(f"/monitor/goals/{goal.pk}/").status_code == 200

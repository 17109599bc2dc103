"""People see their own bonus once the plan is approved, never before, and never anyone
else's: the policy, the selectors, the Reward page and ``GET /me/bonus-lines``; managers
read motivation over the API (a person's, their reporting line's, paginated)."""

from __future__ import annotations

from decimal import Decimal as D

from django.db import connection
from django.test.utils import CaptureQueriesContext

from perfcycle.access.policy import Action, may
from perfcycle.rewards import services
from perfcycle.rewards.models import BonusLine
from perfcycle.rewards.selectors import my_lines, visible_lines
from perfcycle.rewards.tests.conftest import make_plan
from tests.factories import EmployeeFactory

ORDER = ["bonus", "promotion", "learning", "recognition", "flexible", "challenge"]


def computed(company, world):
    plan = make_plan(company, world, budget=D(200000))
    services.plan_compute(actor=company.hr, plan=plan)
    plan.refresh_from_db()
    return plan


def test_own_lines_only_after_approval_and_never_others(company, world):
    plan = computed(company, world)
    direct = company.user("direct")
    own = BonusLine.objects.select_related("plan").get(plan=plan, employee=company.direct)
    other = BonusLine.objects.select_related("plan").get(plan=plan, employee=company.manager)
    assert own.policy_members() == []
    assert not may(direct, Action.BONUS_LINE_VIEW, own)
    assert list(my_lines(direct)) == []
    # Dan manages Ivy: before approval he sees her line, not his own.
    assert [line.employee.name for line in visible_lines(direct, plan)] == ["Ivy Indirect"]
    services.plan_approve(actor=company.hr, plan=plan)
    own = BonusLine.objects.select_related("plan").get(pk=own.pk)
    assert own.policy_members() == [company.direct]
    assert may(direct, Action.BONUS_LINE_VIEW, own)
    assert not may(direct, Action.BONUS_LINE_VIEW, other)
    assert [line.pk for line in my_lines(direct)] == [own.pk]
    assert [line.employee.name for line in visible_lines(direct, plan)] == [
        "Dan Direct",
        "Ivy Indirect",
    ]
    stranger = company.user("stranger")
    assert list(visible_lines(stranger, plan)) == [] and list(my_lines(stranger)) == []
    assert len(visible_lines(company.hr, plan)) == 3


def test_the_reward_page_shows_my_bonus_once_approved(company, world, as_user):
    plan = computed(company, world)
    client = as_user(company.user("indirect"))
    page = client.get("/reward/").content.decode()
    assert "My bonus" in page and "No approved bonus for you yet." in page
    line = BonusLine.objects.get(plan=plan, employee=company.indirect)
    assert str(line.final_amount) not in page
    services.plan_approve(actor=company.hr, plan=plan)
    page = client.get("/reward/").content.decode()
    assert str(line.final_amount) in page and "Q1 bonus" in page
    assert "target 10000.00 × grade S coefficient 1.5" in page
    assert "72000.00" not in page  # Mia's amount
    assert client.get(f"/reward/plans/{plan.pk}/").status_code in (403, 404)


def test_my_bonus_lines_over_the_api(company, world, as_user):
    plan = computed(company, world)
    client = as_user(company.user("direct"))
    assert client.get("/api/v1/me/bonus-lines").json()["count"] == 0
    services.plan_approve(actor=company.hr, plan=plan)
    body = client.get("/api/v1/me/bonus-lines").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["employee_name"] == "Dan Direct" and D(item["final_amount"]) == D("40000.00")
    assert "grade B" in item["explanation"] and item["training_met"] is None
    assert as_user(company.user("stranger")).get("/api/v1/me/bonus-lines").json()["count"] == 0


def test_the_plan_page_shows_each_lines_top_motivators_to_the_manager(company, world, as_user):
    plan = computed(company, world)
    services.motivation_set(
        actor=company.user("indirect"), employee=company.indirect, motivators=ORDER
    )
    page = as_user(company.user("manager")).get(f"/reward/plans/{plan.pk}/").content.decode()
    row = page[page.index("Ivy Indirect") :]
    row = row[: row.index("</tr>")]
    assert "bonus" in row and "promotion" in row and "learning and training" in row
    assert "recognition" not in row  # only the top three


def test_a_persons_motivation_over_the_api(company, world, as_user):
    services.motivation_set(
        actor=company.user("indirect"), employee=company.indirect, motivators=ORDER
    )
    url = f"/api/v1/employees/{company.indirect.pk}/motivation"
    for login in ("manager", "direct", "indirect", "hr"):
        client = as_user(company.hr if login == "hr" else company.user(login))
        response = client.get(url)
        assert response.status_code == 200, login
        assert response.json()["motivators"] == ORDER
    assert as_user(company.user("stranger")).get(url).status_code == 404
    empty = as_user(company.user("manager")).get(
        f"/api/v1/employees/{company.direct.pk}/motivation"
    )
    assert empty.json()["motivators"] == []


def test_my_teams_motivation_is_paginated_with_constant_queries(company, world, as_user):
    services.motivation_set(
        actor=company.user("indirect"), employee=company.indirect, motivators=ORDER
    )
    client = as_user(company.user("manager"))
    body = client.get("/api/v1/motivation/team").json()
    assert [p["employee_name"] for p in body["items"]] == ["Dan Direct", "Ivy Indirect"]
    assert body["items"][1]["top"] == ["bonus", "promotion", "learning and training"]
    assert body["items"][0]["motivators"] == []
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/motivation/team")
    for n in range(15):
        EmployeeFactory(
            employee_number=f"T{n:03}", manager=company.manager, department=company.sales
        )
    with CaptureQueriesContext(connection) as large:
        body = client.get("/api/v1/motivation/team").json()
    assert body["count"] == 17 and len(large) == len(small)
    assert as_user(company.user("stranger")).get("/api/v1/motivation/team").json()["count"] == 0


def test_my_bonus_reads_are_constant_in_queries(company, world, as_user):
    client = as_user(company.user("indirect"))  # not a manager: only her own

    def approved(name):
        plan = make_plan(company, world, name=name, budget=D(200000))
        services.plan_compute(actor=company.hr, plan=plan)
        services.plan_approve(actor=company.hr, plan=plan)

    approved("Q1 bonus")
    with CaptureQueriesContext(connection) as api_small:
        assert client.get("/api/v1/me/bonus-lines").json()["count"] == 1
    with CaptureQueriesContext(connection) as page_small:
        client.get("/reward/")
    for n in range(4):
        approved(f"Q1 extra {n}")
    with CaptureQueriesContext(connection) as api_large:
        assert client.get("/api/v1/me/bonus-lines").json()["count"] == 5
    with CaptureQueriesContext(connection) as page_large:
        assert client.get("/reward/").content.decode().count("Q1 extra") == 4
    assert len(api_large) == len(api_small) and len(page_large) == len(page_small)

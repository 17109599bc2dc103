"""The reward pages: HR's plans (create, compute, approve, export), the manager's lines
with adjust forms and motivation profiles beside, the motivation pages; query counts on
the list pages do not grow with the number of people."""

from __future__ import annotations

from decimal import Decimal as D

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.calibration.models import Result
from perfcycle.rewards import services
from perfcycle.rewards.models import BonusLine, BonusPlan, MotivationProfile, PlanStatus
from perfcycle.rewards.tests.conftest import make_plan
from tests.factories import EmployeeFactory

ORDER = ["bonus", "promotion", "learning", "recognition", "flexible", "challenge"]


def test_home_says_what_each_may_use(company, world, as_user):
    url = reverse("rewards:home")
    assert url == "/reward/"
    hr_page = as_user(company.hr).get(url).content.decode()
    assert reverse("rewards:plans") in hr_page
    assert reverse("rewards:motivation_departments") in hr_page
    page = as_user(company.user("stranger")).get(url).content.decode()
    assert reverse("rewards:plans") not in page and reverse("rewards:motivation") in page


def test_hr_creates_computes_approves_and_exports(company, world, as_user):
    hr = as_user(company.hr)
    response = hr.post(
        reverse("rewards:plans"),
        {
            "cycle": world.cycle.pk,
            "name": "Q1 bonus",
            "method": "target",
            "budget": "130000",
            "currency": "CNY",
            "rounding_unit": "1",
            "adjustment_band": "10",
            "coefficients": "S=1.5\nA=1.2\nB=1\nC=0.5\nD=0",
            "departments": "SALES 1",
        },
    )
    plan = BonusPlan.objects.get()
    assert response.status_code == 302 and plan.rounding_unit == D(1)
    hr.post(reverse("rewards:plan_compute", args=[plan.pk]))
    page = hr.get(reverse("rewards:plan", args=[plan.pk])).content.decode()
    assert "Dan Direct" in page and "Sam Stranger" in page  # left out: no result
    hr.post(reverse("rewards:plan_approve", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    response = hr.post(reverse("rewards:plan_approve", args=[plan.pk]), follow=True)
    assert "already approved" in response.content.decode()
    export = hr.get(reverse("rewards:plan_export", args=[plan.pk]))
    assert export.status_code == 200 and export.content[:2] == b"PK"


def test_a_missing_grade_is_shown_on_the_form(company, world, as_user):
    response = as_user(company.hr).post(
        reverse("rewards:plans"),
        {
            "cycle": world.cycle.pk,
            "name": "Q1",
            "method": "target",
            "budget": "100",
            "currency": "CNY",
            "rounding_unit": "1",
            "adjustment_band": "10",
            "coefficients": "S=1.5\nA=1.2",
        },
    )
    assert response.status_code == 200
    assert "The coefficient for grade B is missing." in response.content.decode()


def test_manager_adjusts_and_sees_motivation(company, world, as_user):
    plan = make_plan(company, world, budget=D(130000))
    services.plan_compute(actor=company.hr, plan=plan)
    services.motivation_set(actor=company.user("direct"), employee=company.direct, motivators=ORDER)
    manager = as_user(company.user("manager"))
    page = manager.get(reverse("rewards:plan", args=[plan.pk])).content.decode()
    assert "Dan Direct" in page and "Ivy Indirect" in page
    own = BonusLine.objects.get(plan=plan, employee=company.manager)
    assert f'id="line-{own.pk}"' not in page  # not their own line
    assert "learning and training" in page  # Dan's third motivator
    line = BonusLine.objects.get(plan=plan, employee=company.direct)
    prefix = f"line{line.pk}-"
    manager.post(
        reverse("rewards:line_adjust", args=[line.pk]),
        {
            prefix + "version": line.version,
            prefix + "adjustment": "-100",
            prefix + "reason": "A slow spring.",
        },
    )
    line.refresh_from_db()
    assert line.final_amount == D("39900.00") and line.reason == "A slow spring."
    # Outside the band: refused with the reason shown.
    response = manager.post(
        reverse("rewards:line_adjust", args=[line.pk]),
        {
            prefix + "version": line.version,
            prefix + "adjustment": "-9999",
            prefix + "reason": "Far too much.",
        },
        follow=True,
    )
    assert "at most ±4000.00" in response.content.decode()
    assert (
        as_user(company.user("stranger")).get(reverse("rewards:plan", args=[plan.pk])).status_code
        == 403
    )
    assert (
        as_user(company.user("direct"))
        .post(
            reverse("rewards:line_adjust", args=[line.pk]),
            {
                prefix + "version": line.version,
                prefix + "adjustment": "1",
                prefix + "reason": "More for me!",
            },
        )
        .status_code
        == 404
    )


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_queries_do_not_grow(company, world, as_user):
    plan = make_plan(company, world, budget=D(10000000))
    services.plan_compute(actor=company.hr, plan=plan)
    hr, manager = as_user(company.hr), as_user(company.user("manager"))
    urls = [
        (hr, reverse("rewards:plan", args=[plan.pk])),
        (manager, reverse("rewards:plan", args=[plan.pk])),
        (hr, reverse("rewards:plans")),
        (hr, reverse("rewards:motivation_departments")),
    ]
    before = [_count(c, u) for c, u in urls]
    for i in range(5):
        p = EmployeeFactory(
            employee_number=f"X{i}", name=f"X{i}", manager=company.direct, department=company.sales
        )
        Result.objects.create(cycle=world.cycle, employee=p, department=p.department, grade="A")
        services.compensation_set(
            actor=company.hr, employee=p, base_monthly=D(1000), target_bonus_amount=D(1000)
        )
        MotivationProfile.objects.create(employee=p, motivators=ORDER)
    services.plan_compute(actor=company.hr, plan=plan)
    make_plan(company, world, name="Another")
    assert [_count(c, u) for c, u in urls] == before


def test_motivation_page(company, as_user):
    direct = as_user(company.user("direct"))
    url = reverse("rewards:motivation")
    assert direct.get(url).status_code == 200
    ranks = {code: str(i) for i, code in enumerate(ORDER, start=1)}
    assert direct.post(url, ranks).status_code == 302
    assert MotivationProfile.objects.get(employee=company.direct).motivators == ORDER
    same = dict(ranks, bonus="2")
    assert "different rank" in direct.post(url, same).content.decode()
    assert (
        as_user(company.user("direct")).get(reverse("rewards:motivation_departments")).status_code
        == 403
    )
    page = as_user(company.hr).get(reverse("rewards:motivation_departments")).content.decode()
    assert "Sales" in page


def test_the_lines_come_a_page_at_a_time_and_an_adjustment_returns_to_its_page(
    company, world, as_user, monkeypatch
):
    from perfcycle.rewards.views import pages

    plan = make_plan(company, world, budget=D(130000))
    services.plan_compute(actor=company.hr, plan=plan)
    monkeypatch.setattr(pages, "LINES_PAGE_SIZE", 1)
    hr = as_user(company.hr)
    url = reverse("rewards:plan", args=[plan.pk])
    lines = list(BonusLine.objects.filter(plan=plan).order_by("employee__name", "pk"))
    assert len(lines) > 2
    for number, line in enumerate(lines, start=1):
        page = hr.get(url, {"page": number}).content.decode()
        assert f'id="line-{line.pk}"' in page and f"Page {number} of {len(lines)}" in page
        assert all(f'id="line-{other.pk}"' not in page for other in lines if other != line)

    line = lines[1]
    prefix = f"line{line.pk}-"
    adjust = reverse("rewards:line_adjust", args=[line.pk]) + "?page=2"
    assert f'action="{adjust}"' in hr.get(url, {"page": 2}).content.decode()
    data = {
        prefix + "version": line.version,
        prefix + "adjustment": "-99999",
        prefix + "reason": "x",
    }
    refused = hr.post(adjust, data)
    assert refused.status_code == 422  # shown again on its page, with what was typed
    assert (
        f'id="line-{line.pk}"' in refused.content.decode() and "-99999" in refused.content.decode()
    )
    data[prefix + "adjustment"], data[prefix + "reason"] = "-1", "A slow spring."
    done = hr.post(adjust, data)
    assert done.status_code == 302 and done["Location"] == f"{url}?page=2#line-{line.pk}"

"""Trends: a person's and a department's numbers per cycle, checked by hand, the effect
of training and plans, and who sees what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from perfcycle.access.policy import Action
from perfcycle.accounts.models import User
from perfcycle.improvement.models import ImprovementPlan, PlanStatus
from perfcycle.insights import trends
from perfcycle.insights.reach import reach_for
from perfcycle.insights.tests.helpers import join, quarter, result
from perfcycle.monitoring.models import Course, TrainingAssignment, TrainingStatus
from tests.factories import EmployeeFactory

API = "/api/v1"


def train(employee, on: dt.date, title: str = "Negotiation") -> None:
    course, _ = Course.objects.get_or_create(code=title[:20], defaults={"title": title})
    TrainingAssignment.objects.create(
        employee=employee,
        course=course,
        recommended_by=User.objects.filter(is_hr_admin=True).first(),
        status=TrainingStatus.COMPLETED,
        completed_on=on,
    )


@pytest.fixture
def person_world(company):
    q1, q2, q3 = quarter("Q1", 2025, 1), quarter("Q2", 2025, 2), quarter("Q3", 2025, 3)
    for c in (q1, q2, q3):
        join(c, [company.direct, company.indirect])
    result(q1, company.direct, "72.50", "B", goals="70", attainments=("80", "100", None))
    result(q2, company.direct, "81.00", "A", goals="85.5", attainments=("90",))
    result(q3, company.direct, "60.00", "C", goals="55", released=False)
    train(company.direct, dt.date(2025, 5, 3), "Negotiation")
    train(company.direct, dt.date(2025, 10, 9), "Writing")
    ImprovementPlan.objects.create(
        cycle=q1, employee=company.direct, status=PlanStatus.COMPLETED, reason="x"
    )
    return q1, q2, q3


def test_person_trend_numbers_for_the_manager(company, person_world):
    trend = trends.person_trend(viewer=company.user("manager"), employee=company.direct)
    assert [p.cycle_name for p in trend.points] == ["Q1", "Q2", "Q3"]
    assert [p.score for p in trend.points] == [D("72.50"), D("81.00"), D("60.00")]
    assert [p.goals_score for p in trend.points] == [D("70"), D("85.5"), D("55")]
    assert [p.grade for p in trend.points] == ["B", "A", "C"]
    # (80 + 100) / 2 = 90; None ignored; Q3 has no goals in its breakdown.
    assert [p.attainment for p in trend.points] == [D("90.00"), D("90.00"), None]
    assert [m.text for m in trend.points[1].training] == ["Negotiation"]
    assert [m.outcome for m in trend.points[0].plans] == ["completed"]
    assert [m.text for m in trend.later_training] == ["Writing"]
    assert not trend.released_only and trend.points[2].released is False


def test_the_employee_sees_only_released_results(company, person_world, as_user):
    trend = trends.person_trend(viewer=company.user("direct"), employee=company.direct)
    assert trend.released_only and [p.cycle_name for p in trend.points] == ["Q1", "Q2"]
    page = as_user(company.user("direct")).get(reverse("insights:person", args=[company.direct.pk]))
    assert page.status_code == 200
    assert b"81.00" in page.content and b"60.00" not in page.content
    body = as_user(company.user("direct")).get(f"{API}/insights/people/{company.direct.pk}/trend")
    assert [p["grade"] for p in body.json()["points"]] == ["B", "A"]


@pytest.mark.parametrize("name", ["stranger", "indirect"])
def test_others_trend_is_not_found(company, person_world, as_user, name):
    client = as_user(company.user(name))
    assert client.get(reverse("insights:person", args=[company.direct.pk])).status_code == 404
    assert client.get(f"{API}/insights/people/{company.direct.pk}/trend").status_code == 404


def test_managers_and_hr_see_unreleased_results(company, person_world, as_user):
    for name in ("manager", "top", "hr_person"):
        client = as_user(company.user(name))
        page = client.get(reverse("insights:person", args=[company.direct.pk]))
        assert page.status_code == 200 and b"60.00" in page.content, name


# --- Departments and the effect table ----------------------------------------------------

C1 = {"A": "60", "B": "50", "C": "70", "D": "80", "E": "75", "F": "65", "G": "90"}
C2 = {"A": "70", "B": "65", "C": "75", "D": "78", "E": "80", "F": "66", "G": "90"}
G1 = {"A": "C", "B": "D", "C": "B", "D": "A", "E": "B", "F": "C", "G": "S"}


@pytest.fixture
def team(company):
    people = {
        k: EmployeeFactory(name=f"P{k}", manager=company.manager, department=company.sales)
        for k in C1
    }
    q1, q2 = quarter("Q1", 2025, 1), quarter("Q2", 2025, 2)
    join(q1, list(people.values()))
    join(q2, list(people.values()))
    for k, e in people.items():
        result(q1, e, C1[k], G1[k], attainments=("100",) if k in "AB" else ())
        result(q2, e, C2[k], "B")
    # Counted: A in Q1, B in Q2, C on Q2's last day. D before Q1 starts: not counted.
    train(people["A"], dt.date(2025, 2, 15))
    train(people["B"], dt.date(2025, 5, 1))
    train(people["C"], dt.date(2025, 6, 30))
    train(people["D"], dt.date(2024, 12, 31))
    for k in "AB":
        ImprovementPlan.objects.create(cycle=q1, employee=people[k], status=PlanStatus.COMPLETED)
    # Someone in another department never counts for Sales.
    result(q1, company.stranger, "10", "D")
    return people, q1, q2


def test_department_numbers(company, team):
    trend = trends.department_trend(
        reach=reach_for(company.hr, Action.TREND_DEPARTMENT_VIEW), department=company.sales
    )
    first, second = trend.points
    assert (first.people, first.mean_score, first.median_score) == (7, D("70.00"), D("70.00"))
    # 524 / 7 = 74.857…; median of 65 66 70 75 78 80 90
    assert (second.mean_score, second.median_score) == (D("74.86"), D("75.00"))
    assert [(g.grade, g.count, g.share) for g in first.grades] == [
        ("S", 1, D("14.3")),
        ("A", 1, D("14.3")),
        ("B", 2, D("28.6")),
        ("C", 2, D("28.6")),
        ("D", 1, D("14.3")),
    ]
    assert first.attainment == D("100.00") and second.attainment is None
    assert [(g.grade, g.share) for g in second.grades if g.count] == [("B", D("100.0"))]


def test_effect_of_training_and_plans(company, team):
    trend = trends.department_trend(
        reach=reach_for(company.hr, Action.TREND_DEPARTMENT_VIEW), department=company.sales
    )
    training, plan = trend.effects
    # Trained A +10, B +15, C +5 → 10.00; others D −2, E +5, F +1, G 0 → 1.00.
    assert training.factor == "training" and training.label == "Q1 → Q2"
    assert (training.with_it.count, training.with_it.mean_change) == (3, D("10.00"))
    assert (training.without.count, training.without.mean_change) == (4, D("1.00"))
    assert training.difference == D("9.00")
    # Only two people had a plan: hidden, no difference; the rest C +5, D −2, E +5, F +1, G 0.
    assert plan.with_it.hidden and plan.with_it.mean_change is None and plan.difference is None
    assert (plan.without.count, plan.without.mean_change) == (5, D("1.80"))


def test_department_page_and_api(company, team, as_user):
    client = as_user(company.hr)
    page = client.get(reverse("insights:department", args=[company.sales.pk]))
    assert page.status_code == 200
    assert b"74.86" in page.content and b"not proof" in page.content and b"<svg" in page.content
    body = client.get(f"{API}/insights/departments/{company.sales.pk}/trend").json()
    assert body["effects"][0]["difference"] == "9.00"
    assert body["effects"][1]["with_it"] == {"count": None, "mean_change": None}


def test_a_manager_sees_only_their_line(company, team, as_user):
    reach = reach_for(company.user("direct"), Action.TREND_DEPARTMENT_VIEW)
    # direct manages only indirect, who has no results: nothing from the seven.
    trend = trends.department_trend(reach=reach, department=company.sales)
    assert trend.points == [] and not trend.everyone
    manager = as_user(company.user("manager"))
    assert manager.get(reverse("insights:department", args=[company.sales.pk])).status_code == 200
    # Other is neither headed by the manager nor home to anyone in their line.
    assert manager.get(reverse("insights:department", args=[company.other.pk])).status_code == 404
    assert manager.get(f"{API}/insights/departments/{company.other.pk}/trend").status_code == 404
    # The root contains their line: allowed, but only their people are counted.
    root = manager.get(f"{API}/insights/departments/{company.root.pk}/trend").json()
    assert [p["people"] for p in root["points"]] == [7, 7]
    for name in ("direct", "stranger"):
        client = as_user(company.user(name))
        assert client.get(reverse("insights:department", args=[company.root.pk])).status_code == (
            200 if name == "direct" else 404
        )


def test_a_department_head_sees_the_whole_department(company, team):
    company.other.head = company.stranger
    company.other.save()
    EmployeeFactory(manager=company.stranger, department=company.other)  # makes them a manager
    reach = reach_for(company.user("stranger"), Action.TREND_DEPARTMENT_VIEW)
    trend = trends.department_trend(reach=reach, department=company.other)
    assert [p.people for p in trend.points] == [1]


def test_home_page_links(company, team, as_user):
    page = as_user(company.user("indirect")).get(reverse("insights:home"))
    assert page.status_code == 200 and b"My trend" in page.content
    assert reverse("insights:person", args=[company.indirect.pk]).encode() in page.content
    assert reverse("insights:department", args=[company.sales.pk]).encode() not in page.content
    hr = as_user(company.hr).get(reverse("insights:home")).content
    assert reverse("insights:department", args=[company.other.pk]).encode() in hr
    mgr = as_user(company.user("manager")).get(reverse("insights:home")).content
    assert reverse("insights:person", args=[team[0]["A"].pk]).encode() in mgr
    assert reverse("insights:department", args=[company.other.pk]).encode() not in mgr


def test_home_page_lists_departments_a_page_at_a_time(company, as_user, monkeypatch):
    """HR's list is every department: in tree order, DEPARTMENTS_PAGE_SIZE to a page."""
    from perfcycle.insights.views import pages
    from perfcycle.org.models import Department

    monkeypatch.setattr(pages, "DEPARTMENTS_PAGE_SIZE", 2)
    hr = as_user(company.hr)
    everyone = list(Department.objects.in_tree_order())
    seen = []
    for number in (1, 2):
        response = hr.get(reverse("insights:home"), {"page": number})
        seen += response.context["departments"]
    assert seen == everyone and len(everyone) == 3
    assert "Page 2 of 2" in response.content.decode()

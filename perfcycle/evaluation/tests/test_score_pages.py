"""Score pages and API: who sees what, the breakdown traces every number, overrides need
a reason, peers stay anonymous, and the list costs a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perfcycle.audit.models import AuditEvent
from perfcycle.cycles.models import CycleParticipant
from perfcycle.evaluation.models import GoalScoreOverride, ScoreResult
from perfcycle.evaluation.tests.test_scores import rate_everyone, review
from perfcycle.evaluation.tests.test_scores import world as world
from tests.factories import EmployeeFactory, GoalFactory


@pytest.fixture
def rated(company, world):
    rate_everyone(company, world)
    return world


def breakdown_url(w, employee):
    return f"/evaluate/cycles/{w['cycle'].pk}/people/{employee.pk}/score/"


def test_the_manager_reads_the_breakdown_with_every_number(company, rated, as_user):
    page = as_user(company.user("manager")).get(breakdown_url(rated, company.direct))
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "89.76",
        "(70 × 96 + 30 × 75.2) ÷ 100 = 89.76",
        "(60 × 110 + 40 × 75) ÷ 100 = 96",
        "(60 × 3.6 + 20 × 3.6 + 10 × 5) ÷ 90 = 3.76",
        "3.76 ÷ 5 × 100 = 75.2",
        "Points = attainment in percent",
        f"/monitor/goals/{rated['goals'][0].pk}/",
    ):
        assert text in html, text
    # Peers appear as averages with a count, never by name.
    for peer in rated["peers"]:
        assert peer.name not in html


@pytest.mark.parametrize("who", ["direct", "stranger", "indirect"])
def test_others_do_not_see_the_score(company, rated, as_user, who):
    # The person themselves too: grades are invisible before release.
    response = as_user(company.user(who)).get(breakdown_url(rated, company.direct))
    assert response.status_code == 404
    api = as_user(company.user(who)).get(
        f"/api/v1/cycles/{rated['cycle'].pk}/people/{company.direct.pk}/score"
    )
    assert api.status_code == 404


def test_hr_and_the_skip_level_manager_see_it(company, rated, as_user):
    assert as_user(company.hr).get(breakdown_url(rated, company.direct)).status_code == 200
    # The top of the line is the manager's manager.
    assert as_user(company.user("top")).get(breakdown_url(rated, company.direct)).status_code == 200


def test_override_on_the_page_keeps_what_was_typed_when_the_reason_is_missing(
    company, rated, as_user
):
    client = as_user(company.user("manager"))
    goal = rated["goals"][1]
    response = client.post(
        f"/evaluate/goals/{goal.pk}/score-override/", {"points": "90", "reason": "short"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "at least 10 characters" in html and 'value="90"' in html and ">short</textarea>" in html
    assert not GoalScoreOverride.objects.exists()
    response = client.post(
        f"/evaluate/goals/{goal.pk}/score-override/",
        {"points": "90", "reason": "Customer moved the launch to next quarter"},
    )
    assert response.status_code == 302
    html = client.get(breakdown_url(rated, company.direct)).content.decode()
    assert "Customer moved the launch to next quarter" in html
    assert "(60 × 110 + 40 × 90) ÷ 100 = 102" in html
    # The employee may not override their own goal.
    denied = as_user(company.user("direct")).post(
        f"/evaluate/goals/{goal.pk}/score-override/",
        {"points": "120", "reason": "I think I did very well"},
    )
    assert denied.status_code == 404


def test_scores_list_is_scoped_and_queries_stay_constant(
    company, rated, as_user, django_assert_max_num_queries
):
    cycle = rated["cycle"]
    url = f"/evaluate/cycles/{cycle.pk}/scores/"
    hr_page = as_user(company.hr).get(url).content.decode()
    assert company.direct.name in hr_page and rated["peers"][0].name in hr_page
    manager = as_user(company.user("manager"))
    page = manager.get(url).content.decode()
    assert company.direct.name in page and company.indirect.name in page
    assert rated["peers"][0].name not in page  # not in the manager's line
    assert as_user(company.user("stranger")).get(url).status_code == 403

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        manager.get(url)
    small_count = len(small.captured_queries)  # read now: each request clears the log
    people = [EmployeeFactory(manager=company.manager) for _ in range(10)]
    CycleParticipant.objects.bulk_create(
        [CycleParticipant(cycle=cycle, employee=p, manager=company.manager) for p in people]
    )
    for p in people:
        GoalFactory(cycle=cycle, employee=p, weight=100, target=10)
        review(cycle, p, company.manager, "manager", {rated["comm"]: 4, rated["team"]: 4})
    # The first view after new goals works out their points and keeps them (a fixed
    # number of extra queries, whatever their number); then as many queries as before.
    manager.get(url)
    with django_assert_max_num_queries(small_count):
        manager.get(url)


def test_hr_stores_the_results(company, rated, as_user):
    cycle = rated["cycle"]
    response = as_user(company.hr).post(f"/evaluate/cycles/{cycle.pk}/scores/store/")
    assert response.status_code == 302
    assert ScoreResult.objects.filter(cycle=cycle).count() == 6
    assert as_user(company.user("manager")).post(
        f"/evaluate/cycles/{cycle.pk}/scores/store/"
    ).status_code in (403, 404)
    page = as_user(company.hr).get(f"/evaluate/cycles/{cycle.pk}/scores/").content.decode()
    assert "Stored grade distribution" in page


def test_api_scores_breakdown_store_and_override(company, rated, as_user):
    cycle = rated["cycle"]
    manager = as_user(company.user("manager"))
    listing = manager.get(f"/api/v1/cycles/{cycle.pk}/scores").json()
    names = {row["employee_name"] for row in listing["items"]}
    assert company.direct.name in names and rated["peers"][0].name not in names
    detail = manager.get(f"/api/v1/cycles/{cycle.pk}/people/{company.direct.pk}/score").json()
    assert detail["overall_score"] == "89.76" and detail["grade"] == "A"
    assert detail["formulas"]["overall"] == "(70 × 96 + 30 × 75.2) ÷ 100 = 89.76"
    assert all(peer.name not in str(detail) for peer in rated["peers"])
    goal = rated["goals"][1]
    bad = manager.put(
        f"/api/v1/goals/{goal.pk}/score-override",
        {"points": "90", "reason": ""},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "no_reason"
    ok = manager.put(
        f"/api/v1/goals/{goal.pk}/score-override",
        {"points": "90", "reason": "Market collapsed in week 3"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["points"] == "90.00"
    assert AuditEvent.objects.filter(
        object_type="evaluation.goalscoreoverride", reason="Market collapsed in week 3"
    ).exists()
    cleared = manager.post(
        f"/api/v1/goals/{goal.pk}/score-override/clear",
        {"reason": "Decided at calibration to keep the rule"},
        content_type="application/json",
    )
    assert cleared.status_code == 204
    assert manager.post(f"/api/v1/cycles/{cycle.pk}/scores/store").status_code == 403
    response = as_user(company.hr).post(f"/api/v1/cycles/{cycle.pk}/scores/store")
    assert response.status_code == 202
    stored = response.json()
    assert stored["status"] == "done" and stored["total"] == 6 and stored["done"] == 6
    assert stored["report"] == {"created": 6, "updated": 0, "unchanged": 0}
    latest = as_user(company.hr).get(f"/api/v1/cycles/{cycle.pk}/score-runs/latest").json()
    assert latest["id"] == stored["id"]
    assert manager.get(f"/api/v1/cycles/{cycle.pk}/score-runs/latest").status_code == 403
    results = manager.get(f"/api/v1/cycles/{cycle.pk}/score-results").json()["items"]
    assert {r["employee_id"] for r in results} == {company.direct.pk, company.indirect.pk}
    assert D(
        next(r for r in results if r["employee_id"] == company.direct.pk)["overall_score"]
    ) == D("89.76")

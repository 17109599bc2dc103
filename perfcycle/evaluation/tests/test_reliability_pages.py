"""The rater reliability and normalisation pages and API: HR's alone, the ICC table and
the rater table, the switch (audited) with scores before and after."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from perfcycle.audit.models import AuditEvent
from perfcycle.cycles.models import CycleParticipant
from perfcycle.evaluation.tests.test_analysis import PUBLISHED, _cycle, _rate, _table_2_cycle

API = "/api/v1"


@pytest.fixture
def table_2(company):
    cycle, _judges, targets = _table_2_cycle(_cycle(rating_max=10))
    CycleParticipant.objects.bulk_create(
        [CycleParticipant(cycle=cycle, employee=t, department_id=t.department_id) for t in targets]
    )
    return cycle


def test_hr_sees_the_six_forms_and_the_raters(company, table_2, as_user):
    response = as_user(company.hr).get(reverse("evaluation:reliability", args=[table_2.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for value in ("0.17", "0.29", "0.71", "0.44", "0.62", "0.91"):
        assert value in html
    assert "Judge 1" in html and "among peers" in html
    assert "How to read these figures" in html and "Case 1" in html


def test_the_pages_render_in_chinese(company, table_2, as_user):
    client = as_user(company.hr)
    for page in ("evaluation:reliability", "evaluation:normalisation"):
        response = client.get(reverse(page, args=[table_2.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200
        assert response.headers["Content-Language"] == "zh-hans"


@pytest.mark.parametrize("name", ["manager", "direct", "stranger"])
def test_others_are_told_the_pages_do_not_exist(company, table_2, as_user, name):
    client = as_user(company.user(name))
    for page in ("evaluation:reliability", "evaluation:normalisation"):
        assert client.get(reverse(page, args=[table_2.pk])).status_code == 404
    assert (
        client.post(reverse("evaluation:normalisation", args=[table_2.pk]), {"on": "1"}).status_code
        == 404
    )
    table_2.refresh_from_db()
    assert not table_2.normalise_ratings


def test_hr_switches_normalisation_on_and_off(company, table_2, as_user):
    client = as_user(company.hr)
    url = reverse("evaluation:normalisation", args=[table_2.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Switch normalisation on" in page.content.decode()
    assert client.post(url, {"on": "1"}).status_code == 302
    table_2.refresh_from_db()
    assert table_2.normalise_ratings
    assert "Switch normalisation off" in client.get(url).content.decode()
    client.post(url, {"on": "0"})
    table_2.refresh_from_db()
    assert not table_2.normalise_ratings
    events = AuditEvent.objects.for_object(table_2).order_by("pk")
    assert [e.after for e in events] == [
        {"normalise_ratings": True},
        {"normalise_ratings": False},
    ]


def test_the_normalisation_page_shows_scores_before_and_after(company, as_user):
    cycle, items = _cycle()
    people = [company.direct, company.indirect]
    CycleParticipant.objects.bulk_create(
        [CycleParticipant(cycle=cycle, employee=e, department_id=e.department_id) for e in people]
    )
    for i, person in enumerate(people):
        _rate(cycle, person, company.top, "manager", [2 + i], items)
    html = as_user(company.hr).get(reverse("evaluation:normalisation", args=[cycle.pk])).content
    html = html.decode()
    assert "Dan Direct" in html and "Ivy Indirect" in html
    assert "Scores cannot be computed yet." not in html


def test_api_reliability_for_hr_only(company, table_2, as_user):
    url = f"{API}/cycles/{table_2.pk}/reliability"
    body = as_user(company.hr).get(url).json()
    peers = [row for row in body["icc"] if row["matrix"] == "among_peers"]
    assert {k: round(v, 2) for k, v in peers[0]["values"].items()} == PUBLISHED
    assert (peers[0]["n"], peers[0]["k"]) == (6, 4)
    by_source = next(row for row in body["icc"] if row["matrix"] == "by_source")
    assert by_source["reason"]
    assert {r["name"] for r in body["raters"]} == {f"Judge {j}" for j in range(1, 5)}
    assert as_user(company.user("manager")).get(url).status_code == 403


def test_api_normalisation_get_and_put(company, table_2, as_user):
    url = f"{API}/cycles/{table_2.pk}/normalisation"
    client = as_user(company.hr)
    assert client.get(url).json()["on"] is False
    response = client.put(url, json.dumps({"on": True}), content_type="application/json")
    assert response.status_code == 200 and response.json()["on"] is True
    table_2.refresh_from_db()
    assert table_2.normalise_ratings
    manager = as_user(company.user("manager"))
    assert manager.get(url).status_code == 403
    denied = manager.put(url, json.dumps({"on": False}), content_type="application/json")
    assert denied.status_code == 403
    table_2.refresh_from_db()
    assert table_2.normalise_ratings

"""Review progress and reminders over the API: HR sees names, a manager only counts for
peer and upward forms; reminders answer with counts."""

from __future__ import annotations

import json

import pytest

from perfcycle.evaluation.tests.test_progress_data import progress_cycle
from perfcycle.notifications.models import Notification

API = "/api/v1"


@pytest.fixture
def setup(company):
    return progress_cycle(company)


def test_hr_gets_the_progress_with_reviewer_names(company, setup, as_user):
    body = as_user(company.hr).get(f"{API}/cycles/{setup.cycle.pk}/review-progress").json()
    assert body["reviewer_names_shown"] is True
    assert body["total"] == {
        "submitted": 2,
        "in_progress": 2,
        "not_started": 5,
        "total": 9,
        "percent_done": 22,
    }
    assert [p["phase"] for p in body["phases"]] == ["self_review", "review_360", "manager_review"]
    assert {row["reviewer_name"] for row in body["late"]} >= {"Sam Stranger", "Top"}


def test_a_managers_progress_never_contains_a_peer_reviewer(company, setup, as_user):
    response = as_user(company.user("manager")).get(
        f"{API}/cycles/{setup.cycle.pk}/review-progress"
    )
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("Sam Stranger", "Top", "Hilda HR"):
        assert name not in text
    body = response.json()
    assert body["reviewer_names_shown"] is False
    anonymous = [row for row in body["late"] if row["anonymous"]]
    assert {row["reviewee_name"] for row in anonymous} == {"Dan Direct", "Ivy Indirect"}
    assert all(row["reviewer_id"] is None for row in anonymous)
    ids = {row["reviewer_id"] for row in body["late"]}
    assert company.stranger.pk not in ids and company.top.pk not in ids


def test_employees_get_403(company, setup, as_user):
    client = as_user(company.user("indirect"))
    assert client.get(f"{API}/cycles/{setup.cycle.pk}/review-progress").status_code == 403
    response = client.post(
        f"{API}/cycles/{setup.cycle.pk}/review-reminders", "{}", content_type="application/json"
    )
    assert response.status_code == 403


def test_reminders_answer_with_counts_only(company, setup, as_user):
    client = as_user(company.user("manager"))
    url = f"{API}/cycles/{setup.cycle.pk}/review-reminders"
    body = {"reviewee_id": company.direct.pk}
    first = client.post(url, json.dumps(body), content_type="application/json")
    assert first.status_code == 200
    assert first.json() == {"reminded": 2, "already_reminded": 0}
    again = client.post(url, json.dumps(body), content_type="application/json").json()
    assert again == {"reminded": 0, "already_reminded": 2}
    assert Notification.objects.count() == 2
    probe = client.post(
        url, json.dumps({"reviewer_id": company.stranger.pk}), content_type="application/json"
    )
    assert probe.json() == {"reminded": 0, "already_reminded": 0}


def test_unknown_cycle_is_404(company, as_user):
    assert as_user(company.hr).get(f"{API}/cycles/999999/review-progress").status_code == 404

"""Review forms over the API: the reviewer alone fills in, HR reads, others get 404;
stale versions answer 409, ratings off the scale 422; peers and reports stay anonymous."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from perfcycle.cycles.models import Cycle, CycleDeadline, Phase
from perfcycle.evaluation.models import FormStatus, Rating
from perfcycle.evaluation.tests.test_form_pages import (
    PEER_NAMES,
    REPORT_NAME,
    Setup,
    build,
    extra_peers,
    fill_and_submit,
)

JSON = "application/json"


def call(client: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    if method == "get":
        return client.get(f"/api/v1{path}", body or {})
    return getattr(client, method)(f"/api/v1{path}", body or {}, content_type=JSON)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.fixture
def s(company) -> Setup:
    return build(company)


def draft(s: Setup, version: int, rating: int = 4) -> dict[str, Any]:
    return {
        "version": version,
        "ratings": {str(s.items[0].pk): rating, str(s.items[1].pk): 3},
        "comments": {str(s.items[0].pk): "Clear"},
        "answers": {str(s.question.pk): "Writes well"},
        "summary": "Good quarter",
    }


def test_the_reviewer_lists_reads_saves_and_submits(company, s, as_user):
    client = as_user(company.user("stranger"))
    rows = ok(call(client, "get", "/reviews"))
    assert [(r["id"], r["source"], r["open"]) for r in rows] == [(s.form.pk, "peer", True)]
    assert rows[0]["deadline"] == (timezone.localdate() + dt.timedelta(3)).isoformat()
    assert ok(call(client, "get", "/reviews", {"status": "submitted"})) == []
    detail = ok(call(client, "get", f"/reviews/{s.form.pk}"))
    assert [i["competency"] for i in detail["items"]] == ["Communication", "Teamwork"]
    assert detail["items"][0]["anchors"][-1] == {"rating": 5, "description": "Explains clearly"}
    assert [p["rating"] for p in detail["scale"]] == [1, 2, 3, 4, 5]
    assert all(p["label"] for p in detail["scale"])
    assert [q["text"] for q in detail["questions"]] == [
        "Strengths?",
        "What should they keep doing?",
    ]
    saved = ok(call(client, "put", f"/reviews/{s.form.pk}", draft(s, detail["version"])))
    assert saved["status"] == "draft" and saved["version"] == detail["version"] + 1
    assert saved["items"][0]["rating"] == 4 and saved["items"][0]["comment"] == "Clear"
    submitted = ok(call(client, "post", f"/reviews/{s.form.pk}/submit", {"version": 2}))
    assert submitted["status"] == "submitted" and submitted["open"] is False
    locked = error(call(client, "put", f"/reviews/{s.form.pk}", draft(s, 3, rating=1)), 400)
    assert locked["code"] == "form_locked"
    assert Rating.objects.get(form=s.form, item=s.items[0]).value == 4


def test_hr_reads_but_cannot_fill(company, s, as_user):
    client = as_user(company.hr)
    assert ok(call(client, "get", f"/reviews/{s.form.pk}"))["id"] == s.form.pk
    assert error(call(client, "put", f"/reviews/{s.form.pk}", draft(s, 1)), 403)
    assert error(call(client, "post", f"/reviews/{s.form.pk}/submit", {"version": 1}), 403)
    assert not Rating.objects.exists()


@pytest.mark.parametrize("name", ["manager", "direct", "indirect", "top"])
def test_others_get_404(company, s, as_user, name):
    client = as_user(company.user(name))
    assert error(call(client, "get", f"/reviews/{s.form.pk}"), 404)["code"] == "not_found"
    assert error(call(client, "put", f"/reviews/{s.form.pk}", draft(s, 1)), 404)
    assert error(call(client, "post", f"/reviews/{s.form.pk}/submit", {"version": 1}), 404)
    assert s.form.pk not in [r["id"] for r in ok(call(client, "get", "/reviews"))]
    assert not Rating.objects.exists()


def test_a_rating_off_the_scale_is_422_with_the_field(company, s, as_user):
    client = as_user(company.user("stranger"))
    body = error(call(client, "put", f"/reviews/{s.form.pk}", draft(s, 1, rating=6)), 422)
    assert body["code"] == "validation_failed"
    assert f"rating_{s.items[0].pk}" in body["details"]["fields"]
    assert not Rating.objects.exists()


def test_submission_after_the_deadline_is_refused(company, s, as_user):
    client = as_user(company.user("stranger"))
    ok(call(client, "put", f"/reviews/{s.form.pk}", draft(s, 1)))
    CycleDeadline.objects.filter(cycle=s.cycle).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    body = error(call(client, "post", f"/reviews/{s.form.pk}/submit", {"version": 2}), 400)
    assert body["code"] == "form_past_deadline"
    s.form.refresh_from_db()
    assert s.form.status == FormStatus.DRAFT


def test_two_saves_of_one_version_the_second_is_409(company, s, as_user):
    first, second = (as_user(company.user("stranger")) for _ in range(2))
    ok(call(first, "put", f"/reviews/{s.form.pk}", draft(s, 1, rating=4)))
    body = error(call(second, "put", f"/reviews/{s.form.pk}", draft(s, 1, rating=2)), 409)
    assert body["code"] == "conflict"
    assert Rating.objects.get(form=s.form, item=s.items[0]).value == 4


def test_evidence_is_for_manager_forms_and_names_no_peer_or_report(company, s, as_user):
    for n, peer in enumerate([company.stranger, *extra_peers(2)]):
        fill_and_submit(s, peer, "peer", n)
    fill_and_submit(s, company.indirect, "report", 0)
    Cycle.objects.filter(pk=s.cycle.pk).update(phase=Phase.MANAGER_REVIEW)
    manager = as_user(company.user("manager"))
    response = call(manager, "get", f"/reviews/{s.manager_form.pk}/evidence")
    body = ok(response)
    assert body["peers"]["shown"] and body["peers"]["submitted"] == 3
    assert body["peers"]["averages"][0] == {
        "item_id": s.items[0].pk,
        "competency": "Communication",
        "average": "3.00",
        "answered": 3,
    }
    strengths = next(a for a in body["peers"]["answers"] if a["question_id"] == s.question.pk)
    assert strengths["answers"] == ["Answer 0", "Answer 1", "Answer 2"]
    assert body["reports"] == {
        "source": "report",
        "shown": False,
        "submitted": 1,
        "minimum": 3,
        "averages": [],
        "answers": [],
    }
    text = response.content.decode()
    for name in (*PEER_NAMES[:3], REPORT_NAME):
        assert name not in text
    # A peer form has no evidence; someone else's manager form is not found.
    stranger = as_user(company.user("stranger"))
    assert error(call(stranger, "get", f"/reviews/{s.form.pk}/evidence"), 404)
    assert error(call(stranger, "get", f"/reviews/{s.manager_form.pk}/evidence"), 404)
    assert error(
        call(as_user(company.user("direct")), "get", f"/reviews/{s.manager_form.pk}/evidence"), 404
    )


def test_peer_summary_below_the_minimum_is_422_and_shown_at_it(company, s, as_user):
    manager = as_user(company.user("manager"))
    path = f"/cycles/{s.cycle.pk}/people/{company.direct.pk}/peer-summary"
    peers = [company.stranger, *extra_peers(2)]
    for n, peer in enumerate(peers[:2]):
        fill_and_submit(s, peer, "peer", n)
    body = error(call(manager, "get", path), 422)
    assert body["code"] == "below_anonymity_minimum"
    assert body["details"] == {"minimum": 3, "submitted": 2}
    fill_and_submit(s, peers[2], "peer", 2)
    response = call(manager, "get", path)
    summary = ok(response)
    assert summary["peers"]["shown"] and len(summary["peers"]["averages"]) == 2
    for name in PEER_NAMES[:3]:
        assert name not in response.content.decode()
    assert ok(call(as_user(company.hr), "get", path))["peers"]["submitted"] == 3
    for name in ("direct", "stranger", "indirect"):
        assert error(call(as_user(company.user(name)), "get", path), 404)


def test_reviewer_lists_hide_other_peers(company, s, as_user):
    """A peer sees only their own form: nothing about who else reviews the person."""
    fill_and_submit(s, extra_peers(1)[0], "peer", 0)
    rows = ok(call(as_user(company.user("stranger")), "get", "/reviews"))
    assert [r["id"] for r in rows] == [s.form.pk]
    assert "Pia Peer" not in str(rows)

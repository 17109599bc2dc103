"""Calibration sessions over the API: list and create, the session with people,
distribution and adjustments, changes (409 stale, 422 no reason, 400 locked), lock,
unlock, sign-off, the 9-box, and who gets 404."""

from __future__ import annotations

import json

import pytest

from perfcycle.calibration.models import Result
from perfcycle.calibration.tests.test_sessions_data import session_world

API = "/api/v1"
REASON = "Delivered the Q1 launch alone."


@pytest.fixture
def world(company):
    return session_world(company)


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_list_and_create_sessions(company, world, as_user):
    url = f"{API}/cycles/{world.cycle.pk}/calibration-sessions"
    hr = as_user(company.hr)
    assert [s["name"] for s in hr.get(url).json()] == ["Sales"]
    response = post(
        hr, url, {"name": "Everyone", "scope": "company", "calibrator_ids": [company.top.pk]}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["people"] == 5 and body["calibrators"] == [{"id": company.top.pk, "name": "Top"}]
    mine = as_user(company.user("stranger")).get(url).json()
    assert [s["name"] for s in mine] == ["Sales"]
    assert as_user(company.user("manager")).get(url).json() == []
    response = post(
        as_user(company.user("stranger")),
        url,
        {"name": "Mine", "scope": "company", "calibrator_ids": [company.stranger.pk]},
    )
    assert response.status_code == 403
    response = post(
        hr,
        url,
        {"name": "Nobody", "scope": "level", "level": "Z9", "calibrator_ids": [company.top.pk]},
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "empty_scope"


def test_session_detail_with_people_distribution_and_anonymous_peers(company, world, as_user):
    url = f"{API}/calibration-sessions/{world.session.pk}"
    body = as_user(company.user("stranger")).get(url).json()
    names = [p["employee_name"] for p in body["people_in_scope"]]
    assert names == ["Dan Direct", "Ivy Indirect", "Mia Manager"]
    assert {r["code"]: r["count"] for r in body["distribution"]["rows"]}["B"] == 2
    assert body["distribution"]["ok"] is False and body["distribution"]["strict"] is True
    assert "Lenny" not in json.dumps(body)
    dan = body["people_in_scope"][0]
    assert any(f["text"] == "rated by a lenient rater: a peer" for f in dan["rater_flags"])
    hr_body = as_user(company.hr).get(url).json()
    assert "Lenny Lenient" in json.dumps(hr_body)
    for name in ("manager", "indirect"):
        assert as_user(company.user(name)).get(url).status_code == 404
        assert as_user(company.user(name)).get(f"{url}/ninebox").status_code == 404


def test_adjustment_errors_and_success(company, world, as_user):
    url = f"{API}/calibration-sessions/{world.session.pk}/adjustments"
    result = world.result(company.direct)
    client = as_user(company.user("stranger"))
    payload = {"result_id": result.pk, "grade": "A", "reason": "short", "version": result.version}
    response = post(client, url, payload)
    assert response.status_code == 422 and response.json()["error"]["code"] == "no_reason"
    response = post(client, url, {**payload, "reason": REASON})
    assert response.status_code == 201
    body = response.json()
    assert body["adjustment"]["before"] == "B" and body["adjustment"]["after"] == "A"
    assert body["result_version"] == result.version + 1
    response = post(client, url, {**payload, "grade": "C", "reason": REASON})  # stale version
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    assert Result.objects.get(pk=result.pk).grade == "A"
    detail = as_user(company.hr).get(f"{API}/calibration-sessions/{world.session.pk}").json()
    assert [a["reason"] for a in detail["adjustments"]] == [REASON]
    outsider = world.result(company.stranger)
    response = post(client, url, {**payload, "result_id": outsider.pk, "reason": REASON})
    assert response.status_code == 404
    response = post(
        as_user(company.user("manager")), url, {**payload, "version": result.version + 1}
    )
    assert response.status_code == 404


def test_lock_unlock_sign_off_and_potential(company, world, as_user):
    base = f"{API}/calibration-sessions/{world.session.pk}"
    hr, calibrator = as_user(company.hr), as_user(company.user("stranger"))
    assert post(calibrator, f"{base}/lock").status_code == 403
    assert post(hr, f"{base}/lock").json()["status"] == "locked"
    result = world.result(company.direct)
    payload = {
        "result_id": result.pk,
        "potential": "high",
        "reason": REASON,
        "version": result.version,
    }
    response = post(calibrator, f"{base}/potential", payload)
    assert response.status_code == 400 and response.json()["error"]["code"] == "session_locked"
    response = post(calibrator, f"{base}/sign-off")
    assert response.status_code == 400 and response.json()["error"]["code"] == "off_guideline"
    response = post(hr, f"{base}/unlock", {"reason": "short"})
    assert response.status_code == 422
    assert post(hr, f"{base}/unlock", {"reason": REASON}).json()["status"] == "open"
    assert post(calibrator, f"{base}/potential", payload).status_code == 201
    boxes = as_user(company.user("stranger")).get(f"{base}/ninebox").json()
    medium_high = next(
        b for b in boxes["boxes"] if (b["performance"], b["potential"]) == ("medium", "high")
    )
    assert [p["name"] for p in medium_high["people"]] == ["Dan Direct"]
    assert medium_high["term_zh"] == "潜力之星"
    assert {p["name"] for p in boxes["potential_not_rated"]} == {"Ivy Indirect", "Mia Manager"}
    assert boxes["grade_levels"]["S"] == "high"

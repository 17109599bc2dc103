"""Results over the API: who sees which, the breakdown, the talk with its versions, and
acknowledgement."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from perfcycle.calibration.models import Result
from perfcycle.calibration.tests.test_feedback import build_world

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
def world(company):
    return build_world(company)


def test_lists_follow_the_policy(company, world, as_user):
    cycle = f"?cycle_id={world.cycle.pk}"
    mine = ok(call(as_user(company.user("indirect")), "get", f"/results{cycle}"))["items"]
    assert [r["employee_name"] for r in mine] == ["Ivy Indirect"]
    assert mine[0]["state"] == "waiting" and mine[0]["window_closes_on"]
    line = ok(call(as_user(company.user("manager")), "get", "/results"))["items"]
    assert {r["employee_name"] for r in line} == {"Dan Direct", "Ivy Indirect"}
    assert ok(call(as_user(company.user("stranger")), "get", "/results"))["items"] == []
    assert len(ok(call(as_user(company.hr), "get", "/results"))["items"]) == 2


def test_one_result_with_its_breakdown(company, world, as_user):
    data = ok(call(as_user(company.user("direct")), "get", f"/results/{world.direct.pk}"))
    assert data["grade"] == "B" and data["manager_summary"] == "A strong quarter in sales."
    assert data["breakdown"]["overall_score"] == "85.00"
    assert data["talk"] is None and data["appeals"] == []


def test_another_persons_result_and_before_release_are_404(company, as_user):
    world = build_world(company, released=False)
    path = f"/results/{world.direct.pk}"
    error(call(as_user(company.user("direct")), "get", path), 404)
    error(call(as_user(company.user("stranger")), "get", path), 404)
    error(call(as_user(company.user("indirect")), "get", path), 404)
    assert ok(call(as_user(company.user("manager")), "get", path))["released_at"] is None
    assert ok(call(as_user(company.hr), "get", path))["state"] == "not_released"
    assert ok(call(as_user(company.user("indirect")), "get", "/results"))["items"] == []
    body = {
        "held_on": timezone.localdate().isoformat(),
        "strengths": "a",
        "improvements": "b",
        "next_steps": "c",
    }
    assert (
        error(call(as_user(company.user("manager")), "put", f"{path}/talk", body), 400)["code"]
        == "not_released"
    )


def test_talk_comments_and_a_stale_edit(company, world, as_user):
    path = f"/results/{world.direct.pk}/talk"
    manager, direct = as_user(company.user("manager")), as_user(company.user("direct"))
    body = {
        "held_on": timezone.localdate().isoformat(),
        "strengths": "Closed deals.",
        "improvements": "Forecasting.",
        "next_steps": "Weekly pipeline review.",
    }
    talk = ok(call(manager, "put", path, body))
    assert talk["manager_name"] == "Mia Manager" and talk["version"] == 1
    talk = ok(call(manager, "put", path, {**body, "next_steps": "Coach.", "version": 1}))
    assert talk["version"] == 2
    assert error(call(manager, "put", path, {**body, "version": 1}), 409)["code"] == "conflict"
    error(call(direct, "put", path, body), 403)
    talk = ok(call(direct, "put", f"{path}/comments", {"comments": "Agreed.", "version": 2}))
    assert talk["employee_comments"] == "Agreed."
    error(call(direct, "put", f"{path}/comments", {"comments": "Again.", "version": 2}), 409)
    error(call(manager, "put", f"{path}/comments", {"comments": "x", "version": 3}), 403)
    error(call(as_user(company.user("stranger")), "put", path, body), 404)


def test_acknowledge(company, world, as_user):
    path = f"/results/{world.direct.pk}/acknowledge"
    data = ok(call(as_user(company.user("direct")), "post", path))
    assert data["state"] == "acknowledged" and data["acknowledged_at"]
    again = error(call(as_user(company.user("direct")), "post", path), 400)
    assert again["code"] == "already_acknowledged"
    error(call(as_user(company.user("manager")), "post", path), 403)
    assert Result.objects.get(pk=world.direct.pk).acknowledged_at is not None

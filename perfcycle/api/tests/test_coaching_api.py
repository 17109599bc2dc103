"""Coaching over the API: check-ins and their private notes, observations and their
visibility, feedback visibility, the course catalogue and training to completion."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from perfcycle.audit.models import AuditEvent
from perfcycle.cycles.models import Phase
from perfcycle.monitoring.models import CheckIn, Observation
from tests.factories import CycleFactory, GoalFactory

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


def soon(days: int = 1) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


@pytest.fixture
def cycle(company):
    today = timezone.localdate()
    return CycleFactory(
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=60),
        phase=Phase.IN_PROGRESS,
        participants=[company.manager, company.direct, company.indirect],
    )


@pytest.fixture
def clients(company, as_user):
    return {
        name: as_user(company.user(name))
        for name in ("manager", "direct", "indirect", "stranger", "top")
    } | {"hr": as_user(company.hr)}


def test_check_in_round_trip_and_private_notes(company, cycle, clients):
    goal = GoalFactory(cycle=cycle, employee=company.direct)
    created = ok(
        call(
            clients["manager"],
            "post",
            "/checkins",
            {"employee_id": company.direct.pk, "scheduled_for": soon(), "agenda": ["Pipeline"]},
        ),
        201,
    )
    pk = created["id"]
    assert created["status"] == "scheduled" and created["private_notes"] == ""
    assert created["cycle_id"] == cycle.pk  # the current cycle by default
    ok(call(clients["direct"], "post", f"/checkins/{pk}/agenda", {"text": "Training"}), 201)
    body = ok(
        call(
            clients["manager"],
            "patch",
            f"/checkins/{pk}/notes",
            {"version": 1, "shared_notes": "Good quarter", "private_notes": "Promotion candidate"},
        )
    )
    assert body["private_notes"] == "Promotion candidate"
    # The employee: shared notes yes, private notes never.
    seen = ok(call(clients["direct"], "get", f"/checkins/{pk}"))
    assert seen["shared_notes"] == "Good quarter"
    assert seen["private_notes"] is None
    assert "Promotion candidate" not in str(ok(call(clients["direct"], "get", "/checkins")))
    error(
        call(
            clients["direct"],
            "patch",
            f"/checkins/{pk}/notes",
            {"version": 2, "private_notes": "x"},
        ),
        403,
    )
    assert (
        ok(call(clients["hr"], "get", f"/checkins/{pk}"))["private_notes"] == "Promotion candidate"
    )
    assert (
        ok(call(clients["top"], "get", f"/checkins/{pk}"))["private_notes"] == "Promotion candidate"
    )
    error(call(clients["stranger"], "get", f"/checkins/{pk}"), 404)
    error(call(clients["indirect"], "get", f"/checkins/{pk}"), 404)
    # Goal confidence, an action item, held.
    note = ok(
        call(
            clients["direct"],
            "put",
            f"/checkins/{pk}/goals/{goal.pk}",
            {"comment": "ok", "confidence": 8},
        )
    )
    assert note["confidence"] == 8
    error(
        call(clients["direct"], "put", f"/checkins/{pk}/goals/{goal.pk}", {"confidence": 11}), 422
    )
    item = ok(
        call(
            clients["manager"],
            "post",
            f"/checkins/{pk}/action-items",
            {"text": "Call ACME", "due_date": "2030-01-01"},
        ),
        201,
    )
    assert item["owner_id"] == company.direct.pk
    error(
        call(
            clients["manager"],
            "post",
            f"/checkins/{pk}/action-items",
            {"text": "x", "owner_id": company.stranger.pk},
        ),
        422,
    )
    error(call(clients["direct"], "post", f"/checkins/{pk}/held", {"version": 2}), 403)
    assert (
        ok(call(clients["manager"], "post", f"/checkins/{pk}/held", {"version": 2}))["status"]
        == "done"
    )
    # The next check-in carries the open item over until it is done.
    second = ok(
        call(
            clients["manager"],
            "post",
            "/checkins",
            {"employee_id": company.direct.pk, "scheduled_for": soon(7)},
        ),
        201,
    )
    assert [i["text"] for i in second["carried_over"]] == ["Call ACME"]
    ok(call(clients["direct"], "post", f"/action-items/{item['id']}/done", {"done": True}))
    assert ok(call(clients["manager"], "get", f"/checkins/{second['id']}"))["carried_over"] == []
    assert ok(call(clients["stranger"], "get", "/action-items"))["count"] == 0


def test_request_and_confirm(company, clients):
    created = ok(call(clients["direct"], "post", "/checkins/request", {"topic": "Career"}), 201)
    assert created["status"] == "requested" and created["manager_id"] == company.manager.pk
    pk = created["id"]
    error(
        call(
            clients["direct"],
            "post",
            f"/checkins/{pk}/confirm",
            {"scheduled_for": soon(), "version": 1},
        ),
        403,
    )
    confirmed = ok(
        call(
            clients["manager"],
            "post",
            f"/checkins/{pk}/confirm",
            {"scheduled_for": soon(2), "version": 1},
        )
    )
    assert confirmed["status"] == "scheduled"
    error(
        call(
            clients["manager"],
            "post",
            f"/checkins/{pk}/confirm",
            {"scheduled_for": soon(2), "version": 1},
        ),
        409,
    )
    # An employee may not schedule; a stranger may not schedule someone else's report.
    error(
        call(
            clients["stranger"],
            "post",
            "/checkins",
            {"employee_id": company.direct.pk, "scheduled_for": soon()},
        ),
        422,
    )
    error(
        call(
            clients["direct"],
            "post",
            "/checkins",
            {"employee_id": company.direct.pk, "scheduled_for": soon()},
        ),
        403,
    )


def test_private_observations_never_reach_the_employee(company, cycle, clients):
    today = timezone.localdate().isoformat()
    private = ok(
        call(
            clients["manager"],
            "post",
            "/observations",
            {
                "employee_id": company.direct.pk,
                "occurred_on": today,
                "kind": "improvement",
                "text": "Secret gap",
            },
        ),
        201,
    )
    shared = ok(
        call(
            clients["manager"],
            "post",
            "/observations",
            {
                "employee_id": company.direct.pk,
                "occurred_on": today,
                "kind": "positive",
                "text": "Great demo",
                "visibility": "shared",
            },
        ),
        201,
    )
    assert private["cycle_id"] == cycle.pk
    listed = ok(call(clients["direct"], "get", "/observations"))
    assert [o["id"] for o in listed["items"]] == [shared["id"]]
    assert "Secret gap" not in str(listed)
    error(call(clients["direct"], "get", f"/observations/{private['id']}"), 404)
    review = ok(
        call(
            clients["direct"],
            "get",
            f"/cycles/{cycle.pk}/employees/{company.direct.pk}/observations",
        )
    )
    assert [o["id"] for o in review] == [shared["id"]]
    review = ok(
        call(
            clients["manager"],
            "get",
            f"/cycles/{cycle.pk}/employees/{company.direct.pk}/observations",
        )
    )
    assert {o["id"] for o in review} == {private["id"], shared["id"]}
    # Only managers log them; a bad one is refused and nothing is written.
    count = Observation.objects.count()
    error(
        call(
            clients["direct"],
            "post",
            "/observations",
            {
                "employee_id": company.direct.pk,
                "occurred_on": today,
                "kind": "positive",
                "text": "x",
            },
        ),
        403,
    )
    error(
        call(
            clients["manager"],
            "post",
            "/observations",
            {
                "employee_id": company.direct.pk,
                "occurred_on": "2999-01-01",
                "kind": "positive",
                "text": "x",
            },
        ),
        422,
    )
    assert Observation.objects.count() == count


def test_feedback_visibility(company, clients):
    for visibility in ("private", "manager", "public"):
        ok(
            call(
                clients["stranger"],
                "post",
                "/feedback",
                {
                    "receiver_id": company.direct.pk,
                    "text": f"{visibility} thanks",
                    "visibility": visibility,
                },
            ),
            201,
        )

    def texts(name: str, path: str) -> set[str]:
        return {f["text"] for f in ok(call(clients[name], "get", path))["items"]}

    mine = f"/feedback?receiver_id={company.direct.pk}"
    assert texts("direct", mine) == {"private thanks", "manager thanks", "public thanks"}
    assert texts("manager", mine) == {"manager thanks", "public thanks"}
    assert texts("indirect", mine) == {"public thanks"}
    assert texts("indirect", "/feedback/wall") == {"public thanks"}
    err = error(
        call(
            clients["direct"],
            "post",
            "/feedback",
            {"receiver_id": company.direct.pk, "text": "me", "visibility": "public"},
        ),
        422,
    )
    assert "receiver" in str(err["details"])


def test_catalogue_recommendation_and_completion(company, cycle, clients):
    comm = ok(
        call(clients["hr"], "post", "/competencies", {"code": "COMM", "name": "Communication"}), 201
    )
    error(call(clients["manager"], "post", "/competencies", {"code": "X", "name": "X"}), 403)
    course = ok(
        call(
            clients["hr"],
            "post",
            "/courses",
            {"code": "C1", "title": "Talking to customers", "competency_ids": [comm["id"]]},
        ),
        201,
    )
    assert course["competency_ids"] == [comm["id"]]
    error(
        call(
            clients["hr"], "post", "/courses", {"code": "C2", "title": "x", "competency_ids": [999]}
        ),
        422,
    )
    observation = ok(
        call(
            clients["manager"],
            "post",
            "/observations",
            {
                "employee_id": company.direct.pk,
                "occurred_on": timezone.localdate().isoformat(),
                "kind": "improvement",
                "text": "Did not listen",
                "competency_id": comm["id"],
            },
        ),
        201,
    )
    suggested = ok(
        call(clients["manager"], "get", f"/observations/{observation['id']}/suggested-courses")
    )
    assert [c["id"] for c in suggested] == [course["id"]]
    error(
        call(
            clients["direct"],
            "post",
            "/training",
            {"employee_id": company.direct.pk, "course_id": course["id"]},
        ),
        403,
    )
    assignment = ok(
        call(
            clients["manager"],
            "post",
            "/training",
            {
                "employee_id": company.direct.pk,
                "course_id": course["id"],
                "observation_id": observation["id"],
            },
        ),
        201,
    )
    error(
        call(
            clients["manager"],
            "post",
            "/training",
            {"employee_id": company.direct.pk, "course_id": course["id"]},
        ),
        400,
    )
    pk = assignment["id"]
    error(
        call(
            clients["stranger"],
            "post",
            f"/training/{pk}/status",
            {"status": "completed", "version": 1},
        ),
        404,
    )
    ok(
        call(
            clients["direct"],
            "post",
            f"/training/{pk}/status",
            {"status": "in_progress", "version": 1},
        )
    )
    done = ok(
        call(
            clients["direct"],
            "post",
            f"/training/{pk}/status",
            {"status": "completed", "version": 2},
        )
    )
    assert done["completed_on"] == timezone.localdate().isoformat()
    seen = ok(call(clients["manager"], "get", f"/training?employee_id={company.direct.pk}"))
    assert [t["status"] for t in seen["items"]] == ["completed"]
    assert ok(call(clients["hr"], "get", "/training"))["count"] == 1
    assert ok(call(clients["stranger"], "get", "/training"))["count"] == 0
    assert AuditEvent.objects.filter(object_type="monitoring.trainingassignment").count() == 3
    assert CheckIn.objects.count() == 0

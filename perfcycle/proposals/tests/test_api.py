"""Proposal rounds and proposals over the API: who may do what, the error bodies, the
paginated lists, the steps and a stale version (409)."""

from __future__ import annotations

from typing import Any

import pytest

from perfcycle.proposals.models import Proposal
from perfcycle.proposals.tests.conftest import JUSTIFICATION

pytestmark = pytest.mark.django_db
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


def new_round(client, world, **extra):
    body = {
        "cycle_id": world.q2.pk,
        "kind": "salary_review",
        "name": "Q2 salary review",
        "min_grade": "A",
        "min_tenure_months": 12,
        "increase_budget": "3000",
        **extra,
    }
    return call(client, "post", "/proposal-rounds", body)


def test_rounds_over_the_api(company, world, as_user):
    hr, manager = as_user(company.hr), as_user(company.user("manager"))
    assert error(new_round(manager, world), 403)["code"] == "forbidden"
    bad = error(new_round(hr, world, min_grade="Q"), 422)
    assert "min_grade" in bad["details"]["fields"]
    created = ok(new_round(hr, world), 201)
    rid = created["id"]
    assert ok(call(manager, "get", "/proposal-rounds"))["count"] == 1
    assert ok(call(manager, "get", f"/proposal-rounds/{rid}"))["increase_budget"] is None
    assert ok(call(hr, "get", f"/proposal-rounds/{rid}"))["budget_used"] == "0"
    assert error(call(as_user(company.user("indirect")), "get", f"/proposal-rounds/{rid}"), 404)
    patched = ok(call(hr, "patch", f"/proposal-rounds/{rid}", {"version": 1, "name": "Renamed"}))
    assert patched["name"] == "Renamed" and patched["version"] == 2
    assert error(call(hr, "patch", f"/proposal-rounds/{rid}", {"version": 1, "name": "X"}), 409)
    closed = ok(call(hr, "patch", f"/proposal-rounds/{rid}", {"version": 2, "status": "closed"}))
    assert closed["status"] == "closed"


def test_eligible_nominate_and_steps(company, world, as_user):
    hr, manager, direct = (
        as_user(company.hr),
        as_user(company.user("manager")),
        as_user(company.user("direct")),
    )
    rid = ok(new_round(hr, world), 201)["id"]
    eligible = ok(call(manager, "get", f"/proposal-rounds/{rid}/eligible", {"nominated": "false"}))
    assert [c["name"] for c in eligible["items"]] == ["Ivy Indirect"]
    assert eligible["items"][0]["grades"][0]["grade"] == "S"
    assert eligible["items"][0]["motivation"]["relevant"] == "bonus"
    body = {
        "employee_id": company.indirect.pk,
        "justification": JUSTIFICATION,
        "increase_pct": "10",
    }
    stranger_body = {**body, "employee_id": company.stranger.pk}
    assert error(call(direct, "post", f"/proposal-rounds/{rid}/proposals", stranger_body), 404)
    short = error(
        call(direct, "post", f"/proposal-rounds/{rid}/proposals", {**body, "justification": "x"}),
        422,
    )
    assert "justification" in short["details"]["fields"]
    p = ok(call(direct, "post", f"/proposal-rounds/{rid}/proposals", body), 201)
    assert p["current_base"] is None  # pay amounts are HR's
    assert ok(call(hr, "get", f"/proposals/{p['id']}"))["proposed_base"] == "11000.00"
    dup = error(call(manager, "post", f"/proposal-rounds/{rid}/proposals", body), 400)
    assert dup["code"] == "duplicate_proposal"
    nominated = ok(call(manager, "get", f"/proposal-rounds/{rid}/eligible", {"nominated": "true"}))
    assert nominated["count"] == 1 and nominated["items"][0]["nominated"]
    listed = ok(call(manager, "get", f"/proposal-rounds/{rid}/proposals"))
    assert listed["count"] == 1
    pid = p["id"]
    returned = ok(
        call(manager, "post", f"/proposals/{pid}/return", {"reason": "Make it 8% please."})
    )
    assert returned["status"] == "returned"
    edited = ok(
        call(
            direct,
            "patch",
            f"/proposals/{pid}",
            {"version": returned["version"], "increase_pct": "8"},
        )
    )
    assert float(edited["increase_pct"]) == 8
    ok(call(direct, "post", f"/proposals/{pid}/resubmit", {"version": edited["version"]}))
    endorsed = ok(call(manager, "post", f"/proposals/{pid}/endorse", {"note": "Agreed."}))
    assert error(
        call(hr, "post", f"/proposals/{pid}/approve", {"version": 1, "effective_on": "2026-08-01"}),
        409,
    )
    assert error(
        call(manager, "post", f"/proposals/{pid}/approve", {"effective_on": "2026-08-01"}), 403
    )
    approved = ok(
        call(
            hr,
            "post",
            f"/proposals/{pid}/approve",
            {"version": endorsed["version"], "effective_on": "2026-08-01"},
        )
    )
    assert approved["status"] == "approved"
    again = error(
        call(hr, "post", f"/proposals/{pid}/approve", {"effective_on": "2026-08-01"}), 400
    )
    assert again["code"] == "already_approved"
    employee = as_user(company.user("indirect"))
    assert ok(call(employee, "get", f"/proposals/{pid}"))["status"] == "approved"
    assert error(call(hr, "post", f"/proposals/{pid}/nope", {}), 404)


def test_the_employee_cannot_see_a_pending_proposal(company, world, as_user):
    hr = as_user(company.hr)
    rid = ok(new_round(hr, world), 201)["id"]
    body = {"employee_id": company.indirect.pk, "justification": JUSTIFICATION, "increase_pct": "5"}
    pid = ok(call(hr, "post", f"/proposal-rounds/{rid}/proposals", body), 201)["id"]
    assert error(call(as_user(company.user("indirect")), "get", f"/proposals/{pid}"), 404)
    rejected = ok(call(hr, "post", f"/proposals/{pid}/reject", {"reason": "Not in this round."}))
    assert rejected["status"] == "rejected"
    assert error(call(as_user(company.user("indirect")), "get", f"/proposals/{pid}"), 404)
    assert Proposal.objects.get().decided_without_endorsement

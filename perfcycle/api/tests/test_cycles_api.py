"""Cycles over the API: the phase state machine, participants, grade scales, templates."""

from __future__ import annotations

from typing import Any

import pytest

from perfcycle.audit.models import AuditEvent
from perfcycle.cycles import phases
from perfcycle.cycles.models import Cycle, CycleParticipant, GradeScale, Phase, ReviewTemplate
from perfcycle.cycles.services import grade_scale_default, review_template_default
from tests.factories import CycleFactory, EmployeeFactory

JSON = "application/json"


def post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1{path}", body, content_type=JSON)


def patch(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.patch(f"/api/v1{path}", body, content_type=JSON)


def put(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.put(f"/api/v1{path}", body, content_type=JSON)


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.fixture
def complete_cycle(company):
    """A draft cycle with everything it needs to open."""

    def make(phase: str = Phase.DRAFT) -> Cycle:
        return CycleFactory(
            phase=phase,
            template=review_template_default(),
            grade_scale=grade_scale_default(),
            participants=[company.manager, company.direct, company.indirect],
        )

    return make


# Reading and creating --------------------------------------------------------------------


def test_everyone_signed_in_reads_cycles(company, as_user, complete_cycle):
    cycle = complete_cycle(Phase.PLANNING)
    client = as_user(company.user("stranger"))
    listed = client.get("/api/v1/cycles").json()
    assert listed["count"] == 1
    item = listed["items"][0]
    assert item["name"] == cycle.name
    assert item["phase"] == "planning"
    assert item["allowed_next"] == ["in_progress"]
    assert item["participant_count"] == 3
    one = client.get(f"/api/v1/cycles/{cycle.pk}")
    assert one.status_code == 200
    assert one.json()["template_id"] == cycle.template_id


def test_anonymous_is_refused(company, client):
    assert error(client.get("/api/v1/cycles"), 401)["code"] == "unauthenticated"


def test_missing_cycle_is_404(company, as_user):
    assert error(as_user(company.hr).get("/api/v1/cycles/999999"), 404)["code"] == "not_found"


def test_hr_creates_a_cycle_with_default_deadlines(company, as_user):
    template, scale = review_template_default(), grade_scale_default()
    response = post(
        as_user(company.hr),
        "/cycles",
        {
            "name": "2026 Q2",
            "period_type": "quarter",
            "start_date": "2026-04-01",
            "end_date": "2026-06-30",
            "template_id": template.pk,
            "grade_scale_id": scale.pk,
            "deadlines": {"calibration": "2026-07-30"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phase"] == "draft"
    assert body["allowed_next"] == ["planning"]
    assert body["deadlines"]["in_progress"] == "2026-06-30"
    assert body["deadlines"]["calibration"] == "2026-07-30"
    assert set(body["deadlines"]) == {p.value for p in Phase} - {"draft", "closed"}
    assert AuditEvent.objects.filter(object_type="cycles.cycle", action="create").count() == 1


@pytest.mark.parametrize("who", ["manager", "direct", "stranger"])
def test_only_hr_creates_and_changes_cycles(company, as_user, complete_cycle, who):
    cycle = complete_cycle()
    client = as_user(company.user(who))
    created = post(
        client,
        "/cycles",
        {"name": "X", "period_type": "month", "start_date": "2026-01-01", "end_date": "2026-01-31"},
    )
    assert error(created, 403)["code"] == "forbidden"
    changed = patch(client, f"/cycles/{cycle.pk}", {"version": cycle.version, "name": "Renamed"})
    assert error(changed, 403)["code"] == "forbidden"
    moved = post(
        client, f"/cycles/{cycle.pk}/transition", {"to_phase": "planning", "version": cycle.version}
    )
    assert error(moved, 403)["code"] == "forbidden"
    rule = put(client, f"/cycles/{cycle.pk}/participants", {"department_ids": [company.root.pk]})
    assert error(rule, 403)["code"] == "forbidden"
    cycle.refresh_from_db()
    assert (cycle.name, cycle.phase, Cycle.objects.count()) != ("Renamed", "planning", 2)
    assert cycle.phase == Phase.DRAFT
    assert cycle.participants.count() == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"end_date": "2025-12-01"}, "end_date"),
        ({"template_id": 999999}, "template_id"),
        ({"grade_scale_id": 999999}, "grade_scale_id"),
        (
            {"deadlines": {"self_review": "2026-04-20", "review_360": "2026-04-10"}},
            "deadline_review_360",
        ),
    ],
)
def test_bad_cycle_input_names_the_field(company, as_user, body, field):
    values = {
        "name": "Bad",
        "period_type": "quarter",
        "start_date": "2026-01-01",
        "end_date": "2026-03-31",
    }
    response = post(as_user(company.hr), "/cycles", {**values, **body})
    assert field in error(response, 422)["details"]["fields"]
    assert not Cycle.objects.exists()


def test_unknown_period_type_is_a_validation_error(company, as_user):
    response = post(
        as_user(company.hr),
        "/cycles",
        {
            "name": "X",
            "period_type": "fortnight",
            "start_date": "2026-01-01",
            "end_date": "2026-01-31",
        },
    )
    assert error(response, 422)["code"] == "validation_failed"


def test_stale_version_is_a_conflict(company, as_user, complete_cycle):
    cycle = complete_cycle()
    client = as_user(company.hr)
    assert (
        patch(
            client, f"/cycles/{cycle.pk}", {"version": cycle.version, "name": "First"}
        ).status_code
        == 200
    )
    stale = patch(client, f"/cycles/{cycle.pk}", {"version": cycle.version, "name": "Second"})
    assert error(stale, 409)["code"] == "conflict"
    moved = post(
        client, f"/cycles/{cycle.pk}/transition", {"to_phase": "planning", "version": cycle.version}
    )
    assert error(moved, 409)["code"] == "conflict"
    cycle.refresh_from_db()
    assert (cycle.name, cycle.phase) == ("First", Phase.DRAFT)


def test_rules_are_fixed_once_the_cycle_opens(company, as_user, complete_cycle):
    cycle = complete_cycle(Phase.PLANNING)
    other = ReviewTemplate.objects.create(name="Other template")
    client = as_user(company.hr)
    response = patch(
        client, f"/cycles/{cycle.pk}", {"version": cycle.version, "template_id": other.pk}
    )
    body = error(response, 422)
    assert body["code"] == "rules_locked"
    assert "template" in body["details"]["fields"]
    renamed = patch(client, f"/cycles/{cycle.pk}", {"version": cycle.version, "name": "Renamed"})
    assert renamed.status_code == 200
    assert renamed.json()["template_id"] == cycle.template_id


# The phase state machine -----------------------------------------------------------------

ALL_PAIRS = [(a, b) for a in Phase for b in Phase]


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=lambda p: str(p.value))
def test_every_phase_change_follows_the_state_machine(
    company, as_user, complete_cycle, current, target
):
    cycle = complete_cycle(current)
    response = post(
        as_user(company.hr),
        f"/cycles/{cycle.pk}/transition",
        {"to_phase": target.value, "version": cycle.version, "reason": "Correction agreed with HR"},
    )
    cycle.refresh_from_db()
    if phases.is_allowed(current, target):
        assert response.status_code == 200, response.content
        assert response.json()["phase"] == target.value
        assert cycle.phase == target
    else:
        body = error(response, 400)
        assert body["code"] == "illegal_transition"
        assert body["details"] == {
            "from": current.value,
            "to": target.value,
            "allowed": [p.value for p in phases.allowed_next(current)],
        }
        assert str(current.label) in body["message"]
        assert cycle.phase == current
        assert cycle.version == 1


def test_opening_needs_template_scale_and_participants(company, as_user):
    cycle = CycleFactory(phase=Phase.DRAFT)
    response = post(
        as_user(company.hr),
        f"/cycles/{cycle.pk}/transition",
        {"to_phase": "planning", "version": 1},
    )
    body = error(response, 400)
    assert body["code"] == "cycle_incomplete"
    assert "review template" in body["message"] and "participants" in body["message"]
    cycle.refresh_from_db()
    assert cycle.phase == Phase.DRAFT and cycle.opened_at is None


def test_going_back_needs_a_reason(company, as_user, complete_cycle):
    cycle = complete_cycle(Phase.IN_PROGRESS)
    client = as_user(company.hr)
    body = {"to_phase": "planning", "version": cycle.version}
    assert (
        "reason"
        in error(post(client, f"/cycles/{cycle.pk}/transition", body), 422)["details"]["fields"]
    )
    cycle.refresh_from_db()
    assert cycle.phase == Phase.IN_PROGRESS
    response = post(
        client, f"/cycles/{cycle.pk}/transition", {**body, "reason": "Targets were wrong"}
    )
    assert response.json()["phase"] == "planning"
    event = AuditEvent.objects.filter(object_type="cycles.cycle").latest("id")
    assert (event.before, event.after, event.reason) == (
        {"phase": "in_progress"},
        {"phase": "planning"},
        "Targets were wrong",
    )


def test_a_cycle_walks_from_draft_to_closed(company, as_user, complete_cycle):
    cycle = complete_cycle()
    client = as_user(company.hr)
    version = cycle.version
    for target in (
        "planning",
        "in_progress",
        "self_review",
        "manager_review",
        "calibration",
        "results",
        "closed",
    ):
        response = post(
            client, f"/cycles/{cycle.pk}/transition", {"to_phase": target, "version": version}
        )
        assert response.status_code == 200, (target, response.content)
        version = response.json()["version"]
    body = response.json()
    assert body["allowed_next"] == []
    assert body["opened_at"] and body["closed_at"]


def test_unknown_phase_is_refused(company, as_user, complete_cycle):
    cycle = complete_cycle()
    response = post(
        as_user(company.hr), f"/cycles/{cycle.pk}/transition", {"to_phase": "done", "version": 1}
    )
    assert error(response, 422)["code"] == "validation_failed"


# Participants ----------------------------------------------------------------------------


def test_participants_by_rule_report_joins_and_leaves(company, as_user):
    cycle = CycleFactory(phase=Phase.DRAFT)
    client = as_user(company.hr)
    first = put(client, f"/cycles/{cycle.pk}/participants", {"department_ids": [company.sales.pk]})
    assert first.json() == {"selected": 3, "joined": 3, "left": 0}
    second = put(
        client,
        f"/cycles/{cycle.pk}/participants",
        {
            "department_ids": [company.root.pk],
            "hired_on_or_before": "2021-12-31",
            "employee_numbers": ["C011"],
        },
    )
    # Everyone was hired in 2022 (the factory's date): only the listed person stays.
    assert second.json() == {"selected": 1, "joined": 0, "left": 2}
    assert list(cycle.participants.values_list("employee__employee_number", flat=True)) == ["C011"]
    cycle.refresh_from_db()
    assert cycle.participant_rule["employee_numbers"] == ["C011"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"department_ids": [999999]}, "department_ids"),
        ({"employee_numbers": ["NOPE"]}, "employee_numbers"),
    ],
)
def test_participant_rule_with_unknown_references(company, as_user, body, field):
    cycle = CycleFactory(phase=Phase.DRAFT)
    response = put(as_user(company.hr), f"/cycles/{cycle.pk}/participants", body)
    assert field in error(response, 422)["details"]["fields"]
    assert not cycle.participants.exists()


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("hr", {"C001", "C002", "C010", "C011", "C012", "C020"}),
        ("manager", {"C010", "C011", "C012"}),
        ("direct", {"C011", "C012"}),
        ("stranger", {"C020"}),
    ],
)
def test_participants_list_is_scoped_by_the_policy(company, as_user, who, seen):
    cycle = CycleFactory(
        participants=[
            company.top,
            company.hr_person,
            company.manager,
            company.direct,
            company.indirect,
            company.stranger,
        ]
    )
    user = company.hr if who == "hr" else company.user(who)
    body = as_user(user).get(f"/api/v1/cycles/{cycle.pk}/participants").json()
    assert {item["employee_number"] for item in body["items"]} == seen
    assert body["count"] == len(seen)


def test_participants_list_pages(company, as_user):
    people = [EmployeeFactory(manager=company.manager) for _ in range(5)]
    cycle = CycleFactory(participants=people)
    body = (
        as_user(company.hr).get(f"/api/v1/cycles/{cycle.pk}/participants?limit=2&offset=2").json()
    )
    assert body["count"] == 5 and len(body["items"]) == 2
    assert CycleParticipant.objects.filter(cycle=cycle).count() == 5


# Grade scales and review templates -------------------------------------------------------


def test_grade_scales(company, as_user):
    hr = as_user(company.hr)
    bands = [{"code": "A", "label": "Good", "min_score": 80}, {"code": "B", "min_score": 0}]
    created = post(hr, "/grade-scales", {"name": "A/B", "bands": bands})
    assert created.status_code == 201, created.content
    scale = created.json()
    assert [(b["code"], b["min_score"]) for b in scale["bands"]] == [("A", "80.00"), ("B", "0.00")]
    assert (
        as_user(company.user("stranger")).get(f"/api/v1/grade-scales/{scale['id']}").status_code
        == 200
    )
    assert hr.get("/api/v1/grade-scales").json()["count"] == 1
    no_zero = post(
        hr,
        "/grade-scales",
        {"name": "Bad", "bands": [{"code": "A", "min_score": 50}, {"code": "B", "min_score": 10}]},
    )
    assert "bands" in error(no_zero, 422)["details"]["fields"]
    denied = post(as_user(company.user("manager")), "/grade-scales", {"name": "M", "bands": bands})
    assert error(denied, 403)["code"] == "forbidden"
    assert GradeScale.objects.count() == 1


def test_review_templates(company, as_user):
    hr = as_user(company.hr)
    created = post(
        hr,
        "/review-templates",
        {"name": "Sales 360", "goals_weight": 80, "competencies_weight": 20},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["goals_weight"], body["rating_labels"]["3"]) == (
        "80.00",
        "符合期望 Meets expectations",
    )
    bad = post(hr, "/review-templates", {"name": "Bad", "goals_weight": 80})
    assert "goals_weight" in error(bad, 422)["details"]["fields"]
    denied = post(as_user(company.user("direct")), "/review-templates", {"name": "Mine"})
    assert error(denied, 403)["code"] == "forbidden"
    assert (
        as_user(company.user("direct")).get(f"/api/v1/review-templates/{body['id']}").status_code
        == 200
    )
    assert error(hr.get("/api/v1/review-templates/999999"), 404)["code"] == "not_found"
    assert list(ReviewTemplate.objects.values_list("name", flat=True)) == ["Sales 360"]

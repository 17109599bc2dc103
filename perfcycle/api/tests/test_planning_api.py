"""The plan stage over the API: goals, bad input, agreement, previews, assignment, import."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from perfcycle.audit.models import AuditEvent
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.planning import services
from perfcycle.planning.models import Goal, GoalComment, GoalSheet, OwnerType, SheetStatus
from perfcycle.planning.scoring import Direction, Rule, RuleType, Standard, score
from tests.factories import CycleFactory, IndicatorFactory, planning_quarter

JSON = "application/json"


def call(client: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(f"/api/v1{path}", body or {}, content_type=JSON)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json()["error"]


def written() -> tuple[Any, ...]:
    """Everything a refused request might have half-written."""
    goals = list(
        Goal.objects.order_by("pk").values_list(
            "pk", "title", "target", "threshold", "weight", "parent_id", "version"
        )
    )
    sheets = list(GoalSheet.objects.order_by("pk").values_list("pk", "status", "version"))
    return goals, sheets, AuditEvent.objects.count()


@pytest.fixture
def cycle(company):
    """An open quarter, in planning, with everyone in the company taking part."""
    return planning_quarter(company)


def kpi(company, cycle, employee, actor=None, **values):
    values.setdefault("title", "New customers")
    values.setdefault("weight", D(100))
    values.setdefault("target", D(20))
    return services.goal_create(
        actor=actor or company.hr,
        cycle=cycle,
        owner_type=OwnerType.EMPLOYEE,
        employee=employee,
        **values,
    )


def goal_body(cycle, employee, **values):
    return {
        "cycle_id": cycle.pk,
        "owner_type": "employee",
        "employee_id": employee.pk,
        "title": "New customers",
        "weight": 100,
        "target": 20,
        "unit": "customers",
        **values,
    }


# Creating goals, and who may ---------------------------------------------------------------


def test_manager_creates_a_goal_for_a_report(company, cycle, as_user):
    body = ok(
        call(
            as_user(company.user("manager")),
            "post",
            "/goals",
            goal_body(
                cycle, company.direct, threshold=15, stretch=25, rule_type="threshold_stretch"
            ),
        ),
        201,
    )
    assert (body["owner_type"], body["employee_id"], body["target"]) == (
        "employee",
        company.direct.pk,
        "20.0000",
    )
    assert body["sheet_status"] == "draft" and body["progress"] is None
    assert body["key_results"] == [] and body["milestones"] == []
    goal = Goal.objects.get(pk=body["id"])
    assert goal.sheet == GoalSheet.objects.get(cycle=cycle, employee=company.direct)
    assert goal.created_by == company.user("manager")


def test_goal_takes_its_standard_from_the_indicator(company, cycle, as_user):
    indicator = IndicatorFactory(
        name="新增客户数", unit="个", rule_type=RuleType.THRESHOLD_STRETCH, data_source="CRM"
    )
    body = ok(
        call(
            as_user(company.user("direct")),
            "post",
            "/goals",
            {
                "cycle_id": cycle.pk,
                "owner_type": "employee",
                "employee_id": company.direct.pk,
                "indicator_id": indicator.pk,
                "weight": 50,
                "target": 20,
                "threshold": 15,
            },
        ),
        201,
    )
    assert (body["title"], body["unit"], body["rule_type"], body["data_source"]) == (
        "新增客户数",
        "个",
        "threshold_stretch",
        "CRM",
    )
    assert body["indicator_id"] == indicator.pk


def test_company_goals_are_hr_only(company, cycle, as_user):
    body = {
        "cycle_id": cycle.pk,
        "owner_type": "company",
        "title": "Sales 5,000,000",
        "weight": 100,
        "target": 5_000_000,
    }
    before = written()
    assert (
        error(call(as_user(company.user("manager")), "post", "/goals", body), 403)["code"]
        == "forbidden"
    )
    assert written() == before
    assert ok(call(as_user(company.hr), "post", "/goals", body), 201)["owner_label"] == "Company"


def test_department_goals_belong_to_the_head_and_their_managers(company, cycle, as_user):
    company.sales.head = company.manager
    company.sales.save()
    body = {
        "cycle_id": cycle.pk,
        "owner_type": "department",
        "department_id": company.sales.pk,
        "title": "Sales dept 5,000,000",
        "weight": 100,
        "target": 5_000_000,
    }
    assert (
        error(call(as_user(company.user("direct")), "post", "/goals", body), 403)["code"]
        == "forbidden"
    )
    assert (
        error(call(as_user(company.user("stranger")), "post", "/goals", body), 403)["code"]
        == "forbidden"
    )
    created = ok(call(as_user(company.user("manager")), "post", "/goals", body), 201)
    assert created["owner_label"] == "Sales"
    # Top manages the head: allowed too.
    ok(call(as_user(company.user("top")), "post", "/goals", {**body, "title": "Second"}), 201)


@pytest.mark.parametrize(
    ("owner_type", "field"), [("employee", "employee_id"), ("department", "department_id")]
)
def test_goal_without_its_owner(company, cycle, as_user, owner_type, field):
    body = {
        "cycle_id": cycle.pk,
        "owner_type": owner_type,
        "title": "Whose?",
        "weight": 100,
        "target": 1,
    }
    response = call(as_user(company.user("manager")), "post", "/goals", body)
    assert field in error(response, 422)["details"]["fields"]
    assert not Goal.objects.exists()


def test_goal_for_someone_you_may_not_see(company, cycle, as_user):
    before = written()
    response = call(
        as_user(company.user("stranger")), "post", "/goals", goal_body(cycle, company.direct)
    )
    assert "employee_id" in error(response, 422)["details"]["fields"]
    assert written() == before


def test_goal_for_someone_outside_the_cycle(company, as_user):
    cycle = CycleFactory(participants=[company.direct])
    response = call(as_user(company.hr), "post", "/goals", goal_body(cycle, company.indirect))
    assert "employee_id" in error(response, 422)["details"]["fields"]
    assert not Goal.objects.exists()


# Bad input: each a clear error with nothing half-written -----------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"target": None}, "target"),
        ({"threshold": 25}, "threshold"),
        ({"direction": "lower", "threshold": 10}, "threshold"),
        ({"stretch": 10}, "stretch"),
        ({"rule_type": "banded"}, "bands"),
        ({"kind": "milestone", "due_date": "2026-06-30"}, "due_date"),
        ({"weight": 130}, "weight"),
        ({"title": ""}, "title"),
    ],
    ids=[
        "kpi-without-target",
        "threshold-above-target",
        "lower-threshold-below-target",
        "stretch-below-target",
        "banded-without-bands",
        "due-outside-cycle",
        "weight-over-100",
        "no-title",
    ],
)
def test_bad_goal_is_refused_with_the_field_named(company, cycle, as_user, values, field):
    before = written()
    response = call(
        as_user(company.user("manager")),
        "post",
        "/goals",
        goal_body(cycle, company.direct, **values),
    )
    body = error(response, 422)
    assert field in body["details"]["fields"], body
    assert written() == before


def test_bad_change_is_refused_and_the_goal_stays(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct)
    before = written()
    client = as_user(company.user("manager"))
    response = call(
        client,
        "patch",
        f"/goals/{goal.pk}",
        {"version": goal.version, "target": 10, "threshold": 15},
    )
    assert "threshold" in error(response, 422)["details"]["fields"]
    response = call(client, "patch", f"/goals/{goal.pk}", {"version": goal.version, "target": None})
    assert "target" in error(response, 422)["details"]["fields"]
    assert written() == before


def test_editing_a_goal_in_a_closed_cycle(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct)
    Cycle.objects.filter(pk=cycle.pk).update(phase=Phase.CLOSED)
    before = written()
    client = as_user(company.hr)
    body = error(
        call(client, "patch", f"/goals/{goal.pk}", {"version": goal.version, "target": 30}), 400
    )
    assert body["code"] == "cycle_locked"
    assert "closed" in body["message"]
    assert (
        error(call(client, "post", "/goals", goal_body(cycle, company.indirect)), 400)["code"]
        == "cycle_locked"
    )
    assert error(client.delete(f"/api/v1/goals/{goal.pk}"), 400)["code"] == "cycle_locked"
    assert written() == before


def test_an_employee_editing_someone_elses_goal_is_not_found(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct)
    mine = kpi(company, cycle, company.manager)
    before = written()
    client = as_user(company.user("stranger"))
    assert (
        error(
            call(client, "patch", f"/goals/{goal.pk}", {"version": goal.version, "target": 1}), 404
        )["code"]
        == "not_found"
    )
    assert error(client.get(f"/api/v1/goals/{goal.pk}"), 404)["code"] == "not_found"
    assert error(client.delete(f"/api/v1/goals/{goal.pk}"), 404)["code"] == "not_found"
    # A report sees nothing of their manager's goals either.
    response = call(
        as_user(company.user("direct")), "patch", f"/goals/{mine.pk}", {"version": 1, "target": 1}
    )
    assert error(response, 404)["code"] == "not_found"
    assert written() == before


def test_a_public_goal_may_be_seen_but_not_changed(company, cycle, as_user):
    top = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.COMPANY,
        title="Sales 5,000,000",
        weight=D(100),
        target=D(5_000_000),
    )
    client = as_user(company.user("stranger"))
    assert ok(client.get(f"/api/v1/goals/{top.pk}"))["title"] == "Sales 5,000,000"
    response = call(client, "patch", f"/goals/{top.pk}", {"version": top.version, "target": 1})
    assert error(response, 403)["code"] == "forbidden"
    top.refresh_from_db()
    assert top.target == 5_000_000


def test_an_employee_cannot_edit_their_own_proposed_goals(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct)
    services.sheet_propose(actor=company.user("direct"), sheet=goal.sheet)
    before = written()
    client = as_user(company.user("direct"))
    body = error(
        call(client, "patch", f"/goals/{goal.pk}", {"version": goal.version, "target": 5}), 400
    )
    assert body["code"] == "sheet_locked"
    assert error(client.delete(f"/api/v1/goals/{goal.pk}"), 400)["code"] == "sheet_locked"
    assert (
        error(call(client, "post", "/goals", goal_body(cycle, company.direct, weight=0)), 400)[
            "code"
        ]
        == "sheet_locked"
    )
    assert written() == before


def test_a_parent_goal_from_another_cycle(company, cycle, as_user):
    other = CycleFactory(participants=[company.direct])
    foreign = services.goal_create(
        actor=company.hr,
        cycle=other,
        owner_type=OwnerType.COMPANY,
        title="Last year's",
        weight=D(100),
        target=D(1),
    )
    client = as_user(company.hr)
    before = written()
    response = call(
        client, "post", "/goals", goal_body(cycle, company.direct, parent_id=foreign.pk)
    )
    assert "parent_id" in error(response, 422)["details"]["fields"]
    goal = kpi(company, cycle, company.direct)
    before = written()
    response = call(
        client, "patch", f"/goals/{goal.pk}", {"version": goal.version, "parent_id": foreign.pk}
    )
    assert "parent_id" in error(response, 422)["details"]["fields"]
    assert written() == before


def test_the_cascade_cannot_loop(company, cycle, as_user):
    top = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.COMPANY,
        title="Top",
        weight=D(100),
        target=D(1),
    )
    child = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.COMPANY,
        title="Child",
        weight=D(100),
        target=D(1),
        parent=top,
    )
    response = call(
        as_user(company.hr),
        "patch",
        f"/goals/{top.pk}",
        {"version": top.version, "parent_id": child.pk},
    )
    assert "parent_id" in error(response, 422)["details"]["fields"]
    top.refresh_from_db()
    assert top.parent_id is None


def test_stale_goal_edit_is_a_conflict(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct)
    client = as_user(company.user("manager"))
    ok(call(client, "patch", f"/goals/{goal.pk}", {"version": goal.version, "target": 25}))
    assert (
        error(
            call(client, "patch", f"/goals/{goal.pk}", {"version": goal.version, "target": 30}), 409
        )["code"]
        == "conflict"
    )
    goal.refresh_from_db()
    assert goal.target == 25


# Agreement -------------------------------------------------------------------------------


def test_weights_must_total_100_before_proposal(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct, weight=D(60))
    kpi(company, cycle, company.direct, title="Collection rate", weight=D(30))
    goal.sheet.refresh_from_db()  # the second goal moved the sheet's version on
    before = written()
    client = as_user(company.user("direct"))
    body = error(
        call(client, "post", f"/sheets/{goal.sheet_id}/propose", {"version": goal.sheet.version}),
        422,
    )
    assert body["code"] == "weights_not_100"
    assert body["details"]["total"] == "90.00"
    assert "90" in body["message"]
    assert written() == before
    sheet = ok(
        call(
            client,
            "put",
            f"/sheets/{goal.sheet_id}/weights",
            {"version": goal.sheet.version, "weights": {str(goal.pk): 70}},
        )
    )
    assert sheet["weight_total"] == "100.00"
    proposed = ok(
        call(client, "post", f"/sheets/{goal.sheet_id}/propose", {"version": sheet["version"]})
    )
    assert proposed["status"] == "proposed" and proposed["proposed_at"]


def test_weights_sent_from_a_stale_read_are_refused(company, cycle, as_user):
    """Dan reads his sheet; his manager then reweights one goal, adds one and deletes
    one: each time a weights change Dan sends at the version he read answers 409 and
    nothing is written over the manager's change."""
    a = kpi(company, cycle, company.direct, weight=D(50))
    b = kpi(company, cycle, company.direct, title="Collection rate", weight=D(50))
    dan, manager = as_user(company.user("direct")), as_user(company.user("manager"))
    path = f"/sheets/{a.sheet_id}"

    def put(read: dict[str, Any]) -> Any:
        weights = {str(a.pk): 70, str(b.pk): 30}
        return call(dan, "put", f"{path}/weights", {"version": read["version"], "weights": weights})

    def stale_put(read: dict[str, Any]) -> None:
        assert error(put(read), 409)["code"] == "conflict"

    read = ok(dan.get(f"/api/v1{path}"))
    b.refresh_from_db()
    ok(call(manager, "patch", f"/goals/{b.pk}", {"version": b.version, "weight": 40}))
    stale_put(read)
    assert Goal.objects.get(pk=b.pk).weight == D(40)
    read = ok(dan.get(f"/api/v1{path}"))
    third = kpi(company, cycle, company.direct, title="Third", weight=D(10))
    stale_put(read)
    read = ok(dan.get(f"/api/v1{path}"))
    services.goal_delete(actor=company.user("manager"), goal=third)
    stale_put(read)
    assert sorted(Goal.objects.filter(sheet_id=a.sheet_id).values_list("weight", flat=True)) == [
        D(40),
        D(50),
    ]
    # Read afresh, the same change goes through.
    assert ok(put(ok(dan.get(f"/api/v1{path}"))))["weight_total"] == "100.00"


def test_agreement_then_a_target_change_needs_a_new_acknowledgement(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct, actor=company.user("manager"))
    employee, manager = as_user(company.user("direct")), as_user(company.user("manager"))
    path = f"/sheets/{goal.sheet_id}"
    version = goal.sheet.version

    # The employee may not approve their own goals; the manager may not acknowledge them.
    proposed = ok(call(employee, "post", f"{path}/propose", {"version": version}))
    assert (
        error(call(employee, "post", f"{path}/approve", {"version": proposed["version"]}), 403)[
            "code"
        ]
        == "forbidden"
    )
    approved = ok(call(manager, "post", f"{path}/approve", {"version": proposed["version"]}))
    assert approved["status"] == "approved" and approved["needs_acknowledgement"]
    assert (
        error(call(manager, "post", f"{path}/acknowledge", {"version": approved["version"]}), 403)[
            "code"
        ]
        == "forbidden"
    )
    acknowledged = ok(
        call(employee, "post", f"{path}/acknowledge", {"version": approved["version"]})
    )
    assert acknowledged["status"] == "acknowledged" and not acknowledged["needs_acknowledgement"]
    assert len(acknowledged["acknowledgements"]) == 1
    assert acknowledged["acknowledgements"][0]["snapshot"]["goals"][0]["target"] == "20.0000"
    assert acknowledged["changes_since_acknowledgement"] == []

    # The manager raises the target: the employee must acknowledge again, and sees why.
    ok(call(manager, "patch", f"/goals/{goal.pk}", {"version": goal.version, "target": 25}))
    sheet = ok(employee.get(f"/api/v1{path}"))
    assert sheet["status"] == "approved" and sheet["needs_acknowledgement"]
    assert sheet["changes_since_acknowledgement"] == [
        {
            "goal": "New customers",
            "change": "changed",
            "fields": [{"field": "target", "before": "20.0000", "after": "25.0000"}],
        }
    ]
    again = ok(call(employee, "post", f"{path}/acknowledge", {"version": sheet["version"]}))
    assert again["status"] == "acknowledged"
    assert [a["snapshot"]["goals"][0]["target"] for a in again["acknowledgements"]] == [
        "25.0000",
        "20.0000",
    ]
    assert again["changes_since_acknowledgement"] == []


def test_sending_the_same_target_again_is_no_change(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct, actor=company.user("manager"))
    sheet = goal.sheet
    services.sheet_propose(actor=company.user("direct"), sheet=sheet)
    services.sheet_approve(actor=company.user("manager"), sheet=sheet)
    services.sheet_acknowledge(actor=company.user("direct"), sheet=sheet)
    ok(
        call(
            as_user(company.user("manager")),
            "patch",
            f"/goals/{goal.pk}",
            {"version": goal.version, "target": "20"},
        )
    )
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.ACKNOWLEDGED


def test_illegal_agreement_steps(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct)
    manager = as_user(company.user("manager"))
    path = f"/sheets/{goal.sheet_id}"
    body = error(call(manager, "post", f"{path}/approve", {"version": goal.sheet.version}), 400)
    assert (body["code"], body["details"]) == (
        "illegal_transition",
        {"from": "draft", "to": "approved"},
    )
    assert (
        error(
            call(as_user(company.user("direct")), "post", f"{path}/acknowledge", {"version": 1}),
            400,
        )["code"]
        == "illegal_transition"
    )
    assert (
        "reason"
        in error(call(manager, "post", f"{path}/return", {"version": 1, "reason": " "}), 422)[
            "details"
        ]["fields"]
    )
    assert (
        error(
            call(as_user(company.user("stranger")), "post", f"{path}/propose", {"version": 1}), 404
        )["code"]
        == "not_found"
    )
    goal.sheet.refresh_from_db()
    assert (goal.sheet.status, goal.sheet.version) == (SheetStatus.DRAFT, 1)


def test_manager_returns_goals_to_draft_with_a_reason(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct)
    services.sheet_propose(actor=company.user("direct"), sheet=goal.sheet)
    body = ok(
        call(
            as_user(company.user("manager")),
            "post",
            f"/sheets/{goal.sheet_id}/return",
            {"version": goal.sheet.version, "reason": "Aim higher"},
        )
    )
    assert body["status"] == "draft"
    event = AuditEvent.objects.filter(object_type="planning.goalsheet").latest("id")
    assert event.reason == "Aim higher"


def test_team_sheets_show_each_persons_agreement(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct)
    services.sheet_propose(actor=company.user("direct"), sheet=goal.sheet)
    rows = ok(as_user(company.user("manager")).get(f"/api/v1/cycles/{cycle.pk}/sheets"))["items"]
    # Ordered by name: Dan, Ivy, Mia.
    assert [
        (r["employee_number"], r["status"], r["goal_count"], r["weight_total"]) for r in rows
    ] == [
        ("C011", "proposed", 1, "100.00"),
        ("C012", "draft", 0, "0.00"),
        ("C010", "draft", 0, "0.00"),
    ]
    by_number = {r["employee_number"]: r for r in rows}
    assert set(by_number) == {"C010", "C011", "C012"}
    assert (by_number["C011"]["status"], by_number["C011"]["sheet_id"]) == (
        "proposed",
        goal.sheet_id,
    )
    assert by_number["C012"]["sheet_id"] is None
    proposed = ok(as_user(company.hr).get(f"/api/v1/cycles/{cycle.pk}/sheets?status=proposed"))
    assert [r["employee_number"] for r in proposed["items"]] == ["C011"]
    mine = ok(as_user(company.user("stranger")).get(f"/api/v1/cycles/{cycle.pk}/sheets"))
    assert [r["employee_number"] for r in mine["items"]] == ["C020"]
    # Paginated in SQL: each page is a slice of the same order, and count is everyone.
    whole = ok(as_user(company.hr).get(f"/api/v1/cycles/{cycle.pk}/sheets"))
    pages = [
        ok(as_user(company.hr).get(f"/api/v1/cycles/{cycle.pk}/sheets?limit=2&offset={o}"))
        for o in (0, 2, 4)
    ]
    assert {p["count"] for p in pages} == {whole["count"]} == {6}
    assert [r for p in pages for r in p["items"]] == whole["items"]
    drafts = ok(as_user(company.hr).get(f"/api/v1/cycles/{cycle.pk}/sheets?status=draft"))
    assert drafts["count"] == 5 and "C011" not in {r["employee_number"] for r in drafts["items"]}


# Previews --------------------------------------------------------------------------------


@pytest.mark.parametrize("actual", ["0", "14.99", "15", "17.5", "20", "22", "25", "40"])
def test_what_if_preview_is_the_real_score(company, cycle, as_user, actual):
    goal = kpi(
        company,
        cycle,
        company.direct,
        threshold=D(15),
        stretch=D(25),
        rule_type=RuleType.THRESHOLD_STRETCH,
    )
    goal.refresh_from_db()
    body = ok(
        call(
            as_user(company.user("direct")), "post", f"/goals/{goal.pk}/preview", {"actual": actual}
        )
    )
    expected = score(goal.rule(), goal.standard(), D(actual))
    assert (D(body["points"]), body["steps"]) == (expected.points, list(expected.steps))
    assert body["attainment"] is None or D(body["attainment"]) == expected.attainment
    assert body["problems"] == {}


def test_ad_hoc_preview_before_a_goal_exists(company, as_user):
    client = as_user(company.user("stranger"))
    body = ok(
        call(
            client,
            "post",
            "/scoring/preview",
            {
                "actual": 1.8,
                "target": 2,
                "direction": "lower",
                "rule_type": "banded",
                "bands": [[100, 100], [80, 80], [60, 60]],
            },
        )
    )
    rule = Rule(RuleType.BANDED, bands=((D(100), D(100)), (D(80), D(80)), (D(60), D(60))))
    expected = score(rule, Standard(target=D(2), direction=Direction.LOWER), D("1.8"))
    assert (D(body["points"]), D(body["attainment"])) == (expected.points, expected.attainment)
    odd = ok(call(client, "post", "/scoring/preview", {"actual": 5, "target": 10, "threshold": 12}))
    assert "threshold" in odd["problems"]


def test_preview_of_a_goal_without_target(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct, kind="qualitative", target=None)
    body = error(
        call(as_user(company.user("direct")), "post", f"/goals/{goal.pk}/preview", {"actual": 1}),
        400,
    )
    assert body["code"] == "no_target"
    assert error(
        call(as_user(company.user("stranger")), "post", f"/goals/{goal.pk}/preview", {"actual": 1}),
        404,
    )


# Indicators and one-step assignment ------------------------------------------------------


def test_indicator_library(company, as_user):
    hr = as_user(company.hr)
    created = ok(
        call(
            hr,
            "post",
            "/indicators",
            {
                "code": "NEW_CUSTOMERS",
                "name": "新增客户数",
                "job_family": "sales",
                "unit": "个",
                "rule_type": "banded",
                "bands": [[100, 100], [80, 80]],
            },
        ),
        201,
    )
    assert created["bands"] == [["100", "100"], ["80", "80"]]
    assert created["rule_cap"] == "120.00"
    everyone = as_user(company.user("stranger"))
    assert ok(everyone.get("/api/v1/indicators?job_family=sales"))["count"] == 1
    assert ok(everyone.get("/api/v1/indicators?job_family=production"))["count"] == 0
    assert (
        error(call(everyone, "post", "/indicators", {"code": "X", "name": "X"}), 403)["code"]
        == "forbidden"
    )
    bad = call(
        hr, "patch", f"/indicators/{created['id']}", {"version": created["version"], "bands": []}
    )
    assert "bands" in error(bad, 422)["details"]["fields"]
    changed = ok(
        call(
            hr,
            "patch",
            f"/indicators/{created['id']}",
            {"version": created["version"], "unit": "家"},
        )
    )
    assert (changed["unit"], changed["version"]) == ("家", created["version"] + 1)
    assert error(call(hr, "post", "/indicators", {"code": "NEW_CUSTOMERS", "name": "Again"}), 422)


def test_assign_to_a_whole_department_in_one_step_with_an_override(company, cycle, as_user):
    indicator = IndicatorFactory(code="NEW_CUSTOMERS", name="新增客户数", unit="个")
    client = as_user(company.user("manager"))
    body = {
        "cycle_id": cycle.pk,
        "department_id": company.sales.pk,
        "target": 20,
        "threshold": 15,
        "weight": 40,
        "overrides": {"C012": {"target": 12, "threshold": 10}},
    }
    result = ok(call(client, "post", f"/indicators/{indicator.pk}/assign", body))
    assert result == {"assigned": 3, "created": 3, "updated": 0, "unchanged": 0, "skipped": []}
    goals = {
        g.employee.employee_number: g
        for g in Goal.objects.filter(indicator=indicator).select_related("employee")
    }
    assert set(goals) == {"C010", "C011", "C012"}
    assert (goals["C011"].target, goals["C011"].threshold, goals["C011"].unit) == (20, 15, "个")
    assert (goals["C012"].target, goals["C012"].threshold) == (12, 10)
    assert all(g.sheet_id for g in goals.values())
    assert AuditEvent.objects.filter(object_type="planning.goal", action="create").count() == 3
    # The same step again changes nothing.
    again = ok(call(client, "post", f"/indicators/{indicator.pk}/assign", body))
    assert again == {"assigned": 3, "created": 0, "updated": 0, "unchanged": 3, "skipped": []}


def test_a_manager_assigns_only_within_their_line(company, cycle, as_user):
    indicator = IndicatorFactory()
    client = as_user(company.user("direct"))  # Dan manages Ivy only
    result = ok(
        call(
            client,
            "post",
            f"/indicators/{indicator.pk}/assign",
            {"cycle_id": cycle.pk, "department_id": company.root.pk, "target": 20, "weight": 50},
        )
    )
    assert result["assigned"] == 2
    assert set(Goal.objects.values_list("employee__employee_number", flat=True)) == {"C011", "C012"}
    before = written()
    outside = call(
        client,
        "post",
        f"/indicators/{indicator.pk}/assign",
        {"cycle_id": cycle.pk, "employee_numbers": ["C012", "C020"], "target": 20, "weight": 50},
    )
    assert "C020" in error(outside, 422)["details"]["fields"]["employee_numbers"][0]
    nobody = call(
        client,
        "post",
        f"/indicators/{indicator.pk}/assign",
        {"cycle_id": cycle.pk, "department_id": company.other.pk, "target": 20, "weight": 50},
    )
    assert error(nobody, 422)["code"] == "validation_failed"
    everyone_else = call(
        as_user(company.user("stranger")),
        "post",
        f"/indicators/{indicator.pk}/assign",
        {"cycle_id": cycle.pk, "employee_numbers": ["C020"], "target": 20, "weight": 50},
    )
    assert error(everyone_else, 403)["code"] == "forbidden"
    assert written() == before


def test_assignment_is_all_or_nothing(company, cycle, as_user):
    indicator = IndicatorFactory()
    before = written()
    response = call(
        as_user(company.hr),
        "post",
        f"/indicators/{indicator.pk}/assign",
        {
            "cycle_id": cycle.pk,
            "department_id": company.sales.pk,
            "target": 20,
            "weight": 50,
            "threshold": 15,
            "overrides": {"C011": {"target": 10}},
        },
    )
    body = error(response, 422)
    assert body["code"] == "assignment_rejected"
    assert body["details"]["errors"] == [
        {
            "employee_number": "C011",
            "fields": {"threshold": ["The threshold must not be above the target."]},
        }
    ]
    assert written() == before


def test_assign_skips_people_whose_goals_are_agreed(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct)
    services.sheet_propose(actor=company.user("direct"), sheet=goal.sheet)
    indicator = IndicatorFactory()
    result = ok(
        call(
            as_user(company.hr),
            "post",
            f"/indicators/{indicator.pk}/assign",
            {
                "cycle_id": cycle.pk,
                "employee_numbers": ["C011", "C012"],
                "target": 20,
                "weight": 50,
            },
        )
    )
    assert (result["created"], result["skipped"]) == (1, ["C011"])


# Lists, details, comments, action plans --------------------------------------------------


def test_goal_list_is_scoped(company, cycle, as_user):
    services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.COMPANY,
        title="Company",
        weight=D(100),
        target=D(1),
    )
    for person in (company.manager, company.direct, company.indirect, company.stranger):
        kpi(company, cycle, person, title=f"Goal of {person.employee_number}")

    def titles(who, query=""):
        user = company.hr if who == "hr" else company.user(who)
        return {
            g["title"]
            for g in ok(as_user(user).get(f"/api/v1/goals?cycle_id={cycle.pk}{query}"))["items"]
        }

    assert titles("stranger") == {"Company", "Goal of C020"}
    assert titles("direct") == {"Company", "Goal of C011", "Goal of C012"}
    assert titles("hr") == {
        "Company",
        "Goal of C010",
        "Goal of C011",
        "Goal of C012",
        "Goal of C020",
    }
    assert titles("hr", "&owner_type=company") == {"Company"}
    assert titles("hr", f"&employee_id={company.direct.pk}") == {"Goal of C011"}
    assert error(as_user(company.hr).get("/api/v1/goals"), 422)["code"] == "validation_failed"


def test_goal_list_queries_do_not_grow_with_the_goals(
    company, cycle, as_user, django_assert_max_num_queries
):
    client = as_user(company.hr)
    kpi(company, cycle, company.direct)
    with django_assert_max_num_queries(12) as few:
        client.get(f"/api/v1/goals?cycle_id={cycle.pk}")
    for person in (company.manager, company.indirect, company.stranger, company.top):
        kpi(company, cycle, person)
        kpi(company, cycle, person, title="Second", weight=D(0))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert ok(client.get(f"/api/v1/goals?cycle_id={cycle.pk}"))["count"] == 9
    with django_assert_max_num_queries(12) as few:
        client.get(f"/api/v1/cycles/{cycle.pk}/sheets")
    assert len(few.captured_queries) <= 12


def test_action_plan_key_results_and_progress(company, cycle, as_user):
    okr = kpi(
        company, cycle, company.direct, kind="okr", target=None, title="Launch the new region"
    )
    client = as_user(company.user("direct"))
    kr = ok(
        call(
            client,
            "post",
            f"/goals/{okr.pk}/key-results",
            {"title": "Signed distributors", "target": 4, "weight": 100},
        ),
        201,
    )
    assert kr["target"] == "4.0000"
    step = ok(
        call(
            client,
            "post",
            f"/goals/{okr.pk}/milestones",
            {"title": "Shortlist", "due_date": "2026-02-01"},
        ),
        201,
    )
    assert step["owner_id"] == company.direct.pk
    late = call(
        client, "post", f"/goals/{okr.pk}/milestones", {"title": "Late", "due_date": "2026-05-01"}
    )
    assert "due_date" in error(late, 422)["details"]["fields"]
    done = ok(call(client, "post", f"/milestones/{step['id']}/done", {"done": True}))
    assert done["done_at"]
    assert error(
        call(as_user(company.user("stranger")), "post", f"/milestones/{step['id']}/done", {}), 404
    )
    detail = ok(client.get(f"/api/v1/goals/{okr.pk}"))
    assert [k["title"] for k in detail["key_results"]] == ["Signed distributors"]
    assert [m["title"] for m in detail["milestones"]] == ["Shortlist"]
    assert detail["progress"] is None  # no key-result values yet
    plain = kpi(company, cycle, company.indirect, kind="qualitative", target=None, title="Mentor")
    ok(
        call(
            as_user(company.hr),
            "post",
            f"/goals/{plain.pk}/milestones",
            {"title": "A", "due_date": "2026-02-01"},
        ),
        201,
    )
    second = ok(
        call(
            as_user(company.hr),
            "post",
            f"/goals/{plain.pk}/milestones",
            {"title": "B", "due_date": "2026-03-01"},
        ),
        201,
    )
    ok(call(as_user(company.hr), "post", f"/milestones/{second['id']}/done", {}))
    assert ok(as_user(company.hr).get(f"/api/v1/goals/{plain.pk}"))["progress"] == "50.00"


def test_comments(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct)
    top = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.COMPANY,
        title="Company",
        weight=D(100),
        target=D(1),
    )
    manager = as_user(company.user("manager"))
    created = ok(
        call(manager, "post", f"/goals/{goal.pk}/comments", {"body": "  Is 20 realistic?  "}), 201
    )
    assert (created["author_name"], created["body"]) == ("Mia Manager", "Is 20 realistic?")
    assert (
        "body"
        in error(call(manager, "post", f"/goals/{goal.pk}/comments", {"body": "  "}), 422)[
            "details"
        ]["fields"]
    )
    listed = ok(as_user(company.user("direct")).get(f"/api/v1/goals/{goal.pk}/comments"))
    assert [c["body"] for c in listed["items"]] == ["Is 20 realistic?"]
    stranger = as_user(company.user("stranger"))
    assert error(call(stranger, "post", f"/goals/{goal.pk}/comments", {"body": "Hi"}), 404)
    ok(call(stranger, "post", f"/goals/{top.pk}/comments", {"body": "Go team"}), 201)
    assert GoalComment.objects.count() == 2


def test_delete_a_draft_goal(company, cycle, as_user):
    goal = kpi(company, cycle, company.direct)
    response = as_user(company.user("direct")).delete(f"/api/v1/goals/{goal.pk}")
    assert response.status_code == 204
    assert not Goal.objects.filter(pk=goal.pk).exists()
    assert AuditEvent.objects.filter(object_type="planning.goal", action="delete").count() == 1


# Import ----------------------------------------------------------------------------------


def upload(client: Any, cycle: Any, content: bytes, dry_run: bool = False) -> Any:
    file = SimpleUploadedFile("goals.csv", content, content_type="text/csv")
    query = "?dry_run=true" if dry_run else ""
    return client.post(f"/api/v1/cycles/{cycle.pk}/goals/import{query}", {"file": file})


GOALS_CSV = (
    "编号,归属,工号,部门编码,上级目标编号,目标名称,权重,目标值,单位\r\n"
    "CO-1,公司,,,,Sales 5000000,100,5000000,元\r\n"
    "SA-1,部门,,SALES,CO-1,Sales dept,100,5000000,元\r\n"
    "P-C011,员工,C011,,SA-1,My sales,100,1000000,元\r\n"
).encode()


def test_goals_import_over_the_api(company, cycle, as_user):
    hr = as_user(company.hr)
    preview = ok(upload(hr, cycle, GOALS_CSV, dry_run=True))
    assert (preview["dry_run"], preview["created"], preview["kind"]) == (True, 3, "goals")
    assert not Goal.objects.exists()
    report = ok(upload(hr, cycle, GOALS_CSV))
    assert report["created"] == 3
    mine = Goal.objects.get(ref="P-C011")
    assert mine.parent.ref == "SA-1" and mine.parent.parent.ref == "CO-1"
    assert ok(upload(hr, cycle, GOALS_CSV))["unchanged"] == 3
    assert (
        error(upload(as_user(company.user("manager")), cycle, GOALS_CSV), 403)["code"]
        == "forbidden"
    )


def test_goals_import_rejection_names_the_rows(company, cycle, as_user):
    bad = GOALS_CSV + "P-X,员工,NOPE,,,Mystery,100,5,元\r\n".encode()
    body = error(upload(as_user(company.hr), cycle, bad), 422)
    assert body["code"] == "import_rejected"
    assert body["details"]["errors"] == [
        {"line": 5, "column": "employee_number", "message": "Unknown employee NOPE."}
    ]
    assert not Goal.objects.exists()

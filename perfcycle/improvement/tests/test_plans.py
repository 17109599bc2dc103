"""Improvement plans: who sees them, proposing for low grades, the plan's steps, carrying
goals, the reminder rule, constant query counts — and no termination action anywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver
from django.utils import timezone

from perfcycle.audit.models import AuditEvent
from perfcycle.calibration.models import Result
from perfcycle.calibration.tests.test_feedback import build_world
from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.improvement import services
from perfcycle.improvement.models import ImprovementPlan, PlanStatus
from perfcycle.monitoring.models import Course, TrainingStatus
from perfcycle.notifications.improvement import plan_reviews_due
from perfcycle.notifications.models import Notification, NotificationKind
from perfcycle.notifications.reminders import all_reminders
from perfcycle.notifications.services import notify
from perfcycle.planning.models import Goal, GoalKind
from tests.factories import CycleFactory

TODAY = timezone.localdate


@pytest.fixture
def world(company):
    world = build_world(company)
    Result.objects.filter(pk=world.indirect.pk).update(grade="D")
    return world


@pytest.fixture
def proposed(company, world) -> ImprovementPlan:
    services.plans_propose(actor=company.hr, cycle=world.cycle)
    return ImprovementPlan.objects.get(employee=company.indirect)


def _active(company, plan: ImprovementPlan) -> ImprovementPlan:
    manager = company.user("direct")
    services.goal_add(actor=manager, plan=plan, description="Close 3 deals", measure="3 deals")
    services.plan_update(actor=manager, plan=plan, end_date=TODAY() + dt.timedelta(days=60))
    return services.plan_activate(actor=manager, plan=plan)


# --- Proposing --------------------------------------------------------------------------


def test_propose_covers_the_lowest_grade_once_and_is_idempotent(company, world):
    report = services.plans_propose(actor=company.hr, cycle=world.cycle)
    assert (report.grades, report.created, report.already_planned) == (["D"], 1, 0)
    plan = ImprovementPlan.objects.get()
    assert plan.employee == company.indirect and plan.status == PlanStatus.PROPOSED
    assert plan.manager == company.direct and plan.result_id == world.indirect.pk
    again = services.plans_propose(actor=company.hr, cycle=world.cycle)
    assert (again.created, again.already_planned) == (0, 1)
    assert ImprovementPlan.objects.count() == 1
    assert AuditEvent.objects.filter(object_type__icontains="improvementplan").count() == 1


def test_propose_follows_the_configured_grades_and_skips_unreleased(company, world):
    services.settings_set(actor=company.hr, cycle=world.cycle, grades=["B", "D"])
    Result.objects.filter(pk=world.direct.pk).update(released_at=None)
    report = services.plans_propose(actor=company.hr, cycle=world.cycle)
    assert report.created == 1  # B is unreleased: not proposed


def test_only_hr_proposes(company, world, as_user):
    with pytest.raises(Forbidden):
        services.plans_propose(actor=company.user("manager"), cycle=world.cycle)
    url = f"/api/v1/cycles/{world.cycle.pk}/improvement-plans/propose"
    assert as_user(company.user("manager")).post(url).status_code == 403
    response = as_user(company.hr).post(url)
    assert response.status_code == 200 and response.json()["created"] == 1


# --- Who sees what ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "visible"),
    [("hr", True), ("manager", True), ("direct", True), ("indirect", False), ("stranger", False)],
)
def test_a_proposed_plan_is_managers_and_hrs_only(company, proposed, as_user, who, visible):
    client = as_user(company.hr if who == "hr" else company.user(who))
    page = client.get(f"/improve/plans/{proposed.pk}/")
    api = client.get(f"/api/v1/improvement-plans/{proposed.pk}")
    assert page.status_code == api.status_code == (200 if visible else 404)
    listed = client.get("/api/v1/improvement-plans").json()
    assert (proposed.pk in [p["id"] for p in listed["items"]]) is visible


def test_the_employee_sees_the_plan_once_active_and_acknowledges_once(company, proposed, as_user):
    plan = _active(company, proposed)
    client = as_user(company.user("indirect"))
    assert client.get(f"/improve/plans/{plan.pk}/").status_code == 200
    assert client.get("/api/v1/improvement-plans").json()["count"] == 1
    stranger = as_user(company.user("stranger"))
    assert stranger.get(f"/api/v1/improvement-plans/{plan.pk}").status_code == 404
    # The employee may not change it.
    response = client.patch(
        f"/api/v1/improvement-plans/{plan.pk}",
        {"version": plan.version, "reason": "mine"},
        content_type="application/json",
    )
    assert response.status_code == 403
    first = client.post(f"/api/v1/improvement-plans/{plan.pk}/acknowledge")
    assert first.status_code == 200 and first.json()["acknowledged_at"]
    second = client.post(f"/api/v1/improvement-plans/{plan.pk}/acknowledge")
    assert second.status_code == 400
    assert second.json()["error"]["code"] == "already_acknowledged"
    with pytest.raises(Forbidden):
        services.plan_acknowledge(actor=company.user("direct"), plan=plan)


def test_a_plan_is_activated_with_goals_and_an_end_date(company, proposed):
    with pytest.raises(DomainError) as exc:
        services.plan_activate(actor=company.user("direct"), plan=proposed)
    assert exc.value.code == "no_goals"
    with pytest.raises(Forbidden):
        services.plan_activate(actor=company.user("stranger"), plan=proposed)


def test_a_manager_creates_a_plan_at_any_time(company, world):
    plan = services.plan_create(
        actor=company.user("manager"), employee=company.direct, reason="Missed deadlines"
    )
    assert plan.cycle is None and plan.status == PlanStatus.PROPOSED
    with pytest.raises(Forbidden):
        services.plan_create(actor=company.user("direct"), employee=company.direct, reason="x")
    with pytest.raises(Forbidden):
        services.plan_create(actor=company.user("stranger"), employee=company.direct, reason="x")


def test_a_manager_starts_a_plan_on_the_page(company, world, as_user):
    client = as_user(company.user("manager"))
    assert "/improve/plans/new/" in client.get("/improve/").content.decode()
    page = client.get("/improve/plans/new/").content.decode()
    offered = {p.pk for p in (company.direct, company.indirect)}
    for person in (company.direct, company.indirect, company.stranger, company.manager):
        assert (f'<option value="{person.pk}"' in page) == (person.pk in offered)
    refused = client.post(
        "/improve/plans/new/", {"employee": company.stranger.pk, "reason": "Late"}
    )
    assert refused.status_code == 200 and not ImprovementPlan.objects.exists()
    no_reason = client.post("/improve/plans/new/", {"employee": company.indirect.pk})
    assert "This field is required" in no_reason.content.decode()
    response = client.post(
        "/improve/plans/new/",
        {
            "employee": company.indirect.pk,
            "cycle": world.cycle.pk,
            "reason": "Missed three deadlines",
            "start_date": "2026-12-01",
            "end_date": "2027-02-28",
        },
    )
    plan = ImprovementPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/improve/plans/{plan.pk}/"
    assert (plan.employee, plan.manager, plan.cycle) == (
        company.indirect,
        company.direct,
        world.cycle,
    )
    assert plan.status == PlanStatus.PROPOSED and plan.result_id == world.indirect.pk
    assert plan.end_date == dt.date(2027, 2, 28)
    event = AuditEvent.objects.get(object_type="improvement.improvementplan")
    assert event.actor == company.user("manager") and event.after["reason"] == plan.reason
    again = client.post(
        "/improve/plans/new/",
        {"employee": company.indirect.pk, "cycle": world.cycle.pk, "reason": "Again"},
    )
    assert "already has an improvement plan" in again.content.decode()


def test_someone_without_reports_cannot_start_a_plan(company, world, as_user):
    client = as_user(company.user("indirect"))
    assert "/improve/plans/new/" not in client.get("/improve/").content.decode()
    assert client.get("/improve/plans/new/").status_code == 403


def test_a_plan_is_started_over_the_api(company, world, as_user):
    client = as_user(company.user("direct"))

    def post(**body):
        return client.post("/api/v1/improvement-plans", body, content_type="application/json")

    blank = post(employee_id=company.indirect.pk, reason="  ")
    assert blank.status_code == 422
    assert "reason" in blank.json()["error"]["details"]["fields"]
    assert post(employee_id=company.stranger.pk, reason="x").status_code == 422
    assert post(employee_id=company.direct.pk, reason="x").status_code == 403
    created = post(
        employee_id=company.indirect.pk,
        cycle_id=world.cycle.pk,
        reason="Missed three deadlines",
        end_date="2027-02-28",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "proposed" and body["employee_id"] == company.indirect.pk
    assert body["start_date"] == TODAY().isoformat() and body["goals"] == []
    assert (
        post(employee_id=company.indirect.pk, cycle_id=world.cycle.pk, reason="y").json()["error"][
            "code"
        ]
        == "plan_exists"
    )


def test_no_plan_for_someone_who_has_left(company, world):
    company.indirect.status = "left"
    company.indirect.left_on = TODAY()
    company.indirect.save()
    with pytest.raises(ValidationFailed) as exc:
        services.plan_create(actor=company.hr, employee=company.indirect, reason="Late")
    assert "employee" in exc.value.details["fields"]


def test_a_stale_edit_is_a_conflict(company, proposed, as_user):
    client = as_user(company.user("manager"))
    url = f"/api/v1/improvement-plans/{proposed.pk}"
    ok = client.patch(
        url,
        {
            "version": proposed.version,
            "reason": "New reason",
            "goals": [{"description": "Shorter replies", "measure": "< 24h"}],
            "review_dates": [str(TODAY() + dt.timedelta(days=10))],
        },
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["reason"] == "New reason" and len(body["goals"]) == 1
    assert len(body["reviews"]) == 1
    stale = client.patch(
        url, {"version": proposed.version, "reason": "x"}, content_type="application/json"
    )
    assert stale.status_code == 409
    with pytest.raises(Conflict):
        services.plan_update(
            actor=company.hr, plan=proposed, expected_version=proposed.version, reason="y"
        )


# --- Reviews and outcomes ---------------------------------------------------------------


def test_reviews_and_outcomes(company, proposed, as_user):
    plan = _active(company, proposed)
    manager = company.user("direct")
    review = services.review_schedule(actor=manager, plan=plan, scheduled_for=TODAY())
    client = as_user(manager)
    logged = client.post(
        f"/api/v1/improvement-plans/{plan.pk}/reviews",
        {"review_id": review.pk, "held_on": str(TODAY()), "progress": "some", "notes": "Better"},
        content_type="application/json",
    )
    assert logged.status_code == 200 and logged.json()["progress"] == "some"
    plan.refresh_from_db()
    with pytest.raises(ValidationFailed):
        services.plan_close(
            actor=manager, plan=plan, outcome=PlanStatus.EXTENDED, reason="More time"
        )
    new_end = plan.end_date + dt.timedelta(days=30)
    services.plan_close(
        actor=manager,
        plan=plan,
        outcome=PlanStatus.EXTENDED,
        reason="More time",
        new_end_date=new_end,
    )
    assert plan.status == PlanStatus.EXTENDED and plan.end_date == new_end and plan.is_open
    closed = client.post(
        f"/api/v1/improvement-plans/{plan.pk}/close",
        {"outcome": "completed", "reason": "Targets met"},
        content_type="application/json",
    )
    assert closed.status_code == 200 and closed.json()["status"] == "completed"
    plan.refresh_from_db()
    assert plan.closed_at is not None
    with pytest.raises(DomainError) as exc:
        services.goal_add(actor=manager, plan=plan, description="late")
    assert exc.value.code == "plan_closed"


def test_not_met_is_an_outcome_not_a_termination(company, proposed):
    plan = _active(company, proposed)
    services.plan_close(
        actor=company.hr, plan=plan, outcome=PlanStatus.NOT_MET, reason="Targets missed"
    )
    assert plan.status == PlanStatus.NOT_MET


def test_training_and_support_are_the_evidence(company, proposed, as_user):
    course = Course.objects.create(code="C1", title="Negotiation")
    manager = company.user("direct")
    services.training_add(actor=manager, plan=proposed, course=course)
    services.support_add(actor=manager, plan=proposed, kind="coaching", description="Weekly 1:1")
    link = proposed.training.get()
    type(link.assignment).objects.filter(pk=link.assignment_id).update(
        status=TrainingStatus.COMPLETED, completed_on=TODAY()
    )
    page = as_user(company.user("manager")).get(f"/improve/plans/{proposed.pk}/")
    text = page.content.decode()
    assert "Negotiation" in text and "Weekly 1:1" in text and f"{TODAY():%Y-%m-%d}" in text
    detail = as_user(company.hr).get(f"/api/v1/improvement-plans/{proposed.pk}").json()
    assert detail["training"][0]["completed_on"] == f"{TODAY():%Y-%m-%d}"


# --- Carrying goals ---------------------------------------------------------------------


def test_goals_carry_into_the_next_cycle_in_planning_once(company, proposed, as_user):
    plan = _active(company, proposed)
    next_cycle = CycleFactory(name="2026 Q2", phase="planning", participants=[company.indirect])
    closed_cycle = CycleFactory(name="Old", phase="closed", participants=[company.indirect])
    with pytest.raises(DomainError):
        services.plan_carry_goals(actor=company.user("direct"), plan=plan, next_cycle=closed_cycle)
    response = as_user(company.user("manager")).post(
        f"/api/v1/improvement-plans/{plan.pk}/carry",
        {"cycle_id": next_cycle.pk},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["carried_into_id"] == next_cycle.pk
    goal = Goal.objects.get(cycle=next_cycle, employee=company.indirect)
    assert goal.kind == GoalKind.QUALITATIVE and goal.title == "Close 3 deals"
    with pytest.raises(DomainError) as exc:
        services.plan_carry_goals(actor=company.hr, plan=plan, next_cycle=next_cycle)
    assert exc.value.code == "already_carried"


# --- Reminders --------------------------------------------------------------------------


def test_a_review_within_three_days_reminds_employee_and_manager_once_a_day(company, proposed):
    manager = company.user("direct")
    services.review_schedule(
        actor=manager, plan=proposed, scheduled_for=TODAY() + dt.timedelta(days=2)
    )
    assert plan_reviews_due(today=TODAY()) == []  # proposed plans do not remind
    plan = _active(company, proposed)
    services.review_schedule(actor=manager, plan=plan, scheduled_for=TODAY() + dt.timedelta(9))
    drafts = plan_reviews_due(today=TODAY())
    assert {d.user_id for d in drafts} == {company.indirect.user.pk, company.direct.user.pk}
    assert any(
        d.dedupe_key.startswith("plan-review:")
        for d in all_reminders(today=TODAY(), now=timezone.now())
    )
    notify(drafts=drafts, email=False)
    notify(drafts=plan_reviews_due(today=TODAY()), email=False)
    sent = Notification.objects.filter(dedupe_key__startswith="plan-review:")
    assert sent.count() == 2
    assert set(sent.values_list("kind", flat=True)) == {NotificationKind.PLAN_REVIEW}


# --- Lists: constant queries ------------------------------------------------------------


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_take_constant_queries(company, world, as_user):
    services.plan_create(actor=company.hr, employee=company.direct, reason="Late")
    client = as_user(company.hr)
    few = (_count(client, "/improve/"), _count(client, "/api/v1/improvement-plans"))
    for who in ("indirect", "manager", "stranger", "top"):
        services.plan_create(actor=company.hr, employee=getattr(company, who), reason="Late")
    many = (_count(client, "/improve/"), _count(client, "/api/v1/improvement-plans"))
    assert few == many


# --- No termination ---------------------------------------------------------------------


def test_no_termination_action_anywhere():
    words = ("terminat", "dismiss", "fire", "解除", "辞退", "开除")
    names = [str(p.pattern) for p in get_resolver().url_patterns]
    from perfcycle.api.improvement import plans
    from perfcycle.improvement.views import pages

    paths = [str(p.pattern) for p in pages.urlpatterns] + list(plans.router.path_operations)
    statuses = [s.value for s in PlanStatus] + list(pages.ACTIONS)
    for text in paths + statuses + names:
        assert not any(w in text.lower() for w in words), text


def test_pages_run_the_plan(company, world, as_user):
    hr = as_user(company.hr)
    response = hr.post(f"/improve/cycles/{world.cycle.pk}/propose/", follow=True)
    assert "1 plans proposed" in response.content.decode()
    plan = ImprovementPlan.objects.get()
    manager = as_user(company.user("direct"))
    base = f"/improve/plans/{plan.pk}/"
    manager.post(f"{base}goal/", {"version": plan.version, "description": "Answer in a day"})
    plan.refresh_from_db()
    edit = manager.post(
        f"{base}edit/",
        {"version": plan.version, "reason": "Low grade", "end_date": "2099-01-01"},
    )
    assert edit.status_code == 302
    plan.refresh_from_db()
    manager.post(f"{base}activate/", {"version": plan.version})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE and plan.goals.count() == 1
    employee = as_user(company.user("indirect"))
    assert "I have read the plan" in employee.get(base).content.decode()
    employee.post(f"{base}acknowledge/")
    plan.refresh_from_db()
    assert plan.acknowledged_at is not None
    assert as_user(company.user("stranger")).post(f"{base}close/").status_code == 404
    home = manager.get("/improve/").content.decode()
    assert "Ivy Indirect" in home

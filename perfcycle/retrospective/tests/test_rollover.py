"""Roll-over: the closed quarter becomes the next one with the approved targets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.cycles.models import Cycle, CycleParticipant, Phase
from perfcycle.cycles.services import grade_scale_default, review_template_default
from perfcycle.improvement.models import ImprovementPlan, PlanGoal, PlanStatus
from perfcycle.monitoring.coaching import open_action_items
from perfcycle.monitoring.models import ActionItem
from perfcycle.org.models import EmployeeStatus
from perfcycle.planning.models import Goal, GoalKind, GoalSheet, KeyResult, Milestone, OwnerType
from perfcycle.retrospective.models import ProposalStatus, RollOver, TargetProposal
from perfcycle.retrospective.rollover import cycle_roll_over, rollover_preview
from perfcycle.retrospective.tests.conftest import make_reps
from tests.factories import EmployeeFactory, GoalFactory


@pytest.fixture
def closed(company, quarter):
    """The quarter closed, with rules, an approved 20 → 16, a cascade, a leaver, a joiner,
    an open action item and an active improvement plan."""
    cycle = quarter.cycle
    cycle.template = review_template_default()
    cycle.grade_scale = grade_scale_default()
    cycle.phase = Phase.CLOSED
    cycle.normalise_ratings = True
    cycle.save()
    TargetProposal.objects.create(
        cycle=cycle,
        indicator=quarter.customers,
        current_target=D(20),
        proposed_target=D(16),
        reasoning="Most missed it badly.",
        status=ProposalStatus.APPROVED,
        approved_target=D(16),
    )
    top = GoalFactory(cycle=cycle, owner_type=OwnerType.COMPANY, employee=None, title="Grow")
    dept = GoalFactory(
        cycle=cycle,
        owner_type=OwnerType.DEPARTMENT,
        employee=None,
        department=company.sales,
        title="Sales grow",
        parent=top,
    )
    rep_goal = Goal.objects.get(cycle=cycle, employee=quarter.reps[0], indicator=quarter.customers)
    rep_goal.parent = dept
    rep_goal.due_date = dt.date(2026, 3, 31)
    rep_goal.save()
    okr = GoalFactory(
        cycle=cycle, employee=quarter.reps[1], kind=GoalKind.OKR, title="OKR", weight=0
    )
    KeyResult.objects.create(goal=okr, title="KR", target=D(5))
    Milestone.objects.create(goal=okr, title="M", due_date=dt.date(2026, 2, 15))
    leaver = quarter.reps[5]
    leaver.status, leaver.left_on = EmployeeStatus.LEFT, dt.date(2026, 3, 31)
    leaver.save()
    joiner = EmployeeFactory(
        name="Jo Joiner",
        department=company.sales,
        manager=company.manager,
        hire_date=dt.date(2026, 2, 1),
    )
    item = ActionItem.objects.create(
        employee=quarter.reps[0], owner=quarter.reps[0], text="Call back the lost leads"
    )
    ActionItem.objects.create(
        employee=quarter.reps[0],
        owner=quarter.reps[0],
        text="Done",
        done_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )
    plan = ImprovementPlan.objects.create(
        cycle=cycle, employee=quarter.reps[2], status=PlanStatus.ACTIVE, manager=company.manager
    )
    PlanGoal.objects.create(plan=plan, description="Qualify leads first", measure="80% qualified")
    return {"quarter": quarter, "leaver": leaver, "joiner": joiner, "item": item, "plan": plan}


def test_roll_over_copies_with_evidence_based_targets(company, closed):
    quarter = closed["quarter"]
    source = quarter.cycle
    audit_before = AuditEvent.objects.count()
    record = cycle_roll_over(actor=company.hr, source=source)
    new = record.target
    assert (new.name, new.phase, new.period_type) == ("2026 Q2", Phase.PLANNING, "quarter")
    assert (new.start_date, new.end_date) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert (new.template_id, new.grade_scale_id) == (source.template_id, source.grade_scale_id)
    assert new.normalise_ratings is True
    people = set(CycleParticipant.objects.filter(cycle=new).values_list("employee_id", flat=True))
    assert closed["joiner"].pk in people and closed["leaver"].pk not in people
    # Targets: 16 for the approved indicator, threshold/stretch in ratio; others unchanged.
    customers = Goal.objects.filter(cycle=new, indicator=quarter.customers)
    assert customers.count() == 5  # the leaver's goal is dropped
    assert {(g.target, g.threshold, g.stretch) for g in customers} == {
        (D(16), D("12.8"), D("19.2"))
    }
    assert set(
        Goal.objects.filter(cycle=new, indicator=quarter.calls).values_list("target", flat=True)
    ) == {D(100)}
    assert set(
        Goal.objects.filter(cycle=new, indicator=quarter.defects).values_list("target", flat=True)
    ) == {D(10)}
    assert not Goal.objects.filter(cycle=new, current_value__isnull=False).exists()
    # Cascade remapped to the copies.
    rep_copy = customers.get(employee=quarter.reps[0])
    assert rep_copy.parent.cycle_id == new.pk and rep_copy.parent.title == "Sales grow"
    assert rep_copy.parent.parent.cycle_id == new.pk and rep_copy.parent.parent.title == "Grow"
    assert rep_copy.due_date == dt.date(2026, 6, 30)
    okr = Goal.objects.get(cycle=new, title="OKR")
    assert okr.key_results.get().target == D(5)
    assert okr.milestones.get().due_date == dt.date(2026, 5, 16)  # moved by the 90-day shift
    # Agreement starts over.
    assert set(GoalSheet.objects.filter(cycle=new).values_list("status", flat=True)) == {"draft"}
    assert not Goal.objects.filter(
        cycle=new, owner_type=OwnerType.EMPLOYEE, sheet__isnull=True
    ).exists()
    # Carried: the open action item stays open for the pair; the plan's goal is copied.
    assert [i["id"] for i in record.report["action_items"]] == [closed["item"].pk]
    assert closed["item"] in open_action_items(employee=quarter.reps[0])
    carried = Goal.objects.get(cycle=new, employee=quarter.reps[2], kind=GoalKind.QUALITATIVE)
    assert carried.title == "Qualify leads first" and "80% qualified" in carried.description
    closed["plan"].refresh_from_db()
    assert closed["plan"].carried_into_id == new.pk
    # Audit: one entry per goal and more.
    goals_in_new = Goal.objects.filter(cycle=new).count()
    assert (
        AuditEvent.objects.filter(object_type__icontains="goal", action="create").count()
        >= goals_in_new
    )
    assert AuditEvent.objects.count() - audit_before >= goals_in_new + 3
    # The report.
    assert record.report["cycle_id"] == new.pk
    assert [p["name"] for p in record.report["joining"]] == ["Jo Joiner"]
    assert [p["name"] for p in record.report["leaving"]] == [closed["leaver"].name]
    assert record.report["targets"][str(quarter.customers.pk)]["new"] == "16"


def test_override_wins_over_the_approved_target(company, closed):
    quarter = closed["quarter"]
    record = cycle_roll_over(
        actor=company.hr,
        source=quarter.cycle,
        name="Next",
        targets={str(quarter.customers.pk): "18", quarter.calls.pk: D(110)},
    )
    assert set(
        Goal.objects.filter(cycle=record.target, indicator=quarter.customers).values_list(
            "target", flat=True
        )
    ) == {D(18)}
    calls = Goal.objects.filter(cycle=record.target, indicator=quarter.calls)
    assert {(g.target, g.stretch) for g in calls} == {(D(110), D(132))}


def test_preview_lists_what_would_happen_without_writing(company, closed):
    quarter = closed["quarter"]
    cycles = Cycle.objects.count()
    plan = rollover_preview(actor=company.hr, source=quarter.cycle)
    assert Cycle.objects.count() == cycles
    group = next(g for g in plan.indicators if g.indicator == quarter.customers)
    assert (group.old_targets, group.proposed, group.proposal.reasoning) == (
        [D(20)],
        D(16),
        "Most missed it badly.",
    )
    assert [e.name for e in plan.joining] == ["Jo Joiner"]
    assert [p.pk for p in plan.plans] == [closed["plan"].pk]


def _rollover_queries(company, n: int, name: str) -> int:
    reps = make_reps(company, n, start=100 + n)
    from tests.factories import CycleFactory

    source = CycleFactory(
        name=name,
        phase=Phase.CLOSED,
        participants=reps,
        template=review_template_default(),
        grade_scale=grade_scale_default(),
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2024, 3, 31),
    )
    parent = GoalFactory(cycle=source, owner_type=OwnerType.COMPANY, employee=None, title="Top")
    for rep in reps:
        goal = GoalFactory(
            cycle=source, employee=rep, title="A", target=10, stretch=12, parent=parent
        )
        Milestone.objects.create(goal=goal, title="m", due_date=dt.date(2024, 2, 1))
        ActionItem.objects.create(employee=rep, owner=rep, text="x")
        plan = ImprovementPlan.objects.create(cycle=source, employee=rep, status=PlanStatus.ACTIVE)
        PlanGoal.objects.create(plan=plan, description="Improve")
    with CaptureQueriesContext(connection) as ctx:
        record = cycle_roll_over(actor=company.hr, source=source, name=f"{name} next")
    assert Goal.objects.filter(cycle=record.target).count() == 2 * n + 1
    return len(ctx.captured_queries)


def test_roll_over_issues_a_constant_number_of_queries(company):
    assert _rollover_queries(company, 3, "Small") == _rollover_queries(company, 9, "Large")


def _nothing_written(source: Cycle, cycles: int) -> None:
    assert Cycle.objects.count() == cycles
    assert not RollOver.objects.filter(source=source).exists()


def test_refuses_a_cycle_not_closed(company, quarter):
    cycles = Cycle.objects.count()
    with pytest.raises(DomainError) as exc:
        cycle_roll_over(actor=company.hr, source=quarter.cycle)
    assert exc.value.code == "not_closed"
    _nothing_written(quarter.cycle, cycles)


def test_refuses_twice(company, closed):
    source = closed["quarter"].cycle
    cycle_roll_over(actor=company.hr, source=source)
    cycles = Cycle.objects.count()
    with pytest.raises(Conflict) as exc:
        cycle_roll_over(actor=company.hr, source=source, name="Again")
    assert exc.value.code == "already_rolled_over"
    assert Cycle.objects.count() == cycles


@pytest.mark.parametrize(
    ("targets", "code"),
    [
        ({"999999": "5"}, "indicator_not_held"),
        (None, "bad_target"),  # filled in below: negative
        ("text", "bad_target"),
    ],
)
def test_refuses_bad_targets_and_writes_nothing(company, closed, targets, code):
    quarter = closed["quarter"]
    if targets is None:
        targets = {quarter.customers.pk: "-1"}
    elif targets == "text":
        targets = {quarter.customers.pk: "sixteen"}
    cycles = Cycle.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        cycle_roll_over(actor=company.hr, source=quarter.cycle, targets=targets)
    assert exc.value.code == code
    _nothing_written(quarter.cycle, cycles)
    assert not Goal.objects.exclude(cycle__in=[quarter.cycle, quarter.previous]).exists()


def test_refuses_bad_dates_and_a_taken_name(company, closed):
    source = closed["quarter"].cycle
    cycles = Cycle.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        cycle_roll_over(
            actor=company.hr,
            source=source,
            start_date=dt.date(2026, 5, 1),
            end_date=dt.date(2026, 4, 1),
        )
    assert "end_date" in exc.value.details["fields"]
    with pytest.raises(ValidationFailed) as exc:
        cycle_roll_over(actor=company.hr, source=source, name="2025 Q4")
    assert exc.value.code == "name_taken"
    _nothing_written(source, cycles)


def test_refuses_non_hr(company, closed):
    source = closed["quarter"].cycle
    with pytest.raises(Forbidden):
        cycle_roll_over(actor=company.manager.user, source=source)


def test_page_previews_and_creates(company, closed, as_user):
    quarter = closed["quarter"]
    url = reverse("retrospective:rollover", args=[quarter.cycle.pk])
    assert as_user(company.manager.user).get(url).status_code == 403
    client = as_user(company.hr)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Jo Joiner" in html and "Call back the lost leads" in html
    assert f'name="target_{quarter.customers.pk}"' in html and 'value="16"' in html
    bad = client.post(
        url,
        {
            "name": "2026 Q2",
            "start_date": "2026-04-01",
            "end_date": "2026-06-30",
            f"target_{quarter.customers.pk}": "-3",
        },
    )
    assert bad.status_code == 200 and "cannot be negative" in bad.content.decode()
    assert not RollOver.objects.exists()
    done = client.post(
        url,
        {
            "name": "2026 Q2",
            "start_date": "2026-04-01",
            "end_date": "2026-06-30",
            f"target_{quarter.customers.pk}": "17",
        },
    )
    record = RollOver.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "cycles:detail", args=[record.target_id]
    )
    assert set(
        Goal.objects.filter(cycle=record.target, indicator=quarter.customers).values_list(
            "target", flat=True
        )
    ) == {D(17)}


def test_api_previews_and_creates(company, closed, as_user):
    quarter = closed["quarter"]
    url = f"/api/v1/cycles/{quarter.cycle.pk}/roll-over"
    assert as_user(company.manager.user).get(url).status_code == 403
    client = as_user(company.hr)
    preview = client.get(url)
    assert preview.status_code == 200, preview.content
    assert preview.json()["targets"][str(quarter.customers.pk)]["new"] == "16"
    bad = client.post(url, {"targets": {"999999": "16"}}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "indicator_not_held"
    made = client.post(
        url, {"targets": {str(quarter.customers.pk): "15"}}, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert Cycle.objects.get(pk=body["cycle_id"]).phase == Phase.PLANNING
    again = client.post(url, {}, content_type="application/json")
    assert again.status_code == 409


def test_the_default_period_skips_periods_already_planned(company, closed):
    """Q4 started before Q3 closed: Q3 rolls over into the first free quarter after it."""
    from perfcycle.retrospective.rollover import next_period
    from tests.factories import CycleFactory

    source = closed["quarter"].cycle
    first = next_period(source)
    assert first[0] == source.end_date + dt.timedelta(days=1)
    CycleFactory(
        name="Running next",
        period_type=source.period_type,
        start_date=first[0],
        end_date=first[1],
    )
    start, end = next_period(source)
    assert start == first[1] + dt.timedelta(days=1)
    assert (end - start) >= (first[1] - first[0]) - dt.timedelta(days=3)
    plan = rollover_preview(actor=company.hr, source=source)
    assert (plan.start_date, plan.end_date) == (start, end)


def test_the_grades_that_lead_to_a_plan_carry_over(company, closed):
    from perfcycle.improvement import services as improvement_services
    from perfcycle.improvement.models import ImprovementSettings

    source = closed["quarter"].cycle
    improvement_services.settings_set(actor=company.hr, cycle=source, grades=["C", "D"])
    new = cycle_roll_over(actor=company.hr, source=source).target
    assert ImprovementSettings.objects.get(cycle=new).trigger_grades == ["C", "D"]

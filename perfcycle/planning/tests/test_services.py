"""Plan stage services: goals, the cascade, agreement, indicator assignment, bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import Conflict, DomainError, ValidationFailed
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import cycle_create
from perfcycle.planning import services
from perfcycle.planning.models import (
    Goal,
    GoalKind,
    GoalSheet,
    Milestone,
    OwnerType,
    SheetStatus,
)
from perfcycle.planning.scoring import Direction, RuleType


def kpi(company, cycle, employee, **values):
    values.setdefault("title", "New customers")
    values.setdefault("weight", D(100))
    values.setdefault("target", D(20))
    values.setdefault("unit", "customers")
    return services.goal_create(
        actor=company.user("manager"),
        cycle=cycle,
        owner_type=OwnerType.EMPLOYEE,
        employee=employee,
        **values,
    )


def test_cascade_company_department_person(company, cycle):
    top = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.COMPANY,
        title="Sales 5,000,000",
        weight=D(100),
        target=D(5_000_000),
    )
    dept = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.DEPARTMENT,
        department=company.sales,
        title="Sales dept 5,000,000",
        weight=D(100),
        target=D(5_000_000),
        parent=top,
    )
    mine = kpi(company, cycle, company.direct, parent=dept)
    assert mine.parent.parent == top
    assert mine.sheet == GoalSheet.objects.get(cycle=cycle, employee=company.direct)
    assert dept.policy_subject() == company.sales.head


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"target": None}, "target"),
        ({"threshold": D(25)}, "threshold"),
        ({"stretch": D(10)}, "stretch"),
        ({"target": D(-5)}, "target"),
        ({"rule_type": RuleType.THRESHOLD_STRETCH}, "threshold"),
        ({"rule_type": RuleType.BANDED}, "bands"),
        ({"direction": Direction.LOWER, "threshold": D(10)}, "threshold"),
        ({"weight": D(120)}, "weight"),
    ],
)
def test_bad_standards_are_refused_with_the_field_named(company, cycle, values, field):
    with pytest.raises(ValidationFailed) as exc:
        kpi(company, cycle, company.direct, **values)
    assert field in exc.value.details["fields"]
    assert not Goal.objects.exists()


def test_a_milestone_asked_for_the_state_it_is_in_stays_as_it_is(company, cycle):
    """Two people mark the same step done from pages read before either click: the first
    click's time stands and only one change is recorded; "not done" from a stale page
    likewise changes nothing twice."""
    goal = kpi(company, cycle, company.direct, kind=GoalKind.OKR, target=None)
    step = services.milestone_create(
        actor=company.hr, goal=goal, title="Shortlist", due_date=dt.date(2026, 2, 1)
    )
    stale = Milestone.objects.get(pk=step.pk)  # the second page, read before the clicks
    first = services.milestone_set_done(actor=company.user("direct"), milestone=step, done=True)
    events = AuditEvent.objects.filter(object_type="planning.milestone", object_id=str(step.pk))
    assert events.count() == 2  # created, done
    again = services.milestone_set_done(actor=company.user("manager"), milestone=stale, done=True)
    assert again.done_at == first.done_at == Milestone.objects.get(pk=step.pk).done_at
    assert events.count() == 2
    services.milestone_set_done(actor=company.user("manager"), milestone=stale, done=False)
    services.milestone_set_done(actor=company.user("direct"), milestone=first, done=False)
    assert Milestone.objects.get(pk=step.pk).done_at is None
    assert events.count() == 3


def test_milestone_needs_a_due_date_inside_the_cycle(company, cycle):
    with pytest.raises(ValidationFailed):
        kpi(company, cycle, company.direct, kind=GoalKind.MILESTONE, target=None)
    with pytest.raises(ValidationFailed):
        kpi(
            company,
            cycle,
            company.direct,
            kind=GoalKind.MILESTONE,
            target=None,
            due_date=dt.date(2027, 1, 1),
        )
    goal = kpi(
        company,
        cycle,
        company.direct,
        kind=GoalKind.MILESTONE,
        target=None,
        due_date=dt.date(2026, 3, 1),
    )
    assert goal.rule_type == RuleType.BINARY


def test_parent_from_another_cycle_is_refused(company, cycle):
    other = cycle_create(
        actor=company.hr,
        name="Other",
        period_type="quarter",
        start_date=dt.date(2026, 4, 1),
        end_date=dt.date(2026, 6, 30),
    )
    foreign = services.goal_create(
        actor=company.hr,
        cycle=other,
        owner_type=OwnerType.COMPANY,
        title="x",
        weight=D(100),
        target=D(1),
    )
    with pytest.raises(ValidationFailed) as exc:
        kpi(company, cycle, company.direct, parent=foreign)
    assert "parent" in exc.value.details["fields"]


def test_cascade_cannot_loop(company, cycle):
    a = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.COMPANY,
        title="a",
        weight=D(50),
        target=D(1),
    )
    b = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.COMPANY,
        title="b",
        weight=D(50),
        target=D(1),
        parent=a,
    )
    with pytest.raises(ValidationFailed):
        services.goal_update(actor=company.hr, goal=a, parent=b)
    a.refresh_from_db()
    assert a.parent is None


def test_goals_are_locked_outside_the_planning_phases(company, cycle):
    goal = kpi(company, cycle, company.direct)
    Cycle.objects.filter(pk=cycle.pk).update(phase=Phase.CLOSED)
    goal.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.goal_update(actor=company.hr, goal=goal, target=D(30))
    assert exc.value.code == "cycle_locked"
    with pytest.raises(DomainError):
        kpi(company, goal.cycle, company.direct)
    goal.refresh_from_db()
    assert goal.target == D(20)


def test_weights_must_total_100_before_proposal(company, cycle):
    kpi(company, cycle, company.direct, weight=D(60))
    second = kpi(company, cycle, company.direct, title="Collection rate", weight=D(30))
    sheet = GoalSheet.objects.get(employee=company.direct)
    with pytest.raises(ValidationFailed) as exc:
        services.sheet_propose(actor=company.user("direct"), sheet=sheet)
    assert exc.value.code == "weights_not_100"
    assert exc.value.details["total"] == "90.00"
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.DRAFT
    services.goal_update(actor=company.user("direct"), goal=second, weight=D(40))
    sheet.refresh_from_db()  # a weight changed: the sheet is at its next version
    services.sheet_propose(actor=company.user("direct"), sheet=sheet)
    assert sheet.status == SheetStatus.PROPOSED


def test_agreement_then_a_change_needs_a_new_acknowledgement(company, cycle):
    goal = kpi(company, cycle, company.direct)
    sheet = goal.sheet
    services.sheet_propose(actor=company.user("manager"), sheet=sheet)
    with pytest.raises(DomainError):
        services.sheet_approve(actor=company.user("direct"), sheet=sheet)
    services.sheet_approve(actor=company.user("manager"), sheet=sheet)
    with pytest.raises(DomainError):
        services.sheet_acknowledge(actor=company.user("manager"), sheet=sheet)
    ack = services.sheet_acknowledge(actor=company.user("direct"), sheet=sheet)
    assert sheet.status == SheetStatus.ACKNOWLEDGED
    assert ack.snapshot["goals"][0]["target"] == "20.0000"

    # The employee can no longer change agreed goals themselves.
    goal.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.goal_update(actor=company.user("direct"), goal=goal, target=D(10))
    assert exc.value.code == "sheet_locked"

    services.goal_update(actor=company.user("manager"), goal=goal, target=D(25))
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.APPROVED
    changes = services.sheet_changes_since_acknowledgement(sheet)
    assert changes == [
        {
            "goal": "New customers",
            "change": "changed",
            "fields": [{"field": "target", "before": "20.0000", "after": "25.0000"}],
        }
    ]
    # What was acknowledged is kept exactly.
    ack.refresh_from_db()
    assert ack.snapshot["goals"][0]["target"] == "20.0000"
    services.sheet_acknowledge(actor=company.user("direct"), sheet=sheet)
    assert sheet.acknowledgements.count() == 2
    assert services.sheet_changes_since_acknowledgement(sheet) == []


def test_description_change_does_not_need_a_new_acknowledgement(company, cycle):
    goal = kpi(company, cycle, company.direct)
    sheet = goal.sheet
    services.sheet_propose(actor=company.user("manager"), sheet=sheet)
    services.sheet_approve(actor=company.user("manager"), sheet=sheet)
    services.sheet_acknowledge(actor=company.user("direct"), sheet=sheet)
    goal.refresh_from_db()
    services.goal_update(actor=company.user("manager"), goal=goal, description="More context")
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.ACKNOWLEDGED


def test_weight_change_on_agreed_sheet_must_keep_100(company, cycle):
    a = kpi(company, cycle, company.direct, weight=D(50))
    b = kpi(company, cycle, company.direct, title="b", weight=D(50))
    sheet = GoalSheet.objects.get(pk=a.sheet_id)  # as it is once b is on it
    services.sheet_propose(actor=company.user("manager"), sheet=sheet)
    services.sheet_approve(actor=company.user("manager"), sheet=sheet)
    a.refresh_from_db()
    with pytest.raises(ValidationFailed):
        services.goal_update(actor=company.user("manager"), goal=a, weight=D(60))
    a.refresh_from_db()
    assert a.weight == D(50)
    services.sheet_set_weights(
        actor=company.user("manager"), sheet=sheet, weights={a.pk: D(60), b.pk: D(40)}
    )
    assert sorted(Goal.objects.filter(sheet=sheet).values_list("weight", flat=True)) == [
        D(40),
        D(60),
    ]


def test_adding_goals_to_an_agreed_sheet_needs_a_return_to_draft(company, cycle):
    goal = kpi(company, cycle, company.direct)
    services.sheet_propose(actor=company.user("manager"), sheet=goal.sheet)
    with pytest.raises(DomainError):
        kpi(company, cycle, company.direct, title="More", weight=D(0))
    with pytest.raises(ValidationFailed):
        services.sheet_return(actor=company.user("manager"), sheet=goal.sheet, reason=" ")
    services.sheet_return(
        actor=company.user("manager"), sheet=goal.sheet, reason="Add collection rate"
    )
    kpi(company, cycle, company.direct, title="More", weight=D(0))


def test_stale_goal_edit_is_a_conflict(company, cycle):
    goal = kpi(company, cycle, company.direct)
    stale = goal.version
    services.goal_update(actor=company.hr, goal=goal, target=D(21))
    copy = Goal.objects.get(pk=goal.pk)
    with pytest.raises(Conflict):
        services.goal_update(actor=company.hr, goal=copy, target=D(22), expected_version=stale)
    copy.refresh_from_db()
    assert copy.target == D(21)


def test_assign_an_indicator_to_a_whole_team_with_overrides(company, cycle):
    indicator = services.indicator_create(
        actor=company.hr,
        code="NEW_CUST",
        name="New customers",
        unit="customers",
        job_family="sales",
        aggregation="sum",
    )
    team = [company.manager, company.direct, company.indirect]
    result = services.indicator_assign(
        actor=company.user("manager"),
        cycle=cycle,
        indicator=indicator,
        target=D(60),
        weight=D(40),
        threshold=D(45),
        assignees=team,
        overrides={"C012": {"target": D(50)}},
    )
    assert result == {"created": 3, "updated": 0, "unchanged": 0, "skipped": []}
    goals = {g.employee.employee_number: g for g in Goal.objects.filter(indicator=indicator)}
    assert goals["C012"].target == D(50) and goals["C011"].target == D(60)
    assert goals["C011"].unit == "customers" and goals["C011"].aggregation == "sum"
    assert AuditEvent.objects.filter(object_type="planning.goal", action="create").count() == 3
    again = services.indicator_assign(
        actor=company.user("manager"),
        cycle=cycle,
        indicator=indicator,
        target=D(60),
        weight=D(40),
        threshold=D(45),
        assignees=team,
        overrides={"C012": {"target": D(50)}},
    )
    assert again == {"created": 0, "updated": 0, "unchanged": 3, "skipped": []}


def test_assignment_is_all_or_nothing(company, cycle):
    indicator = services.indicator_create(actor=company.hr, code="NEW_CUST", name="New customers")
    with pytest.raises(ValidationFailed) as exc:
        services.indicator_assign(
            actor=company.hr,
            cycle=cycle,
            indicator=indicator,
            target=D(20),
            weight=D(50),
            threshold=D(15),
            assignees=[company.direct, company.indirect],
            overrides={"C012": {"threshold": D(30)}},
        )
    assert exc.value.details["errors"][0]["employee_number"] == "C012"
    assert not Goal.objects.exists()
    with pytest.raises(ValidationFailed):
        services.indicator_assign(
            actor=company.hr,
            cycle=cycle,
            indicator=indicator,
            target=D(20),
            weight=D(50),
            assignees=[company.direct],
            overrides={"C999": {"target": D(1)}},
        )

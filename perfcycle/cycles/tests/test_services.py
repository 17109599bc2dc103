"""Cycles: the phase state machine, opening rules, participants, grade scales, templates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import Conflict, DomainError, ValidationFailed
from perfcycle.cycles import phases
from perfcycle.cycles.models import Cycle, CycleParticipant, Phase
from perfcycle.cycles.services import (
    cycle_create,
    cycle_set_participants,
    cycle_transition,
    cycle_update,
    grade_scale_create,
    grade_scale_default,
    review_template_create,
    review_template_default,
)
from tests.factories import EmployeeFactory

Q_START, Q_END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)


@pytest.fixture
def cycle(company):
    return cycle_create(
        actor=company.hr,
        name="2026 Q1",
        period_type="quarter",
        start_date=Q_START,
        end_date=Q_END,
        template=review_template_default(),
        grade_scale=grade_scale_default(),
    )


@pytest.fixture
def open_cycle(company, cycle):
    cycle_set_participants(actor=company.hr, cycle=cycle, department_ids=[company.root.pk])
    return cycle_transition(actor=company.hr, cycle=cycle, to_phase=Phase.PLANNING)


def test_create_sets_default_deadlines_in_phase_order(cycle):
    deadlines = {d.phase: d.due_date for d in cycle.deadlines.all()}
    ordered = [deadlines[p] for p in phases.ORDER if p in deadlines]
    assert ordered == sorted(ordered)
    assert deadlines[Phase.IN_PROGRESS] == Q_END
    assert AuditEvent.objects.for_object(cycle).filter(action="create").exists()


def test_end_before_start_is_refused(company):
    with pytest.raises(ValidationFailed) as exc:
        cycle_create(
            actor=company.hr, name="x", period_type="quarter", start_date=Q_END, end_date=Q_START
        )
    assert "end_date" in exc.value.details["fields"]
    assert not Cycle.objects.exists()


def test_deadlines_out_of_order_are_refused(company):
    with pytest.raises(ValidationFailed):
        cycle_create(
            actor=company.hr,
            name="x",
            period_type="quarter",
            start_date=Q_START,
            end_date=Q_END,
            deadlines={"self_review": dt.date(2026, 4, 30), "review_360": dt.date(2026, 4, 5)},
        )
    assert not Cycle.objects.exists()


def test_opening_needs_template_scale_and_participants(company):
    bare = cycle_create(
        actor=company.hr, name="bare", period_type="quarter", start_date=Q_START, end_date=Q_END
    )
    with pytest.raises(DomainError) as exc:
        cycle_transition(actor=company.hr, cycle=bare, to_phase=Phase.PLANNING)
    assert exc.value.code == "cycle_incomplete"
    bare.refresh_from_db()
    assert bare.phase == Phase.DRAFT


def test_the_whole_forward_path(company, open_cycle):
    path = [
        Phase.IN_PROGRESS,
        Phase.SELF_REVIEW,
        Phase.REVIEW_360,
        Phase.MANAGER_REVIEW,
        Phase.CALIBRATION,
        Phase.RESULTS,
        Phase.CLOSED,
    ]
    for phase in path:
        cycle_transition(actor=company.hr, cycle=open_cycle, to_phase=phase)
    open_cycle.refresh_from_db()
    assert open_cycle.phase == Phase.CLOSED and open_cycle.closed_at is not None
    events = AuditEvent.objects.for_object(open_cycle).filter(action="update").order_by("id")
    changes = [e.after["phase"] for e in events if "phase" in (e.after or {})]
    assert changes == ["planning", *path]


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Phase.PLANNING, Phase.SELF_REVIEW),
        (Phase.PLANNING, Phase.CLOSED),
        (Phase.PLANNING, Phase.DRAFT),
        (Phase.IN_PROGRESS, Phase.CALIBRATION),
        (Phase.SELF_REVIEW, Phase.IN_PROGRESS),
        (Phase.MANAGER_REVIEW, Phase.RESULTS),
    ],
)
def test_illegal_transitions_are_clear_errors(company, open_cycle, start, target):
    Cycle.objects.filter(pk=open_cycle.pk).update(phase=start)
    open_cycle.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        cycle_transition(actor=company.hr, cycle=open_cycle, to_phase=target)
    assert exc.value.code == "illegal_transition"
    assert exc.value.details["allowed"] == [p.value for p in phases.allowed_next(start)]
    open_cycle.refresh_from_db()
    assert open_cycle.phase == start


def test_every_pair_of_phases_follows_the_table(company, open_cycle):
    for current in Phase:
        for target in Phase:
            assert phases.is_allowed(current, target) == (target in phases.TRANSITIONS[current])
    assert phases.TRANSITIONS[Phase.CLOSED] == frozenset()


def test_closed_is_final(company, open_cycle):
    Cycle.objects.filter(pk=open_cycle.pk).update(phase=Phase.CLOSED)
    open_cycle.refresh_from_db()
    for target in Phase:
        with pytest.raises(DomainError):
            cycle_transition(actor=company.hr, cycle=open_cycle, to_phase=target)
    with pytest.raises(DomainError):
        cycle_update(actor=company.hr, cycle=open_cycle, name="renamed")


def test_going_back_needs_a_reason(company, open_cycle):
    cycle_transition(actor=company.hr, cycle=open_cycle, to_phase=Phase.IN_PROGRESS)
    with pytest.raises(ValidationFailed):
        cycle_transition(actor=company.hr, cycle=open_cycle, to_phase=Phase.PLANNING)
    cycle_transition(
        actor=company.hr, cycle=open_cycle, to_phase=Phase.PLANNING, reason="Targets reworked"
    )
    assert AuditEvent.objects.for_object(open_cycle).filter(reason="Targets reworked").exists()


def test_unknown_phase_is_refused(company, open_cycle):
    with pytest.raises(ValidationFailed):
        cycle_transition(actor=company.hr, cycle=open_cycle, to_phase="party")


def test_stale_transition_is_a_conflict(company, open_cycle):
    stale = open_cycle.version
    cycle_transition(actor=company.hr, cycle=open_cycle, to_phase=Phase.IN_PROGRESS)
    other = Cycle.objects.get(pk=open_cycle.pk)
    other.version = stale
    with pytest.raises(Conflict):
        cycle_transition(
            actor=company.hr, cycle=other, to_phase=Phase.SELF_REVIEW, expected_version=stale
        )


def test_rules_are_fixed_once_open(company, open_cycle):
    other = review_template_create(actor=company.hr, name="Other")
    with pytest.raises(ValidationFailed) as exc:
        cycle_update(actor=company.hr, cycle=open_cycle, template=other)
    assert exc.value.code == "rules_locked"
    with pytest.raises(DomainError):
        from perfcycle.cycles.services import review_template_update

        review_template_update(
            actor=company.hr,
            template=open_cycle.template,
            goals_weight=D(50),
            competencies_weight=D(50),
        )


def test_participants_by_department_family_date_and_list(company, cycle):
    late = EmployeeFactory(
        employee_number="C099",
        manager=company.manager,
        department=company.sales,
        hire_date=dt.date(2026, 3, 1),
        job_family="sales",
    )
    result = cycle_set_participants(
        actor=company.hr, cycle=cycle, department_ids=[company.sales.pk]
    )
    assert result == {"selected": 4, "joined": 4, "left": 0}
    result = cycle_set_participants(
        actor=company.hr,
        cycle=cycle,
        department_ids=[company.sales.pk],
        hired_on_or_before=dt.date(2026, 1, 1),
    )
    assert result["left"] == 1
    assert not CycleParticipant.objects.filter(cycle=cycle, employee=late).exists()
    result = cycle_set_participants(actor=company.hr, cycle=cycle, job_families=["sales"])
    assert set(CycleParticipant.objects.filter(cycle=cycle).values_list("employee", flat=True)) == {
        late.pk
    }
    result = cycle_set_participants(
        actor=company.hr, cycle=cycle, employee_numbers=["C020", "C011"]
    )
    assert set(
        CycleParticipant.objects.filter(cycle=cycle).values_list(
            "employee__employee_number", flat=True
        )
    ) == {"C020", "C011"}
    participant = CycleParticipant.objects.get(cycle=cycle, employee=company.direct)
    assert (participant.manager, participant.department) == (company.manager, company.sales)


def test_unknown_employee_numbers_are_named(company, cycle):
    with pytest.raises(ValidationFailed) as exc:
        cycle_set_participants(actor=company.hr, cycle=cycle, employee_numbers=["C011", "NOPE"])
    assert "NOPE" in exc.value.message
    assert not CycleParticipant.objects.exists()


def test_grade_scale_maps_scores_to_grades(company):
    scale = grade_scale_default()
    assert [scale.grade_for(D(s)).code for s in ("99", "95", "84.99", "70", "59.9", "0")] == [
        "S",
        "S",
        "B",
        "B",
        "D",
        "D",
    ]


@pytest.mark.parametrize(
    "bands",
    [
        [("A", "", D(50))],
        [("A", "", D(50)), ("A", "", D(0))],
        [("A", "", D(50)), ("B", "", D(50)), ("C", "", D(0))],
        [("A", "", D(50)), ("B", "", D(10))],
    ],
)
def test_bad_grade_scales_are_refused(company, bands):
    with pytest.raises(ValidationFailed):
        grade_scale_create(actor=company.hr, name="bad", bands=bands)


def test_template_weights_must_total_100(company):
    with pytest.raises(ValidationFailed):
        review_template_create(
            actor=company.hr, name="t", goals_weight=D(60), competencies_weight=D(30)
        )
    with pytest.raises(ValidationFailed):
        review_template_create(actor=company.hr, name="t", manager_weight=D(70))
    with pytest.raises(ValidationFailed):
        review_template_create(actor=company.hr, name="t", anonymity_min=1)
    template = review_template_create(actor=company.hr, name="t")
    assert sum(template.source_weights.values()) == 100

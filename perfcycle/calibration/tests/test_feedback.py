"""Feeding a released result back: the talk, the employee's comments, acknowledgement and
the window. ``world`` (used by the appeal, page and API tests too) is a cycle in
calibration with stored scores for Dan (Mia's report) and Ivy (Dan's report), results
prepared by HR, released unless a test says otherwise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from django.utils import timezone

from perfcycle.audit.models import AuditEvent
from perfcycle.calibration import feedback
from perfcycle.calibration.models import FeedbackTalk, Result
from perfcycle.calibration.results import results_prepare
from perfcycle.core.errors import Conflict, DomainError, Forbidden
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import grade_scale_default, review_template_create
from perfcycle.evaluation.models import FormStatus, ReviewForm, ScoreResult
from tests.factories import CycleFactory, GoalFactory


@dataclass
class World:
    cycle: Cycle
    direct: Result  # Dan's result: manager Mia, skip-level Top
    indirect: Result  # Ivy's result: manager Dan, skip-level Mia


def release(*results: Result, at: dt.datetime | None = None) -> None:
    """What the release service does to a result (written in parallel elsewhere)."""
    when = at or timezone.now()
    for result in results:
        Result.objects.filter(pk=result.pk).update(released_at=when)
        result.refresh_from_db()


def talk_args(**overrides):
    return {
        "held_on": timezone.localdate(),
        "strengths": "Closed the two biggest deals.",
        "improvements": "Share pipeline updates earlier.",
        "next_steps": "Weekly pipeline review.",
        **overrides,
    }


def build_world(company, *, released: bool = True) -> World:
    template = review_template_create(
        actor=company.hr,
        name="Feedback",
        goals_weight=100,
        competencies_weight=0,
        self_weight=0,
        manager_weight=100,
        peer_weight=0,
        report_weight=0,
    )
    cycle = CycleFactory(
        name="2026 Q1", phase=Phase.CALIBRATION, participants=[company.direct, company.indirect]
    )
    Cycle.objects.filter(pk=cycle.pk).update(
        template=template, grade_scale=grade_scale_default(actor=company.hr)
    )
    cycle.refresh_from_db()
    goal = GoalFactory(cycle=cycle, employee=company.direct, weight=100, target=100)
    type(goal).objects.filter(pk=goal.pk).update(current_value=D(85))
    now = timezone.now()
    for employee, score, grade in ((company.direct, "85.00", "B"), (company.indirect, "72", "C")):
        ScoreResult.objects.create(
            cycle=cycle, employee=employee, overall_score=D(score), grade=grade, computed_at=now
        )
    ReviewForm.objects.create(
        cycle=cycle,
        reviewee=company.direct,
        reviewer=company.manager,
        source="manager",
        status=FormStatus.SUBMITTED,
        submitted_at=now,
        summary="A strong quarter in sales.",
    )
    results_prepare(actor=company.hr, cycle=cycle)
    world = World(
        cycle,
        Result.objects.get(cycle=cycle, employee=company.direct),
        Result.objects.get(cycle=cycle, employee=company.indirect),
    )
    if released:
        release(world.direct, world.indirect)
    return world


@pytest.fixture
def world(company) -> World:
    return build_world(company)


@pytest.fixture
def unreleased(company) -> World:
    return build_world(company, released=False)


# --- Talk --------------------------------------------------------------------------------


def test_the_manager_records_the_talk_after_release_audited(company, world):
    talk = feedback.talk_record(actor=company.user("manager"), result=world.direct, **talk_args())
    assert talk.manager == company.manager and talk.version == 1
    assert AuditEvent.objects.filter(object_type__icontains="feedbacktalk").exists()


def test_no_talk_before_release(company, unreleased):
    with pytest.raises(DomainError) as exc:
        feedback.talk_record(actor=company.user("manager"), result=unreleased.direct, **talk_args())
    assert exc.value.code == "not_released"


def test_only_managers_and_hr_record_the_talk(company, world):
    for name in ("direct", "stranger"):
        with pytest.raises(Forbidden):
            feedback.talk_record(actor=company.user(name), result=world.direct, **talk_args())
    talk = feedback.talk_record(actor=company.hr, result=world.direct, **talk_args())
    assert talk.manager == company.hr_person


def test_a_talk_cannot_be_recorded_for_the_future(company, world):
    with pytest.raises(DomainError) as exc:
        feedback.talk_record(
            actor=company.user("manager"),
            result=world.direct,
            **talk_args(held_on=timezone.localdate() + dt.timedelta(days=3)),
        )
    assert "held_on" in exc.value.details["fields"]


def test_edit_and_comment_are_versioned(company, world):
    manager, direct = company.user("manager"), company.user("direct")
    talk = feedback.talk_record(actor=manager, result=world.direct, **talk_args())
    feedback.talk_record(
        actor=manager, result=world.direct, expected_version=1, **talk_args(next_steps="Coach.")
    )
    with pytest.raises(Conflict):
        feedback.talk_record(actor=manager, result=world.direct, expected_version=1, **talk_args())
    talk = feedback.talk_comment(
        actor=direct, result=world.direct, comments="Fair and clear.", expected_version=2
    )
    assert talk.employee_comments == "Fair and clear." and talk.version == 3
    with pytest.raises(Conflict):
        feedback.talk_comment(actor=direct, result=world.direct, comments="x", expected_version=2)
    with pytest.raises(Forbidden):
        feedback.talk_comment(actor=manager, result=world.direct, comments="x", expected_version=3)
    assert FeedbackTalk.objects.get().next_steps == "Coach."


def test_comment_needs_a_recorded_talk(company, world):
    with pytest.raises(DomainError) as exc:
        feedback.talk_comment(
            actor=company.user("direct"), result=world.direct, comments="x", expected_version=1
        )
    assert exc.value.code == "no_talk"


# --- Acknowledgement and the window -------------------------------------------------------


def test_acknowledge_once_audited(company, world):
    direct = company.user("direct")
    assert feedback.result_state(world.direct) == feedback.WAITING
    feedback.result_acknowledge(actor=direct, result=world.direct)
    world.direct.refresh_from_db()
    assert world.direct.acknowledged_at is not None
    assert feedback.result_state(world.direct) == feedback.ACKNOWLEDGED
    assert AuditEvent.objects.filter(
        object_type__icontains="result", object_id=str(world.direct.pk)
    ).exists()
    with pytest.raises(DomainError) as exc:
        feedback.result_acknowledge(actor=direct, result=world.direct)
    assert exc.value.code == "already_acknowledged"


def test_only_the_employee_acknowledges_and_only_after_release(company, unreleased):
    with pytest.raises(Forbidden):
        feedback.result_acknowledge(actor=company.user("manager"), result=unreleased.direct)
    with pytest.raises(DomainError) as exc:
        feedback.result_acknowledge(actor=company.user("direct"), result=unreleased.direct)
    assert exc.value.code == "not_released"


def test_after_the_window_the_result_counts_as_accepted(company, world):
    release(world.direct, at=timezone.now() - dt.timedelta(days=30))
    assert not feedback.window_open(world.direct)
    assert feedback.result_state(world.direct) == feedback.ACCEPTED


def test_the_window_is_counted_in_working_days(company, world):
    friday = timezone.make_aware(dt.datetime(2026, 4, 3, 10))
    release(world.direct, at=friday)
    # Default 7 working days after Friday 3 April: Monday 6 … Tuesday 14 April.
    assert feedback.window_closes_on(world.direct) == dt.date(2026, 4, 14)
    assert feedback.window_open(world.direct, today=dt.date(2026, 4, 14))
    assert not feedback.window_open(world.direct, today=dt.date(2026, 4, 15))


def test_visible_results(company, world):
    mine = set(feedback.visible_results(company.user("direct")))
    # Dan sees his own (released) and Ivy's (his report).
    assert mine == {world.direct, world.indirect}
    assert set(feedback.visible_results(company.user("indirect"))) == {world.indirect}
    assert set(feedback.visible_results(company.user("stranger"))) == set()
    Result.objects.filter(pk=world.indirect.pk).update(released_at=None)
    assert set(feedback.visible_results(company.user("indirect"))) == set()
    assert set(feedback.visible_results(company.user("manager"))) == {world.direct, world.indirect}
    assert feedback.visible_results(company.hr).count() == 2

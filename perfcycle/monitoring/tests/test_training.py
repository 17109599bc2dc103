"""Training: the catalogue, suggestions from a competency gap, status to completion."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from perfcycle.core.errors import DomainError, ValidationFailed
from perfcycle.monitoring import observations, training
from perfcycle.monitoring.coaching import (
    observations_for_review,
    suggested_courses,
    visible_training,
)
from perfcycle.monitoring.models import ObservationKind, TrainingStatus


@pytest.fixture
def catalogue(company):
    comm = observations.competency_create(actor=company.hr, code="COMM", name="Communication")
    other = observations.competency_create(actor=company.hr, code="EXCEL", name="Spreadsheets")
    talk = training.course_create(
        actor=company.hr, code="C1", title="Talking to customers", competencies=[comm], hours=4
    )
    listen = training.course_create(
        actor=company.hr, code="C2", title="Active listening", competencies=[comm]
    )
    training.course_create(actor=company.hr, code="C3", title="Pivot tables", competencies=[other])
    old = training.course_create(
        actor=company.hr, code="C4", title="Old", competencies=[comm], is_active=False
    )
    return {"comm": comm, "talk": talk, "listen": listen, "old": old}


def gap(company, competency, kind=ObservationKind.IMPROVEMENT):
    return observations.observation_create(
        actor=company.user("manager"),
        employee=company.direct,
        occurred_on=timezone.localdate() - dt.timedelta(days=2),
        kind=kind,
        text="Lost a deal: did not listen to the customer",
        competency=competency,
        visibility="shared",
    )


def test_a_gap_suggests_offered_courses_of_that_competency(company, cycle, catalogue):
    observation = gap(company, catalogue["comm"])
    assert suggested_courses(observation) == [catalogue["listen"], catalogue["talk"]]
    assert suggested_courses(gap(company, catalogue["comm"], ObservationKind.POSITIVE)) == []
    training.training_recommend(
        actor=company.user("manager"),
        employee=company.direct,
        course=catalogue["talk"],
        observation=observation,
    )
    assert suggested_courses(observation) == [catalogue["listen"]]


def test_recommend_rules(company, cycle, catalogue):
    manager = company.user("manager")
    observation = gap(company, catalogue["comm"])
    with pytest.raises(ValidationFailed):
        training.training_recommend(
            actor=manager,
            employee=company.indirect,
            course=catalogue["talk"],
            observation=observation,
        )
    with pytest.raises(ValidationFailed):
        training.training_recommend(actor=manager, employee=company.direct, course=catalogue["old"])
    training.training_recommend(actor=manager, employee=company.direct, course=catalogue["talk"])
    with pytest.raises(DomainError):
        training.training_recommend(
            actor=manager, employee=company.direct, course=catalogue["talk"]
        )


def test_status_moves_forward_to_completion(company, catalogue):
    assignment = training.training_recommend(
        actor=company.user("manager"), employee=company.direct, course=catalogue["talk"]
    )
    direct = company.user("direct")
    training.training_set_status(
        actor=direct, assignment=assignment, status=TrainingStatus.IN_PROGRESS
    )
    assert assignment.started_on == timezone.localdate()
    with pytest.raises(DomainError):
        training.training_set_status(
            actor=direct, assignment=assignment, status=TrainingStatus.ASSIGNED
        )
    training.training_set_status(
        actor=direct, assignment=assignment, status=TrainingStatus.COMPLETED
    )
    assert assignment.completed_on == timezone.localdate()
    # Completed: it may be recommended again.
    training.training_recommend(
        actor=company.user("manager"), employee=company.direct, course=catalogue["talk"]
    )


def test_who_sees_training(company, catalogue):
    assignment = training.training_recommend(
        actor=company.user("manager"), employee=company.direct, course=catalogue["talk"]
    )
    for name in ("direct", "manager", "top", "hr_person"):
        assert assignment in visible_training(company.user(name)), name
    for name in ("stranger", "indirect"):
        assert assignment not in visible_training(company.user(name)), name


def test_done_when_observation_reaches_evaluation_and_course_is_completed(
    company, cycle, catalogue
):
    """A manager logs an observation that later appears in the evaluation data,
    recommends a course from it and sees it completed."""
    manager = company.user("manager")
    observation = gap(company, catalogue["comm"])
    rows = observations_for_review(cycle=cycle, employee=company.direct, viewer=manager)
    assert [r.pk for r in rows] == [observation.pk]
    course = suggested_courses(observation)[0]
    assignment = training.training_recommend(
        actor=manager, employee=company.direct, course=course, observation=observation
    )
    training.training_set_status(
        actor=company.user("direct"), assignment=assignment, status=TrainingStatus.COMPLETED
    )
    seen = visible_training(manager).get(pk=assignment.pk)
    assert seen.status == TrainingStatus.COMPLETED
    assert seen.completed_on == timezone.localdate()
    assert seen.observation == observation

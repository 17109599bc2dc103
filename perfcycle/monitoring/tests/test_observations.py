"""The observation log: who records, who reads, the cycle it lands in, and the
evaluation stage's view of it (``observations_for_review``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from perfcycle.core.errors import ValidationFailed
from perfcycle.monitoring import observations
from perfcycle.monitoring.coaching import observations_for_review, visible_observations
from perfcycle.monitoring.models import ObservationKind, ObservationVisibility
from tests.factories import GoalFactory


@pytest.fixture
def competency(company):
    return observations.competency_create(
        actor=company.hr, code="COMM", name="Customer communication"
    )


def log(company, visibility, **values):
    values.setdefault("occurred_on", timezone.localdate() - dt.timedelta(days=3))
    values.setdefault("kind", ObservationKind.POSITIVE)
    values.setdefault("text", f"A {visibility} incident")
    return observations.observation_create(
        actor=company.user("manager"), employee=company.direct, visibility=visibility, **values
    )


def test_observation_lands_in_the_cycle_of_its_date_or_goal(company, cycle, goal):
    plain = log(company, ObservationVisibility.PRIVATE)
    assert plain.cycle == cycle
    tagged = log(company, ObservationVisibility.SHARED, goal=goal)
    assert tagged.cycle == goal.cycle
    long_ago = log(company, ObservationVisibility.SHARED, occurred_on=dt.date(2001, 1, 1))
    assert long_ago.cycle is None


def test_bad_observations_are_refused(company, cycle, competency):
    with pytest.raises(ValidationFailed):
        log(company, "private", occurred_on=timezone.localdate() + dt.timedelta(days=1))
    other = GoalFactory(cycle=cycle, employee=company.stranger)
    with pytest.raises(ValidationFailed):
        log(company, "private", goal=other)
    with pytest.raises(ValidationFailed):
        log(company, "private", kind="neutral")
    with pytest.raises(ValidationFailed):
        log(company, "everyone")
    with pytest.raises(ValidationFailed):
        log(company, "private", text="  ")


def test_private_observations_never_reach_the_employee(company, cycle):
    private = log(company, ObservationVisibility.PRIVATE)
    shared = log(company, ObservationVisibility.SHARED)
    assert set(visible_observations(company.user("direct"))) == {shared}
    for name in ("manager", "top", "hr_person"):
        assert set(visible_observations(company.user(name))) == {private, shared}, name
    for name in ("stranger", "indirect"):
        assert not visible_observations(company.user(name)).exists(), name


def test_sharing_later(company, cycle):
    private = log(company, ObservationVisibility.PRIVATE)
    observations.observation_update(
        actor=company.user("manager"), observation=private, visibility=ObservationVisibility.SHARED
    )
    assert list(visible_observations(company.user("direct"))) == [private]


def test_observations_for_review_respects_visibility_in_one_query(
    company, cycle, competency, django_assert_num_queries
):
    private = log(company, ObservationVisibility.PRIVATE, competency=competency)
    shared = log(company, ObservationVisibility.SHARED)
    log(company, ObservationVisibility.SHARED, occurred_on=dt.date(2001, 1, 1))  # other cycle
    manager = company.user("manager")
    manager.employee  # noqa: B018 - loaded once per request anyway
    with django_assert_num_queries(1):
        rows = observations_for_review(cycle=cycle, employee=company.direct, viewer=manager)
        assert [r.competency for r in rows if r.pk == private.pk] == [competency]
    assert {r.pk for r in rows} == {private.pk, shared.pk}
    direct = company.user("direct")
    assert [
        r.pk for r in observations_for_review(cycle=cycle, employee=company.direct, viewer=direct)
    ] == [shared.pk]
    assert (
        observations_for_review(
            cycle=cycle, employee=company.direct, viewer=company.user("stranger")
        )
        == []
    )


def test_competencies_are_unique_and_versioned(company, competency):
    with pytest.raises(ValidationFailed):
        observations.competency_create(actor=company.hr, code="COMM", name="Again")
    observations.competency_update(
        actor=company.hr, competency=competency, expected_version=1, description="Listening"
    )
    competency.refresh_from_db()
    assert competency.version == 2 and competency.description == "Listening"


def test_colleagues_log_observations_only_where_allowed(company, settings):
    import datetime as dt

    from perfcycle.access.policy import Action, may
    from perfcycle.monitoring.coaching import visible_observations
    from perfcycle.monitoring.observations import observation_create

    colleague = company.user("stranger")
    assert not may(colleague, Action.OBSERVATION_CREATE, company.direct)
    settings.PERFCYCLE_COLLEAGUE_OBSERVATIONS = True
    assert may(colleague, Action.OBSERVATION_CREATE, company.direct)
    assert not may(colleague, Action.OBSERVATION_CREATE, company.stranger)  # not about oneself
    assert not may(colleague, Action.OBSERVATION_MANAGE, company.direct)
    observation = observation_create(
        actor=colleague,
        employee=company.direct,
        occurred_on=dt.date(2026, 1, 5),
        kind="positive",
        text="Helped me close a difficult customer call.",
        visibility="shared",
    )
    # A colleague's observation goes to the managers only, whatever was asked.
    assert observation.visibility == "private"
    assert observation in visible_observations(company.user("manager"))
    assert observation not in visible_observations(company.user("direct"))

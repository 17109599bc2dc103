"""The retrospective: opening rules, answering once inside the window about one's own
goals, and the aggregates that show nothing below the anonymity minimum (pages and API)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.cycles.models import Phase
from perfcycle.notifications.models import Notification
from perfcycle.planning.models import Goal
from perfcycle.retrospective import services
from perfcycle.retrospective.models import GoalVerdict, RetroResponse, RetroSettings
from perfcycle.retrospective.tests.conftest import answer, make_reps
from tests.factories import CycleFactory

TODAY = timezone.localdate


def _goal(quarter, employee) -> Goal:
    return Goal.objects.filter(cycle=quarter.cycle, employee=employee).first()


# --- Opening ----------------------------------------------------------------------------


def test_opening_needs_hr_and_the_results_or_closed_phase(
    company, quarter, django_capture_on_commit_callbacks
):
    later = TODAY() + dt.timedelta(days=7)
    with pytest.raises(Forbidden):
        services.retro_open(actor=company.user("manager"), cycle=quarter.cycle, closes_on=later)
    running = CycleFactory(name="Running", phase=Phase.IN_PROGRESS)
    with pytest.raises(DomainError) as exc:
        services.retro_open(actor=company.hr, cycle=running, closes_on=later)
    assert exc.value.code == "wrong_phase" and "results or closed" in exc.value.message
    with pytest.raises(ValidationFailed):
        services.retro_open(
            actor=company.hr, cycle=quarter.cycle, closes_on=TODAY() - dt.timedelta(days=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        settings = services.retro_open(actor=company.hr, cycle=quarter.cycle, closes_on=later)
    assert settings.anonymity_minimum == 3 and settings.opened_by == company.hr
    assert AuditEvent.objects.filter(object_type="retrospective.retrosettings").count() == 1
    told = Notification.objects.filter(kind="retrospective")
    # Every participant with a login: manager, direct, indirect, stranger and six reps.
    assert told.count() == 10
    assert "2026 Q1" in told.first().title
    assert told.first().url == f"/improve/loop/cycles/{quarter.cycle.pk}/answer/"
    with pytest.raises(DomainError) as exc:
        services.retro_open(actor=company.hr, cycle=quarter.cycle, closes_on=later)
    assert exc.value.code == "already_open"


def test_the_home_page_opens_one(company, quarter, as_user):
    hr = as_user(company.hr)
    page = hr.get("/improve/loop/").content.decode()
    assert "Open the retrospective" in page and "2026 Q1" in page
    response = hr.post(
        f"/improve/loop/cycles/{quarter.cycle.pk}/open/",
        {"closes_on": (TODAY() + dt.timedelta(days=3)).isoformat(), "anonymity_minimum": 4},
        follow=True,
    )
    assert "is open" in response.content.decode()
    assert RetroSettings.objects.get(cycle=quarter.cycle).anonymity_minimum == 4
    # An employee may not open one.
    assert (
        as_user(company.user("direct"))
        .post(f"/improve/loop/cycles/{quarter.cycle.pk}/open/", {})
        .status_code
        == 403
    )


# --- Answering --------------------------------------------------------------------------


def test_answer_once_with_verdicts_on_own_goals(company, opened):
    rep = opened.reps[0]
    goal = _goal(opened, rep)
    response = answer(rep, opened.cycle, rating=4, comment="Clear", **{f"g{goal.pk}": "too_high"})
    assert (response.clarity, response.comment) == (4, "Clear")
    assert GoalVerdict.objects.get(response=response).verdict == "too_high"
    # The audit trail says an answer was given, never what it said.
    event = AuditEvent.objects.get(object_type="retrospective.retroresponse")
    assert "Clear" not in str(event.after) and event.after["submitted"] is True
    with pytest.raises(Conflict) as exc:
        answer(rep, opened.cycle)
    assert exc.value.code == "already_answered"


def test_a_verdict_on_someone_elses_goal_writes_nothing(company, opened):
    rep, other = opened.reps[0], opened.reps[1]
    mine, theirs = _goal(opened, rep), _goal(opened, other)
    with pytest.raises(ValidationFailed) as exc:
        answer(rep, opened.cycle, **{f"g{mine.pk}": "too_high", f"g{theirs.pk}": "too_low"})
    assert exc.value.code == "foreign_goal"
    assert not RetroResponse.objects.exists() and not GoalVerdict.objects.exists()
    with pytest.raises(ValidationFailed):
        answer(rep, opened.cycle, rating=6)
    with pytest.raises(ValidationFailed):
        answer(rep, opened.cycle, **{f"g{mine.pk}": "impossible"})
    assert not RetroResponse.objects.exists()


def test_answers_only_inside_the_window(company, quarter, opened):
    rep = quarter.reps[0]
    other = CycleFactory(name="Unopened", phase=Phase.RESULTS, participants=[rep])
    with pytest.raises(DomainError) as exc:
        answer(rep, other)
    assert exc.value.code == "not_open"
    RetroSettings.objects.filter(cycle=quarter.cycle).update(
        closes_on=TODAY() - dt.timedelta(days=1)
    )
    with pytest.raises(DomainError) as exc:
        answer(rep, quarter.cycle)
    assert exc.value.code == "closed"
    with pytest.raises(Forbidden):  # HR took no part in the cycle
        answer(company.hr_person, quarter.cycle)
    assert not RetroResponse.objects.exists()


def test_answer_page_and_api(company, opened, as_user):
    rep = opened.reps[0]
    goal = _goal(opened, rep)
    client = as_user(rep.user)
    url = f"/improve/loop/cycles/{opened.cycle.pk}/answer/"
    page = client.get(url).content.decode()
    assert "New customers" in page and "too high (too hard)" in page
    bad = client.post(url, {"clarity": "4", "fairness": "9"})
    assert bad.status_code == 200 and not RetroResponse.objects.exists()
    done = client.post(
        url,
        {
            "clarity": "4",
            "fairness": "2",
            "coaching": "5",
            "comment": "More coaching <please>",
            f"verdict_{goal.pk}": "too_high",
        },
        follow=True,
    )
    text = done.content.decode()
    assert "Thank you" in text and "More coaching &lt;please&gt;" in text
    assert "too high (too hard)" in text
    # The API answers 409 for a second answer, and the state says "answered".
    api = f"/api/v1/cycles/{opened.cycle.pk}/retrospective"
    again = client.post(
        f"{api}/answers",
        {"clarity": 3, "fairness": 3, "coaching": 3},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_answered"
    assert client.get(api).json()["answered"] is True
    other = as_user(opened.reps[1].user)
    foreign = other.post(
        f"{api}/answers",
        {"clarity": 3, "fairness": 3, "coaching": 3, "verdicts": {str(goal.pk): "too_low"}},
        content_type="application/json",
    )
    assert foreign.status_code == 422 and RetroResponse.objects.count() == 1
    ok = other.post(
        f"{api}/answers",
        {"clarity": 3, "fairness": 3, "coaching": 3, "verdicts": {}},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["clarity"] == 3
    # Someone not in the cycle has no answer form.
    assert as_user(company.hr).get(url).status_code == 404


# --- Aggregates -------------------------------------------------------------------------


def _results(client, cycle) -> tuple[str, dict]:
    page = client.get(f"/improve/loop/cycles/{cycle.pk}/results/")
    api = client.get(f"/api/v1/cycles/{cycle.pk}/retrospective/results")
    assert page.status_code == 200 and api.status_code == 200
    return page.content.decode(), api.json()


def test_nothing_shows_below_the_minimum(company, opened, as_user):
    for i, rep in enumerate(opened.reps[:2]):
        answer(rep, opened.cycle, rating=1 + i, comment=f"secret remark {i}")
    hr = as_user(company.hr)
    page, body = _results(hr, opened.cycle)
    assert "secret remark" not in page and "Too few answers to show" in page
    assert "secret remark" not in str(body)
    for group in body["groups"]:
        assert not group["shown"]
        assert group["responses"] is None and group["means"] is None and group["comments"] is None
    manager_page, manager_body = _results(as_user(company.user("manager")), opened.cycle)
    assert "secret remark" not in manager_page + str(manager_body)
    assert [g["shown"] for g in manager_body["groups"]] == [False]


def test_groups_show_from_the_minimum(company, opened, as_user):
    goals = {rep.pk: _goal(opened, rep) for rep in opened.reps}
    verdicts = ("too_high", "too_high", "about_right")
    for i, rep in enumerate(opened.reps[:3]):
        answer(
            rep,
            opened.cycle,
            rating=2 + i,
            comment=f"remark {'cba'[i]}",
            **{f"g{goals[rep.pk].pk}": verdicts[i]},
        )
    answer(company.stranger, opened.cycle, rating=5, comment="lonely stranger")
    page, body = _results(as_user(company.hr), opened.cycle)
    company_group, *departments = body["groups"]
    assert company_group["responses"] == 4
    assert company_group["means"]["clarity"] == "3.50"  # (2 + 3 + 4 + 5) ÷ 4
    assert company_group["comments"] == ["lonely stranger", "remark a", "remark b", "remark c"]
    assert company_group["verdicts"] == [
        {"indicator": "New customers", "counts": {"too_low": 0, "about_right": 1, "too_high": 2}}
    ]
    by_label = {g["label"]: g for g in departments}
    assert by_label["Sales"]["shown"] and by_label["Sales"]["responses"] == 3
    # The stranger is alone in Other: the department shows nothing.
    assert not by_label["Other"]["shown"] and by_label["Other"]["comments"] is None
    assert page.count("lonely stranger") == 1  # in the company group only
    # The manager sees their reporting line only: the three reps, not the stranger.
    m_page, m_body = _results(as_user(company.user("manager")), opened.cycle)
    (line,) = m_body["groups"]
    assert line["responses"] == 3 and "lonely stranger" not in m_page + str(m_body)


def test_employees_may_not_read_results(company, opened, as_user):
    client = as_user(opened.reps[0].user)
    assert client.get(f"/improve/loop/cycles/{opened.cycle.pk}/results/").status_code == 403
    api = client.get(f"/api/v1/cycles/{opened.cycle.pk}/retrospective/results")
    assert api.status_code == 403


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_results_take_constant_queries(company, opened, as_user):
    hr = as_user(company.hr)
    url = f"/improve/loop/cycles/{opened.cycle.pk}/results/"
    api = f"/api/v1/cycles/{opened.cycle.pk}/retrospective/results"
    for rep in opened.reps[:3]:
        answer(rep, opened.cycle, comment="x")
    few = (_count(hr, url), _count(hr, api))
    more = make_reps(company, 5, start=20)
    from perfcycle.cycles.models import CycleParticipant

    CycleParticipant.objects.bulk_create(
        [CycleParticipant(cycle=opened.cycle, employee=e, department=e.department) for e in more]
    )
    for rep in [*opened.reps[3:], *more]:
        answer(rep, opened.cycle, comment="y")
    answer(company.stranger, opened.cycle)
    assert (_count(hr, url), _count(hr, api)) == few

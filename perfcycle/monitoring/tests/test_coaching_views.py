"""Coaching pages: private notes and private observations never reach the employee,
feedback visibility on pages, the observation → course → completed flow, and constant
query counts for the check-in list and the feedback wall."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perfcycle.monitoring import checkins, observations, training
from perfcycle.monitoring.coaching import observations_for_review
from perfcycle.monitoring.models import (
    ActionItem,
    CheckIn,
    CheckInStatus,
    Feedback,
    Observation,
    TrainingAssignment,
    TrainingStatus,
)
from perfcycle.monitoring.tests.conftest import soon
from perfcycle.org.models import Employee
from tests.factories import EmployeeFactory

SLACK = 2
# The most queries each page may issue (session, user, employee and the page's own).
BUDGET = {"/monitor/checkins/": 8, "/monitor/feedback/": 9}


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


@pytest.fixture
def checkin(company):
    checkin = checkins.checkin_schedule(
        actor=company.user("manager"), employee=company.direct, scheduled_for=soon()
    )
    checkins.checkin_update_notes(
        actor=company.user("manager"),
        checkin=checkin,
        shared_notes="We agreed on the pipeline",
        private_notes="Considering a promotion",
    )
    return checkin


def test_private_notes_never_reach_the_employee_pages(company, as_user, checkin):
    url = f"/monitor/checkins/{checkin.pk}/"
    mine = page(as_user(company.user("direct")), url)
    assert "We agreed on the pipeline" in mine
    assert "Considering a promotion" not in mine
    assert 'name="private_notes"' not in mine
    assert "Considering a promotion" in page(as_user(company.user("manager")), url)
    assert "Considering a promotion" in page(as_user(company.hr), url)
    page(as_user(company.user("stranger")), url, 404)
    # Posting private notes as the employee changes nothing.
    as_user(company.user("direct")).post(
        f"{url}notes/",
        {"version": checkin.version + 1, "shared_notes": "x", "private_notes": "mine now"},
    )
    checkin.refresh_from_db()
    assert checkin.private_notes == "Considering a promotion"


def test_check_in_flow_on_pages(company, as_user, goal):
    direct = as_user(company.user("direct"))
    manager = as_user(company.user("manager"))
    response = direct.post("/monitor/checkins/request/", {"topic": "My career"})
    checkin = CheckIn.objects.get()
    assert response.status_code == 302 and checkin.status == CheckInStatus.REQUESTED
    url = f"/monitor/checkins/{checkin.pk}/"
    manager.post(f"{url}confirm/", {"scheduled_for": "2030-01-02T10:00"})
    checkin.refresh_from_db()
    assert checkin.status == CheckInStatus.SCHEDULED
    direct.post(f"{url}agenda/", {"text": "Budget"})
    direct.post(f"{url}goals/{goal.pk}/", {"comment": "Half way", "confidence": "6"})
    manager.post(f"{url}action-items/", {"text": "Send the deck", "owner": company.direct.pk})
    assert checkin.goal_notes.get().confidence == 6
    item = ActionItem.objects.get()
    direct.post(f"{url}held/")  # not the employee's step
    checkin.refresh_from_db()
    assert checkin.status == CheckInStatus.SCHEDULED
    manager.post(f"{url}held/")
    checkin.refresh_from_db()
    assert checkin.status == CheckInStatus.DONE
    # The next check-in shows the open item as carried over; once done it is gone.
    manager.post(
        "/monitor/checkins/new/",
        {"employee": company.direct.pk, "scheduled_for": "2030-01-09T10:00", "agenda": "Follow-up"},
    )
    second = CheckIn.objects.exclude(pk=checkin.pk).get()
    assert "Send the deck" in page(direct, f"/monitor/checkins/{second.pk}/")
    direct.post(f"/monitor/checkins/action-items/{item.pk}/done/", {"done": "1"})
    item.refresh_from_db()
    assert item.done_at is not None
    assert "Send the deck" not in page(direct, f"/monitor/checkins/{second.pk}/")
    listed = page(direct, "/monitor/checkins/?show=all")
    assert listed.count("/monitor/checkins/") >= 2


def test_private_observations_never_reach_the_employee_pages(company, as_user, cycle):
    day = timezone.localdate()
    manager = as_user(company.user("manager"))
    manager.post(
        "/monitor/observations/new/",
        {
            "employee": company.direct.pk,
            "occurred_on": day.isoformat(),
            "kind": "improvement",
            "text": "Secret gap in follow-up",
            "visibility": "private",
        },
    )
    manager.post(
        "/monitor/observations/new/",
        {
            "employee": company.direct.pk,
            "occurred_on": day.isoformat(),
            "kind": "positive",
            "text": "Shared great demo",
            "visibility": "shared",
        },
    )
    private = Observation.objects.get(visibility="private")
    direct = as_user(company.user("direct"))
    listed = page(direct, "/monitor/observations/")
    assert "Shared great demo" in listed and "Secret gap" not in listed
    page(direct, f"/monitor/observations/{private.pk}/", 404)
    assert "Secret gap" in page(manager, "/monitor/observations/")
    page(as_user(company.user("stranger")), f"/monitor/observations/{private.pk}/", 404)
    # The employee cannot log observations about themselves.
    response = direct.post(
        "/monitor/observations/new/",
        {
            "employee": company.direct.pk,
            "occurred_on": day.isoformat(),
            "kind": "positive",
            "text": "I am great",
            "visibility": "shared",
        },
    )
    assert response.status_code == 200  # not a choice: the form refuses it
    assert Observation.objects.count() == 2


def test_feedback_visibility_on_pages(company, as_user):
    stranger = as_user(company.user("stranger"))
    for visibility in ("private", "manager", "public"):
        stranger.post(
            "/monitor/feedback/",
            {
                "receiver": company.direct.pk,
                "kind": "praise",
                "text": f"{visibility} kudos",
                "visibility": visibility,
            },
        )
    assert Feedback.objects.count() == 3
    url = f"/monitor/feedback/people/{company.direct.pk}/"
    mine = page(as_user(company.user("direct")), url)
    assert all(f"{v} kudos" in mine for v in ("private", "manager", "public"))
    boss = page(as_user(company.user("manager")), url)
    assert "manager kudos" in boss and "public kudos" in boss and "private kudos" not in boss
    other = page(as_user(company.user("indirect")), url)
    assert "public kudos" in other and "manager kudos" not in other
    wall = page(as_user(company.user("indirect")), "/monitor/feedback/")
    assert "public kudos" in wall and "manager kudos" not in wall


def test_done_when_observation_to_evaluation_to_completed_course(company, as_user, cycle):
    """A manager logs an observation that later appears in the evaluation data,
    recommends a course with one click and sees it completed."""
    comm = observations.competency_create(actor=company.hr, code="COMM", name="Communication")
    course = training.course_create(
        actor=company.hr, code="C1", title="Talking to customers", competencies=[comm]
    )
    manager = as_user(company.user("manager"))
    manager.post(
        "/monitor/observations/new/",
        {
            "employee": company.direct.pk,
            "occurred_on": timezone.localdate().isoformat(),
            "kind": "improvement",
            "text": "Talked over the customer",
            "competency": comm.pk,
            "visibility": "shared",
        },
    )
    observation = Observation.objects.get()
    rows = observations_for_review(
        cycle=cycle, employee=company.direct, viewer=company.user("manager")
    )
    assert [r.pk for r in rows] == [observation.pk]
    detail = page(manager, f"/monitor/observations/{observation.pk}/")
    assert "Talking to customers" in detail  # suggested, with its recommend button
    manager.post(
        "/monitor/training/recommend/",
        {
            "employee": company.direct.pk,
            "course": course.pk,
            "observation": observation.pk,
            "next": f"/monitor/observations/{observation.pk}/",
        },
    )
    assignment = TrainingAssignment.objects.get()
    assert assignment.observation == observation
    direct = as_user(company.user("direct"))
    assert "Talking to customers" in page(direct, "/monitor/training/")
    direct.post(
        f"/monitor/training/{assignment.pk}/status/",
        {"status": "completed", "version": assignment.version},
    )
    assignment.refresh_from_db()
    assert assignment.status == TrainingStatus.COMPLETED
    assert assignment.completed_on == timezone.localdate()
    seen = page(manager, f"/monitor/observations/{observation.pk}/")
    assert "completed" in seen
    page(as_user(company.user("stranger")), "/monitor/training/")
    assert "Talking to customers" not in page(
        as_user(company.user("stranger")), "/monitor/training/"
    )


def test_catalogue_and_competencies_are_hrs(company, as_user):
    hr = as_user(company.hr)
    hr.post("/monitor/observations/competencies/", {"code": "COMM", "name": "Communication"})
    hr.post(
        "/monitor/training/courses/new/", {"code": "C1", "title": "Listening", "is_active": "on"}
    )
    assert "Listening" in page(as_user(company.user("direct")), "/monitor/training/courses/")
    assert "Communication" in page(hr, "/monitor/observations/competencies/")
    manager = as_user(company.user("manager"))
    assert (
        manager.post("/monitor/training/courses/new/", {"code": "C2", "title": "x"}).status_code
        == 403
    )
    page(manager, "/monitor/training/courses/new/", 403)


def test_all_pages_render(company, as_user, checkin, cycle):
    for name in ("manager", "direct", "stranger"):
        client = as_user(company.user(name))
        for url in (
            "/monitor/checkins/",
            "/monitor/checkins/?show=past",
            "/monitor/observations/",
            "/monitor/feedback/",
            f"/monitor/feedback/people/{company.direct.pk}/",
            "/monitor/training/",
            "/monitor/training/courses/",
            "/monitor/observations/competencies/",
        ):
            page(client, url)
    page(as_user(company.user("manager")), "/monitor/checkins/new/")
    page(as_user(company.user("manager")), "/monitor/observations/new/")
    page(as_user(company.user("direct")), "/monitor/checkins/request/")


# Query counts ----------------------------------------------------------------------------


def grow(company, total: int) -> list[Employee]:
    """The manager gets ``total`` reports, each with a check-in and public praise."""
    have = list(Employee.objects.filter(manager=company.manager).exclude(pk=company.direct.pk))
    new = EmployeeFactory.build_batch(
        total - len(have), manager=company.manager, department=company.sales
    )
    people = have + Employee.objects.bulk_create(new)
    for person in people[len(have) :]:
        Employee.objects.filter(pk=person.pk).update(path=f"{company.manager.path}{person.pk}/")
    user = company.user("manager")
    when = timezone.now() + dt.timedelta(days=1)
    CheckIn.objects.bulk_create(
        CheckIn(employee=p, manager=company.manager, scheduled_for=when, requested_by=user)
        for p in people[len(have) :]
    )
    Feedback.objects.bulk_create(
        Feedback(
            giver=company.manager, receiver=p, text="Thanks", visibility="public", kind="praise"
        )
        for p in people[len(have) :]
    )
    return people


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/monitor/checkins/", "/monitor/feedback/"])
def test_constant_queries(company, as_user, url):
    client = as_user(company.user("manager"))
    grow(company, 10)
    small = count(client, url)
    grow(company, 100)
    large = count(client, url)
    assert CheckIn.objects.count() >= 100
    assert abs(large - small) <= SLACK, (small, large)
    assert large <= BUDGET[url], large


def test_share_cancel_and_edit_pages(company, as_user, checkin, cycle):
    manager = as_user(company.user("manager"))
    direct = as_user(company.user("direct"))
    observation = observations.observation_create(
        actor=company.user("manager"),
        employee=company.direct,
        occurred_on=timezone.localdate(),
        kind="positive",
        text="Closed the big deal",
    )
    assert "Closed the big deal" not in page(direct, "/monitor/observations/")
    assert direct.post(f"/monitor/observations/{observation.pk}/share/").status_code == 404
    manager.post(f"/monitor/observations/{observation.pk}/share/")
    assert "Closed the big deal" in page(direct, "/monitor/observations/")
    # Someone without reports cannot schedule; the employee cannot mark it held.
    listed = page(as_user(company.user("indirect")), "/monitor/checkins/")
    assert "/monitor/checkins/new/" not in listed and "/monitor/checkins/request/" in listed
    assert f"/monitor/checkins/{checkin.pk}/held/" not in page(
        direct, f"/monitor/checkins/{checkin.pk}/"
    )
    direct.post(f"/monitor/checkins/{checkin.pk}/cancel/")
    checkin.refresh_from_db()
    assert checkin.status == CheckInStatus.CANCELLED
    hr = as_user(company.hr)
    comm = observations.competency_create(actor=company.hr, code="COMM", name="Communication")
    hr.post(f"/monitor/observations/competencies/{comm.pk}/", {"code": "COMM", "name": "Talking"})
    comm.refresh_from_db()
    assert comm.name == "Talking"
    course = training.course_create(actor=company.hr, code="C1", title="Old title")
    hr.post(
        f"/monitor/training/courses/{course.pk}/edit/",
        {"code": "C1", "title": "New title", "competencies": [comm.pk], "is_active": "on"},
    )
    course.refresh_from_db()
    assert course.title == "New title" and list(course.competencies.all()) == [comm]
    page(manager, f"/monitor/observations/competencies/{comm.pk}/", 403)


def test_coaching_pages_are_in_chinese(company, as_user, checkin, cycle):
    from perfcycle.core.tests.test_translations import english_left, visible_text

    comm = observations.competency_create(actor=company.hr, code="COMM", name="Communication")
    course = training.course_create(
        actor=company.hr, code="C1", title="Listening", competencies=[comm]
    )
    observation = observations.observation_create(
        actor=company.user("manager"),
        employee=company.direct,
        occurred_on=timezone.localdate(),
        kind="improvement",
        text="Talked over the customer",
        competency=comm,
    )
    training.training_recommend(
        actor=company.user("manager"), employee=company.direct, course=course
    )
    checkins.action_item_create(actor=company.user("manager"), checkin=checkin, text="Call")
    user = company.user("manager")
    user.language = "zh-hans"
    user.save()
    client = as_user(user)
    problems = {}
    for url in (
        "/monitor/checkins/?show=all",
        f"/monitor/checkins/{checkin.pk}/",
        "/monitor/checkins/new/",
        "/monitor/observations/",
        "/monitor/observations/new/",
        f"/monitor/observations/{observation.pk}/",
        "/monitor/observations/competencies/",
        "/monitor/feedback/",
        f"/monitor/feedback/people/{company.direct.pk}/",
        "/monitor/training/",
        "/monitor/training/courses/",
    ):
        # "My progress" is the actuals pages' tab, translated with them.
        left = [w for w in english_left(visible_text(page(client, url))) if w != "progress"]
        if left:
            problems[url] = left
    assert problems == {}, sorted(problems.items())


def test_the_observation_form_offers_the_chosen_persons_goals(company, as_user, cycle, monkeypatch):
    """The goal list is the chosen person's (from a link's id, or as posted: an id, or an
    employee number when there are too many people to list), whatever their place in the
    cycle; without a choice, everyone's first goals."""
    from tests.factories import GoalFactory

    dans = GoalFactory(cycle=cycle, employee=company.direct, title="Dan's own goal")
    ivys = GoalFactory(cycle=cycle, employee=company.indirect, title="Ivy's own goal")
    manager = as_user(company.user("manager"))

    def offered(response) -> set[int]:
        choices = response.context["form"].fields["goal_id"].widget.choices
        return {pk for pk, _label in choices if pk}

    assert offered(manager.get("/monitor/observations/new/")) >= {dans.pk, ivys.pk}
    linked = manager.get(f"/monitor/observations/new/?employee={company.indirect.pk}")
    assert offered(linked) == {ivys.pk}
    bad = {"employee": company.indirect.pk, "occurred_on": "not a date", "kind": "positive"}
    assert offered(manager.post("/monitor/observations/new/", bad)) == {ivys.pk}
    monkeypatch.setattr("perfcycle.org.fields.LISTED", 1)
    typed = {**bad, "employee": company.direct.employee_number}
    assert offered(manager.post("/monitor/observations/new/", typed)) == {dans.pk}

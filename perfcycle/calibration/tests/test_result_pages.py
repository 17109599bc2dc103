"""The stage's front page and a person's result page: who sees what, before and after
release; the talk and acknowledgement through the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from perfcycle.calibration.models import Adjustment, FeedbackTalk, Result
from perfcycle.calibration.tests.test_feedback import build_world


@pytest.fixture
def world(company):
    return build_world(company)


def url(name, *args):
    return reverse(f"calibration:{name}", args=args)


def test_the_employee_sees_their_released_result(company, world, as_user):
    Adjustment.objects.create(
        result=world.direct,
        field="grade",
        before="B",
        after="A",
        reason="Calibrated up: led the biggest account.",
        by=company.hr,
    )
    Result.objects.filter(pk=world.direct.pk).update(grade="A")
    response = as_user(company.user("direct")).get(url("my_result", world.direct.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Calibrated up: led the biggest account." in page
    assert "A strong quarter in sales." in page  # the manager's summary
    assert "How the score was computed" in page  # the live breakdown
    assert url("appeal_file", world.direct.pk) in page
    assert url("acknowledge", world.direct.pk) in page


def test_another_persons_result_is_not_found(company, world, as_user):
    assert (
        as_user(company.user("indirect")).get(url("my_result", world.direct.pk)).status_code == 404
    )
    assert (
        as_user(company.user("stranger")).get(url("my_result", world.direct.pk)).status_code == 404
    )
    assert as_user(company.user("stranger")).get(url("talk", world.direct.pk)).status_code == 404


def test_before_release_only_managers_and_hr(company, as_user):
    world = build_world(company, released=False)
    target = url("my_result", world.direct.pk)
    assert as_user(company.user("direct")).get(target).status_code == 404
    assert as_user(company.user("manager")).get(target).status_code == 200
    assert as_user(company.user("top")).get(target).status_code == 200
    assert as_user(company.hr).get(target).status_code == 200
    home = as_user(company.user("direct")).get(url("home")).content.decode()
    assert target not in home


def test_home_for_employee_manager_and_hr(company, world, as_user):
    mine = as_user(company.user("indirect")).get(url("home"))
    assert mine.status_code == 200 and url("my_result", world.indirect.pk) in mine.content.decode()
    team = as_user(company.user("manager")).get(url("home")).content.decode()
    assert "Dan Direct" in team and "Ivy Indirect" in team
    hr = as_user(company.hr).get(url("home")).content.decode()
    assert world.cycle.name in hr and url("appeals") in hr


def test_the_manager_records_the_talk_and_the_employee_comments(company, world, as_user):
    manager = as_user(company.user("manager"))
    assert manager.get(url("talk", world.direct.pk)).status_code == 200
    response = manager.post(
        url("talk", world.direct.pk),
        {
            "held_on": timezone.localdate().isoformat(),
            "strengths": "Closed deals.",
            "improvements": "Forecasting.",
            "next_steps": "Weekly pipeline review.",
        },
    )
    assert response.status_code == 302
    talk = FeedbackTalk.objects.get()
    # A stale edit shows the conflict on the form.
    stale = manager.post(
        url("talk", world.direct.pk),
        {
            "version": 0,
            "held_on": timezone.localdate().isoformat(),
            "strengths": "x",
            "improvements": "y",
            "next_steps": "z",
        },
    )
    assert stale.status_code == 409 and "Somebody else changed" in stale.content.decode()
    direct = as_user(company.user("direct"))
    response = direct.post(
        url("talk", world.direct.pk), {"version": talk.version, "comments": "Agreed."}
    )
    assert response.status_code == 302
    assert FeedbackTalk.objects.get().employee_comments == "Agreed."
    page = direct.get(url("my_result", world.direct.pk)).content.decode()
    assert "Weekly pipeline review." in page and "Agreed." in page
    # The employee cannot record the talk itself.
    denied = direct.post(
        url("talk", world.direct.pk),
        {"held_on": "2026-01-01", "strengths": "a", "improvements": "b", "next_steps": "c"},
    )
    assert denied.status_code == 403


def test_acknowledge_through_the_page(company, world, as_user):
    client = as_user(company.user("direct"))
    response = client.post(url("acknowledge", world.direct.pk))
    assert response.status_code == 302
    world.direct.refresh_from_db()
    assert world.direct.acknowledged_at is not None
    page = client.get(url("my_result", world.direct.pk)).content.decode()
    assert url("appeal_file", world.direct.pk) not in page
    assert (
        as_user(company.user("manager")).post(url("acknowledge", world.direct.pk)).status_code
        == 403
    )


def test_hr_home_links_every_page_of_the_stage_per_cycle(company, world, as_user):
    page = as_user(company.hr).get(url("home")).content.decode()
    for name in ("settings", "distribution", "sessions", "release", "export"):
        assert url(name, world.cycle.pk) in page, name
    employee_page = as_user(company.user("direct")).get(url("home")).content.decode()
    assert url("release", world.cycle.pk) not in employee_page

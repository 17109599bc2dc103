"""Appeal notifications: HR hears of a new appeal (with the name), the reviewers of a
routed one, the employee of the decision; the daily rule reminds HR and members of
appeals due within two working days or overdue, once per appeal per day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from perfcycle.calibration import appeals
from perfcycle.calibration.models import Appeal, AppealStatus
from perfcycle.calibration.tests.test_feedback import build_world
from perfcycle.notifications.appeals import appeals_due, notify_appeal
from perfcycle.notifications.models import Notification
from perfcycle.notifications.reminders import all_reminders
from perfcycle.notifications.services import notify

THURSDAY = dt.date(2026, 4, 2)


@pytest.fixture
def appeal(company):
    world = build_world(company)
    return appeals.appeal_file(
        actor=company.user("direct"),
        result=world.direct,
        reason="The March deal is missing.",
        talk_held=True,
    )


def test_filed_routed_and_decided(company, appeal, django_capture_on_commit_callbacks):
    notify_appeal.enqueue(appeal.pk)
    hr_note = Notification.objects.get()
    assert hr_note.user == company.hr and "Dan Direct appealed" in hr_note.title
    assert hr_note.url == f"/calibrate/appeals/{appeal.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        appeals.appeal_route(
            actor=company.hr, appeal=appeal, skip_level=True, committee=[company.stranger]
        )
    routed = set(Notification.objects.exclude(pk=hr_note.pk).values_list("user", flat=True))
    assert routed == {company.user("stranger").pk, company.user("top").pk}
    appeal.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        appeals.appeal_decide(
            actor=company.user("top"),
            appeal=appeal,
            outcome=AppealStatus.REJECTED,
            decision="The deal closed in April.",
            expected_version=appeal.version,
        )
    mine = Notification.objects.get(user=company.user("direct"))
    assert "rejected" in mine.title
    # Running the task again adds nothing.
    notify_appeal.enqueue(appeal.pk)
    assert Notification.objects.filter(user=company.user("direct")).count() == 1


def test_due_soon_reaches_hr_and_members_once_a_day(company, appeal):
    appeals.appeal_route(actor=company.hr, appeal=appeal, skip_level=False, committee=[company.top])
    # Due on Monday: from Thursday that is within two working days.
    Appeal.objects.filter(pk=appeal.pk).update(due_on=dt.date(2026, 4, 6))
    assert appeals_due(today=dt.date(2026, 3, 31)) == []
    drafts = appeals_due(today=THURSDAY)
    assert {d.user_id for d in drafts} == {company.hr.pk, company.user("top").pk}
    assert len(notify(drafts=drafts)) == 2
    assert notify(drafts=appeals_due(today=THURSDAY)) == []
    overdue = appeals_due(today=dt.date(2026, 4, 8))
    assert all("Overdue" in str(d.title) for d in overdue)
    assert len(notify(drafts=overdue)) == 2
    now = timezone.make_aware(dt.datetime.combine(THURSDAY, dt.time(9)))
    assert any(
        d.dedupe_key.startswith("appeal-due:") for d in all_reminders(today=THURSDAY, now=now)
    )


def test_decided_appeals_are_not_reminded(company, appeal):
    Appeal.objects.filter(pk=appeal.pk).update(
        status=AppealStatus.REJECTED, due_on=dt.date(2026, 4, 6)
    )
    assert appeals_due(today=THURSDAY) == []

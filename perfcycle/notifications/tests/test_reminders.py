"""Each reminder rule reaches the right people, and only them; a second run adds nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from perfcycle.cycles.models import CycleDeadline, Phase
from perfcycle.monitoring.models import ActionItem, Actual, ActualSource, CheckIn, CheckInStatus
from perfcycle.notifications import reminders
from perfcycle.notifications.models import Notification, NotificationKind
from perfcycle.notifications.tests.conftest import TODAY, at
from perfcycle.planning.models import SheetStatus
from tests.factories import CycleFactory, GoalFactory

pytestmark = pytest.mark.django_db


def recipients(drafts: list) -> set[str]:
    from perfcycle.accounts.models import User

    ids = {d.user_id for d in drafts}
    return set(User.objects.filter(pk__in=ids).values_list("username", flat=True))


def checkin(company, when: dt.datetime, status: str = CheckInStatus.SCHEDULED) -> CheckIn:
    return CheckIn.objects.create(
        employee=company.direct,
        manager=company.manager,
        scheduled_for=when,
        status=status,
        requested_by=company.manager.user,
    )


def actual(goal, period: str, start: dt.date) -> Actual:
    return Actual.objects.create(
        goal=goal,
        period=period,
        period_start=start,
        value=Decimal(3),
        source=ActualSource.TYPED,
        entered_at=timezone.now(),
    )


# Check-ins ---------------------------------------------------------------------------


def test_checkin_within_a_day_reminds_employee_and_manager(company):
    now = at(TODAY, 7)
    soon = checkin(company, at(TODAY, 15))
    checkin(company, at(TODAY + dt.timedelta(days=2)))  # later
    checkin(company, at(TODAY, 16), status=CheckInStatus.CANCELLED)
    checkin(company, at(TODAY, 6))  # already started
    drafts = reminders.checkins_due(now=now)
    assert recipients(drafts) == {"direct", "manager"}
    assert {d.dedupe_key for d in drafts} == {
        f"checkin-due:{soon.pk}:{soon.scheduled_for.timestamp():.0f}"
    }


def test_rescheduled_checkin_reminds_again(company, send):
    item = checkin(company, at(TODAY, 15))
    send()
    item.scheduled_for = at(TODAY + dt.timedelta(days=1), 9)
    item.save()
    send(TODAY + dt.timedelta(days=1))
    assert Notification.objects.filter(kind=NotificationKind.CHECKIN_DUE).count() == 4


# Actuals -----------------------------------------------------------------------------


def test_last_complete_month():
    assert reminders.last_complete_month(dt.date(2026, 2, 10)) == (
        "2026-01",
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 31),
    )
    assert reminders.last_complete_month(dt.date(2026, 1, 1))[0] == "2025-12"


def test_missing_actual_reminds_owner_and_manager(company, cycle):
    missing = GoalFactory(cycle=cycle, employee=company.direct, title="New customers")
    recorded = GoalFactory(cycle=cycle, employee=company.indirect, title="Visits")
    actual(recorded, "2026-01", dt.date(2026, 1, 1))
    GoalFactory(cycle=cycle, employee=company.stranger, measurement_period="quarter")
    GoalFactory(cycle=cycle, employee=company.stranger, done_at=timezone.now())
    planning = CycleFactory(
        name="Next", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 6, 30)
    )
    GoalFactory(cycle=planning, employee=company.stranger)
    drafts = reminders.actuals_missing(today=TODAY)
    assert recipients(drafts) == {"direct", "manager"}
    assert {d.dedupe_key for d in drafts} == {f"actual-missing:{missing.pk}:2026-01"}


def test_an_old_revision_does_not_count_but_the_current_one_does(company, cycle):
    goal = GoalFactory(cycle=cycle, employee=company.direct)
    old = actual(goal, "2026-01", dt.date(2026, 1, 1))
    old.is_current = False
    old.save()
    assert recipients(reminders.actuals_missing(today=TODAY)) == {"direct", "manager"}
    Actual.objects.create(
        goal=goal,
        period="2026-01",
        period_start=dt.date(2026, 1, 1),
        value=Decimal(4),
        source=ActualSource.TYPED,
        entered_at=timezone.now(),
        revision=2,
    )
    assert reminders.actuals_missing(today=TODAY) == []


def test_no_reminder_for_a_month_before_the_cycle(company, cycle):
    GoalFactory(cycle=cycle, employee=company.direct)
    assert reminders.actuals_missing(today=dt.date(2026, 1, 15)) == []


# Deadlines ---------------------------------------------------------------------------


def deadline(cycle, phase: str, days: int) -> CycleDeadline:
    return CycleDeadline.objects.create(
        cycle=cycle, phase=phase, due_date=TODAY + dt.timedelta(days=days)
    )


def test_deadline_of_the_current_phase_reminds_participants(company, cycle):
    deadline(cycle, Phase.IN_PROGRESS, 3)
    deadline(cycle, Phase.SELF_REVIEW, 1)  # not the phase the cycle is in
    drafts = reminders.deadlines_approaching(today=TODAY)
    assert recipients(drafts) == {"top", "hr", "manager", "direct", "indirect", "stranger"}


def test_deadline_further_away_or_passed_reminds_nobody(company, cycle):
    deadline(cycle, Phase.IN_PROGRESS, 4)
    assert reminders.deadlines_approaching(today=TODAY) == []
    assert reminders.deadlines_approaching(today=TODAY + dt.timedelta(days=5)) == []


def test_manager_review_deadline_reminds_managers_only(company):
    cycle = CycleFactory(
        phase=Phase.MANAGER_REVIEW, participants=[company.direct, company.indirect]
    )
    deadline(cycle, Phase.MANAGER_REVIEW, 0)
    assert recipients(reminders.deadlines_approaching(today=TODAY)) == {"manager", "direct"}


def test_calibration_deadline_reminds_hr(company):
    cycle = CycleFactory(phase=Phase.CALIBRATION, participants=[company.direct])
    deadline(cycle, Phase.CALIBRATION, 2)
    assert recipients(reminders.deadlines_approaching(today=TODAY)) == {"hr"}


# Action items ------------------------------------------------------------------------


def test_overdue_action_item_reminds_its_owner(company):
    overdue = ActionItem.objects.create(
        employee=company.direct,
        owner=company.direct,
        text="Call back ACME",
        due_date=TODAY - dt.timedelta(days=1),
    )
    ActionItem.objects.create(
        employee=company.direct, owner=company.manager, text="Due today", due_date=TODAY
    )
    ActionItem.objects.create(
        employee=company.direct,
        owner=company.manager,
        text="Done",
        due_date=TODAY - dt.timedelta(days=3),
        done_at=timezone.now(),
    )
    drafts = reminders.action_items_overdue(today=TODAY)
    assert recipients(drafts) == {"direct"}
    assert [d.dedupe_key for d in drafts] == [f"action-overdue:{overdue.pk}"]


# Goal sheets -------------------------------------------------------------------------


def test_goal_sheets_waiting_for_acknowledgement_and_approval(company, cycle):
    approved = GoalFactory(cycle=cycle, employee=company.direct).sheet
    approved.status, approved.approved_at = SheetStatus.APPROVED, timezone.now()
    approved.save()
    proposed = GoalFactory(cycle=cycle, employee=company.indirect).sheet
    proposed.status, proposed.proposed_at = SheetStatus.PROPOSED, timezone.now()
    proposed.save()
    GoalFactory(cycle=cycle, employee=company.stranger)  # a draft: nothing to do yet
    drafts = reminders.goal_sheets_waiting(today=TODAY)
    assert {(d.kind, recipients([d]).pop()) for d in drafts} == {
        (NotificationKind.SHEET_ACKNOWLEDGE, "direct"),  # acknowledges their own
        (NotificationKind.SHEET_APPROVE, "direct"),  # approves Ivy's, as her manager
    }


def test_closed_cycle_sheets_remind_nobody(company):
    closed = CycleFactory(phase=Phase.CLOSED)
    sheet = GoalFactory(cycle=closed, employee=company.direct).sheet
    sheet.status = SheetStatus.APPROVED
    sheet.save()
    assert reminders.goal_sheets_waiting(today=TODAY) == []


# The whole run -----------------------------------------------------------------------


@pytest.fixture
def busy_day(company, cycle):
    """Something for every rule."""
    checkin(company, at(TODAY, 15))
    GoalFactory(cycle=cycle, employee=company.indirect, title="Visits")
    deadline(cycle, Phase.IN_PROGRESS, 2)
    ActionItem.objects.create(
        employee=company.direct, owner=company.direct, text="Send the offer", due_date=TODAY
    )
    ActionItem.objects.create(
        employee=company.direct,
        owner=company.direct,
        text="Call back ACME",
        due_date=TODAY - dt.timedelta(days=1),
    )


def test_running_twice_sends_nothing_twice(company, busy_day, send):
    first = send()
    assert first["created"] == first["proposed"] > 0
    assert set(Notification.objects.values_list("kind", flat=True)) == {
        NotificationKind.CHECKIN_DUE,
        NotificationKind.ACTUAL_MISSING,
        NotificationKind.DEADLINE,
        NotificationKind.ACTION_OVERDUE,
    }
    count, emails = Notification.objects.count(), len(mail.outbox)
    assert emails == 6  # one per participant with a login and an email address

    second = send()
    assert second == {"proposed": first["proposed"], "created": 0}
    assert Notification.objects.count() == count
    assert len(mail.outbox) == emails


def test_one_email_per_person_summarising_their_reminders(company, busy_day, send):
    send()
    to_direct = [m for m in mail.outbox if m.to == [company.direct.user.email]]
    assert len(to_direct) == 1
    message = to_direct[0]
    mine = Notification.objects.filter(user=company.direct.user)
    assert message.subject == f"Perfcycle: {mine.count()} new reminders"
    for notification in mine:
        assert notification.title in message.body
    assert "Hello Dan Direct," in message.body
    assert "http://localhost:8000/notifications/" in message.body


def test_the_rules_use_a_constant_number_of_queries(
    company, busy_day, django_assert_max_num_queries
):
    # One query per rule (plan reviews due: notifications/improvement.py).
    with django_assert_max_num_queries(9):
        drafts = reminders.all_reminders(today=TODAY, now=at(TODAY, 7))
    assert len(drafts) > 10


def test_people_without_a_login_or_who_left_are_skipped(company, cycle, send):
    company.indirect.user.is_active = False
    company.indirect.user.save()
    GoalFactory(cycle=cycle, employee=company.indirect)
    send()
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"direct"}

"""A quarter in progress on a fixed day, so the reminder rules read like a calendar.

TODAY is 2026-02-10: the last complete month is 2026-01.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus

from perfcycle.cycles.models import Phase
from perfcycle.notifications.tasks import send_reminders
from tests.factories import CycleFactory

TODAY = dt.date(2026, 2, 10)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """``day`` at ``hour`` in the site's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def cycle(company):
    """2026 Q1 in progress, with everyone in the company taking part."""
    return CycleFactory(
        name="2026 Q1",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 3, 31),
        phase=Phase.IN_PROGRESS,
        participants=[
            company.top,
            company.hr_person,
            company.manager,
            company.direct,
            company.indirect,
            company.stranger,
        ],
    )


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run the reminders for a day as the daily task does, emails (sent on commit) included."""

    def run(today: dt.date = TODAY) -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            result = send_reminders.enqueue(today.isoformat())
        assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
        return result.return_value

    return run

"""The reminders run as a task through Django's tasks API: at once with the embedded
backend, by ``perfcycle db_worker`` with the database backend; the daily command enqueues."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_tasks import TaskResultStatus

from perfcycle.monitoring.models import ActionItem
from perfcycle.notifications.models import Notification, NotificationKind
from perfcycle.notifications.tasks import send_reminders
from perfcycle.notifications.tests.conftest import TODAY

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def overdue(company):
    return ActionItem.objects.create(
        employee=company.direct,
        owner=company.direct,
        text="Call back ACME",
        due_date=TODAY - dt.timedelta(days=1),
    )


def test_the_task_runs_through_the_immediate_backend(company, overdue, send):
    assert type(send_reminders.get_backend()).__name__ == "ImmediateBackend"
    assert send() == {"proposed": 1, "created": 1}
    notification = Notification.objects.get()
    assert notification.user == company.direct.user
    assert notification.kind == NotificationKind.ACTION_OVERDUE
    assert notification.title == "Overdue: Call back ACME"
    assert len(mail.outbox) == 1


def test_the_command_enqueues_for_a_day(company, overdue, django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", TODAY.isoformat(), stdout=out)
    assert "Reminders for 2026-02-10: 1 new notifications." in out.getvalue()
    assert Notification.objects.filter(user=company.direct.user).count() == 1
    assert len(mail.outbox) == 1
    # Run again: nothing new, no second email.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", TODAY.isoformat(), stdout=out)
    assert "0 new notifications" in out.getvalue()
    assert len(mail.outbox) == 1


def test_the_command_defaults_to_today(company):
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "Reminders for " in out.getvalue()


def test_the_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="Not a date"):
        call_command("send_reminders", "--date", "10/02/2026")


def test_a_failing_run_fails_the_command(company, monkeypatch):
    def broken(**kwargs: object) -> list:
        raise RuntimeError("database gone")

    monkeypatch.setattr("perfcycle.notifications.reminders.all_reminders", broken)
    with pytest.raises(CommandError, match="failed"):
        call_command("send_reminders", "--date", TODAY.isoformat())


@override_settings(TASKS=DATABASE_BACKEND)
def test_with_the_database_backend_the_worker_runs_it(company, overdue, monkeypatch):
    # The worker closes stale connections between tasks; inside the test's transaction
    # that would close the test's own connection (PostgreSQL).
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    out = StringIO()
    call_command("send_reminders", "--date", TODAY.isoformat(), stdout=out)
    assert "enqueued" in out.getvalue()
    assert not Notification.objects.exists()  # waiting for the worker

    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    assert Notification.objects.filter(user=company.direct.user).count() == 1
    result = send_reminders.get_backend().get_result(out.getvalue().split("task ")[1][:-3])
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"proposed": 1, "created": 1}

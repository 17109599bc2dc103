"""``perfcycle send_reminders [--date YYYY-MM-DD]``: enqueue today's reminders.

Run it daily (cron or a systemd timer). With the embedded default task backend the work
happens at once; with the database backend ``perfcycle db_worker`` does it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django_tasks import TaskResultStatus

from perfcycle.notifications.tasks import send_reminders


def _date(value: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = "Enqueue the daily reminders (check-ins, actuals, deadlines, action items, goals)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="The day to remind for (default: today).")

    def handle(self, *args: Any, **options: Any) -> None:
        today = _date(options["date"]) if options["date"] else timezone.localdate().isoformat()
        result = send_reminders.enqueue(today)
        if result.status == TaskResultStatus.FAILED:
            raise CommandError(f"Reminders for {today} failed (task {result.id}).")
        if result.status == TaskResultStatus.SUCCESSFUL:
            counts = result.return_value or {}
            self.stdout.write(
                f"Reminders for {today}: {counts.get('created', 0)} new notifications."
            )
        else:
            self.stdout.write(f"Reminders for {today} enqueued (task {result.id}).")

"""The demo's reminders: today's run of the daily reminder task, through the task backend."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from perfcycle.notifications.tasks import send_reminders


def load(*, stdout: Any = None) -> None:
    result = send_reminders.enqueue(timezone.localdate().isoformat())
    if stdout is not None:
        counts = result.return_value if result.is_finished else {}
        stdout.write(f"  reminders: {counts.get('created', 0)} notifications")

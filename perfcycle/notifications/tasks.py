"""Background work through Django's tasks API (``django-tasks``).

With the embedded default (``ImmediateBackend``) an enqueued task runs at once; in
production (``django_tasks_db.DatabaseBackend``) ``perfcycle db_worker`` picks it up.
``perfcycle send_reminders`` enqueues ``send_reminders`` once a day (cron or a timer).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from perfcycle.notifications import reminders
from perfcycle.notifications.services import notify


def reminder_start(today: dt.date) -> dt.datetime:
    """Where the check-in window starts: now when ``today`` is today, else that morning."""
    if today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(today, dt.time.min))


@task()
def send_reminders(today_iso: str) -> dict[str, int]:
    """Run every reminder rule for ``today_iso`` (``YYYY-MM-DD``) and notify; the number
    of reminders proposed by the rules and of notifications actually new."""
    today = dt.date.fromisoformat(today_iso)
    drafts = reminders.all_reminders(today=today, now=reminder_start(today))
    created = notify(drafts=drafts)
    return {"proposed": len(drafts), "created": len(created)}

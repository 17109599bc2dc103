"""Run a background task by its dotted name once the current transaction commits.

A stage may not import a later one (``notifications`` comes after every stage), but some
changes should tell people at once — results released, an appeal decided. The stage names
the task instead of importing it; django-tasks runs it immediately in the embedded default
and on the worker in production.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string


def enqueue_on_commit(task_path: str, *args: Any) -> None:
    """Enqueue the task at ``task_path`` (e.g. ``perfcycle.notifications.tasks.x``) with
    ``args`` after a successful commit; nothing when the transaction rolls back."""

    def run() -> None:
        import_string(task_path).enqueue(*args)

    transaction.on_commit(run)

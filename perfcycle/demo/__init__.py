"""The demo company from the source article, built stage by stage.

Each stage contributes a step (a function taking ``stdout``); steps run in order, once
per database, so ``perfcycle demo`` run twice reuses what it made, and a newer release
adds only its new steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

DEMO_PASSWORD = "demo-Loop-2026"
DEMO_LOGINS: list[tuple[str, str]] = [
    ("HR admin", "hr"),
    ("manager", "manager"),
    ("employee", "employee"),
]

STEPS: list[tuple[str, str]] = [
    ("org", "perfcycle.org.demo.load"),
    ("templates", "perfcycle.evaluation.demo.load_templates"),
    ("plan", "perfcycle.planning.demo.load"),
    ("monitor", "perfcycle.monitoring.demo.load"),
    ("reminders", "perfcycle.notifications.demo.load"),
    ("evaluate", "perfcycle.evaluation.demo.load"),
    ("calibrate", "perfcycle.calibration.demo.load"),
    ("reward", "perfcycle.rewards.demo.load"),
    ("proposals", "perfcycle.proposals.demo.load"),
    ("loop", "perfcycle.retrospective.demo.load"),
]


def demo_load(*, stdout: Any = None, until: str | None = None) -> list[str]:
    """Run the steps not yet applied (up to and including ``until``); return their names."""
    from django.db import transaction
    from django.test.utils import override_settings

    from perfcycle.audit.context import audit_context
    from perfcycle.demo.models import DemoStep

    done = set(DemoStep.objects.values_list("name", flat=True))
    applied: list[str] = []
    for name, target in STEPS:
        if name in done:
            if name == until:
                break
            continue
        step: Callable[..., None] = import_string(target)
        # The demo's people have no real mailboxes: reminders reach their inboxes only.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            transaction.atomic(),
            audit_context(source="command"),
        ):
            step(stdout=stdout)
            DemoStep.objects.create(name=name)
        applied.append(name)
        if name == until:
            break
    return applied

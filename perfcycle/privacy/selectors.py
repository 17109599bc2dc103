"""Everything Perfcycle keeps about one person, read in named sections (the access right
of PIPL art. 45 and GDPR art. 15).

``personal_data`` reads each section with one query (a fixed number in all, however many
goals, check-ins or reviews the person has) and returns JSON-ready rows: dates in ISO
8601, decimals as strings, other people named as the pages name them. ``COVERAGE`` says,
for every foreign key to an employee or a login, which section holds its rows or why it
is left out; a test keeps it complete when a model is added.

What is left out, and why:

- **Reviewers who were promised anonymity.** Peer and upward (direct reports') forms
  about the person show their ratings and words as "Peer 1", "Direct report 1", … in an
  order that does not follow who wrote them, never the reviewer; and, as on the pages,
  not at all while fewer than the anonymity minimum of that source have answered.
- **Evaluations still being decided.** Scores, grades, calibration changes, the feedback
  talk and other people's review forms of a cycle appear once the person's result for
  that cycle is released (the rule of ``calibration.feedback.visible_results``); bonus
  lines once their plan is approved; salary and promotion proposals once decided;
  improvement plans once activated — the same moments at which the pages show them.
- **Other people's records** where the person only acted (approved a sheet, decided an
  appeal, entered an actual for someone else): what they did is in the audit section,
  with the fields they changed but not other people's values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from perfcycle.calibration.models import Result
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal, OwnerType
from perfcycle.privacy.sections import coaching, outcomes, people, plan, results, reviews
from perfcycle.privacy.sections.catalogue import ACTED, BOOKKEEPING, COVERAGE, SECTIONS
from perfcycle.privacy.sections.common import Context
from perfcycle.privacy.sections.reviews import peer_order_key

__all__ = [
    "ACTED",
    "BOOKKEEPING",
    "COVERAGE",
    "SECTIONS",
    "PersonalData",
    "peer_order_key",
    "personal_data",
]

READERS = (people, plan, coaching, reviews, results, outcomes)


@dataclass
class PersonalData:
    employee: Employee
    generated_at: dt.datetime
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {key: len(rows) for key, rows in self.sections.items()}


def personal_data(employee: Employee) -> PersonalData:
    """Every section about ``employee``, in the order of ``SECTIONS``; one query each (a
    fixed number in all, however much the person has)."""
    me = (
        Employee.objects.select_related("department", "manager", "user")
        .filter(pk=employee.pk)
        .get()
    )
    released = frozenset(
        Result.objects.filter(employee=me, released_at__isnull=False).values_list(
            "cycle_id", flat=True
        )
    )
    ctx = Context(
        me=me,
        user=me.user,
        released=released,
        my_goals=Goal.objects.filter(owner_type=OwnerType.EMPLOYEE, employee=me),
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for reader in READERS:
        found.update(reader.collect(ctx))
    return PersonalData(
        employee=me,
        generated_at=timezone.now(),
        sections={info.key: found[info.key] for info in SECTIONS},
    )

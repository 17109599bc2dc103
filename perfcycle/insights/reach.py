"""Whose numbers a viewer may see in trends and process health.

HR sees everyone. A manager sees their own reporting line (the policy's ``scope`` for a
person's trend, themselves left out) and everyone in the departments they head. The
result is a filter, so every selector stays set-based: one query for the headed
departments, whatever the size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from perfcycle.access.policy import Action, acting_employee, is_hr, may, scope
from perfcycle.org.models import Department, Employee


@dataclass(frozen=True)
class Reach:
    """``everyone`` for HR; otherwise the line (a subquery of employee ids) and the paths
    of the departments the viewer heads."""

    everyone: bool
    line: Any = None  # a queryset of employee ids, used as a subquery
    headed_paths: tuple[str, ...] = ()

    def people(self, *, employee: str, department: str) -> Q:
        """The condition on a queryset whose employee is reached by ``employee`` (e.g.
        ``"employee"``) and whose department (as recorded then) by ``department``."""
        if self.everyone:
            return Q()
        condition = Q(**{f"{employee}__in": self.line})
        for path in self.headed_paths:
            condition |= Q(**{f"{department}__path__startswith": path})
        return condition

    def covers_department(self, department: Department, line_paths: list[str]) -> bool:
        """May the viewer open this department's page? A headed department (or below it),
        or a department where someone of their line works (or above it)."""
        if self.everyone:
            return True
        if any(department.path.startswith(p) for p in self.headed_paths):
            return True
        return any(p.startswith(department.path) for p in line_paths)


def reach_for(user: Any, action: Action) -> Reach | None:
    """The viewer's reach for ``action`` (department trends or process health), or None
    when they may not use it at all."""
    if not may(user, action):
        return None
    if is_hr(user):
        return Reach(everyone=True)
    me = acting_employee(user)
    if me is None:
        return None
    line = (
        scope(user, Action.TREND_PERSON_VIEW, Employee.objects.all()).exclude(pk=me.pk).values("pk")
    )
    headed = tuple(Department.objects.filter(head=me).values_list("path", flat=True))
    return Reach(everyone=False, line=line, headed_paths=headed)


def line_department_paths(reach: Reach) -> list[str]:
    """Department paths of the people in the viewer's line (one query)."""
    if reach.everyone:
        return []
    return list(
        Department.objects.filter(members__in=reach.line).values_list("path", flat=True).distinct()
    )

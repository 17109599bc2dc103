"""The rows of the team pace table, written out in Python.

A department head's line holds hundreds of people with several goals each; the template
engine takes a large part of a second for that, this a few milliseconds. The markup is
the same the template wrote (``monitoring/team.html`` keeps the table around it), every
value escaped as autoescape would.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from perfcycle.cycles.models import Cycle
from perfcycle.monitoring.pace import PersonPace
from perfcycle.planning import explain

DASH = "—"


def _text(value: object) -> str:
    return escape(str(value))


def _pct(value: object) -> str:
    return DASH if value is None or value == "" else f"{explain.number(value)}%"  # type: ignore[arg-type]


def pace_rows(rows: Sequence[PersonPace], cycle: Cycle) -> SafeString:
    """The ``<tr>`` of each person (or the "Nobody here." row), ready for the table body."""
    if not rows:
        return mark_safe(  # noqa: S308 - a translated constant, escaped
            f'<tr><td colspan="6" class="muted">{_text(_("Nobody here."))}</td></tr>'
        )
    confidence = _text(_("confidence"))
    labels: dict[str, str] = {}  # status → its label, translated once

    def label(row: object) -> str:
        status = row.status  # type: ignore[attr-defined]
        if status not in labels:
            labels[status] = str(row.status_label)  # type: ignore[attr-defined]
        return labels[status]

    # Each cell names its column: on a phone a row reads as a card (``table.cards``).
    column = {
        key: _text(text)
        for key, text in (
            ("department", _("Department")),
            ("status", _("Status")),
            ("progress", _("Progress")),
            ("expected", _("Expected")),
            ("goals", _("Goals")),
        )
    }
    out = []
    for row in rows:
        employee = row.employee
        department = employee.department
        goals = []
        for i, g in enumerate(row.goals):
            goals.append(
                f'<span class="status status-{_text(g.status)}" title="{_text(label(g))}">'
                f"{_text(g.goal.title)}</span>"
            )
            if g.confidence is not None:
                goals.append(f' <span class="muted">{confidence} {g.confidence}/10</span>')
            if i < len(row.goals) - 1:
                goals.append(" ")
        url = _text(reverse("monitoring:person", args=[employee.pk]))
        actual = _text(_pct(row.actual)) if row.actual is not None else DASH
        out.append(
            "<tr>\n"
            f'    <td class="person"><a href="{url}?cycle={cycle.pk}">{_text(employee.name)}</a> '
            f'<span class="muted">{_text(employee.employee_number)}</span></td>\n'
            f'    <td data-label="{column["department"]}">'
            f"{_text(department.name) if department and department.name else DASH}</td>\n"
            f'    <td data-label="{column["status"]}"><span class="status status-{_text(row.status)}">'
            f"{_text(capfirst(label(row)))}</span></td>\n"
            f'    <td data-label="{column["progress"]}">{actual}</td>\n'
            f'    <td data-label="{column["expected"]}">{_text(_pct(row.expected))}</td>\n'
            f'    <td data-label="{column["goals"]}">{"".join(goals)}</td>\n'
            "  </tr>"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped

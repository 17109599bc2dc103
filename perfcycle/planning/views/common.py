"""What the plan stage pages share: who may, which cycle, where a sheet lives, how a
stored goal value reads."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.text import capfirst

from perfcycle.access.policy import (
    Action,
    Relation,
    get_visible_or_404,
    relation,
)
from perfcycle.access.policy import require as require  # the one permission check
from perfcycle.cycles import phases
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Employee
from perfcycle.planning import explain
from perfcycle.planning.models import (
    MATERIAL_FIELDS,
    Goal,
    OwnerType,
)


def posted(request: HttpRequest) -> Any:
    """The submitted data on a POST (even an empty one), else None: an unbound form."""
    return request.POST if request.method == "POST" else None


def chosen_cycle(request: HttpRequest) -> Cycle | None:
    """The cycle named by ``?cycle=``, else the current open one, else the latest."""
    pk = request.GET.get("cycle") or request.POST.get("cycle")
    if pk:
        return get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=pk)
    return Cycle.objects.current() or Cycle.objects.order_by("-start_date").first()


def cycle_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "cycle": chosen_cycle(request),
        "cycles": Cycle.objects.order_by("-start_date", "name"),
    }


def goals_editable(cycle: Cycle) -> bool:
    return cycle.phase in phases.GOALS_EDITABLE


def sheet_url(employee: Employee, cycle: Cycle, user: Any) -> str:
    if relation(user, employee) is Relation.SELF:
        url = reverse("planning:home")
    else:
        url = reverse("planning:person", args=[employee.pk])
    return f"{url}?cycle={cycle.pk}"


def goal_owner_url(goal: Goal, user: Any) -> str:
    if goal.owner_type == OwnerType.EMPLOYEE and goal.employee is not None:
        return sheet_url(goal.employee, goal.cycle, user)
    return f"{reverse('planning:alignment')}?cycle={goal.cycle_id}"


# Showing values ------------------------------------------------------------------------

FIELD_LABELS = {name: capfirst(Goal._meta.get_field(name).verbose_name) for name in MATERIAL_FIELDS}


def display_value(field: str, value: Any) -> str:
    """A stored goal value (from a snapshot or a change) as a person reads it."""
    if value is None or value == "":
        return "—"
    model_field = Goal._meta.get_field(field) if field in MATERIAL_FIELDS else None
    if model_field is not None and model_field.choices:
        return str(dict(model_field.choices).get(value, value))
    if field == "bands" and isinstance(value, list):
        return ", ".join(f"≥{low}% → {points}" for low, points in value)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return explain.number(Decimal(str(value)))
        except InvalidOperation:
            return str(value)
    return str(value)


def changes_for_display(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for change in changes:
        rows.append(
            {
                "goal": change["goal"],
                "change": change["change"],
                "fields": [
                    {
                        "label": FIELD_LABELS.get(f["field"], f["field"]),
                        "before": display_value(f["field"], f["before"]),
                        "after": display_value(f["field"], f["after"]),
                    }
                    for f in change.get("fields", [])
                ],
            }
        )
    return rows


def snapshot_for_display(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "title": g.get("title"),
            "kind": display_value("kind", g.get("kind")),
            "weight": display_value("weight", g.get("weight")),
            "target": display_value("target", g.get("target")),
            "threshold": display_value("threshold", g.get("threshold")),
            "stretch": display_value("stretch", g.get("stretch")),
            "unit": g.get("unit") or "",
            "direction": display_value("direction", g.get("direction")),
            "rule_type": display_value("rule_type", g.get("rule_type")),
            "due_date": g.get("due_date") or "",
            "key_results": g.get("key_results", []),
            "milestones": g.get("milestones", []),
        }
        for g in snapshot.get("goals", [])
    ]

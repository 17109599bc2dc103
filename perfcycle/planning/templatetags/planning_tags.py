"""Template helpers of the plan stage: the section tabs, numbers, rules in words."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from perfcycle.access.policy import Action, may
from perfcycle.planning import explain
from perfcycle.planning.models import GoalKind

register = template.Library()

TABS = (
    ("mine", _("My goals"), "planning:home", None, True),
    ("team", _("Team goals"), "planning:team", None, True),
    ("alignment", _("Alignment"), "planning:alignment", None, True),
    ("indicators", _("Indicator library"), "planning:indicators", Action.INDICATOR_VIEW, False),
    ("cycles", _("Cycles"), "cycles:list", Action.CYCLE_VIEW, False),
    ("import", _("Import goals"), "planning:import", Action.GOAL_IMPORT, False),
)


@register.inclusion_tag("planning/_tabs.html", takes_context=True)
def plan_tabs(context: dict[str, Any], active: str) -> dict[str, Any]:
    """The plan stage's own navigation; cycle-specific pages keep the chosen cycle."""
    user = context["request"].user
    cycle = context.get("cycle")
    tabs = []
    for key, label, url_name, action, per_cycle in TABS:
        if action is not None and not may(user, action):
            continue
        url = reverse(url_name)
        if per_cycle and cycle is not None and getattr(cycle, "pk", None):
            url += f"?cycle={cycle.pk}"
        tabs.append({"key": key, "label": label, "url": url, "active": key == active})
    return {"tabs": tabs}


@register.filter
def num(value: Decimal | int | None) -> str:
    """20.0000 → 20; 5000000 → 5,000,000; empty → —."""
    if value is None or value == "":
        return "—"
    return explain.number(Decimal(value))


@register.filter
def pct(value: Decimal | int | None) -> str:
    if value is None or value == "":
        return "—"
    return f"{explain.number(Decimal(value))}%"


@register.filter
def bar(value: Decimal | int | None) -> str:
    """A width for a progress bar, 0–100, as plain digits for a style-free attribute."""
    if value is None:
        return "0"
    return str(int(max(Decimal(0), min(Decimal(100), Decimal(value)))))


@register.filter
def rule_lines(goal: Any) -> list[str]:
    """How the goal (or indicator) earns points, in sentences."""
    standard = goal.standard() if hasattr(goal, "standard") else None
    return explain.describe_rule(
        goal.rule(),
        standard,
        getattr(goal, "unit", ""),
        milestone=getattr(goal, "kind", "") == GoalKind.MILESTONE,
    )


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    if mapping is None:
        return None
    return mapping.get(key)

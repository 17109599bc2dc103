"""The site's navigation: the stages of the loop, then Organisation and Admin.

A stage whose pages have not been built yet is shown as a label without a link, so the
loop is always visible in the same order. Entries only appear to people the policy lets
use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from perfcycle.access.policy import Action, may


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str | None
    action: Action | None = None
    hint: str | Promise = ""


NAV: tuple[NavItem, ...] = (
    NavItem("plan", _("Plan"), "planning:home", hint=_("Goals and agreement")),
    NavItem("monitor", _("Monitor"), "monitoring:home", hint=_("Actuals, check-ins, observations")),
    NavItem("evaluate", _("Evaluate"), "evaluation:home", hint=_("Reviews and scores")),
    NavItem(
        "calibrate", _("Calibrate"), "calibration:home", hint=_("Calibration, release, appeals")
    ),
    NavItem("reward", _("Reward"), "rewards:home", hint=_("Bonuses, promotions, motivation")),
    NavItem(
        "improve",
        _("Improve"),
        "improvement:home",
        hint=_("Improvement plans, retrospective, next targets"),
    ),
    NavItem("org", _("Organisation"), "org:chart", Action.ORG_CHART_VIEW),
    NavItem("admin", _("Admin"), "audit:list", Action.ADMIN_VIEW),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    active_key = {
        "org": "org",
        "audit": "admin",
        "accounts": "",
        "planning": "plan",
        "cycles": "plan",
        "monitoring": "monitor",
        "evaluation": "evaluate",
        "calibration": "calibrate",
        "rewards": "reward",
        "improvement": "improve",
        "proposals": "reward",
        "retrospective": "improve",
        "insights": "improve",
    }.get(namespace, namespace)
    items = []
    for item in NAV:
        if item.action is not None and not may(user, item.action):
            continue
        url = None
        if item.url_name:
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                url = None
        items.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "hint": item.hint,
                "active": item.key == active_key,
            }
        )
    return {"nav_items": items}

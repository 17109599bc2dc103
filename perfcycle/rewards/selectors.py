"""Reads of the reward stage: plans, the lines a user may see, totals, and motivation
profiles (a team's, and HR's aggregate by department)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from perfcycle.access.policy import Action, scope
from perfcycle.rewards.models import BonusLine, BonusPlan, MotivationProfile, Motivator

TOP = 3


def visible_lines(user: Any, plan: BonusPlan) -> QuerySet[BonusLine]:
    """The plan's lines ``user`` may see (HR: all; a manager: their line's)."""
    return scope(
        user,
        Action.BONUS_LINE_VIEW,
        BonusLine.objects.filter(plan=plan).select_related("employee", "department"),
        subject="employee__",
    ).order_by("employee__name", "pk")


def plan_totals(plan: BonusPlan) -> dict[str, Decimal]:
    sums = BonusLine.objects.filter(plan=plan).aggregate(
        amount=Sum("amount"), adjustment=Sum("adjustment"), final=Sum("final_amount")
    )
    out = {k: v or Decimal(0) for k, v in sums.items()}
    out["room"] = plan.budget - out["final"]
    return out


def motivations_for(employee_ids: list[int]) -> dict[int, MotivationProfile]:
    return {
        p.employee_id: p for p in MotivationProfile.objects.filter(employee_id__in=employee_ids)
    }


@dataclass
class DepartmentMotivation:
    department_id: int | None
    name: str
    people: int = 0
    first: Counter[str] = field(default_factory=Counter)
    top: Counter[str] = field(default_factory=Counter)

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "code": code,
                "label": str(label),
                "first": self.first[code],
                "top": self.top[code],
            }
            for code, label in Motivator.choices
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "department_id": self.department_id,
            "department_name": self.name,
            "people": self.people,
            "motivators": self.rows(),
        }


def motivation_by_department(
    department_ids: list[int] | None = None,
) -> list[DepartmentMotivation]:
    """For each department, how many people rank each motivator first and in their top
    three. One query."""
    profiles = MotivationProfile.objects.filter(employee__status="active")
    if department_ids is not None:
        profiles = profiles.filter(employee__department_id__in=department_ids)
    groups: dict[int | None, DepartmentMotivation] = {}
    for dept_id, name, motivators in profiles.values_list(
        "employee__department_id", "employee__department__name", "motivators"
    ).order_by("employee__department__name", "employee__department_id"):
        group = groups.setdefault(dept_id, DepartmentMotivation(dept_id, name or ""))
        group.people += 1
        if motivators:
            group.first[motivators[0]] += 1
        for code in motivators[:TOP]:
            group.top[code] += 1
    return list(groups.values())


def explain(line: BonusLine, plan: BonusPlan) -> str:
    """How a line's amount came about, in one sentence."""
    from django.utils.translation import gettext as _

    from perfcycle.rewards.models import Method

    values = {
        "target": line.target,
        "base": line.base,
        "grade": line.grade,
        "gc": line.grade_coefficient.normalize(),
        "dc": line.department_coefficient.normalize(),
        "raw": line.raw_amount.normalize(),
        "scale": line.scale_factor.normalize(),
        "amount": line.amount,
        "unit": plan.rounding_unit,
    }
    if plan.method == Method.POOL:
        text = (
            _(
                "base %(base)s × grade %(grade)s coefficient %(gc)s × department coefficient "
                "%(dc)s = weight %(raw)s; share %(scale)s of the department pool → %(amount)s "
                "(rounded to %(unit)s)"
            )
            % values
        )
    else:
        text = (
            _(
                "target %(target)s × grade %(grade)s coefficient %(gc)s × department coefficient "
                "%(dc)s = %(raw)s; × scale %(scale)s → %(amount)s (rounded to %(unit)s)"
            )
            % values
        )
    if line.adjustment:
        text += " " + _("; adjusted by %(adj)s → %(final)s") % {
            "adj": line.adjustment,
            "final": line.final_amount,
        }
    return text

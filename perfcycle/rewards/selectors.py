"""Reads of the reward stage: plans, the lines a user may see, totals, and motivation
profiles (a team's, and HR's aggregate by department)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, acting_employee, scope
from perfcycle.core.numbers import plain
from perfcycle.org.models import Employee
from perfcycle.rewards.models import (
    BonusLine,
    BonusPlan,
    Method,
    MotivationProfile,
    Motivator,
    PlanStatus,
    TrainingRule,
)

TOP = 3


def lines_scope(user: Any, lines: QuerySet[BonusLine]) -> QuerySet[BonusLine]:
    """``lines`` narrowed to those ``user`` may see: HR all, managers their line's, and
    everyone their own lines of approved plans (never of plans not yet approved)."""
    visible = scope(user, Action.BONUS_LINE_VIEW, lines, subject="employee__")
    me = acting_employee(user)
    if me is None:
        return visible
    own = Q(employee=me, plan__status=PlanStatus.APPROVED)
    return lines.filter(Q(pk__in=visible.values("pk")) | own)


def visible_lines(user: Any, plan: BonusPlan) -> QuerySet[BonusLine]:
    """The plan's lines ``user`` may see (HR: all; a manager: their line's; the person
    their own once the plan is approved)."""
    return lines_scope(
        user, BonusLine.objects.filter(plan=plan).select_related("employee", "department")
    ).order_by("employee__name", "pk")


def my_lines(user: Any) -> QuerySet[BonusLine]:
    """The user's own bonus lines of approved plans, newest plan first."""
    me = acting_employee(user)
    if me is None:
        return BonusLine.objects.none()
    return (
        BonusLine.objects.filter(employee=me, plan__status=PlanStatus.APPROVED)
        .select_related("plan", "plan__cycle", "employee", "department")
        .order_by("-plan__approved_at", "-plan_id")
    )


def team_motivation(user: Any) -> QuerySet[Employee]:
    """The active people in the viewer's reporting line (below them), each with their
    motivation profile joined: one query per page."""
    me = acting_employee(user)
    if me is None:
        return Employee.objects.none()
    people = Employee.objects.active().subtree(me)
    return (
        scope(user, Action.MOTIVATION_VIEW, people)
        .select_related("motivation", "department")
        .order_by("name", "pk")
    )


def profile_of(employee: Employee) -> MotivationProfile | None:
    """The employee's motivation profile if they gave one (joined or not)."""
    try:
        return employee.motivation
    except MotivationProfile.DoesNotExist:
        return None


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


def training_note(line: BonusLine, plan: BonusPlan) -> str:
    """What training did to a line: its factor, or that the condition was met; empty when
    the plan has no training rule."""
    if line.training_factor is None or plan.training_rule == TrainingRule.NONE:
        return ""
    why = (
        _("required training completed")
        if line.training_met
        else _("required training not completed")
    )
    if plan.training_rule == TrainingRule.CONDITION:
        return why
    return _("× training factor %(tf)s (%(why)s)") % {
        "tf": plain(line.training_factor),
        "why": why,
    }


def explain(line: BonusLine, plan: BonusPlan) -> str:
    """How a line's amount came about, in one sentence."""
    values = {
        "target": line.target,
        "base": line.base,
        "grade": line.grade,
        "gc": plain(line.grade_coefficient),
        "dc": plain(line.department_coefficient),
        "raw": plain(line.raw_amount),
        "scale": plain(line.scale_factor),
        "amount": line.amount,
        "unit": plan.rounding_unit,
        "training": training_note(line, plan),
    }
    factor = plan.training_rule == TrainingRule.FACTOR and line.training_factor is not None
    if plan.method == Method.POOL and factor:
        text = (
            _(
                "base %(base)s × grade %(grade)s coefficient %(gc)s × department coefficient "
                "%(dc)s %(training)s = weight %(raw)s; share %(scale)s of the department pool "
                "→ %(amount)s (rounded to %(unit)s)"
            )
            % values
        )
    elif plan.method == Method.POOL:
        text = (
            _(
                "base %(base)s × grade %(grade)s coefficient %(gc)s × department coefficient "
                "%(dc)s = weight %(raw)s; share %(scale)s of the department pool → %(amount)s "
                "(rounded to %(unit)s)"
            )
            % values
        )
    elif factor:
        text = (
            _(
                "target %(target)s × grade %(grade)s coefficient %(gc)s × department coefficient "
                "%(dc)s %(training)s = %(raw)s; × scale %(scale)s → %(amount)s (rounded to "
                "%(unit)s)"
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
    if plan.training_rule == TrainingRule.CONDITION and values["training"]:
        text += "; " + values["training"]
    if line.adjustment:
        text += " " + _("; adjusted by %(adj)s → %(final)s") % {
            "adj": line.adjustment,
            "final": line.final_amount,
        }
    return text


def pay_records(search: str = "", *, missing_only: bool = False) -> QuerySet[Employee]:
    """Active people with their pay on record joined (none when missing), by name; one
    query per page whatever its size."""
    people = Employee.objects.active().select_related("compensation", "department")
    search = search.strip()
    if search:
        people = people.filter(Q(name__icontains=search) | Q(employee_number__icontains=search))
    if missing_only:
        people = people.filter(compensation__isnull=True)
    return people.order_by("name", "pk")


def pay_of(employee: Employee) -> Any:
    """The employee's pay on record (joined or not), or None when missing."""
    from perfcycle.rewards.models import Compensation

    try:
        return employee.compensation
    except Compensation.DoesNotExist:
        return None

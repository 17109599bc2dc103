"""Reads of the retrospective: the state of each cycle's retrospective, a participant's
own goals and answer, the anonymous aggregates, and the approved next-cycle targets.

Aggregates are shown per group — the company and each department for HR, a manager's
own reporting line for a manager — and a group with fewer answers than the anonymity
minimum shows nothing at all, not even how many answered. A page or API call reads a
fixed number of queries whatever the number of answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from perfcycle.access.policy import acting_employee, is_hr
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal, OwnerType
from perfcycle.retrospective.models import (
    DEFAULT_ANONYMITY_MINIMUM,
    GoalVerdict,
    ProposalStatus,
    RetroResponse,
    RetroSettings,
    TargetProposal,
    Verdict,
)

PLACES = Decimal("0.01")
RATINGS = ("clarity", "fairness", "coaching")


def retro_settings(cycle: Cycle) -> RetroSettings | None:
    return RetroSettings.objects.filter(cycle=cycle).first()


def cycles_with_state(user: Any, *, limit: int = 24) -> list[dict[str, Any]]:
    """Recent cycles with their retrospective (if any) and, for the user, whether they
    take part and have answered. Three queries."""
    cycles = list(Cycle.objects.select_related("retro_settings").order_by("-start_date")[:limit])
    me = acting_employee(user)
    ids = [c.pk for c in cycles]
    taking_part: set[int] = set()
    answered: set[int] = set()
    if me is not None and ids:
        taking_part = set(
            CycleParticipant.objects.filter(cycle_id__in=ids, employee=me).values_list(
                "cycle_id", flat=True
            )
        )
        answered = set(
            RetroResponse.objects.filter(cycle_id__in=ids, employee=me).values_list(
                "cycle_id", flat=True
            )
        )
    rows = []
    for c in cycles:
        try:
            settings: RetroSettings | None = c.retro_settings
        except RetroSettings.DoesNotExist:
            settings = None
        rows.append(
            {
                "cycle": c,
                "settings": settings,
                "participant": c.pk in taking_part,
                "answered": c.pk in answered,
            }
        )
    return rows


def own_goals(cycle: Cycle, employee: Employee) -> QuerySet[Goal]:
    return (
        Goal.objects.filter(cycle=cycle, owner_type=OwnerType.EMPLOYEE, employee=employee)
        .select_related("indicator")
        .order_by("pk")
    )


def own_response(cycle: Cycle, employee: Employee | None) -> RetroResponse | None:
    if employee is None:
        return None
    return (
        RetroResponse.objects.filter(cycle=cycle, employee=employee)
        .prefetch_related("verdicts__goal")
        .first()
    )


@dataclass
class VerdictLine:
    indicator: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Group:
    """One group's aggregate; with too few answers only ``label`` and ``shown`` mean anything."""

    key: str
    label: str
    shown: bool
    responses: int = 0
    means: dict[str, Decimal] = field(default_factory=dict)
    verdicts: list[VerdictLine] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        if not self.shown:
            return {"key": self.key, "label": self.label, "shown": False}
        return {
            "key": self.key,
            "label": self.label,
            "shown": True,
            "responses": self.responses,
            "means": {k: str(v) for k, v in self.means.items()},
            "verdicts": [{"indicator": v.indicator, "counts": v.counts} for v in self.verdicts],
            "comments": self.comments,
        }


@dataclass
class Results:
    cycle: Cycle
    anonymity_minimum: int
    groups: list[Group]


def _group(
    key: str,
    label: str,
    rows: list[dict[str, Any]],
    verdicts: dict[int, list[tuple[str, str]]],
    minimum: int,
) -> Group:
    if len(rows) < minimum:
        return Group(key=key, label=label, shown=False)
    n = len(rows)
    means = {
        name: (Decimal(sum(r[name] for r in rows)) / n).quantize(PLACES, rounding=ROUND_HALF_UP)
        for name in RATINGS
    }
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {v.value: 0 for v in Verdict})
    for r in rows:
        for indicator, verdict in verdicts.get(r["pk"], ()):
            counts[indicator][verdict] += 1
    return Group(
        key=key,
        label=label,
        shown=True,
        responses=n,
        means=means,
        verdicts=[VerdictLine(name, dict(c)) for name, c in sorted(counts.items())],
        comments=sorted(r["comment"] for r in rows if r["comment"]),
    )


def results(user: Any, cycle: Cycle) -> Results:
    """The groups ``user`` may read (HR: company and departments; a manager: their
    reporting line), each hidden below the anonymity minimum. Four queries."""
    settings = retro_settings(cycle)
    minimum = settings.anonymity_minimum if settings else DEFAULT_ANONYMITY_MINIMUM
    hr = is_hr(user)
    me = acting_employee(user)
    responses = RetroResponse.objects.filter(cycle=cycle)
    if not hr:
        if me is None:
            return Results(cycle, minimum, [])
        responses = responses.filter(employee__path__startswith=me.path).exclude(employee=me)
    rows = list(responses.values("pk", "employee_id", "clarity", "fairness", "coaching", "comment"))
    verdicts: dict[int, list[tuple[str, str]]] = defaultdict(list)
    no_indicator = _("Goals without a library indicator")
    for v in GoalVerdict.objects.filter(response__in=responses).values(
        "response_id", "verdict", "goal__indicator__name"
    ):
        verdicts[v["response_id"]].append(
            (v["goal__indicator__name"] or no_indicator, v["verdict"])
        )
    if not hr:
        return Results(
            cycle, minimum, [_group("line", _("Your reporting line"), rows, verdicts, minimum)]
        )
    groups = [_group("company", _("Company"), rows, verdicts, minimum)]
    departments = {
        p["employee_id"]: (p["department_id"], p["department__name"])
        for p in CycleParticipant.objects.filter(cycle=cycle).values(
            "employee_id", "department_id", "department__name"
        )
    }
    by_department: dict[tuple[int | None, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        dept_id, name = departments.get(r["employee_id"], (None, None))
        by_department[(dept_id, name or _("No department"))].append(r)
    for (dept_id, name), dept_rows in sorted(by_department.items(), key=lambda kv: kv[0][1]):
        groups.append(_group(f"department-{dept_id or 0}", name, dept_rows, verdicts, minimum))
    return Results(cycle, minimum, groups)


def response_counts(cycle: Cycle) -> dict[str, int]:
    """How many took part and how many answered (numbers only, for HR's overview)."""
    return {
        "participants": CycleParticipant.objects.filter(cycle=cycle).count(),
        "responses": RetroResponse.objects.filter(cycle=cycle).count(),
    }


def proposals(cycle: Cycle) -> QuerySet[TargetProposal]:
    return (
        TargetProposal.objects.filter(cycle=cycle)
        .select_related("indicator", "decided_by")
        .order_by("indicator__code", "pk")
    )


def approved_targets(cycle: Cycle) -> dict[int, Decimal]:
    """Indicator id → the approved next-cycle target, for the roll-over to apply."""
    return dict(
        TargetProposal.objects.filter(
            Q(cycle=cycle) & Q(status=ProposalStatus.APPROVED) & Q(approved_target__isnull=False)
        ).values_list("indicator_id", "approved_target")
    )

"""Who is eligible in a proposal round, and why (or why not).

A person is eligible when their final grade is the round's minimum grade or better (in
the order of the cycle's grade scale, best first) in each of the last N cycles that have
released results, ending with the round's cycle, and when they have worked at least the
minimum tenure by the cycle's end date. A missing result, or no hire date on record, is
"not eligible", with the reason said.

Set-based: one query for the cycles considered, one for the grade scale, one for the
results of all the candidates in those cycles, whatever their number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from perfcycle.calibration.models import Result
from perfcycle.cycles.models import Cycle, GradeBand
from perfcycle.org.models import Employee
from perfcycle.proposals.models import ProposalRound


@dataclass
class GradeEntry:
    cycle_id: int
    cycle: str
    end_date: dt.date
    grade: str  # "" when there is no released result

    def as_dict(self) -> dict[str, Any]:
        return {
            "cycle_id": self.cycle_id,
            "cycle": self.cycle,
            "end_date": self.end_date.isoformat(),
            "grade": self.grade,
        }


@dataclass
class Eligibility:
    employee_id: int
    eligible: bool = True
    reasons: list[str] = field(default_factory=list)
    criteria: list[dict[str, Any]] = field(default_factory=list)
    grades: list[GradeEntry] = field(default_factory=list)
    tenure_months: int | None = None

    def fail(self, reason: str) -> None:
        self.eligible = False
        self.reasons.append(reason)

    def as_dict(self) -> dict[str, Any]:
        """The JSON snapshot stored on a proposal."""
        return {
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "criteria": list(self.criteria),
            "grades": [g.as_dict() for g in self.grades],
            "tenure_months": self.tenure_months,
        }


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return months


def scale_order(cycle: Cycle) -> list[str]:
    """The grade codes of the cycle's scale, best first (empty without a scale)."""
    if cycle.grade_scale_id is None:
        return []
    return list(
        GradeBand.objects.filter(scale_id=cycle.grade_scale_id)
        .order_by("-min_score")
        .values_list("code", flat=True)
    )


def cycles_considered(round: ProposalRound) -> list[Cycle]:
    """The round's cycle and the cycles with released results before it, latest first,
    at most ``cycles_considered`` of them. One query."""
    cycle = round.cycle
    has_results = Exists(Result.objects.filter(cycle=OuterRef("pk"), released_at__isnull=False))
    earlier = Cycle.objects.filter(
        Q(pk=cycle.pk) | (Q(end_date__lt=cycle.end_date) & has_results)
    ).order_by("-end_date", "-pk")
    return list(earlier.only("pk", "name", "end_date")[: round.cycles_considered])


def evaluate(
    round: ProposalRound,
    employees: Iterable[Employee],
    *,
    order: list[str] | None = None,
) -> dict[int, Eligibility]:
    """Eligibility of each of ``employees`` (with their ``hire_date``) in ``round``."""
    people = list(employees)
    if order is None:
        order = scale_order(round.cycle)
    rank = {code: n for n, code in enumerate(order)}
    needed = rank.get(round.min_grade)
    cycles = cycles_considered(round)
    grades: dict[tuple[int, int], str] = {}
    if people and cycles:
        for employee_id, cycle_id, grade in Result.objects.filter(
            cycle_id__in=[c.pk for c in cycles],
            employee_id__in=[p.pk for p in people],
            released_at__isnull=False,
        ).values_list("employee_id", "cycle_id", "grade"):
            grades[(employee_id, cycle_id)] = grade
    end = round.cycle.end_date
    out: dict[int, Eligibility] = {}
    for person in people:
        e = Eligibility(employee_id=person.pk)
        if len(cycles) < round.cycles_considered:
            text = _("only %(have)s cycle(s) with results, %(needed)s needed") % {
                "have": len(cycles),
                "needed": round.cycles_considered,
            }
            e.criteria.append({"criterion": "cycles", "ok": False, "text": text})
            e.fail(text)
        for cycle in cycles:
            grade = grades.get((person.pk, cycle.pk), "")
            e.grades.append(GradeEntry(cycle.pk, cycle.name, cycle.end_date, grade))
            values = {"grade": grade, "cycle": cycle.name, "min": round.min_grade}
            if not grade:
                ok = False
                text = _("no released result in %(cycle)s") % values
            elif grade not in rank or needed is None:
                ok = False
                text = _("grade %(grade)s in %(cycle)s is not on the grade scale") % values
            elif rank[grade] > needed:
                ok = False
                text = _("grade %(grade)s in %(cycle)s, needs %(min)s or better") % values
            else:
                ok = True
                text = _("grade %(grade)s in %(cycle)s, %(min)s or better") % values
            e.criteria.append({"criterion": "grade", "cycle_id": cycle.pk, "ok": ok, "text": text})
            if not ok:
                e.fail(text)
        if round.min_tenure_months:
            if person.hire_date is None:
                text = _("no hire date on record: tenure cannot be checked")
                ok = False
            else:
                months = months_between(person.hire_date, end)
                e.tenure_months = months
                values = {"months": months, "needed": round.min_tenure_months, "date": end}
                ok = months >= round.min_tenure_months
                text = (
                    _("tenure %(months)s months at %(date)s, at least %(needed)s")
                    if ok
                    else _("tenure %(months)s months at %(date)s, needs %(needed)s")
                ) % values
            e.criteria.append({"criterion": "tenure", "ok": ok, "text": text})
            if not ok:
                e.fail(text)
        elif person.hire_date is not None:
            e.tenure_months = months_between(person.hire_date, end)
        out[person.pk] = e
    return out


def evaluate_one(round: ProposalRound, employee: Employee) -> Eligibility:
    return evaluate(round, [employee])[employee.pk]

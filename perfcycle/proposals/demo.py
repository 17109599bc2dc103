"""The demo's promotion and salary review rounds for the released quarter.

A promotion round (A or better in the last cycle, a year's tenure) where 陈刚 (the sales
manager) has nominated his best-graded eligible salesperson, submitted and waiting for
HR; and a salary review round with no nominations yet, so its eligible people are
listed for nominating.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

from perfcycle.accounts.models import User
from perfcycle.calibration.models import Result
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.proposals import eligibility, services
from perfcycle.proposals.models import RoundKind

NEXT_LEVEL = {"P1": "P2", "P2": "P3", "P3": "P4", "P4": "P5"}


def load(*, stdout: Any = None) -> None:
    hr = User.objects.get(username="hr")
    manager = User.objects.select_related("employee").get(username="manager")
    cycle = Cycle.objects.get(phase=Phase.RESULTS)
    closes = cycle.end_date + dt.timedelta(days=120)
    promotion = services.round_create(
        actor=hr,
        cycle=cycle,
        kind=RoundKind.PROMOTION,
        name=f"{cycle.name} 晋升提名",
        min_grade="A",
        cycles_considered=1,
        min_tenure_months=12,
        nominations_close_on=closes,
    )
    salary = services.round_create(
        actor=hr,
        cycle=cycle,
        kind=RoundKind.SALARY,
        name=f"{cycle.name} 调薪",
        min_grade="A",
        cycles_considered=1,
        min_tenure_months=6,
        max_increase_pct=D(15),
        increase_budget=D(20000),
        nominations_close_on=closes,
    )
    # The manager's best-graded eligible report: S before A, then by employee number.
    results = list(
        Result.objects.filter(
            cycle=cycle,
            grade__in=["S", "A"],
            released_at__isnull=False,
            employee__manager=manager.employee,
        )
        .select_related("employee")
        .order_by("grade", "employee__employee_number")
    )
    results.sort(key=lambda r: (["S", "A"].index(r.grade), r.employee.employee_number))
    found = eligibility.evaluate(promotion, [r.employee for r in results])
    chosen = next(r for r in results if found[r.employee.pk].eligible)
    person = chosen.employee
    services.proposal_nominate(
        actor=manager,
        round=promotion,
        employee=person,
        justification=(
            f"{cycle.name} 绩效 {chosen.grade}：销售额与新客户数均超额完成，"
            "连续带教新人并主动承担大客户交接，已具备独立负责重点客户的能力，建议晋升一级。"
        ),
        proposed_title="高级销售代表",
        proposed_level=NEXT_LEVEL.get(person.level, person.level + "+"),
    )
    if stdout is not None:
        stdout.write(
            f"  proposals: {promotion.name} with {person.name} nominated, "
            f"{salary.name} open for nominations\n"
        )

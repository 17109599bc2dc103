"""The demo's loop closes: two earlier quarters of history and last quarter's retrospective.

Two quarters before last quarter are built through the services, for the same people —
goals (sales from the indicator library, everyone else a qualitative goal scored by HR),
three months of actuals, stored scores, prepared and released results — and closed,
which opens their retrospectives; most salespeople answered (new customers "too high",
sales "about right"). Without review forms the scoring service renormalises to the goals
score (docs: evaluation/scores.py, rule 6). The sales team missed 20 new customers a
month in both quarters; 张伟 and 杨静 trend up, 孙涛 down; 赵磊 and 朱琳 took the
customer-communication course between the second quarter and last quarter and improved.

Last quarter stays in its results phase: its retrospective is open for 14 days, every
salesperson but 张伟 (the demo employee, who can still answer) has answered, and HR has
generated the target proposals: new customers is "likely too high" by the persistent-miss
rule with a proposed target, left for HR to approve, then close and roll over.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from perfcycle.accounts.models import User
from perfcycle.calibration.models import Result
from perfcycle.calibration.release import results_release
from perfcycle.calibration.results import results_prepare
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import (
    cycle_create,
    cycle_set_participants,
    cycle_transition,
    grade_scale_default,
)
from perfcycle.evaluation.demo import PERFORMANCE, demo_template, sales_goals
from perfcycle.evaluation.results import goal_score_override_set, scores_store
from perfcycle.monitoring.actuals import actuals_write, clean_item
from perfcycle.monitoring.models import ActualSource, Course, TrainingStatus
from perfcycle.monitoring.training import training_recommend, training_set_status
from perfcycle.notifications.models import Notification
from perfcycle.org.models import Department, Employee
from perfcycle.planning import services as planning
from perfcycle.planning.demo import current_quarter
from perfcycle.planning.models import Goal, GoalKind, Indicator, OwnerType
from perfcycle.retrospective import services
from perfcycle.retrospective.models import RetroResponse, RetroSettings, Verdict

# Monthly new customers (mean of three months) and quarterly sales (thousands), per
# salesperson, for the two history quarters (older first).
NEW_CUSTOMERS = {
    "E011": (15, 16),
    "E012": (18, 18),
    "E013": (24, 25),
    "E014": (15, 14),
    "E015": (17, 17),
    "E016": (19, 20),
    "E017": (21, 22),
    "E018": (17, 15),
    "E019": (17, 18),
    "E020": (15, 14),
}
SALES = {
    "E011": (372, 390),
    "E012": (495, 505),
    "E013": (650, 690),
    "E014": (430, 418),
    "E015": (480, 478),
    "E016": (505, 512),
    "E017": (530, 541),
    "E018": (380, 360),
    "E019": (450, 462),
    "E020": (392, 376),
}
# Took 高效客户沟通 (COMM101) between the second history quarter and last quarter.
TRAINED = ("E014", "E020")
# Did not answer the history quarters' retrospectives.
SILENT = {"E018", "E019"}
# Said new customers was about right (everyone else: too high).
CONTENT = {"E013", "E017"}
COMMENTS = [
    "每月 20 个新客户的目标偏高，老客户维护占用了大量时间。",
    "线索质量不稳定，希望市场部提供更多有效线索。",
    "",
]


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _months(start: dt.date) -> list[str]:
    return [f"{start.year}-{start.month + n:02d}" for n in range(3)]


def _record(hr: User, goal: Goal, months: list[str], values: list[Any]) -> None:
    items = []
    for month, value in zip(months, values, strict=True):
        item, problems = clean_item(goal, period=month, value=value, note="CRM")
        assert item is not None, problems
        items.append(item)
    actuals_write(actor=hr, items=items, source=ActualSource.IMPORTED)


def _answers(cycle: Cycle, people: dict[str, Employee], numbers: list[str], seed: int) -> None:
    goals = {
        (g.employee.employee_number, g.indicator.code): g.pk
        for g in Goal.objects.filter(cycle=cycle, indicator__isnull=False).select_related(
            "employee", "indicator"
        )
    }
    for n, number in enumerate(numbers):
        verdicts = {
            goals[(number, "NEW_CUSTOMERS")]: (
                Verdict.ABOUT_RIGHT if number in CONTENT else Verdict.TOO_HIGH
            ),
            goals[(number, "SALES_AMOUNT")]: (
                Verdict.TOO_HIGH if (n + seed) % 5 == 0 else Verdict.ABOUT_RIGHT
            ),
        }
        services.retro_answer(
            actor=people[number].user,
            cycle=cycle,
            clarity=4 if (n + seed) % 3 else 3,
            fairness=3 + (n + seed) % 2,
            coaching=3 if number in CONTENT else 2 + (n + seed) % 3,
            comment=COMMENTS[(n + seed) % len(COMMENTS)],
            verdicts=verdicts,
        )


def _history_quarter(
    *,
    hr: User,
    manager: User,
    start: dt.date,
    end: dt.date,
    name: str,
    index: int,
    people: dict[str, Employee],
) -> Cycle:
    template = demo_template()
    cycle = cycle_create(
        actor=hr,
        name=f"{name} 季度绩效",
        period_type="quarter",
        start_date=start,
        end_date=end,
        template=template,
        grade_scale=grade_scale_default(actor=hr),
    )
    hq = Department.objects.get(code="HQ")
    cycle_set_participants(actor=hr, cycle=cycle, department_ids=[hq.pk])
    cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.PLANNING)
    indicators = {
        i.code: i for i in Indicator.objects.filter(code__in=["SALES_AMOUNT", "NEW_CUSTOMERS"])
    }
    director = sales_goals(
        cycle=cycle, hr=hr, manager=manager, people=people, indicators=indicators
    )
    others = [
        p.employee
        for p in cycle.participants.select_related("employee").order_by("employee__employee_number")
        if p.employee.employee_number not in SALES and p.employee.employee_number != "E010"
    ]
    qualitative = [
        planning.goal_create(
            actor=hr,
            cycle=cycle,
            owner_type=OwnerType.EMPLOYEE,
            employee=person,
            kind=GoalKind.QUALITATIVE,
            title="完成季度重点工作计划",
            weight=D(100),
        )
        for person in others
    ]
    cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.IN_PROGRESS)
    months = _months(start)
    goals = {
        (g.employee.employee_number, g.indicator.code): g
        for g in Goal.objects.filter(cycle=cycle, indicator__isnull=False).select_related(
            "employee", "indicator", "cycle"
        )
    }
    team_total = [0, 0, 0]
    for number in sorted(SALES):
        customers = NEW_CUSTOMERS[number][index]
        _record(
            hr, goals[(number, "NEW_CUSTOMERS")], months, [customers - 1, customers, customers + 1]
        )
        total = SALES[number][index] * 1000
        monthly = [total * 31 // 100, total * 33 // 100]
        monthly.append(total - sum(monthly))
        _record(hr, goals[(number, "SALES_AMOUNT")], months, monthly)
        team_total = [a + b for a, b in zip(team_total, monthly, strict=True)]
    _record(hr, goals[("E010", "SALES_AMOUNT")], months, team_total)
    del director
    for phase in (Phase.SELF_REVIEW, Phase.REVIEW_360, Phase.MANAGER_REVIEW):
        cycle_transition(actor=hr, cycle=cycle, to_phase=phase)
    cycle.refresh_from_db()
    drift = (-0.2, -0.1)[index]
    for goal in qualitative:
        level = PERFORMANCE.get(goal.employee.employee_number, 3.5) + drift
        goal_score_override_set(
            actor=hr,
            goal=goal,
            points=D(str(round(55 + level * 11))),
            reason="按季度重点工作计划逐项核对完成情况评定（见季度工作总结）。",
        )
    scores_store(actor=hr, cycle=cycle)
    cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.CALIBRATION)
    cycle.refresh_from_db()
    results_prepare(actor=hr, cycle=cycle)
    results_release(actor=hr, cycle=cycle)
    cycle.refresh_from_db()
    services.cycle_close(actor=hr, cycle=cycle)
    answering = [n for n in sorted(SALES) if n not in SILENT]
    _answers(cycle, people, answering, seed=index)
    # What happened then is dated then: the release, the close and the retrospective.
    released = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=33), dt.time(10)))
    closed = released + dt.timedelta(days=7)
    Result.objects.filter(cycle=cycle).update(released_at=released)
    Cycle.objects.filter(pk=cycle.pk).update(
        opened_at=timezone.make_aware(dt.datetime.combine(start, dt.time(9))), closed_at=closed
    )
    RetroSettings.objects.filter(cycle=cycle).update(
        opened_at=closed, closes_on=closed.date() + dt.timedelta(days=14)
    )
    RetroResponse.objects.filter(cycle=cycle).update(submitted_at=closed + dt.timedelta(days=3))
    return cycle


def _read_when_sent(history: list[Cycle]) -> None:
    """The history quarters' "result released" and "look back" messages went out months
    ago: once they are sent (on commit, in order), mark them read so the inboxes show what
    is new now."""
    result_ids = list(Result.objects.filter(cycle__in=history).values_list("pk", flat=True))
    cycle_ids = [c.pk for c in history]

    def mark() -> None:
        keys = Q(dedupe_key__in=[f"retrospective-opened:{pk}" for pk in cycle_ids])
        for pk in result_ids:
            keys |= Q(dedupe_key__startswith=f"result-released:{pk}:")
        Notification.objects.filter(keys, read_at__isnull=True).update(read_at=timezone.now())

    transaction.on_commit(mark)


def load(*, stdout: Any = None) -> None:
    hr = _user("hr")
    manager = _user("manager")
    people = {e.employee_number: e for e in Employee.objects.select_related("user")}
    previous = Cycle.objects.filter(phase=Phase.RESULTS).order_by("-start_date").get()
    second_name, second_start, second_end = current_quarter(
        previous.start_date - dt.timedelta(days=1)
    )
    first_name, first_start, first_end = current_quarter(second_start - dt.timedelta(days=1))
    history = [
        _history_quarter(
            hr=hr,
            manager=manager,
            start=start,
            end=end,
            name=name,
            index=index,
            people=people,
        )
        for index, (name, start, end) in enumerate(
            [(first_name, first_start, first_end), (second_name, second_start, second_end)]
        )
    ]

    _read_when_sent(history)

    course = Course.objects.get(code="COMM101")
    for n, number in enumerate(TRAINED):
        taken = training_recommend(
            actor=manager,
            employee=people[number],
            course=course,
            reason="新客户转化偏低：提升需求澄清与方案表达能力",
            due_date=previous.start_date + dt.timedelta(days=30),
        )
        training_set_status(
            actor=people[number].user,
            assignment=taken,
            status=TrainingStatus.COMPLETED,
            completed_on=previous.start_date + dt.timedelta(days=12 + 5 * n),
        )

    services.retro_open(
        actor=hr,
        cycle=previous,
        closes_on=timezone.localdate() + dt.timedelta(days=services.DEFAULT_WINDOW_DAYS),
    )
    _answers(previous, people, [n for n in sorted(SALES) if n != "E011"], seed=2)
    report = services.proposals_generate(actor=hr, cycle=previous)
    if stdout is not None:
        stdout.write(
            f"  loop: {', '.join(c.name for c in history)} closed with retrospectives; "
            f"{previous.name} retrospective open, {report.created} target proposals\n"
        )

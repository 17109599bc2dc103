"""The demo's monitoring: two months of actuals, check-ins, observations, praise, training.

As in the article: some salespeople fall behind on new customers; the manager holds a
check-in with the demo employee and logs a gap in customer-communication skill, which
leads to a course recommendation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

from django.utils import timezone

from perfcycle.accounts.models import User
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import cycle_transition
from perfcycle.monitoring.actuals import actual_record
from perfcycle.monitoring.checkins import (
    action_item_create,
    checkin_mark_held,
    checkin_schedule,
    checkin_update_notes,
    goal_checkin_record,
)
from perfcycle.monitoring.models import (
    ActualSource,
    Competency,
    FeedbackVisibility,
    ObservationKind,
    ObservationVisibility,
    TrainingStatus,
)
from perfcycle.monitoring.observations import competency_create, feedback_give, observation_create
from perfcycle.monitoring.training import course_create, training_recommend, training_set_status
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal

# New customers per month for each salesperson (target: at least 20 a month).
NEW_CUSTOMERS = {
    "E011": (17, 16),
    "E012": (22, 21),
    "E013": (26, 24),
    "E014": (12, 14),
    "E015": (19, 21),
    "E016": (23, 20),
    "E017": (20, 22),
    "E018": (9, 11),
    "E019": (21, 19),
    "E020": (18, 20),
}
# Sales per month, in yuan (quarter target 500,000; 600,000 for E013; 400,000 for E020).
SALES = {
    "E011": (142_000, 151_000),
    "E012": (171_000, 165_000),
    "E013": (215_000, 198_000),
    "E014": (98_000, 121_000),
    "E015": (160_000, 158_000),
    "E016": (175_000, 169_000),
    "E017": (166_000, 172_000),
    "E018": (83_000, 95_000),
    "E019": (168_000, 161_000),
    "E020": (129_000, 140_000),
}
OUTPUT = (4_900, 5_150)
PASS_RATE = ("98.7", "98.2")

COMPETENCIES = [
    ("CUST_COMM", "客户沟通", "倾听客户、澄清需求、清楚地表达方案与价值。", "sales"),
    ("INNOVATION", "创新", "提出并落地新的方法，改进工作成果。", ""),
    ("PROBLEM_SOLVING", "解决问题", "面对困难找到原因与可行的办法。", ""),
    ("TEAMWORK", "团队协作", "主动分享信息，支持同事达成共同目标。", ""),
    ("QUALITY", "质量意识", "按标准作业，第一次就把事情做对。", "production"),
]
COURSES = [
    ("COMM101", "高效客户沟通", "CUST_COMM", "内部培训中心", "8"),
    ("NEGO201", "销售谈判技巧", "CUST_COMM", "内部培训中心", "12"),
    ("QC101", "质量管理基础", "QUALITY", "质量部", "6"),
    ("INNO101", "创新思维工作坊", "INNOVATION", "外部讲师", "4"),
]


def _months(cycle: Cycle) -> list[str]:
    first = cycle.start_date
    second = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return [f"{first:%Y-%m}", f"{second:%Y-%m}"]


def load(*, stdout: Any = None) -> None:
    hr = User.objects.get(username="hr")
    manager = User.objects.get(username="manager")
    cycle = Cycle.objects.get(phase=Phase.PLANNING)
    cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.IN_PROGRESS)
    people = {e.employee_number: e for e in Employee.objects.all()}
    months = _months(cycle)

    goals = {
        (g.employee.employee_number, g.indicator.code): g
        for g in Goal.objects.filter(
            cycle=cycle, employee__isnull=False, indicator__isnull=False
        ).select_related("employee", "indicator")
    }
    count = 0
    for number, values in NEW_CUSTOMERS.items():
        for month, value in zip(months, values, strict=True):
            actual_record(
                actor=hr,
                goal=goals[(number, "NEW_CUSTOMERS")],
                period=month,
                value=value,
                source=ActualSource.IMPORTED,
                note="CRM",
            )
            actual_record(
                actor=hr,
                goal=goals[(number, "SALES_AMOUNT")],
                period=month,
                value=SALES[number][months.index(month)],
                source=ActualSource.IMPORTED,
                note="CRM",
            )
            count += 2
    # A correction: the CRM re-counted one customer for 刘洋 (a new revision, the old value kept).
    actual_record(
        actor=hr,
        goal=goals[("E012", "NEW_CUSTOMERS")],
        period=months[0],
        value=21,
        note="CRM 复核：一家客户重复计数",
    )
    for number in people:
        if (number, "OUTPUT") in goals:
            for month, output, rate in zip(months, OUTPUT, PASS_RATE, strict=True):
                bump = int(number[-1]) * 37
                actual_record(
                    actor=hr,
                    goal=goals[(number, "OUTPUT")],
                    period=month,
                    value=output + bump,
                    source=ActualSource.API,
                )
                actual_record(
                    actor=hr,
                    goal=goals[(number, "PASS_RATE")],
                    period=month,
                    value=D(rate),
                    source=ActualSource.API,
                )
                count += 2

    # The competency library may already exist (the evaluation template step makes it).
    competencies = {c.code: c for c in Competency.objects.all()}
    for code, name, description, family in COMPETENCIES:
        if code not in competencies:
            competencies[code] = competency_create(
                actor=hr, code=code, name=name, description=description, job_family=family
            )
    courses = {
        code: course_create(
            actor=hr,
            code=code,
            title=title,
            competencies=[competencies[tag]],
            provider=provider,
            hours=D(hours),
        )
        for code, title, tag, provider, hours in COURSES
    }

    employee = people["E011"]
    now = timezone.now()
    held = checkin_schedule(
        actor=manager,
        employee=employee,
        cycle=cycle,
        scheduled_for=now - dt.timedelta(days=6),
        agenda=["新客户数连续两个月低于 20 个", "大客户拜访计划"],
    )
    checkin_update_notes(
        actor=manager,
        checkin=held,
        shared_notes="新客户转化偏低：电话沟通后客户需求没有澄清，方案报价不对口。约定每周复盘两通录音。",
        private_notes="本人积极性高；主要是沟通方法问题，不是态度问题。",
    )
    goal_checkin_record(
        actor=manager,
        checkin=held,
        goal=goals[("E011", "NEW_CUSTOMERS")],
        comment="两个月 17、16 个，低于 20 个的标准。",
        confidence=5,
    )
    goal_checkin_record(
        actor=manager,
        checkin=held,
        goal=goals[("E011", "SALES_AMOUNT")],
        comment="销售额基本跟上进度。",
        confidence=7,
    )
    action_item_create(
        actor=manager,
        checkin=held,
        text="整理本月 30 个意向客户的需求清单",
        owner=employee,
        due_date=timezone.localdate() + dt.timedelta(days=7),
    )
    action_item_create(
        actor=manager,
        checkin=held,
        text="陪同拜访两家重点客户",
        owner=people["E010"],
        due_date=timezone.localdate() + dt.timedelta(days=10),
    )
    checkin_mark_held(actor=manager, checkin=held)
    checkin_schedule(
        actor=manager,
        employee=employee,
        cycle=cycle,
        scheduled_for=now + dt.timedelta(days=8),
        agenda=["复盘客户沟通录音"],
    )
    checkin_schedule(
        actor=manager,
        employee=people["E014"],
        cycle=cycle,
        scheduled_for=now + dt.timedelta(hours=20),
        agenda=["新客户数落后进度"],
    )

    gap = observation_create(
        actor=manager,
        employee=employee,
        occurred_on=timezone.localdate() - dt.timedelta(days=9),
        kind=ObservationKind.IMPROVEMENT,
        competency=competencies["CUST_COMM"],
        goal=goals[("E011", "NEW_CUSTOMERS")],
        visibility=ObservationVisibility.SHARED,
        text="与华东某客户电话沟通时没有先了解客户的采购流程和预算，直接报价，客户随后失去联系。",
    )
    course = training_recommend(
        actor=manager,
        employee=employee,
        course=courses["COMM101"],
        observation=gap,
        reason="提升需求澄清与方案表达能力",
        due_date=cycle.end_date,
    )
    training_set_status(actor=employee.user, assignment=course, status=TrainingStatus.IN_PROGRESS)
    observation_create(
        actor=manager,
        employee=people["E013"],
        occurred_on=timezone.localdate() - dt.timedelta(days=20),
        kind=ObservationKind.POSITIVE,
        competency=competencies["INNOVATION"],
        visibility=ObservationVisibility.SHARED,
        text="自发整理了行业客户的常见异议与应答话术，分享给全组，两周内组内转化率明显提升。",
    )
    observation_create(
        actor=manager,
        employee=people["E018"],
        occurred_on=timezone.localdate() - dt.timedelta(days=12),
        kind=ObservationKind.IMPROVEMENT,
        competency=competencies["PROBLEM_SOLVING"],
        text="连续三周没有更新 CRM 中的跟进记录，经提醒后仍未改进。",
    )
    feedback_give(
        actor=people["E012"].user,
        receiver=people["E013"],
        visibility=FeedbackVisibility.PUBLIC,
        competency=competencies["TEAMWORK"],
        text="谢谢你分享的应答话术，我这周用上了，签了两家新客户！",
    )
    feedback_give(
        actor=manager,
        receiver=people["E016"],
        visibility=FeedbackVisibility.PUBLIC,
        text="这个月回款率 100%，给大家做了好榜样。",
    )
    feedback_give(
        actor=people["E031"].user,
        receiver=people["E035"],
        visibility=FeedbackVisibility.MANAGER,
        competency=competencies["QUALITY"],
        text="夜班交接时主动复核了首件，避免了一批返工。",
    )
    if stdout is not None:
        stdout.write(
            f"  monitor: {count} actuals, 3 check-ins, 3 observations, 1 course recommended"
        )

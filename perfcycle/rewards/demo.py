"""The demo's rewards and improvement for the released quarter.

Everyone's base pay is on record with a target bonus of two months' pay; the quarter's
bonus plan (S 1.5 / A 1.2 / B 1.0 / C 0.6 / D 0, sales department ×1.1, ×1.05 for
those who completed the customer-communication course: 张伟 finished the course he was
recommended, and 杨静 took it too) is computed against a budget smaller than the
targets, so every amount is scaled down and the total equals the budget exactly; 陈刚 adjusts one line within the band with a reason. Most
people have put their motivators in order. 孙涛, the lowest-graded salesperson, gets an
improvement plan with the customer-communication course linked, activated and
acknowledged, with its first review logged.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

from django.utils import timezone

from perfcycle.accounts.models import User
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.improvement import services as improvement
from perfcycle.improvement.models import Progress, SupportKind
from perfcycle.monitoring.models import Course, TrainingAssignment, TrainingStatus
from perfcycle.monitoring.training import training_recommend, training_set_status
from perfcycle.org.models import Department, Employee
from perfcycle.rewards import services as rewards
from perfcycle.rewards.models import BonusLine, Motivator

BASE_BY_LEVEL = {
    "M5": D(60000),
    "M3": D(32000),
    "M2": D(26000),
    "P4": D(18000),
    "P3": D(15000),
    "P2": D(12000),
    "P1": D(8500),
}
MOTIVATION_ORDERS = [
    [Motivator.BONUS, Motivator.PROMOTION, Motivator.LEARNING, Motivator.RECOGNITION, Motivator.FLEXIBLE, Motivator.CHALLENGE],
    [Motivator.PROMOTION, Motivator.CHALLENGE, Motivator.BONUS, Motivator.LEARNING, Motivator.RECOGNITION, Motivator.FLEXIBLE],
    [Motivator.LEARNING, Motivator.CHALLENGE, Motivator.RECOGNITION, Motivator.PROMOTION, Motivator.BONUS, Motivator.FLEXIBLE],
    [Motivator.FLEXIBLE, Motivator.BONUS, Motivator.RECOGNITION, Motivator.LEARNING, Motivator.PROMOTION, Motivator.CHALLENGE],
]  # fmt: skip


def load(*, stdout: Any = None) -> None:
    hr = User.objects.get(username="hr")
    manager = User.objects.get(username="manager")
    cycle = Cycle.objects.get(phase=Phase.RESULTS)
    people = list(
        Employee.objects.filter(cycle_participations__cycle=cycle)
        .select_related("user")
        .order_by("employee_number")
    )
    for person in people:
        rewards.compensation_set(
            actor=hr,
            employee=person,
            base_monthly=BASE_BY_LEVEL.get(person.level, D(10000)),
            target_bonus_months=D(2),
        )
    course = Course.objects.get(code="COMM101")
    zhang = Employee.objects.select_related("user").get(employee_number="E011")
    started = TrainingAssignment.objects.filter(employee=zhang, course=course).exclude(
        status=TrainingStatus.COMPLETED
    )
    for assignment in started:
        training_set_status(
            actor=zhang.user, assignment=assignment, status=TrainingStatus.COMPLETED
        )
    yang_jing = Employee.objects.get(employee_number="E013")
    taken = training_recommend(
        actor=manager, employee=yang_jing, course=course, reason="把应答话术沉淀为课程案例"
    )
    training_set_status(actor=manager, assignment=taken, status=TrainingStatus.COMPLETED)
    sales = Department.objects.get(code="SALES")
    plan = rewards.plan_create(
        actor=hr,
        cycle=cycle,
        name=f"{cycle.name} 季度奖金",
        method="target",
        budget=D(800000),
        grade_coefficients={"S": "1.5", "A": "1.2", "B": "1.0", "C": "0.6", "D": "0"},
        rounding_unit=D(1),
        adjustment_band=D(10),
        departments=[rewards.DepartmentInput(department=sales, coefficient=D("1.1"))],
        training_rule="factor",
        required_courses=[course],
        training_factor=D("1.05"),
    )
    rewards.plan_compute(actor=hr, plan=plan)
    # 陈刚 moves a little from one line to another, within the band: the total stays put.
    yang = BonusLine.objects.get(plan=plan, employee__employee_number="E013")
    moved = (yang.amount * D("0.05")).quantize(D(1))
    rewards.line_adjust(
        actor=manager,
        line=yang,
        adjustment=-moved,
        reason="本季度部分大单回款延至下季度，与同档同事对比后酌情下调 5%。",
        expected_version=yang.version,
    )
    xu = BonusLine.objects.get(plan=plan, employee__employee_number="E017")
    rewards.line_adjust(
        actor=manager,
        line=xu,
        adjustment=moved,
        reason="带教两名新人并承担大客户交接，团队贡献突出，在幅度内上调。",
        expected_version=xu.version,
    )
    for n, person in enumerate(people):
        if person.user is None or n % 5 == 4:  # a few have not filled it in yet
            continue
        rewards.motivation_set(
            actor=person.user,
            employee=person,
            motivators=[str(m) for m in MOTIVATION_ORDERS[n % len(MOTIVATION_ORDERS)]],
        )

    sun = Employee.objects.select_related("user").get(employee_number="E018")
    today = timezone.localdate()
    pip = improvement.plan_create(
        actor=manager,
        employee=sun,
        cycle=cycle,
        reason="本季度绩效等级 D：新客户数与销售额均明显低于标准，申诉已驳回。",
        start_date=today - dt.timedelta(days=7),
        end_date=today + dt.timedelta(days=83),
    )
    improvement.goal_add(
        actor=manager,
        plan=pip,
        description="每月新增客户不少于 15 个",
        measure="CRM 客户台账，按月统计",
        due_date=today + dt.timedelta(days=83),
    )
    improvement.goal_add(
        actor=manager,
        plan=pip,
        description="每周与主管复盘两通客户电话录音，并记录改进点",
        measure="复盘记录 ≥ 24 次",
        due_date=today + dt.timedelta(days=83),
    )
    improvement.support_add(
        actor=manager,
        plan=pip,
        kind=SupportKind.MENTOR,
        description="由销售骨干杨静担任导师，每周陪访一次重点客户。",
        provided_on=today - dt.timedelta(days=5),
    )
    improvement.training_add(
        actor=manager, plan=pip, course=course, due_date=today + dt.timedelta(days=30)
    )
    first_review = today - dt.timedelta(days=1)
    for days in (-1, 29, 59, 83):
        improvement.review_schedule(
            actor=manager, plan=pip, scheduled_for=today + dt.timedelta(days=days)
        )
    pip.refresh_from_db()
    pip = improvement.plan_activate(actor=manager, plan=pip)
    pip = improvement.plan_acknowledge(actor=sun.user, plan=pip)
    review = pip.reviews.get(scheduled_for=first_review)
    improvement.review_log(
        actor=manager,
        plan=pip,
        review=review,
        held_on=first_review,
        notes="第一周新增客户 4 个；已报名《高效客户沟通》，导师陪访一次。",
        progress=Progress.ON_TRACK,
    )
    if stdout is not None:
        total = sum(BonusLine.objects.filter(plan=plan).values_list("final_amount", flat=True))
        stdout.write(
            f"  reward: bonus plan within budget ({total} of {plan.budget}), "
            f"improvement plan for {sun.name}\n"
        )

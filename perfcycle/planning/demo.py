"""The demo's open quarter: the article's goals, cascaded and partly agreed.

The company's quarterly sales target of 5,000,000 cascades to the sales department and
on to each salesperson; "at least 20 new customers a month" is assigned to the whole
sales team in one step from the indicator library; production has output and quality-
rate targets; the software team has an OKR and a milestone. Most salespeople have
acknowledged their goals; the demo employee's are approved and wait for them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

from django.utils import timezone

from perfcycle.accounts.models import User
from perfcycle.cycles.models import Phase, ReviewTemplate
from perfcycle.cycles.services import (
    cycle_create,
    cycle_set_participants,
    cycle_transition,
    grade_scale_default,
    review_template_default,
)
from perfcycle.org.models import Department, Employee
from perfcycle.planning import services
from perfcycle.planning.models import Goal, GoalKind, GoalSheet, OwnerType
from perfcycle.planning.scoring import Aggregation, Direction, RuleType

INDICATORS: list[dict[str, Any]] = [
    {
        "code": "SALES_AMOUNT",
        "name": "销售额",
        "job_family": "sales",
        "unit": "元",
        "aggregation": Aggregation.SUM,
        "measurement_period": "month",
        "rule_type": RuleType.LINEAR,
        "calculation_method": "已签约并开票的合同金额（不含税）",
        "data_source": "CRM 合同台账",
    },
    {
        "code": "NEW_CUSTOMERS",
        "name": "新增客户数",
        "job_family": "sales",
        "unit": "个",
        "aggregation": Aggregation.AVERAGE,
        "measurement_period": "month",
        "rule_type": RuleType.THRESHOLD_STRETCH,
        "threshold_points": D(60),
        "calculation_method": "当月首次签约的客户数",
        "quality_conditions": "同一集团下属公司只计一次；需有首笔回款",
        "data_source": "CRM 客户台账",
    },
    {
        "code": "COLLECTION_RATE",
        "name": "回款率",
        "job_family": "sales",
        "unit": "%",
        "aggregation": Aggregation.AVERAGE,
        "rule_type": RuleType.LINEAR,
        "calculation_method": "当期回款 ÷ 当期应收",
        "data_source": "财务系统",
    },
    {
        "code": "CUST_SAT",
        "name": "客户满意度",
        "job_family": "sales",
        "unit": "分",
        "aggregation": Aggregation.AVERAGE,
        "measurement_period": "quarter",
        "rule_type": RuleType.BANDED,
        "bands": [[100, 100], [95, 90], [90, 80], [80, 60]],
        "data_source": "季度客户回访",
    },
    {
        "code": "OUTPUT",
        "name": "产量",
        "job_family": "production",
        "unit": "件",
        "aggregation": Aggregation.SUM,
        "rule_type": RuleType.LINEAR,
        "data_source": "MES 报工",
    },
    {
        "code": "PASS_RATE",
        "name": "产品合格率",
        "job_family": "production",
        "unit": "%",
        "aggregation": Aggregation.AVERAGE,
        "rule_type": RuleType.THRESHOLD_STRETCH,
        "threshold_points": D(60),
        "calculation_method": "一次检验合格数 ÷ 检验总数",
        "data_source": "质检记录",
    },
    {
        "code": "DEFECT_RATE",
        "name": "客户投诉不良率",
        "job_family": "production",
        "unit": "‰",
        "direction": Direction.LOWER,
        "aggregation": Aggregation.AVERAGE,
        "rule_type": RuleType.LINEAR,
        "data_source": "客诉系统",
    },
    {
        "code": "ON_TIME_DELIVERY",
        "name": "版本按期交付率",
        "job_family": "engineering",
        "unit": "%",
        "aggregation": Aggregation.AVERAGE,
        "measurement_period": "quarter",
        "rule_type": RuleType.BINARY,
    },
]


def current_quarter(today: dt.date) -> tuple[str, dt.date, dt.date]:
    quarter = (today.month - 1) // 3 + 1
    start = dt.date(today.year, 3 * quarter - 2, 1)
    end = (dt.date(today.year + (quarter == 4), (3 * quarter) % 12 + 1, 1)) - dt.timedelta(days=1)
    return f"{today.year} Q{quarter}", start, end


def _user(username: str) -> User:
    return User.objects.get(username=username)


def load(*, stdout: Any = None) -> None:
    hr = _user("hr")
    manager = _user("manager")
    people = {e.employee_number: e for e in Employee.objects.all()}
    departments = {d.code: d for d in Department.objects.all()}
    indicators = {spec["code"]: services.indicator_create(actor=hr, **spec) for spec in INDICATORS}

    # The quarter that held the day six weeks ago: at least a month and a half of it has
    # passed, so the demo always has actuals to show.
    name, start, end = current_quarter(timezone.localdate() - dt.timedelta(days=45))
    cycle = cycle_create(
        actor=hr,
        name=f"{name} 季度绩效",
        period_type="quarter",
        start_date=start,
        end_date=end,
        # The demo's complete 360 template when an earlier step made it.
        template=ReviewTemplate.objects.order_by("-pk").first()
        or review_template_default(actor=hr),
        grade_scale=grade_scale_default(actor=hr),
    )
    cycle_set_participants(actor=hr, cycle=cycle, department_ids=[departments["HQ"].pk])
    cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.PLANNING)

    company_sales = services.goal_create(
        actor=hr,
        cycle=cycle,
        owner_type=OwnerType.COMPANY,
        title="公司季度销售额 5,000,000 元",
        indicator=indicators["SALES_AMOUNT"],
        weight=D(60),
        target=D(5_000_000),
        threshold=D(4_000_000),
        stretch=D(6_000_000),
    )
    company_quality = services.goal_create(
        actor=hr,
        cycle=cycle,
        owner_type=OwnerType.COMPANY,
        title="产品合格率不低于 98.5%",
        indicator=indicators["PASS_RATE"],
        weight=D(40),
        target=D("98.5"),
        threshold=D("97"),
        stretch=D("99.5"),
    )
    sales_goal = services.goal_create(
        actor=hr,
        cycle=cycle,
        owner_type=OwnerType.DEPARTMENT,
        department=departments["SALES"],
        title="销售部季度销售额 5,000,000 元",
        indicator=indicators["SALES_AMOUNT"],
        weight=D(70),
        target=D(5_000_000),
        threshold=D(4_000_000),
        stretch=D(6_000_000),
        parent=company_sales,
    )
    customers_goal = services.goal_create(
        actor=hr,
        cycle=cycle,
        owner_type=OwnerType.DEPARTMENT,
        department=departments["SALES"],
        title="销售部新增客户 600 个",
        indicator=indicators["NEW_CUSTOMERS"],
        weight=D(30),
        target=D(600),
        threshold=D(450),
        stretch=D(750),
        aggregation=Aggregation.SUM,
    )
    output_goal = services.goal_create(
        actor=hr,
        cycle=cycle,
        owner_type=OwnerType.DEPARTMENT,
        department=departments["PROD"],
        title="生产部季度产量 120,000 件",
        indicator=indicators["OUTPUT"],
        weight=D(50),
        target=D(120_000),
    )
    quality_goal = services.goal_create(
        actor=hr,
        cycle=cycle,
        owner_type=OwnerType.DEPARTMENT,
        department=departments["PROD"],
        title="生产部产品合格率 98.5%",
        indicator=indicators["PASS_RATE"],
        weight=D(50),
        target=D("98.5"),
        threshold=D("97"),
        stretch=D("99.5"),
        parent=company_quality,
    )

    salespeople = list(
        Employee.objects.filter(department=departments["SALES"], job_family="sales").order_by(
            "employee_number"
        )
    )
    # The director gives every salesperson their share of the sales target ...
    services.indicator_assign(
        actor=manager,
        cycle=cycle,
        indicator=indicators["SALES_AMOUNT"],
        title="个人季度销售额",
        target=D(500_000),
        threshold=D(400_000),
        stretch=D(600_000),
        weight=D(60),
        assignees=salespeople,
        parent=sales_goal,
        overrides={
            "E013": {"target": D(600_000), "stretch": D(720_000)},
            "E020": {"target": D(400_000), "threshold": D(320_000)},
        },
    )
    # ... and "at least 20 new customers a month" to the whole team in one step.
    services.indicator_assign(
        actor=manager,
        cycle=cycle,
        indicator=indicators["NEW_CUSTOMERS"],
        title="每月新增客户不少于 20 个",
        target=D(20),
        threshold=D(15),
        stretch=D(25),
        weight=D(40),
        assignees=salespeople,
        parent=customers_goal,
    )
    for number in ("E010",):
        services.goal_create(
            actor=hr,
            cycle=cycle,
            owner_type=OwnerType.EMPLOYEE,
            employee=people[number],
            title="带领销售部完成季度销售额 5,000,000 元",
            indicator=indicators["SALES_AMOUNT"],
            weight=D(100),
            target=D(5_000_000),
            threshold=D(4_000_000),
            stretch=D(6_000_000),
            parent=sales_goal,
        )

    production = Employee.objects.filter(
        department=departments["PROD"], job_family="production"
    ).order_by("employee_number")
    for person in production:
        services.goal_create(
            actor=hr,
            cycle=cycle,
            owner_type=OwnerType.EMPLOYEE,
            employee=person,
            title="个人产量",
            indicator=indicators["OUTPUT"],
            weight=D(60),
            target=D(15_000),
            threshold=D(12_000),
            stretch=D(18_000),
            parent=output_goal,
        )
        services.goal_create(
            actor=hr,
            cycle=cycle,
            owner_type=OwnerType.EMPLOYEE,
            employee=person,
            title="个人产品合格率",
            indicator=indicators["PASS_RATE"],
            weight=D(40),
            target=D("98.5"),
            threshold=D("97"),
            stretch=D("99.5"),
            parent=quality_goal,
        )

    okr = services.goal_create(
        actor=hr,
        cycle=cycle,
        owner_type=OwnerType.EMPLOYEE,
        employee=people["E050"],
        kind=GoalKind.OKR,
        title="让销售团队在 CRM 中实时看到业绩进度",
        weight=D(70),
    )
    services.key_result_create(
        actor=hr, goal=okr, title="CRM 业绩看板上线", target=D(1), unit="个", weight=D(40)
    )
    services.key_result_create(
        actor=hr, goal=okr, title="销售日活跃使用率 80%", target=D(80), unit="%", weight=D(60)
    )
    release = services.goal_create(
        actor=hr,
        cycle=cycle,
        owner_type=OwnerType.EMPLOYEE,
        employee=people["E050"],
        kind=GoalKind.MILESTONE,
        title="季度版本按期发布",
        weight=D(30),
        due_date=end - dt.timedelta(days=10),
    )
    services.milestone_create(
        actor=hr, goal=release, title="需求冻结", due_date=start + dt.timedelta(days=20)
    )
    services.milestone_create(
        actor=hr, goal=release, title="测试完成", due_date=end - dt.timedelta(days=20)
    )

    # Agreement: most salespeople have acknowledged; the demo employee (E011) and one more
    # wait to acknowledge; production's goals wait for the manager's approval.
    for sheet in GoalSheet.objects.filter(cycle=cycle, employee__in=salespeople).select_related(
        "employee"
    ):
        services.sheet_propose(actor=manager, sheet=sheet)
        services.sheet_approve(actor=manager, sheet=sheet)
        if sheet.employee.employee_number not in {"E011", "E018"}:
            services.sheet_acknowledge(actor=sheet.employee.user, sheet=sheet)
    for sheet in GoalSheet.objects.filter(cycle=cycle, employee__in=production):
        services.sheet_propose(actor=hr, sheet=sheet)
    services.goal_comment_add(
        actor=manager,
        goal=Goal.objects.get(
            cycle=cycle, employee=people["E011"], indicator=indicators["NEW_CUSTOMERS"]
        ),
        body="新客户以首笔回款为准；月底前请在 CRM 中补全客户资料。",
    )
    if stdout is not None:
        stdout.write(
            f"  plan: cycle “{cycle.name}”, {Goal.objects.filter(cycle=cycle).count()} goals"
        )

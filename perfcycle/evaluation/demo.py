"""The demo's evaluation: a complete 360 template, and last quarter reviewed.

``load_templates`` runs before the plan step, so the open quarter is created with a
template that rates competencies (with behavioural anchors) and asks open questions.

``load`` takes the previous quarter through planning, three months of actuals, self-
reviews, 360 reviews and most managers' reviews: 周婷 is a harsh peer rater and 吴强 a
lenient one (both flagged on the reliability page), a few reviews are still open so the
progress page has something to chase, qualitative goals are scored by their managers with
written reasons, and HR stores the results — scores and grades for everyone.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal as D
from typing import Any

from django.utils import timezone

from perfcycle.accounts.models import User
from perfcycle.cycles.models import Cycle, Phase, ReviewTemplate
from perfcycle.cycles.services import (
    cycle_create,
    cycle_set_participants,
    cycle_transition,
    cycle_update,
    default_rating_labels,
    grade_scale_default,
    review_template_create,
)
from perfcycle.evaluation.assignment import assignment_generate
from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource
from perfcycle.evaluation.results import goal_score_override_set, scores_store
from perfcycle.evaluation.reviews import review_save, review_submit
from perfcycle.evaluation.templates import (
    template_anchors_set,
    template_competency_add,
    template_question_add,
)
from perfcycle.monitoring.actuals import actual_record
from perfcycle.monitoring.models import ActualSource, Competency
from perfcycle.monitoring.observations import competency_create
from perfcycle.org.models import Department, Employee
from perfcycle.planning import services as planning
from perfcycle.planning.demo import current_quarter
from perfcycle.planning.models import Goal, GoalKind, Indicator, OwnerType

TEMPLATE_NAME = "季度综合评估（360）"

# The competency library; the monitor step logs observations against these.
COMPETENCIES = [
    ("CUST_COMM", "客户沟通", "倾听客户、澄清需求、清楚地表达方案与价值。", "sales"),
    ("INNOVATION", "创新", "提出并落地新的方法，改进工作成果。", ""),
    ("PROBLEM_SOLVING", "解决问题", "面对困难找到原因与可行的办法。", ""),
    ("TEAMWORK", "团队协作", "主动分享信息，支持同事达成共同目标。", ""),
    ("QUALITY", "质量意识", "按标准作业，第一次就把事情做对。", "production"),
    ("OWNERSHIP", "责任心", "对结果负责，承诺的事按时按质完成。", ""),
]
# (competency, weight, anchors for 1..5)
TEMPLATE_ITEMS = [
    (
        "TEAMWORK",
        30,
        (
            "只顾自己的任务，拒绝配合，信息不共享。",
            "被要求时才配合，常常延误他人工作。",
            "按约定配合同事，及时共享工作所需信息。",
            "主动补位，帮助同事解决问题，推动跨部门协作。",
            "建立协作机制，带动整个团队共同达成目标。",
        ),
    ),
    (
        "PROBLEM_SOLVING",
        30,
        (
            "遇到问题只上报，不分析原因。",
            "能找出表面原因，办法常常治标不治本。",
            "能找到主要原因并提出可行办法。",
            "系统分析根因，方案有效并防止复发。",
            "解决复杂难题，方法被推广为团队标准。",
        ),
    ),
    (
        "OWNERSHIP",
        20,
        (
            "经常错过承诺，出了问题推给别人。",
            "偶尔错过承诺，需要反复提醒。",
            "按时按质完成承诺的工作。",
            "主动承担额外责任，提前预警风险。",
            "在困难局面下挺身而出，对团队结果负责。",
        ),
    ),
    (
        "INNOVATION",
        20,
        (
            "固守旧方法，抵触改变。",
            "接受别人提出的新方法。",
            "在自己的工作中提出改进点子。",
            "提出并落地改进，带来可见的效果。",
            "带来突破性的新方法，改变团队的做法。",
        ),
    ),
]
QUESTIONS = [
    ("本季度最突出的贡献是什么？请举一个具体事例。", [], True),
    ("下季度最需要改进或发展的一点是什么？", [], True),
    ("对被评价人的上级：你最希望他/她在管理上保持或改变什么？", [ReviewSource.REPORT], False),
]

# How well each person really did last quarter (the "true" rating the reviews scatter
# around), and sales / new customers per month for the salespeople.
PERFORMANCE = {
    "E001": 4.2, "E002": 3.9, "E003": 3.4, "E010": 4.0, "E011": 2.9, "E012": 3.6,
    "E013": 4.6, "E014": 3.1, "E015": 3.5, "E016": 3.7, "E017": 3.9, "E018": 2.6,
    "E019": 3.3, "E020": 3.0, "E030": 3.8, "E031": 3.6, "E032": 3.9, "E033": 3.2,
    "E034": 2.8, "E035": 3.7, "E036": 3.0, "E037": 4.1, "E038": 3.5, "E050": 4.3,
    "E051": 4.4, "E052": 3.6, "E053": 3.2, "E054": 3.9, "E055": 3.0, "E056": 3.5,
}  # fmt: skip
SALES = {
    "E011": (128_000, 139_000, 141_000),
    "E012": (168_000, 172_000, 169_000),
    "E013": (226_000, 241_000, 238_000),
    "E014": (141_000, 150_000, 146_000),
    "E015": (160_000, 158_000, 171_000),
    "E016": (172_000, 166_000, 181_000),
    "E017": (181_000, 176_000, 190_000),
    "E018": (102_000, 118_000, 121_000),
    "E019": (151_000, 157_000, 149_000),
    "E020": (121_000, 128_000, 139_000),
}
NEW_CUSTOMERS = {
    "E011": (16, 17, 18),
    "E012": (21, 22, 20),
    "E013": (27, 25, 28),
    "E014": (17, 18, 19),
    "E015": (20, 19, 21),
    "E016": (22, 21, 23),
    "E017": (23, 22, 24),
    "E018": (13, 15, 16),
    "E019": (19, 20, 18),
    "E020": (16, 17, 19),
}
HARSH, LENIENT = "E015", "E016"
# Reviews left open: self-reviews not written, managers' reviews still to do.
SELF_NOT_DONE = {"E018", "E036"}
MANAGER_NOT_DONE = {"E019", "E055"}
QUALITATIVE_REASON = "按季度重点工作计划逐项核对完成情况评定（见季度工作总结）。"


def _user(username: str) -> User:
    return User.objects.get(username=username)


def sales_goals(
    *,
    cycle: Cycle,
    hr: User,
    manager: User,
    people: dict[str, Employee],
    indicators: dict[str, Indicator],
) -> Goal:
    """A past quarter's sales goals: every salesperson's sales amount and new customers
    (20 a month) assigned in one step each, and the director's quarterly sales goal,
    which is returned."""
    salespeople = [people[n] for n in sorted(SALES)]
    planning.indicator_assign(
        actor=manager,
        cycle=cycle,
        indicator=indicators["SALES_AMOUNT"],
        title="个人季度销售额",
        target=D(500_000),
        threshold=D(400_000),
        stretch=D(600_000),
        weight=D(60),
        assignees=salespeople,
    )
    planning.indicator_assign(
        actor=manager,
        cycle=cycle,
        indicator=indicators["NEW_CUSTOMERS"],
        title="每月新增客户不少于 20 个",
        target=D(20),
        threshold=D(15),
        stretch=D(25),
        weight=D(40),
        assignees=salespeople,
    )
    return planning.goal_create(
        actor=hr,
        cycle=cycle,
        owner_type=OwnerType.EMPLOYEE,
        employee=people["E010"],
        title="带领销售部完成季度销售额 5,000,000 元",
        indicator=indicators["SALES_AMOUNT"],
        weight=D(100),
        target=D(5_000_000),
        threshold=D(4_000_000),
        stretch=D(6_000_000),
    )


def load_templates(*, stdout: Any = None) -> None:
    hr = _user("hr")
    existing = set(Competency.objects.values_list("code", flat=True))
    for code, name, description, family in COMPETENCIES:
        if code not in existing:
            competency_create(
                actor=hr, code=code, name=name, description=description, job_family=family
            )
    competencies = {c.code: c for c in Competency.objects.all()}
    template = review_template_create(
        actor=hr,
        name=TEMPLATE_NAME,
        description="目标 70%，能力 30%；能力由上级 60%、同事 20%、本人 10%、下属 10% 评价。",
        rating_min=1,
        rating_max=5,
        rating_labels=default_rating_labels(1, 5),
        goals_weight=70,
        competencies_weight=30,
        self_weight=10,
        manager_weight=60,
        peer_weight=20,
        report_weight=10,
        skip_weight=0,
        peer_min=3,
        peer_max=5,
        anonymity_min=3,
    )
    for code, weight, anchors in TEMPLATE_ITEMS:
        item = template_competency_add(
            actor=hr, template=template, competency=competencies[code], weight=weight
        )
        template_anchors_set(actor=hr, item=item, anchors=dict(enumerate(anchors, start=1)))
    for text, sources, required in QUESTIONS:
        template_question_add(
            actor=hr, template=template, text=text, sources=sources, required=required
        )


def demo_template() -> ReviewTemplate | None:
    return ReviewTemplate.objects.filter(name=TEMPLATE_NAME).first()


def _rating(rng: random.Random, true: float, reviewer: str, source: str) -> int:
    if reviewer == HARSH and source == ReviewSource.PEER:
        return rng.choice((1, 2, 2))
    if reviewer == LENIENT and source == ReviewSource.PEER:
        return 5
    value = true + rng.uniform(-0.6, 0.6)
    if source == ReviewSource.SELF:
        value += 0.5  # people see themselves a little kinder
    return max(1, min(5, round(value)))


def _fill(
    rng: random.Random, form: ReviewForm, items: list[Any], questions: list[Any], submit: bool
) -> None:
    reviewer = form.reviewer
    actor = reviewer.user
    true = PERFORMANCE.get(form.reviewee.employee_number, 3.5)
    ratings = {item.pk: _rating(rng, true, reviewer.employee_number, form.source) for item in items}
    answers = {
        q.pk: (
            "季度内主动承担了重点客户的跟进，推动问题闭环。"
            if n == 0
            else "需要在计划性和复盘上更系统一些。"
        )
        for n, q in enumerate(questions)
        if not q.sources or form.source in q.sources
    }
    form = review_save(
        actor=actor,
        form=form,
        expected_version=form.version,
        ratings=ratings,
        answers=answers,
        summary="总体符合期望，详见各项评价。" if form.source == ReviewSource.MANAGER else "",
    )
    if submit:
        review_submit(actor=actor, form=form, expected_version=form.version)


def _fill_phase(
    rng: random.Random, cycle: Cycle, sources: list[str], skip: set[tuple[str, str]]
) -> None:
    template = cycle.template
    items = list(template.competencies.order_by("position", "id"))
    questions = list(template.questions.order_by("position", "id"))
    forms = (
        ReviewForm.objects.filter(cycle=cycle, source__in=sources)
        .exclude(status__in=[FormStatus.NOMINATED, FormStatus.DECLINED])
        .select_related("cycle__template", "reviewer__user", "reviewee")
        .order_by("id")
    )
    for form in forms:
        if form.reviewer.user is None:
            continue
        key = (form.reviewee.employee_number, form.source)
        _fill(rng, form, items, questions, submit=key not in skip)


def load(*, stdout: Any = None) -> None:
    hr = _user("hr")
    manager = _user("manager")
    template = demo_template()
    if template is None:  # a database whose plan step ran before templates existed
        load_templates(stdout=stdout)
        template = demo_template()
    assert template is not None
    rng = random.Random(2026)
    today = timezone.localdate()
    current = Cycle.objects.filter(phase=Phase.IN_PROGRESS).order_by("-start_date").first()
    before = (current.start_date if current else today.replace(day=1)) - dt.timedelta(days=1)
    name, start, end = current_quarter(before)
    later = today + dt.timedelta(days=30)
    cycle = cycle_create(
        actor=hr,
        name=f"{name} 季度绩效",
        period_type="quarter",
        start_date=start,
        end_date=end,
        template=template,
        grade_scale=grade_scale_default(actor=hr),
        # Open while the demo fills the reviews in; the real deadlines are set at the end.
        deadlines={
            Phase.PLANNING: start + dt.timedelta(days=10),
            Phase.IN_PROGRESS: end,
            Phase.SELF_REVIEW: later,
            Phase.REVIEW_360: later,
            Phase.MANAGER_REVIEW: later,
            Phase.CALIBRATION: later + dt.timedelta(days=7),
            Phase.RESULTS: later + dt.timedelta(days=14),
        },
    )
    departments = {d.code: d for d in Department.objects.all()}
    cycle_set_participants(actor=hr, cycle=cycle, department_ids=[departments["HQ"].pk])
    cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.PLANNING)
    people = {e.employee_number: e for e in Employee.objects.select_related("user")}
    indicators = {i.code: i for i in Indicator.objects.all()}

    sales_goals(cycle=cycle, hr=hr, manager=manager, people=people, indicators=indicators)
    production = [
        e for n, e in sorted(people.items()) if e.job_family == "production" and e.is_active
    ]
    for person in production:
        planning.goal_create(
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
        )
        planning.goal_create(
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
        )
    with_goals = set(
        Goal.objects.filter(cycle=cycle, owner_type=OwnerType.EMPLOYEE).values_list(
            "employee__employee_number", flat=True
        )
    )
    qualitative: list[Goal] = []
    releases: list[Goal] = []
    participants = cycle.participants.select_related("employee").order_by(
        "employee__employee_number"
    )
    for participant in participants:
        person = participant.employee
        number = person.employee_number
        if number in with_goals:
            continue
        if number.startswith("E05") and number != "E050":
            releases.append(
                planning.goal_create(
                    actor=hr,
                    cycle=cycle,
                    owner_type=OwnerType.EMPLOYEE,
                    employee=person,
                    kind=GoalKind.MILESTONE,
                    title="负责模块按版本计划发布",
                    weight=D(50),
                    due_date=end - dt.timedelta(days=7),
                )
            )
        qualitative.append(
            planning.goal_create(
                actor=hr,
                cycle=cycle,
                owner_type=OwnerType.EMPLOYEE,
                employee=person,
                kind=GoalKind.QUALITATIVE,
                title="完成季度重点工作计划",
                weight=D(50) if releases and releases[-1].employee_id == person.pk else D(100),
            )
        )

    cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.IN_PROGRESS)
    months = [f"{start:%Y-%m}", f"{start.replace(month=start.month + 1):%Y-%m}", f"{end:%Y-%m}"]
    goals = {
        (g.employee.employee_number, g.indicator.code): g
        for g in Goal.objects.filter(cycle=cycle, indicator__isnull=False).select_related(
            "employee", "indicator"
        )
    }
    for number in SALES:
        for n, month in enumerate(months):
            for code, values in (("SALES_AMOUNT", SALES), ("NEW_CUSTOMERS", NEW_CUSTOMERS)):
                actual_record(
                    actor=hr,
                    goal=goals[(number, code)],
                    period=month,
                    value=values[number][n],
                    source=ActualSource.IMPORTED,
                    note="CRM",
                )
    for n, month in enumerate(months):
        actual_record(
            actor=hr,
            goal=goals[("E010", "SALES_AMOUNT")],
            period=month,
            value=sum(values[n] for values in SALES.values()),
            source=ActualSource.IMPORTED,
            note="CRM",
        )
    for person in production:
        number = person.employee_number
        level = PERFORMANCE.get(number, 3.5)
        for month in months:
            actual_record(
                actor=hr,
                goal=goals[(number, "OUTPUT")],
                period=month,
                value=int(3_900 + 350 * level + rng.randint(-120, 120)),
                source=ActualSource.API,
            )
            actual_record(
                actor=hr,
                goal=goals[(number, "PASS_RATE")],
                period=month,
                value=D("97.2") + D(str(round(level * 0.35, 2))) + D(rng.randint(-10, 10)) / 100,
                source=ActualSource.API,
            )
    now = timezone.now()
    for goal in releases:
        Goal.objects.filter(pk=goal.pk).update(
            done_at=min(now, timezone.make_aware(dt.datetime.combine(goal.due_date, dt.time(17))))
            if goal.employee.employee_number != "E055"
            else now
        )

    cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.SELF_REVIEW)
    cycle.refresh_from_db()
    assignment_generate(actor=hr, cycle=cycle, peers_per_person=3, include_upward=True)
    _fill_phase(rng, cycle, [ReviewSource.SELF], {(n, ReviewSource.SELF) for n in SELF_NOT_DONE})
    cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.REVIEW_360)
    cycle.refresh_from_db()
    _fill_phase(rng, cycle, [ReviewSource.PEER, ReviewSource.REPORT, ReviewSource.SKIP], set())
    cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.MANAGER_REVIEW)
    cycle.refresh_from_db()
    _fill_phase(
        rng, cycle, [ReviewSource.MANAGER], {(n, ReviewSource.MANAGER) for n in MANAGER_NOT_DONE}
    )
    for goal in Goal.objects.filter(cycle=cycle, kind=GoalKind.QUALITATIVE).select_related(
        "employee__manager__user", "cycle"
    ):
        boss = goal.employee.manager
        actor = boss.user if boss is not None and boss.user is not None else hr
        level = PERFORMANCE.get(goal.employee.employee_number, 3.5)
        goal_score_override_set(
            actor=actor,
            goal=goal,
            points=D(str(round(55 + level * 11))),
            reason=QUALITATIVE_REASON,
        )
    cycle_update(
        actor=hr,
        cycle=cycle,
        deadlines={
            Phase.SELF_REVIEW: today - dt.timedelta(days=24),
            Phase.REVIEW_360: today - dt.timedelta(days=12),
            Phase.MANAGER_REVIEW: today + dt.timedelta(days=4),
            Phase.CALIBRATION: today + dt.timedelta(days=14),
            Phase.RESULTS: today + dt.timedelta(days=21),
        },
    )
    cycle.refresh_from_db()
    report = scores_store(actor=hr, cycle=cycle)
    if stdout is not None:
        stdout.write(
            f"  evaluate: {cycle.name} in manager review, "
            f"{ReviewForm.objects.filter(cycle=cycle, status=FormStatus.SUBMITTED).count()} "
            f"reviews submitted, {report.created} results stored.\n"
        )

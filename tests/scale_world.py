"""A whole cycle's worth of rows for a manager's team, built set-based so that a team of
1,000 takes seconds: the query-count tests render every list page at two team sizes.

``world = build_world(company)`` makes the things there is one of (cycle, template,
session, bonus plan, rounds, retrospective); ``grow(world, n)`` gives the manager a team
(direct and indirect reports) of ``n`` with their goals, actuals, check-ins,
observations, review forms and ratings, scores, results, talks, appeals, bonus lines,
pay, proposals, improvement plans, retrospective answers, notifications and audit events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal as D

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from conftest import Company
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import AuditEntry, audit_record_many
from perfcycle.calibration.models import (
    Appeal,
    CalibrationSession,
    CalibrationSettings,
    FeedbackTalk,
    Result,
    SessionMember,
)
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.cycles.services import grade_scale_default, review_template_default
from perfcycle.evaluation.models import Rating, ReviewForm, ScoreResult, TemplateCompetency
from perfcycle.improvement.models import ImprovementPlan, PlanGoal
from perfcycle.monitoring.models import (
    ActionItem,
    Actual,
    CheckIn,
    Competency,
    Course,
    Feedback,
    Observation,
    TrainingAssignment,
)
from perfcycle.notifications.models import Notification
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal, GoalSheet, Indicator
from perfcycle.proposals.models import Proposal, ProposalRound
from perfcycle.retrospective.models import RetroResponse, RetroSettings, TargetProposal
from perfcycle.rewards.models import BonusLine, BonusPlan, Compensation, PlanDepartment
from tests.factories import CycleFactory, DepartmentFactory, EmployeeFactory

GRADES = ("S", "A", "B", "C", "D")


@dataclass
class World:
    company: object
    cycle: Cycle
    items: list[TemplateCompetency]
    competency: Competency
    indicator: Indicator
    course: Course
    session: CalibrationSession
    plan: BonusPlan
    round: ProposalRound
    current: Cycle
    people: list[Employee] = field(default_factory=list)

    def team_size(self) -> int:
        return Employee.objects.filter(path__startswith=self.company.manager.path).count() - 1


def make_company() -> Company:
    """The named test company of conftest.py, made outside a function-scoped fixture so a
    module can build it once."""
    root = DepartmentFactory(code="ROOT", name="Company")
    sales = DepartmentFactory(code="SALES", name="Sales", parent=root)
    other = DepartmentFactory(code="OTHER", name="Other", parent=root)
    top = EmployeeFactory(employee_number="C001", name="Top", department=root, login="top")
    hr_person = EmployeeFactory(
        employee_number="C002",
        name="Hilda HR",
        manager=top,
        department=root,
        login="hr",
        login__is_hr_admin=True,
    )
    manager = EmployeeFactory(
        employee_number="C010", name="Mia Manager", manager=top, department=sales, login="manager"
    )
    direct = EmployeeFactory(
        employee_number="C011", name="Dan Direct", manager=manager, department=sales, login="direct"
    )
    indirect = EmployeeFactory(
        employee_number="C012", name="Ivy Indirect", manager=direct, department=sales
    )
    stranger = EmployeeFactory(
        employee_number="C020", name="Sam Stranger", manager=top, department=other
    )
    return Company(root, sales, other, top, hr_person, manager, direct, indirect, stranger)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def build_world(company: object) -> World:
    """The cycle (in its results phase, released) and the one-of-a-kind rows around it."""
    hr = company.hr
    scale = grade_scale_default()
    template = review_template_default()
    comms = Competency.objects.create(code="COMM", name="Communication")
    team = Competency.objects.create(code="TEAM", name="Teamwork")
    items = [
        TemplateCompetency.objects.create(template=template, competency=comms, weight=D(60)),
        TemplateCompetency.objects.create(
            template=template, competency=team, weight=D(40), position=1
        ),
    ]
    cycle = CycleFactory(name="2026 Q1", phase="results")
    Cycle.objects.filter(pk=cycle.pk).update(
        template=template, grade_scale=scale, opened_at=_at(cycle.start_date)
    )
    cycle.refresh_from_db()
    CalibrationSettings.objects.create(cycle=cycle)
    indicator = Indicator.objects.create(code="REV", name="Revenue", job_family="sales")
    course = Course.objects.create(code="NEG", title="Negotiation")
    session = CalibrationSession.objects.create(
        cycle=cycle, name="Sales", scope="department", department=company.sales, created_by=hr
    )
    plan = BonusPlan.objects.create(
        cycle=cycle,
        name="Bonus",
        method="target",
        budget=D("1000000"),
        status="computed",
        computed_at=timezone.now(),
        created_by=hr,
    )
    PlanDepartment.objects.create(plan=plan, department=company.sales)
    round_ = ProposalRound.objects.create(
        cycle=cycle, kind="salary_review", name="Raises", min_grade="B", created_by=hr
    )
    RetroSettings.objects.create(
        cycle=cycle,
        opened_at=timezone.now(),
        closes_on=timezone.localdate() + dt.timedelta(days=10),
        opened_by=hr,
    )
    TargetProposal.objects.create(
        cycle=cycle,
        indicator=indicator,
        current_target=D(20),
        proposed_target=D(22),
        reasoning="Most beat it.",
    )
    current = CycleFactory(
        name="2026 Q2",
        phase="in_progress",
        start_date=timezone.localdate() - dt.timedelta(days=30),
        end_date=timezone.localdate() + dt.timedelta(days=60),
    )
    Cycle.objects.filter(pk=current.pk).update(
        template=template, grade_scale=scale, opened_at=timezone.now()
    )
    current.refresh_from_db()
    world = World(company, cycle, items, comms, indicator, course, session, plan, round_, current)
    base = [company.manager, company.direct, company.indirect]
    _populate(world, base)
    return world


def _new_people(world: World, count: int) -> list[Employee]:
    """``count`` new people under the manager: every tenth a direct report (a lead), the
    rest reporting to the latest lead, so the team has direct and indirect reports."""
    company = world.company
    sales = company.sales
    leads_needed = max(1, count // 10)
    leads = Employee.objects.bulk_create(
        EmployeeFactory.build_batch(
            leads_needed, manager=company.manager, department=sales, status="active"
        )
    )
    Employee.objects.filter(pk__in=[e.pk for e in leads]).update(
        path=Concat(Value(company.manager.path), Cast(F("pk"), CharField()), Value("/"))
    )
    others: list[Employee] = []
    rest = count - leads_needed
    for index, lead in enumerate(leads):
        share = rest // leads_needed + (1 if index < rest % leads_needed else 0)
        if not share:
            continue
        batch = Employee.objects.bulk_create(
            EmployeeFactory.build_batch(share, manager=lead, department=sales, status="active")
        )
        lead_path = f"{company.manager.path}{lead.pk}/"
        Employee.objects.filter(pk__in=[e.pk for e in batch]).update(
            path=Concat(Value(lead_path), Cast(F("pk"), CharField()), Value("/"))
        )
        others.extend(batch)
    return list(Employee.objects.filter(pk__in=[e.pk for e in leads + others]).order_by("pk"))


def grow(world: World, total: int) -> None:
    """Make the manager's team ``total`` people (direct and indirect), each with rows."""
    have = world.team_size()
    if total > have:
        _populate(world, _new_people(world, total - have))
    assert world.team_size() == total


def _populate(world: World, people: list[Employee]) -> None:
    company, cycle = world.company, world.cycle
    hr, manager_user = company.hr, company.user("manager")
    start, end = cycle.start_date, cycle.end_date
    now = timezone.now()
    CycleParticipant.objects.bulk_create(
        [
            CycleParticipant(
                cycle=cycle, employee=e, department_id=e.department_id, manager_id=e.manager_id
            )
            for e in people
        ],
        ignore_conflicts=True,
    )
    CycleParticipant.objects.bulk_create(
        [
            CycleParticipant(
                cycle=world.current,
                employee=e,
                department_id=e.department_id,
                manager_id=e.manager_id,
            )
            for e in people
        ],
        ignore_conflicts=True,
    )
    sheets = GoalSheet.objects.bulk_create(
        [
            GoalSheet(cycle=c, employee=e, status="acknowledged", acknowledged_at=now)
            for c in (cycle, world.current)
            for e in people
        ]
    )
    goals = Goal.objects.bulk_create(
        [
            Goal(
                cycle_id=sheet.cycle_id,
                owner_type="employee",
                employee_id=sheet.employee_id,
                sheet=sheet,
                title=f"Goal {n}",
                kind="kpi",
                weight=D(50),
                target=D(20),
                indicator=world.indicator if n == 0 else None,
                created_by=hr,
            )
            for sheet in sheets
            for n in range(2)
        ]
    )
    month_start = world.current.start_date.replace(day=1)
    Actual.objects.bulk_create(
        [
            Actual(
                goal=goal,
                period=f"{month_start:%Y-%m}"
                if goal.cycle_id == world.current.pk
                else f"2026-{month:02d}",
                period_start=month_start
                if goal.cycle_id == world.current.pk
                else dt.date(2026, month, 1),
                value=D(5 + month),
                source="typed",
                entered_by=hr,
                entered_at=now,
            )
            for goal in goals
            for month in ((1,) if goal.cycle_id == world.current.pk else (1, 2))
        ]
    )
    soon = timezone.now() + dt.timedelta(days=3)
    checkins = CheckIn.objects.bulk_create(
        [
            CheckIn(
                cycle=cycle,
                employee=e,
                manager_id=e.manager_id or company.top.pk,
                scheduled_for=_at(start + dt.timedelta(days=30)),
                status="done",
                held_at=_at(start + dt.timedelta(days=30)),
                requested_by=manager_user,
            )
            for e in people
        ]
        + [
            CheckIn(
                cycle=world.current,
                employee=e,
                manager_id=e.manager_id or company.top.pk,
                scheduled_for=soon,
                status="scheduled",
                requested_by=manager_user,
            )
            for e in people
        ]
    )
    ActionItem.objects.bulk_create(
        [
            ActionItem(employee_id=c.employee_id, checkin=c, owner_id=c.employee_id, text="Do it")
            for c in checkins
        ]
    )
    observations = Observation.objects.bulk_create(
        [
            Observation(
                employee=e,
                cycle=cycle,
                author=manager_user,
                occurred_on=start + dt.timedelta(days=20),
                kind="positive",
                text="Closed a big deal.",
                competency=world.competency,
                visibility="shared",
            )
            for e in people
        ]
    )
    Feedback.objects.bulk_create(
        [
            Feedback(
                giver=company.manager,
                receiver=e,
                kind="praise",
                text="Thanks!",
                visibility="public",
            )
            for e in people
            if e.pk != company.manager.pk
        ]
    )
    TrainingAssignment.objects.bulk_create(
        [
            TrainingAssignment(
                employee_id=o.employee_id, course=world.course, recommended_by=hr, observation=o
            )
            for o in observations
        ]
    )
    # Review forms: self, manager and one peer (the previous person), all submitted.
    forms: list[ReviewForm] = []
    previous = world.people[-1] if world.people else company.stranger
    for e in people:
        forms.append(ReviewForm(cycle=cycle, reviewee=e, reviewer=e, source="self"))
        if e.manager_id:
            forms.append(
                ReviewForm(cycle=cycle, reviewee=e, reviewer_id=e.manager_id, source="manager")
            )
        forms.append(ReviewForm(cycle=cycle, reviewee=e, reviewer=previous, source="peer"))
        previous = e
    for form in forms:
        form.status, form.submitted_at = "submitted", _at(end)
    forms = ReviewForm.objects.bulk_create(forms)
    Rating.objects.bulk_create(
        [
            Rating(form=form, item=item, value=1 + (form.pk + item.pk) % 5)
            for form in forms
            for item in world.items
        ]
    )
    ScoreResult.objects.bulk_create(
        [
            ScoreResult(
                cycle=cycle,
                employee=e,
                goals_score=D(80),
                competencies_score=D(70),
                overall_score=D(60 + e.pk % 40),
                grade=GRADES[e.pk % 5],
                complete=True,
                computed_at=now,
                computed_by=hr,
            )
            for e in people
        ]
    )
    results = Result.objects.bulk_create(
        [
            Result(
                cycle=cycle,
                employee=e,
                department_id=e.department_id,
                computed_score=D(60 + e.pk % 40),
                computed_grade=GRADES[e.pk % 5],
                score=D(60 + e.pk % 40),
                grade=GRADES[e.pk % 5],
                potential="medium",
                released_at=now,
                released_by=hr,
            )
            for e in people
        ]
    )
    SessionMember.objects.bulk_create(
        [SessionMember(session=world.session, result=r) for r in results]
    )
    by_pk = {e.pk: e for e in people}
    FeedbackTalk.objects.bulk_create(
        [
            FeedbackTalk(
                result=r,
                manager_id=by_pk[r.employee_id].manager_id,
                held_on=end + dt.timedelta(days=10),
                strengths="Drive",
                improvements="Focus",
                next_steps="Lead a project",
                recorded_by=manager_user,
            )
            for r in results
            if by_pk[r.employee_id].manager_id
        ]
    )
    Appeal.objects.bulk_create(
        [
            Appeal(result=r, reason="My numbers were higher.", talk_held=True, due_on=end)
            for r in results[-2:]
        ]
    )
    Compensation.objects.bulk_create(
        [
            Compensation(
                employee=e, base_monthly=D(20000), target_bonus_months=D(2), currency="CNY"
            )
            for e in people
        ]
    )
    BonusLine.objects.bulk_create(
        [
            BonusLine(
                plan=world.plan,
                employee=e,
                department_id=e.department_id,
                grade=GRADES[e.pk % 5],
                base=D(20000),
                target=D(40000),
                grade_coefficient=D(1),
                department_coefficient=D(1),
                raw_amount=D(40000),
                scale_factor=D(1),
                amount=D(40000),
                final_amount=D(40000),
            )
            for e in people
        ]
    )
    Proposal.objects.bulk_create(
        [
            Proposal(
                round=world.round,
                employee=e,
                nominated_by_id=e.manager_id,
                justification="Strong year.",
                current_base=D(20000),
                increase_pct=D(5),
                proposed_base=D(21000),
            )
            for e in people[::5]
        ]
    )
    plans = ImprovementPlan.objects.bulk_create(
        [
            ImprovementPlan(
                cycle=cycle,
                employee=r.employee,
                manager_id=r.employee.manager_id,
                result=r,
                status="active",
                reason="Grade D",
                start_date=end,
                end_date=end + dt.timedelta(days=60),
                created_by=hr,
            )
            for r in results[::10]
        ]
    )
    PlanGoal.objects.bulk_create([PlanGoal(plan=p, description="Hit target") for p in plans])
    RetroResponse.objects.bulk_create(
        [
            RetroResponse(
                cycle=cycle,
                employee=e,
                clarity=1 + e.pk % 5,
                fairness=1 + (e.pk + 1) % 5,
                coaching=1 + (e.pk + 2) % 5,
                comment="Fine",
                submitted_at=now,
            )
            for e in people
        ]
    )
    Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind="review_due",
                title=f"Review {e.name}",
                url="/evaluate/reviews/",
                dedupe_key=f"scale:{user.pk}:{e.pk}",
            )
            for e in people
            for user in (hr, manager_user)
        ]
    )
    audit_record_many(
        actor=hr,
        entries=[
            AuditEntry(
                action=AuditAction.UPDATE,
                instance=e,
                before={"job_title": "Engineer"},
                after={"job_title": "Senior engineer"},
            )
            for e in people
        ],
    )
    world.people.extend(people)

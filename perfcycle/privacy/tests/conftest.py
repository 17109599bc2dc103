"""A person with something in every stage: Dan Direct (login "direct") in the named
company, reviewed in a released cycle (Q1: self, manager, three peers) and in one still
being calibrated (Q2: nothing of it may reach him yet)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from perfcycle.accounts.models import ApiToken, hash_token
from perfcycle.calibration.models import (
    Adjustment,
    Appeal,
    AppealAttachment,
    FeedbackTalk,
    Result,
)
from perfcycle.cycles.models import Cycle, ReviewTemplate
from perfcycle.evaluation.models import (
    Answer,
    FormStatus,
    GoalScoreOverride,
    Rating,
    ReviewForm,
    ScoreResult,
    TemplateCompetency,
    TemplateQuestion,
)
from perfcycle.improvement.models import (
    ImprovementPlan,
    PlanGoal,
    PlanReview,
    PlanSupport,
    PlanTraining,
)
from perfcycle.monitoring.models import (
    ActionItem,
    Actual,
    AgendaItem,
    CheckIn,
    Competency,
    Course,
    Feedback,
    GoalCheckIn,
    Observation,
    TrainingAssignment,
)
from perfcycle.notifications.models import Notification
from perfcycle.org.models import Employee
from perfcycle.org.services import employee_update
from perfcycle.planning.models import Acknowledgement, Goal, GoalComment, KeyResult, Milestone
from perfcycle.proposals.models import Proposal, ProposalRound
from perfcycle.retrospective.models import GoalVerdict, RetroResponse
from perfcycle.rewards.models import BonusLine, BonusPlan, Compensation, MotivationProfile
from tests.factories import CycleFactory, EmployeeFactory, GoalFactory

RELEASED_AT = timezone.make_aware(dt.datetime(2026, 4, 10, 9, 0))


@dataclass
class World:
    company: object
    person: Employee
    peers: list[Employee]
    q1: Cycle
    q2: Cycle
    goals: list[Goal]
    result_q1: Result
    result_q2: Result
    talk: FeedbackTalk
    appeal: Appeal


def _form(cycle, reviewee, reviewer, source, item, question, value, comment, answer):
    form = ReviewForm.objects.create(
        cycle=cycle,
        reviewee=reviewee,
        reviewer=reviewer,
        source=source,
        status=FormStatus.SUBMITTED,
        submitted_at=timezone.now(),
        summary=f"{comment} (summary)",
    )
    Rating.objects.create(form=form, item=item, value=value, comment=comment)
    Answer.objects.create(form=form, question=question, text=answer)
    return form


def add_goals(world: World, n: int) -> list[Goal]:
    """``n`` more goals for the person in Q1, each with an actual and a key result."""
    goals = []
    for i in range(n):
        goal = GoalFactory(cycle=world.q1, employee=world.person, title=f"Extra goal {i}")
        Actual.objects.create(
            goal=goal,
            period="2026-01",
            period_start=dt.date(2026, 1, 1),
            value=D(i + 1),
            source="typed",
            entered_at=timezone.now(),
        )
        KeyResult.objects.create(goal=goal, title=f"Extra KR {i}", target=D(10))
        goals.append(goal)
    return goals


@pytest.fixture
def world(company, settings) -> World:
    settings.PERFCYCLE_COLLEAGUE_OBSERVATIONS = False
    person, manager = company.direct, company.manager
    hr = company.hr
    peers = [
        EmployeeFactory(
            employee_number=number,
            name=name,
            email=f"{login}@peers.example.com",
            manager=manager,
            department=company.sales,
            login=login,
        )
        for number, name, login in (
            ("P901", "Petra Peerwise", "petrapw"),
            ("P902", "Paulo Peerkin", "paulopk"),
            ("P903", "Pia Peerlane", "piapl"),
        )
    ]
    template = ReviewTemplate.objects.create(name="Standard", anonymity_min=3)
    competency = Competency.objects.create(code="COMM", name="Communication")
    item = TemplateCompetency.objects.create(template=template, competency=competency, weight=100)
    question = TemplateQuestion.objects.create(template=template, text="What went well?")
    people = [person, manager, company.indirect, company.stranger, *peers]
    q1 = CycleFactory(name="2026 Q1", phase="results", template=template, participants=people)
    q2 = CycleFactory(
        name="2026 Q2",
        phase="calibration",
        template=template,
        participants=people,
        start_date=dt.date(2026, 4, 1),
        end_date=dt.date(2026, 6, 30),
    )
    # Goals, actuals, key results, milestones, comments.
    goals = [
        GoalFactory(cycle=q1, employee=person, title="Win 20 new customers", target=20),
        GoalFactory(cycle=q1, employee=person, title="Cut response time", target=4),
    ]
    for goal in goals:
        Actual.objects.create(
            goal=goal,
            period="2026-01",
            period_start=dt.date(2026, 1, 1),
            value=D("7.5"),
            note='=HYPERLINK("http://x")',
            source="typed",
            entered_by=person.user,
            entered_at=timezone.now(),
        )
        KeyResult.objects.create(goal=goal, title=f"KR of {goal.title}", target=D(10))
        Milestone.objects.create(goal=goal, title="Call the list", due_date=dt.date(2026, 2, 1))
        GoalComment.objects.create(goal=goal, author=manager.user, body="Good start on this.")
    Goal.objects.filter(pk=goals[0].pk).update(description="My own plan for the quarter")
    sheet = goals[0].sheet
    Acknowledgement.objects.create(
        sheet=sheet,
        acknowledged_at=timezone.now(),
        acknowledged_by=person.user,
        sheet_version=sheet.version,
        snapshot={"goals": [{"title": goals[0].title}]},
    )
    GoalScoreOverride.objects.create(
        goal=goals[1], points=D("95.00"), reason="The CRM lost two weeks of data", by=manager.user
    )
    ApiToken.objects.create(
        user=person.user, name="My spreadsheet", prefix="pc_abcd", digest=hash_token("pc_abcd")
    )
    # Coaching.
    checkin = CheckIn.objects.create(
        cycle=q1,
        employee=person,
        manager=manager,
        scheduled_for=timezone.now(),
        requested_by=person.user,
        shared_notes="Shared: Dan is worried about his visa",
        private_notes="Private: consider for team lead",
    )
    AgendaItem.objects.create(checkin=checkin, author=person.user, text="My family move")
    GoalCheckIn.objects.create(checkin=checkin, goal=goals[0], comment="On track", confidence=7)
    ActionItem.objects.create(employee=person, checkin=checkin, owner=person, text="Read the book")
    Observation.objects.create(
        employee=person,
        cycle=q1,
        author=manager.user,
        occurred_on=dt.date(2026, 2, 3),
        kind="positive",
        text="Calmed an angry customer on the phone",
        competency=competency,
    )
    Observation.objects.create(
        employee=company.indirect,
        cycle=q1,
        author=person.user,
        occurred_on=dt.date(2026, 2, 4),
        kind="positive",
        text="Ivy fixed the invoice run",
    )
    Feedback.objects.create(
        giver=company.stranger, receiver=person, text="Thanks for the help!", visibility="private"
    )
    Feedback.objects.create(
        giver=person, receiver=company.indirect, text="Great demo, Ivy", visibility="public"
    )
    course = Course.objects.create(code="C1", title="Negotiation basics")
    training = TrainingAssignment.objects.create(
        employee=person, course=course, recommended_by=manager.user, reason="Needs it for deals"
    )
    # Reviews in Q1 (released): self, manager, three peers; one he wrote of a colleague.
    _form(q1, person, person, "self", item, question, 4, "MY-SELF-COMMENT", "I closed deals")
    _form(q1, person, manager, "manager", item, question, 4, "Manager sees growth", "Solid Q1")
    for i, peer in enumerate(peers):
        _form(q1, person, peer, "peer", item, question, 3 + i % 2, f"Peer says {i}", f"Peer {i}")
    _form(q1, company.stranger, person, "peer", item, question, 5, "Sam is great", "Helpful")
    # Q2 (not released): a manager's review, a score and a result he may not see yet.
    _form(q2, person, person, "self", item, question, 3, "Q2 self words", "Q2 me")
    _form(q2, person, manager, "manager", item, question, 2, "UNRELEASED-MANAGER-NOTE", "Q2")
    ScoreResult.objects.create(
        cycle=q1,
        employee=person,
        goals_score=D("88.00"),
        overall_score=D("86.40"),
        grade="A",
        complete=True,
        breakdown={"employee_name": person.name, "employee_number": person.employee_number},
        computed_at=timezone.now(),
    )
    ScoreResult.objects.create(
        cycle=q2,
        employee=person,
        overall_score=D("43.21"),
        grade="D",
        breakdown={"employee_name": person.name, "employee_number": person.employee_number},
        computed_at=timezone.now(),
    )
    result_q1 = Result.objects.create(
        cycle=q1,
        employee=person,
        department=person.department,
        computed_score=D("86.40"),
        computed_grade="A",
        score=D("86.40"),
        grade="A",
        released_at=RELEASED_AT,
        released_by=hr,
    )
    result_q2 = Result.objects.create(
        cycle=q2,
        employee=person,
        department=person.department,
        computed_score=D("43.21"),
        computed_grade="D",
        score=D("43.21"),
        grade="D",
        potential="low",
    )
    for other, score, grade in (
        (company.indirect, D("70.00"), "B"),
        (company.stranger, D("91.00"), "S"),
        (manager, D("80.00"), "A"),
    ):
        Result.objects.create(
            cycle=q1,
            employee=other,
            department=other.department,
            computed_score=score,
            computed_grade=grade,
            score=score,
            grade=grade,
            released_at=RELEASED_AT,
        )
    Adjustment.objects.create(
        result=result_q1, field="grade", before="B", after="A", reason="Calibrated up", by=hr
    )
    Adjustment.objects.create(
        result=result_q2,
        field="grade",
        before="C",
        after="D",
        reason="UNRELEASED-ADJUSTMENT",
        by=hr,
    )
    talk = FeedbackTalk.objects.create(
        result=result_q1,
        manager=manager,
        held_on=dt.date(2026, 4, 12),
        strengths="Customer care",
        improvements="Forecasting",
        next_steps="Course in Q2",
        employee_comments="I agree, mostly",
        recorded_by=manager.user,
    )
    appeal = Appeal.objects.create(
        result=result_q1,
        reason="My Q1 grade ignores my sick leave in February",
        talk_held=True,
        due_on=dt.date(2026, 4, 30),
    )
    AppealAttachment.objects.create(
        appeal=appeal,
        file=ContentFile(b"doctor's note", name="note.txt"),
        name="doctor-note.txt",
        size=13,
    )
    # Reward.
    Compensation.objects.create(employee=person, base_monthly=D("12000.00"))
    approved = BonusPlan.objects.create(
        cycle=q1, name="Q1 bonus", method="target", budget=D("100000"), status="approved"
    )
    draft = BonusPlan.objects.create(
        cycle=q2, name="Q2 bonus", method="target", budget=D("100000"), status="computed"
    )
    for plan, amount in ((approved, D("3600.00")), (draft, D("777.77"))):
        BonusLine.objects.create(
            plan=plan,
            employee=person,
            department=person.department,
            grade="A",
            base=D("12000.00"),
            grade_coefficient=D("1.2"),
            department_coefficient=D(1),
            raw_amount=amount,
            scale_factor=D(1),
            amount=amount,
            final_amount=amount,
            reason="Kept the team together",
        )
    MotivationProfile.objects.create(
        employee=person,
        motivators=["learning", "bonus", "promotion", "recognition", "flexible", "challenge"],
    )
    round_ = ProposalRound.objects.create(
        cycle=q1, kind="promotion", name="Q1 promotions", min_grade="A"
    )
    Proposal.objects.create(
        round=round_,
        employee=person,
        nominated_by=manager,
        justification="Ready to lead the small-accounts team next quarter.",
        status="approved",
        proposed_title="Team lead",
    )
    # Improve.
    plan = ImprovementPlan.objects.create(
        cycle=q1,
        employee=person,
        manager=manager,
        status="active",
        reason="Forecast accuracy below the bar",
    )
    PlanGoal.objects.create(plan=plan, description="Forecast within 10%", measure="monthly")
    PlanTraining.objects.create(plan=plan, assignment=training)
    PlanSupport.objects.create(plan=plan, kind="mentor", description="Weekly with Mia")
    PlanReview.objects.create(
        plan=plan, scheduled_for=dt.date(2026, 5, 1), notes="Progressing", progress="some"
    )
    response = RetroResponse.objects.create(
        cycle=q1,
        employee=person,
        clarity=4,
        fairness=3,
        coaching=5,
        comment="My manager's coaching helped me",
        submitted_at=timezone.now(),
    )
    GoalVerdict.objects.create(response=response, goal=goals[0], verdict="about_right")
    Notification.objects.create(
        user=person.user,
        kind="result_released",
        title="Your result for 2026 Q1 is released",
        dedupe_key="result:1",
    )
    # A change of the employee record by HR: an audit event about him.
    employee_update(actor=hr, employee=person, job_title="Senior sales")
    person.refresh_from_db()
    return World(company, person, peers, q1, q2, goals, result_q1, result_q2, talk, appeal)

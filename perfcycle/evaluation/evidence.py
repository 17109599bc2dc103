"""The evidence beside a review form (实时信息共享): what happened in the cycle, fixed at
planning and recorded while coaching, so that a reviewer judges from facts.

For the manager's form: the person's goals with their actuals and progress, their
submitted self-review, and the observations and check-in notes of the cycle — each
filtered by what the viewer may read (private notes and private observations only for
managers and HR) — and, for those who may see the person's scores (their managers and
HR), the peer and upward aggregates of ``reviews``: averages and unattributed answers,
withheld below the anonymity minimum, never who said what. A fixed number of queries
whatever the amount of evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from perfcycle.access.policy import Action, may
from perfcycle.cycles.models import Cycle
from perfcycle.evaluation.models import Answer, FormStatus, Rating, ReviewForm, ReviewSource
from perfcycle.evaluation.reviews import PeerAggregate, peer_aggregate, report_aggregate
from perfcycle.monitoring.coaching import observations_for_review
from perfcycle.monitoring.models import Actual, CheckIn, CheckInStatus, Observation
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal
from perfcycle.planning.selectors import employee_goals


@dataclass
class GoalEvidence:
    goal: Goal
    progress: Decimal | None
    actuals: list[Actual] = field(default_factory=list)


@dataclass
class Evidence:
    goals: list[GoalEvidence]
    self_review: ReviewForm | None
    observations: list[Observation]
    checkins: list[CheckIn]
    private_notes_shown: bool
    peers: PeerAggregate | None = None  # None: the viewer may not see the aggregates
    reports: PeerAggregate | None = None


def review_evidence(*, cycle: Cycle, employee: Employee, viewer: Any) -> Evidence:
    """Everything the viewer may see about ``employee``'s ``cycle``, for the review form."""
    goals = employee_goals(cycle, employee) if may(viewer, Action.GOAL_VIEW, employee) else []
    actuals: dict[int, list[Actual]] = {}
    for actual in Actual.objects.filter(goal__in=[g for g, _p in goals], is_current=True).order_by(
        "period_start"
    ):
        actuals.setdefault(actual.goal_id, []).append(actual)
    managers_view = may(viewer, Action.CHECKIN_PRIVATE_NOTES, employee)
    self_review = None
    if managers_view:
        self_review = (
            ReviewForm.objects.filter(
                cycle=cycle,
                reviewee=employee,
                source=ReviewSource.SELF,
                status=FormStatus.SUBMITTED,
            )
            .prefetch_related(
                Prefetch("ratings", queryset=Rating.objects.select_related("item__competency")),
                Prefetch("answers", queryset=Answer.objects.select_related("question")),
            )
            .first()
        )
    checkins: list[CheckIn] = []
    if may(viewer, Action.CHECKIN_VIEW, employee):
        checkins = list(
            CheckIn.objects.filter(cycle=cycle, employee=employee, status=CheckInStatus.DONE)
            .select_related("manager")
            .prefetch_related("goal_notes__goal", "action_items__owner")
            .order_by("scheduled_for")
        )
    peers = reports = None
    if may(viewer, Action.SCORE_VIEW, employee) and cycle.template_id is not None:
        peers = peer_aggregate(cycle=cycle, reviewee=employee)
        reports = report_aggregate(cycle=cycle, reviewee=employee)
    return Evidence(
        goals=[GoalEvidence(g, p, actuals.get(g.pk, [])) for g, p in goals],
        self_review=self_review,
        observations=observations_for_review(cycle=cycle, employee=employee, viewer=viewer),
        checkins=checkins,
        private_notes_shown=managers_view,
        peers=peers,
        reports=reports,
    )

"""Reads of proposal rounds: the proposals a viewer may see, and the eligible people
nobody has nominated yet (each with their grade history and what motivates them).

Constant query counts whatever the team size: the candidates, their live proposals,
the cycles and results considered, the grade scale and the motivation profiles are one
query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from perfcycle.access.policy import Action, scope
from perfcycle.calibration.models import Result
from perfcycle.org.models import Employee
from perfcycle.proposals import eligibility as elig
from perfcycle.proposals.models import (
    LIVE_STATUSES,
    Proposal,
    ProposalRound,
    RoundKind,
)
from perfcycle.proposals.services import visible_proposals
from perfcycle.rewards.models import MotivationProfile, Motivator
from perfcycle.rewards.selectors import TOP, motivations_for


def round_proposals(user: Any, round: ProposalRound, status: str = "") -> QuerySet[Proposal]:
    """The round's proposals ``user`` may see, optionally of one status."""
    qs = visible_proposals(user).filter(round=round)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("employee", "nominated_by", "round").order_by("employee__name", "pk")


@dataclass
class Motivation:
    top: list[str]  # labels of the top motivators
    relevant: str  # "promotion" for promotion rounds, "bonus" for salary reviews
    relevant_label: str
    rank: int | None  # 1-based rank of the relevant motivator, None without a profile

    def as_dict(self) -> dict[str, Any]:
        return {
            "top": self.top,
            "relevant": self.relevant,
            "relevant_rank": self.rank,
        }


def motivation_summary(round: ProposalRound, profile: MotivationProfile | None) -> Motivation:
    relevant = Motivator.PROMOTION if round.kind == RoundKind.PROMOTION else Motivator.BONUS
    if profile is None or not profile.motivators:
        return Motivation([], relevant.value, str(relevant.label), None)
    order = list(profile.motivators)
    rank = order.index(relevant.value) + 1 if relevant.value in order else None
    return Motivation(profile.labels[:TOP], relevant.value, str(relevant.label), rank)


@dataclass
class Candidate:
    employee: Employee
    eligibility: elig.Eligibility
    nominated: bool
    motivation: Motivation


def candidates(
    user: Any,
    round: ProposalRound,
    *,
    eligible: bool | None = True,
    nominated: bool | None = False,
) -> list[Candidate]:
    """The people ``user`` may nominate who have a released result in the round's cycle,
    with their eligibility; by default the eligible ones nobody has nominated."""
    live = Proposal.objects.filter(round=round, employee=OuterRef("pk"), status__in=LIVE_STATUSES)
    people = (
        scope(
            user,
            Action.PROPOSAL_NOMINATE,
            Employee.objects.active(),
            subject="",
        )
        .filter(
            Exists(
                Result.objects.filter(
                    cycle_id=round.cycle_id, employee=OuterRef("pk"), released_at__isnull=False
                )
            )
        )
        .annotate(has_live=Exists(live))
        .select_related("department")
        .order_by("name", "pk")
    )
    if nominated is not None:
        people = people.filter(has_live=nominated)
    people_list = list(people)
    found = elig.evaluate(round, people_list)
    if eligible is not None:
        people_list = [p for p in people_list if found[p.pk].eligible == eligible]
    profiles = motivations_for([p.pk for p in people_list]) if people_list else {}
    return [
        Candidate(
            employee=p,
            eligibility=found[p.pk],
            nominated=bool(p.has_live),
            motivation=motivation_summary(round, profiles.get(p.pk)),
        )
        for p in people_list
    ]

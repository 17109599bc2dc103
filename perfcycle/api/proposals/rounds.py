"""Proposal rounds and proposals over the API: HR creates and edits rounds; managers
list the eligible people of a round (with the ``nominated`` filter), nominate, endorse,
return, withdraw and resubmit; HR approves and rejects.

Thin: the policy says who (a round or proposal one may not see, or a person one may not
nominate, is 404), ``proposals.services`` writes. A stale version answers 409.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404, may
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page, Rows
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Employee
from perfcycle.proposals import selectors, services
from perfcycle.proposals.models import Proposal, ProposalRound

router = Router(tags=["proposals"])


class RoundIn(Schema):
    cycle_id: int
    kind: str
    name: str
    min_grade: str
    cycles_considered: int = 1
    min_tenure_months: int = 0
    max_increase_pct: Decimal = Decimal(15)
    increase_budget: Decimal | None = None
    nominations_close_on: dt.date | None = None


class RoundPatch(Schema):
    version: int
    name: str | None = None
    min_grade: str | None = None
    cycles_considered: int | None = None
    min_tenure_months: int | None = None
    max_increase_pct: Decimal | None = None
    increase_budget: Decimal | None = None
    nominations_close_on: dt.date | None = None
    status: str | None = None


class RoundOut(Schema):
    id: int
    cycle_id: int
    kind: str
    name: str
    min_grade: str
    cycles_considered: int
    min_tenure_months: int
    max_increase_pct: Decimal
    increase_budget: Decimal | None
    budget_used: Decimal | None
    nominations_close_on: dt.date | None
    status: str
    version: int


class GradeOut(Schema):
    cycle_id: int
    cycle: str
    grade: str


class CandidateMotivationOut(Schema):
    top: list[str]
    relevant: str
    relevant_rank: int | None


class CandidateOut(Schema):
    employee_id: int
    name: str
    job_title: str
    level: str
    eligible: bool
    reasons: list[str]
    grades: list[GradeOut]
    nominated: bool
    motivation: CandidateMotivationOut


class EligibleFilters(Schema):
    nominated: bool | None = None


class ProposalFilters(Schema):
    status: str | None = None


class ProposalIn(Schema):
    employee_id: int
    justification: str
    exception_reason: str = ""
    increase_pct: Decimal | None = None
    proposed_title: str = ""
    proposed_level: str = ""


class ProposalPatch(Schema):
    version: int
    justification: str | None = None
    exception_reason: str | None = None
    increase_pct: Decimal | None = None
    proposed_title: str | None = None
    proposed_level: str | None = None


class ProposalOut(Schema):
    id: int
    round_id: int
    employee_id: int
    employee_name: str
    nominated_by_id: int | None
    justification: str
    eligible: bool
    eligibility: dict[str, Any]
    exception_reason: str
    current_base: Decimal | None
    increase_pct: Decimal | None
    proposed_base: Decimal | None
    current_title: str
    current_level: str
    proposed_title: str
    proposed_level: str
    status: str
    return_reason: str
    endorsed_at: dt.datetime | None
    endorse_note: str
    decided_at: dt.datetime | None
    decision_note: str
    decided_without_endorsement: bool
    effective_on: dt.date | None
    version: int


class StepIn(Schema):
    version: int | None = None
    note: str = ""
    reason: str = ""
    effective_on: dt.date | None = None


def round_out(request: HttpRequest, r: ProposalRound) -> dict[str, Any]:
    hr = may(request.user, Action.PROPOSAL_RULES_MANAGE)
    return {
        "id": r.pk,
        "cycle_id": r.cycle_id,
        "kind": r.kind,
        "name": r.name,
        "min_grade": r.min_grade,
        "cycles_considered": r.cycles_considered,
        "min_tenure_months": r.min_tenure_months,
        "max_increase_pct": r.max_increase_pct,
        "increase_budget": r.increase_budget if hr else None,
        "budget_used": services.round_budget_used(r) if hr and r.is_salary else None,
        "nominations_close_on": r.nominations_close_on,
        "status": r.status,
        "version": r.version,
    }


def proposal_out(request: HttpRequest, p: Proposal) -> dict[str, Any]:
    """Pay amounts are HR's: managers propose a percentage only."""
    pay = may(request.user, Action.COMPENSATION_MANAGE)
    return {
        "id": p.pk,
        "round_id": p.round_id,
        "employee_id": p.employee_id,
        "employee_name": p.employee.name,
        "nominated_by_id": p.nominated_by_id,
        "justification": p.justification,
        "eligible": p.eligible,
        "eligibility": p.eligibility,
        "exception_reason": p.exception_reason,
        "current_base": p.current_base if pay else None,
        "increase_pct": p.increase_pct,
        "proposed_base": p.proposed_base if pay else None,
        "current_title": p.current_title,
        "current_level": p.current_level,
        "proposed_title": p.proposed_title,
        "proposed_level": p.proposed_level,
        "status": p.status,
        "return_reason": p.return_reason,
        "endorsed_at": p.endorsed_at,
        "endorse_note": p.endorse_note,
        "decided_at": p.decided_at,
        "decision_note": p.decision_note,
        "decided_without_endorsement": p.decided_without_endorsement,
        "effective_on": p.effective_on,
        "version": p.version,
    }


def _round(request: HttpRequest, round_id: int) -> ProposalRound:
    try:
        return services.visible_rounds(request.user).get(pk=round_id)
    except ProposalRound.DoesNotExist as exc:
        raise Http404 from exc


def _proposal(request: HttpRequest, proposal_id: int) -> Proposal:
    return get_visible_or_404(
        request.user,
        Action.PROPOSAL_VIEW,
        Proposal.objects.select_related("round__cycle", "employee"),
        pk=proposal_id,
    )


@router.get("/proposal-rounds", response=list[RoundOut], summary="Rounds I may see")
@paginate(Page)
def list_rounds(request: HttpRequest) -> Any:
    return Rows(
        services.visible_rounds(request.user).order_by("pk"),
        lambda page: [round_out(request, r) for r in page],
    )


@router.post("/proposal-rounds", response={201: RoundOut, **ERRORS}, summary="Open a round (HR)")
def create_round(request: HttpRequest, payload: RoundIn) -> Any:
    require(request, Action.PROPOSAL_RULES_MANAGE)
    cycle = get_object_or_404(Cycle, pk=payload.cycle_id)
    values = payload.dict(exclude={"cycle_id"})
    r = services.round_create(actor=request.user, cycle=cycle, **values)
    return 201, round_out(request, r)


@router.get("/proposal-rounds/{int:round_id}", response={200: RoundOut, **ERRORS})
def get_round(request: HttpRequest, round_id: int) -> Any:
    return round_out(request, _round(request, round_id))


@router.patch(
    "/proposal-rounds/{int:round_id}",
    response={200: RoundOut, **ERRORS},
    summary="Change a round's rules, or close it with status=closed (HR)",
)
def patch_round(request: HttpRequest, round_id: int, payload: RoundPatch) -> Any:
    r = _round(request, round_id)
    require(request, Action.PROPOSAL_RULES_MANAGE)
    changes = payload.dict(exclude={"version", "status"}, exclude_unset=True)
    version = payload.version
    if changes:
        services.round_update(actor=request.user, round=r, expected_version=version, **changes)
        version = r.version
    if payload.status == "closed":
        services.round_close(actor=request.user, round=r, expected_version=version)
    return round_out(request, r)


@router.get(
    "/proposal-rounds/{int:round_id}/eligible",
    response=list[CandidateOut],
    summary="The eligible people I may nominate; nominated=false: nobody nominated them yet",
)
@paginate(Page)
def eligible(request: HttpRequest, round_id: int, filters: Query[EligibleFilters]) -> Any:
    r = _round(request, round_id)
    require(request, Action.PROPOSAL_LIST)
    return [
        {
            "employee_id": c.employee.pk,
            "name": c.employee.name,
            "job_title": c.employee.job_title,
            "level": c.employee.level,
            "eligible": c.eligibility.eligible,
            "reasons": c.eligibility.reasons,
            "grades": [
                {"cycle_id": g.cycle_id, "cycle": g.cycle, "grade": g.grade}
                for g in c.eligibility.grades
            ],
            "nominated": c.nominated,
            "motivation": c.motivation.as_dict(),
        }
        for c in selectors.candidates(request.user, r, nominated=filters.nominated)
    ]


@router.get("/proposal-rounds/{int:round_id}/proposals", response=list[ProposalOut])
@paginate(Page)
def list_proposals(request: HttpRequest, round_id: int, filters: Query[ProposalFilters]) -> Any:
    r = _round(request, round_id)
    return Rows(
        selectors.round_proposals(request.user, r, filters.status or ""),
        lambda page: [proposal_out(request, p) for p in page],
    )


@router.post(
    "/proposal-rounds/{int:round_id}/proposals",
    response={201: ProposalOut, **ERRORS},
    summary="Nominate someone (their managers, HR)",
)
def nominate(request: HttpRequest, round_id: int, payload: ProposalIn) -> Any:
    r = _round(request, round_id)
    employee = get_visible_or_404(
        request.user, Action.EMPLOYEE_VIEW, Employee.objects.all(), pk=payload.employee_id
    )
    require(request, Action.PROPOSAL_NOMINATE, employee)
    p = services.proposal_nominate(
        actor=request.user,
        round=r,
        employee=employee,
        **payload.dict(exclude={"employee_id"}),
    )
    return 201, proposal_out(request, p)


@router.get("/proposals/{int:proposal_id}", response={200: ProposalOut, **ERRORS})
def get_proposal(request: HttpRequest, proposal_id: int) -> Any:
    return proposal_out(request, _proposal(request, proposal_id))


@router.patch(
    "/proposals/{int:proposal_id}",
    response={200: ProposalOut, **ERRORS},
    summary="Edit a returned proposal (the nominator)",
)
def patch_proposal(request: HttpRequest, proposal_id: int, payload: ProposalPatch) -> Any:
    p = _proposal(request, proposal_id)
    changes = payload.dict(exclude={"version"}, exclude_unset=True)
    services.proposal_update(
        actor=request.user, proposal=p, expected_version=payload.version, **changes
    )
    return proposal_out(request, p)


def _endorse(request: HttpRequest, p: Proposal, d: StepIn) -> Proposal:
    return services.proposal_endorse(
        actor=request.user, proposal=p, note=d.note, expected_version=d.version
    )


def _return(request: HttpRequest, p: Proposal, d: StepIn) -> Proposal:
    return services.proposal_return(
        actor=request.user, proposal=p, reason=d.reason, expected_version=d.version
    )


def _approve(request: HttpRequest, p: Proposal, d: StepIn) -> Proposal:
    return services.proposal_approve(
        actor=request.user,
        proposal=p,
        effective_on=d.effective_on,
        note=d.note,
        expected_version=d.version,
    )


def _reject(request: HttpRequest, p: Proposal, d: StepIn) -> Proposal:
    return services.proposal_reject(
        actor=request.user, proposal=p, reason=d.reason, expected_version=d.version
    )


def _withdraw(request: HttpRequest, p: Proposal, d: StepIn) -> Proposal:
    return services.proposal_withdraw(actor=request.user, proposal=p, expected_version=d.version)


def _resubmit(request: HttpRequest, p: Proposal, d: StepIn) -> Proposal:
    return services.proposal_resubmit(actor=request.user, proposal=p, expected_version=d.version)


STEPS = {
    "endorse": _endorse,
    "return": _return,
    "approve": _approve,
    "reject": _reject,
    "withdraw": _withdraw,
    "resubmit": _resubmit,
}


@router.post(
    "/proposals/{int:proposal_id}/{step}",
    response={200: ProposalOut, **ERRORS},
    summary="A step: endorse, return (reason), approve (effective_on), reject (reason), "
    "withdraw, resubmit",
)
def step(request: HttpRequest, proposal_id: int, step: str, payload: StepIn) -> Any:
    do = STEPS.get(step)
    if do is None:
        raise Http404
    p = _proposal(request, proposal_id)
    return proposal_out(request, do(request, p, payload))

"""The retrospective and the next cycle's target proposals over the API.

Thin: the policy says who (results and the analysis are for HR and managers: 403 for
anyone else), ``retrospective.services`` writes, ``selectors`` and ``targets`` read. A
second answer is 409; a stale version is 409. Groups below the anonymity minimum carry
only their label and ``shown: false``.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, acting_employee, may
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page
from perfcycle.cycles.models import Cycle
from perfcycle.retrospective import selectors, services, targets
from perfcycle.retrospective.models import RetroSettings, TargetProposal

router = Router(tags=["retrospective"])


class RetroOut(Schema):
    cycle_id: int
    opened: bool
    open: bool
    opened_at: dt.datetime | None = None
    closes_on: dt.date | None = None
    anonymity_minimum: int | None = None
    version: int | None = None
    participant: bool
    answered: bool


class OpenIn(Schema):
    closes_on: dt.date
    anonymity_minimum: int = 3


class RetrospectiveCloseIn(Schema):
    closes_on: dt.date | None = Field(
        None, description="Last day of the retrospective, if it opens now (default: 14 days)"
    )
    anonymity_minimum: int | None = None
    version: int | None = None


class CloseOut(Schema):
    cycle_id: int
    phase: str
    version: int
    retrospective_opened: bool
    retrospective: RetroOut


class AnswerIn(Schema):
    clarity: int
    fairness: int
    coaching: int
    comment: str = ""
    verdicts: dict[int, str] = Field({}, description="Goal id → too_low | about_right | too_high")


class AnswerOut(Schema):
    cycle_id: int
    submitted_at: dt.datetime
    clarity: int
    fairness: int
    coaching: int
    comment: str
    verdicts: dict[int, str]


class RetrospectiveGroupOut(Schema):
    key: str
    label: str
    shown: bool
    responses: int | None = None
    means: dict[str, str] | None = None
    verdicts: list[dict[str, Any]] | None = None
    comments: list[str] | None = None


class ResultsOut(Schema):
    cycle_id: int
    anonymity_minimum: int
    groups: list[RetrospectiveGroupOut]


class TargetIndicatorOut(Schema):
    indicator_id: int
    code: str
    name: str
    unit: str
    direction: str
    holders: int
    with_actual: int
    current_target: Decimal
    median_attainment: Decimal | None
    below_threshold_share: Decimal | None
    above_stretch_share: Decimal | None
    verdicts_total: int | None
    verdict_shares: dict[str, Decimal] | None
    histogram: list[tuple[str, int]]
    history: list[dict[str, Any]]
    flag: str
    flag_reasons: list[str]
    proposed_target: Decimal | None
    reasoning: str


class AnalysisOut(Schema):
    cycle_id: int
    anonymity_minimum: int
    indicators: list[TargetIndicatorOut]
    not_analysed: list[dict[str, Any]]


class TargetProposalOut(Schema):
    id: int
    cycle_id: int
    indicator_id: int
    indicator_code: str
    flag: str
    current_target: Decimal
    proposed_target: Decimal
    reasoning: str
    evidence: dict[str, Any]
    status: str
    approved_target: Decimal | None
    decided_at: dt.datetime | None
    note: str
    version: int


class GenerateOut(Schema):
    created: int
    replaced: int
    kept_decided: int


class TargetProposalApproveIn(Schema):
    target: Decimal | None = None
    note: str = ""
    version: int | None = None


class RejectIn(Schema):
    note: str
    version: int | None = None


def _cycle(cycle_id: int) -> Cycle:
    return get_object_or_404(Cycle, pk=cycle_id)


def _state(request: HttpRequest, cycle: Cycle) -> dict[str, Any]:
    settings = RetroSettings.objects.filter(cycle=cycle).first()
    me = acting_employee(request.user)
    participant = me is not None and cycle.participants.filter(employee=me).exists()
    return {
        "cycle_id": cycle.pk,
        "opened": settings is not None,
        "open": services.is_open(settings),
        "opened_at": settings.opened_at if settings else None,
        "closes_on": settings.closes_on if settings else None,
        "anonymity_minimum": settings.anonymity_minimum if settings else None,
        "version": settings.version if settings else None,
        "participant": participant,
        "answered": participant and selectors.own_response(cycle, me) is not None,
    }


def proposal_out(p: TargetProposal) -> dict[str, Any]:
    return {
        "id": p.pk,
        "cycle_id": p.cycle_id,
        "indicator_id": p.indicator_id,
        "indicator_code": p.indicator.code,
        "flag": p.flag,
        "current_target": p.current_target,
        "proposed_target": p.proposed_target,
        "reasoning": p.reasoning,
        "evidence": p.evidence,
        "status": p.status,
        "approved_target": p.approved_target,
        "decided_at": p.decided_at,
        "note": p.note,
        "version": p.version,
    }


@router.get(
    "/cycles/{int:cycle_id}/retrospective",
    response={200: RetroOut, **ERRORS},
    summary="The cycle's retrospective: open or not, until when, and whether I answered",
)
def get_retro(request: HttpRequest, cycle_id: int) -> Any:
    return _state(request, _cycle(cycle_id))


@router.post(
    "/cycles/{int:cycle_id}/retrospective/open",
    response={200: RetroOut, **ERRORS},
    summary="Open the retrospective (HR; results or closed phase) and tell the participants",
)
def open_retro(request: HttpRequest, cycle_id: int, payload: OpenIn) -> Any:
    require(request, Action.RETRO_MANAGE)
    cycle = _cycle(cycle_id)
    services.retro_open(
        actor=request.user,
        cycle=cycle,
        closes_on=payload.closes_on,
        anonymity_minimum=payload.anonymity_minimum,
    )
    return _state(request, cycle)


@router.post(
    "/cycles/{int:cycle_id}/close",
    response={200: CloseOut, **ERRORS},
    summary="Close a cycle in its results phase and open its retrospective (HR)",
    description=(
        "Moves the cycle from results to closed through the phase machine and, unless it is "
        "already open, opens the retrospective (14 days by default) — one transaction. A "
        "cycle in another phase answers 400 with code `wrong_phase`; a stale `version` 409."
    ),
)
def close_cycle(request: HttpRequest, cycle_id: int, payload: RetrospectiveCloseIn) -> Any:
    require(request, Action.RETRO_MANAGE)
    cycle = _cycle(cycle_id)
    report = services.cycle_close(
        actor=request.user,
        cycle=cycle,
        closes_on=payload.closes_on,
        anonymity_minimum=payload.anonymity_minimum,
        expected_version=payload.version,
    )
    return {
        "cycle_id": report.cycle.pk,
        "phase": report.cycle.phase,
        "version": report.cycle.version,
        "retrospective_opened": report.opened,
        "retrospective": _state(request, report.cycle),
    }


@router.post(
    "/cycles/{int:cycle_id}/retrospective/answers",
    response={200: AnswerOut, **ERRORS},
    summary="My own answer, once (409 when already answered)",
)
def answer(request: HttpRequest, cycle_id: int, payload: AnswerIn) -> Any:
    cycle = _cycle(cycle_id)
    me = acting_employee(request.user)
    if me is None or not cycle.participants.filter(employee=me).exists():
        raise Http404
    response = services.retro_answer(
        actor=request.user,
        cycle=cycle,
        clarity=payload.clarity,
        fairness=payload.fairness,
        coaching=payload.coaching,
        comment=payload.comment,
        verdicts=payload.verdicts,
    )
    return {
        "cycle_id": cycle.pk,
        "submitted_at": response.submitted_at,
        "clarity": response.clarity,
        "fairness": response.fairness,
        "coaching": response.coaching,
        "comment": response.comment,
        "verdicts": {v.goal_id: v.verdict for v in response.verdicts.all()},
    }


@router.get(
    "/cycles/{int:cycle_id}/retrospective/results",
    response={200: ResultsOut, **ERRORS},
    summary="Aggregates per group (HR: company and departments; managers: their line)",
)
def results(request: HttpRequest, cycle_id: int) -> Any:
    require(request, Action.RETRO_RESULTS_VIEW)
    data = selectors.results(request.user, _cycle(cycle_id))
    return {
        "cycle_id": data.cycle.pk,
        "anonymity_minimum": data.anonymity_minimum,
        "groups": [g.as_dict() for g in data.groups],
    }


@router.get(
    "/cycles/{int:cycle_id}/target-analysis",
    response={200: AnalysisOut, **ERRORS},
    summary="Target difficulty per indicator held by three or more people",
)
def target_analysis(request: HttpRequest, cycle_id: int) -> Any:
    require(request, Action.TARGET_ANALYSIS_VIEW)
    analysis = targets.analyse(_cycle(cycle_id))
    return {
        "cycle_id": analysis.cycle.pk,
        "anonymity_minimum": analysis.anonymity_minimum,
        "indicators": [
            {
                "indicator_id": a.indicator_id,
                "code": a.code,
                "name": a.name,
                "unit": a.unit,
                "direction": a.direction,
                "holders": a.holders,
                "with_actual": a.with_actual,
                "current_target": a.current_target,
                "median_attainment": a.median_attainment,
                "below_threshold_share": a.below_threshold_share,
                "above_stretch_share": a.above_stretch_share,
                "verdicts_total": a.verdicts_total if a.verdicts_shown else None,
                "verdict_shares": a.verdict_shares if a.verdicts_shown else None,
                "histogram": a.histogram,
                "history": a.history,
                "flag": a.flag,
                "flag_reasons": a.flag_reasons,
                "proposed_target": a.proposed_target,
                "reasoning": a.reasoning,
            }
            for a in analysis.indicators
        ],
        "not_analysed": analysis.not_analysed,
    }


@router.post(
    "/cycles/{int:cycle_id}/target-proposals/generate",
    response={200: GenerateOut, **ERRORS},
    summary="Propose next-cycle targets for the flagged indicators (HR; idempotent)",
)
def generate(request: HttpRequest, cycle_id: int) -> Any:
    require(request, Action.TARGET_PROPOSAL_DECIDE)
    report = services.proposals_generate(actor=request.user, cycle=_cycle(cycle_id))
    return {
        "created": report.created,
        "replaced": report.replaced,
        "kept_decided": report.kept_decided,
    }


@router.get(
    "/cycles/{int:cycle_id}/target-proposals",
    response=list[TargetProposalOut],
    summary="The cycle's target proposals",
)
@paginate(Page)
def list_proposals(request: HttpRequest, cycle_id: int) -> Any:
    require(request, Action.TARGET_ANALYSIS_VIEW)
    return [proposal_out(p) for p in selectors.proposals(_cycle(cycle_id))]


def _proposal(request: HttpRequest, proposal_id: int) -> TargetProposal:
    if not may(request.user, Action.TARGET_ANALYSIS_VIEW):
        raise Http404
    return get_object_or_404(TargetProposal.objects.select_related("indicator"), pk=proposal_id)


@router.post(
    "/target-proposals/{int:proposal_id}/approve",
    response={200: TargetProposalOut, **ERRORS},
    summary="Approve a proposal, optionally with an edited target (HR)",
)
def approve(request: HttpRequest, proposal_id: int, payload: TargetProposalApproveIn) -> Any:
    proposal = _proposal(request, proposal_id)
    require(request, Action.TARGET_PROPOSAL_DECIDE, proposal)
    services.proposal_approve(
        actor=request.user,
        proposal=proposal,
        target=payload.target,
        note=payload.note,
        expected_version=payload.version,
    )
    return proposal_out(proposal)


@router.post(
    "/target-proposals/{int:proposal_id}/reject",
    response={200: TargetProposalOut, **ERRORS},
    summary="Reject a proposal with a note (HR)",
)
def reject(request: HttpRequest, proposal_id: int, payload: RejectIn) -> Any:
    proposal = _proposal(request, proposal_id)
    require(request, Action.TARGET_PROPOSAL_DECIDE, proposal)
    services.proposal_reject(
        actor=request.user, proposal=proposal, note=payload.note, expected_version=payload.version
    )
    return proposal_out(proposal)

"""Writes of the retrospective and the next cycle's target proposals.

Rules, for pages and API alike:

- HR closes a cycle from its results phase (``cycle_close``), which opens its
  retrospective too unless it is already open;
- HR opens a cycle's retrospective once the cycle is in its results or closed phase; the
  participants are told at once (a notifications task, named, run on commit);
- a participant answers once, inside the window, about their own goals only; the answer
  and its verdicts are one transaction, so nothing is half-written;
- HR generates target proposals from the analysis (``targets.analyse``): regenerating
  replaces the undecided proposals and never touches decided ones; HR approves (with an
  optionally edited target) or rejects with a note. Nothing is applied to any goal here.
- every change is audited; a stale version is a conflict (409).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, acting_employee, may
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import AuditEntry, audit_record, audit_record_many, snapshot
from perfcycle.core.errors import Conflict, DomainError, Forbidden
from perfcycle.core.later import enqueue_on_commit
from perfcycle.core.validation import field_error
from perfcycle.cycles.models import Cycle, CycleParticipant, Phase
from perfcycle.cycles.services import cycle_transition
from perfcycle.planning.models import Goal, OwnerType
from perfcycle.retrospective import targets
from perfcycle.retrospective.models import (
    DEFAULT_ANONYMITY_MINIMUM,
    GoalVerdict,
    ProposalStatus,
    RetroResponse,
    RetroSettings,
    TargetProposal,
    Verdict,
)

OPEN_PHASES = (Phase.RESULTS, Phase.CLOSED)
DEFAULT_WINDOW_DAYS = 14
NOTIFY_OPENED = "perfcycle.notifications.retrospective.notify_retrospective_opened"
RATING_FIELDS = ("clarity", "fairness", "coaching")


# Opening ------------------------------------------------------------------------------


@transaction.atomic
def retro_open(
    *,
    actor: Any,
    cycle: Cycle,
    closes_on: dt.date,
    anonymity_minimum: int = DEFAULT_ANONYMITY_MINIMUM,
) -> RetroSettings:
    """Open ``cycle``'s retrospective until ``closes_on`` (HR), and tell the participants."""
    if not may(actor, Action.RETRO_MANAGE):
        raise Forbidden(_("Only HR opens a retrospective."))
    if cycle.phase not in OPEN_PHASES:
        raise DomainError(
            _(
                "A retrospective opens once the cycle is in its results or closed phase; "
                "%(cycle)s is in %(phase)s."
            )
            % {"cycle": cycle.name, "phase": cycle.get_phase_display()},
            code="wrong_phase",
        )
    if closes_on is None or closes_on < timezone.localdate():
        raise field_error("closes_on", _("The closing date must be today or later."))
    if anonymity_minimum is None or int(anonymity_minimum) < 2:
        raise field_error("anonymity_minimum", _("The anonymity minimum must be at least 2."))
    if RetroSettings.objects.select_for_update().filter(cycle=cycle).exists():
        raise DomainError(
            _("The retrospective of %(cycle)s is already open.") % {"cycle": cycle.name},
            code="already_open",
        )
    settings = RetroSettings.objects.create(
        cycle=cycle,
        opened_at=timezone.now(),
        closes_on=closes_on,
        anonymity_minimum=int(anonymity_minimum),
        opened_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=settings, after=snapshot(settings)
    )
    enqueue_on_commit(NOTIFY_OPENED, cycle.pk)
    return settings


@transaction.atomic
def retro_update(
    *,
    actor: Any,
    settings: RetroSettings,
    closes_on: dt.date,
    anonymity_minimum: int,
    expected_version: int | None = None,
) -> RetroSettings:
    """Move the closing date or change the anonymity minimum (HR)."""
    if not may(actor, Action.RETRO_MANAGE):
        raise Forbidden(_("Only HR changes a retrospective."))
    if closes_on < timezone.localdate(settings.opened_at):
        raise field_error("closes_on", _("The closing date must not be before the opening."))
    if int(anonymity_minimum) < 2:
        raise field_error("anonymity_minimum", _("The anonymity minimum must be at least 2."))
    fields = ["closes_on", "anonymity_minimum"]
    before = snapshot(settings, fields)
    settings.closes_on, settings.anonymity_minimum = closes_on, int(anonymity_minimum)
    settings.save_versioned(expected_version=expected_version, update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=settings,
        before=before,
        after=snapshot(settings, fields),
    )
    return settings


def is_open(settings: RetroSettings | None, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        settings is not None
        and timezone.localdate(settings.opened_at) <= today <= settings.closes_on
    )


@dataclass
class CloseReport:
    cycle: Cycle
    settings: RetroSettings
    opened: bool  # False when the retrospective was already open


@transaction.atomic
def cycle_close(
    *,
    actor: Any,
    cycle: Cycle,
    closes_on: dt.date | None = None,
    anonymity_minimum: int | None = None,
    expected_version: int | None = None,
) -> CloseReport:
    """Close ``cycle`` (HR; from its results phase, through the phase machine) and open its
    retrospective unless it is already open: closing the quarter produces the
    retrospective. One transaction, audited by both services."""
    if not may(actor, Action.RETRO_MANAGE) or not may(actor, Action.CYCLE_MANAGE, cycle):
        raise Forbidden(_("Only HR closes a cycle."))
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.phase != Phase.RESULTS:
        raise DomainError(
            _("A cycle is closed from its results phase; %(cycle)s is in %(phase)s.")
            % {"cycle": cycle.name, "phase": cycle.get_phase_display()},
            code="wrong_phase",
        )
    cycle_transition(
        actor=actor, cycle=cycle, to_phase=Phase.CLOSED, expected_version=expected_version
    )
    settings = RetroSettings.objects.filter(cycle=cycle).first()
    if settings is not None:
        return CloseReport(cycle=cycle, settings=settings, opened=False)
    settings = retro_open(
        actor=actor,
        cycle=cycle,
        closes_on=closes_on or timezone.localdate() + dt.timedelta(days=DEFAULT_WINDOW_DAYS),
        anonymity_minimum=(
            DEFAULT_ANONYMITY_MINIMUM if anonymity_minimum is None else anonymity_minimum
        ),
    )
    return CloseReport(cycle=cycle, settings=settings, opened=True)


# Answering ----------------------------------------------------------------------------


def _rating(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or number > 5 or str(value).strip() not in {str(number)}:
        raise field_error(name, _("Choose a rating from 1 to 5."))
    return number


@transaction.atomic
def retro_answer(
    *,
    actor: Any,
    cycle: Cycle,
    clarity: int,
    fairness: int,
    coaching: int,
    comment: str = "",
    verdicts: dict[int, str] | None = None,
) -> RetroResponse:
    """The signed-in participant's one answer, with a verdict per own goal (optional)."""
    me = acting_employee(actor)
    if me is None or not may(actor, Action.RETRO_ANSWER, me):
        raise Forbidden(_("Only a participant answers the retrospective, for themselves."))
    if not CycleParticipant.objects.filter(cycle=cycle, employee=me).exists():
        raise Forbidden(_("You did not take part in %(cycle)s.") % {"cycle": cycle.name})
    settings = RetroSettings.objects.filter(cycle=cycle).first()
    if settings is None:
        raise DomainError(_("The retrospective is not open yet."), code="not_open")
    today = timezone.localdate()
    if today > settings.closes_on:
        raise DomainError(
            _("The retrospective closed on %(date)s.") % {"date": settings.closes_on.isoformat()},
            code="closed",
        )
    if today < timezone.localdate(settings.opened_at):
        raise DomainError(_("The retrospective is not open yet."), code="not_open")
    if RetroResponse.objects.filter(cycle=cycle, employee=me).exists():
        raise Conflict(_("You have already answered this retrospective."), code="already_answered")
    ratings = {
        name: _rating(name, value)
        for name, value in zip(RATING_FIELDS, (clarity, fairness, coaching), strict=True)
    }
    chosen: dict[int, str] = {}
    for goal_id, verdict in (verdicts or {}).items():
        if verdict in ("", None):
            continue
        if verdict not in Verdict.values:
            raise field_error("verdicts", _("Unknown verdict: %(v)s.") % {"v": verdict})
        try:
            chosen[int(goal_id)] = verdict
        except (TypeError, ValueError) as exc:
            raise field_error("verdicts", _("Unknown goal: %(g)s.") % {"g": goal_id}) from exc
    own = set(
        Goal.objects.filter(
            cycle=cycle, owner_type=OwnerType.EMPLOYEE, employee=me, pk__in=list(chosen)
        ).values_list("pk", flat=True)
    )
    foreign = sorted(set(chosen) - own)
    if foreign:
        raise field_error(
            "verdicts",
            _("These goals are not yours in %(cycle)s: %(ids)s.")
            % {"cycle": cycle.name, "ids": ", ".join(str(i) for i in foreign)},
            code="foreign_goal",
        )
    response = RetroResponse(
        cycle=cycle,
        employee=me,
        comment=(comment or "").strip()[:4000],
        submitted_at=timezone.now(),
        **ratings,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as exc:  # answered at the same moment from another tab
        raise Conflict(
            _("You have already answered this retrospective."), code="already_answered"
        ) from exc
    GoalVerdict.objects.bulk_create(
        [GoalVerdict(response=response, goal_id=g, verdict=v) for g, v in chosen.items()]
    )
    # The audit trail records that an answer was given, never what it said: the answers
    # are anonymous outside their aggregates.
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=response,
        after={"cycle": cycle.pk, "submitted": True, "verdicts": len(chosen)},
    )
    return response


# Target proposals ---------------------------------------------------------------------


@dataclass
class GenerateReport:
    created: int
    replaced: int
    kept_decided: int


@transaction.atomic
def proposals_generate(*, actor: Any, cycle: Cycle) -> GenerateReport:
    """A proposal per flagged indicator (docs/target-analysis.md). Undecided proposals are
    replaced; an indicator with a decided proposal keeps it untouched."""
    if not may(actor, Action.TARGET_PROPOSAL_DECIDE):
        raise Forbidden(_("Only HR generates target proposals."))
    Cycle.objects.select_for_update().filter(pk=cycle.pk).first()
    analysis = targets.analyse(cycle)
    existing = list(TargetProposal.objects.filter(cycle=cycle))
    decided = {p.indicator_id for p in existing if p.status != ProposalStatus.PROPOSED}
    undecided = [p for p in existing if p.status == ProposalStatus.PROPOSED]
    entries = [
        AuditEntry(action=AuditAction.DELETE, instance=p, before=snapshot(p)) for p in undecided
    ]
    TargetProposal.objects.filter(pk__in=[p.pk for p in undecided]).delete()
    new = [
        TargetProposal(
            cycle=cycle,
            indicator_id=a.indicator_id,
            flag=a.flag,
            current_target=a.current_target,
            proposed_target=a.proposed_target,
            reasoning=a.reasoning,
            evidence=a.evidence,
        )
        for a in analysis.flagged
        if a.indicator_id not in decided and a.proposed_target is not None
    ]
    TargetProposal.objects.bulk_create(new)
    entries += [AuditEntry(action=AuditAction.CREATE, instance=p, after=snapshot(p)) for p in new]
    audit_record_many(actor=actor, entries=entries)
    return GenerateReport(created=len(new), replaced=len(undecided), kept_decided=len(decided))


def _decimal(name: str, value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise field_error(name, _("Enter a number.")) from exc
    if not number.is_finite() or abs(number) >= Decimal(10) ** 14:
        raise field_error(name, _("Enter a number."))
    return number


def _decide(actor: Any, proposal: TargetProposal, expected_version: int | None) -> list[str]:
    if not may(actor, Action.TARGET_PROPOSAL_DECIDE, proposal):
        raise Forbidden(_("Only HR decides on target proposals."))
    if proposal.status != ProposalStatus.PROPOSED:
        raise DomainError(
            _("This proposal was already %(status)s.") % {"status": proposal.get_status_display()},
            code="already_decided",
        )
    return ["status", "approved_target", "decided_by", "decided_at", "note"]


@transaction.atomic
def proposal_approve(
    *,
    actor: Any,
    proposal: TargetProposal,
    target: Decimal | str | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> TargetProposal:
    """Approve ``proposal``, with HR's own target if given. Only for an indicator somebody
    holds in the cycle: the roll-over applies approved targets to their goals."""
    fields = _decide(actor, proposal, expected_version)
    approved = proposal.proposed_target if target in (None, "") else _decimal("target", target)
    if approved < 0 and not proposal.indicator.allow_negative:
        raise field_error("target", _("The target must not be negative."))
    held = Goal.objects.filter(
        cycle_id=proposal.cycle_id,
        owner_type=OwnerType.EMPLOYEE,
        indicator_id=proposal.indicator_id,
    ).exists()
    if not held:
        raise DomainError(
            _("Nobody holds %(indicator)s in this cycle: there is nothing to carry a target to.")
            % {"indicator": proposal.indicator.name},
            code="indicator_not_held",
        )
    before = snapshot(proposal, fields)
    proposal.status = ProposalStatus.APPROVED
    proposal.approved_target = approved
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.note = (note or "").strip()
    proposal.save_versioned(expected_version=expected_version, update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=proposal,
        before=before,
        after=snapshot(proposal, fields),
        reason=proposal.note,
    )
    return proposal


@transaction.atomic
def proposal_reject(
    *,
    actor: Any,
    proposal: TargetProposal,
    note: str,
    expected_version: int | None = None,
) -> TargetProposal:
    """Reject ``proposal``, saying why."""
    fields = _decide(actor, proposal, expected_version)
    if not (note or "").strip():
        raise field_error("note", _("Say why the proposal is rejected."))
    before = snapshot(proposal, fields)
    proposal.status = ProposalStatus.REJECTED
    proposal.approved_target = None
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.note = note.strip()
    proposal.save_versioned(expected_version=expected_version, update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=proposal,
        before=before,
        after=snapshot(proposal, fields),
        reason=proposal.note,
    )
    return proposal

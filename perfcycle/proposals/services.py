"""Writes of salary review and promotion proposals. Every change is audited.

Rules enforced here, for pages and API alike:

- HR creates, edits and closes rounds; a round's minimum grade is a grade of its cycle's
  scale;
- a person's managers (and HR) nominate them while the round is open and before
  nominations close, with a justification; someone not eligible only with an exception
  reason; one live proposal per person and round (withdrawn and rejected ones do not
  count);
- a manager above the employee other than the nominator (or HR) endorses; endorsers and
  HR may return a proposal to the nominator with a reason, who edits and resubmits it or
  withdraws it before a decision;
- HR approves (with an effective date) or rejects (with a reason), endorsed or not (a
  decision without endorsement is recorded). Approving a salary review applies the new
  base pay through the reward stage's ``compensation_set`` — within the round's monthly
  budget, guarded by a lock on the round row; approving a promotion changes the person's
  title and level through ``employee_update``. Both in the same transaction;
- a stale version is a conflict (409).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, acting_employee, is_hr, may, scope
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_change, audit_record, snapshot
from perfcycle.core.errors import DomainError, Forbidden
from perfcycle.core.later import enqueue_on_commit
from perfcycle.core.validation import field_error, full_clean, reject_unknown
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Employee
from perfcycle.proposals import eligibility as elig
from perfcycle.proposals.models import (
    LIVE_STATUSES,
    MIN_EXCEPTION_REASON,
    MIN_JUSTIFICATION,
    MIN_REJECT_REASON,
    MIN_RETURN_REASON,
    PENDING_STATUSES,
    Proposal,
    ProposalRound,
    ProposalStatus,
    RoundKind,
    RoundStatus,
)

NOTIFY_TASK = "perfcycle.notifications.proposals.notify_proposal"
ROUND_FIELDS = (
    "name",
    "min_grade",
    "cycles_considered",
    "min_tenure_months",
    "max_increase_pct",
    "increase_budget",
    "nominations_close_on",
)
PROPOSAL_FIELDS = (
    "justification",
    "exception_reason",
    "increase_pct",
    "proposed_title",
    "proposed_level",
)
CENT = Decimal("0.01")

# Reads ---------------------------------------------------------------------------------


def visible_proposals(user: Any) -> QuerySet[Proposal]:
    """The proposals ``user`` may see: HR all, managers their line's, the employee their
    own once approved."""
    base = Proposal.objects.all()
    if is_hr(user):
        return base
    managed = scope(user, Action.PROPOSAL_VIEW, base, subject="employee__")
    me = acting_employee(user)
    mine = Q(employee=me, status=ProposalStatus.APPROVED) if me is not None else Q(pk__in=[])
    return base.filter(Q(pk__in=managed.values("pk")) | mine)


def visible_rounds(user: Any) -> QuerySet[ProposalRound]:
    """HR: every round; managers: the open ones."""
    base = ProposalRound.objects.select_related("cycle")
    if may(user, Action.PROPOSAL_RULES_MANAGE):
        return base
    if may(user, Action.PROPOSAL_LIST):
        return base.filter(status=RoundStatus.OPEN)
    return base.none()


# Helpers -------------------------------------------------------------------------------


def _notify(proposal: Proposal, event: str) -> None:
    enqueue_on_commit(NOTIFY_TASK, proposal.pk, event)


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise field_error(field, _("Enter a number.")) from exc
    if not number.is_finite():
        raise field_error(field, _("Enter a number."))
    return number


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise field_error(field, _("Enter a whole number.")) from exc


def _validate_round(round: ProposalRound) -> None:
    if round.kind not in RoundKind.values:
        raise field_error("kind", _("Choose salary review or promotion."))
    if not round.name:
        raise field_error("name", _("Give the round a name."))
    order = elig.scale_order(round.cycle)
    if not order:
        raise field_error(
            "cycle", _("The cycle has no grade scale: give it one before opening a round.")
        )
    if round.min_grade not in order:
        raise field_error(
            "min_grade",
            _("Unknown grade %(grade)s: choose one of %(grades)s.")
            % {"grade": round.min_grade or "—", "grades": ", ".join(order)},
        )
    if round.cycles_considered is None or round.cycles_considered < 1:
        raise field_error("cycles_considered", _("Consider at least one cycle."))
    if round.min_tenure_months is None or round.min_tenure_months < 0:
        raise field_error("min_tenure_months", _("This may not be negative."), code="negative")
    if round.max_increase_pct is None or round.max_increase_pct <= 0:
        raise field_error("max_increase_pct", _("The maximum increase must be above 0%."))
    if round.increase_budget is not None and round.increase_budget < 0:
        raise field_error("increase_budget", _("This may not be negative."), code="negative")
    if (
        ProposalRound.objects.filter(cycle=round.cycle, name=round.name)
        .exclude(pk=round.pk)
        .exists()
    ):
        raise field_error("name", _("A round with this name exists for the cycle."))


def _set_round_values(round: ProposalRound, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if key in ("cycles_considered", "min_tenure_months"):
            value = _int(value, key)
        elif key in ("max_increase_pct", "increase_budget"):
            value = _decimal(value, key)
        elif isinstance(value, str):
            value = value.strip()
        if key == "min_grade" and isinstance(value, str):
            value = value.upper()
        setattr(round, key, value)


def _require_hr(actor: Any) -> None:
    if not may(actor, Action.PROPOSAL_RULES_MANAGE):
        raise Forbidden(_("Only HR manages proposal rounds."))


# Rounds --------------------------------------------------------------------------------


@transaction.atomic
def round_create(
    *,
    actor: Any,
    cycle: Cycle,
    kind: str,
    name: str,
    min_grade: str,
    cycles_considered: int = 1,
    min_tenure_months: int = 0,
    max_increase_pct: Any = Decimal(15),
    increase_budget: Any = None,
    nominations_close_on: dt.date | None = None,
) -> ProposalRound:
    """Open a round for ``cycle`` (HR)."""
    _require_hr(actor)
    round = ProposalRound(cycle=cycle, kind=kind, created_by=actor)
    _set_round_values(
        round,
        {
            "name": name,
            "min_grade": min_grade,
            "cycles_considered": cycles_considered,
            "min_tenure_months": min_tenure_months,
            "max_increase_pct": max_increase_pct
            if max_increase_pct not in (None, "")
            else Decimal(15),
            "increase_budget": increase_budget,
            "nominations_close_on": nominations_close_on,
        },
    )
    if kind != RoundKind.SALARY:
        round.increase_budget = None
    _validate_round(round)
    full_clean(round, exclude=["created_by", "cycle"])
    round.save()
    audit_record(actor=actor, action=AuditAction.CREATE, instance=round, after=snapshot(round))
    return round


@transaction.atomic
def round_update(
    *,
    actor: Any,
    round: ProposalRound,
    expected_version: int | None = None,
    **changes: Any,
) -> ProposalRound:
    """Change a round's name and rules (HR)."""
    reject_unknown(changes, ROUND_FIELDS)
    _require_hr(actor)
    before = snapshot(round, ROUND_FIELDS)
    _set_round_values(round, changes)
    if not round.is_salary:
        round.increase_budget = None
    _validate_round(round)
    full_clean(round, exclude=["created_by", "cycle"])
    round.save_versioned(expected_version=expected_version, update_fields=list(ROUND_FIELDS))
    audit_change(actor=actor, instance=round, before=before)
    return round


@transaction.atomic
def round_close(
    *, actor: Any, round: ProposalRound, expected_version: int | None = None
) -> ProposalRound:
    """Close a round to new nominations (HR); pending proposals may still be decided."""
    _require_hr(actor)
    if round.status == RoundStatus.CLOSED:
        raise DomainError(_("This round is already closed."), code="round_closed")
    before = snapshot(round, ["status"])
    round.status = RoundStatus.CLOSED
    round.save_versioned(expected_version=expected_version, update_fields=["status"])
    audit_change(actor=actor, instance=round, before=before)
    return round


# Proposals -----------------------------------------------------------------------------


def _proposed_base(current: Decimal | None, pct: Decimal | None) -> Decimal | None:
    if current is None or pct is None:
        return None
    return (current * (Decimal(100) + pct) / Decimal(100)).quantize(CENT, ROUND_HALF_UP)


def _validate_proposal(proposal: Proposal) -> None:
    round = proposal.round
    if len(proposal.justification) < MIN_JUSTIFICATION:
        raise field_error(
            "justification",
            _("Write a justification of at least %(n)s characters.") % {"n": MIN_JUSTIFICATION},
        )
    if not proposal.eligible and len(proposal.exception_reason) < MIN_EXCEPTION_REASON:
        raise field_error(
            "exception_reason",
            _(
                "%(name)s is not eligible (%(why)s): nominating them needs an exception "
                "reason of at least %(n)s characters."
            )
            % {
                "name": proposal.employee.name,
                "why": "; ".join(proposal.eligibility.get("reasons", [])),
                "n": MIN_EXCEPTION_REASON,
            },
        )
    if round.is_salary:
        pct = proposal.increase_pct
        if pct is None or pct <= 0:
            raise field_error("increase_pct", _("Propose an increase above 0%."))
        if pct > round.max_increase_pct:
            raise field_error(
                "increase_pct",
                _("The increase may be at most %(max)s%%.") % {"max": round.max_increase_pct},
                code="over_max_increase",
            )
        proposal.proposed_base = _proposed_base(proposal.current_base, pct)
        proposal.proposed_title = proposal.proposed_level = ""
    else:
        proposal.increase_pct = proposal.proposed_base = None
        if not proposal.proposed_level:
            raise field_error("proposed_level", _("Give the proposed level."))
        if (
            proposal.proposed_level == proposal.current_level
            and (proposal.proposed_title or proposal.current_title) == proposal.current_title
        ):
            raise field_error(
                "proposed_level", _("The proposed level and title are the current ones.")
            )


def _require_nominations_open(round: ProposalRound) -> None:
    if round.status != RoundStatus.OPEN:
        raise DomainError(_("This round is closed."), code="round_closed")
    if round.nominations_close_on and timezone.localdate() > round.nominations_close_on:
        raise DomainError(
            _("Nominations closed on %(date)s.") % {"date": round.nominations_close_on},
            code="nominations_closed",
        )


def _snapshot_eligibility(proposal: Proposal) -> None:
    found = elig.evaluate_one(proposal.round, proposal.employee)
    proposal.eligible = found.eligible
    proposal.eligibility = found.as_dict()


@transaction.atomic
def proposal_nominate(
    *,
    actor: Any,
    round: ProposalRound,
    employee: Employee,
    justification: str,
    exception_reason: str = "",
    increase_pct: Any = None,
    proposed_title: str = "",
    proposed_level: str = "",
) -> Proposal:
    """Nominate ``employee`` in ``round`` (their managers, HR)."""
    from perfcycle.rewards.models import Compensation

    if not may(actor, Action.PROPOSAL_NOMINATE, employee):
        raise Forbidden(_("Only the person's managers or HR may nominate them."))
    round = ProposalRound.objects.select_related("cycle").get(pk=round.pk)
    _require_nominations_open(round)
    if Proposal.objects.filter(round=round, employee=employee, status__in=LIVE_STATUSES).exists():
        raise DomainError(
            _("%(name)s already has a proposal in this round.") % {"name": employee.name},
            code="duplicate_proposal",
        )
    comp = Compensation.objects.filter(employee=employee).first()
    proposal = Proposal(
        round=round,
        employee=employee,
        nominated_by=acting_employee(actor),
        justification=(justification or "").strip(),
        exception_reason=(exception_reason or "").strip(),
        increase_pct=_decimal(increase_pct, "increase_pct"),
        current_base=comp.base_monthly if comp is not None else None,
        current_title=employee.job_title,
        current_level=employee.level,
        proposed_title=(proposed_title or "").strip(),
        proposed_level=(proposed_level or "").strip(),
        status=ProposalStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    _snapshot_eligibility(proposal)
    if proposal.eligible:
        proposal.exception_reason = ""
    _validate_proposal(proposal)
    full_clean(
        proposal,
        exclude=["round", "employee", "nominated_by", "endorsed_by", "decided_by", "eligibility"],
    )
    try:
        with transaction.atomic():
            proposal.save()
    except IntegrityError as exc:  # a concurrent nomination of the same person
        raise DomainError(
            _("%(name)s already has a proposal in this round.") % {"name": employee.name},
            code="duplicate_proposal",
        ) from exc
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=proposal, after=snapshot(proposal)
    )
    _notify(proposal, "submitted")
    return proposal


def _lock(proposal: Proposal) -> Proposal:
    """The proposal's row, locked, to check its status against concurrent steps."""
    return Proposal.objects.select_for_update().get(pk=proposal.pk)


def _is_nominator(actor: Any, proposal: Proposal) -> bool:
    me = acting_employee(actor)
    return me is not None and proposal.nominated_by_id == me.pk


def _require_nominator(actor: Any, proposal: Proposal) -> None:
    if not (_is_nominator(actor, proposal) or is_hr(actor)):
        raise Forbidden(_("Only the nominator may do this."))


def _step(
    actor: Any,
    proposal: Proposal,
    fields: list[str],
    expected_version: int | None,
    reason: str = "",
) -> None:
    # The values before come from the stored row: the callers have already set the new ones.
    before = snapshot(Proposal.objects.get(pk=proposal.pk), fields)
    proposal.save_versioned(expected_version=expected_version, update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=proposal,
        before=before,
        after=snapshot(proposal, fields),
        reason=reason,
    )


@transaction.atomic
def proposal_update(
    *,
    actor: Any,
    proposal: Proposal,
    expected_version: int | None = None,
    **changes: Any,
) -> Proposal:
    """Edit a returned proposal (the nominator, or HR) before resubmitting it."""
    reject_unknown(changes, PROPOSAL_FIELDS)
    _require_nominator(actor, proposal)
    fresh = _lock(proposal)
    if fresh.status != ProposalStatus.RETURNED:
        raise DomainError(
            _("Only a proposal returned to its nominator can be edited."), code="not_returned"
        )
    for key, value in changes.items():
        if key == "increase_pct":
            value = _decimal(value, key)
        elif isinstance(value, str) or value is None:
            value = (value or "").strip()
        setattr(proposal, key, value)
    _validate_proposal(proposal)
    full_clean(
        proposal,
        exclude=["round", "employee", "nominated_by", "endorsed_by", "decided_by", "eligibility"],
    )
    fields = [*changes, "proposed_base"] if proposal.round.is_salary else list(changes)
    _step(actor, proposal, sorted(set(fields)), expected_version)
    return proposal


@transaction.atomic
def proposal_resubmit(
    *, actor: Any, proposal: Proposal, expected_version: int | None = None
) -> Proposal:
    """Send a returned proposal back for endorsement; eligibility is checked again."""
    _require_nominator(actor, proposal)
    fresh = _lock(proposal)
    if fresh.status != ProposalStatus.RETURNED:
        raise DomainError(_("Only a returned proposal can be resubmitted."), code="not_returned")
    _require_nominations_open(proposal.round)
    _snapshot_eligibility(proposal)
    _validate_proposal(proposal)
    proposal.status = ProposalStatus.SUBMITTED
    proposal.submitted_at = timezone.now()
    _step(
        actor,
        proposal,
        ["status", "submitted_at", "eligible", "eligibility", "proposed_base"],
        expected_version,
    )
    _notify(proposal, "resubmitted")
    return proposal


@transaction.atomic
def proposal_withdraw(
    *, actor: Any, proposal: Proposal, expected_version: int | None = None
) -> Proposal:
    """The nominator takes the proposal back before a decision."""
    if not _is_nominator(actor, proposal):
        raise Forbidden(_("Only the nominator may withdraw the proposal."))
    fresh = _lock(proposal)
    if fresh.status not in (*PENDING_STATUSES, ProposalStatus.RETURNED):
        raise DomainError(_("A decided proposal cannot be withdrawn."), code="already_decided")
    proposal.status = ProposalStatus.WITHDRAWN
    _step(actor, proposal, ["status"], expected_version)
    return proposal


@transaction.atomic
def proposal_endorse(
    *,
    actor: Any,
    proposal: Proposal,
    note: str = "",
    expected_version: int | None = None,
) -> Proposal:
    """A manager above the employee (not the nominator), or HR, supports the proposal."""
    if not may(actor, Action.PROPOSAL_ENDORSE, proposal):
        raise Forbidden(_("Only a manager above the person, or HR, may endorse."))
    if _is_nominator(actor, proposal):
        raise Forbidden(_("You cannot endorse your own nomination."))
    fresh = _lock(proposal)
    if fresh.status != ProposalStatus.SUBMITTED:
        raise DomainError(_("Only a submitted proposal can be endorsed."), code="not_submitted")
    proposal.status = ProposalStatus.ENDORSED
    proposal.endorsed_by = actor
    proposal.endorsed_at = timezone.now()
    proposal.endorse_note = (note or "").strip()
    _step(
        actor,
        proposal,
        ["status", "endorsed_by", "endorsed_at", "endorse_note"],
        expected_version,
    )
    _notify(proposal, "endorsed")
    return proposal


@transaction.atomic
def proposal_return(
    *,
    actor: Any,
    proposal: Proposal,
    reason: str,
    expected_version: int | None = None,
) -> Proposal:
    """Send the proposal back to its nominator with a reason (endorsers, HR)."""
    if not (may(actor, Action.PROPOSAL_ENDORSE, proposal) or may(actor, Action.PROPOSAL_DECIDE)):
        raise Forbidden(_("Only an endorser or HR may return a proposal."))
    if _is_nominator(actor, proposal) and not is_hr(actor):
        raise Forbidden(_("You cannot return your own nomination: edit or withdraw it."))
    reason = (reason or "").strip()
    if len(reason) < MIN_RETURN_REASON:
        raise field_error(
            "reason",
            _("Say why, in at least %(n)s characters.") % {"n": MIN_RETURN_REASON},
        )
    fresh = _lock(proposal)
    if fresh.status not in PENDING_STATUSES:
        raise DomainError(
            _("Only a proposal awaiting a decision can be returned."), code="not_pending"
        )
    proposal.status = ProposalStatus.RETURNED
    proposal.return_reason = reason
    proposal.endorsed_by = None
    proposal.endorsed_at = None
    _step(
        actor,
        proposal,
        ["status", "return_reason", "endorsed_by", "endorsed_at"],
        expected_version,
        reason=reason,
    )
    _notify(proposal, "returned")
    return proposal


def _require_decide(actor: Any, proposal: Proposal) -> Proposal:
    if not may(actor, Action.PROPOSAL_DECIDE, proposal):
        raise Forbidden(_("Only HR decides proposals."))
    fresh = _lock(proposal)
    if fresh.status == ProposalStatus.APPROVED:
        raise DomainError(_("This proposal is already approved."), code="already_approved")
    if fresh.status not in PENDING_STATUSES:
        raise DomainError(
            _("Only a submitted or endorsed proposal can be decided."), code="not_pending"
        )
    return fresh


def round_budget_used(round: ProposalRound) -> Decimal:
    """The monthly amount of the round's approved increases."""
    total = Decimal(0)
    for current, proposed in Proposal.objects.filter(
        round=round, status=ProposalStatus.APPROVED
    ).values_list("current_base", "proposed_base"):
        if current is not None and proposed is not None:
            total += proposed - current
    return total


def _apply_salary(actor: Any, proposal: Proposal) -> None:
    """Raise the pay on record by the proposal's percentage, within the round's budget."""
    from perfcycle.rewards.models import Compensation
    from perfcycle.rewards.services import compensation_set

    # Serialise approvals of the round: the budget check and the write are one step.
    round = ProposalRound.objects.select_for_update().get(pk=proposal.round_id)
    comp = Compensation.objects.filter(employee_id=proposal.employee_id).first()
    if comp is None:
        raise DomainError(
            _("%(name)s has no pay on record: record it before approving an increase.")
            % {"name": proposal.employee.name},
            code="no_compensation",
        )
    # The increase applies to the pay on record now (it may have changed since).
    proposal.current_base = comp.base_monthly
    proposal.proposed_base = _proposed_base(comp.base_monthly, proposal.increase_pct)
    assert proposal.proposed_base is not None
    if round.increase_budget is not None:
        used = round_budget_used(round)
        increase = proposal.proposed_base - comp.base_monthly
        if used + increase > round.increase_budget:
            raise DomainError(
                _(
                    "Approving this increase (%(inc)s a month) would pass the round's budget: "
                    "%(used)s of %(budget)s is already used."
                )
                % {"inc": increase, "used": used, "budget": round.increase_budget},
                code="over_budget",
            )
    compensation_set(
        actor=actor,
        employee=proposal.employee,
        base_monthly=proposal.proposed_base,
        target_bonus_amount=comp.target_bonus_amount,
        target_bonus_months=comp.target_bonus_months,
        currency=comp.currency,
        expected_version=comp.version,
    )


def _apply_promotion(actor: Any, proposal: Proposal) -> None:
    from perfcycle.org.services import employee_update

    employee = Employee.objects.get(pk=proposal.employee_id)
    employee_update(
        actor=actor,
        employee=employee,
        job_title=proposal.proposed_title or employee.job_title,
        level=proposal.proposed_level,
    )


@transaction.atomic
def proposal_approve(
    *,
    actor: Any,
    proposal: Proposal,
    effective_on: dt.date | None,
    note: str = "",
    expected_version: int | None = None,
) -> Proposal:
    """HR approves: the new pay or title and level take effect on the record now."""
    fresh = _require_decide(actor, proposal)
    if effective_on is None:
        raise field_error("effective_on", _("Give the date the change takes effect."))
    if proposal.round.is_salary:
        _apply_salary(actor, proposal)
    else:
        _apply_promotion(actor, proposal)
    proposal.decided_without_endorsement = fresh.status == ProposalStatus.SUBMITTED
    proposal.status = ProposalStatus.APPROVED
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.decision_note = (note or "").strip()
    proposal.effective_on = effective_on
    _step(
        actor,
        proposal,
        [
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "decided_without_endorsement",
            "effective_on",
            "current_base",
            "proposed_base",
        ],
        expected_version,
    )
    _notify(proposal, "approved")
    return proposal


@transaction.atomic
def proposal_reject(
    *,
    actor: Any,
    proposal: Proposal,
    reason: str,
    expected_version: int | None = None,
) -> Proposal:
    """HR rejects, with a reason; the nominator is told, the employee never."""
    fresh = _require_decide(actor, proposal)
    reason = (reason or "").strip()
    if len(reason) < MIN_REJECT_REASON:
        raise field_error(
            "reason",
            _("Say why, in at least %(n)s characters.") % {"n": MIN_REJECT_REASON},
        )
    proposal.decided_without_endorsement = fresh.status == ProposalStatus.SUBMITTED
    proposal.status = ProposalStatus.REJECTED
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.decision_note = reason
    _step(
        actor,
        proposal,
        ["status", "decided_by", "decided_at", "decision_note", "decided_without_endorsement"],
        expected_version,
        reason=reason,
    )
    _notify(proposal, "rejected")
    return proposal

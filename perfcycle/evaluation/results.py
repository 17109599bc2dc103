"""What the scoring service's numbers become: stored results (the rows calibration
starts from, each with its breakdown, audited when they change) and a manager's goal-score
overrides with their written reasons."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, may
from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.audit.services import AuditEntry, audit_record, audit_record_many, to_json_value
from perfcycle.core.batch import without_gc
from perfcycle.core.bulk import analyze_large_write
from perfcycle.core.errors import DomainError, Forbidden, ValidationFailed
from perfcycle.core.validation import field_error
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.evaluation.models import GoalScoreOverride, ScoreResult
from perfcycle.evaluation.scores import HUNDRED, ZERO, cycle_scores, q
from perfcycle.planning.models import Goal, OwnerType

# A manager may override goal scores while reviews and calibration are under way.
OVERRIDE_PHASES = (
    Phase.SELF_REVIEW,
    Phase.REVIEW_360,
    Phase.MANAGER_REVIEW,
    Phase.CALIBRATION,
)


# --- Stored results -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoreReport:
    created: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# People whose results are written out and saved at a time.
STORE_CHUNK = 2000

_COMPARED = (
    "goals_score",
    "competencies_score",
    "overall_score",
    "grade",
    "complete",
    "normalised",
)


def store_allowed(cycle: Cycle) -> None:
    """Refuse storing results outside the phases they may be stored in."""
    if cycle.template_id is None:
        raise DomainError(_("This cycle has no review template."), code="no_template")
    if cycle.phase in (Phase.DRAFT, Phase.PLANNING, Phase.CLOSED):
        raise DomainError(
            _("Results are computed once the cycle is under way and before it closes."),
            code="wrong_phase",
        )


@transaction.atomic
def scores_store(*, actor: Any, cycle: Cycle, now: dt.datetime | None = None) -> StoreReport:
    """Compute the whole cycle and store each person's result with its breakdown (the
    rows calibration starts from). Changed results are audited with before and after."""
    if not may(actor, Action.SCORE_COMPUTE):
        raise Forbidden(_("Only HR computes the cycle's results."))
    store_allowed(cycle)
    now = now or timezone.now()
    created = updated = unchanged = 0
    with without_gc():
        # Stored explanations are written in the site's language, whoever presses the
        # button, so that recomputing in another language does not count as a change.
        with translation.override(settings.LANGUAGE_CODE):
            scores = cycle_scores(cycle)
        people = list(scores)
        # A chunk of people at a time: their breakdowns written out, compared with what
        # is stored and saved, so that memory stays flat however large the cycle.
        for start in range(0, len(people), STORE_CHUNK):
            chunk = {emp_id: scores.pop(emp_id) for emp_id in people[start : start + STORE_CHUNK]}
            counts = _store_chunk(actor=actor, cycle=cycle, scores=chunk, now=now)
            created += counts[0]
            updated += counts[1]
            unchanged += counts[2]
    report = StoreReport(created, updated, unchanged)
    # The audit events too: written a chunk at a time, each too few to count alone.
    analyze_large_write([ScoreResult, AuditEvent], created + updated)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=cycle,
        after={"scores_stored": report.as_dict()},
    )
    return report


def _store_chunk(
    *, actor: Any, cycle: Cycle, scores: dict[int, Any], now: dt.datetime
) -> tuple[int, int, int]:
    """Store ``scores`` (some of the cycle's people): (created, updated, unchanged)."""
    with translation.override(settings.LANGUAGE_CODE):
        breakdowns = {emp_id: score.as_dict() for emp_id, score in scores.items()}
    existing = {
        r.employee_id: r for r in ScoreResult.objects.filter(cycle=cycle, employee_id__in=scores)
    }
    new_rows: list[ScoreResult] = []
    changed: list[ScoreResult] = []
    entries: list[AuditEntry] = []
    unchanged = 0
    for emp_id, score in scores.items():
        values = {
            "goals_score": score.goals_score,
            "competencies_score": score.competencies_score,
            "overall_score": score.overall_score,
            "grade": score.grade,
            "complete": score.complete,
            "normalised": score.normalised,
        }
        breakdown = breakdowns[emp_id]
        row = existing.get(emp_id)
        if row is None:
            row = ScoreResult(
                cycle=cycle,
                employee_id=emp_id,
                breakdown=breakdown,
                computed_at=now,
                computed_by=actor,
                **values,
            )
            new_rows.append(row)
            continue
        before = {name: getattr(row, name) for name in _COMPARED}
        if before == values and row.breakdown == breakdown:
            unchanged += 1
            continue
        for name, value in values.items():
            setattr(row, name, value)
        row.breakdown, row.computed_at, row.computed_by = breakdown, now, actor
        changed.append(row)
        if before != values:
            entries.append(
                AuditEntry(
                    action=AuditAction.UPDATE,
                    instance=row,
                    object_repr=f"{cycle}: {score.employee_name}",
                    before=to_json_value(before),
                    after=to_json_value(values),
                )
            )
    ScoreResult.objects.bulk_create(new_rows, batch_size=1000)
    if new_rows and new_rows[0].pk is None:  # a backend that does not return ids
        ids = dict(
            ScoreResult.objects.filter(cycle=cycle, employee_id__in=scores).values_list(
                "employee_id", "id"
            )
        )
        for row in new_rows:
            row.pk = ids[row.employee_id]
    entries.extend(
        AuditEntry(
            action=AuditAction.CREATE,
            instance=row,
            object_repr=f"{cycle}: {scores[row.employee_id].employee_name}",
            after=to_json_value({name: getattr(row, name) for name in _COMPARED}),
        )
        for row in new_rows
    )
    ScoreResult.objects.bulk_update(
        changed,
        [*_COMPARED, "breakdown", "computed_at", "computed_by"],
        batch_size=1000,
    )
    audit_record_many(actor=actor, entries=entries)
    return len(new_rows), len(changed), unchanged


# --- Goal score overrides ------------------------------------------------------------------


def _ensure_override_allowed(actor: Any, goal: Goal) -> None:
    if goal.owner_type != OwnerType.EMPLOYEE:
        raise DomainError(
            _("Only a person's goals are scored in their review."), code="not_a_person_goal"
        )
    if not may(actor, Action.SCORE_OVERRIDE, goal):
        raise Forbidden(_("Only the person's managers and HR may override a goal score."))
    if goal.cycle.phase not in OVERRIDE_PHASES:
        raise DomainError(
            _("Goal scores can be overridden during the reviews and calibration."),
            code="wrong_phase",
        )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise field_error(
            "reason", _("Write the reason for the change (at least 10 characters)."), "no_reason"
        )
    return reason


@transaction.atomic
def goal_score_override_set(
    *, actor: Any, goal: Goal, points: Decimal | int | str, reason: str
) -> GoalScoreOverride:
    """The manager's score for ``goal`` in place of the rule's, with a written reason."""
    _ensure_override_allowed(actor, goal)
    reason = _reason(reason)
    try:
        value = q(Decimal(str(points)))
    except ArithmeticError:
        raise field_error("points", _("Enter a number.")) from None
    cap = max(goal.rule_cap, HUNDRED)
    if not ZERO <= value <= cap:
        raise field_error(
            "points",
            _("Choose points from 0 to %(cap)s.") % {"cap": q(cap)},
        )
    existing = GoalScoreOverride.objects.select_for_update().filter(goal=goal).first()
    before = {"points": existing.points, "reason": existing.reason} if existing else None
    if existing is None:
        existing = GoalScoreOverride(goal=goal, points=value, reason=reason, by=actor)
    else:
        existing.points, existing.reason, existing.by = value, reason, actor
    existing.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        instance=existing,
        object_repr=f"{goal.employee}: {goal.title}",
        before=to_json_value(before) if before else None,
        after=to_json_value({"points": value, "reason": reason}),
        reason=reason,
    )
    return existing


@transaction.atomic
def goal_score_override_clear(*, actor: Any, goal: Goal, reason: str) -> None:
    """Go back to the rule's score; the reason is kept in the audit trail."""
    _ensure_override_allowed(actor, goal)
    reason = _reason(reason)
    existing = GoalScoreOverride.objects.select_for_update().filter(goal=goal).first()
    if existing is None:
        raise ValidationFailed(_("This goal's score is not overridden."), code="not_overridden")
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=existing,
        object_repr=f"{goal.employee}: {goal.title}",
        before=to_json_value({"points": existing.points, "reason": existing.reason}),
        reason=reason,
    )
    existing.delete()

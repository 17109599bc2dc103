"""Writes of check-ins / 1:1s (辅导 / 面谈): scheduling and requests, the agenda, shared
and private notes, a comment and confidence per goal, action items, holding it.

Rules enforced here, for pages and API alike (who may call what is the policy's
business, asked by the caller):

- a manager schedules a check-in with a report; an employee requests one from their
  manager, who confirms a time; only requested or scheduled check-ins change;
- private notes are written only by the employee's managers and HR;
- a goal noted at a check-in belongs to the employee; for an OKR goal the confidence
  is also the confidence of its key results;
- action items belong to the pair and stay open, carried to the next check-in, until
  somebody marks them done.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, Relation, acting_employee, may, relation
from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import (
    AuditEntry,
    audit_change,
    audit_record,
    audit_record_many,
    snapshot,
)
from perfcycle.core.errors import DomainError, Forbidden
from perfcycle.core.validation import field_error, full_clean
from perfcycle.cycles.models import Cycle
from perfcycle.monitoring.models import (
    ActionItem,
    AgendaItem,
    CheckIn,
    CheckInStatus,
    GoalCheckIn,
)
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal, GoalKind, KeyResult

OPEN_STATUSES = (CheckInStatus.REQUESTED, CheckInStatus.SCHEDULED)
# Never copied into the audit trail, whose readers are not all managers.
PRIVATE_FIELDS = {"private_notes"}


def _public_snapshot(checkin: CheckIn) -> dict[str, Any]:
    return {k: v for k, v in snapshot(checkin).items() if k not in PRIVATE_FIELDS}


def _manager_for(actor: Any, employee: Employee) -> Employee:
    """The manager side of the pair: the acting manager, else the employee's manager."""
    if relation(actor, employee) in {Relation.DIRECT_REPORT, Relation.INDIRECT_REPORT}:
        me = acting_employee(actor)
        assert me is not None
        return me
    if employee.manager_id is None:
        raise field_error("employee", _("%(name)s has no manager to meet.") % {"name": employee})
    return employee.manager  # type: ignore[return-value]


def _ensure_open(checkin: CheckIn) -> None:
    if checkin.status not in OPEN_STATUSES:
        raise DomainError(
            _("The check-in is %(status)s; it can no longer change.")
            % {"status": checkin.get_status_display()},
            code="checkin_closed",
        )


def _agenda_add(actor: Any, checkin: CheckIn, topics: list[str]) -> None:
    for topic in topics:
        topic = topic.strip()
        if topic:
            item = AgendaItem.objects.create(checkin=checkin, author=actor, text=topic[:500])
            audit_record(
                actor=actor, action=AuditAction.CREATE, instance=item, after=snapshot(item)
            )


@transaction.atomic
def checkin_schedule(
    *,
    actor: User,
    employee: Employee,
    scheduled_for: dt.datetime,
    cycle: Cycle | None = None,
    agenda: list[str] | None = None,
) -> CheckIn:
    """A manager (or HR) schedules a check-in with ``employee``."""
    if relation(actor, employee) is Relation.SELF:
        raise field_error("employee", _("Ask your manager for a check-in instead."))
    checkin = CheckIn(
        cycle=cycle,
        employee=employee,
        manager=_manager_for(actor, employee),
        scheduled_for=scheduled_for,
        status=CheckInStatus.SCHEDULED,
        requested_by=actor,
    )
    full_clean(checkin)
    checkin.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=checkin, after=_public_snapshot(checkin)
    )
    _agenda_add(actor, checkin, agenda or [])
    return checkin


@transaction.atomic
def checkin_request(
    *,
    actor: User,
    employee: Employee,
    proposed_for: dt.datetime | None = None,
    topic: str = "",
    cycle: Cycle | None = None,
) -> CheckIn:
    """An employee asks their manager for a check-in; the manager confirms a time."""
    if employee.manager_id is None:
        raise field_error("employee", _("You have no manager to meet."))
    checkin = CheckIn(
        cycle=cycle,
        employee=employee,
        manager=employee.manager,
        scheduled_for=proposed_for or timezone.now(),
        status=CheckInStatus.REQUESTED,
        requested_by=actor,
    )
    full_clean(checkin)
    checkin.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=checkin, after=_public_snapshot(checkin)
    )
    _agenda_add(actor, checkin, [topic])
    return checkin


@transaction.atomic
def checkin_confirm(
    *,
    actor: User,
    checkin: CheckIn,
    scheduled_for: dt.datetime,
    expected_version: int | None = None,
) -> CheckIn:
    """The manager confirms (or moves) the time: a requested check-in becomes scheduled."""
    _ensure_open(checkin)
    if relation(actor, checkin.employee) is Relation.SELF:
        raise Forbidden(_("Your manager confirms the time."))
    before = snapshot(checkin, ["status", "scheduled_for"])
    checkin.status = CheckInStatus.SCHEDULED
    checkin.scheduled_for = scheduled_for
    checkin.save_versioned(
        expected_version=expected_version, update_fields=["status", "scheduled_for"]
    )
    audit_change(actor=actor, instance=checkin, before=before)
    return checkin


@transaction.atomic
def checkin_cancel(
    *, actor: User, checkin: CheckIn, reason: str = "", expected_version: int | None = None
) -> CheckIn:
    _ensure_open(checkin)
    before = snapshot(checkin, ["status"])
    checkin.status = CheckInStatus.CANCELLED
    checkin.save_versioned(expected_version=expected_version, update_fields=["status"])
    audit_change(actor=actor, instance=checkin, before=before, reason=reason.strip())
    return checkin


@transaction.atomic
def checkin_mark_held(
    *, actor: User, checkin: CheckIn, expected_version: int | None = None
) -> CheckIn:
    if checkin.status != CheckInStatus.SCHEDULED:
        raise DomainError(
            _("Only a scheduled check-in can be marked held; this one is %(status)s.")
            % {"status": checkin.get_status_display()},
            code="illegal_transition",
        )
    before = snapshot(checkin, ["status", "held_at"])
    checkin.status = CheckInStatus.DONE
    checkin.held_at = timezone.now()
    checkin.save_versioned(expected_version=expected_version, update_fields=["status", "held_at"])
    audit_change(actor=actor, instance=checkin, before=before)
    return checkin


@transaction.atomic
def checkin_update_notes(
    *,
    actor: User,
    checkin: CheckIn,
    shared_notes: str | None = None,
    private_notes: str | None = None,
    expected_version: int | None = None,
) -> CheckIn:
    """Shared notes: both sides. Private notes: the employee's managers and HR only."""
    if checkin.status == CheckInStatus.CANCELLED:
        _ensure_open(checkin)
    fields: list[str] = []
    if private_notes is not None and private_notes.strip() != checkin.private_notes:
        if not may(actor, Action.CHECKIN_PRIVATE_NOTES, checkin):
            raise Forbidden(_("Only managers write private notes."))
        checkin.private_notes = private_notes.strip()
        fields.append("private_notes")
    if shared_notes is not None and shared_notes.strip() != checkin.shared_notes:
        before = snapshot(checkin, ["shared_notes"])
        checkin.shared_notes = shared_notes.strip()
        fields.append("shared_notes")
    else:
        before = {}
    if not fields:
        return checkin
    checkin.save_versioned(expected_version=expected_version, update_fields=fields)
    if before:
        audit_change(actor=actor, instance=checkin, before=before)
    if "private_notes" in fields:
        # That they changed, never what they say.
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=checkin,
            after={"private_notes": "changed"},
        )
    return checkin


@transaction.atomic
def agenda_item_add(*, actor: User, checkin: CheckIn, text: str) -> AgendaItem:
    _ensure_open(checkin)
    if not text.strip():
        raise field_error("text", _("Write the topic first."))
    _agenda_add(actor, checkin, [text])
    return checkin.agenda.order_by("-id").first()  # type: ignore[return-value]


@transaction.atomic
def goal_checkin_record(
    *,
    actor: User,
    checkin: CheckIn,
    goal: Goal,
    comment: str = "",
    confidence: int | None = None,
) -> GoalCheckIn:
    """A progress comment and a confidence (0–10) on one goal; again replaces it."""
    if checkin.status == CheckInStatus.CANCELLED:
        _ensure_open(checkin)
    if goal.employee_id != checkin.employee_id:
        raise field_error(
            "goal", _("The goal is not one of %(name)s's.") % {"name": checkin.employee}
        )
    if confidence is not None and not 0 <= confidence <= 10:
        raise field_error("confidence", _("Confidence lies between 0 and 10."))
    note = GoalCheckIn.objects.filter(checkin=checkin, goal=goal).first()
    created = note is None
    if note is None:
        note = GoalCheckIn(checkin=checkin, goal=goal)
    before = {} if created else snapshot(note, ["comment", "confidence"])
    note.comment = comment.strip()
    note.confidence = confidence
    full_clean(note, exclude=["checkin", "goal"])
    note.save()
    if created:
        audit_record(actor=actor, action=AuditAction.CREATE, instance=note, after=snapshot(note))
    else:
        audit_change(actor=actor, instance=note, before=before)
    if goal.kind == GoalKind.OKR and confidence is not None:
        changed = list(KeyResult.objects.filter(goal=goal).exclude(confidence=confidence))
        KeyResult.objects.filter(pk__in=[kr.pk for kr in changed]).update(confidence=confidence)
        audit_record_many(
            actor=actor,
            entries=[
                AuditEntry(
                    action=AuditAction.UPDATE,
                    instance=kr,
                    before={"confidence": kr.confidence},
                    after={"confidence": confidence},
                )
                for kr in changed
            ],
        )
    return note


@transaction.atomic
def action_item_create(
    *,
    actor: User,
    checkin: CheckIn,
    text: str,
    owner: Employee | None = None,
    due_date: dt.date | None = None,
) -> ActionItem:
    """Something agreed at ``checkin``; its owner is the employee (default) or the manager."""
    if checkin.status == CheckInStatus.CANCELLED:
        _ensure_open(checkin)
    owner = owner or checkin.employee
    if owner.pk not in {checkin.employee_id, checkin.manager_id}:
        raise field_error("owner", _("The owner is the employee or the manager of the check-in."))
    item = ActionItem(
        employee=checkin.employee,
        checkin=checkin,
        owner=owner,
        text=text.strip(),
        due_date=due_date,
    )
    full_clean(item)
    item.save()
    audit_record(actor=actor, action=AuditAction.CREATE, instance=item, after=snapshot(item))
    return item


@transaction.atomic
def action_item_set_done(*, actor: User, item: ActionItem, done: bool = True) -> ActionItem:
    before = snapshot(item, ["done_at"])
    if done == (item.done_at is not None):
        return item
    item.done_at = timezone.now() if done else None
    item.save(update_fields=["done_at", "updated_at"])
    audit_change(actor=actor, instance=item, before=before)
    return item

"""Writes of the plan stage: goals, key results, action plans, comments, the indicator
library and its one-step assignment, and the agreement state machine of goal sheets.

Rules enforced here, for pages and API alike:

- goals change only while the cycle is in draft, planning or in progress;
- a parent goal must be in the same cycle, and the cascade cannot loop;
- a KPI needs a target, and its threshold/stretch must sit on the right side of it;
- an employee edits their own goals only while their sheet is a draft; managers and HR
  may also edit a proposed or agreed sheet, and a change to what was acknowledged
  (target, weight, rule, ...) sends the sheet back for a new acknowledgement;
- a sheet is proposed only when its weights total exactly 100 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.access.policy import Relation, is_hr, relation
from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import (
    AuditEntry,
    audit_change,
    audit_record,
    audit_record_many,
    snapshot,
)
from perfcycle.core.errors import Conflict, DomainError, ValidationFailed
from perfcycle.core.validation import field_error, full_clean, reject_unknown
from perfcycle.cycles import phases
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.org.models import Department, Employee
from perfcycle.planning.models import (
    MATERIAL_FIELDS,
    Acknowledgement,
    Goal,
    GoalComment,
    GoalKind,
    GoalSheet,
    Indicator,
    KeyResult,
    Milestone,
    OwnerType,
    SheetStatus,
)
from perfcycle.planning.scoring import RuleType, check_standard

HUNDRED = Decimal(100)

# Fields a goal takes from its indicator unless given.
INDICATOR_DEFAULTS = (
    "unit",
    "direction",
    "measurement_period",
    "aggregation",
    "calculation_method",
    "quality_conditions",
    "data_source",
    "allow_negative",
    "rule_type",
    "rule_floor",
    "rule_cap",
    "threshold_points",
    "bands",
)
GOAL_FIELDS = (
    "title",
    "description",
    "kind",
    "weight",
    "ref",
    "parent",
    "indicator",
    "baseline",
    "target",
    "threshold",
    "stretch",
    "due_date",
    *INDICATOR_DEFAULTS,
)


def ensure_goals_editable(cycle: Cycle) -> None:
    if cycle.phase not in phases.GOALS_EDITABLE:
        raise DomainError(
            _("Goals of the cycle “%(cycle)s” can no longer change: it is in the %(phase)s phase.")
            % {"cycle": cycle.name, "phase": cycle.get_phase_display()},
            code="cycle_locked",
        )


def validate_goal(goal: Goal) -> None:
    """The invariants of one goal; raises ValidationFailed naming the fields."""
    problems: dict[str, list[str]] = {}
    if goal.kind == GoalKind.KPI:
        if goal.target is None:
            problems["target"] = [_("A quantitative KPI needs a target.")]
        else:
            standard = goal.standard()
            assert standard is not None
            for name, message in check_standard(standard, goal.rule()).items():
                problems.setdefault(name, []).append(message)
            if not goal.allow_negative:
                for name in ("baseline", "target", "threshold", "stretch"):
                    value = getattr(goal, name)
                    if value is not None and value < 0:
                        problems.setdefault(name, []).append(
                            _("This indicator does not allow negative values.")
                        )
    if goal.kind == GoalKind.MILESTONE and goal.due_date is None:
        problems["due_date"] = [_("A milestone needs a due date.")]
    if goal.due_date and not (goal.cycle.start_date <= goal.due_date <= goal.cycle.end_date):
        problems.setdefault("due_date", []).append(_("The due date must fall within the cycle."))
    if goal.parent_id is not None:
        parent = goal.parent
        if parent.cycle_id != goal.cycle_id:
            problems["parent"] = [_("A goal can only align to a goal of the same cycle.")]
        elif goal.pk is not None:
            node: Goal | None = parent
            seen = 0
            while node is not None and seen < 100:
                if node.pk == goal.pk:
                    problems["parent"] = [_("A goal cannot align to one of its own sub-goals.")]
                    break
                node = node.parent
                seen += 1
    if problems:
        raise ValidationFailed(_("Please correct the errors below."), details={"fields": problems})


def _sheet_for(actor: Any, cycle: Cycle, employee: Employee) -> tuple[GoalSheet, bool]:
    """The employee's sheet in ``cycle``, and whether it was made now."""
    sheet, created = GoalSheet.objects.get_or_create(cycle=cycle, employee=employee)
    if created:
        audit_record(actor=actor, action=AuditAction.CREATE, instance=sheet, after=snapshot(sheet))
    return sheet, created


def sheet_audit_entries(sheets: Iterable[GoalSheet]) -> list[AuditEntry]:
    """Create events of goal sheets made in bulk (with their goals), named from one query."""
    sheets = list(sheets)
    people = {
        pk: f"{name} ({number})"
        for pk, name, number in Employee.objects.filter(
            pk__in=[s.employee_id for s in sheets]
        ).values_list("pk", "name", "employee_number")
    }
    return [
        AuditEntry(
            action=AuditAction.CREATE,
            instance=s,
            object_repr=f"{s.cycle} · {people.get(s.employee_id, '')}",
            after=snapshot(s),
        )
        for s in sheets
    ]


def _actor_is_owner(actor: Any, goal_or_sheet: Goal | GoalSheet) -> bool:
    employee = goal_or_sheet.employee
    return employee is not None and relation(actor, employee) is Relation.SELF and not is_hr(actor)


def _ensure_sheet_open_to(actor: Any, sheet: GoalSheet | None, *, structural: bool) -> None:
    """Employees edit only draft sheets; structural changes (add/remove goals) need a draft."""
    if sheet is None:
        return
    if sheet.status == SheetStatus.DRAFT:
        return
    if _actor_is_owner(actor, sheet):
        raise DomainError(
            _("Your goals are %(status)s; ask your manager to return them to draft to change them.")
            % {"status": sheet.get_status_display()},
            code="sheet_locked",
        )
    if structural:
        raise DomainError(
            _(
                "Goals are already %(status)s. Return the sheet to draft before adding or removing goals."
            )
            % {"status": sheet.get_status_display()},
            code="sheet_locked",
        )


def sheet_weight_total(sheet: GoalSheet) -> Decimal:
    return sum((g.weight for g in sheet.goals.all()), Decimal(0))


def _after_material_change(actor: Any, sheet: GoalSheet | None) -> None:
    """A change to agreed goals needs a new acknowledgement (and keeps weights at 100)."""
    if sheet is None or sheet.status == SheetStatus.DRAFT:
        return
    total = sheet_weight_total(sheet)
    if total != HUNDRED:
        raise field_error(
            "weight",
            _("Weights must still total 100%% after the change; they would total %(total)s%%.")
            % {"total": total},
        )
    if sheet.status == SheetStatus.ACKNOWLEDGED:
        before = sheet.status
        sheet.status = SheetStatus.APPROVED
        sheet.save_versioned(expected_version=None, update_fields=["status"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=sheet,
            before={"status": before},
            after={"status": sheet.status},
            reason=_("Agreed goals changed; a new acknowledgement is needed."),
        )


def _lock_sheet(sheet_id: int | None) -> None:
    """Lock a goal sheet's row until the transaction ends (PostgreSQL; SQLite has one
    writer anyway)."""
    if sheet_id is not None:
        GoalSheet.objects.select_for_update().filter(pk=sheet_id).values_list("pk").first()


def _weights_changed(sheet: GoalSheet | None) -> None:
    """A goal of ``sheet`` was added, removed or reweighted: the sheet's version moves on,
    so a weights change sent at the version read before is refused (409), not applied
    over the other change. Counted up in the database (a version is never handed out
    twice); ``sheet`` is brought up to date."""
    if sheet is None:
        return
    GoalSheet.objects.filter(pk=sheet.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    sheet.refresh_from_db(fields=["version", "updated_at"])


def _with_stored_version(exc: Conflict, goal: Goal) -> Conflict:
    """The conflict with the goal's version as stored now, for the API's 409 body."""
    stored = Goal._base_manager.filter(pk=goal.pk).values_list("version", flat=True).first()
    exc.details = {**(exc.details or {}), "version": stored}
    return exc


# Goals -------------------------------------------------------------------------------


@transaction.atomic
def goal_create(
    *,
    actor: User | None,
    cycle: Cycle,
    owner_type: str,
    employee: Employee | None = None,
    department: Department | None = None,
    **values: Any,
) -> Goal:
    reject_unknown(values, GOAL_FIELDS)
    ensure_goals_editable(cycle)
    if owner_type == OwnerType.EMPLOYEE and employee is None:
        raise field_error("employee", _("Choose whose goal this is."))
    if owner_type == OwnerType.DEPARTMENT and department is None:
        raise field_error("department", _("Choose the department."))
    if (
        owner_type == OwnerType.EMPLOYEE
        and not CycleParticipant.objects.filter(cycle=cycle, employee=employee).exists()
    ):
        raise field_error(
            "employee", _("%(name)s does not take part in this cycle.") % {"name": employee}
        )
    new_sheet = True  # company and department goals have no sheet
    goal = Goal(
        cycle=cycle,
        owner_type=owner_type,
        employee=employee if owner_type == OwnerType.EMPLOYEE else None,
        department=department if owner_type == OwnerType.DEPARTMENT else None,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    indicator = values.get("indicator")
    if indicator is not None:
        for name in INDICATOR_DEFAULTS:
            if name not in values:
                setattr(goal, name, getattr(indicator, name))
        values.setdefault("title", indicator.name)
    for key, value in values.items():
        setattr(goal, key, value.strip() if isinstance(value, str) else value)
    if goal.kind == GoalKind.MILESTONE:
        goal.rule_type = RuleType.BINARY
    if owner_type == OwnerType.EMPLOYEE:
        assert employee is not None
        goal.sheet, new_sheet = _sheet_for(actor, cycle, employee)
        _ensure_sheet_open_to(actor, goal.sheet, structural=True)
    full_clean(goal, exclude=["sheet", "created_by"])
    validate_goal(goal)
    goal.save()
    audit_record(actor=actor, action=AuditAction.CREATE, instance=goal, after=snapshot(goal))
    if not new_sheet:  # nobody can have read the weights of a sheet made just now
        _weights_changed(goal.sheet)
    return goal


@transaction.atomic
def goal_update(
    *, actor: User | None, goal: Goal, expected_version: int | None = None, **changes: Any
) -> Goal:
    reject_unknown(changes, GOAL_FIELDS)
    ensure_goals_editable(goal.cycle)
    # The sheet row first, as the sheet's own writes do (weights, agreement steps): one
    # lock order, so a goal edit and a weights change queue up instead of deadlocking.
    _lock_sheet(goal.sheet_id)
    sheet = goal.sheet
    _ensure_sheet_open_to(actor, sheet, structural=False)
    # Only real changes count: a target of 20 sent for 20.0000 is no change.
    changes = {
        k: v
        for k, v in changes.items()
        if getattr(goal, k) != (v.strip() if isinstance(v, str) else v)
    }
    before = snapshot(goal, changes.keys())
    material_before = goal.material_values()
    for key, value in changes.items():
        setattr(goal, key, value.strip() if isinstance(value, str) else value)
    if goal.kind == GoalKind.MILESTONE:
        goal.rule_type = RuleType.BINARY
    full_clean(goal, exclude=["sheet", "created_by"])
    validate_goal(goal)
    fields = sorted(set(changes) | {"rule_type"})
    try:
        goal.save_versioned(expected_version=expected_version, update_fields=fields)
    except Conflict as exc:
        raise _with_stored_version(exc, goal) from None
    audit_change(actor=actor, instance=goal, before=before)
    if "weight" in changes:
        _weights_changed(sheet)
    if goal.material_values() != material_before:
        _after_material_change(actor, sheet)
    return goal


@transaction.atomic
def goal_delete(*, actor: User | None, goal: Goal) -> None:
    ensure_goals_editable(goal.cycle)
    _ensure_sheet_open_to(actor, goal.sheet, structural=True)
    before = snapshot(goal)
    audit_record(actor=actor, action=AuditAction.DELETE, instance=goal, before=before)
    sheet = goal.sheet
    goal.delete()
    _weights_changed(sheet)


@transaction.atomic
def sheet_set_weights(
    *,
    actor: User | None,
    sheet: GoalSheet,
    weights: Mapping[int, Decimal],
    expected_version: int | None = None,
) -> GoalSheet:
    """Change several weights at once (the only way to rebalance an agreed sheet)."""
    ensure_goals_editable(sheet.cycle)
    _ensure_sheet_open_to(actor, sheet, structural=False)
    # Lock the sheet before reading its goals: a goal edit holds this lock too, so the
    # weights compared here are the committed ones.
    _lock_sheet(sheet.pk)
    goals = {g.pk: g for g in sheet.goals.all()}
    unknown = set(weights) - set(goals)
    if unknown:
        raise field_error("weights", _("Some goals are not on this sheet."))
    changed = []
    for pk, weight in weights.items():
        weight = Decimal(weight)
        if not (0 <= weight <= HUNDRED):
            raise field_error("weights", _("Each weight must lie between 0 and 100."))
        if goals[pk].weight != weight:
            changed.append((goals[pk], goals[pk].weight, weight))
            goals[pk].weight = weight
    if not changed:
        return sheet
    if sheet.status != SheetStatus.DRAFT:
        total = sum((g.weight for g in goals.values()), Decimal(0))
        if total != HUNDRED:
            raise field_error(
                "weights", _("Weights must total 100%%; they total %(total)s%%.") % {"total": total}
            )
    now = timezone.now()
    for goal, _old, _new in changed:
        # Counted up in the database: a version is never handed out twice, whatever
        # changed the goal since it was read (marking it done takes no sheet lock).
        goal.version = F("version") + 1
        goal.updated_at = now
    Goal.objects.bulk_update([g for g, _o, _n in changed], ["weight", "version", "updated_at"])
    audit_record_many(
        actor=actor,
        entries=[
            AuditEntry(
                action=AuditAction.UPDATE,
                instance=g,
                before={"weight": str(old)},
                after={"weight": str(new)},
            )
            for g, old, new in changed
        ],
    )
    sheet.save_versioned(expected_version=expected_version, update_fields=[])
    _after_material_change(actor, sheet)
    return sheet


# Agreement ---------------------------------------------------------------------------


def _check_ready(sheet: GoalSheet) -> None:
    goals = list(sheet.goals.all())
    if not goals:
        raise DomainError(_("There are no goals to propose."), code="sheet_empty")
    total = sum((g.weight for g in goals), Decimal(0))
    if total != HUNDRED:
        raise ValidationFailed(
            _("Goal weights must total 100%%; they total %(total)s%%.") % {"total": total},
            code="weights_not_100",
            details={"fields": {"weight": [str(total)]}, "total": str(total)},
        )
    for goal in goals:
        validate_goal(goal)


def _transition(
    actor: Any,
    sheet: GoalSheet,
    allowed_from: Iterable[str],
    to: str,
    expected_version: int | None,
    fields: dict[str, Any],
    reason: str = "",
) -> GoalSheet:
    ensure_goals_editable(sheet.cycle)
    if sheet.status not in allowed_from:
        raise DomainError(
            _("The goals are %(status)s; this step is not possible now.")
            % {"status": sheet.get_status_display()},
            code="illegal_transition",
            details={"from": sheet.status, "to": to},
        )
    before = sheet.status
    sheet.status = to
    for key, value in fields.items():
        setattr(sheet, key, value)
    sheet.save_versioned(expected_version=expected_version, update_fields=["status", *fields])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=sheet,
        before={"status": before},
        after={"status": to},
        reason=reason,
    )
    return sheet


@transaction.atomic
def sheet_propose(
    *, actor: User, sheet: GoalSheet, expected_version: int | None = None
) -> GoalSheet:
    _check_ready(sheet)
    return _transition(
        actor,
        sheet,
        [SheetStatus.DRAFT],
        SheetStatus.PROPOSED,
        expected_version,
        {"proposed_at": timezone.now(), "proposed_by": actor},
    )


@transaction.atomic
def sheet_approve(
    *, actor: User, sheet: GoalSheet, expected_version: int | None = None
) -> GoalSheet:
    if relation(actor, sheet.employee) is Relation.SELF:
        raise DomainError(_("Your own goals are approved by your manager."), code="own_approval")
    _check_ready(sheet)
    return _transition(
        actor,
        sheet,
        [SheetStatus.PROPOSED],
        SheetStatus.APPROVED,
        expected_version,
        {"approved_at": timezone.now(), "approved_by": actor},
    )


@transaction.atomic
def sheet_return(
    *, actor: User, sheet: GoalSheet, reason: str, expected_version: int | None = None
) -> GoalSheet:
    if not reason.strip():
        raise field_error("reason", _("Say why the goals go back to draft."))
    return _transition(
        actor,
        sheet,
        [SheetStatus.PROPOSED, SheetStatus.APPROVED, SheetStatus.ACKNOWLEDGED],
        SheetStatus.DRAFT,
        expected_version,
        {},
        reason=reason.strip(),
    )


def sheet_snapshot(sheet: GoalSheet) -> dict[str, Any]:
    goals = sheet.goals.select_related("parent", "indicator").prefetch_related(
        "key_results", "milestones"
    )
    return {
        "cycle": sheet.cycle.name,
        "employee": sheet.employee.employee_number,
        "goals": [
            {
                "id": g.pk,
                **g.material_values(),
                "parent": g.parent.title if g.parent else None,
                "indicator": g.indicator.code if g.indicator else None,
                "key_results": [
                    {
                        "title": kr.title,
                        "target": str(kr.target),
                        "unit": kr.unit,
                        "weight": str(kr.weight),
                    }
                    for kr in g.key_results.all()
                ],
                "milestones": [
                    {"title": m.title, "due_date": m.due_date.isoformat()}
                    for m in g.milestones.all()
                ],
            }
            for g in goals.order_by("id")
        ],
    }


@transaction.atomic
def sheet_acknowledge(
    *, actor: User, sheet: GoalSheet, expected_version: int | None = None
) -> Acknowledgement:
    if relation(actor, sheet.employee) is not Relation.SELF:
        raise DomainError(_("Only the employee can acknowledge their goals."), code="not_owner")
    now = timezone.now()
    _transition(
        actor,
        sheet,
        [SheetStatus.APPROVED],
        SheetStatus.ACKNOWLEDGED,
        expected_version,
        {"acknowledged_at": now},
    )
    acknowledgement = Acknowledgement.objects.create(
        sheet=sheet,
        acknowledged_at=now,
        acknowledged_by=actor,
        sheet_version=sheet.version,
        snapshot=sheet_snapshot(sheet),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=acknowledgement,
        after=snapshot(acknowledgement, ["sheet", "acknowledged_at", "sheet_version"]),
    )
    return acknowledgement


def sheet_changes_since_acknowledgement(sheet: GoalSheet) -> list[dict[str, Any]]:
    """What differs between the last acknowledged snapshot and the goals now."""
    last = sheet.acknowledgements.first()
    if last is None:
        return []
    then = {g["id"]: g for g in last.snapshot.get("goals", [])}
    now = {g["id"]: g for g in sheet_snapshot(sheet)["goals"]}
    changes: list[dict[str, Any]] = []
    for pk in sorted(set(then) | set(now)):
        old, new = then.get(pk), now.get(pk)
        if old is None:
            changes.append({"goal": new["title"], "change": "added"})
        elif new is None:
            changes.append({"goal": old["title"], "change": "removed"})
        else:
            fields = [
                {"field": f, "before": old.get(f), "after": new.get(f)}
                for f in MATERIAL_FIELDS
                if old.get(f) != new.get(f)
            ]
            if fields:
                changes.append({"goal": new["title"], "change": "changed", "fields": fields})
    return changes


# Key results, action plans, comments ------------------------------------------------


@transaction.atomic
def key_result_create(
    *, actor: User | None, goal: Goal, title: str, target: Decimal, **values: Any
) -> KeyResult:
    ensure_goals_editable(goal.cycle)
    if goal.kind != GoalKind.OKR:
        raise field_error("kind", _("Key results belong to OKR goals."))
    _ensure_sheet_open_to(actor, goal.sheet, structural=False)
    kr = KeyResult(goal=goal, title=title.strip(), target=target, **values)
    full_clean(kr, exclude=["goal"])
    kr.save()
    audit_record(actor=actor, action=AuditAction.CREATE, instance=kr, after=snapshot(kr))
    _after_material_change(actor, goal.sheet)
    return kr


@transaction.atomic
def milestone_create(
    *, actor: User | None, goal: Goal, title: str, due_date: dt.date, owner: Employee | None = None
) -> Milestone:
    ensure_goals_editable(goal.cycle)
    milestone = Milestone(
        goal=goal, title=title.strip(), due_date=due_date, owner=owner or goal.employee
    )
    full_clean(milestone, exclude=["goal"])
    if not (goal.cycle.start_date <= due_date <= goal.cycle.end_date):
        raise field_error("due_date", _("The due date must fall within the cycle."))
    milestone.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=milestone, after=snapshot(milestone)
    )
    return milestone


@transaction.atomic
def milestone_set_done(*, actor: User | None, milestone: Milestone, done: bool) -> Milestone:
    """Mark a milestone done or not done. The request says which state it wants, not
    "toggle", so no version is needed: read under a lock, a milestone already in that
    state is left as it is (a second "done" from a stale page keeps the first one's
    time, and records nothing)."""
    current = Milestone.objects.select_for_update().get(pk=milestone.pk)
    milestone.done_at = current.done_at
    if (current.done_at is not None) == done:
        return milestone
    before = snapshot(milestone, ["done_at"])
    milestone.done_at = timezone.now() if done else None
    milestone.save(update_fields=["done_at", "updated_at"])
    audit_change(actor=actor, instance=milestone, before=before)
    return milestone


@transaction.atomic
def goal_set_done(
    *, actor: User | None, goal: Goal, done: bool, expected_version: int | None = None
) -> Goal:
    """Mark a milestone goal done or not done, at the version the caller read (a page's
    button says the opposite of what it showed: from a stale page it would undo another's
    change)."""
    if goal.kind != GoalKind.MILESTONE:
        raise field_error("kind", _("Only milestone goals are marked done."))
    before = snapshot(goal, ["done_at"])
    goal.done_at = timezone.now() if done else None
    try:
        goal.save_versioned(expected_version=expected_version, update_fields=["done_at"])
    except Conflict as exc:
        raise _with_stored_version(exc, goal) from None
    audit_change(actor=actor, instance=goal, before=before)
    return goal


@transaction.atomic
def goal_comment_add(*, actor: User, goal: Goal, body: str) -> GoalComment:
    body = body.strip()
    if not body:
        raise field_error("body", _("Write a comment first."))
    comment = GoalComment.objects.create(goal=goal, author=actor, body=body[:5000])
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=comment,
        after={"goal": goal.pk, "body": comment.body},
    )
    return comment


# Indicator library ------------------------------------------------------------------


@transaction.atomic
def indicator_create(*, actor: User | None, code: str, name: str, **values: Any) -> Indicator:
    indicator = Indicator(code=code.strip(), name=name.strip(), **values)
    full_clean(indicator)
    problems = check_standard(_probe_standard(indicator), indicator.rule())
    problems.pop("threshold", None)  # an indicator has no threshold of its own
    if problems:
        raise ValidationFailed(
            _("Please correct the errors below."),
            details={"fields": {k: [v] for k, v in problems.items()}},
        )
    indicator.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=indicator, after=snapshot(indicator)
    )
    return indicator


def _probe_standard(indicator: Indicator) -> Any:
    from perfcycle.planning.scoring import Standard

    return Standard(target=Decimal(100), direction=indicator.direction)


@transaction.atomic
def indicator_update(
    *, actor: User | None, indicator: Indicator, expected_version: int | None = None, **changes: Any
) -> Indicator:
    before = snapshot(indicator, changes.keys())
    for key, value in changes.items():
        setattr(indicator, key, value.strip() if isinstance(value, str) else value)
    full_clean(indicator)
    problems = check_standard(_probe_standard(indicator), indicator.rule())
    problems.pop("threshold", None)  # an indicator has no threshold of its own
    if problems:
        raise ValidationFailed(
            _("Please correct the errors below."),
            details={"fields": {k: [v] for k, v in problems.items()}},
        )
    indicator.save_versioned(expected_version=expected_version, update_fields=list(changes))
    audit_change(actor=actor, instance=indicator, before=before)
    return indicator


@transaction.atomic
def indicator_assign(
    *,
    actor: User | None,
    cycle: Cycle,
    indicator: Indicator,
    target: Decimal,
    weight: Decimal,
    assignees: Iterable[Employee],
    threshold: Decimal | None = None,
    stretch: Decimal | None = None,
    baseline: Decimal | None = None,
    title: str = "",
    parent: Goal | None = None,
    overrides: Mapping[str, Mapping[str, Decimal]] | None = None,
) -> dict[str, Any]:
    """Give every assignee a goal from ``indicator`` in one step, with per-person overrides.

    ``overrides`` maps an employee number to the values that differ for them (``target``,
    ``threshold``, ``stretch``, ``baseline``, ``weight``). People who already hold the
    indicator in this cycle have their goal updated instead; people whose goals are no
    longer a draft are skipped and reported. All-or-nothing: if any person's goal would
    be invalid, nothing is written.
    """
    ensure_goals_editable(cycle)
    people = {e.pk: e for e in assignees}
    overrides = dict(overrides or {})
    numbers = {e.employee_number for e in people.values()}
    stray = sorted(set(overrides) - numbers)
    if stray:
        raise field_error(
            "overrides",
            _("Overrides name people who are not assigned: %(numbers)s")
            % {"numbers": ", ".join(stray)},
        )
    if parent is not None and parent.cycle_id != cycle.pk:
        raise field_error("parent", _("A goal can only align to a goal of the same cycle."))
    participants = set(
        CycleParticipant.objects.filter(cycle=cycle, employee_id__in=list(people)).values_list(
            "employee_id", flat=True
        )
    )
    not_in_cycle = sorted(e.employee_number for pk, e in people.items() if pk not in participants)
    if not_in_cycle:
        raise field_error(
            "assignees",
            _("Not taking part in this cycle: %(numbers)s") % {"numbers": ", ".join(not_in_cycle)},
        )
    sheets = {
        s.employee_id: s
        for s in GoalSheet.objects.filter(cycle=cycle, employee_id__in=list(people))
    }
    missing = [GoalSheet(cycle=cycle, employee_id=pk) for pk in people if pk not in sheets]
    GoalSheet.objects.bulk_create(missing)
    new_sheets = sheet_audit_entries(missing)
    sheets = {
        s.employee_id: s
        for s in GoalSheet.objects.filter(cycle=cycle, employee_id__in=list(people))
    }
    existing = {
        g.employee_id: g
        for g in Goal.objects.filter(cycle=cycle, indicator=indicator, employee_id__in=list(people))
    }

    errors: list[dict[str, Any]] = []
    creates: list[Goal] = []
    updates: list[tuple[Goal, dict[str, Any], dict[str, Any]]] = []
    skipped: list[str] = []
    for pk, employee in sorted(people.items(), key=lambda item: item[1].employee_number):
        values: dict[str, Any] = {
            "target": target,
            "threshold": threshold,
            "stretch": stretch,
            "baseline": baseline,
            "weight": weight,
        }
        values.update(overrides.get(employee.employee_number, {}))
        sheet = sheets[pk]
        if sheet.status != SheetStatus.DRAFT:
            skipped.append(employee.employee_number)
            continue
        goal = existing.get(pk)
        if goal is None:
            goal = Goal(
                cycle=cycle,
                owner_type=OwnerType.EMPLOYEE,
                employee=employee,
                sheet=sheet,
                indicator=indicator,
                title=title or indicator.name,
                kind=GoalKind.KPI,
                parent=parent,
                created_by=actor if getattr(actor, "pk", None) else None,
                **{name: getattr(indicator, name) for name in INDICATOR_DEFAULTS},
            )
            for key, value in values.items():
                setattr(goal, key, value)
            target_list = creates
        else:
            before = {k: getattr(goal, k) for k in values if getattr(goal, k) != values[k]}
            if parent is not None and goal.parent_id != parent.pk:
                before["parent"] = goal.parent_id
                goal.parent = parent
            for key, value in values.items():
                setattr(goal, key, value)
            target_list = None
            if before:
                updates.append(
                    (
                        goal,
                        before,
                        {
                            k: (getattr(goal, k) if k != "parent" else goal.parent_id)
                            for k in before
                        },
                    )
                )
        try:
            full_clean(goal, exclude=["sheet", "created_by", "cycle", "employee"])
            validate_goal(goal)
        except ValidationFailed as exc:
            errors.append(
                {
                    "employee_number": employee.employee_number,
                    "fields": (exc.details or {}).get("fields", {}),
                }
            )
            continue
        if target_list is not None:
            target_list.append(goal)
    if errors:
        raise ValidationFailed(
            _("%(count)d assignment(s) are not valid; nothing was assigned.")
            % {"count": len(errors)},
            code="assignment_rejected",
            details={"errors": errors},
        )
    Goal.objects.bulk_create(creates, batch_size=1000)
    now = timezone.now()
    for goal, _before, _after in updates:
        goal.version += 1
        goal.updated_at = now
    Goal.objects.bulk_update(
        [g for g, _b, _a in updates],
        ["target", "threshold", "stretch", "baseline", "weight", "parent", "version", "updated_at"],
        batch_size=1000,
    )
    from perfcycle.audit.services import to_json_value

    audit_record_many(
        actor=actor,
        entries=new_sheets
        + [AuditEntry(action=AuditAction.CREATE, instance=g, after=snapshot(g)) for g in creates]
        + [
            AuditEntry(
                action=AuditAction.UPDATE,
                instance=g,
                before=to_json_value(b),
                after=to_json_value(a),
            )
            for g, b, a in updates
        ],
    )
    return {
        "created": len(creates),
        "updated": len(updates),
        "unchanged": len(people) - len(creates) - len(updates) - len(skipped),
        "skipped": skipped,
    }

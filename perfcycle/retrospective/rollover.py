"""Roll-over: the next cycle made from a closed one, with the evidence-based targets.

``rollover_preview`` says what would happen; ``cycle_roll_over`` does it in one
transaction. Both read a fixed number of queries whatever the number of people and goals.

The rules (also shown on the page):

- **Period.** The new cycle takes the first period after the source, of the same type
  and length (whole months for month/quarter/half-year/year cycles that run from the 1st
  to a month's end, else the same number of days), that no cycle of that type covers yet
  (a company that started Q4 before closing Q3 rolls Q3 over into next year's Q1). Its
  default name is the period's (``2026 Q2``, ``2026-04``, ``2026 H2``, ``2026``).
- **Deadlines.** The planning deadline moves with the start, the others with the end.
- **Participants.** If the source stored a participant rule, it is applied again (a
  hire-date cut-off moves with the start); otherwise the source's participants still
  active stay and active employees hired after the source started in their departments
  join. Leavers drop out, with their goals.
- **Targets.** For goals linked to a library indicator the new target is HR's explicit
  override, else the approved proposal (``selectors.approved_targets``), else unchanged.
  Threshold and stretch keep their ratio to the target (16 for 20 → a threshold of 16
  becomes 12.8); with a target of 0 they keep their distance instead. Baselines stay.
- **Goals.** Every company and department goal and every goal of a continuing person is
  copied with its kind, weight, standard, scoring rule, indicator, key results and
  milestones (dates moved like the period); alignment links point to the copies. Actuals
  are not copied and the agreement starts over: every sheet is a draft.
- **Carried.** Unfinished action items belong to the pair, not to a cycle: they stay open
  and come up at the next check-in until done (the report lists them). Open improvement
  plans (active or extended) of the source carry their goals as qualitative goals, as
  ``improvement.services.plan_carry_goals`` does, and remember the cycle they went into;
  the grades HR chose to lead to an improvement plan carry over too.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, may
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import AuditEntry, audit_record, audit_record_many, snapshot
from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.core.numbers import plain
from perfcycle.core.validation import field_error
from perfcycle.cycles import services as cycle_services
from perfcycle.cycles.models import Cycle, CycleDeadline, CycleParticipant, PeriodType, Phase
from perfcycle.improvement import services as improvement_services
from perfcycle.improvement.models import ImprovementPlan, ImprovementSettings, PlanStatus
from perfcycle.monitoring.models import ActionItem
from perfcycle.org.models import Employee
from perfcycle.planning.models import (
    Goal,
    GoalKind,
    GoalSheet,
    KeyResult,
    Milestone,
    OwnerType,
)
from perfcycle.planning.services import sheet_audit_entries, validate_goal
from perfcycle.retrospective import selectors
from perfcycle.retrospective.models import RollOver, TargetProposal

PLACES = Decimal("0.0001")
MONTHS = {
    PeriodType.MONTH: 1,
    PeriodType.QUARTER: 3,
    PeriodType.HALF_YEAR: 6,
    PeriodType.YEAR: 12,
}
CARRIED_PLAN_STATUSES = (PlanStatus.ACTIVE, PlanStatus.EXTENDED)
# Goal fields not copied: identity, the cycle's own links, and what happened in the cycle.
NOT_COPIED = {
    "id",
    "cycle",
    "sheet",
    "parent",
    "current_value",
    "done_at",
    "created_by",
    "created_at",
    "updated_at",
    "version",
}


@dataclass
class GoalLine:
    """One source goal and what its copy will be."""

    goal: Goal
    basis: str  # "override" | "approved" | "unchanged"
    new_target: Decimal | None
    new_threshold: Decimal | None
    new_stretch: Decimal | None

    @property
    def changed(self) -> bool:
        return self.new_target != self.goal.target

    def as_dict(self) -> dict[str, Any]:
        g = self.goal
        return {
            "source_goal_id": g.pk,
            "title": g.title,
            "owner": g.owner_label,
            "owner_type": g.owner_type,
            "indicator_id": g.indicator_id,
            "basis": self.basis,
            "old_target": _s(g.target),
            "new_target": _s(self.new_target),
            "old_threshold": _s(g.threshold),
            "new_threshold": _s(self.new_threshold),
            "old_stretch": _s(g.stretch),
            "new_stretch": _s(self.new_stretch),
        }


@dataclass
class IndicatorGroup:
    """The goals holding one indicator, for the page's table."""

    indicator: Any
    lines: list[GoalLine] = field(default_factory=list)
    proposal: TargetProposal | None = None
    approved: Decimal | None = None
    override: Decimal | None = None

    @property
    def old_targets(self) -> list[Decimal]:
        return sorted({line.goal.target for line in self.lines if line.goal.target is not None})

    @property
    def proposed(self) -> Decimal | None:
        """What the form shows: the override, else the approved target, else the one
        target everybody had (empty when they differed and nothing was approved)."""
        if self.override is not None:
            return self.override
        if self.approved is not None:
            return self.approved
        olds = self.old_targets
        return olds[0] if len(olds) == 1 else None


@dataclass
class RollOverPlan:
    source: Cycle
    name: str
    period_type: str
    start_date: dt.date
    end_date: dt.date
    deadlines: dict[str, dt.date]
    start_shift: dt.timedelta
    rule: dict[str, Any] | None
    participants: dict[int, tuple[int | None, int | None]]  # employee → (department, manager)
    joining: list[Employee]
    leaving: list[Employee]
    lines: list[GoalLine]
    dropped_goals: int
    indicators: list[IndicatorGroup]
    action_items: list[ActionItem]
    plans: list[ImprovementPlan]
    plans_not_carried: list[ImprovementPlan]
    existing: RollOver | None

    def shift(self, day: dt.date | None) -> dt.date | None:
        """A date of the source in the new cycle: moved with the start, except that the
        source's last day becomes the new last day (months differ in length)."""
        if day is None:
            return None
        return self.end_date if day == self.source.end_date else day + self.start_shift

    def report(self) -> dict[str, Any]:
        return {
            "source": {"id": self.source.pk, "name": self.source.name},
            "name": self.name,
            "period_type": self.period_type,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "deadlines": {k: v.isoformat() for k, v in self.deadlines.items()},
            "participant_rule": self.rule,
            "participants": len(self.participants),
            "joining": [{"id": e.pk, "name": e.name} for e in self.joining],
            "leaving": [{"id": e.pk, "name": e.name} for e in self.leaving],
            "goals": [line.as_dict() for line in self.lines],
            "goals_dropped": self.dropped_goals,
            "targets": {
                str(g.indicator.pk): {
                    "code": g.indicator.code,
                    "old": [_s(t) for t in g.old_targets],
                    "new": _s(g.proposed),
                    "basis": "override"
                    if g.override is not None
                    else ("approved" if g.approved is not None else "unchanged"),
                }
                for g in self.indicators
            },
            "action_items": [
                {"id": i.pk, "employee_id": i.employee_id, "text": i.text}
                for i in self.action_items
            ],
            "plans": [
                {"id": p.pk, "employee_id": p.employee_id, "goals": len(p.goals.all())}
                for p in self.plans
            ],
            "plans_not_carried": [
                {"id": p.pk, "employee_id": p.employee_id} for p in self.plans_not_carried
            ],
        }


def _s(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


# The period ----------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _following(period_type: str, start_date: dt.date, end_date: dt.date) -> tuple[dt.date, dt.date]:
    """The period right after ``start_date``..``end_date``, of the same type and length."""
    start = end_date + dt.timedelta(days=1)
    months = MONTHS.get(period_type)
    aligned = (
        months is not None
        and start_date.day == 1
        and _add_months(start_date, months) - dt.timedelta(days=1) == end_date
    )
    if aligned:
        assert months is not None
        return start, _add_months(start, months) - dt.timedelta(days=1)
    return start, start + (end_date - start_date)


def next_period(source: Cycle) -> tuple[dt.date, dt.date]:
    """The first period after ``source``, of the same type and length, that no cycle of
    that type covers yet: a company that started Q4 before closing Q3 rolls Q3 over into
    next year's Q1. One query."""
    taken = list(
        Cycle.objects.filter(period_type=source.period_type, end_date__gt=source.end_date)
        .exclude(pk=source.pk)
        .values_list("start_date", "end_date")
    )
    start, end = _following(source.period_type, source.start_date, source.end_date)
    while any(s <= end and e >= start for s, e in taken):
        start, end = _following(source.period_type, start, end)
    return start, end


def period_name(period_type: str, start: dt.date, end: dt.date) -> str:
    if period_type == PeriodType.QUARTER:
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if period_type == PeriodType.MONTH:
        return f"{start:%Y-%m}"
    if period_type == PeriodType.HALF_YEAR:
        return f"{start.year} H{1 if start.month <= 6 else 2}"
    if period_type == PeriodType.YEAR:
        return str(start.year)
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"


def _free_name(base: str) -> str:
    taken = set(Cycle.objects.filter(name__startswith=base).values_list("name", flat=True))
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base} ({n})"
    return name


# Input ---------------------------------------------------------------------------------


def parse_targets(targets: dict[Any, Any] | None) -> dict[int, Decimal]:
    """{indicator id: target} from a form or JSON; a bad number or a negative one is an
    error naming the indicator."""
    parsed: dict[int, Decimal] = {}
    problems: dict[str, list[str]] = {}
    for key, raw in (targets or {}).items():
        try:
            indicator_id = int(key)
        except (TypeError, ValueError):
            problems.setdefault("targets", []).append(
                _("“%(key)s” is not an indicator id.") % {"key": key}
            )
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite():
            problems.setdefault(f"target_{indicator_id}", []).append(
                _("The target must be a number.")
            )
            continue
        if value < 0:
            problems.setdefault(f"target_{indicator_id}", []).append(
                _("The target cannot be negative.")
            )
            continue
        parsed[indicator_id] = value.quantize(PLACES)
    if problems:
        raise ValidationFailed(
            _("Please correct the targets."), code="bad_target", details={"fields": problems}
        )
    return parsed


def _scaled(value: Decimal | None, old: Decimal | None, new: Decimal | None) -> Decimal | None:
    """``value`` kept in the same ratio to the target (the same distance from a 0 target)."""
    if value is None or old is None or new is None or old == new:
        return value
    if old == 0:
        return (value + (new - old)).quantize(PLACES)
    return (value * new / old).quantize(PLACES)


def _shift_rule(rule: dict[str, Any], shift: dt.timedelta) -> dict[str, Any] | None:
    if not any(rule.get(k) for k in ("department_ids", "job_families", "employee_numbers")) and (
        not rule.get("hired_on_or_before")
    ):
        return None
    cutoff = rule.get("hired_on_or_before")
    return {
        "department_ids": list(rule.get("department_ids") or []),
        "job_families": list(rule.get("job_families") or []),
        "hired_on_or_before": dt.date.fromisoformat(cutoff) + shift if cutoff else None,
        "employee_numbers": list(rule.get("employee_numbers") or []),
    }


def _require_hr(actor: Any) -> None:
    if not may(actor, Action.CYCLE_MANAGE):
        raise Forbidden(_("Only HR may roll a cycle over."))


# Preview -------------------------------------------------------------------------------


def rollover_preview(
    *,
    actor: Any,
    source: Cycle,
    name: str | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    targets: dict[Any, Any] | None = None,
) -> RollOverPlan:
    """What rolling ``source`` over would do; raises the errors the roll-over would."""
    _require_hr(actor)
    if source.phase != Phase.CLOSED:
        raise DomainError(
            _("Only a closed cycle can be rolled over; %(cycle)s is %(phase)s.")
            % {"cycle": source.name, "phase": source.get_phase_display()},
            code="not_closed",
        )
    overrides = parse_targets(targets)

    default_start, default_end = next_period(source)
    start = start_date or default_start
    if end_date is not None:
        end = end_date
    elif start_date is not None:
        end = start + (default_end - default_start)
    else:
        end = default_end
    if end <= start:
        raise field_error("end_date", _("The cycle must end after it starts."))
    start_shift = start - source.start_date
    end_shift = end - source.end_date
    if name is not None and name.strip():
        name = name.strip()
        if Cycle.objects.filter(name=name).exists():
            raise field_error(
                "name", _("A cycle named “%(name)s” already exists.") % {"name": name}, "name_taken"
            )
    else:
        name = _free_name(period_name(source.period_type, start, end))

    deadlines = {
        d.phase: d.due_date + (start_shift if d.phase == Phase.PLANNING else end_shift)
        for d in CycleDeadline.objects.filter(cycle=source)
    }

    # Participants.
    before = list(CycleParticipant.objects.filter(cycle=source).select_related("employee"))
    before_ids = {p.employee_id for p in before}
    rule = _shift_rule(source.participant_rule or {}, start_shift)
    if rule is not None:
        chosen = cycle_services.participants_query(**rule)
    else:
        departments = {p.department_id for p in before if p.department_id}
        chosen = Employee.objects.active().filter(
            Q(pk__in=before_ids) | Q(department_id__in=departments, hire_date__gt=source.start_date)
        )
    people = {e.pk: e for e in chosen.only("pk", "name", "department_id", "manager_id", "status")}
    participants = {pk: (e.department_id, e.manager_id) for pk, e in people.items()}
    joining = sorted((e for pk, e in people.items() if pk not in before_ids), key=lambda e: e.name)
    leaving = sorted(
        (p.employee for p in before if p.employee_id not in people), key=lambda e: e.name
    )

    # Goals and their targets.
    goals = list(
        Goal.objects.filter(cycle=source)
        .select_related("indicator", "employee", "department")
        .prefetch_related("key_results", "milestones")
        .order_by("owner_type", "pk")
    )
    held = {g.indicator_id for g in goals if g.indicator_id is not None}
    not_held = sorted(set(overrides) - held)
    if not_held:
        raise field_error(
            "targets",
            _("Nobody holds indicator(s) %(ids)s in %(cycle)s.")
            % {"ids": ", ".join(str(i) for i in not_held), "cycle": source.name},
            "indicator_not_held",
        )
    approved = selectors.approved_targets(source)
    proposals = {p.indicator_id: p for p in selectors.proposals(source)}
    lines: list[GoalLine] = []
    groups: dict[int, IndicatorGroup] = {}
    dropped = 0
    for g in goals:
        if g.owner_type == OwnerType.EMPLOYEE and g.employee_id not in participants:
            dropped += 1
            continue
        basis, new = "unchanged", g.target
        if g.indicator_id in overrides:
            basis, new = "override", overrides[g.indicator_id]
        elif g.indicator_id in approved:
            basis, new = "approved", approved[g.indicator_id]
        line = GoalLine(
            g,
            basis,
            new,
            _scaled(g.threshold, g.target, new),
            _scaled(g.stretch, g.target, new),
        )
        lines.append(line)
        if g.indicator_id is not None:
            group = groups.get(g.indicator_id)
            if group is None:
                group = groups[g.indicator_id] = IndicatorGroup(
                    g.indicator,
                    proposal=proposals.get(g.indicator_id),
                    approved=approved.get(g.indicator_id),
                    override=overrides.get(g.indicator_id),
                )
            group.lines.append(line)

    # What is carried.
    continuing = set(participants) & before_ids
    items = list(
        ActionItem.objects.filter(employee_id__in=continuing, done_at__isnull=True)
        .select_related("employee", "owner")
        .order_by("employee__name", "due_date", "pk")
    )
    open_plans = list(
        ImprovementPlan.objects.filter(
            cycle=source, status__in=CARRIED_PLAN_STATUSES, carried_into__isnull=True
        )
        .select_related("employee")
        .prefetch_related("goals")
        .order_by("employee__name", "pk")
    )
    plans = [p for p in open_plans if p.employee_id in participants and p.goals.all()]
    plans_not_carried = [p for p in open_plans if p not in plans]

    return RollOverPlan(
        source=source,
        name=name,
        period_type=source.period_type,
        start_date=start,
        end_date=end,
        deadlines=deadlines,
        start_shift=start_shift,
        rule=rule and {**rule, "hired_on_or_before": _iso(rule["hired_on_or_before"])},
        participants=participants,
        joining=joining,
        leaving=leaving,
        lines=lines,
        dropped_goals=dropped,
        indicators=sorted(groups.values(), key=lambda gr: gr.indicator.code),
        action_items=items,
        plans=plans,
        plans_not_carried=plans_not_carried,
        existing=RollOver.objects.filter(source=source).select_related("target").first(),
    )


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# The roll-over -------------------------------------------------------------------------


@transaction.atomic
def cycle_roll_over(
    *,
    actor: Any,
    source: Cycle,
    name: str | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    targets: dict[Any, Any] | None = None,
) -> RollOver:
    """Create the next cycle from closed ``source``: in planning, with the same rules,
    its participants, every goal copied with the new targets, plans' goals carried."""
    _require_hr(actor)
    source = Cycle.objects.select_for_update().get(pk=source.pk)
    existing = RollOver.objects.filter(source=source).select_related("target").first()
    if existing is not None:
        raise Conflict(
            _("%(source)s was already rolled over into %(target)s.")
            % {"source": source.name, "target": existing.target.name},
            code="already_rolled_over",
        )
    plan = rollover_preview(
        actor=actor,
        source=source,
        name=name,
        start_date=start_date,
        end_date=end_date,
        targets=targets,
    )
    cycle = cycle_services.cycle_create(
        actor=actor,
        name=plan.name,
        period_type=plan.period_type,
        start_date=plan.start_date,
        end_date=plan.end_date,
        template=source.template,
        grade_scale=source.grade_scale,
        deadlines=plan.deadlines,
    )
    if source.normalise_ratings:
        cycle.normalise_ratings = True
        cycle.save(update_fields=["normalise_ratings"])
    _add_participants(actor, cycle, plan)
    cycle_services.cycle_transition(actor=actor, cycle=cycle, to_phase=Phase.PLANNING)

    holders = {line.goal.employee_id for line in plan.lines if line.goal.employee_id}
    sheet_of = _sheets(actor, cycle, holders | {p.employee_id for p in plan.plans})
    copies = _copy_goals(actor, cycle, plan, sheet_of)
    _carry_plans(actor, cycle, plan, sheet_of)
    _copy_trigger_grades(actor, source, cycle)

    report = plan.report()
    report["cycle_id"] = cycle.pk
    new_ids = {source_id: copy.pk for source_id, copy in copies.items()}
    for line in report["goals"]:
        line["new_goal_id"] = new_ids[line["source_goal_id"]]
    record = RollOver.objects.create(source=source, target=cycle, created_by=actor, report=report)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=record,
        after={
            "source": source.pk,
            "target": cycle.pk,
            "goals": len(copies),
            "participants": len(plan.participants),
            "normalise_ratings": cycle.normalise_ratings,
        },
    )
    return record


def _add_participants(actor: Any, cycle: Cycle, plan: RollOverPlan) -> None:
    if plan.rule is not None:
        rule = dict(plan.rule)
        cutoff = rule.pop("hired_on_or_before")
        cycle_services.cycle_set_participants(
            actor=actor,
            cycle=cycle,
            hired_on_or_before=dt.date.fromisoformat(cutoff) if cutoff else None,
            **rule,
        )
        return
    CycleParticipant.objects.bulk_create(
        [
            CycleParticipant(cycle=cycle, employee_id=pk, department_id=dept, manager_id=manager)
            for pk, (dept, manager) in sorted(plan.participants.items())
        ],
        batch_size=1000,
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=cycle,
        after={
            "participants_from": plan.source.pk,
            "selected": len(plan.participants),
            "joined": len(plan.joining),
            "left": len(plan.leaving),
        },
    )


def _sheets(actor: Any, cycle: Cycle, employee_ids: set[int]) -> dict[int, int]:
    """Draft sheets for ``employee_ids``: the agreement starts over."""
    sheets = GoalSheet.objects.bulk_create(
        [GoalSheet(cycle=cycle, employee_id=pk) for pk in sorted(employee_ids)], batch_size=1000
    )
    audit_record_many(actor=actor, entries=sheet_audit_entries(sheets))
    return {s.employee_id: s.pk for s in sheets}


def _clamp(day: dt.date | None, cycle: Cycle) -> dt.date | None:
    if day is None:
        return None
    return min(max(day, cycle.start_date), cycle.end_date)


def _copy_goals(
    actor: Any, cycle: Cycle, plan: RollOverPlan, sheet_of: dict[int, int]
) -> dict[int, Goal]:
    copy_fields = [
        f.attname
        for f in Goal._meta.concrete_fields
        if f.name not in NOT_COPIED and not f.primary_key
    ]
    created_by = actor if getattr(actor, "pk", None) else None
    copies: dict[int, Goal] = {}
    for line in plan.lines:
        old = line.goal
        new = Goal(**{name: getattr(old, name) for name in copy_fields})
        new.cycle = cycle
        new.created_by = created_by
        new.sheet_id = sheet_of.get(old.employee_id) if old.employee_id else None
        new.target, new.threshold, new.stretch = (
            line.new_target,
            line.new_threshold,
            line.new_stretch,
        )
        new.due_date = _clamp(plan.shift(old.due_date), cycle)
        try:
            validate_goal(new)
        except ValidationFailed as exc:
            raise ValidationFailed(
                _("The copy of “%(goal)s” (%(owner)s) would not be valid: %(problems)s")
                % {
                    "goal": old.title,
                    "owner": old.owner_label,
                    "problems": "; ".join(
                        f"{k}: {' '.join(v)}" for k, v in exc.details["fields"].items()
                    ),
                },
                code="invalid_copy",
                details={"goal": old.pk, **exc.details},
            ) from exc
        copies[old.pk] = new
    Goal.objects.bulk_create(list(copies.values()), batch_size=500)

    relinked = []
    for line in plan.lines:
        parent = copies.get(line.goal.parent_id) if line.goal.parent_id else None
        if parent is not None:
            copies[line.goal.pk].parent = parent
            relinked.append(copies[line.goal.pk])
    if relinked:
        Goal.objects.bulk_update(relinked, ["parent"], batch_size=500)

    key_results, milestones = [], []
    for line in plan.lines:
        new = copies[line.goal.pk]
        for kr in line.goal.key_results.all():
            key_results.append(
                KeyResult(
                    goal=new,
                    title=kr.title,
                    unit=kr.unit,
                    baseline=kr.baseline,
                    target=kr.target,
                    direction=kr.direction,
                    weight=kr.weight,
                    position=kr.position,
                )
            )
        for m in line.goal.milestones.all():
            milestones.append(
                Milestone(
                    goal=new, title=m.title, owner_id=m.owner_id, due_date=plan.shift(m.due_date)
                )
            )
    KeyResult.objects.bulk_create(key_results, batch_size=1000)
    Milestone.objects.bulk_create(milestones, batch_size=1000)

    audit_record_many(
        actor=actor,
        entries=[
            AuditEntry(
                action=AuditAction.CREATE,
                instance=copy,
                after=snapshot(copy),
                reason=_("Rolled over from goal %(id)s of %(cycle)s")
                % {"id": source_id, "cycle": plan.source.name},
            )
            for source_id, copy in copies.items()
        ],
    )
    return copies


def _copy_trigger_grades(actor: Any, source: Cycle, cycle: Cycle) -> None:
    """The grades HR chose to lead to an improvement plan carry over with the cycle."""
    saved = ImprovementSettings.objects.filter(cycle=source).first()
    if saved is not None and saved.trigger_grades:
        improvement_services.settings_set(actor=actor, cycle=cycle, grades=saved.trigger_grades)


def _carry_plans(actor: Any, cycle: Cycle, plan: RollOverPlan, sheet_of: dict[int, int]) -> None:
    """The open plans' goals as qualitative goals (weight 0), as ``plan_carry_goals`` does."""
    if not plan.plans:
        return
    created_by = actor if getattr(actor, "pk", None) else None
    goals = []
    for p in plan.plans:
        for g in p.goals.all():
            goals.append(
                Goal(
                    cycle=cycle,
                    owner_type=OwnerType.EMPLOYEE,
                    employee_id=p.employee_id,
                    sheet_id=sheet_of[p.employee_id],
                    kind=GoalKind.QUALITATIVE,
                    weight=Decimal(0),  # weighed with the rest of the sheet in planning
                    title=g.description.splitlines()[0][:200] if g.description else "",
                    description="\n".join(
                        part
                        for part in (g.description, g.measure and f"{_('Measure')}: {g.measure}")
                        if part
                    ),
                    created_by=created_by,
                )
            )
    Goal.objects.bulk_create(goals, batch_size=500)
    ids = [p.pk for p in plan.plans]
    ImprovementPlan.objects.filter(pk__in=ids).update(
        carried_into=cycle, version=F("version") + 1, updated_at=timezone.now()
    )
    audit_record_many(
        actor=actor,
        entries=[
            *(AuditEntry(action=AuditAction.CREATE, instance=g, after=snapshot(g)) for g in goals),
            *(
                AuditEntry(
                    action=AuditAction.UPDATE,
                    instance=p,
                    before={"carried_into": None},
                    after={"carried_into": cycle.pk},
                )
                for p in plan.plans
            ),
        ],
    )


def rollovers_by_source(cycle_ids: list[int]) -> dict[int, RollOver]:
    """Which of these cycles were already rolled over (one query), for the pages."""
    return {
        r.source_id: r
        for r in RollOver.objects.filter(source_id__in=cycle_ids).select_related("target")
    }


def group_lines(lines: list[GoalLine]) -> dict[str, list[GoalLine]]:
    """Goals without an indicator, by owner type, for the page."""
    grouped: dict[str, list[GoalLine]] = defaultdict(list)
    for line in lines:
        if line.goal.indicator_id is None:
            grouped[line.goal.owner_type].append(line)
    return dict(grouped)

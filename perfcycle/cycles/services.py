"""Writes to cycles: create and edit, participants, phase changes, grade scales, templates.

Every write is validated, runs in one transaction and is audited. Phase changes go
through ``cycle_transition`` only, which enforces the state machine in ``phases.py``
for pages and API alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_change, audit_record, snapshot
from perfcycle.core.errors import DomainError
from perfcycle.core.validation import field_error, full_clean, reject_unknown
from perfcycle.cycles import phases
from perfcycle.cycles.models import (
    Cycle,
    CycleDeadline,
    CycleParticipant,
    GradeBand,
    GradeScale,
    PeriodType,
    Phase,
    ReviewTemplate,
)
from perfcycle.org.models import Department, Employee

HUNDRED = Decimal(100)
DEFAULT_BANDS: tuple[tuple[str, str, Decimal], ...] = (
    ("S", "卓越 Outstanding", Decimal(95)),
    ("A", "优秀 Exceeds", Decimal(85)),
    ("B", "良好 Meets", Decimal(70)),
    ("C", "待改进 Partly meets", Decimal(60)),
    ("D", "不合格 Below", Decimal(0)),
)


# Grade scales and templates ---------------------------------------------------------


@transaction.atomic
def grade_scale_create(
    *,
    actor: User | None,
    name: str,
    bands: Sequence[tuple[str, str, Decimal]],
    description: str = "",
) -> GradeScale:
    """A grade scale from (code, label, lowest score) bands; the lowest band must start at 0."""
    codes = [code.strip() for code, _label, _min in bands]
    floors = [Decimal(m) for _code, _label, m in bands]
    if len(bands) < 2:
        raise field_error("bands", _("A grade scale needs at least two grades."))
    if any(not c for c in codes) or len(set(codes)) != len(codes):
        raise field_error("bands", _("Each grade needs its own code."))
    if len(set(floors)) != len(floors):
        raise field_error("bands", _("Two grades start at the same score."))
    if min(floors) != 0:
        raise field_error(
            "bands", _("The lowest grade must start at a score of 0 so every score has a grade.")
        )
    scale = GradeScale(name=name.strip(), description=description)
    full_clean(scale)
    scale.save()
    GradeBand.objects.bulk_create(
        [
            GradeBand(scale=scale, code=c, label=label.strip(), min_score=m)
            for (c, label, m) in zip(codes, [b[1] for b in bands], floors, strict=True)
        ]
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=scale,
        after={
            "name": scale.name,
            "bands": [[c, str(m)] for c, m in zip(codes, floors, strict=True)],
        },
    )
    return scale


def grade_scale_default(*, actor: User | None = None) -> GradeScale:
    """The standard S/A/B/C/D scale, made on first use."""
    existing = GradeScale.objects.filter(name="S/A/B/C/D").first()
    if existing is not None:
        return existing
    return grade_scale_create(actor=actor, name="S/A/B/C/D", bands=DEFAULT_BANDS)


def _check_template_weights(template: ReviewTemplate) -> None:
    if template.goals_weight + template.competencies_weight != HUNDRED:
        raise field_error("goals_weight", _("Goals and competencies weights must total 100%."))
    if sum(template.source_weights.values()) != HUNDRED:
        raise field_error(
            "manager_weight",
            _("The weights of self, manager, peers, reports and skip-level must total 100%."),
        )
    if template.rating_min >= template.rating_max:
        raise field_error("rating_max", _("The highest rating must be above the lowest."))
    if template.peer_min > template.peer_max:
        raise field_error("peer_max", _("The most peers cannot be fewer than the fewest."))


@transaction.atomic
def review_template_create(*, actor: User | None, name: str, **values: Any) -> ReviewTemplate:
    template = ReviewTemplate(name=name.strip(), **values)
    if not template.rating_labels:
        template.rating_labels = default_rating_labels(template.rating_min, template.rating_max)
    full_clean(template)
    _check_template_weights(template)
    template.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=template, after=snapshot(template)
    )
    return template


@transaction.atomic
def review_template_update(
    *,
    actor: User | None,
    template: ReviewTemplate,
    expected_version: int | None = None,
    **changes: Any,
) -> ReviewTemplate:
    if template.cycles.exclude(phase=Phase.DRAFT).exists():
        raise DomainError(
            _(
                "This template is in use by an open cycle; its rules were fixed when the cycle opened."
            ),
            code="template_locked",
        )
    before = snapshot(template, changes.keys())
    for key, value in changes.items():
        setattr(template, key, value)
    full_clean(template)
    _check_template_weights(template)
    template.save_versioned(expected_version=expected_version, update_fields=list(changes))
    audit_change(actor=actor, instance=template, before=before)
    return template


def default_rating_labels(low: int, high: int) -> dict[str, str]:
    if (low, high) == (1, 5):
        return {
            "1": "远低于期望 Far below expectations",
            "2": "低于期望 Below expectations",
            "3": "符合期望 Meets expectations",
            "4": "超出期望 Exceeds expectations",
            "5": "卓越 Outstanding",
        }
    return {str(i): str(i) for i in range(low, high + 1)}


def review_template_default(*, actor: User | None = None) -> ReviewTemplate:
    existing = ReviewTemplate.objects.filter(name="Standard 360").first()
    if existing is not None:
        return existing
    return review_template_create(actor=actor, name="Standard 360")


# Cycles ------------------------------------------------------------------------------

CYCLE_FIELDS = ("name", "period_type", "start_date", "end_date", "template", "grade_scale")


def _set_deadlines(cycle: Cycle, deadlines: dict[str, dt.date] | None) -> None:
    wanted = {
        str(k): v for k, v in phases.default_deadlines(cycle.start_date, cycle.end_date).items()
    }
    if deadlines:
        wanted.update({Phase(k).value: v for k, v in deadlines.items() if v})
    previous = None
    for phase in phases.ORDER:
        due = wanted.get(phase.value)
        if due is None:
            continue
        if previous is not None and due < previous:
            raise field_error(
                f"deadline_{phase.value}",
                _("The %(phase)s deadline comes before the previous phase's deadline.")
                % {"phase": phase.label},
            )
        previous = due
    CycleDeadline.objects.filter(cycle=cycle).delete()
    CycleDeadline.objects.bulk_create(
        [CycleDeadline(cycle=cycle, phase=phase, due_date=due) for phase, due in wanted.items()]
    )


@transaction.atomic
def cycle_create(
    *,
    actor: User | None,
    name: str,
    period_type: str,
    start_date: dt.date,
    end_date: dt.date,
    template: ReviewTemplate | None = None,
    grade_scale: GradeScale | None = None,
    deadlines: dict[str, dt.date] | None = None,
) -> Cycle:
    if end_date <= start_date:
        raise field_error("end_date", _("The cycle must end after it starts."))
    if period_type not in PeriodType.values:
        raise field_error("period_type", _("Unknown period type."))
    cycle = Cycle(
        name=name.strip(),
        period_type=period_type,
        start_date=start_date,
        end_date=end_date,
        template=template,
        grade_scale=grade_scale,
    )
    full_clean(cycle)
    cycle.save()
    _set_deadlines(cycle, deadlines)
    after = snapshot(cycle)
    after["deadlines"] = {d.phase: d.due_date.isoformat() for d in cycle.deadlines.all()}
    audit_record(actor=actor, action=AuditAction.CREATE, instance=cycle, after=after)
    return cycle


@transaction.atomic
def cycle_update(
    *,
    actor: User | None,
    cycle: Cycle,
    expected_version: int | None = None,
    deadlines: dict[str, dt.date] | None = None,
    **changes: Any,
) -> Cycle:
    reject_unknown(changes, CYCLE_FIELDS)
    if cycle.is_closed:
        raise DomainError(_("A closed cycle cannot be changed."), code="cycle_closed")
    if cycle.phase != Phase.DRAFT:
        for locked in ("template", "grade_scale", "period_type"):
            if locked in changes and changes[locked] != getattr(cycle, locked):
                raise field_error(
                    locked,
                    _("The scoring rules were fixed when the cycle opened and cannot change."),
                    code="rules_locked",
                )
    before = snapshot(cycle, changes.keys())
    for key, value in changes.items():
        setattr(cycle, key, value.strip() if isinstance(value, str) else value)
    if cycle.end_date <= cycle.start_date:
        raise field_error("end_date", _("The cycle must end after it starts."))
    full_clean(cycle)
    cycle.save_versioned(expected_version=expected_version, update_fields=list(changes))
    if deadlines is not None or {"start_date", "end_date"} & set(changes):
        # Read the rows, not ``cycle.deadlines`` (a caller may have prefetched them: the
        # change would then look like no change and go unaudited).
        stored = {d.phase: d.due_date for d in CycleDeadline.objects.filter(cycle=cycle)}
        old = {phase: due.isoformat() for phase, due in stored.items()}
        current = dict(stored)
        if {"start_date", "end_date"} & set(changes) and deadlines is None:
            current = {}
        current.update(deadlines or {})
        _set_deadlines(cycle, current)
        new = {d.phase: d.due_date.isoformat() for d in CycleDeadline.objects.filter(cycle=cycle)}
        if old != new:
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                instance=cycle,
                before={"deadlines": old},
                after={"deadlines": new},
            )
    audit_change(actor=actor, instance=cycle, before=before)
    return cycle


def participants_query(
    *,
    department_ids: Iterable[int] = (),
    job_families: Iterable[str] = (),
    hired_on_or_before: dt.date | None = None,
    employee_numbers: Iterable[str] = (),
) -> Any:
    """Active employees chosen by department (with sub-departments), job family, hire-date
    cut-off, or a list. Criteria of different kinds narrow each other; a list adds people."""
    qs = Employee.objects.active()
    department_ids = list(department_ids)
    if department_ids:
        prefixes = Department.objects.filter(pk__in=department_ids).values_list("path", flat=True)
        condition = Q(pk__in=[])
        for prefix in prefixes:
            condition |= Q(department__path__startswith=prefix)
        qs = qs.filter(condition)
    families = [f for f in job_families if f]
    if families:
        qs = qs.filter(job_family__in=families)
    if hired_on_or_before:
        qs = qs.filter(Q(hire_date__lte=hired_on_or_before) | Q(hire_date__isnull=True))
    numbers = [n for n in employee_numbers if n]
    if numbers:
        listed = Employee.objects.active().filter(employee_number__in=numbers)
        qs = (qs | listed) if (department_ids or families or hired_on_or_before) else listed
    return qs.distinct()


@transaction.atomic
def cycle_set_participants(
    *,
    actor: User | None,
    cycle: Cycle,
    department_ids: Sequence[int] = (),
    job_families: Sequence[str] = (),
    hired_on_or_before: dt.date | None = None,
    employee_numbers: Sequence[str] = (),
) -> dict[str, int]:
    """Make the cycle's participants exactly those the rule selects; report joins and leaves."""
    if cycle.is_closed:
        raise DomainError(_("A closed cycle cannot be changed."), code="cycle_closed")
    numbers = [n.strip() for n in employee_numbers if n.strip()]
    if numbers:
        known = set(
            Employee.objects.filter(employee_number__in=numbers).values_list(
                "employee_number", flat=True
            )
        )
        missing = [n for n in numbers if n not in known]
        if missing:
            raise field_error(
                "employee_numbers",
                _("Unknown employee numbers: %(numbers)s") % {"numbers": ", ".join(missing)},
            )
    rule = {
        "department_ids": sorted(department_ids),
        "job_families": sorted(f for f in job_families if f),
        "hired_on_or_before": hired_on_or_before.isoformat() if hired_on_or_before else None,
        "employee_numbers": sorted(numbers),
    }
    selected = dict(
        participants_query(
            department_ids=department_ids,
            job_families=job_families,
            hired_on_or_before=hired_on_or_before,
            employee_numbers=numbers,
        ).values_list("pk", "department_id")
    )
    managers = dict(Employee.objects.filter(pk__in=list(selected)).values_list("pk", "manager_id"))
    current = set(
        CycleParticipant.objects.filter(cycle=cycle).values_list("employee_id", flat=True)
    )
    joining = set(selected) - current
    leaving = current - set(selected)
    CycleParticipant.objects.filter(cycle=cycle, employee_id__in=leaving).delete()
    CycleParticipant.objects.bulk_create(
        [
            CycleParticipant(
                cycle=cycle, employee_id=pk, department_id=selected[pk], manager_id=managers.get(pk)
            )
            for pk in sorted(joining)
        ],
        batch_size=1000,
    )
    before_rule = cycle.participant_rule
    cycle.participant_rule = rule
    cycle.save(update_fields=["participant_rule"])
    result = {"selected": len(selected), "joined": len(joining), "left": len(leaving)}
    if joining or leaving or before_rule != rule:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=cycle,
            before={"participant_rule": before_rule},
            after={"participant_rule": rule, **result},
        )
    return result


@transaction.atomic
def cycle_transition(
    *,
    actor: User | None,
    cycle: Cycle,
    to_phase: str,
    expected_version: int | None = None,
    reason: str = "",
) -> Cycle:
    """Move the cycle to ``to_phase`` if the state machine allows it."""
    try:
        target = Phase(to_phase)
    except ValueError as exc:
        raise field_error(
            "phase",
            _("Unknown phase “%(phase)s”.") % {"phase": to_phase},
            code="illegal_transition",
        ) from exc
    current = Phase(cycle.phase)
    if not phases.is_allowed(current, target):
        allowed = ", ".join(str(p.label) for p in phases.allowed_next(current)) or _("none")
        raise DomainError(
            _("A cycle cannot go from %(current)s to %(target)s. Allowed next: %(allowed)s.")
            % {"current": current.label, "target": target.label, "allowed": allowed},
            code="illegal_transition",
            details={
                "from": current.value,
                "to": target.value,
                "allowed": [p.value for p in phases.allowed_next(current)],
            },
        )
    if phases.is_backward(current, target) and not reason.strip():
        raise field_error("reason", _("Going back to an earlier phase needs a reason."))
    if current == Phase.DRAFT:
        missing = []
        if cycle.template_id is None:
            missing.append(_("a review template"))
        if cycle.grade_scale_id is None:
            missing.append(_("a grade scale"))
        if not cycle.participants.exists():
            missing.append(_("participants"))
        if missing:
            raise DomainError(
                _("Before it opens, the cycle needs %(missing)s.")
                % {"missing": ", ".join(str(m) for m in missing)},
                code="cycle_incomplete",
            )
    fields = ["phase"]
    cycle.phase = target
    if current == Phase.DRAFT:
        cycle.opened_at = timezone.now()
        fields.append("opened_at")
    if target == Phase.CLOSED:
        cycle.closed_at = timezone.now()
        fields.append("closed_at")
    cycle.save_versioned(expected_version=expected_version, update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=cycle,
        before={"phase": current.value},
        after={"phase": target.value},
        reason=reason.strip(),
    )
    return cycle

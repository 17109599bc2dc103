"""Writes and reads of improvement plans (绩效改进计划).

Rules enforced here, for pages and API alike:

- HR proposes plans for a cycle's released results whose grade is in the cycle's trigger
  set (set-based, idempotent: a person with a plan for the cycle is skipped);
- managers and HR create a plan at any time, edit its goals, support, training and
  review dates while it is open, activate it, log reviews and close it;
- the employee sees their plan once active and acknowledges it, once;
- closing records an outcome: completed, extended (with a new end date; the plan keeps
  running) or not met. There is no termination action: the plan is the evidence of the
  training and support given, nothing more;
- every change is audited; a stale version is a conflict (409).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, acting_employee, is_hr, may, scope
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import AuditEntry, audit_record, audit_record_many, snapshot
from perfcycle.calibration.models import Result
from perfcycle.core.errors import DomainError, Forbidden
from perfcycle.core.validation import field_error, full_clean, reject_unknown
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.improvement.models import (
    DEFAULT_TRIGGER_GRADES,
    OPEN_STATUSES,
    OUTCOMES,
    ImprovementPlan,
    ImprovementSettings,
    PlanGoal,
    PlanReview,
    PlanStatus,
    PlanSupport,
    PlanTraining,
)
from perfcycle.monitoring.models import Course, TrainingAssignment, TrainingStatus
from perfcycle.monitoring.training import training_recommend
from perfcycle.org.models import Employee
from perfcycle.planning.models import GoalKind, OwnerType

PLAN_FIELDS = ("reason", "start_date", "end_date", "manager")

# Reads ---------------------------------------------------------------------------------


def visible_plans(user: Any) -> QuerySet[ImprovementPlan]:
    """The plans ``user`` may see: HR all, managers their line's (proposed too), the
    employee their own once activated."""
    base = ImprovementPlan.objects.all()
    if is_hr(user):
        return base
    managed = scope(user, Action.PLAN_VIEW, base, subject="employee__")
    me = acting_employee(user)
    mine = Q(employee=me) & ~Q(status=PlanStatus.PROPOSED) if me is not None else Q(pk__in=[])
    return base.filter(Q(pk__in=managed.values("pk")) | mine)


def plannable_people(user: Any) -> QuerySet[Employee]:
    """The current employees ``user`` may start a plan for: their reporting line (all for
    HR), never themselves."""
    people = scope(user, Action.PLAN_MANAGE, Employee.objects.active())
    me = acting_employee(user)
    return people.exclude(pk=me.pk) if me is not None else people


def trigger_grades(cycle: Cycle) -> list[str]:
    """The grades that lead to a proposed plan: the cycle's settings, else the lowest
    grade of its scale, else D."""
    settings = ImprovementSettings.objects.filter(cycle=cycle).first()
    if settings is not None and settings.trigger_grades:
        return list(settings.trigger_grades)
    if cycle.grade_scale_id:
        lowest = cycle.grade_scale.bands.order_by("min_score").values_list("code", flat=True)
        if lowest:
            return [lowest[0]]
    return list(DEFAULT_TRIGGER_GRADES)


@dataclass
class Evidence:
    """What the company gave: training with completion dates, support, reviews held."""

    training: list[TrainingAssignment] = field(default_factory=list)
    support: list[PlanSupport] = field(default_factory=list)
    reviews: list[PlanReview] = field(default_factory=list)


def plan_evidence(plan: ImprovementPlan) -> Evidence:
    return Evidence(
        training=[
            pt.assignment
            for pt in plan.training.select_related("assignment__course").order_by("pk")
        ],
        support=list(plan.support.all()),
        reviews=list(plan.reviews.select_related("by")),
    )


# Helpers -------------------------------------------------------------------------------


def _require(actor: Any, action: Action, plan: ImprovementPlan, message: str) -> None:
    if not may(actor, action, plan):
        raise Forbidden(message)


def _require_manage(actor: Any, plan: ImprovementPlan) -> None:
    _require(actor, Action.PLAN_MANAGE, plan, _("Only the manager or HR may change this plan."))


def _require_open(plan: ImprovementPlan) -> None:
    if plan.status not in OPEN_STATUSES:
        raise DomainError(_("This plan is closed."), code="plan_closed")


def _touch(plan: ImprovementPlan, expected_version: int | None) -> None:
    """A change to the plan's parts is a change to the plan: bump its version."""
    plan.save_versioned(expected_version=expected_version, update_fields=[])


# Settings ------------------------------------------------------------------------------


def cycle_grade_codes(cycle: Cycle) -> list[str]:
    """The grade codes of the cycle's scale, best first (empty without a scale)."""
    if cycle.grade_scale_id is None:
        return []
    return list(cycle.grade_scale.bands.order_by("-min_score").values_list("code", flat=True))


@transaction.atomic
def settings_set(
    *, actor: Any, cycle: Cycle, grades: list[str], expected_version: int | None = None
) -> ImprovementSettings:
    """Which final grades of ``cycle`` lead to a proposed plan (HR): at least one, each
    on the cycle's grade scale, never every grade. Audited before/after."""
    if not may(actor, Action.PLAN_PROPOSE):
        raise Forbidden(_("Only HR sets which grades lead to a plan."))
    chosen = {g.strip() for g in grades if g and g.strip()}
    scale = cycle_grade_codes(cycle)
    if not scale:
        raise DomainError(
            _("The cycle has no grade scale: give it one first."), code="no_grade_scale"
        )
    unknown = sorted(chosen - set(scale))
    if unknown:
        raise field_error(
            "grades",
            _("Not on the cycle's grade scale: %(grades)s.") % {"grades": ", ".join(unknown)},
            code="unknown_grade",
        )
    if not chosen:
        raise field_error("grades", _("Choose at least one grade."), code="required")
    if len(chosen) == len(scale):
        raise field_error(
            "grades",
            _("Not every grade can lead to an improvement plan."),
            code="every_grade",
        )
    ordered = [g for g in scale if g in chosen]
    settings = ImprovementSettings.objects.select_for_update().filter(cycle=cycle).first()
    if settings is None:
        settings = ImprovementSettings.objects.create(cycle=cycle, trigger_grades=ordered)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            instance=settings,
            after=snapshot(settings, ["trigger_grades"]),
        )
        return settings
    before = snapshot(settings, ["trigger_grades"])
    settings.trigger_grades = ordered
    settings.save_versioned(expected_version=expected_version, update_fields=["trigger_grades"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=settings,
        before=before,
        after=snapshot(settings, ["trigger_grades"]),
    )
    return settings


# Plans ---------------------------------------------------------------------------------


@dataclass
class ProposeReport:
    grades: list[str]
    created: int
    already_planned: int


@transaction.atomic
def plans_propose(*, actor: Any, cycle: Cycle) -> ProposeReport:
    """A proposed plan for every released result of ``cycle`` in the trigger grades
    whose employee has no plan for the cycle yet. Running it again creates nothing."""
    if not may(actor, Action.PLAN_PROPOSE):
        raise Forbidden(_("Only HR proposes improvement plans."))
    grades = trigger_grades(cycle)
    low = Result.objects.filter(cycle=cycle, grade__in=grades, released_at__isnull=False)
    has_plan = ImprovementPlan.objects.filter(cycle=cycle, employee=OuterRef("employee"))
    todo = list(low.exclude(Exists(has_plan)).select_related("employee").order_by("employee__name"))
    already = low.filter(Exists(has_plan)).count()
    today = timezone.localdate()
    plans = [
        ImprovementPlan(
            cycle=cycle,
            employee=r.employee,
            manager_id=r.employee.manager_id,
            result=r,
            status=PlanStatus.PROPOSED,
            reason=_("Final grade %(grade)s in %(cycle)s.") % {"grade": r.grade, "cycle": cycle},
            start_date=today,
            created_by=actor,
        )
        for r in todo
    ]
    ImprovementPlan.objects.bulk_create(plans)
    audit_record_many(
        actor=actor,
        entries=[
            AuditEntry(action=AuditAction.CREATE, instance=p, after=snapshot(p)) for p in plans
        ],
    )
    return ProposeReport(grades=grades, created=len(plans), already_planned=already)


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    employee: Employee,
    cycle: Cycle | None = None,
    reason: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> ImprovementPlan:
    """A plan for ``employee`` at any time (managers of the employee, HR), with the reason
    it is needed; tied to ``cycle`` (and its result there) when given."""
    if not may(actor, Action.PLAN_MANAGE, employee):
        raise Forbidden(_("Only the employee's managers or HR may start a plan."))
    if not employee.is_active:
        raise field_error(
            "employee",
            _("%(name)s has left; a plan is only for current employees.") % {"name": employee},
            code="left",
        )
    if not reason.strip():
        raise field_error("reason", _("Say why the plan is needed."), code="required")
    if (
        cycle is not None
        and ImprovementPlan.objects.filter(cycle=cycle, employee=employee).exists()
    ):
        raise DomainError(
            _("%(name)s already has an improvement plan for %(cycle)s.")
            % {"name": employee, "cycle": cycle},
            code="plan_exists",
        )
    result = Result.objects.filter(cycle=cycle, employee=employee).first() if cycle else None
    plan = ImprovementPlan(
        cycle=cycle,
        employee=employee,
        manager_id=employee.manager_id,
        result=result,
        reason=reason.strip(),
        start_date=start_date or timezone.localdate(),
        end_date=end_date,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _validate_dates(plan)
    full_clean(plan, exclude=["created_by", "result"])
    plan.save()
    audit_record(actor=actor, action=AuditAction.CREATE, instance=plan, after=snapshot(plan))
    return plan


def _validate_dates(plan: ImprovementPlan) -> None:
    if plan.start_date and plan.end_date and plan.end_date < plan.start_date:
        raise field_error("end_date", _("The end date is before the start date."))


@transaction.atomic
def plan_update(
    *, actor: Any, plan: ImprovementPlan, expected_version: int | None = None, **changes: Any
) -> ImprovementPlan:
    """Edit the reason, dates or manager while the plan is open."""
    reject_unknown(changes, PLAN_FIELDS)
    _require_manage(actor, plan)
    _require_open(plan)
    names = [f"{k}_id" if k == "manager" else k for k in changes]
    before = snapshot(plan, changes)  # by field name: ``manager``, not ``manager_id``
    for key, value in changes.items():
        setattr(plan, key, value.strip() if isinstance(value, str) else value)
    _validate_dates(plan)
    full_clean(plan, exclude=["created_by", "result"])
    plan.save_versioned(expected_version=expected_version, update_fields=names)
    after = snapshot(plan, changes)
    if after != before:
        audit_record(
            actor=actor, action=AuditAction.UPDATE, instance=plan, before=before, after=after
        )
    return plan


def _transition(
    actor: Any, plan: ImprovementPlan, fields: list[str], expected_version: int | None
) -> None:
    # The values before come from the stored row: the callers have already set the new ones.
    before = snapshot(ImprovementPlan.objects.get(pk=plan.pk), fields)
    plan.save_versioned(expected_version=expected_version, update_fields=fields)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=plan,
        before=before,
        after=snapshot(plan, fields),
    )


@transaction.atomic
def plan_activate(
    *, actor: Any, plan: ImprovementPlan, expected_version: int | None = None
) -> ImprovementPlan:
    """Start a proposed plan: it needs at least one goal and an end date; from now on the
    employee sees it."""
    _require_manage(actor, plan)
    if plan.status != PlanStatus.PROPOSED:
        raise DomainError(_("Only a proposed plan can be activated."), code="not_proposed")
    if not plan.goals.exists():
        raise DomainError(_("Add at least one goal before activating the plan."), code="no_goals")
    if plan.end_date is None:
        raise field_error("end_date", _("Set the end date before activating the plan."))
    before = snapshot(plan, ["status", "activated_at"])
    plan.status = PlanStatus.ACTIVE
    plan.activated_at = timezone.now()
    plan.save_versioned(expected_version=expected_version, update_fields=["status", "activated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=plan,
        before=before,
        after=snapshot(plan, ["status", "activated_at"]),
    )
    return plan


@transaction.atomic
def plan_acknowledge(*, actor: Any, plan: ImprovementPlan) -> ImprovementPlan:
    """The employee confirms they have read the plan — once."""
    _require(actor, Action.PLAN_ACKNOWLEDGE, plan, _("Only the employee acknowledges their plan."))
    fresh = ImprovementPlan.objects.select_for_update().get(pk=plan.pk)
    if fresh.status == PlanStatus.PROPOSED:
        raise DomainError(_("The plan has not been activated yet."), code="not_active")
    if fresh.acknowledged_at is not None:
        raise DomainError(
            _("You have already acknowledged this plan."), code="already_acknowledged"
        )
    plan.acknowledged_at = timezone.now()
    _transition(actor, plan, ["acknowledged_at"], fresh.version)
    return plan


@transaction.atomic
def plan_close(
    *,
    actor: Any,
    plan: ImprovementPlan,
    outcome: str,
    reason: str,
    new_end_date: dt.date | None = None,
    expected_version: int | None = None,
) -> ImprovementPlan:
    """Record the outcome: completed, not met, or extended to ``new_end_date`` (the plan
    keeps running)."""
    _require_manage(actor, plan)
    if plan.status not in (PlanStatus.ACTIVE, PlanStatus.EXTENDED):
        raise DomainError(_("Only an active plan can be closed."), code="not_active")
    if outcome not in OUTCOMES:
        raise field_error("outcome", _("Choose completed, extended or not met."))
    if not reason.strip():
        raise field_error("reason", _("Say why."))
    fields = ["status", "outcome_reason"]
    if outcome == PlanStatus.EXTENDED:
        if new_end_date is None or (plan.end_date and new_end_date <= plan.end_date):
            raise field_error(
                "new_end_date", _("An extension needs an end date later than the current one.")
            )
        plan.end_date = new_end_date
        fields.append("end_date")
    else:
        plan.closed_at = timezone.now()
        fields.append("closed_at")
    plan.status = outcome
    plan.outcome_reason = reason.strip()
    _transition(actor, plan, fields, expected_version)
    return plan


# Parts: goals, support, training, reviews ----------------------------------------------


def _part_created(actor: Any, plan: ImprovementPlan, part: Any, expected: int | None) -> None:
    full_clean(part, exclude=["plan", "by", "assignment"])
    _touch(plan, expected)
    part.save()
    audit_record(actor=actor, action=AuditAction.CREATE, instance=part, after=snapshot(part))


@transaction.atomic
def goal_add(
    *,
    actor: Any,
    plan: ImprovementPlan,
    description: str,
    measure: str = "",
    due_date: dt.date | None = None,
    expected_version: int | None = None,
) -> PlanGoal:
    _require_manage(actor, plan)
    _require_open(plan)
    goal = PlanGoal(
        plan=plan, description=description.strip(), measure=measure.strip(), due_date=due_date
    )
    _part_created(actor, plan, goal, expected_version)
    return goal


@transaction.atomic
def support_add(
    *,
    actor: Any,
    plan: ImprovementPlan,
    kind: str,
    description: str,
    provided_on: dt.date | None = None,
    expected_version: int | None = None,
) -> PlanSupport:
    _require_manage(actor, plan)
    _require_open(plan)
    item = PlanSupport(
        plan=plan, kind=kind, description=description.strip(), provided_on=provided_on
    )
    _part_created(actor, plan, item, expected_version)
    return item


@transaction.atomic
def training_add(
    *,
    actor: Any,
    plan: ImprovementPlan,
    course: Course,
    due_date: dt.date | None = None,
    expected_version: int | None = None,
) -> PlanTraining:
    """Link the employee's open assignment of ``course``, or recommend the course now
    (through the monitoring stage's service)."""
    _require_manage(actor, plan)
    _require_open(plan)
    assignment = (
        TrainingAssignment.objects.filter(employee=plan.employee, course=course)
        .exclude(status=TrainingStatus.COMPLETED)
        .first()
    )
    if assignment is None:
        assignment = training_recommend(
            actor=actor,
            employee=plan.employee,
            course=course,
            reason=_("Part of the improvement plan."),
            due_date=due_date or plan.end_date,
        )
    if plan.training.filter(assignment=assignment).exists():
        raise DomainError(_("This training is already part of the plan."), code="duplicate")
    link = PlanTraining(plan=plan, assignment=assignment)
    _part_created(actor, plan, link, expected_version)
    return link


@transaction.atomic
def review_schedule(
    *,
    actor: Any,
    plan: ImprovementPlan,
    scheduled_for: dt.date,
    expected_version: int | None = None,
) -> PlanReview:
    _require_manage(actor, plan)
    _require_open(plan)
    review = PlanReview(plan=plan, scheduled_for=scheduled_for)
    _part_created(actor, plan, review, expected_version)
    return review


PARTS = {"goal": PlanGoal, "support": PlanSupport, "training": PlanTraining, "review": PlanReview}


@transaction.atomic
def part_remove(
    *,
    actor: Any,
    plan: ImprovementPlan,
    part: str,
    part_id: int,
    expected_version: int | None = None,
) -> None:
    """Remove a goal, support item, training link or a review date not yet held."""
    _require_manage(actor, plan)
    _require_open(plan)
    model = PARTS.get(part)
    obj = model.objects.filter(plan=plan, pk=part_id).first() if model else None
    if obj is None:
        raise DomainError(_("Not found."), code="not_found")
    if isinstance(obj, PlanReview) and obj.held_on is not None:
        raise DomainError(_("A held review stays on the record."), code="review_held")
    _touch(plan, expected_version)
    audit_record(actor=actor, action=AuditAction.DELETE, instance=obj, before=snapshot(obj))
    obj.delete()


@transaction.atomic
def review_log(
    *,
    actor: Any,
    plan: ImprovementPlan,
    review: PlanReview,
    held_on: dt.date,
    notes: str,
    progress: str,
    expected_version: int | None = None,
) -> PlanReview:
    """Record how a scheduled review went (active plans only)."""
    _require_manage(actor, plan)
    if plan.status not in (PlanStatus.ACTIVE, PlanStatus.EXTENDED):
        raise DomainError(_("Reviews are logged while the plan is active."), code="not_active")
    if review.plan_id != plan.pk:
        raise DomainError(_("Not found."), code="not_found")
    if held_on > timezone.localdate():
        raise field_error("held_on", _("A review cannot be held in the future."))
    if not notes.strip():
        raise field_error("notes", _("Write what was discussed."))
    before = snapshot(review, ["held_on", "notes", "progress"])
    review.held_on = held_on
    review.notes = notes.strip()
    review.progress = progress
    review.by = actor
    full_clean(review, exclude=["plan", "by"])
    _touch(plan, expected_version)
    review.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=review,
        before=before,
        after=snapshot(review, ["held_on", "notes", "progress"]),
    )
    return review


# Carrying goals into the next cycle ----------------------------------------------------


@transaction.atomic
def plan_carry_goals(
    *, actor: Any, plan: ImprovementPlan, next_cycle: Cycle, expected_version: int | None = None
) -> list[Any]:
    """Copy the plan's goals as qualitative goals of ``next_cycle`` for the employee,
    while that cycle is in planning; once."""
    from perfcycle.planning.services import goal_create

    _require_manage(actor, plan)
    # Lock only the plan's own row (PostgreSQL refuses FOR UPDATE across an outer join).
    fresh = (
        ImprovementPlan.objects.select_for_update(of=("self",))
        .select_related("carried_into")
        .get(pk=plan.pk)
    )
    if fresh.carried_into_id is not None:
        raise DomainError(
            _("The goals were already carried into %(cycle)s.") % {"cycle": fresh.carried_into},
            code="already_carried",
        )
    if next_cycle.phase != Phase.PLANNING:
        raise DomainError(
            _("Goals are carried into a cycle in planning."), code="cycle_not_planning"
        )
    if plan.cycle_id == next_cycle.pk:
        raise field_error("cycle", _("Choose a later cycle."))
    goals = list(plan.goals.all())
    if not goals:
        raise DomainError(_("The plan has no goals to carry."), code="no_goals")
    created = [
        goal_create(
            actor=actor,
            cycle=next_cycle,
            owner_type=OwnerType.EMPLOYEE,
            employee=plan.employee,
            kind=GoalKind.QUALITATIVE,
            weight=Decimal(0),  # weighed with the rest of the sheet in planning
            title=g.description.splitlines()[0][:200],
            description="\n".join(
                part
                for part in (g.description, g.measure and f"{_('Measure')}: {g.measure}")
                if part
            ),
        )
        for g in goals
    ]
    plan.carried_into = next_cycle
    _transition(actor, plan, ["carried_into"], expected_version)
    return created

"""Writes of the reward stage: pay on record, bonus plans (create, change, compute,
approve; their settings are checked in ``plan_settings``), managers' adjustments within
the band, motivation profiles. Every change is audited.

The plan's budget is guarded by a row lock: computing, adjusting and approving all lock
the plan row first (``select_for_update``), so adjustments are serialised per plan and
the total of final amounts can never pass the budget; a line read before somebody else
changed it is a conflict (its version).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perfcycle.access.policy import Action, may
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_change, audit_record, snapshot
from perfcycle.calibration.models import Result
from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.core.later import enqueue_on_commit
from perfcycle.core.numbers import plain
from perfcycle.core.validation import field_error, full_clean
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.monitoring.models import TrainingAssignment, TrainingStatus
from perfcycle.org.models import Employee
from perfcycle.rewards import allocation
from perfcycle.rewards.models import (
    BonusLine,
    BonusPlan,
    Compensation,
    Method,
    MotivationProfile,
    Motivator,
    PlanStatus,
    TrainingRule,
)
from perfcycle.rewards.plan_settings import (
    PLAN_FIELDS,
    apply_values,
    plan_snapshot,
    plan_values,
    write_settings,
)

# Re-exported: forms, the API and the demo name them through this module.
from perfcycle.rewards.plan_settings import DepartmentInput as DepartmentInput
from perfcycle.rewards.plan_settings import cycle_grades as cycle_grades

MIN_REASON = 10

EXCLUSION_REASONS = {
    "no_result": gettext_lazy("no final result in this cycle"),
    "no_grade": gettext_lazy("the result has no grade yet"),
    "unknown_grade": gettext_lazy("the grade is not on the cycle's grade scale"),
    "no_compensation": gettext_lazy("no pay on record"),
    "no_target": gettext_lazy("no target bonus on record"),
    "no_pool": gettext_lazy("the department has no pool in this plan"),
    "training_missing": gettext_lazy("required training not completed"),
}


def exclusion_label(entry: dict[str, Any]) -> str:
    """Why a person was left out, naming the missing courses when training was the cause."""
    label = str(EXCLUSION_REASONS.get(entry.get("reason", ""), entry.get("reason", "")))
    if entry.get("courses"):
        label += ": " + ", ".join(entry["courses"])
    return label


# --- Pay on record -------------------------------------------------------------------------


@transaction.atomic
def compensation_set(
    *,
    actor: Any,
    employee: Employee,
    base_monthly: Decimal,
    target_bonus_amount: Decimal | None = None,
    target_bonus_months: Decimal | None = None,
    currency: str = "CNY",
    expected_version: int | None = None,
) -> Compensation:
    """Create or change a person's pay on record (HR). Audited."""
    if not may(actor, Action.COMPENSATION_MANAGE):
        raise Forbidden(_("Only HR keeps pay on record."))
    existing = Compensation.objects.select_for_update().filter(employee=employee).first()
    comp = existing or Compensation(employee=employee)
    before = snapshot(comp) if existing else None
    comp.base_monthly = base_monthly
    comp.target_bonus_amount = target_bonus_amount
    comp.target_bonus_months = target_bonus_months
    comp.currency = (currency or "CNY").strip().upper()
    full_clean(comp, exclude=["employee"])
    if existing is None:
        comp.save()
        audit_record(actor=actor, action=AuditAction.CREATE, instance=comp, after=snapshot(comp))
    else:
        comp.save_versioned(
            expected_version=expected_version,
            update_fields=[
                "base_monthly",
                "target_bonus_amount",
                "target_bonus_months",
                "currency",
            ],
        )
        assert before is not None
        audit_change(actor=actor, instance=comp, before=before)
    return comp


# --- Plans ---------------------------------------------------------------------------------


@transaction.atomic
def plan_create(*, actor: Any, cycle: Cycle, **settings: Any) -> BonusPlan:
    """A draft plan for ``cycle`` (HR); ``settings`` are ``plan_values``' arguments."""
    if not may(actor, Action.BONUS_PLAN_MANAGE):
        raise Forbidden(_("Only HR sets up bonus plans."))
    values = plan_values(cycle=cycle, **settings)
    plan = BonusPlan(cycle=cycle, created_by=actor)
    apply_values(plan, values)
    full_clean(plan)
    plan.save()
    write_settings(plan, values)
    audit_record(actor=actor, action=AuditAction.CREATE, instance=plan, after=plan_snapshot(plan))
    return plan


@transaction.atomic
def plan_update(
    *, actor: Any, plan: BonusPlan, expected_version: int | None, **settings: Any
) -> BonusPlan:
    """Change a draft or computed plan (HR), with the same checks as creating it. A
    computed plan's lines (and their adjustments) are discarded: it is a draft again and
    must be computed anew. An approved plan is final. Audited before/after."""
    if not may(actor, Action.BONUS_PLAN_MANAGE):
        raise Forbidden(_("Only HR changes bonus plans."))
    locked = _locked(plan)
    if locked.status == PlanStatus.APPROVED:
        raise DomainError(
            _("This plan is approved; it cannot be changed."), code="already_approved"
        )
    expected = locked.version if expected_version is None else expected_version
    if locked.version != expected:
        raise Conflict(
            _("Somebody else changed this record in the meantime. Reload it and try again."),
            details={"expected_version": expected},
        )
    values = plan_values(cycle=locked.cycle, **settings)
    before = plan_snapshot(locked)
    apply_values(locked, values)
    discarded = 0
    if locked.status == PlanStatus.COMPUTED:
        discarded, _deleted = BonusLine.objects.filter(plan=locked).delete()
    locked.status = PlanStatus.DRAFT
    locked.computed_at = None
    locked.remainder = Decimal(0)
    locked.excluded = []
    full_clean(locked)
    locked.save_versioned(
        expected_version=expected,
        update_fields=[*PLAN_FIELDS, "status", "computed_at", "remainder", "excluded"],
    )
    write_settings(locked, values)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        before=before,
        after={**plan_snapshot(locked), "lines_discarded": discarded},
    )
    return locked


def _locked(plan: BonusPlan) -> BonusPlan:
    return BonusPlan.objects.select_for_update().select_related("cycle").get(pk=plan.pk)


@dataclass
class ComputeReport:
    lines: int
    total: Decimal
    raw_total: Decimal
    remainder: Decimal
    scaled: bool
    excluded: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "total": self.total,
            "raw_total": self.raw_total,
            "remainder": self.remainder,
            "scaled": self.scaled,
            "excluded": self.excluded,
        }


def plan_people(
    plan: BonusPlan, grades: list[str]
) -> tuple[list[allocation.Person], list[dict[str, Any]]]:
    """Who goes into the plan, and who is left out and why: the cycle's participants and
    everyone with a result, by their final (calibrated or released) grade."""
    cycle = plan.cycle
    results = {
        r["employee_id"]: r
        for r in Result.objects.filter(cycle=cycle).values("employee_id", "grade", "department_id")
    }
    participants = dict(
        CycleParticipant.objects.filter(cycle=cycle).values_list("employee_id", "department_id")
    )
    ids = sorted(set(results) | set(participants))
    employees = {
        e["pk"]: e
        for e in Employee.objects.filter(pk__in=ids).values("pk", "name", "department_id")
    }
    pay = {c.employee_id: c for c in Compensation.objects.filter(employee_id__in=ids)}
    pools = {d.department_id: d.pool for d in plan.departments.all() if d.pool is not None}
    missing = training_missing(plan, ids)
    people: list[allocation.Person] = []
    excluded: list[dict[str, Any]] = []
    for pk in sorted(ids, key=lambda i: (employees[i]["name"], i)):
        result = results.get(pk)
        department = (
            (result or {}).get("department_id")
            or participants.get(pk)
            or employees[pk]["department_id"]
        )

        def leave_out(reason: str, *, pk: int = pk) -> None:
            excluded.append({"employee_id": pk, "name": employees[pk]["name"], "reason": reason})

        if result is None:
            leave_out("no_result")
            continue
        if not result["grade"]:
            leave_out("no_grade")
            continue
        if result["grade"] not in grades:
            leave_out("unknown_grade")
            continue
        comp = pay.get(pk)
        if comp is None:
            leave_out("no_compensation")
            continue
        if plan.method == Method.TARGET and comp.target is None:
            leave_out("no_target")
            continue
        if plan.method == Method.POOL and department not in pools:
            leave_out("no_pool")
            continue
        factor = Decimal(1)
        if plan.training_rule == TrainingRule.CONDITION and missing.get(pk):
            excluded.append(
                {
                    "employee_id": pk,
                    "name": employees[pk]["name"],
                    "reason": "training_missing",
                    "courses": missing[pk],
                }
            )
            continue
        if plan.training_rule == TrainingRule.FACTOR and not missing.get(pk):
            factor = plan.training_factor
        people.append(
            allocation.Person(
                key=pk,
                grade=result["grade"],
                base=comp.base_monthly,
                target=comp.target,
                department=department,
                training_factor=factor,
            )
        )
    return people, excluded


def training_missing(plan: BonusPlan, employee_ids: list[int]) -> dict[int, list[str]]:
    """For each person, the titles of the plan's required courses they have not completed
    (by the plan's deadline, if it has one); empty when the plan has no training rule.
    Two queries."""
    if plan.training_rule == TrainingRule.NONE:
        return {}
    courses = list(plan.required_courses.order_by("title", "pk").values_list("pk", "title"))
    done = TrainingAssignment.objects.filter(
        employee_id__in=employee_ids,
        course_id__in=[pk for pk, _t in courses],
        status=TrainingStatus.COMPLETED,
    )
    if plan.training_deadline is not None:
        done = done.filter(completed_on__lte=plan.training_deadline)
    completed = set(done.values_list("employee_id", "course_id"))
    return {
        pk: [title for course, title in courses if (pk, course) not in completed]
        for pk in employee_ids
    }


@transaction.atomic
def plan_compute(*, actor: Any, plan: BonusPlan) -> ComputeReport:
    """(Re)compute every line of a plan that is not approved yet. Recomputing replaces
    the lines, and with them any adjustments. Audited."""
    if not may(actor, Action.BONUS_PLAN_MANAGE):
        raise Forbidden(_("Only HR computes bonus plans."))
    plan = _locked(plan)
    if plan.status == PlanStatus.APPROVED:
        raise DomainError(
            _("This plan is approved; it cannot be computed again."), code="already_approved"
        )
    grades = cycle_grades(plan.cycle)
    coefficients = allocation.parse_coefficients(plan.grade_coefficients, grades)
    people, excluded = plan_people(plan, grades)
    short_of_training = {
        pk for pk, titles in training_missing(plan, [p.key for p in people]).items() if titles
    }
    department_rows = list(plan.departments.all())
    department_coefficients: dict[int | None, Decimal] = {
        d.department_id: d.coefficient for d in department_rows
    }
    if plan.method == Method.TARGET:
        result = allocation.allocate_target(
            people,
            budget=plan.budget,
            unit=plan.rounding_unit,
            coefficients=coefficients,
            department_coefficients=department_coefficients,
        )
    else:
        result = allocation.allocate_pool(
            people,
            budget=plan.budget,
            unit=plan.rounding_unit,
            coefficients=coefficients,
            department_coefficients=department_coefficients,
            pools={d.department_id: d.pool for d in department_rows if d.pool is not None},
        )
    before = {"status": plan.status, "lines": BonusLine.objects.filter(plan=plan).count()}
    BonusLine.objects.filter(plan=plan).delete()
    BonusLine.objects.bulk_create(
        [
            BonusLine(
                plan=plan,
                employee_id=a.key,
                department_id=a.department,
                grade=a.grade,
                base=a.base,
                target=a.target,
                grade_coefficient=a.grade_coefficient,
                department_coefficient=a.department_coefficient,
                training_factor=(
                    None if plan.training_rule == TrainingRule.NONE else a.training_factor
                ),
                training_met=(
                    None
                    if plan.training_rule == TrainingRule.NONE
                    else a.key not in short_of_training
                ),
                raw_amount=a.raw,
                scale_factor=a.scale,
                amount=a.amount,
                final_amount=a.amount,
            )
            for a in result.lines
        ],
        batch_size=1000,
    )
    plan.status = PlanStatus.COMPUTED
    plan.computed_at = timezone.now()
    plan.remainder = result.remainder.quantize(Decimal("0.01"))
    plan.excluded = excluded
    plan.save_versioned(
        expected_version=None, update_fields=["status", "computed_at", "remainder", "excluded"]
    )
    report = ComputeReport(
        lines=len(result.lines),
        total=result.total,
        raw_total=result.raw_total,
        remainder=result.remainder,
        scaled=result.scaled,
        excluded=excluded,
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=plan,
        before=before,
        after={
            "status": plan.status,
            "computed": True,
            "lines": report.lines,
            "total": str(report.total),
            "remainder": str(report.remainder),
            "scaled": report.scaled,
            "excluded": len(excluded),
        },
    )
    return report


@transaction.atomic
def line_adjust(
    *,
    actor: Any,
    line: BonusLine,
    adjustment: Any,
    reason: str,
    expected_version: int | None = None,
) -> BonusLine:
    """Move a line's amount by up to ± the plan's band, with a written reason (the
    person's managers or HR). The plan's total of final amounts never passes the budget:
    the plan row is locked while the total is checked and the line written. Audited."""
    if not may(actor, Action.BONUS_LINE_ADJUST, line):
        raise Forbidden(_("Only the person's managers or HR adjust a bonus."))
    expected = line.version if expected_version is None else expected_version
    plan = _locked(line.plan)
    if plan.status != PlanStatus.COMPUTED:
        raise DomainError(
            _("Only a computed plan that is not yet approved can be adjusted."),
            code="not_adjustable",
        )
    current = BonusLine.objects.filter(pk=line.pk).first()
    if current is None:  # the plan was computed again: its lines were replaced
        raise Conflict(
            _("The plan was computed again in the meantime. Reload it and try again."),
            details={"expected_version": expected, "version": None},
        )
    if current.version != expected:
        raise Conflict(
            _("Somebody else changed this record in the meantime. Reload it and try again."),
            details={"expected_version": expected, "version": current.version},
        )
    delta = _signed(adjustment)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise field_error(
            "reason",
            _("Give a reason of at least %(n)d characters.") % {"n": MIN_REASON},
            code="reason_too_short",
        )
    current.plan = plan
    limit = current.band_limit
    if abs(delta) > limit:
        raise field_error(
            "adjustment",
            _("The adjustment may be at most ±%(limit)s (%(band)s%% of %(amount)s).")
            % {"limit": limit, "band": plain(plan.adjustment_band), "amount": current.amount},
            code="outside_band",
        )
    final = current.amount + delta
    if final < 0:
        raise field_error("adjustment", _("The final amount may not be negative."))
    others = BonusLine.objects.filter(plan=plan).exclude(pk=current.pk).aggregate(
        s=Sum("final_amount")
    )["s"] or Decimal(0)
    if others + final > plan.budget:
        raise DomainError(
            _(
                "This would bring the plan to %(total)s, over its budget of %(budget)s: at most "
                "%(room)s more can be given."
            )
            % {
                "total": others + final,
                "budget": plan.budget,
                "room": max(plan.budget - others - current.final_amount, Decimal(0)),
            },
            code="over_budget",
            details={"total": str(others + final), "budget": str(plan.budget)},
        )
    before = snapshot(current, ["adjustment", "reason", "final_amount"])
    current.adjustment = delta
    current.reason = reason
    current.final_amount = final
    current.adjusted_by = actor
    current.save_versioned(
        expected_version=expected,
        update_fields=["adjustment", "reason", "final_amount", "adjusted_by"],
    )
    audit_change(actor=actor, instance=current, before=before, reason=reason)
    return current


def _signed(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise field_error("adjustment", _("Enter a number.")) from exc
    if not amount.is_finite():
        raise field_error("adjustment", _("Enter a number."))
    if amount != amount.quantize(Decimal("0.01")):
        raise field_error("adjustment", _("Use at most two decimal places."))
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def plan_approve(*, actor: Any, plan: BonusPlan, expected_version: int | None = None) -> BonusPlan:
    """HR approves a computed plan; after that nothing in it changes. Audited."""
    if not may(actor, Action.BONUS_PLAN_MANAGE):
        raise Forbidden(_("Only HR approves bonus plans."))
    locked = _locked(plan)
    if locked.status == PlanStatus.APPROVED:
        raise DomainError(_("This plan is already approved."), code="already_approved")
    if locked.status != PlanStatus.COMPUTED:
        raise DomainError(_("Compute the plan before approving it."), code="not_computed")
    total = BonusLine.objects.filter(plan=locked).aggregate(s=Sum("final_amount"))["s"] or 0
    if total > locked.budget:  # cannot happen through the services; a last guard
        raise DomainError(_("The plan is over its budget."), code="over_budget")
    before = snapshot(locked, ["status", "approved_at", "approved_by"])
    locked.status = PlanStatus.APPROVED
    locked.approved_at = timezone.now()
    locked.approved_by = actor
    locked.save_versioned(
        expected_version=expected_version, update_fields=["status", "approved_at", "approved_by"]
    )
    audit_change(actor=actor, instance=locked, before=before)
    enqueue_on_commit("perfcycle.notifications.rewards.notify_bonus_approved", locked.pk)
    return locked


# --- Motivation ----------------------------------------------------------------------------


@transaction.atomic
def motivation_set(*, actor: Any, employee: Employee, motivators: list[str]) -> MotivationProfile:
    """The person orders all six motivators, most important first. Audited."""
    if not may(actor, Action.MOTIVATION_EDIT, employee):
        raise Forbidden(_("Only the person themselves says what motivates them."))
    order = [str(m).strip() for m in motivators or []]
    if sorted(order) != sorted(Motivator.values):
        raise ValidationFailed(
            _("Order all six motivators, each once: %(all)s.")
            % {"all": ", ".join(str(label) for label in Motivator.labels)},
            code="bad_motivators",
            details={"fields": {"motivators": [_("Each of the six motivators exactly once.")]}},
        )
    profile = MotivationProfile.objects.select_for_update().filter(employee=employee).first()
    if profile is None:
        profile = MotivationProfile.objects.create(employee=employee, motivators=order)
        audit_record(
            actor=actor, action=AuditAction.CREATE, instance=profile, after=snapshot(profile)
        )
        return profile
    before = snapshot(profile, ["motivators"])
    profile.motivators = order
    profile.save(update_fields=["motivators", "updated_at"])
    audit_change(actor=actor, instance=profile, before=before)
    return profile

"""Reward and improve: pay on record, bonus lines of approved plans, motivation,
decided salary and promotion proposals, activated improvement plans, retrospective
answers."""

from __future__ import annotations

from perfcycle.improvement.models import (
    ImprovementPlan,
    PlanGoal,
    PlanReview,
    PlanSupport,
    PlanTraining,
)
from perfcycle.improvement.models import PlanStatus as ImprovementStatus
from perfcycle.privacy.sections.common import (
    Context,
    Sections,
    make_row,
    make_rows,
    name_of,
    user_label,
)
from perfcycle.proposals.models import Proposal, ProposalStatus
from perfcycle.retrospective.models import GoalVerdict, RetroResponse
from perfcycle.rewards.models import BonusLine, Compensation, MotivationProfile, PlanStatus

# Proposals still being decided (or returned to the nominator) are not the person's yet.
UNDECIDED_PROPOSALS = (ProposalStatus.SUBMITTED, ProposalStatus.ENDORSED, ProposalStatus.RETURNED)


def collect(ctx: Context) -> Sections:
    me = ctx.me
    s: Sections = {}
    s["compensation"] = make_rows(
        Compensation.objects.filter(employee=me),
        lambda c: make_row(
            base_monthly=c.base_monthly,
            target_bonus_amount=c.target_bonus_amount,
            target_bonus_months=c.target_bonus_months,
            currency=c.currency,
            updated_at=c.updated_at,
        ),
    )
    s["bonus_lines"] = make_rows(
        BonusLine.objects.filter(employee=me, plan__status=PlanStatus.APPROVED)
        .select_related("plan__cycle")
        .order_by("plan__approved_at", "pk"),
        lambda b: make_row(
            cycle=b.plan.cycle.name,
            plan=b.plan.name,
            currency=b.plan.currency,
            grade=b.grade,
            base=b.base,
            target=b.target,
            grade_coefficient=b.grade_coefficient,
            department_coefficient=b.department_coefficient,
            training_factor=b.training_factor,
            training_met=b.training_met,
            computed_amount=b.amount,
            adjustment=b.adjustment,
            adjustment_reason=b.reason,
            final_amount=b.final_amount,
        ),
    )
    s["motivation"] = make_rows(
        MotivationProfile.objects.filter(employee=me),
        lambda m: make_row(motivators=m.labels, updated_at=m.updated_at),
    )
    s["proposals"] = make_rows(
        Proposal.objects.filter(employee=me)
        .exclude(status__in=UNDECIDED_PROPOSALS)
        .select_related("round__cycle", "nominated_by")
        .order_by("created_at", "pk"),
        lambda p: make_row(
            round=p.round.name,
            kind=p.round.get_kind_display(),
            cycle=p.round.cycle.name,
            status=p.get_status_display(),
            nominated_by=name_of(p.nominated_by),
            justification=p.justification,
            eligible=p.eligible,
            current_base=p.current_base,
            increase_pct=p.increase_pct,
            proposed_base=p.proposed_base,
            current_title=p.current_title,
            proposed_title=p.proposed_title,
            current_level=p.current_level,
            proposed_level=p.proposed_level,
            decided_at=p.decided_at,
            decision_note=p.decision_note,
            effective_on=p.effective_on,
        ),
    )
    plans = ImprovementPlan.objects.filter(employee=me).exclude(status=ImprovementStatus.PROPOSED)
    s["improvement_plans"] = make_rows(
        plans.select_related("cycle", "manager").order_by("created_at", "pk"),
        lambda p: make_row(
            id=p.pk,
            cycle=p.cycle.name if p.cycle else None,
            manager=name_of(p.manager),
            status=p.get_status_display(),
            reason=p.reason,
            start_date=p.start_date,
            end_date=p.end_date,
            activated_at=p.activated_at,
            acknowledged_at=p.acknowledged_at,
            closed_at=p.closed_at,
            outcome_reason=p.outcome_reason,
        ),
    )
    s["improvement_plan_goals"] = make_rows(
        PlanGoal.objects.filter(plan__in=plans).order_by("plan_id", "due_date", "pk"),
        lambda g: make_row(
            plan_id=g.plan_id, description=g.description, measure=g.measure, due_date=g.due_date
        ),
    )
    s["improvement_plan_support"] = make_rows(
        PlanSupport.objects.filter(plan__in=plans).order_by("plan_id", "pk"),
        lambda p: make_row(
            plan_id=p.plan_id,
            kind=p.get_kind_display(),
            description=p.description,
            provided_on=p.provided_on,
        ),
    )
    s["improvement_plan_training"] = make_rows(
        PlanTraining.objects.filter(plan__in=plans)
        .select_related("assignment__course")
        .order_by("plan_id", "pk"),
        lambda t: make_row(
            plan_id=t.plan_id,
            course=t.assignment.course.title,
            status=t.assignment.get_status_display(),
        ),
    )
    s["improvement_plan_reviews"] = make_rows(
        PlanReview.objects.filter(plan__in=plans)
        .select_related("by__employee")
        .order_by("plan_id", "scheduled_for", "pk"),
        lambda r: make_row(
            plan_id=r.plan_id,
            scheduled_for=r.scheduled_for,
            held_on=r.held_on,
            progress=r.get_progress_display() if r.progress else "",
            notes=r.notes,
            by=user_label(r.by),
        ),
    )
    s["retrospective_answers"] = make_rows(
        RetroResponse.objects.filter(employee=me)
        .select_related("cycle")
        .order_by("submitted_at", "pk"),
        lambda r: make_row(
            cycle=r.cycle.name,
            clarity=r.clarity,
            fairness=r.fairness,
            coaching=r.coaching,
            comment=r.comment,
            submitted_at=r.submitted_at,
        ),
    )
    s["retrospective_verdicts"] = make_rows(
        GoalVerdict.objects.filter(response__employee=me)
        .select_related("response__cycle", "goal")
        .order_by("response_id", "goal_id"),
        lambda v: make_row(
            cycle=v.response.cycle.name,
            goal=v.goal.title,
            target_was=v.get_verdict_display(),
        ),
    )
    return s

"""Improvement plans over the API: the plans one may see (paginated), one plan with its
evidence, edits (PATCH with the version), proposing plans for a cycle's low grades, and
the plan's steps: activate, acknowledge, reviews, close, carry.

Thin: the policy says who (a plan one may not see is 404 — the employee's own too while
it is merely proposed), ``improvement.services`` writes. A stale version answers 409.
There is no termination endpoint.
"""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page, Rows
from perfcycle.api.planning.common import api_field_names, cycle_ref, employee_ref
from perfcycle.cycles.models import Cycle
from perfcycle.improvement import services
from perfcycle.improvement.models import ImprovementPlan, ImprovementSettings, PlanReview
from perfcycle.monitoring.models import Course

router = Router(tags=["improvement"])


class PlanFilters(Schema):
    cycle_id: int | None = None
    status: str | None = None


class ImprovementPlanOut(Schema):
    id: int
    cycle_id: int | None
    employee_id: int
    employee_name: str
    manager_id: int | None
    status: str
    reason: str
    start_date: dt.date | None
    end_date: dt.date | None
    activated_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome_reason: str
    carried_into_id: int | None
    version: int


class ImprovementGoalOut(Schema):
    id: int
    description: str
    measure: str
    due_date: dt.date | None


class ImprovementTrainingOut(Schema):
    assignment_id: int
    course_id: int
    course_title: str
    status: str
    completed_on: dt.date | None


class SupportOut(Schema):
    id: int
    kind: str
    description: str
    provided_on: dt.date | None


class ReviewOut(Schema):
    id: int
    scheduled_for: dt.date
    held_on: dt.date | None
    progress: str
    notes: str


class PlanDetailOut(ImprovementPlanOut):
    goals: list[ImprovementGoalOut]
    training: list[ImprovementTrainingOut]
    support: list[SupportOut]
    reviews: list[ReviewOut]


class ImprovementPlanPatch(Schema):
    version: int
    reason: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    goals: list["ImprovementGoalIn"] = Field([], description="Goals to add.")
    support: list["SupportIn"] = Field([], description="Support items to add.")
    course_ids: list[int] = Field([], description="Courses to give as training.")
    review_dates: list[dt.date] = Field([], description="Review dates to schedule.")


class ImprovementGoalIn(Schema):
    description: str
    measure: str = ""
    due_date: dt.date | None = None


class SupportIn(Schema):
    kind: str
    description: str
    provided_on: dt.date | None = None


ImprovementPlanPatch.model_rebuild()


class ImprovementPlanIn(Schema):
    employee_id: int
    cycle_id: int | None = Field(None, description="The cycle whose result the plan answers.")
    reason: str = Field(description="Why the plan is needed.")
    start_date: dt.date | None = Field(None, description="Today when left out.")
    end_date: dt.date | None = None


class ImprovementVersionIn(Schema):
    version: int | None = None


class ReviewLogIn(Schema):
    review_id: int
    held_on: dt.date
    progress: Literal["on_track", "some", "off_track"]
    notes: str
    version: int | None = None


class ImprovementCloseIn(Schema):
    outcome: Literal["completed", "extended", "not_met"]
    reason: str
    new_end_date: dt.date | None = None
    version: int | None = None


class CarryIn(Schema):
    cycle_id: int
    version: int | None = None


class ProposeOut(Schema):
    grades: list[str]
    created: int
    already_planned: int


def plan_out(plan: ImprovementPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "cycle_id": plan.cycle_id,
        "employee_id": plan.employee_id,
        "employee_name": plan.employee.name,
        "manager_id": plan.manager_id,
        "status": plan.status,
        "reason": plan.reason,
        "start_date": plan.start_date,
        "end_date": plan.end_date,
        "activated_at": plan.activated_at,
        "acknowledged_at": plan.acknowledged_at,
        "closed_at": plan.closed_at,
        "outcome_reason": plan.outcome_reason,
        "carried_into_id": plan.carried_into_id,
        "version": plan.version,
    }


def _detail(plan: ImprovementPlan) -> dict[str, Any]:
    evidence = services.plan_evidence(plan)
    return {
        **plan_out(plan),
        "goals": [
            {"id": g.pk, "description": g.description, "measure": g.measure, "due_date": g.due_date}
            for g in plan.goals.all()
        ],
        "training": [
            {
                "assignment_id": a.pk,
                "course_id": a.course_id,
                "course_title": a.course.title,
                "status": a.status,
                "completed_on": a.completed_on,
            }
            for a in evidence.training
        ],
        "support": [
            {"id": s.pk, "kind": s.kind, "description": s.description, "provided_on": s.provided_on}
            for s in evidence.support
        ],
        "reviews": [
            {
                "id": r.pk,
                "scheduled_for": r.scheduled_for,
                "held_on": r.held_on,
                "progress": r.progress,
                "notes": r.notes,
            }
            for r in evidence.reviews
        ],
    }


def _plan(request: HttpRequest, plan_id: int) -> ImprovementPlan:
    return get_visible_or_404(
        request.user,
        Action.PLAN_VIEW,
        ImprovementPlan.objects.select_related("employee"),
        pk=plan_id,
    )


@router.get(
    "/improvement-plans", response=list[ImprovementPlanOut], summary="Improvement plans I may see"
)
@paginate(Page)
def list_plans(request: HttpRequest, filters: Query[PlanFilters]) -> Any:
    qs = services.visible_plans(request.user).select_related("employee")
    if filters.cycle_id is not None:
        qs = qs.filter(cycle_id=filters.cycle_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return Rows(qs.order_by("-created_at", "pk"), lambda page: [plan_out(p) for p in page])


@router.post(
    "/improvement-plans",
    response={201: PlanDetailOut, **ERRORS},
    summary="Start a plan for someone in your reporting line (managers, HR); it is proposed",
)
def create_plan(request: HttpRequest, payload: ImprovementPlanIn) -> Any:
    employee = employee_ref(request, payload.employee_id, "employee_id")
    require(request, Action.PLAN_MANAGE, employee)
    cycle = cycle_ref(request, payload.cycle_id) if payload.cycle_id is not None else None
    with api_field_names():
        plan = services.plan_create(
            actor=request.user,
            employee=employee,
            cycle=cycle,
            reason=payload.reason,
            start_date=payload.start_date,
            end_date=payload.end_date,
        )
    return 201, _detail(plan)


@router.get(
    "/improvement-plans/{int:plan_id}",
    response={200: PlanDetailOut, **ERRORS},
    summary="One plan with its goals and the evidence: training, support, reviews",
)
def get_plan(request: HttpRequest, plan_id: int) -> Any:
    return _detail(_plan(request, plan_id))


@router.patch(
    "/improvement-plans/{int:plan_id}",
    response={200: PlanDetailOut, **ERRORS},
    summary="Edit the plan and add goals, support, training and review dates (open plans)",
)
def patch_plan(request: HttpRequest, plan_id: int, payload: ImprovementPlanPatch) -> Any:
    plan = _plan(request, plan_id)
    require(request, Action.PLAN_MANAGE, plan)
    changes = payload.dict(include={"reason", "start_date", "end_date"}, exclude_unset=True)
    services.plan_update(actor=request.user, plan=plan, expected_version=payload.version, **changes)
    for g in payload.goals:
        services.goal_add(actor=request.user, plan=plan, **g.dict())
    for s in payload.support:
        services.support_add(actor=request.user, plan=plan, **s.dict())
    for course_id in payload.course_ids:
        course = get_object_or_404(Course, pk=course_id)
        services.training_add(actor=request.user, plan=plan, course=course)
    for day in payload.review_dates:
        services.review_schedule(actor=request.user, plan=plan, scheduled_for=day)
    return _detail(plan)


class TriggerOut(Schema):
    cycle_id: int
    grades: list[str] = Field(description="Final grades that lead to a proposed plan.")
    scale: list[str] = Field(description="The cycle's grade scale, best first.")
    is_default: bool = Field(description="True while HR has not chosen: the lowest grade.")
    version: int | None


class TriggerIn(Schema):
    grades: list[str]
    version: int | None = None


def _trigger_out(cycle: Cycle) -> dict[str, Any]:
    saved = ImprovementSettings.objects.filter(cycle=cycle).first()
    return {
        "cycle_id": cycle.pk,
        "grades": services.trigger_grades(cycle),
        "scale": services.cycle_grade_codes(cycle),
        "is_default": saved is None,
        "version": saved.version if saved else None,
    }


@router.get(
    "/cycles/{int:cycle_id}/improvement-settings",
    response={200: TriggerOut, **ERRORS},
    summary="Which final grades lead to a proposed improvement plan (HR)",
)
def get_trigger(request: HttpRequest, cycle_id: int) -> Any:
    require(request, Action.PLAN_PROPOSE)
    return _trigger_out(get_object_or_404(Cycle, pk=cycle_id))


@router.put(
    "/cycles/{int:cycle_id}/improvement-settings",
    response={200: TriggerOut, **ERRORS},
    summary="Choose the grades that lead to a proposed improvement plan (HR)",
)
def put_trigger(request: HttpRequest, cycle_id: int, payload: TriggerIn) -> Any:
    require(request, Action.PLAN_PROPOSE)
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    services.settings_set(
        actor=request.user, cycle=cycle, grades=payload.grades, expected_version=payload.version
    )
    return _trigger_out(cycle)


@router.post(
    "/cycles/{int:cycle_id}/improvement-plans/propose",
    response={200: ProposeOut, **ERRORS},
    summary="Propose plans for the cycle's released results in the trigger grades (HR)",
)
def propose(request: HttpRequest, cycle_id: int) -> Any:
    require(request, Action.PLAN_PROPOSE)
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    report = services.plans_propose(actor=request.user, cycle=cycle)
    return {
        "grades": report.grades,
        "created": report.created,
        "already_planned": report.already_planned,
    }


@router.post(
    "/improvement-plans/{int:plan_id}/activate", response={200: ImprovementPlanOut, **ERRORS}
)
def activate(request: HttpRequest, plan_id: int, payload: ImprovementVersionIn) -> Any:
    plan = _plan(request, plan_id)
    require(request, Action.PLAN_MANAGE, plan)
    return plan_out(
        services.plan_activate(actor=request.user, plan=plan, expected_version=payload.version)
    )


@router.post(
    "/improvement-plans/{int:plan_id}/acknowledge", response={200: ImprovementPlanOut, **ERRORS}
)
def acknowledge(request: HttpRequest, plan_id: int) -> Any:
    plan = _plan(request, plan_id)
    require(request, Action.PLAN_ACKNOWLEDGE, plan)
    return plan_out(services.plan_acknowledge(actor=request.user, plan=plan))


@router.post("/improvement-plans/{int:plan_id}/reviews", response={200: ReviewOut, **ERRORS})
def log_review(request: HttpRequest, plan_id: int, payload: ReviewLogIn) -> Any:
    plan = _plan(request, plan_id)
    require(request, Action.PLAN_MANAGE, plan)
    review = get_object_or_404(PlanReview, plan=plan, pk=payload.review_id)
    review = services.review_log(
        actor=request.user,
        plan=plan,
        review=review,
        held_on=payload.held_on,
        notes=payload.notes,
        progress=payload.progress,
        expected_version=payload.version,
    )
    return {
        "id": review.pk,
        "scheduled_for": review.scheduled_for,
        "held_on": review.held_on,
        "progress": review.progress,
        "notes": review.notes,
    }


@router.post("/improvement-plans/{int:plan_id}/close", response={200: ImprovementPlanOut, **ERRORS})
def close(request: HttpRequest, plan_id: int, payload: ImprovementCloseIn) -> Any:
    plan = _plan(request, plan_id)
    require(request, Action.PLAN_MANAGE, plan)
    services.plan_close(
        actor=request.user,
        plan=plan,
        outcome=payload.outcome,
        reason=payload.reason,
        new_end_date=payload.new_end_date,
        expected_version=payload.version,
    )
    return plan_out(plan)


@router.post("/improvement-plans/{int:plan_id}/carry", response={200: ImprovementPlanOut, **ERRORS})
def carry(request: HttpRequest, plan_id: int, payload: CarryIn) -> Any:
    plan = _plan(request, plan_id)
    require(request, Action.PLAN_MANAGE, plan)
    cycle = get_object_or_404(Cycle, pk=payload.cycle_id)
    services.plan_carry_goals(
        actor=request.user, plan=plan, next_cycle=cycle, expected_version=payload.version
    )
    return plan_out(plan)

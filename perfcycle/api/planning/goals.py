"""Goals over the API: the cascade, bad input refused, what-if previews, comments, action
plans and key results. Scores come from ``planning.scoring.score``, the same code that
later computes the real score."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404, may
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page
from perfcycle.api.planning.common import (
    ScoreOut,
    ScoringIn,
    ScoringOut,
    WhatIfActualIn,
    api_field_names,
    blank_text,
    cycle_ref,
    department_ref,
    employee_ref,
    goal_ref,
    indicator_ref,
    invalid,
    score_out,
)
from perfcycle.core.errors import DomainError
from perfcycle.planning import selectors, services
from perfcycle.planning.models import (
    Goal,
    GoalComment,
    GoalKind,
    KeyResult,
    Milestone,
    OwnerType,
    SheetStatus,
)
from perfcycle.planning.scoring import Direction

router = Router(tags=["goals"])


class KeyResultOut(Schema):
    id: int
    title: str
    unit: str
    baseline: Decimal | None
    target: Decimal
    direction: Direction
    weight: Decimal
    current_value: Decimal | None
    confidence: int | None
    position: int


class KeyResultIn(Schema):
    title: str = Field(..., max_length=200)
    target: Decimal
    unit: str = Field("", max_length=32)
    baseline: Decimal | None = None
    direction: Direction = Direction.HIGHER
    weight: Decimal = Decimal(0)
    position: int = Field(0, ge=0)


class MilestoneOut(Schema):
    id: int
    goal_id: int
    title: str
    owner_id: int | None
    due_date: dt.date
    done_at: dt.datetime | None


class MilestoneIn(Schema):
    title: str = Field(..., max_length=200)
    due_date: dt.date
    owner_id: int | None = Field(None, description="Defaults to the goal's owner.")


class DoneIn(Schema):
    done: bool = True
    version: int | None = Field(None, description="The goal's version you read; 409 if stale.")


class GoalOut(ScoringOut):
    id: int
    cycle_id: int
    owner_type: OwnerType
    owner_label: str
    employee_id: int | None
    department_id: int | None
    sheet_id: int | None
    sheet_status: SheetStatus | None
    parent_id: int | None
    indicator_id: int | None
    ref: str
    title: str
    description: str
    kind: GoalKind
    weight: Decimal
    baseline: Decimal | None
    target: Decimal | None
    threshold: Decimal | None
    stretch: Decimal | None
    due_date: dt.date | None
    done_at: dt.datetime | None
    current_value: Decimal | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner_label(obj: Goal) -> str:
        return str(obj.owner_label)

    @staticmethod
    def resolve_sheet_status(obj: Goal) -> str | None:
        return obj.sheet.status if obj.sheet_id else None


class GoalDetailOut(GoalOut):
    progress: Decimal | None = Field(..., description="Progress so far, 0–100 %.")
    key_results: list[KeyResultOut]
    milestones: list[MilestoneOut]

    @staticmethod
    def resolve_progress(obj: Goal) -> Decimal | None:
        return selectors.goal_progress(obj)

    @staticmethod
    def resolve_key_results(obj: Goal) -> list[Any]:
        return list(obj.key_results.all())

    @staticmethod
    def resolve_milestones(obj: Goal) -> list[Any]:
        return list(obj.milestones.all())


class GoalValues(ScoringIn):
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    kind: GoalKind | None = None
    ref: str | None = Field(None, max_length=64, description="Optional key, unique in the cycle.")
    baseline: Decimal | None = None
    target: Decimal | None = None
    threshold: Decimal | None = Field(None, description="The minimum acceptable value.")
    stretch: Decimal | None = None
    due_date: dt.date | None = None
    parent_id: int | None = Field(None, description="The goal this one aligns to (same cycle).")
    indicator_id: int | None = None


class GoalIn(GoalValues):
    cycle_id: int
    owner_type: OwnerType
    employee_id: int | None = Field(None, description="For an employee's goal.")
    department_id: int | None = Field(None, description="For a department's goal.")
    weight: Decimal = Field(..., description="Share of the owner's score, in percent.")


class GoalPatch(GoalValues):
    version: int = Field(..., description="The version you read; a stale version answers 409.")
    weight: Decimal | None = None


class GoalFilters(Schema):
    cycle_id: int
    employee_id: int | None = None
    department_id: int | None = None
    owner_type: OwnerType | None = None
    parent_id: int | None = None
    indicator_id: int | None = None
    search: str = ""


class CommentOut(Schema):
    id: int
    author_id: int
    author_name: str
    body: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author_name(obj: GoalComment) -> str:
        return obj.author.display_name


class CommentIn(Schema):
    body: str = Field(..., max_length=5000)


def goal_details() -> Any:
    return selectors.with_plan_details(Goal.objects.select_related("cycle", "department__head"))


def visible_goal(request: HttpRequest, goal_id: int) -> Goal:
    return get_visible_or_404(request.user, Action.GOAL_VIEW, goal_details(), pk=goal_id)


def _goal_changes(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Body fields → service arguments: ids become objects, null text becomes empty."""
    if "parent_id" in data:
        data["parent"] = goal_ref(request, data.pop("parent_id"), "parent_id")
    if "indicator_id" in data:
        data["indicator"] = indicator_ref(data.pop("indicator_id"))
    return blank_text(data)


@router.get("/goals", response=list[GoalOut], summary="Goals of a cycle you may see")
@paginate(Page)
def list_goals(request: HttpRequest, filters: Query[GoalFilters]) -> Any:
    cycle = cycle_ref(request, filters.cycle_id)
    qs = selectors.visible_goals(request.user, cycle).select_related(
        "employee", "department", "sheet"
    )
    if filters.employee_id is not None:
        qs = qs.filter(employee_id=filters.employee_id)
    if filters.department_id is not None:
        qs = qs.filter(department_id=filters.department_id)
    if filters.owner_type:
        qs = qs.filter(owner_type=filters.owner_type)
    if filters.parent_id is not None:
        qs = qs.filter(parent_id=filters.parent_id)
    if filters.indicator_id is not None:
        qs = qs.filter(indicator_id=filters.indicator_id)
    if filters.search:
        qs = qs.filter(Q(title__icontains=filters.search) | Q(ref__icontains=filters.search))
    return qs.order_by("owner_type", "id")


@router.get(
    "/goals/{int:goal_id}",
    response={200: GoalDetailOut, **ERRORS},
    summary="One goal with key results, milestones and progress",
)
def get_goal(request: HttpRequest, goal_id: int) -> Any:
    return visible_goal(request, goal_id)


@router.post(
    "/goals",
    response={201: GoalDetailOut, **ERRORS},
    summary="Create a goal",
    description=(
        "Company goals: HR. Department goals: HR and the department head's managers and "
        "the head. Employee goals: the employee, their managers and HR, while the "
        "employee's goals are a draft."
    ),
)
def create_goal(request: HttpRequest, payload: GoalIn) -> Any:
    data = payload.dict(exclude_unset=True)
    cycle = cycle_ref(request, data.pop("cycle_id"))
    owner_type = data.pop("owner_type")
    employee = employee_ref(request, data.pop("employee_id", None), "employee_id")
    department = department_ref(data.pop("department_id", None), "department_id")
    if owner_type == OwnerType.EMPLOYEE and employee is None:
        raise invalid("employee_id", _("Choose whose goal this is."))
    if owner_type == OwnerType.DEPARTMENT and department is None:
        raise invalid("department_id", _("Choose the department."))
    probe = Goal(
        cycle=cycle,
        owner_type=owner_type,
        employee=employee if owner_type == OwnerType.EMPLOYEE else None,
        department=department if owner_type == OwnerType.DEPARTMENT else None,
    )
    require(request, Action.GOAL_CREATE, probe)
    values = _goal_changes(request, data)
    with api_field_names():
        goal = services.goal_create(
            actor=request.user,
            cycle=cycle,
            owner_type=owner_type,
            employee=employee,
            department=department,
            **values,
        )
    return 201, visible_goal(request, goal.pk)


@router.patch(
    "/goals/{int:goal_id}",
    response={200: GoalDetailOut, **ERRORS},
    summary="Change a goal",
    description=(
        "An employee changes their own goals only while they are a draft; a manager or HR "
        "may also change proposed or agreed goals, and a change to what the employee "
        "acknowledged (target, weight, rule, ...) asks for a new acknowledgement."
    ),
)
def update_goal(request: HttpRequest, goal_id: int, payload: GoalPatch) -> Any:
    goal = visible_goal(request, goal_id)
    require(request, Action.GOAL_CHANGE, goal)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    changes = _goal_changes(request, data)
    with api_field_names():
        services.goal_update(actor=request.user, goal=goal, expected_version=version, **changes)
    return visible_goal(request, goal_id)


@router.delete("/goals/{int:goal_id}", response={204: None, **ERRORS}, summary="Delete a goal")
def delete_goal(request: HttpRequest, goal_id: int) -> Any:
    goal = visible_goal(request, goal_id)
    require(request, Action.GOAL_CHANGE, goal)
    services.goal_delete(actor=request.user, goal=goal)
    return 204, None


@router.post(
    "/goals/{int:goal_id}/preview",
    response={200: ScoreOut, **ERRORS},
    summary="What-if: the score a hypothetical actual would earn under this goal's rule",
)
def preview_goal(request: HttpRequest, goal_id: int, payload: WhatIfActualIn) -> Any:
    goal = visible_goal(request, goal_id)
    standard = goal.standard()
    if standard is None:
        raise DomainError(
            _("This goal has no target, so an actual cannot be scored against it."),
            code="no_target",
        )
    return score_out(goal.rule(), standard, payload.actual)


@router.post("/goals/{int:goal_id}/done", response={200: GoalDetailOut, **ERRORS})
def mark_goal_done(request: HttpRequest, goal_id: int, payload: DoneIn) -> Any:
    goal = visible_goal(request, goal_id)
    require(request, Action.GOAL_CHANGE, goal)
    services.goal_set_done(
        actor=request.user, goal=goal, done=payload.done, expected_version=payload.version
    )
    return visible_goal(request, goal_id)


@router.get(
    "/goals/{int:goal_id}/comments",
    response={200: list[CommentOut], **ERRORS},
    summary="Comments on a goal",
)
@paginate(Page)
def list_comments(request: HttpRequest, goal_id: int) -> Any:
    goal = visible_goal(request, goal_id)
    return goal.comments.select_related("author__employee").order_by("created_at", "id")


@router.post("/goals/{int:goal_id}/comments", response={201: CommentOut, **ERRORS})
def add_comment(request: HttpRequest, goal_id: int, payload: CommentIn) -> Any:
    goal = visible_goal(request, goal_id)
    require(request, Action.GOAL_COMMENT, goal)
    return 201, services.goal_comment_add(actor=request.user, goal=goal, body=payload.body)


@router.post("/goals/{int:goal_id}/key-results", response={201: KeyResultOut, **ERRORS})
def add_key_result(request: HttpRequest, goal_id: int, payload: KeyResultIn) -> Any:
    goal = visible_goal(request, goal_id)
    require(request, Action.GOAL_CHANGE, goal)
    values = payload.dict()
    kr = services.key_result_create(
        actor=request.user,
        goal=goal,
        title=values.pop("title"),
        target=values.pop("target"),
        **values,
    )
    return 201, KeyResult.objects.get(pk=kr.pk)


@router.post("/goals/{int:goal_id}/milestones", response={201: MilestoneOut, **ERRORS})
def add_milestone(request: HttpRequest, goal_id: int, payload: MilestoneIn) -> Any:
    goal = visible_goal(request, goal_id)
    require(request, Action.GOAL_CHANGE, goal)
    with api_field_names():
        milestone = services.milestone_create(
            actor=request.user,
            goal=goal,
            title=payload.title,
            due_date=payload.due_date,
            owner=employee_ref(request, payload.owner_id, "owner_id"),
        )
    return 201, milestone


@router.post("/milestones/{int:milestone_id}/done", response={200: MilestoneOut, **ERRORS})
def mark_milestone_done(request: HttpRequest, milestone_id: int, payload: DoneIn) -> Any:
    milestone = (
        Milestone.objects.select_related("goal__employee", "goal__department__head")
        .filter(pk=milestone_id)
        .first()
    )
    if milestone is None or not may(request.user, Action.GOAL_VIEW, milestone.goal):
        raise Http404
    require(request, Action.GOAL_CHANGE, milestone.goal)
    return services.milestone_set_done(actor=request.user, milestone=milestone, done=payload.done)

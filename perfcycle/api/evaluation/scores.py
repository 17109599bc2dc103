"""Scores over the API: the cycle's scores (live), one person's full breakdown, storing
the cycle's results (HR), and goal-score overrides with their reasons. The numbers
come from ``evaluation.scores``, the same service the pages use."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404, require, scope
from perfcycle.api.common import ERRORS
from perfcycle.api.pagination import Page
from perfcycle.core.errors import DomainError
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.evaluation import results, score_runs, scores
from perfcycle.evaluation.models import ScoreResult
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal, OwnerType

router = Router(tags=["scores"])


class ScoreSummaryOut(Schema):
    employee_id: int
    employee_name: str
    employee_number: str
    department: str
    goals_score: Decimal | None
    competencies_score: Decimal | None
    overall_score: Decimal | None
    grade: str
    complete: bool
    missing: list[str]
    normalised: bool


class ScorePageOut(Schema):
    items: list[ScoreSummaryOut]
    count: int
    limit: int
    offset: int


class ScoreFilters(Schema):
    department_id: int | None = None
    limit: int = Field(
        settings.PERFCYCLE_API_PAGE_SIZE, ge=1, le=settings.PERFCYCLE_API_MAX_PAGE_SIZE
    )
    offset: int = Field(0, ge=0)


class ScoreRunOut(Schema):
    id: int
    status: str = Field(..., description="queued, running, done or failed")
    total: int = Field(..., description="People in the cycle")
    done: int = Field(..., description="People whose result was stored (when done)")
    report: dict[str, int] = Field(
        ..., description="When done: results created, updated and unchanged"
    )
    error: str
    created_at: Any
    started_at: Any = None
    finished_at: Any = None


class StoredResultOut(Schema):
    employee_id: int
    goals_score: Decimal | None
    competencies_score: Decimal | None
    overall_score: Decimal | None
    grade: str
    complete: bool
    normalised: bool
    computed_at: Any


class ScoreOverrideIn(Schema):
    points: Decimal
    reason: str = Field(
        ..., description="Why the rule's score is replaced (at least 10 characters)."
    )


class ClearOverrideIn(Schema):
    reason: str


class OverrideOut(Schema):
    goal_id: int
    points: Decimal
    reason: str


def _cycle(request: HttpRequest, cycle_id: int) -> Cycle:
    cycle = get_visible_or_404(
        request.user,
        Action.CYCLE_VIEW,
        Cycle.objects.select_related("template", "grade_scale"),
        pk=cycle_id,
    )
    if cycle.template is None:
        raise DomainError(_("This cycle has no review template."), code="no_template")
    return cycle


def _summary(s: scores.PersonScore) -> dict[str, Any]:
    return {
        "employee_id": s.employee_id,
        "employee_name": s.employee_name,
        "employee_number": s.employee_number,
        "department": s.department,
        "goals_score": s.goals_score,
        "competencies_score": s.competencies_score,
        "overall_score": s.overall_score,
        "grade": s.grade,
        "complete": s.complete,
        "missing": s.missing,
        "normalised": s.normalised,
    }


@router.get(
    "/cycles/{int:cycle_id}/scores",
    response={200: ScorePageOut, **ERRORS},
    summary="Live scores of the people you may see (HR: everyone; managers: their line)",
)
def list_scores(request: HttpRequest, cycle_id: int, filters: Query[ScoreFilters]) -> Any:
    cycle = get_visible_or_404(
        request.user,
        Action.CYCLE_VIEW,
        Cycle.objects.select_related("template", "grade_scale"),
        pk=cycle_id,
    )
    require(request, Action.SCORE_LIST)
    people = scope(
        request.user, Action.SCORE_VIEW, Employee.objects.filter(cycle_participations__cycle=cycle)
    )
    if filters.department_id is not None:
        people = people.filter(cycle_participations__department_id=filters.department_id)
    people = people.order_by("name", "pk").values_list("pk", flat=True)
    count = people.count()
    ids = list(people[filters.offset : filters.offset + filters.limit])
    if cycle.template is None:
        raise DomainError(_("This cycle has no review template."), code="no_template")
    found = scores.cycle_scores(cycle, employee_ids=ids) if ids else {}
    return {
        "items": [_summary(found[pk]) for pk in ids if pk in found],
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
    }


@router.get(
    "/cycles/{int:cycle_id}/people/{int:employee_id}/score",
    response={200: dict[str, Any], **ERRORS},
    summary="One person's score with every input, weight and rule (the breakdown)",
)
def get_breakdown(request: HttpRequest, cycle_id: int, employee_id: int) -> Any:
    cycle = _cycle(request, cycle_id)
    employee = get_visible_or_404(
        request.user, Action.SCORE_VIEW, Employee.objects.all(), pk=employee_id
    )
    if not CycleParticipant.objects.filter(cycle=cycle, employee=employee).exists():
        raise Http404
    score = scores.person_score(cycle, employee)
    data = score.as_dict()
    data["formulas"] = {
        "goals": score.goals_formula(),
        "sources": {s.source: score.source_formula(s.source) for s in score.sources},
        "competencies": score.competencies_formula(),
        "competencies_points": score.competencies_points_formula(),
        "overall": score.overall_formula(),
    }
    return data


@router.post(
    "/cycles/{int:cycle_id}/scores/store",
    response={202: ScoreRunOut, **ERRORS},
    summary="Compute the whole cycle and store each result with its breakdown (HR)",
    description=(
        "Starts a run in the background and answers with it: `done` with the report at once "
        "with the embedded task backend, else `queued` or `running` — follow it with "
        "`GET /cycles/{cycle_id}/score-runs/latest`. 409 while another run of the cycle "
        "waits or works."
    ),
)
def store_scores(request: HttpRequest, cycle_id: int) -> Any:
    cycle = _cycle(request, cycle_id)
    require(request, Action.SCORE_COMPUTE)
    return 202, score_runs.score_run_start(actor=request.user, cycle=cycle)


@router.get(
    "/cycles/{int:cycle_id}/score-runs/latest",
    response={200: ScoreRunOut, **ERRORS},
    summary="The latest run of “compute and store results” of the cycle (HR)",
)
def latest_score_run(request: HttpRequest, cycle_id: int) -> Any:
    cycle = _cycle(request, cycle_id)
    require(request, Action.SCORE_COMPUTE)
    run = score_runs.score_run_latest(cycle)
    if run is None:
        raise Http404
    return run


@router.get(
    "/cycles/{int:cycle_id}/score-results",
    response={200: list[StoredResultOut], **ERRORS},
    summary="Stored results of the people you may see",
)
@paginate(Page)
def stored_results(request: HttpRequest, cycle_id: int) -> Any:
    cycle = get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=cycle_id)
    require(request, Action.SCORE_LIST)
    return scope(
        request.user,
        Action.SCORE_VIEW,
        ScoreResult.objects.filter(cycle=cycle).order_by("employee_id"),
        subject="employee__",
    )


def _goal(request: HttpRequest, goal_id: int) -> Goal:
    goal = get_visible_or_404(
        request.user,
        Action.SCORE_VIEW,
        Goal.objects.select_related("cycle", "employee").filter(owner_type=OwnerType.EMPLOYEE),
        pk=goal_id,
    )
    require(request, Action.SCORE_OVERRIDE, goal)
    return goal


@router.put(
    "/goals/{int:goal_id}/score-override",
    response={200: OverrideOut, **ERRORS},
    summary="Replace a goal's rule score with the manager's, with a written reason",
)
def set_override(request: HttpRequest, goal_id: int, payload: ScoreOverrideIn) -> Any:
    goal = _goal(request, goal_id)
    override = results.goal_score_override_set(
        actor=request.user, goal=goal, points=payload.points, reason=payload.reason
    )
    return {"goal_id": goal.pk, "points": override.points, "reason": override.reason}


@router.post(
    "/goals/{int:goal_id}/score-override/clear",
    response={204: None, **ERRORS},
    summary="Go back to the rule's score (the reason is kept in the audit trail)",
)
def clear_override(request: HttpRequest, goal_id: int, payload: ClearOverrideIn) -> Any:
    goal = _goal(request, goal_id)
    results.goal_score_override_clear(actor=request.user, goal=goal, reason=payload.reason)
    return 204, None

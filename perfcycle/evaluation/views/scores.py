"""Score pages: the cycle's scores for HR and managers, and one person's breakdown —
every input, weight and rule behind their score — with goal-score overrides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perfcycle.access.policy import Action, get_visible_or_404, may, require, scope
from perfcycle.charts import svg
from perfcycle.core.errors import DomainError
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.evaluation import results, score_runs, scores
from perfcycle.evaluation.models import ScoreResult, ScoreRunStatus
from perfcycle.org.models import Department, Employee
from perfcycle.planning.models import Goal, OwnerType

PAGE_SIZE = 50


def _cycle(request: HttpRequest, pk: int) -> Cycle:
    return get_visible_or_404(
        request.user,
        Action.CYCLE_VIEW,
        Cycle.objects.select_related("template", "grade_scale"),
        pk=pk,
    )


def _distribution(cycle: Cycle) -> list[dict[str, Any]]:
    """Stored grades of the cycle: count and share per band, for a bar per grade."""
    counts = dict(
        ScoreResult.objects.filter(cycle=cycle)
        .values_list("grade")
        .annotate(n=Count("id"))
        .values_list("grade", "n")
    )
    total = sum(counts.values())
    rows = []
    bands = list(cycle.grade_scale.bands.all()) if cycle.grade_scale else []
    for band in bands:
        n = counts.get(band.code, 0)
        share = Decimal(n * 100) / total if total else Decimal(0)
        rows.append(
            {
                "band": band,
                "count": n,
                "share": share.quantize(Decimal("0.1")),
                "bar": svg.progress_bar(share, label=f"{band.code}: {n}", width=200, height=12),
            }
        )
    if counts.get(""):
        rows.append({"band": None, "count": counts[""], "share": None, "bar": ""})
    return rows


@login_required
def score_list(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    require(request, Action.SCORE_LIST)
    people = scope(
        request.user,
        Action.SCORE_VIEW,
        Employee.objects.filter(cycle_participations__cycle=cycle),
    )
    department = request.GET.get("department", "")
    if department.isdigit():
        people = people.filter(cycle_participations__department_id=int(department))
    search = request.GET.get("q", "").strip()
    if search:
        people = people.filter(name__icontains=search)
    page = Paginator(
        people.order_by("name", "pk").values_list("pk", flat=True), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    ids = list(page.object_list)
    computed_scores: list[scores.PersonScore] = []
    problem = ""
    if cycle.template is None:
        problem = _("This cycle has no review template, so nothing can be scored.")
    elif ids:
        computed = scores.cycle_scores(cycle, employee_ids=ids)
        computed_scores = sorted(computed.values(), key=lambda s: (s.employee_name, s.employee_id))
    stored = {
        r.employee_id: r
        for r in ScoreResult.objects.filter(cycle=cycle, employee_id__in=ids).only(
            "employee_id", "overall_score", "grade", "computed_at"
        )
    }
    departments = Department.objects.filter(
        pk__in=CycleParticipant.objects.filter(cycle=cycle).values("department_id")
    ).order_by("name")
    query = "&".join(f"{k}={v}" for k, v in (("department", department), ("q", search)) if v)
    may_compute = may(request.user, Action.SCORE_COMPUTE)
    run = score_runs.score_run_latest(cycle) if may_compute else None
    return render(
        request,
        "evaluation/scores.html",
        {
            "cycle": cycle,
            "rows": [(s, stored.get(s.employee_id)) for s in computed_scores],
            "page": page,
            "query": query,
            "departments": departments,
            "department": department,
            "search": search,
            "problem": problem,
            "distribution": _distribution(cycle) if may_compute else [],
            "may_compute": may_compute,
            "run": run,
            "run_waiting_long": run is not None
            and run.status == ScoreRunStatus.QUEUED
            and run.created_at < timezone.now() - dt.timedelta(minutes=2),
            "last_stored": ScoreResult.objects.filter(cycle=cycle)
            .order_by("-computed_at")
            .values_list("computed_at", flat=True)
            .first(),
        },
    )


@login_required
@require_POST
def score_store(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    require(request, Action.SCORE_COMPUTE)
    try:
        run = score_runs.score_run_start(actor=request.user, cycle=cycle)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if run.status == ScoreRunStatus.DONE:
            messages.success(
                request,
                _("Results stored: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.")
                % run.report,
            )
        elif run.status == ScoreRunStatus.FAILED:
            messages.error(request, run.error)
    return redirect("evaluation:scores", cycle_pk=cycle.pk)


def _breakdown_page(
    request: HttpRequest,
    cycle: Cycle,
    employee: Employee,
    *,
    override_error: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    score = scores.person_score(cycle, employee)
    stored = ScoreResult.objects.filter(cycle=cycle, employee=employee).first()
    may_override = (
        may(request.user, Action.SCORE_OVERRIDE, employee)
        and cycle.phase in results.OVERRIDE_PHASES
    )
    sources = [s for s in score.sources if s.effective_weight or s.submitted or s.withheld]
    return render(
        request,
        "evaluation/breakdown.html",
        {
            "cycle": cycle,
            "employee": employee,
            "score": score,
            "sources": sources,
            "source_columns": [s for s in score.sources if s.effective_weight],
            "source_formulas": {s.source: score.source_formula(s.source) for s in sources},
            "bands": list(cycle.grade_scale.bands.all()) if cycle.grade_scale else [],
            "stored": stored,
            "stored_differs": stored is not None
            and (stored.overall_score, stored.grade) != (score.overall_score, score.grade),
            "may_override": may_override,
            "override_error": override_error,
        },
        status=status,
    )


@login_required
def breakdown(request: HttpRequest, cycle_pk: int, employee_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    employee = get_visible_or_404(
        request.user, Action.SCORE_VIEW, Employee.objects.all(), pk=employee_pk
    )
    if not CycleParticipant.objects.filter(cycle=cycle, employee=employee).exists():
        raise Http404
    if cycle.template is None:
        messages.error(request, _("This cycle has no review template, so nothing can be scored."))
        return redirect("evaluation:scores", cycle_pk=cycle.pk)
    return _breakdown_page(request, cycle, employee)


@login_required
@require_POST
def score_override(request: HttpRequest, goal_pk: int) -> HttpResponse:
    goal = get_visible_or_404(
        request.user,
        Action.SCORE_VIEW,
        Goal.objects.select_related("cycle__template", "cycle__grade_scale", "employee").filter(
            owner_type=OwnerType.EMPLOYEE
        ),
        pk=goal_pk,
    )
    require(request, Action.SCORE_OVERRIDE, goal)
    reason = request.POST.get("reason", "")
    points = request.POST.get("points", "")
    try:
        if "clear" in request.POST:
            results.goal_score_override_clear(actor=request.user, goal=goal, reason=reason)
            messages.success(request, _("The goal is scored by its rule again."))
        else:
            results.goal_score_override_set(
                actor=request.user, goal=goal, points=points, reason=reason
            )
            messages.success(request, _("The goal's score was overridden; the reason is recorded."))
    except DomainError as exc:
        fields = exc.details.get("fields", {}) if isinstance(exc.details, dict) else {}
        text = " ".join(str(m) for msgs in fields.values() for m in msgs) or exc.message
        error = {"goal": goal.pk, "message": text, "points": points, "reason": reason}
        return _breakdown_page(request, goal.cycle, goal.employee, override_error=error, status=422)
    url = reverse("evaluation:breakdown", args=[goal.cycle_id, goal.employee_id])
    return redirect(f"{url}#goal-{goal.pk}")


urlpatterns: list[URLPattern] = [
    path("cycles/<int:cycle_pk>/scores/", score_list, name="scores"),
    path("cycles/<int:cycle_pk>/scores/store/", score_store, name="scores_store"),
    path(
        "cycles/<int:cycle_pk>/people/<int:employee_pk>/score/",
        breakdown,
        name="breakdown",
    ),
    path("goals/<int:goal_pk>/score-override/", score_override, name="score_override"),
]

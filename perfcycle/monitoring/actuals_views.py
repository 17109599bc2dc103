"""Monitor pages for actuals: my progress (enter values, history, charts), a person's
progress for their managers, the team's pace, and the actuals import (HR)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.access.policy import (
    Action,
    Relation,
    acting_employee,
    get_visible_or_404,
    may,
    relation,
    require,
    scope,
)
from perfcycle.charts import svg
from perfcycle.core.errors import DomainError
from perfcycle.core.numbers import plain
from perfcycle.cycles.models import Cycle
from perfcycle.imports.models import ImportFile, ImportKind, ImportStatus
from perfcycle.imports.services import Runner, import_file_apply, import_file_check
from perfcycle.imports.tables import check_size
from perfcycle.monitoring import actuals, imports, pace
from perfcycle.monitoring.models import Actual
from perfcycle.monitoring.periods import cycle_periods
from perfcycle.monitoring.views import team_rows
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal, GoalKind
from perfcycle.planning.scoring import combine
from perfcycle.planning.views.common import cycle_context
from perfcycle.planning.views.sheets import TEAM_PAGE_SIZE

IMPORT_KIND = ImportKind.ACTUALS


class ActualForm(forms.Form):
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=16,
        help_text=gettext_lazy("2026-10, 2026-W43, 2026-Q4, cycle, or a date."),
    )
    value = forms.CharField(label=gettext_lazy("Value"), max_length=40)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)


class ActualsImportForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=gettext_lazy("Cycle"), queryset=Cycle.objects.order_by("-start_date")
    )
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)  # before the file is read into memory
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload


TABS = (
    ("mine", gettext_lazy("My progress"), "monitoring:home", None),
    ("team", gettext_lazy("Team pace"), "monitoring:team", Action.TEAM_MONITOR),
    ("import", gettext_lazy("Import actuals"), "monitoring:import", Action.ACTUAL_IMPORT),
    # The coaching pages (check-ins, observations, feedback, training) live beside these.
    ("checkins", gettext_lazy("Check-ins"), "monitoring:checkins", None),
    ("observations", gettext_lazy("Observations"), "monitoring:observations", None),
    ("feedback", gettext_lazy("Feedback and praise"), "monitoring:feedback", None),
    ("training", gettext_lazy("Training"), "monitoring:training", None),
)


def _tabs(request: HttpRequest, active: str) -> list[dict[str, Any]]:
    tabs = []
    for key, label, name, action in TABS:
        if action is not None and not may(request.user, action):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        tabs.append({"label": label, "url": url, "active": key == active})
    return tabs


def _legend() -> dict[str, str]:
    return {str(value): str(label) for value, label in pace.PaceStatus.choices}


def _goal_card(goal_pace: pace.GoalPace, history: list[Actual]) -> dict[str, Any]:
    """What the page shows of one goal: bar, chart, history."""
    goal = goal_pace.goal
    card: dict[str, Any] = {"pace": goal_pace, "goal": goal, "history": history}
    card["bar"] = svg.progress_bar(
        goal_pace.actual,
        label=_("%(goal)s: progress %(actual)s%%, expected %(expected)s%%")
        % {
            "goal": goal.title,
            "actual": goal_pace.actual if goal_pace.actual is not None else "—",
            "expected": goal_pace.expected,
        },
        status=goal_pace.status,
        marker=goal_pace.expected,
    )
    if goal.kind != GoalKind.KPI:
        return card
    cycle = goal.cycle
    periods = cycle_periods(
        goal.measurement_period, cycle_start=cycle.start_date, cycle_end=cycle.end_date
    )
    current = {a.period: a.value for a in history if a.is_current}
    values = [current.get(p.key) for p in periods]
    running: list[Any] = []
    so_far: list[Any] = []
    for value in values:
        if value is not None:
            so_far.append(value)
        running.append(combine(so_far, goal.aggregation) if value is not None else None)
    card["chart"] = svg.actuals_chart(
        [p.key for p in periods],
        values,
        label=_("Actuals of %(goal)s per period against the target %(target)s")
        % {"goal": goal.title, "target": goal.target if goal.target is not None else "—"},
        target=goal.target,
        running=running if len(periods) > 1 else None,
        labels={"target": _("target")},
    )
    return card


def _progress_page(request: HttpRequest, employee: Employee | None) -> HttpResponse:
    context = cycle_context(request)
    cycle: Cycle | None = context["cycle"]
    context.update(employee=employee, cards=[], person=None, tabs=_tabs(request, "mine"))
    if employee is None or cycle is None:
        return render(request, "monitoring/progress.html", context)
    person = pace.my_pace(cycle, employee)
    history: dict[int, list[Actual]] = {}
    for actual in (
        Actual.objects.filter(goal__in=[g.goal for g in person.goals])
        .select_related("entered_by")
        .order_by("-period_start", "period", "-revision")
    ):
        history.setdefault(actual.goal_id, []).append(actual)
    for goal_pace in person.goals:
        goal_pace.goal.cycle = cycle
    context.update(
        person=person,
        is_self=relation(request.user, employee) is Relation.SELF,
        cards=[_goal_card(g, history.get(g.goal.pk, [])) for g in person.goals],
        can_enter=may(request.user, Action.ACTUAL_ENTER, employee),
        form=ActualForm(),
    )
    return render(request, "monitoring/progress.html", context)


@login_required
def my_progress(request: HttpRequest) -> HttpResponse:
    return _progress_page(request, acting_employee(request.user))


@login_required
def person_progress(request: HttpRequest, pk: int) -> HttpResponse:
    employee = get_visible_or_404(
        request.user, Action.ACTUAL_VIEW, Employee.objects.select_related("department"), pk=pk
    )
    return _progress_page(request, employee)


@login_required
def goal_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """One goal's progress, chart and history, with the entry form: the page for company
    and department goals, which belong to no person's progress page."""
    goal = get_visible_or_404(
        request.user,
        Action.ACTUAL_VIEW,
        Goal.objects.select_related("cycle", "employee", "department__head").prefetch_related(
            "key_results", "milestones"
        ),
        pk=pk,
    )
    history = list(
        Actual.objects.filter(goal=goal)
        .select_related("entered_by")
        .order_by("-period_start", "period", "-revision")
    )
    context = {
        "goal": goal,
        "card": _goal_card(pace.goal_pace(goal), history),
        "can_enter": may(request.user, Action.ACTUAL_ENTER, goal),
        "tabs": _tabs(request, ""),
    }
    return render(request, "monitoring/goal.html", context)


@login_required
@require_POST
def actual_enter(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_visible_or_404(
        request.user,
        Action.ACTUAL_VIEW,
        Goal.objects.select_related("cycle", "employee", "department__head"),
        pk=pk,
    )
    require(request, Action.ACTUAL_ENTER, goal)
    form = ActualForm(request.POST)
    if form.is_valid():
        try:
            written = actuals.actual_record(
                actor=request.user,
                goal=goal,
                period=form.cleaned_data["period"],
                value=form.cleaned_data["value"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if written.outcome == actuals.Outcome.UNCHANGED:
                messages.info(request, _("That value was already recorded; nothing changed."))
            else:
                messages.success(
                    request,
                    _("Recorded %(value)s for %(period)s (revision %(revision)d).")
                    % {
                        "value": plain(written.actual.value),
                        "period": written.actual.period,
                        "revision": written.actual.revision,
                    },
                )
    else:
        messages.error(request, _("Give a period and a value."))
    if goal.employee_id is None:
        return redirect("monitoring:goal", pk=goal.pk)
    if relation(request.user, goal.employee) is not Relation.SELF:
        url = reverse("monitoring:person", args=[goal.employee_id])
    else:
        url = reverse("monitoring:home")
    return redirect(f"{url}?cycle={goal.cycle_id}#goal-{goal.pk}")


@login_required
def team(request: HttpRequest) -> HttpResponse:
    require(request, Action.TEAM_MONITOR)
    context = cycle_context(request)
    cycle: Cycle | None = context["cycle"]
    # "Line of": one manager's subtree, by employee number (HR sees the whole company
    # otherwise, and ranking everyone takes seconds at 100,000 people).
    line_of = request.GET.get("manager", "").strip()
    manager = None
    if line_of:
        manager = scope(
            request.user, Action.EMPLOYEE_VIEW, Employee.objects.filter(employee_number=line_of)
        ).first()
        if manager is None:
            messages.error(request, _("Unknown employee %(number)s.") % {"number": line_of})
    rows = pace.team_pace(request.user, cycle, manager=manager) if cycle is not None else []
    counts = pace.status_counts(rows)
    status = request.GET.get("status", "")
    if status not in pace.PaceStatus.values:
        status = ""
    # A page of people at a time, most behind first: the chart and the table show the
    # page (HR sees the whole company), the counts everyone.
    shown = [row for row in rows if row.status == status] if status else rows
    page = Paginator(shown, TEAM_PAGE_SIZE).get_page(request.GET.get("page"))
    page_rows = list(page.object_list)
    columns = pace.team_goal_columns(page_rows)
    cells = []
    for row in page_rows:
        by_column = {pace.goal_column(g.goal): g.status for g in row.goals}
        cells.append([by_column.get(c) for c in columns])
    heat = (
        svg.heatmap(
            [row.employee.name for row in page_rows],
            columns,
            cells,
            label=_("Goal status per person"),
            legend=_legend(),
        )
        if page_rows and columns
        else None
    )
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        tabs=_tabs(request, "team"),
        page=page,
        total=len(rows),
        status=status,
        query=query.urlencode(),
        line_of=line_of,
        manager=manager,
        pace_rows=team_rows.pace_rows(page_rows, cycle) if cycle is not None else "",
        heatmap=heat,
        counts=counts,
        statuses=pace.PaceStatus.choices,
    )
    return render(request, "monitoring/team.html", context)


# Import (HR) -----------------------------------------------------------------------------


def _runner(request: HttpRequest, cycle: Cycle) -> Runner:
    def run(data: bytes, filename: str, dry_run: bool) -> Any:
        return imports.actuals_import(
            actor=request.user, cycle=cycle, data=data, filename=filename, dry_run=dry_run
        )

    return run


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file for a cycle; it is checked in a dry run and kept."""
    require(request, Action.ACTUAL_IMPORT)
    form = ActualsImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES or None,
        initial={"cycle": Cycle.objects.current()},
    )
    if request.method == "POST" and form.is_valid():
        cycle = form.cleaned_data["cycle"]
        upload = form.cleaned_data["file"]
        stored = import_file_check(
            actor=request.user,
            kind=IMPORT_KIND,
            filename=upload.name,
            data=upload.read(),
            run=_runner(request, cycle),
            context={"cycle_id": cycle.pk},
        )
        return redirect("monitoring:import_preview", pk=stored.pk)
    recent = ImportFile.objects.filter(uploaded_by=request.user, kind=IMPORT_KIND).defer("content")[
        :10
    ]
    return render(
        request,
        "monitoring/import_upload.html",
        {
            "form": form,
            "recent": recent,
            "columns": imports.ACTUAL_COLUMNS,
            "tabs": _tabs(request, "import"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: see what the import would do, or every bad row; then confirm."""
    require(request, Action.ACTUAL_IMPORT)
    stored = get_object_or_404(ImportFile, pk=pk, uploaded_by=request.user, kind=IMPORT_KIND)
    cycle = Cycle.objects.filter(pk=(stored.report or {}).get("cycle_id")).first()
    if cycle is None:
        raise Http404
    if request.method == "POST" and stored.status == ImportStatus.PREVIEWED:
        try:
            report = import_file_apply(
                stored=stored, run=_runner(request, cycle), context_keys=("cycle_id",)
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Imported: %(created)d new, %(updated)d corrected, %(unchanged)d unchanged.")
                % {
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                },
            )
        return redirect("monitoring:import_preview", pk=stored.pk)
    return render(
        request,
        "monitoring/import_preview.html",
        {
            "stored": stored,
            "report": stored.report,
            "import_cycle": cycle,
            "tabs": _tabs(request, "import"),
        },
    )

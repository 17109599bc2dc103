"""Trend and process-health pages: the start page (departments for HR, one's line for a
manager, "My trend" for everyone), a person's trend, a department's trend with the
effect table, and the process-health table per cycle.

Thin: the policy and ``insights.reach`` say who sees what (what one may not see is 404),
``insights.trends`` and ``insights.health`` compute, the templates show."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from perfcycle.access.policy import (
    Action,
    acting_employee,
    get_visible_or_404,
    is_hr,
    scope,
)
from perfcycle.charts import svg
from perfcycle.core.dbrouter import reading_from_replica
from perfcycle.core.pages import page_of
from perfcycle.insights import health as health_mod
from perfcycle.insights import trends
from perfcycle.insights.reach import Reach, line_department_paths, reach_for
from perfcycle.org.models import Department, Employee

OVER_TIME = 6  # cycles in the company chart on the health page


DEPARTMENTS_PAGE_SIZE = 300


@login_required
def home(request: HttpRequest) -> HttpResponse:
    me = acting_employee(request.user)
    trend_reach = reach_for(request.user, Action.TREND_DEPARTMENT_VIEW)
    departments: list[Department] = []
    line: list[Employee] = []
    page = None
    if trend_reach is not None:
        paths = line_department_paths(trend_reach)
        # In tree order, DEPARTMENTS_PAGE_SIZE at a time (HR's list is every department).
        page = Paginator(trends.visible_departments(trend_reach, paths), DEPARTMENTS_PAGE_SIZE)
        page = page.get_page(request.GET.get("page"))
        departments = list(page.object_list)
    if me is not None and not is_hr(request.user):
        line = list(
            scope(request.user, Action.TREND_PERSON_VIEW, Employee.objects.active())
            .exclude(pk=me.pk)
            .select_related("department")
            .order_by("path", "name")
        )
    return render(
        request,
        "insights/home.html",
        {
            "me": me,
            "departments": departments,
            "page": page,
            "line": line,
            "hr": is_hr(request.user),
            "health": reach_for(request.user, Action.PROCESS_HEALTH_VIEW) is not None,
        },
    )


def _person_chart(trend: trends.PersonTrend) -> Any:
    names = [p.cycle_name for p in trend.points]
    return svg.trend_chart(
        names,
        [
            (_("Overall score"), [p.score for p in trend.points]),
            (_("Goals score"), [p.goals_score for p in trend.points]),
        ],
        label=_("Scores of %(name)s per cycle") % {"name": trend.employee_name},
    )


@login_required
@reading_from_replica()
def person(request: HttpRequest, employee_id: int) -> HttpResponse:
    employee = get_visible_or_404(
        request.user, Action.TREND_PERSON_VIEW, Employee.objects.all(), pk=employee_id
    )
    trend = trends.person_trend(viewer=request.user, employee=employee)
    return render(
        request,
        "insights/person.html",
        {
            "employee": employee,
            "trend": trend,
            "chart": _person_chart(trend) if trend.points else None,
        },
    )


def _department_or_404(request: HttpRequest, department_id: int) -> tuple[Department, Reach]:
    reach = reach_for(request.user, Action.TREND_DEPARTMENT_VIEW)
    if reach is None:
        raise Http404
    department = Department.objects.filter(pk=department_id).first()
    if department is None or not reach.covers_department(department, line_department_paths(reach)):
        raise Http404
    return department, reach


@login_required
@reading_from_replica()
def department(request: HttpRequest, department_id: int) -> HttpResponse:
    dept, reach = _department_or_404(request, department_id)
    trend = trends.department_trend(reach=reach, department=dept)
    chart = None
    if trend.points:
        chart = svg.trend_chart(
            [p.cycle_name for p in trend.points],
            [
                (_("Mean score"), [p.mean_score for p in trend.points]),
                (_("Median score"), [p.median_score for p in trend.points]),
                (_("Mean goal attainment %"), [p.attainment for p in trend.points]),
            ],
            label=_("Scores in %(name)s per cycle") % {"name": dept.name},
        )
    grades: list[str] = []
    for p in trend.points:
        grades += [g.grade for g in p.grades if g.grade not in grades]
    table = [
        (p, [next((g for g in p.grades if g.grade == c), None) for c in grades])
        for p in trend.points
    ]
    return render(
        request,
        "insights/department.html",
        {
            "department": dept,
            "trend": trend,
            "chart": chart,
            "grades": grades,
            "table": table,
            "min_group": trends.MIN_GROUP,
        },
    )


HEALTH_PAGE_SIZE = 100
FLAGS_SHOWN = 100


@login_required
@reading_from_replica()
def health(request: HttpRequest) -> HttpResponse:
    reach = reach_for(request.user, Action.PROCESS_HEALTH_VIEW)
    if reach is None:
        raise Http404
    cycles = health_mod.visible_cycles()
    chosen = None
    wanted = request.GET.get("cycle", "")
    if wanted.isdigit():
        chosen = next((c for c in cycles if c.pk == int(wanted)), None)
        if chosen is None:
            raise Http404
    elif cycles:
        chosen = cycles[-1]
    recent = cycles[-OVER_TIME:]
    wanted_cycles = recent + ([chosen] if chosen and chosen not in recent else [])
    tables = {t.cycle_id: t for t in health_mod.health(reach=reach, cycles=wanted_cycles)}
    table = tables.get(chosen.pk) if chosen else None
    # The departments a page at a time (a large company has thousands), the flags the
    # worst first and no more than FLAGS_SHOWN of them; the counts cover them all.
    page, query = page_of(request, table.rows if table else [], HEALTH_PAGE_SIZE)
    over_time = [tables[c.pk] for c in recent]
    chart = None
    if over_time:
        chart = svg.trend_chart(
            [t.cycle_name for t in over_time],
            [
                (str(m.label), [t.company.values[m.key].value for t in over_time])
                for m in health_mod.METRICS
                if m.unit == "%"
            ],
            label=_("Process health of the company per cycle (%)"),
        )
    return render(
        request,
        "insights/health.html",
        {
            "cycles": list(reversed(cycles)),
            "cycle": chosen,
            "table": table,
            "page": page,
            "query": query,
            "flags": table.weak[:FLAGS_SHOWN] if table else [],
            "metrics": health_mod.METRICS,
            "over_time": over_time,
            "chart": chart,
        },
    )


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("people/<int:employee_id>/", person, name="person"),
    path("departments/<int:department_id>/", department, name="department"),
    path("health/", health, name="health"),
]

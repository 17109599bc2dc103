"""The home page: each role's to-dos in the current phase and how the cycle is going.

A person with several roles (an HR admin who manages a team and takes part in cycles)
sees one section per role. The view only picks the sections and draws the charts; the
counting is in ``selectors``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.access.policy import Role, acting_employee, roles
from perfcycle.audit.models import AuditEvent
from perfcycle.calibration.views.distribution import chart
from perfcycle.charts import svg
from perfcycle.dashboards import hr, selectors
from perfcycle.monitoring import pace
from perfcycle.org.models import Employee
from perfcycle.org.selectors import company_summary


def _legend() -> dict[str, str]:
    return {str(value): str(label) for value, label in pace.PaceStatus.choices}


def _my_charts(board: selectors.EmployeeDashboard) -> list[dict[str, Any]]:
    """One bar per goal, filled to its progress, with a tick at the progress expected."""
    if board.pace is None:
        return []
    bars = []
    for goal in board.pace.goals:
        actual = "—" if goal.actual is None else f"{goal.actual}"
        bars.append(
            {
                "goal": goal.goal,
                "pace": goal,
                "bar": svg.progress_bar(
                    goal.actual,
                    label=_("%(goal)s: progress %(actual)s%%, expected by now %(expected)s%%")
                    % {"goal": goal.goal.title, "actual": actual, "expected": goal.expected},
                    status=goal.status,
                    marker=goal.expected,
                ),
            }
        )
    return bars


# The home page's heatmap shows the people most behind; the team page shows everyone.
HOME_HEATMAP_ROWS = 30


def _team_heatmap(rows: list[pace.PersonPace]) -> Any:
    rows = rows[:HOME_HEATMAP_ROWS]  # most behind first
    columns = pace.team_goal_columns(rows)
    if not rows or not columns:
        return None
    cells = []
    for row in rows:
        by_column = {pace.goal_column(g.goal): g.status for g in row.goals}
        cells.append([by_column.get(c) for c in columns])
    return svg.heatmap(
        [row.employee.name for row in rows],
        columns,
        cells,
        label=_("Your team: goal status per person"),
        legend=_legend(),
    )


def _completion_bar(tally: Any, label: str) -> Any:
    return svg.progress_bar(
        selectors.percent(tally),
        label=_("%(group)s: %(done)s of %(total)s reviews submitted")
        % {"group": label, "done": tally.submitted, "total": tally.total},
        width=200,
        height=12,
    )


def _distribution_chart(cycle: Any) -> Any:
    found = hr.distribution_check(cycle)
    return chart(found) if found.total else None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    user_roles = roles(user)
    me = acting_employee(user)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "me": me,
        "is_hr": Role.HR_ADMIN in user_roles,
        "is_manager": Role.MANAGER in user_roles,
    }
    manager_forms: list[selectors.Todo] = []
    if me is not None:
        me = Employee.objects.select_related("department", "manager").get(pk=me.pk)
        context["me"] = me
        board, forms = selectors.employee_dashboard(user, me, today=today)
        manager_forms = forms[True]
        context["mine"] = board
        context["my_bars"] = _my_charts(board)
        if board.pace is not None and board.pace.goals:
            context["my_overall"] = svg.progress_bar(
                board.pace.actual,
                label=_("All your goals: progress %(actual)s%%, expected by now %(expected)s%%")
                % {
                    "actual": "—" if board.pace.actual is None else board.pace.actual,
                    "expected": board.pace.expected,
                },
                status=board.pace.status,
                marker=board.pace.expected,
            )
    if context["is_manager"] and me is not None:
        team = selectors.manager_dashboard(user, me, manager_forms, today=today)
        context["team"] = team
        context["reports"] = list(selectors.team_queryset(me).order_by("name"))
        context["team_size"] = team.line_size
        context["team_heatmap"] = _team_heatmap(team.pace_rows)
        context["team_heatmap_shown"] = HOME_HEATMAP_ROWS
        context["team_heatmap_more"] = max(len(team.pace_rows) - HOME_HEATMAP_ROWS, 0)
        context["team_counts"] = [
            (label, pace.status_counts(team.pace_rows)[value])
            for value, label in pace.PaceStatus.choices
        ]
        if team.review is not None:
            context["team_review_bar"] = _completion_bar(team.review, _("Your team"))
    elif manager_forms:
        # A skip-level or manager form without reports of one's own still needs writing.
        context["mine"].todos.extend(manager_forms)
    if context["is_hr"]:
        cards = hr.hr_cards(today=today)
        weakest = hr.weakest_joints([c.cycle for c in cards])
        for card in cards:
            card.weakest = weakest.get(card.cycle.pk, "")
            card.review_bar = (
                _completion_bar(card.review, card.cycle.name) if card.review is not None else None
            )
            card.department_bars = [
                (name, tally, _completion_bar(tally, name)) for name, tally in card.departments
            ]
            card.distribution = (
                _distribution_chart(card.cycle)
                if card.cycle.phase in ("calibration", "results")
                else None
            )
        context["cards"] = cards
        context["summary"] = company_summary()
        context["recent_events"] = AuditEvent.objects.all()[:8]
    return render(request, "dashboards/home.html", context)

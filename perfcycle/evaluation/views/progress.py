"""The review progress dashboard: completion per phase, source and department, and the
late reviewers with one-click reminders (HR sees the whole cycle, a manager their line).

The reminder buttons post to ``notifications:remind_reviewers``: sending is the
notifications stage's business, and this stage comes before it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from perfcycle.access.policy import Action, get_visible_or_404, may, require
from perfcycle.charts import svg
from perfcycle.cycles.models import Cycle
from perfcycle.evaluation import progress


def _bar(tally: progress.Tally, name: str) -> str:
    return svg.progress_bar(
        tally.percent_done,
        label=_("%(name)s: %(done)s of %(total)s reviews submitted")
        % {"name": name, "done": tally.submitted, "total": tally.total},
        width=120,
        height=12,
    )


@login_required
@require_GET
def progress_page(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    require(request, Action.REVIEW_PROGRESS)
    cycle = get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=cycle_pk)
    data = progress.progress_for(request.user, cycle)
    departments = [
        {"row": d, "bar": _bar(d.tally, d.name or _("No department"))} for d in data.departments
    ]
    return render(
        request,
        "evaluation/progress.html",
        {
            "cycle": cycle,
            "progress": data,
            "departments": departments,
            "total_bar": _bar(data.total, cycle.name),
            "can_remind": may(request.user, Action.REVIEW_REMIND),
            "due_soon_days": progress.DUE_SOON_DAYS,
        },
    )


urlpatterns: list[URLPattern] = [
    path("cycles/<int:cycle_pk>/progress/", progress_page, name="progress"),
]

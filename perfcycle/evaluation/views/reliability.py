"""Rater reliability and bias (HR): the six ICC forms per competency and per template,
the rater table with flags; and the per-cycle normalisation switch with scores before
and after. Both pages are HR's alone: anyone else is told the page does not exist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from perfcycle.access.policy import Action, get_visible_or_404, may
from perfcycle.core.errors import DomainError
from perfcycle.cycles.models import Cycle
from perfcycle.evaluation import analysis, reliability

# One line per form, shown beside the values (the long explanation is further down).
FORM_MEANINGS: dict[str, Any] = {
    "ICC(1,1)": gettext_lazy("one rater, each person rated by different raters"),
    "ICC(2,1)": gettext_lazy("one rater, absolute agreement among interchangeable raters"),
    "ICC(3,1)": gettext_lazy("one rater, consistency of these fixed raters"),
    "ICC(1,k)": gettext_lazy("mean of k raters, each person rated by different raters"),
    "ICC(2,k)": gettext_lazy("mean of k raters, absolute agreement"),
    "ICC(3,k)": gettext_lazy("mean of k raters, consistency"),
}


def _hr_cycle(request: HttpRequest, cycle_pk: int, action: Action) -> Cycle:
    if not may(request.user, action):
        raise Http404
    return get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=cycle_pk)


@login_required
@require_GET
def reliability_page(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _hr_cycle(request, cycle_pk, Action.RELIABILITY_VIEW)
    data = analysis.cycle_reliability(cycle)
    return render(
        request,
        "evaluation/reliability.html",
        {
            "cycle": cycle,
            "data": data,
            "forms": [(form, FORM_MEANINGS[form]) for form in reliability.FORMS],
            "thresholds": reliability.FlagThresholds(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def normalisation_page(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _hr_cycle(request, cycle_pk, Action.SCORE_COMPUTE)
    if request.method == "POST":
        on = request.POST.get("on") == "1"
        try:
            analysis.normalisation_set(actor=request.user, cycle=cycle, on=on)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Ratings of this cycle are now normalised per rater.")
                if on
                else _("Ratings of this cycle are now used as given."),
            )
        return redirect("evaluation:normalisation", cycle_pk=cycle.pk)
    rows = analysis.scores_before_after(cycle)
    return render(
        request,
        "evaluation/normalisation.html",
        {
            "cycle": cycle,
            "rows": rows,
            "changed": sum(1 for r in rows or [] if r.grade_changed),
            "min_ratees": analysis.normalise_min_ratees(),
        },
    )


urlpatterns: list[URLPattern] = [
    path("cycles/<int:cycle_pk>/reliability/", reliability_page, name="reliability"),
    path("cycles/<int:cycle_pk>/normalisation/", normalisation_page, name="normalisation"),
]

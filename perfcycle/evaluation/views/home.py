"""The evaluate stage's front page: what I have to review, and per open cycle the
evaluation pages I may use."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from perfcycle.access.policy import Action, acting_employee, may
from perfcycle.cycles.models import Cycle, Phase

# (url name taking the cycle, label, the action that shows it)
CYCLE_PAGES: tuple[tuple[str, Any, Action | None], ...] = (
    ("evaluation:scores", _("Scores and breakdowns"), Action.SCORE_LIST),
)
EVALUATION_PHASES = (
    Phase.IN_PROGRESS,
    Phase.SELF_REVIEW,
    Phase.REVIEW_360,
    Phase.MANAGER_REVIEW,
    Phase.CALIBRATION,
    Phase.RESULTS,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    cycles = list(Cycle.objects.filter(phase__in=EVALUATION_PHASES).order_by("-start_date", "name"))
    cards = []
    for cycle in cycles:
        links = [
            {"url": reverse(name, args=[cycle.pk]), "label": label}
            for name, label, action in CYCLE_PAGES
            if action is None or may(user, action)
        ]
        cards.append({"cycle": cycle, "links": links})
    return render(
        request,
        "evaluation/home.html",
        {"cards": cards, "employee": acting_employee(user)},
    )


urlpatterns: list[URLPattern] = [path("", home, name="home")]

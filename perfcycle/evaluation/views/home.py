"""The evaluate stage's front page: what I have to review, and per cycle under way the
evaluation pages I may use."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from perfcycle.access.policy import Action, acting_employee, may
from perfcycle.cycles.models import Cycle, CycleParticipant, Phase
from perfcycle.evaluation.models import FormStatus, ReviewForm

# (url name taking the cycle, label, the action that shows it; None: every participant)
CYCLE_PAGES: tuple[tuple[str, Any, Action | None], ...] = (
    ("evaluation:peers", _("Peers who review me / nominations to approve"), None),
    ("evaluation:progress", _("Progress and reminders"), Action.REVIEW_PROGRESS),
    ("evaluation:scores", _("Scores and breakdowns"), Action.SCORE_LIST),
    ("evaluation:assignment", _("Reviewer assignment"), Action.REVIEW_ASSIGN),
    ("evaluation:reliability", _("Rater reliability and bias"), Action.RELIABILITY_VIEW),
    ("evaluation:normalisation", _("Rating normalisation"), Action.SCORE_COMPUTE),
)
COMPANY_PAGES: tuple[tuple[str, Any, Action], ...] = (
    ("evaluation:templates", _("Review templates"), Action.REVIEW_TEMPLATE_MANAGE),
    ("evaluation:grade_scales", _("Grade scales"), Action.REVIEW_TEMPLATE_MANAGE),
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
    me = acting_employee(user)
    # Each general permission is asked once, not once per cycle.
    allowed = {
        action: may(user, action)
        for action in {a for _n, _l, a in (*CYCLE_PAGES, *COMPANY_PAGES) if a is not None}
    }
    cycles = list(Cycle.objects.filter(phase__in=EVALUATION_PHASES).order_by("-start_date", "name"))
    mine = (
        set(
            CycleParticipant.objects.filter(employee=me, cycle__in=cycles).values_list(
                "cycle_id", flat=True
            )
        )
        if me
        else set()
    )
    to_do = (
        ReviewForm.objects.filter(
            reviewer=me, status__in=[FormStatus.OPEN, FormStatus.DRAFT], cycle__in=cycles
        ).count()
        if me
        else 0
    )
    cards = []
    for cycle in cycles:
        links = [
            {"url": reverse(name, args=[cycle.pk]), "label": label}
            for name, label, action in CYCLE_PAGES
            if (allowed[action] if action is not None else cycle.pk in mine)
        ]
        cards.append({"cycle": cycle, "links": links})
    company = [
        {"url": reverse(name), "label": label}
        for name, label, action in COMPANY_PAGES
        if allowed[action]
    ]
    return render(
        request,
        "evaluation/home.html",
        {"cards": cards, "company": company, "employee": me, "to_do": to_do},
    )


urlpatterns: list[URLPattern] = [path("", home, name="home")]

"""Retrospective pages: the cycles with their retrospective (HR opens one), a
participant's answer form, the anonymous results, and the target analysis with HR's
proposals. Thin: the policy says who, ``services`` writes, ``selectors``/``targets`` read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.access.policy import Action, acting_employee, is_hr, may, require
from perfcycle.charts.svg import histogram
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.retrospective import selectors, services, targets
from perfcycle.retrospective.models import (
    DEFAULT_ANONYMITY_MINIMUM,
    ProposalStatus,
    TargetProposal,
    Verdict,
)

DATE = forms.DateInput(attrs={"type": "date"})
SCALE = [(str(n), str(n)) for n in range(1, 6)]


class OpenForm(forms.Form):
    closes_on = forms.DateField(label=gettext_lazy("Open until"), widget=DATE)
    anonymity_minimum = forms.IntegerField(
        label=gettext_lazy("Anonymity minimum"),
        min_value=2,
        max_value=100,
        initial=DEFAULT_ANONYMITY_MINIMUM,
        help_text=gettext_lazy("A group's answers are shown only from this many answers."),
    )


class AnswerForm(forms.Form):
    clarity = forms.ChoiceField(
        label=gettext_lazy("How clear were your goals? (1 = not at all, 5 = fully)"),
        choices=SCALE,
        widget=forms.RadioSelect,
    )
    fairness = forms.ChoiceField(
        label=gettext_lazy("How fair was the evaluation? (1–5)"),
        choices=SCALE,
        widget=forms.RadioSelect,
    )
    coaching = forms.ChoiceField(
        label=gettext_lazy("How useful was the coaching you received? (1–5)"),
        choices=SCALE,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything else? (shown unattributed, only in aggregates)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
    )

    def __init__(self, *args: Any, goals: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goal_fields: list[tuple[Any, str]] = []
        for goal in goals:
            name = f"verdict_{goal.pk}"
            self.fields[name] = forms.ChoiceField(
                label=goal.title,
                choices=Verdict.choices,
                widget=forms.RadioSelect,
                required=False,
            )
            self.goal_fields.append((goal, name))

    def verdicts(self) -> dict[int, str]:
        return {
            goal.pk: self.cleaned_data[name]
            for goal, name in self.goal_fields
            if self.cleaned_data.get(name)
        }


class ApproveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    target = forms.DecimalField(
        label=gettext_lazy("Approved target"), max_digits=18, decimal_places=4, required=False
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False)


class RejectForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label=gettext_lazy("Why reject"))


def _cycle(cycle_id: int) -> Cycle:
    return get_object_or_404(Cycle, pk=cycle_id)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    rows = selectors.cycles_with_state(request.user)
    hr = may(request.user, Action.RETRO_MANAGE)
    today = timezone.localdate()
    for row in rows:
        row["open"] = services.is_open(row["settings"], today)
        row["can_open"] = (
            hr and row["settings"] is None and row["cycle"].phase in services.OPEN_PHASES
        )
    context = {
        "rows": rows,
        "hr": hr,
        "open_form": OpenForm(initial={"closes_on": today + dt.timedelta(days=14)}),
        "results_view": may(request.user, Action.RETRO_RESULTS_VIEW),
        "targets_view": may(request.user, Action.TARGET_ANALYSIS_VIEW),
    }
    return render(request, "retrospective/home.html", context)


@login_required
@require_POST
def open_retro(request: HttpRequest, cycle_id: int) -> HttpResponse:
    require(request, Action.RETRO_MANAGE)
    cycle = _cycle(cycle_id)
    form = OpenForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("retrospective:home")
    try:
        services.retro_open(
            actor=request.user,
            cycle=cycle,
            closes_on=form.cleaned_data["closes_on"],
            anonymity_minimum=form.cleaned_data["anonymity_minimum"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The retrospective of %(cycle)s is open; the participants were told.")
            % {"cycle": cycle.name},
        )
    return redirect("retrospective:home")


@login_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = _cycle(cycle_id)
    me = acting_employee(request.user)
    if me is None or not CycleParticipant.objects.filter(cycle=cycle, employee=me).exists():
        raise Http404
    require(request, Action.RETRO_ANSWER, me)
    settings = selectors.retro_settings(cycle)
    mine = selectors.own_response(cycle, me)
    goals = list(selectors.own_goals(cycle, me))
    form = AnswerForm(request.POST or None, goals=goals)
    if request.method == "POST" and mine is None and form.is_valid():
        data = form.cleaned_data
        try:
            services.retro_answer(
                actor=request.user,
                cycle=cycle,
                clarity=data["clarity"],
                fairness=data["fairness"],
                coaching=data["coaching"],
                comment=data["comment"],
                verdicts=form.verdicts(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Thank you for your answer."))
            return redirect("retrospective:answer", cycle.pk)
    elif request.method == "POST" and mine is not None:
        messages.error(request, _("You have already answered this retrospective."))
        return redirect("retrospective:answer", cycle.pk)
    context = {
        "cycle": cycle,
        "settings": settings,
        "is_open": services.is_open(settings),
        "mine": mine,
        "form": form,
    }
    return render(request, "retrospective/answer.html", context)


@login_required
def results(request: HttpRequest, cycle_id: int) -> HttpResponse:
    require(request, Action.RETRO_RESULTS_VIEW)
    cycle = _cycle(cycle_id)
    data = selectors.results(request.user, cycle)
    context = {
        "cycle": cycle,
        "results": data,
        "counts": selectors.response_counts(cycle) if is_hr(request.user) else None,
        "rating_labels": [
            ("clarity", _("Clarity of goals")),
            ("fairness", _("Fairness of evaluation")),
            ("coaching", _("Usefulness of coaching")),
        ],
        "verdict_labels": Verdict.choices,
    }
    return render(request, "retrospective/results.html", context)


@login_required
def targets_page(request: HttpRequest, cycle_id: int) -> HttpResponse:
    require(request, Action.TARGET_ANALYSIS_VIEW)
    cycle = _cycle(cycle_id)
    analysis = targets.analyse(cycle)
    decide = may(request.user, Action.TARGET_PROPOSAL_DECIDE)
    by_indicator = {p.indicator_id: p for p in selectors.proposals(cycle)}
    rows = []
    for item in analysis.indicators:
        proposal = by_indicator.pop(item.indicator_id, None)
        rows.append(_row(item, proposal, decide))
    context = {
        "cycle": cycle,
        "analysis": analysis,
        "rows": rows,
        "orphans": [_row(None, p, decide) for p in by_indicator.values()],
        "decide": decide,
        "verdict_labels": Verdict.choices,
    }
    return render(request, "retrospective/targets.html", context)


def _row(
    item: targets.IndicatorAnalysis | None, proposal: TargetProposal | None, decide: bool
) -> dict[str, Any]:
    chart = None
    if item is not None:
        below = [i for i, (_label, _n) in enumerate(item.histogram) if i * 20 + 20 <= 80]
        chart = histogram(
            item.histogram,
            label=_("Attainment of %(indicator)s: holders per band") % {"indicator": item.name},
            description=", ".join(f"{name}: {n}" for name, n in item.histogram),
            highlight=below,
        )
    undecided = proposal is not None and proposal.status == ProposalStatus.PROPOSED
    return {
        "item": item,
        "chart": chart,
        "proposal": proposal,
        "approve_form": ApproveForm(
            initial={"version": proposal.version, "target": proposal.proposed_target},
            prefix=f"p{proposal.pk}",
        )
        if decide and undecided and proposal is not None
        else None,
        "reject_form": RejectForm(initial={"version": proposal.version}, prefix=f"r{proposal.pk}")
        if decide and undecided and proposal is not None
        else None,
    }


@login_required
@require_POST
def generate(request: HttpRequest, cycle_id: int) -> HttpResponse:
    require(request, Action.TARGET_PROPOSAL_DECIDE)
    cycle = _cycle(cycle_id)
    try:
        report = services.proposals_generate(actor=request.user, cycle=cycle)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "%(created)s proposals generated; %(replaced)s undecided ones replaced; "
                "%(kept)s decided ones kept."
            )
            % {
                "created": report.created,
                "replaced": report.replaced,
                "kept": report.kept_decided,
            },
        )
    return redirect("retrospective:targets", cycle.pk)


@login_required
@require_POST
def decide(request: HttpRequest, proposal_id: int, verb: str) -> HttpResponse:
    require(request, Action.TARGET_PROPOSAL_DECIDE)
    proposal = get_object_or_404(TargetProposal.objects.select_related("indicator"), pk=proposal_id)
    back = reverse("retrospective:targets", args=[proposal.cycle_id])
    if verb == "approve":
        form: forms.Form = ApproveForm(request.POST, prefix=f"p{proposal.pk}")
    elif verb == "reject":
        form = RejectForm(request.POST, prefix=f"r{proposal.pk}")
    else:
        raise Http404
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    try:
        if verb == "approve":
            services.proposal_approve(
                actor=request.user,
                proposal=proposal,
                target=data["target"],
                note=data["note"],
                expected_version=data["version"],
            )
        else:
            services.proposal_reject(
                actor=request.user,
                proposal=proposal,
                note=data["note"],
                expected_version=data["version"],
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision saved."))
    return redirect(back)


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("cycles/<int:cycle_id>/open/", open_retro, name="open"),
    path("cycles/<int:cycle_id>/answer/", answer, name="answer"),
    path("cycles/<int:cycle_id>/results/", results, name="results"),
    path("cycles/<int:cycle_id>/targets/", targets_page, name="targets"),
    path("cycles/<int:cycle_id>/targets/generate/", generate, name="generate"),
    path("proposals/<int:proposal_id>/<slug:verb>/", decide, name="decide"),
]

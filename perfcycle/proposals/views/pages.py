"""Proposal pages: the rounds (HR creates; managers see open ones; everyone sees their
own approved proposals), a round (settings, the eligible people nobody nominated, the
proposals, the budget), the nomination form and one proposal with the steps the viewer
may take."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.access.policy import (
    Action,
    acting_employee,
    get_visible_or_404,
    is_hr,
    may,
    require,
)
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.org.models import Employee
from perfcycle.proposals import eligibility as elig
from perfcycle.proposals import selectors, services
from perfcycle.proposals.forms import (
    ApproveForm,
    NominationForm,
    NoteForm,
    ReasonForm,
    RoundCreateForm,
    RoundForm,
    VersionForm,
)
from perfcycle.proposals.models import (
    PENDING_STATUSES,
    Proposal,
    ProposalRound,
    ProposalStatus,
    RoundStatus,
)
from perfcycle.rewards.models import Compensation, MotivationProfile

ROUND_VALUES = services.ROUND_FIELDS


def _round(request: HttpRequest, round_id: int) -> ProposalRound:
    """A round the user may see: HR any, managers the open ones; others 404."""
    try:
        return services.visible_rounds(request.user).get(pk=round_id)
    except ProposalRound.DoesNotExist as exc:
        raise Http404 from exc


def _proposal(request: HttpRequest, proposal_id: int) -> Proposal:
    return get_visible_or_404(
        request.user,
        Action.PROPOSAL_VIEW,
        Proposal.objects.select_related(
            "round__cycle", "employee", "nominated_by", "endorsed_by", "decided_by"
        ),
        pk=proposal_id,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rounds(request: HttpRequest) -> HttpResponse:
    user = request.user
    hr = may(user, Action.PROPOSAL_RULES_MANAGE)
    form = RoundCreateForm(request.POST or None) if hr else None
    if request.method == "POST":
        require(request, Action.PROPOSAL_RULES_MANAGE)
        assert form is not None
        if form.is_valid():
            d = form.cleaned_data
            try:
                created = services.round_create(
                    actor=user,
                    cycle=d["cycle"],
                    kind=d["kind"],
                    **{k: d[k] for k in ROUND_VALUES},
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Round created."))
                return redirect("proposals:round", created.pk)
    me = acting_employee(user)
    mine = (
        list(
            Proposal.objects.filter(employee=me, status=ProposalStatus.APPROVED)
            .select_related("round")
            .order_by("-decided_at")
        )
        if me is not None
        else []
    )
    listed = list(services.visible_rounds(user).order_by("-created_at", "pk"))
    return render(
        request,
        "proposals/rounds.html",
        {"rounds": listed, "mine": mine, "hr": hr, "form": form},
    )


@login_required
def round_page(request: HttpRequest, round_id: int) -> HttpResponse:
    obj = _round(request, round_id)
    user = request.user
    status = request.GET.get("status", "")
    if status not in ProposalStatus.values:
        status = ""
    proposals = list(selectors.round_proposals(user, obj, status))
    open_to_nominate = obj.status == RoundStatus.OPEN
    waiting = selectors.candidates(user, obj) if open_to_nominate else []
    context: dict[str, Any] = {
        "round": obj,
        "hr": may(user, Action.PROPOSAL_RULES_MANAGE),
        "proposals": proposals,
        "status": status,
        "statuses": ProposalStatus.choices,
        "waiting": waiting,
        "open_to_nominate": open_to_nominate,
    }
    if obj.is_salary and context["hr"]:
        context["budget_used"] = services.round_budget_used(obj)
    return render(request, "proposals/round.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def round_edit(request: HttpRequest, round_id: int) -> HttpResponse:
    obj = _round(request, round_id)
    require(request, Action.PROPOSAL_RULES_MANAGE)
    initial = {k: getattr(obj, k) for k in ROUND_VALUES}
    initial["version"] = obj.version
    form = RoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and "close" in request.POST:
        version = VersionForm(request.POST)
        version.is_valid()
        try:
            services.round_close(
                actor=request.user,
                round=obj,
                expected_version=version.cleaned_data.get("version"),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("proposals:round_edit", obj.pk)
        messages.success(request, _("Round closed."))
        return redirect("proposals:round", obj.pk)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.round_update(
                actor=request.user,
                round=obj,
                expected_version=d["version"],
                **{k: d[k] for k in ROUND_VALUES},
            )
        except DomainError as exc:
            obj.refresh_from_db()
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Round saved."))
            return redirect("proposals:round", obj.pk)
    return render(request, "proposals/round_form.html", {"round": obj, "form": form})


def _profile(employee: Employee) -> MotivationProfile | None:
    return MotivationProfile.objects.filter(employee=employee).first()


@login_required
@require_http_methods(["GET", "POST"])
def nominate(request: HttpRequest, round_id: int, employee_id: int) -> HttpResponse:
    obj = _round(request, round_id)
    person = get_visible_or_404(
        request.user,
        Action.EMPLOYEE_VIEW,
        Employee.objects.select_related("department"),
        pk=employee_id,
    )
    require(request, Action.PROPOSAL_NOMINATE, person)
    found = elig.evaluate_one(obj, person)
    form = NominationForm(request.POST or None, salary=obj.is_salary, eligible=found.eligible)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            created = services.proposal_nominate(
                actor=request.user,
                round=obj,
                employee=person,
                justification=d["justification"],
                exception_reason=d.get("exception_reason") or "",
                increase_pct=d.get("increase_pct"),
                proposed_title=d.get("proposed_title") or "",
                proposed_level=d.get("proposed_level") or "",
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Nomination submitted."))
            return redirect("proposals:proposal", created.pk)
    hr = may(request.user, Action.COMPENSATION_MANAGE)
    pay = Compensation.objects.filter(employee=person).first() if hr else None
    return render(
        request,
        "proposals/nominate.html",
        {
            "round": obj,
            "person": person,
            "eligibility": found,
            "motivation": selectors.motivation_summary(obj, _profile(person)),
            "profile": _profile(person),
            "form": form,
            "pay": pay,
            "show_pay": hr,
        },
    )


def _edit_form(obj: Proposal, data: Any = None) -> NominationForm:
    return NominationForm(
        data,
        salary=obj.round.is_salary,
        eligible=obj.eligible,
        initial={
            "version": obj.version,
            "increase_pct": obj.increase_pct,
            "proposed_title": obj.proposed_title,
            "proposed_level": obj.proposed_level,
            "justification": obj.justification,
            "exception_reason": obj.exception_reason,
        },
    )


def _abilities(request: HttpRequest, obj: Proposal) -> dict[str, bool]:
    user = request.user
    me = acting_employee(user)
    nominator = me is not None and obj.nominated_by_id == me.pk
    pending = obj.status in PENDING_STATUSES
    endorser = may(user, Action.PROPOSAL_ENDORSE, obj) and not nominator
    return {
        "endorse": endorser and obj.status == ProposalStatus.SUBMITTED,
        "return": pending and (endorser or (may(user, Action.PROPOSAL_DECIDE) and not nominator)),
        "decide": pending and may(user, Action.PROPOSAL_DECIDE),
        "withdraw": nominator and (pending or obj.status == ProposalStatus.RETURNED),
        "edit": obj.status == ProposalStatus.RETURNED and (nominator or is_hr(user)),
    }


@login_required
def proposal_page(request: HttpRequest, proposal_id: int) -> HttpResponse:
    obj = _proposal(request, proposal_id)
    can = _abilities(request, obj)
    managers_view = may(request.user, Action.PROPOSAL_NOMINATE, obj.employee)
    v = {"version": obj.version}
    context = {
        "proposal": obj,
        "round": obj.round,
        "can": can,
        "managers_view": managers_view,
        "show_pay": may(request.user, Action.COMPENSATION_MANAGE),
        "motivation": selectors.motivation_summary(obj.round, _profile(obj.employee))
        if managers_view
        else None,
        "forms": {
            "endorse": NoteForm(initial=v, prefix="endorse"),
            "return": ReasonForm(initial=v, prefix="return"),
            "approve": ApproveForm(initial=v, prefix="approve"),
            "reject": ReasonForm(initial=v, prefix="reject"),
            "edit": _edit_form(obj),
        },
    }
    return render(request, "proposals/proposal.html", context)


def _do_endorse(request: HttpRequest, obj: Proposal) -> None:
    form = NoteForm(request.POST, prefix="endorse")
    d = _valid(form)
    services.proposal_endorse(
        actor=request.user, proposal=obj, note=d["note"], expected_version=d["version"]
    )


def _do_return(request: HttpRequest, obj: Proposal) -> None:
    d = _valid(ReasonForm(request.POST, prefix="return"))
    services.proposal_return(
        actor=request.user, proposal=obj, reason=d["reason"], expected_version=d["version"]
    )


def _do_approve(request: HttpRequest, obj: Proposal) -> None:
    d = _valid(ApproveForm(request.POST, prefix="approve"))
    services.proposal_approve(
        actor=request.user,
        proposal=obj,
        effective_on=d["effective_on"],
        note=d["note"],
        expected_version=d["version"],
    )


def _do_reject(request: HttpRequest, obj: Proposal) -> None:
    d = _valid(ReasonForm(request.POST, prefix="reject"))
    services.proposal_reject(
        actor=request.user, proposal=obj, reason=d["reason"], expected_version=d["version"]
    )


def _do_withdraw(request: HttpRequest, obj: Proposal) -> None:
    d = _valid(VersionForm(request.POST))
    services.proposal_withdraw(actor=request.user, proposal=obj, expected_version=d["version"])


def _do_edit(request: HttpRequest, obj: Proposal) -> None:
    """Save the changes of a returned proposal and resubmit it."""
    d = _valid(_edit_form(obj, request.POST))
    changes = {k: v for k, v in d.items() if k != "version"}
    services.proposal_update(
        actor=request.user, proposal=obj, expected_version=d["version"], **changes
    )
    services.proposal_resubmit(actor=request.user, proposal=obj)


def _do_resubmit(request: HttpRequest, obj: Proposal) -> None:
    d = _valid(VersionForm(request.POST))
    services.proposal_resubmit(actor=request.user, proposal=obj, expected_version=d["version"])


class _Invalid(Exception):
    def __init__(self, form: forms.Form) -> None:
        self.form = form


def _valid(form: forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        raise _Invalid(form)
    return form.cleaned_data


# The policy's actions behind the steps (any one suffices), asked before the form is read
# so that a refused step answers 403 whatever was posted. The nominator's own steps
# (withdraw, edit, resubmit) are the services' rule.
STEP_RULES: dict[str, tuple[Action, ...]] = {
    "endorse": (Action.PROPOSAL_ENDORSE,),
    "return": (Action.PROPOSAL_ENDORSE, Action.PROPOSAL_DECIDE),
    "approve": (Action.PROPOSAL_DECIDE,),
    "reject": (Action.PROPOSAL_DECIDE,),
}

ACTIONS = {
    "endorse": _do_endorse,
    "return": _do_return,
    "approve": _do_approve,
    "reject": _do_reject,
    "withdraw": _do_withdraw,
    "edit": _do_edit,
    "resubmit": _do_resubmit,
}


@login_required
@require_POST
def proposal_action(request: HttpRequest, proposal_id: int, action: str) -> HttpResponse:
    do = ACTIONS.get(action)
    if do is None:
        raise Http404
    obj = _proposal(request, proposal_id)
    rules = STEP_RULES.get(action, ())
    if rules and not any(may(request.user, rule, obj) for rule in rules):
        require(request, rules[0], obj)
    try:
        do(request, obj)
    except _Invalid as exc:
        for errors in exc.form.errors.values():
            for error in errors:
                messages.error(request, error)
    except DomainError as exc:
        status = 403 if exc.status == 403 else None
        if status:
            return HttpResponse(exc.message, status=403)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("proposals:proposal", obj.pk)


urlpatterns: list[URLPattern] = [
    path("", rounds, name="rounds"),
    path("rounds/<int:round_id>/", round_page, name="round"),
    path("rounds/<int:round_id>/edit/", round_edit, name="round_edit"),
    path("rounds/<int:round_id>/nominate/<int:employee_id>/", nominate, name="nominate"),
    path("<int:proposal_id>/", proposal_page, name="proposal"),
    path("<int:proposal_id>/<slug:action>/", proposal_action, name="proposal_action"),
]

"""Who reviews whom, per cycle: HR's assignment page (generate for the whole cycle, the
table of reviewees and their forms, manual add and remove) and the peer page (a person
nominates peers; their manager approves or declines).

Thin: ``access.policy`` says who may (``REVIEW_ASSIGN``, ``REVIEW_NOMINATE_PEERS``,
``REVIEW_APPROVE_PEERS``); ``evaluation.assignment`` writes, checks and audits, and
reads (``assignment_participants``/``assignment_forms`` for HR; ``peer_summary`` and
``pending_nominations`` for the person and their managers, which never carry a
form's progress nor the names of peers HR assigned).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.access.policy import (
    Action,
    acting_employee,
    get_visible_or_404,
    is_manager,
    may,
    scope,
)
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.evaluation import assignment
from perfcycle.evaluation.models import ReviewForm, ReviewSource
from perfcycle.evaluation.template_forms import (
    ApproveForm,
    DeclineForm,
    FormAddForm,
    GenerateForm,
    NominateForm,
)
from perfcycle.evaluation.templates import template_problems
from perfcycle.org.models import Department, Employee
from perfcycle.planning.views.common import posted, require

PAGE_SIZE = 50
SOURCES = list(ReviewSource.choices)


def _cycle(request: HttpRequest, cycle_pk: int) -> Cycle:
    return get_visible_or_404(
        request.user, Action.CYCLE_VIEW, Cycle.objects.select_related("template"), pk=cycle_pk
    )


def _participants(cycle: Cycle) -> Any:
    return (
        Employee.objects.filter(cycle_participations__cycle=cycle).order_by("name", "pk").distinct()
    )


def _assignment_page(
    request: HttpRequest,
    cycle: Cycle,
    *,
    generate_form: GenerateForm | None = None,
    add_form: FormAddForm | None = None,
    report: dict[str, Any] | None = None,
) -> HttpResponse:
    department_id = request.GET.get("department", "")
    department = int(department_id) if department_id.isdigit() else None
    participants = assignment.assignment_participants(cycle, department_id=department)
    page = Paginator(participants, PAGE_SIZE).get_page(request.GET.get("page"))
    people = list(page.object_list)
    forms = assignment.assignment_forms(cycle, [p.employee_id for p in people])
    rows = []
    for participant in people:
        by_source: dict[str, list[ReviewForm]] = {s: [] for s, _label in SOURCES}
        for form in forms.get(participant.employee_id, []):
            by_source[form.source].append(form)
        rows.append(
            {
                "participant": participant,
                "cells": [by_source[s] for s, _label in SOURCES],
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    problems = (
        [m for ms in template_problems(cycle.template).values() for m in ms]
        if cycle.template
        else []
    )
    return render(
        request,
        "evaluation/assignment.html",
        {
            "cycle": cycle,
            "page": page,
            "rows": rows,
            "sources": [label for _s, label in SOURCES],
            "departments": Department.objects.filter(
                pk__in=CycleParticipant.objects.filter(cycle=cycle).values("department_id")
            ).order_by("name"),
            "department": department,
            "query": query.urlencode(),
            "generate_form": generate_form or GenerateForm(),
            "add_form": add_form or FormAddForm(people=_participants(cycle)),
            "report": report,
            "problems": problems,
            "assignable": cycle.phase in assignment.ASSIGNABLE_PHASES,
        },
    )


def _report_for_display(report: assignment.AssignmentReport) -> dict[str, Any]:
    labels = dict(ReviewSource.choices)
    names = dict(
        Employee.objects.filter(pk__in=list(report.short_of_peers)).values_list("pk", "name")
    )
    return {
        "created": [(labels.get(s, s), n) for s, n in sorted(report.created.items())],
        "total_created": report.total_created,
        "existing": report.existing,
        "short": sorted((names.get(pk, str(pk)), n) for pk, n in report.short_of_peers.items()),
    }


@login_required
@require_http_methods(["GET", "POST"])
def assignment_page(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    require(request, Action.REVIEW_ASSIGN, cycle)
    form = GenerateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            report = assignment.assignment_generate(
                actor=request.user, cycle=cycle, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(n)s review forms created.") % {"n": report.total_created},
            )
            return _assignment_page(
                request, cycle, generate_form=form, report=_report_for_display(report)
            )
    return _assignment_page(request, cycle, generate_form=form)


@login_required
@require_POST
def assignment_add(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    require(request, Action.REVIEW_ASSIGN, cycle)
    form = FormAddForm(request.POST, people=_participants(cycle))
    if form.is_valid():
        try:
            assignment.review_form_add(actor=request.user, cycle=cycle, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Reviewer added."))
            return redirect("evaluation:assignment", cycle.pk)
    return _assignment_page(request, cycle, add_form=form)


@login_required
@require_POST
def assignment_remove(request: HttpRequest, cycle_pk: int, form_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    require(request, Action.REVIEW_ASSIGN, cycle)
    form = ReviewForm.objects.select_related("cycle").filter(pk=form_pk, cycle=cycle).first()
    if form is None:
        raise Http404
    try:
        assignment.review_form_remove(actor=request.user, form=form)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Reviewer removed."))
    return redirect("evaluation:assignment", cycle.pk)


# Peers -----------------------------------------------------------------------------------


def _is_participant(cycle: Cycle, employee: Employee | None) -> bool:
    return (
        employee is not None
        and CycleParticipant.objects.filter(cycle=cycle, employee=employee).exists()
    )


def _peers_page(
    request: HttpRequest,
    cycle: Cycle,
    *,
    nominate_form: NominateForm | None = None,
    decline_errors: dict[int, DeclineForm] | None = None,
) -> HttpResponse:
    me = acting_employee(request.user)
    mine = None
    if _is_participant(cycle, me) and cycle.template is not None:
        assert me is not None
        mine = assignment.peer_summary(cycle=cycle, reviewee=me)
        if nominate_form is None:
            nominate_form = NominateForm(
                candidates=assignment.peer_candidates(cycle=cycle, reviewee=me)
            )
    team_forms = scope(
        request.user,
        Action.REVIEW_APPROVE_PEERS,
        ReviewForm.objects.filter(cycle=cycle),
        subject="reviewee__",
    )
    if me is not None:
        team_forms = team_forms.exclude(reviewee=me)
    pending = assignment.pending_nominations(team_forms)
    decline_errors = decline_errors or {}
    return render(
        request,
        "evaluation/peers.html",
        {
            "cycle": cycle,
            "mine": mine,
            "nominate_form": nominate_form if mine is not None else None,
            "open": cycle.phase in assignment.ASSIGNABLE_PHASES,
            "pending": [
                {"nomination": n, "decline_form": decline_errors.get(n.form_id) or DeclineForm()}
                for n in pending
            ],
            "is_manager": bool(pending)
            or is_manager(request.user)
            or may(request.user, Action.REVIEW_APPROVE_PEERS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def peers_page(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    me = acting_employee(request.user)
    if request.method != "POST":
        return _peers_page(request, cycle)
    if me is None or not _is_participant(cycle, me):
        raise Http404
    require(request, Action.REVIEW_NOMINATE_PEERS, me)
    form = NominateForm(
        request.POST, candidates=assignment.peer_candidates(cycle=cycle, reviewee=me)
    )
    if form.is_valid():
        try:
            assignment.peers_nominate(
                actor=request.user,
                cycle=cycle,
                reviewee=me,
                reviewers=list(form.cleaned_data["reviewers"]),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("Your peers are nominated; your manager will approve them.")
            )
            return redirect("evaluation:peers", cycle.pk)
    return _peers_page(request, cycle, nominate_form=form)


def _nomination(request: HttpRequest, cycle: Cycle, form_pk: int) -> ReviewForm:
    form = get_visible_or_404(
        request.user,
        Action.REVIEW_NOMINATE_PEERS,
        ReviewForm.objects.select_related("cycle__template", "reviewee", "reviewer").filter(
            cycle=cycle, source=ReviewSource.PEER, nominated_by__isnull=False
        ),
        pk=form_pk,
    )
    require(request, Action.REVIEW_APPROVE_PEERS, form)
    return form


@login_required
@require_POST
def peers_approve(request: HttpRequest, cycle_pk: int, form_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    form = _nomination(request, cycle, form_pk)
    data = ApproveForm(request.POST)
    version = data.cleaned_data.get("version") if data.is_valid() else None
    try:
        assignment.peers_approve(actor=request.user, form=form, expected_version=version)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(peer)s will review %(person)s.")
            % {"peer": form.reviewer.name, "person": form.reviewee.name},
        )
    return redirect("evaluation:peers", cycle.pk)


@login_required
@require_POST
def peers_decline(request: HttpRequest, cycle_pk: int, form_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    form = _nomination(request, cycle, form_pk)
    data = DeclineForm(request.POST)
    if data.is_valid():
        try:
            assignment.peers_decline(
                actor=request.user,
                form=form,
                reason=data.cleaned_data["reason"],
                expected_version=data.cleaned_data.get("version"),
            )
        except DomainError as exc:
            add_domain_error(data, exc)
        else:
            messages.success(request, _("Nomination declined."))
            return redirect("evaluation:peers", cycle.pk)
    return _peers_page(request, cycle, decline_errors={form.pk: data})


urlpatterns = [
    path("cycles/<int:cycle_pk>/assignment/", assignment_page, name="assignment"),
    path("cycles/<int:cycle_pk>/assignment/add/", assignment_add, name="assignment_add"),
    path(
        "cycles/<int:cycle_pk>/assignment/forms/<int:form_pk>/remove/",
        assignment_remove,
        name="assignment_remove",
    ),
    path("cycles/<int:cycle_pk>/peers/", peers_page, name="peers"),
    path(
        "cycles/<int:cycle_pk>/peers/<int:form_pk>/approve/",
        peers_approve,
        name="peers_approve",
    ),
    path(
        "cycles/<int:cycle_pk>/peers/<int:form_pk>/decline/",
        peers_decline,
        name="peers_decline",
    ),
]

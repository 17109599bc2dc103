"""Cycle administration pages: the list, a cycle's page (its phase, deadlines and the
scoring rules everyone will be judged by), create and edit, participants, phase changes.

Everyone signed in may see cycles (以终为始: the rules are known from day one); only HR
changes them. Every change goes through ``cycles.services``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.access.policy import Action, get_visible_or_404, may, require
from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.cycles import phases, services
from perfcycle.cycles.forms import CycleForm, ParticipantsForm, TransitionForm
from perfcycle.cycles.models import Cycle, CycleParticipant, GradeScale, Phase, ReviewTemplate
from perfcycle.org.models import Employee

PAGE_SIZE = 50

SOURCE_LABELS = {
    "self": gettext_lazy("Self"),
    "manager": gettext_lazy("Manager"),
    "peer": gettext_lazy("Peers"),
    "report": gettext_lazy("Reports (upward)"),
    "skip": gettext_lazy("Skip-level manager"),
}


def _posted(request: HttpRequest) -> Any:
    """The submitted data on a POST (even an empty one), else None: an unbound form."""
    return request.POST if request.method == "POST" else None


def _cycle(request: HttpRequest, pk: int) -> Cycle:
    return get_visible_or_404(
        request.user,
        Action.CYCLE_VIEW,
        Cycle.objects.select_related("template", "grade_scale"),
        pk=pk,
    )


def _current_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((today.month - 1) // 3) + 1
    start = today.replace(month=first_month, day=1)
    next_start = (
        start.replace(year=start.year + 1, month=1)
        if first_month == 10
        else start.replace(month=first_month + 3)
    )
    return start, next_start - dt.timedelta(days=1)


def grade_band_rows(scale: GradeScale | None) -> list[dict[str, Any]]:
    """The bands of a scale, best first, each with the score range it covers."""
    if scale is None:
        return []
    rows: list[dict[str, Any]] = []
    upper: Decimal | None = None
    for band in scale.bands.all():  # best first
        rows.append({"band": band, "low": band.min_score, "high": upper})
        upper = band.min_score
    return rows


def template_facts(template: ReviewTemplate | None) -> dict[str, Any]:
    if template is None:
        return {}
    labels = template.rating_labels or {}
    return {
        "sections": [
            (gettext_lazy("Goals"), template.goals_weight),
            (gettext_lazy("Competencies"), template.competencies_weight),
        ],
        "sources": [(SOURCE_LABELS[k], v) for k, v in template.source_weights.items() if v],
        "ratings": [
            (n, labels.get(str(n), "")) for n in range(template.rating_min, template.rating_max + 1)
        ],
    }


@login_required
def cycle_list(request: HttpRequest) -> HttpResponse:
    require(request, Action.CYCLE_VIEW)
    cycles = (
        Cycle.objects.select_related("template", "grade_scale")
        .annotate(participant_count=Count("participants"))
        .order_by("-start_date", "name")
    )
    return render(
        request,
        "cycles/list.html",
        {"cycles": cycles, "can_manage": may(request.user, Action.CYCLE_MANAGE)},
    )


@login_required
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    can_manage = may(request.user, Action.CYCLE_MANAGE, cycle)
    deadlines = {d.phase: d.due_date for d in cycle.deadlines.all()}
    current = phases.ORDER.index(Phase(cycle.phase))
    timeline = [
        {
            "phase": phase,
            "due": deadlines.get(phase.value),
            "state": "done" if i < current else ("current" if i == current else "todo"),
        }
        for i, phase in enumerate(phases.ORDER)
    ]
    next_steps = [
        {"phase": p, "backward": phases.is_backward(cycle.phase, p)}
        for p in phases.allowed_next(cycle.phase)
    ]
    return render(
        request,
        "cycles/detail.html",
        {
            "cycle": cycle,
            "timeline": timeline,
            "next_steps": next_steps if can_manage else [],
            "can_manage": can_manage,
            "participant_count": cycle.participants.count(),
            "bands": grade_band_rows(cycle.grade_scale),
            "template": template_facts(cycle.template),
            "history": AuditEvent.objects.for_object(cycle)[:20] if can_manage else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    cycle = None
    if pk is not None:
        cycle = _cycle(request, pk)
    require(request, Action.CYCLE_MANAGE, cycle)
    if cycle is None:
        start, end = _current_quarter(dt.date.today())
        initial = {
            "period_type": "quarter",
            "start_date": start,
            "end_date": end,
            "template": services.review_template_default(actor=request.user).pk,
            "grade_scale": services.grade_scale_default(actor=request.user).pk,
        }
        form = CycleForm(_posted(request), initial=initial)
    else:
        form = CycleForm(_posted(request), instance=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            if cycle is None:
                cycle = services.cycle_create(
                    actor=request.user, deadlines=form.deadlines(), **form.values()
                )
                messages.success(request, _("Cycle created. Choose its participants next."))
                return redirect("cycles:participants", pk=cycle.pk)
            changes = {k: v for k, v in form.values().items() if getattr(cycle, k) != v}
            services.cycle_update(
                actor=request.user,
                cycle=cycle,
                expected_version=form.cleaned_data["version"],
                deadlines=form.deadlines(),
                **changes,
            )
            messages.success(request, _("Cycle saved."))
            return redirect("cycles:detail", pk=cycle.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "cycles/form.html", {"form": form, "cycle": cycle})


@login_required
@require_http_methods(["GET", "POST"])
def cycle_participants(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    require(request, Action.CYCLE_MANAGE, cycle)
    form = ParticipantsForm(_posted(request), cycle=cycle)
    preview = None
    if request.method == "POST" and form.is_valid():
        rule = form.rule()
        if "preview" in request.POST:
            numbers = rule["employee_numbers"]
            known = set(
                Employee.objects.filter(employee_number__in=numbers).values_list(
                    "employee_number", flat=True
                )
            )
            missing = [n for n in numbers if n not in known]
            if missing:
                form.add_error(
                    "employee_numbers",
                    _("Unknown employee numbers: %(numbers)s") % {"numbers": ", ".join(missing)},
                )
            else:
                selected = set(services.participants_query(**rule).values_list("pk", flat=True))
                current = set(cycle.participants.values_list("employee_id", flat=True))
                joining = selected - current
                preview = {
                    "selected": len(selected),
                    "joining": len(joining),
                    "leaving": len(current - selected),
                    "joining_people": Employee.objects.filter(pk__in=list(joining))
                    .select_related("department")
                    .order_by("name")[:50],
                    "leaving_people": Employee.objects.filter(pk__in=list(current - selected))
                    .select_related("department")
                    .order_by("name")[:50],
                }
        else:
            try:
                result = services.cycle_set_participants(actor=request.user, cycle=cycle, **rule)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(selected)d people take part: %(joined)d joined, %(left)d left.") % result,
                )
                return redirect("cycles:participants", pk=cycle.pk)
    participants = (
        CycleParticipant.objects.filter(cycle=cycle)
        .select_related("employee", "department", "manager")
        .order_by("employee__name")
    )
    page = Paginator(participants, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cycles/participants.html",
        {"cycle": cycle, "form": form, "preview": preview, "page": page},
    )


@login_required
@require_POST
def cycle_transition(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    require(request, Action.CYCLE_MANAGE, cycle)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown phase."))
        return redirect("cycles:detail", pk=cycle.pk)
    try:
        services.cycle_transition(
            actor=request.user,
            cycle=cycle,
            to_phase=form.cleaned_data["to_phase"],
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The cycle is now in the %(phase)s phase.") % {"phase": cycle.get_phase_display()},
        )
    return redirect("cycles:detail", pk=cycle.pk)

"""The indicator library (指标库): list by job family, create and edit (HR), and the
one-step assignment of an indicator with a target to a department or job family."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from perfcycle.access.policy import (
    Action,
    get_visible_or_404,
    may,
    scope,
)
from perfcycle.core.errors import DomainError, ValidationFailed
from perfcycle.core.forms import add_domain_error
from perfcycle.cycles import phases
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.org.models import Employee
from perfcycle.planning import explain, services
from perfcycle.planning.forms import (
    AssignForm,
    IndicatorForm,
)
from perfcycle.planning.models import (
    Goal,
    GoalSheet,
    Indicator,
    SheetStatus,
)
from perfcycle.planning.views.common import (
    FIELD_LABELS,
    posted,
    require,
)

# Indicator library -----------------------------------------------------------------------


@login_required
def indicator_list(request: HttpRequest) -> HttpResponse:
    require(request, Action.INDICATOR_VIEW)
    family = request.GET.get("family", "")
    show_inactive = request.GET.get("inactive") == "1"
    indicators = Indicator.objects.order_by("job_family", "name")
    if not show_inactive:
        indicators = indicators.filter(is_active=True)
    if family:
        indicators = indicators.filter(job_family=family)
    cycle = Cycle.objects.filter(phase__in=phases.GOALS_EDITABLE).order_by("-start_date").first()
    if cycle is not None:
        indicators = indicators.annotate(goal_count=Count("goals", filter=Q(goals__cycle=cycle)))
    families = (
        Indicator.objects.exclude(job_family="")
        .values_list("job_family", flat=True)
        .distinct()
        .order_by("job_family")
    )
    return render(
        request,
        "planning/indicators.html",
        {
            "indicators": indicators,
            "families": families,
            "family": family,
            "show_inactive": show_inactive,
            "usage_cycle": cycle,
            "can_manage": may(request.user, Action.INDICATOR_MANAGE),
            "can_assign": may(request.user, Action.INDICATOR_ASSIGN),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    indicator = None
    if pk is not None:
        indicator = get_visible_or_404(
            request.user, Action.INDICATOR_VIEW, Indicator.objects, pk=pk
        )
    require(request, Action.INDICATOR_MANAGE, indicator)
    form = IndicatorForm(posted(request), instance=indicator)
    if request.method == "POST" and form.is_valid():
        try:
            if indicator is None:
                indicator = services.indicator_create(actor=request.user, **form.values())
                messages.success(request, _("Indicator created."))
            else:
                changes = {k: v for k, v in form.values().items() if getattr(indicator, k) != v}
                services.indicator_update(
                    actor=request.user,
                    indicator=indicator,
                    expected_version=form.cleaned_data["version"],
                    **changes,
                )
                messages.success(request, _("Indicator saved."))
            return redirect(f"{reverse('planning:indicators')}#indicator-{indicator.pk}")
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "planning/indicator_form.html", {"form": form, "indicator": indicator})


def _assign_candidates(request: HttpRequest, data: dict[str, Any]) -> tuple[list[Employee], int]:
    """The people an assignment would reach: in the department tree and/or job family, whom
    the user may see (a manager: their own team; HR: anyone), taking part in the cycle.
    Also returns how many matched but are not in the cycle."""
    qs = Employee.objects.active()
    if data.get("department") is not None:
        qs = qs.in_department_tree(data["department"])
    if data.get("job_family"):
        qs = qs.filter(job_family=data["job_family"])
    qs = scope(request.user, Action.EMPLOYEE_VIEW, qs)
    in_cycle = CycleParticipant.objects.filter(cycle=data["cycle"]).values("employee_id")
    people = list(qs.filter(pk__in=in_cycle).select_related("department").order_by("name"))
    outside = qs.exclude(pk__in=in_cycle).count()
    return people, outside


def _decimal_or_none(raw: str) -> Decimal | None:
    raw = (raw or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ValueError(raw) from exc
    if not value.is_finite():
        raise ValueError(raw)
    return value


@login_required
@require_http_methods(["GET", "POST"])
def indicator_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign an indicator with a target to a whole department or job family in one step:
    choose the people and the common target, adjust per person, confirm."""
    require(request, Action.INDICATOR_ASSIGN)
    indicator = get_visible_or_404(request.user, Action.INDICATOR_VIEW, Indicator.objects, pk=pk)
    is_post = request.method == "POST"
    bound = request.POST if is_post else (request.GET if "target" in request.GET else None)
    form = AssignForm(bound, initial={"cycle": Cycle.objects.current()})
    rows: list[dict[str, Any]] = []
    outside = 0
    row_errors: dict[str, list[str]] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        people, outside = _assign_candidates(request, data)
        existing = set(
            Goal.objects.filter(
                cycle=data["cycle"], indicator=indicator, employee__in=[p.pk for p in people]
            ).values_list("employee_id", flat=True)
        )
        statuses = dict(
            GoalSheet.objects.filter(
                cycle=data["cycle"], employee__in=[p.pk for p in people]
            ).values_list("employee_id", "status")
        )
        for person in people:
            status = statuses.get(person.pk, SheetStatus.DRAFT)
            row = {
                "employee": person,
                "include": True,
                "target": data["target"],
                "weight": data["weight"],
                "has_goal": person.pk in existing,
                "status": SheetStatus(status).label,
                "locked": status != SheetStatus.DRAFT,
                "errors": [],
            }
            if is_post:
                row["include"] = request.POST.get(f"include_{person.pk}") == "1"
                try:
                    row["target"] = _decimal_or_none(request.POST.get(f"target_{person.pk}", ""))
                    row["weight"] = _decimal_or_none(request.POST.get(f"weight_{person.pk}", ""))
                except ValueError:
                    row["errors"].append(_("Enter numbers for target and weight."))
                if row["target"] is None or row["weight"] is None:
                    row["errors"].append(_("Each person needs a target and a weight."))
            rows.append(row)
        if is_post and "confirm" in request.POST:
            chosen = [r for r in rows if r["include"]]
            if not chosen:
                form.add_error(None, _("Choose at least one person."))
            elif any(r["errors"] for r in chosen):
                form.add_error(None, _("Some rows need correcting; nothing was assigned."))
            else:
                overrides = {}
                for r in chosen:
                    diff = {}
                    if r["target"] != data["target"]:
                        diff["target"] = r["target"]
                    if r["weight"] != data["weight"]:
                        diff["weight"] = r["weight"]
                    if diff:
                        overrides[r["employee"].employee_number] = diff
                try:
                    result = services.indicator_assign(
                        actor=request.user,
                        cycle=data["cycle"],
                        indicator=indicator,
                        target=data["target"],
                        weight=data["weight"],
                        threshold=data["threshold"],
                        stretch=data["stretch"],
                        baseline=data["baseline"],
                        title=data["title"],
                        parent=data["parent"],
                        assignees=[r["employee"] for r in chosen],
                        overrides=overrides,
                    )
                except ValidationFailed as exc:
                    for problem in (exc.details or {}).get("errors", []):
                        row_errors[problem["employee_number"]] = [
                            f"{FIELD_LABELS.get(name, name)}: {message}"
                            for name, messages_ in problem.get("fields", {}).items()
                            for message in messages_
                        ]
                    add_domain_error(form, exc)
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    text = _(
                        "“%(indicator)s” assigned: %(created)d goals created, %(updated)d "
                        "updated, %(unchanged)d unchanged."
                    ) % {"indicator": indicator.name, **result}
                    messages.success(request, text)
                    if result["skipped"]:
                        messages.warning(
                            request,
                            _("Left out because their goals are no longer a draft: %(numbers)s")
                            % {"numbers": ", ".join(result["skipped"])},
                        )
                    return redirect(f"{reverse('planning:team')}?cycle={data['cycle'].pk}")
        for r in rows:
            r["errors"] += row_errors.get(r["employee"].employee_number, [])
    return render(
        request,
        "planning/assign.html",
        {
            "indicator": indicator,
            "form": form,
            "rows": rows,
            "outside": outside,
            "rule_text": explain.describe_rule(indicator.rule(), None, indicator.unit),
        },
    )

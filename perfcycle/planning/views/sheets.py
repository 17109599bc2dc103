"""A goal sheet and its agreement (my goals, a person's goals; propose, approve, return,
acknowledge) and my team's goals with each person's agreement status."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from perfcycle.access.policy import (
    Action,
    Relation,
    acting_employee,
    get_visible_or_404,
    may,
    relation,
)
from perfcycle.core.errors import DomainError
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.org.models import Employee
from perfcycle.planning import selectors, services
from perfcycle.planning.forms import (
    ReasonForm,
)
from perfcycle.planning.models import (
    GoalSheet,
    SheetStatus,
)
from perfcycle.planning.views.common import (
    changes_for_display,
    cycle_context,
    goals_editable,
    require,
    sheet_url,
    snapshot_for_display,
)

TEAM_PAGE_SIZE = 100


# My goals, a person's goals ------------------------------------------------------------


@login_required
def my_goals(request: HttpRequest) -> HttpResponse:
    me = acting_employee(request.user)
    if me is None:
        return render(request, "planning/sheet.html", {**cycle_context(request), "employee": None})
    return _sheet_page(request, me)


@login_required
def person_goals(request: HttpRequest, pk: int) -> HttpResponse:
    employee = get_visible_or_404(
        request.user,
        Action.SHEET_VIEW,
        Employee.objects.select_related("department", "manager"),
        pk=pk,
    )
    return _sheet_page(request, employee)


def _sheet_page(request: HttpRequest, employee: Employee) -> HttpResponse:
    context = cycle_context(request)
    cycle: Cycle | None = context["cycle"]
    context["employee"] = employee
    context["is_self"] = relation(request.user, employee) is Relation.SELF
    if cycle is None:
        return render(request, "planning/sheet.html", context)
    user = request.user
    sheet = (
        GoalSheet.objects.filter(cycle=cycle, employee=employee)
        .select_related("proposed_by", "approved_by")
        .first()
    )
    goals = selectors.employee_goals(cycle, employee)
    weight_total = sum((g.weight for g, _p in goals), Decimal(0))
    status = sheet.status if sheet else SheetStatus.DRAFT
    editable = goals_editable(cycle)
    not_self = not context["is_self"]
    can_change = editable and may(user, Action.GOAL_CHANGE, employee)
    actions = {
        "propose": editable
        and status == SheetStatus.DRAFT
        and bool(goals)
        and may(user, Action.SHEET_PROPOSE, employee),
        "approve": editable
        and status == SheetStatus.PROPOSED
        and not_self
        and may(user, Action.SHEET_APPROVE, employee),
        "return": editable
        and status != SheetStatus.DRAFT
        and not_self
        and may(user, Action.SHEET_RETURN, employee),
        "acknowledge": editable
        and status == SheetStatus.APPROVED
        and may(user, Action.SHEET_ACKNOWLEDGE, employee),
    }
    acknowledgements = (
        list(sheet.acknowledgements.select_related("acknowledged_by")) if sheet else []
    )
    changes = services.sheet_changes_since_acknowledgement(sheet) if acknowledgements else []
    context.update(
        {
            "sheet": sheet,
            "status": status,
            "status_label": SheetStatus(status).label,
            "goals": goals,
            "weight_total": weight_total,
            "weights_ok": weight_total == 100,
            "is_participant": CycleParticipant.objects.filter(
                cycle=cycle, employee=employee
            ).exists(),
            "editable": editable,
            # Goals are added or removed on a draft only; once proposed, only the
            # managers (and HR) change them, and the employee acknowledges again.
            "can_add": editable
            and status == SheetStatus.DRAFT
            and may(user, Action.GOAL_CREATE, employee),
            "can_change": can_change,
            "can_edit": can_change and (status == SheetStatus.DRAFT or not_self),
            "actions": actions,
            "any_action": any(actions.values()),
            "visible_parents": {
                g.parent_id
                for g, _p in goals
                if g.parent is not None and may(user, Action.GOAL_VIEW, g.parent)
            },
            "return_form": ReasonForm(),
            "changes": changes_for_display(changes),
            "acknowledgements": [
                {"ack": a, "goals": snapshot_for_display(a.snapshot)} for a in acknowledgements
            ],
        }
    )
    return render(request, "planning/sheet.html", context)


SHEET_STEPS = {
    "propose": (Action.SHEET_PROPOSE, services.sheet_propose),
    "approve": (Action.SHEET_APPROVE, services.sheet_approve),
    "return": (Action.SHEET_RETURN, services.sheet_return),
    "acknowledge": (Action.SHEET_ACKNOWLEDGE, services.sheet_acknowledge),
}
SHEET_DONE = {
    "propose": gettext_lazy("The goals were proposed for approval."),
    "approve": gettext_lazy("The goals were approved; the employee is asked to acknowledge them."),
    "return": gettext_lazy("The goals went back to draft."),
    "acknowledge": gettext_lazy("You acknowledged your goals."),
}


@login_required
@require_POST
def sheet_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Propose, approve, return or acknowledge a goal sheet."""
    if step not in SHEET_STEPS:
        raise Http404
    sheet = get_visible_or_404(
        request.user,
        Action.SHEET_VIEW,
        GoalSheet.objects.select_related("cycle", "employee"),
        pk=pk,
    )
    action, service = SHEET_STEPS[step]
    require(request, action, sheet)
    kwargs: dict[str, Any] = {"actor": request.user, "sheet": sheet}
    version = request.POST.get("version", "")
    if version.isdigit():
        kwargs["expected_version"] = int(version)
    if step == "return":
        kwargs["reason"] = request.POST.get("reason", "")
    try:
        service(**kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(SHEET_DONE[step]))
    return redirect(sheet_url(sheet.employee, sheet.cycle, request.user))


# The team, the alignment tree ------------------------------------------------------------


@login_required
def team_goals(request: HttpRequest) -> HttpResponse:
    context = cycle_context(request)
    cycle: Cycle | None = context["cycle"]
    status = request.GET.get("status", "")
    if status not in SheetStatus.values:
        status = ""
    if cycle is not None:
        user = request.user
        counts = selectors.sheet_status_counts(user, cycle)
        # Paginated in the database: only the page's people are read, however many the
        # user sees (HR sees the whole company); the counts above say how many in all.
        paginator = Paginator(
            selectors.team_participants(user, cycle, status=status), TEAM_PAGE_SIZE
        )
        paginator.count = counts[status] if status else sum(counts.values())  # known already
        page = paginator.get_page(request.GET.get("page"))
        page.object_list = selectors.sheet_rows(cycle, list(page.object_list))
        editable = goals_editable(cycle)
        approvable = {
            row.employee.pk
            for row in page.object_list
            if editable
            and row.status == SheetStatus.PROPOSED
            and row.sheet is not None
            and relation(user, row.employee) is not Relation.SELF
            and may(user, Action.SHEET_APPROVE, row.employee)
        }
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            {
                "page": page,
                "total": sum(counts.values()),
                "status": status,
                "statuses": [(s, SheetStatus(s).label, counts[s]) for s in SheetStatus.values],
                "approvable": approvable,
                "query": query.urlencode(),
                "can_assign": editable and may(user, Action.INDICATOR_ASSIGN),
            }
        )
    return render(request, "planning/team.html", context)

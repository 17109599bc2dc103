"""One goal: its page with the what-if preview, create, edit, delete, action plan, key
results, comments; and the alignment tree of the cycle's goals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.access.policy import (
    Action,
    Relation,
    acting_employee,
    get_visible_or_404,
    may,
    relation,
    scope,
)
from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Department, Employee
from perfcycle.planning import explain, selectors, services
from perfcycle.planning.forms import (
    CommentForm,
    DepartmentChoiceForm,
    GoalForm,
    IndicatorPickForm,
    KeyResultForm,
    MilestoneForm,
    WhatIfForm,
    parent_choices,
)
from perfcycle.planning.models import (
    Goal,
    GoalKind,
    Milestone,
    OwnerType,
    SheetStatus,
)
from perfcycle.planning.views.common import (
    chosen_cycle,
    cycle_context,
    goal_owner_url,
    goals_editable,
    posted,
    require,
    sheet_url,
)

# One goal --------------------------------------------------------------------------------


def _goal(request: HttpRequest, pk: int) -> Goal:
    return get_visible_or_404(
        request.user,
        Action.GOAL_VIEW,
        selectors.with_plan_details(Goal.objects.all()).select_related("cycle", "sheet"),
        pk=pk,
    )


def _goal_page(request: HttpRequest, goal: Goal, **forms: Any) -> HttpResponse:
    user = request.user
    editable = goals_editable(goal.cycle)
    can_change = editable and may(user, Action.GOAL_CHANGE, goal)
    # Once goals are proposed the employee no longer edits them, and nobody adds or
    # removes goals until they are back in draft; the action plan stays open.
    draft = goal.sheet is None or goal.sheet.status == SheetStatus.DRAFT
    is_self = goal.employee is not None and relation(user, goal.employee) is Relation.SELF
    what_if_form = WhatIfForm(request.GET if "actual" in request.GET else None)
    what_if = None
    if what_if_form.is_bound and what_if_form.is_valid():
        what_if = explain.what_if(goal.rule(), goal.standard(), what_if_form.cleaned_data["actual"])
    standard = goal.standard()
    children = list(
        goal.children.select_related("employee", "department").order_by("owner_type", "id")
    )
    visible_children = {c.pk for c in children if may(user, Action.GOAL_VIEW, c)}
    context = {
        "goal": goal,
        "cycle": goal.cycle,
        "progress": selectors.goal_progress(goal),
        "owner_url": goal_owner_url(goal, user),
        "editable": editable,
        "can_change": can_change,
        "can_edit": can_change and (draft or not is_self),
        "can_delete": can_change and draft,
        "can_comment": may(user, Action.GOAL_COMMENT, goal),
        "rule_text": explain.describe_rule(
            goal.rule(), standard, goal.unit, milestone=goal.kind == GoalKind.MILESTONE
        ),
        "examples": explain.examples(goal.rule(), standard),
        "what_if_form": what_if_form,
        "what_if": what_if,
        "comments": goal.comments.select_related("author"),
        "parent_visible": goal.parent is not None and may(user, Action.GOAL_VIEW, goal.parent),
        "children": children,
        "visible_children": visible_children,
        "hidden_children": len(children) - len(visible_children),
        "history": AuditEvent.objects.for_object(goal).filter(action=AuditAction.UPDATE)[:20]
        if can_change
        else [],
        "milestone_form": forms.get("milestone_form") or MilestoneForm(),
        "key_result_form": forms.get("key_result_form") or KeyResultForm(),
        "comment_form": forms.get("comment_form") or CommentForm(),
    }
    return render(request, "planning/goal.html", context)


@login_required
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _goal_page(request, _goal(request, pk))


def _owner_from_request(request: HttpRequest, cycle: Cycle) -> dict[str, Any]:
    """Whose goal is being created: ``?employee=``, ``?owner=department`` or ``?owner=company``."""
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    owner = source.get("owner") or request.GET.get("owner") or ""
    employee_pk = source.get("employee") or request.GET.get("employee")
    if employee_pk:
        employee = get_visible_or_404(user, Action.SHEET_VIEW, Employee.objects, pk=employee_pk)
        require(request, Action.GOAL_CREATE, employee)
        return {"owner_type": OwnerType.EMPLOYEE, "employee": employee}
    if owner == OwnerType.DEPARTMENT:
        departments = scope(user, Action.GOAL_CREATE, Department.objects.all(), subject="head__")
        if not departments.exists():
            raise PermissionDenied
        return {"owner_type": OwnerType.DEPARTMENT, "departments": departments}
    if owner == OwnerType.COMPANY:
        require(request, Action.GOAL_CREATE)
        return {"owner_type": OwnerType.COMPANY}
    me = acting_employee(user)
    if me is None:
        raise Http404
    require(request, Action.GOAL_CREATE, me)
    return {"owner_type": OwnerType.EMPLOYEE, "employee": me}


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest) -> HttpResponse:
    cycle = chosen_cycle(request)
    if cycle is None:
        raise Http404
    owner = _owner_from_request(request, cycle)
    employee: Employee | None = owner.get("employee")
    visible = selectors.visible_goals(request.user, cycle)
    parents = parent_choices(visible, employee=employee, exclude=None)
    # Its own ids: the goal form below has an "indicator" field too.
    pick = IndicatorPickForm(request.GET or None, auto_id="pick_%s")
    initial: dict[str, Any] = {}
    if employee is not None:
        total = sum(
            (g.weight for g in Goal.objects.filter(cycle=cycle, employee=employee)), Decimal(0)
        )
        initial["weight"] = max(Decimal(0), 100 - total)
    if pick.is_bound and pick.is_valid() and pick.cleaned_data["indicator"]:
        indicator = pick.cleaned_data["indicator"]
        initial.update({name: getattr(indicator, name) for name in services.INDICATOR_DEFAULTS})
        initial.update(indicator=indicator.pk, title=indicator.name, kind=GoalKind.KPI)
    form = GoalForm(posted(request), cycle=cycle, parents=parents, initial=initial)
    department_form = None
    if owner["owner_type"] == OwnerType.DEPARTMENT:
        department_form = DepartmentChoiceForm(posted(request), departments=owner["departments"])
    if request.method == "POST":
        valid = form.is_valid()
        if department_form is not None:
            valid = department_form.is_valid() and valid
        if valid:
            department = department_form.cleaned_data["department"] if department_form else None
            if department is not None:
                probe = Goal(owner_type=OwnerType.DEPARTMENT, department=department)
                require(request, Action.GOAL_CREATE, probe)
            try:
                goal = services.goal_create(
                    actor=request.user,
                    cycle=cycle,
                    owner_type=owner["owner_type"],
                    employee=employee,
                    department=department,
                    **form.values(),
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Goal created."))
                return redirect("planning:goal", pk=goal.pk)
    return render(
        request,
        "planning/goal_form.html",
        {
            "form": form,
            "pick": pick,
            "department_form": department_form,
            "cycle": cycle,
            "goal": None,
            "owner": owner,
            "owner_query": _owner_query(owner, cycle),
            "cancel_url": sheet_url(employee, cycle, request.user)
            if employee is not None
            else f"{reverse('planning:alignment')}?cycle={cycle.pk}",
        },
    )


def _owner_query(owner: dict[str, Any], cycle: Cycle) -> dict[str, Any]:
    """Hidden fields that keep the owner and cycle across the indicator picker."""
    fields: dict[str, Any] = {"cycle": cycle.pk}
    if owner.get("employee") is not None:
        fields["employee"] = owner["employee"].pk
    else:
        fields["owner"] = owner["owner_type"]
    return fields


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    require(request, Action.GOAL_CHANGE, goal)
    visible = selectors.visible_goals(request.user, goal.cycle)
    parents = parent_choices(visible, employee=goal.employee, exclude=goal)
    form = GoalForm(posted(request), cycle=goal.cycle, parents=parents, instance=goal)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.values().items() if getattr(goal, k) != v}
        was_acknowledged = goal.sheet is not None and goal.sheet.status == SheetStatus.ACKNOWLEDGED
        try:
            services.goal_update(
                actor=request.user,
                goal=goal,
                expected_version=form.cleaned_data["version"],
                **changes,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Goal saved."))
            if was_acknowledged and goal.sheet.status == SheetStatus.APPROVED:
                messages.warning(
                    request,
                    _(
                        "The goals had been acknowledged; %(name)s is asked to acknowledge the "
                        "change."
                    )
                    % {"name": goal.employee.name if goal.employee else ""},
                )
            return redirect("planning:goal", pk=goal.pk)
    return render(
        request,
        "planning/goal_form.html",
        {
            "form": form,
            "cycle": goal.cycle,
            "goal": goal,
            "is_self": goal.employee is not None
            and relation(request.user, goal.employee) is Relation.SELF,
            "cancel_url": reverse("planning:goal", args=[goal.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    require(request, Action.GOAL_CHANGE, goal)
    if request.method == "POST":
        back = goal_owner_url(goal, request.user)
        try:
            services.goal_delete(actor=request.user, goal=goal)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("planning:goal", pk=goal.pk)
        messages.success(request, _("Goal deleted."))
        return redirect(back)
    return render(request, "planning/goal_delete.html", {"goal": goal, "cycle": goal.cycle})


@login_required
@require_POST
def goal_done(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    require(request, Action.GOAL_CHANGE, goal)
    try:
        version = request.POST.get("version", "")
        services.goal_set_done(
            actor=request.user,
            goal=goal,
            done=request.POST.get("done") == "1",
            expected_version=int(version) if version.isdigit() else None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("planning:goal", pk=goal.pk)


@login_required
@require_POST
def milestone_add(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    require(request, Action.GOAL_CHANGE, goal)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        try:
            services.milestone_create(
                actor=request.user,
                goal=goal,
                title=form.cleaned_data["title"],
                due_date=form.cleaned_data["due_date"],
                owner=form.cleaned_data["owner_number"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Milestone added."))
            return redirect(f"{reverse('planning:goal', args=[goal.pk])}#action-plan")
    return _goal_page(request, goal, milestone_form=form)


@login_required
@require_POST
def milestone_done(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_object_or_404(Milestone.objects.select_related("goal"), pk=pk)
    goal = _goal(request, milestone.goal_id)
    require(request, Action.GOAL_CHANGE, goal)
    try:
        services.milestone_set_done(
            actor=request.user, milestone=milestone, done=request.POST.get("done") == "1"
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    back = request.POST.get("next", "")
    if back == "sheet" and goal.employee is not None:
        return redirect(sheet_url(goal.employee, goal.cycle, request.user))
    return redirect(f"{reverse('planning:goal', args=[goal.pk])}#action-plan")


@login_required
@require_POST
def key_result_add(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    require(request, Action.GOAL_CHANGE, goal)
    form = KeyResultForm(request.POST)
    if form.is_valid():
        try:
            services.key_result_create(actor=request.user, goal=goal, **form.values())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Key result added."))
            return redirect(f"{reverse('planning:goal', args=[goal.pk])}#key-results")
    return _goal_page(request, goal, key_result_form=form)


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    require(request, Action.GOAL_COMMENT, goal)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.goal_comment_add(actor=request.user, goal=goal, body=form.cleaned_data["body"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect(f"{reverse('planning:goal', args=[goal.pk])}#comments")
    return _goal_page(request, goal, comment_form=form)


@login_required
def alignment(request: HttpRequest) -> HttpResponse:
    context = cycle_context(request)
    cycle: Cycle | None = context["cycle"]
    if cycle is not None:
        user = request.user
        editable = goals_editable(cycle)
        context.update(
            {
                "alignment": (alignment := selectors.alignment_tree(user, cycle)),
                "roots": alignment.roots,
                "can_add_company": editable and may(user, Action.GOAL_CREATE),
                "can_add_department": editable
                and scope(
                    user, Action.GOAL_CREATE, Department.objects.all(), subject="head__"
                ).exists(),
            }
        )
    return render(request, "planning/alignment.html", context)

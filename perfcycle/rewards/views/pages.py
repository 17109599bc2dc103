"""The reward pages: the stage's front page; HR's bonus plans (create, compute, approve,
export); the plan's lines a manager may see, with adjust forms and each person's
motivation profile beside; the employee's own motivation profile; HR's aggregate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from perfcycle.access.policy import (
    Action,
    acting_employee,
    get_visible_or_404,
    may,
    require,
    scope,
)
from perfcycle.core.errors import Conflict, DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.core.pages import page_of
from perfcycle.rewards import exports, selectors, services
from perfcycle.rewards.forms import AdjustForm, MotivationForm, PlanForm
from perfcycle.rewards.models import (
    BonusLine,
    BonusPlan,
    MotivationProfile,
    Motivator,
    PlanStatus,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

LINES_PAGE_SIZE = 100


def _plan(request: HttpRequest, pk: int) -> BonusPlan:
    require(request, Action.BONUS_TEAM_VIEW)
    return get_visible_or_404(
        request.user, Action.BONUS_TEAM_VIEW, BonusPlan.objects.select_related("cycle"), pk=pk
    )


def _team_plans(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Plans with at least one line the user may see, newest first."""
    lines = scope(
        request.user, Action.BONUS_LINE_VIEW, BonusLine.objects.all(), subject="employee__"
    )
    return (
        BonusPlan.objects.filter(pk__in=lines.values("plan_id"))
        .select_related("cycle")
        .order_by("-created_at", "pk")
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    me = acting_employee(user)
    profile = MotivationProfile.objects.filter(employee=me).first() if me else None
    bonuses = list(selectors.my_lines(user)[:20])
    for line in bonuses:
        line.explanation = selectors.explain(line, line.plan)
    return render(
        request,
        "rewards/home.html",
        {
            "hr": may(user, Action.BONUS_PLAN_MANAGE),
            "may_aggregate": may(user, Action.MOTIVATION_AGGREGATE),
            "team_plans": list(_team_plans(request)[:20])
            if may(user, Action.BONUS_TEAM_VIEW)
            else [],
            "me": me,
            "profile": profile,
            "bonuses": bonuses,
            "may_pay": may(user, Action.COMPENSATION_MANAGE),
            "may_propose": may(user, Action.PROPOSAL_LIST),
        },
    )


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    require(request, Action.BONUS_PLAN_MANAGE)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.plan_create(actor=request.user, cycle=data["cycle"], **form.settings())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Bonus plan created. Compute it when pay is on record."))
            return redirect("rewards:plan", pk=plan.pk)
    rows = list(
        BonusPlan.objects.select_related("cycle")
        .annotate(line_count=Count("lines"))
        .order_by("-created_at", "pk")[:200]
    )
    return render(request, "rewards/plans.html", {"plans": rows, "form": form})


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_page(request, _plan(request, pk))


def _plan_page(
    request: HttpRequest,
    plan: BonusPlan,
    *,
    refused: AdjustForm | None = None,
    refused_line: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The plan with its lines; ``refused`` is a refused adjust form of line
    ``refused_line``, shown again with what was typed."""
    hr = may(request.user, Action.BONUS_PLAN_MANAGE)
    # A page of lines at a time (a company's plan has a line per person); an adjustment
    # posts back to its page (``?page=``), which shows the refused form again.
    page, query = page_of(request, selectors.visible_lines(request.user, plan), LINES_PAGE_SIZE)
    lines = list(page.object_list)
    if not hr and not lines:
        raise Http404
    profiles = selectors.motivations_for([line.employee_id for line in lines])
    adjustable = plan.status == PlanStatus.COMPUTED
    for line in lines:
        line.plan = plan
        line.explanation = selectors.explain(line, plan)
        line.profile = profiles.get(line.employee_id)
        if not adjustable:
            line.form = None
        elif refused is not None and line.pk == refused_line:
            line.form = refused
        else:
            line.form = AdjustForm(
                initial={"version": line.version, "adjustment": line.adjustment},
                prefix=f"line{line.pk}",
            )
    excluded = [
        {**e, "reason_label": services.exclusion_label(e)} for e in (plan.excluded if hr else [])
    ]
    return render(
        request,
        "rewards/plan.html",
        {
            "plan": plan,
            "hr": hr,
            "lines": lines,
            "page": page,
            "query": query,
            "totals": selectors.plan_totals(plan) if hr else None,
            "excluded": excluded,
            "coefficients": sorted(plan.grade_coefficients.items()),
            "departments": list(plan.departments.select_related("department")),
            "courses": list(plan.required_courses.order_by("title")),
        },
        status=status,
    )


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """HR changes a draft or computed plan; a computed plan's lines are discarded."""
    plan = _plan(request, pk)
    require(request, Action.BONUS_PLAN_MANAGE)
    if plan.status == PlanStatus.APPROVED:
        messages.error(request, _("This plan is approved; it cannot be changed."))
        return redirect("rewards:plan", pk=plan.pk)
    form = PlanForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(
                actor=request.user,
                plan=plan,
                expected_version=form.cleaned_data["version"],
                **form.settings(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Bonus plan saved. Compute it to see the amounts."))
            return redirect("rewards:plan", pk=plan.pk)
    return render(request, "rewards/plan_edit.html", {"plan": plan, "form": form})


@login_required
@require_POST
def plan_compute(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    require(request, Action.BONUS_PLAN_MANAGE)
    try:
        report = services.plan_compute(actor=request.user, plan=plan)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "%(lines)d lines computed, %(total)s in all; %(excluded)d people left out; "
                "remainder %(remainder)s."
            )
            % {
                "lines": report.lines,
                "total": report.total,
                "excluded": len(report.excluded),
                "remainder": report.remainder.normalize(),
            },
        )
    return redirect("rewards:plan", pk=plan.pk)


@login_required
@require_POST
def plan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    require(request, Action.BONUS_PLAN_MANAGE)
    try:
        services.plan_approve(actor=request.user, plan=plan)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Bonus plan approved."))
    return redirect("rewards:plan", pk=plan.pk)


@login_required
def plan_export(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    require(request, Action.BONUS_PLAN_MANAGE)
    data = exports.plan_xlsx(plan, BonusLine.objects.filter(plan=plan))
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="bonus-plan-{plan.pk}.xlsx"'
    return response


@login_required
@require_POST
def line_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_visible_or_404(
        request.user, Action.BONUS_LINE_VIEW, BonusLine.objects.select_related("plan"), pk=pk
    )
    require(request, Action.BONUS_LINE_ADJUST, line)
    prefix = f"line{line.pk}"

    def again(form: AdjustForm, status: int) -> HttpResponse:
        """The plan page again, this row's form as typed (nothing was written)."""
        plan = _plan(request, line.plan_id)
        return _plan_page(request, plan, refused=form, refused_line=line.pk, status=status)

    form = AdjustForm(request.POST, prefix=prefix)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{line.employee.name}: {error}")
        return again(form, 422)
    try:
        services.line_adjust(
            actor=request.user,
            line=line,
            adjustment=form.cleaned_data["adjustment"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except Conflict as exc:
        current = BonusLine.objects.filter(pk=line.pk).first()
        if current is None:  # computed again: the old lines are gone
            messages.error(request, exc.message)
            return redirect("rewards:plan", pk=line.plan_id)
        # What was typed stays in the row, now against the version just read: saving
        # again replaces the other change, which the row shows.
        data = request.POST.copy()
        data[f"{prefix}-version"] = str(current.version)
        messages.error(
            request,
            _(
                "%(name)s: somebody else adjusted this bonus in the meantime; it is now "
                "%(adjustment)s (final %(final)s). Your entry is kept in its form: save it "
                "again if it is still needed."
            )
            % {
                "name": line.employee.name,
                "adjustment": current.adjustment,
                "final": current.final_amount,
            },
        )
        form = AdjustForm(data, prefix=prefix)
        return again(form, 409)
    except DomainError as exc:
        messages.error(request, f"{line.employee.name}: {exc.message}")
        return again(form, exc.status)
    messages.success(request, _("Bonus of %(name)s adjusted.") % {"name": line.employee.name})
    back = reverse("rewards:plan", args=[line.plan_id])
    number = request.GET.get("page", "")
    return redirect(f"{back}?page={number}#line-{line.pk}" if number.isdigit() else back)


@login_required
def motivation(request: HttpRequest) -> HttpResponse:
    me = acting_employee(request.user)
    if me is None:
        raise Http404
    require(request, Action.MOTIVATION_EDIT, me)
    profile = MotivationProfile.objects.filter(employee=me).first()
    form = MotivationForm(request.POST or None, current=profile.motivators if profile else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.motivation_set(actor=request.user, employee=me, motivators=form.ordered())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Your motivation profile is saved."))
            return redirect("rewards:motivation")
    return render(request, "rewards/motivation.html", {"form": form, "profile": profile})


@login_required
def motivation_departments(request: HttpRequest) -> HttpResponse:
    require(request, Action.MOTIVATION_AGGREGATE)
    return render(
        request,
        "rewards/motivation_departments.html",
        {"groups": selectors.motivation_by_department(), "motivators": Motivator.choices},
    )


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("plans/", plans, name="plans"),
    path("plans/<int:pk>/", plan_detail, name="plan"),
    path("plans/<int:pk>/edit/", plan_edit, name="plan_edit"),
    path("plans/<int:pk>/compute/", plan_compute, name="plan_compute"),
    path("plans/<int:pk>/approve/", plan_approve, name="plan_approve"),
    path("plans/<int:pk>/export.xlsx", plan_export, name="plan_export"),
    path("lines/<int:pk>/adjust/", line_adjust, name="line_adjust"),
    path("motivation/", motivation, name="motivation"),
    path("motivation/departments/", motivation_departments, name="motivation_departments"),
]

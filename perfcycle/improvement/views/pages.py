"""Improvement plan pages: my plans, my team's, HR's per cycle (with "propose plans for
low grades"), one plan with its evidence (training, support, reviews) and the small
forms that change it. There is deliberately no termination action anywhere."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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
from perfcycle.core.pages import page_of
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.improvement import services
from perfcycle.improvement.models import (
    OUTCOMES,
    ImprovementPlan,
    ImprovementSettings,
    PlanReview,
    PlanStatus,
    Progress,
    SupportKind,
)
from perfcycle.monitoring.models import Course
from perfcycle.org.fields import PersonField

DATE = forms.DateInput(attrs={"type": "date"})


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PlanForm(VersionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    start_date = forms.DateField(label=gettext_lazy("Start date"), widget=DATE, required=False)
    end_date = forms.DateField(label=gettext_lazy("End date"), widget=DATE, required=False)


class NewPlanForm(forms.Form):
    employee = PersonField(label=gettext_lazy("Employee"), queryset=None)
    cycle = forms.ModelChoiceField(
        label=gettext_lazy("Cycle"),
        queryset=Cycle.objects.order_by("-start_date"),
        required=False,
        help_text=gettext_lazy("The cycle whose result the plan answers, if any."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why a plan is needed"), widget=forms.Textarea(attrs={"rows": 3})
    )
    start_date = forms.DateField(label=gettext_lazy("Start date"), widget=DATE, required=False)
    end_date = forms.DateField(label=gettext_lazy("End date"), widget=DATE, required=False)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = people  # type: ignore[attr-defined]


class GoalForm(VersionForm):
    description = forms.CharField(
        label=gettext_lazy("What must improve"), widget=forms.Textarea(attrs={"rows": 2})
    )
    measure = forms.CharField(label=gettext_lazy("Measure / target"), required=False)
    due_date = forms.DateField(label=gettext_lazy("Due date"), widget=DATE, required=False)


class SupportForm(VersionForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=SupportKind.choices)
    description = forms.CharField(label=gettext_lazy("What the company provides"))
    provided_on = forms.DateField(label=gettext_lazy("Provided on"), widget=DATE, required=False)


class TrainingForm(VersionForm):
    course = forms.ModelChoiceField(
        label=gettext_lazy("Course"), queryset=Course.objects.filter(is_active=True)
    )


class ReviewDateForm(VersionForm):
    scheduled_for = forms.DateField(label=gettext_lazy("Review date"), widget=DATE)


class ReviewLogForm(VersionForm):
    review = forms.IntegerField(widget=forms.HiddenInput)
    held_on = forms.DateField(label=gettext_lazy("Held on"), widget=DATE)
    progress = forms.ChoiceField(label=gettext_lazy("Progress"), choices=Progress.choices)
    notes = forms.CharField(label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(VersionForm):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[(o.value, o.label) for o in OUTCOMES],
    )
    new_end_date = forms.DateField(
        label=gettext_lazy("New end date (extension)"), widget=DATE, required=False
    )
    reason = forms.CharField(label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 3}))


class CarryForm(VersionForm):
    cycle = forms.ModelChoiceField(
        label=gettext_lazy("Next cycle"), queryset=Cycle.objects.filter(phase=Phase.PLANNING)
    )


def _listed(queryset: Any) -> Any:
    return (
        queryset.select_related("cycle", "employee", "manager")
        .annotate(n_reviews=Count("reviews"))
        .order_by("-created_at")
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    me = acting_employee(user)
    visible = services.visible_plans(user)
    mine = list(_listed(visible.filter(employee=me))) if me is not None else []
    others = visible.exclude(employee=me) if me is not None else visible
    hr = is_hr(user)
    cycles = Cycle.objects.order_by("-start_date")[:12] if hr else []
    cycle = None
    if hr and request.GET.get("cycle"):
        cycle = Cycle.objects.filter(pk=request.GET["cycle"]).first()
    if cycle is not None:
        others = others.filter(cycle=cycle)
    page, query = page_of(request, _listed(others))
    team = list(page.object_list)
    trigger: dict[str, Any] = {}
    if cycle is not None:
        chosen = services.trigger_grades(cycle)
        saved = ImprovementSettings.objects.filter(cycle=cycle).first()
        trigger = {
            "grades": [(g, g in chosen) for g in services.cycle_grade_codes(cycle)],
            "version": saved.version if saved else "",
            "default": saved is None,
        }
    return render(
        request,
        "improvement/home.html",
        {
            "mine": mine,
            "team": team,
            "page": page,
            "query": query,
            "hr": hr,
            "cycles": cycles,
            "cycle": cycle,
            "trigger": trigger,
            "may_health": may(user, Action.PROCESS_HEALTH_VIEW),
            "may_create": services.plannable_people(user).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest) -> HttpResponse:
    """A manager (or HR) starts a plan for someone in their reporting line at any time."""
    people = services.plannable_people(request.user).order_by("name")
    if not people.exists():
        raise PermissionDenied
    form = NewPlanForm(
        request.POST or None,
        people=people,
        initial={"employee": request.GET.get("employee"), "cycle": request.GET.get("cycle")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            obj = services.plan_create(actor=request.user, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("Plan created. Add goals, support and an end date, then activate it.")
            )
            return redirect("improvement:plan", obj.pk)
    return render(request, "improvement/plan_new.html", {"form": form})


@login_required
@require_POST
def trigger_settings(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """HR chooses which final grades of a cycle lead to a proposed plan."""
    require(request, Action.PLAN_PROPOSE)
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    version = request.POST.get("version") or None
    try:
        services.settings_set(
            actor=request.user,
            cycle=cycle,
            grades=request.POST.getlist("grades"),
            expected_version=int(version) if version and version.isdigit() else None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved which grades lead to an improvement plan."))
    return redirect(f"{reverse('improvement:home')}?cycle={cycle.pk}")


@login_required
@require_POST
def propose(request: HttpRequest, cycle_id: int) -> HttpResponse:
    require(request, Action.PLAN_PROPOSE)
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    try:
        report = services.plans_propose(actor=request.user, cycle=cycle)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(created)s plans proposed for grades %(grades)s; %(already)s already had one.")
            % {
                "created": report.created,
                "grades": ", ".join(report.grades),
                "already": report.already_planned,
            },
        )
    return redirect(f"{reverse('improvement:home')}?cycle={cycle.pk}")


def _plan(request: HttpRequest, plan_id: int) -> ImprovementPlan:
    return get_visible_or_404(
        request.user,
        Action.PLAN_VIEW,
        ImprovementPlan.objects.select_related("cycle", "employee", "manager", "result"),
        pk=plan_id,
    )


@login_required
def plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    obj = _plan(request, plan_id)
    manage = may(request.user, Action.PLAN_MANAGE, obj)
    v = {"version": obj.version}
    open_reviews = [r for r in obj.reviews.all() if r.held_on is None]
    context = {
        "plan": obj,
        "goals": list(obj.goals.all()),
        "evidence": services.plan_evidence(obj),
        "manage": manage and obj.is_open,
        "can_activate": manage and obj.status == PlanStatus.PROPOSED,
        "can_close": manage and obj.status in (PlanStatus.ACTIVE, PlanStatus.EXTENDED),
        "can_carry": manage and obj.carried_into_id is None,
        "can_acknowledge": may(request.user, Action.PLAN_ACKNOWLEDGE, obj)
        and obj.status != PlanStatus.PROPOSED
        and obj.acknowledged_at is None,
        "open_reviews": open_reviews,
        "forms": {
            # Each form its own ids, so that every label points at its own field.
            "goal": GoalForm(initial=v, auto_id="goal_%s"),
            "support": SupportForm(initial=v, auto_id="support_%s"),
            "training": TrainingForm(initial=v, auto_id="training_%s"),
            "review": ReviewDateForm(initial=v, auto_id="review_%s"),
            "log": ReviewLogForm(initial=v, auto_id="log_%s"),
            "close": CloseForm(initial=v, auto_id="close_%s"),
            "carry": CarryForm(initial=v, auto_id="carry_%s"),
        },
    }
    return render(request, "improvement/plan.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    obj = _plan(request, plan_id)
    require(request, Action.PLAN_MANAGE, obj)
    form = PlanForm(
        request.POST or None,
        initial={
            "version": obj.version,
            "reason": obj.reason,
            "start_date": obj.start_date,
            "end_date": obj.end_date,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.plan_update(
                actor=request.user,
                plan=obj,
                expected_version=data["version"],
                reason=data["reason"],
                start_date=data["start_date"],
                end_date=data["end_date"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Plan saved."))
            return redirect("improvement:plan", obj.pk)
    return render(request, "improvement/plan_form.html", {"plan": obj, "form": form})


# Each small form on the plan page posts here: (form class, service call).
def _do_goal(request: HttpRequest, obj: ImprovementPlan, d: dict[str, Any]) -> None:
    services.goal_add(
        actor=request.user,
        plan=obj,
        description=d["description"],
        measure=d["measure"],
        due_date=d["due_date"],
        expected_version=d["version"],
    )


def _do_support(request: HttpRequest, obj: ImprovementPlan, d: dict[str, Any]) -> None:
    services.support_add(
        actor=request.user,
        plan=obj,
        kind=d["kind"],
        description=d["description"],
        provided_on=d["provided_on"],
        expected_version=d["version"],
    )


def _do_training(request: HttpRequest, obj: ImprovementPlan, d: dict[str, Any]) -> None:
    services.training_add(
        actor=request.user, plan=obj, course=d["course"], expected_version=d["version"]
    )


def _do_review(request: HttpRequest, obj: ImprovementPlan, d: dict[str, Any]) -> None:
    services.review_schedule(
        actor=request.user,
        plan=obj,
        scheduled_for=d["scheduled_for"],
        expected_version=d["version"],
    )


def _do_log(request: HttpRequest, obj: ImprovementPlan, d: dict[str, Any]) -> None:
    review = get_object_or_404(PlanReview, plan=obj, pk=d["review"])
    services.review_log(
        actor=request.user,
        plan=obj,
        review=review,
        held_on=d["held_on"],
        notes=d["notes"],
        progress=d["progress"],
        expected_version=d["version"],
    )


def _do_close(request: HttpRequest, obj: ImprovementPlan, d: dict[str, Any]) -> None:
    services.plan_close(
        actor=request.user,
        plan=obj,
        outcome=d["outcome"],
        reason=d["reason"],
        new_end_date=d["new_end_date"],
        expected_version=d["version"],
    )


def _do_carry(request: HttpRequest, obj: ImprovementPlan, d: dict[str, Any]) -> None:
    services.plan_carry_goals(
        actor=request.user, plan=obj, next_cycle=d["cycle"], expected_version=d["version"]
    )


def _do_activate(request: HttpRequest, obj: ImprovementPlan, d: dict[str, Any]) -> None:
    services.plan_activate(actor=request.user, plan=obj, expected_version=d["version"])


def _do_acknowledge(request: HttpRequest, obj: ImprovementPlan, d: dict[str, Any]) -> None:
    services.plan_acknowledge(actor=request.user, plan=obj)


ACTIONS: dict[str, tuple[type[forms.Form], Any, Action]] = {
    "goal": (GoalForm, _do_goal, Action.PLAN_MANAGE),
    "support": (SupportForm, _do_support, Action.PLAN_MANAGE),
    "training": (TrainingForm, _do_training, Action.PLAN_MANAGE),
    "review": (ReviewDateForm, _do_review, Action.PLAN_MANAGE),
    "log": (ReviewLogForm, _do_log, Action.PLAN_MANAGE),
    "close": (CloseForm, _do_close, Action.PLAN_MANAGE),
    "carry": (CarryForm, _do_carry, Action.PLAN_MANAGE),
    "activate": (VersionForm, _do_activate, Action.PLAN_MANAGE),
    "acknowledge": (VersionForm, _do_acknowledge, Action.PLAN_ACKNOWLEDGE),
}


@login_required
@require_POST
def plan_action(request: HttpRequest, plan_id: int, name: str) -> HttpResponse:
    if name not in ACTIONS:
        return HttpResponse(status=404)
    form_class, do, action = ACTIONS[name]
    obj = _plan(request, plan_id)
    require(request, action, obj)
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("improvement:plan", obj.pk)
    try:
        do(request, obj, form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("improvement:plan", obj.pk)


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("plans/new/", plan_new, name="plan_new"),
    path("cycles/<int:cycle_id>/propose/", propose, name="propose"),
    path("cycles/<int:cycle_id>/settings/", trigger_settings, name="settings"),
    path("plans/<int:plan_id>/", plan, name="plan"),
    path("plans/<int:plan_id>/edit/", plan_edit, name="plan_edit"),
    path("plans/<int:plan_id>/<slug:name>/", plan_action, name="plan_action"),
]

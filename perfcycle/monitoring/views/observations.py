"""Observation log pages: the log (managers see all, the employee only shared ones),
logging one, one observation with the courses its competency gap suggests (one-click
recommend), and the competency list (HR)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from perfcycle.access.policy import Action, acting_employee, may, scope
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.core.pages import page_of
from perfcycle.cycles.models import Cycle
from perfcycle.monitoring import coaching, observations
from perfcycle.monitoring.models import Competency
from perfcycle.monitoring.views.forms import CompetencyForm, ObservationForm
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal
from perfcycle.planning.views.common import posted, require


def observable_people(user: object) -> object:
    me = acting_employee(user)
    qs = scope(user, Action.OBSERVATION_CREATE, Employee.objects.active(), subject="")
    return qs.exclude(pk=me.pk) if me is not None else qs


@login_required
def observation_list(request: HttpRequest) -> HttpResponse:
    qs = coaching.visible_observations(request.user).order_by("-occurred_on", "-id")
    employee_pk = request.GET.get("employee")
    if employee_pk and employee_pk.isdigit():
        qs = qs.filter(employee_id=employee_pk)
    kind = request.GET.get("kind")
    if kind:
        qs = qs.filter(kind=kind)
    page, query = page_of(request, qs)
    return render(
        request,
        "monitoring/observations.html",
        {
            "rows": list(page.object_list),
            "page": page,
            "query": query,
            "can_create": observable_people(request.user).exists(),
            "can_manage_competencies": may(request.user, Action.COURSE_MANAGE),
            "me": acting_employee(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def observation_create(request: HttpRequest) -> HttpResponse:
    people = observable_people(request.user)
    cycle = Cycle.objects.current()
    employee_pk = request.GET.get("employee")  # a link's: an id
    form = ObservationForm(
        posted(request),
        people=people,
        goals=[],
        initial={"employee": employee_pk, "occurred_on": timezone.localdate()},
    )
    # The goals offered: the chosen person's (as posted: an id, or an employee number
    # when there are too many people to list), else the first 500 of everyone's, read
    # in the order of the (cycle, employee) index rather than sorted whole.
    goals = Goal.objects.none()
    if cycle is not None:
        goals = Goal.objects.filter(employee__in=people, cycle=cycle).order_by("employee_id", "id")
    try:
        if request.method == "POST":
            chosen = form.fields["employee"].clean(request.POST.get("employee"))
        else:
            chosen = people.filter(pk=int(employee_pk)).first() if employee_pk else None
    except (ValidationError, ValueError):
        chosen = None
    if chosen is not None:
        goals = goals.filter(employee=chosen)
    form.offer_goals(list(goals.select_related("employee")[:500]))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        employee = data["employee"]
        require(request, Action.OBSERVATION_CREATE, employee)
        goal = None
        if data["goal_id"]:
            goal = Goal.objects.filter(pk=data["goal_id"], employee=employee).first()
            if goal is None:
                form.add_error(
                    "goal_id", _("The goal is not one of %(name)s's.") % {"name": employee}
                )
        if not form.errors:
            try:
                observation = observations.observation_create(
                    actor=request.user,
                    employee=employee,
                    occurred_on=data["occurred_on"],
                    kind=data["kind"],
                    text=data["text"],
                    goal=goal,
                    competency=data["competency"],
                    visibility=data["visibility"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Observation logged."))
                return redirect("monitoring:observation", pk=observation.pk)
    return render(request, "monitoring/observation_form.html", {"form": form})


@login_required
def observation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    observation = coaching.visible_observations(request.user).filter(pk=pk).first()
    if observation is None:
        raise Http404
    can_recommend = may(request.user, Action.TRAINING_RECOMMEND, observation)
    return render(
        request,
        "monitoring/observation.html",
        {
            "observation": observation,
            "can_recommend": can_recommend,
            "can_share": may(request.user, Action.OBSERVATION_MANAGE, observation)
            and observation.visibility == "private",
            "suggested": coaching.suggested_courses(observation) if can_recommend else [],
            "training": list(
                coaching.visible_training(request.user).filter(observation=observation)
            ),
        },
    )


@login_required
@require_http_methods(["POST"])
def observation_share(request: HttpRequest, pk: int) -> HttpResponse:
    observation = coaching.visible_observations(request.user).filter(pk=pk).first()
    if observation is None:
        raise Http404
    require(request, Action.OBSERVATION_MANAGE, observation)
    observations.observation_update(
        actor=request.user, observation=observation, visibility="shared"
    )
    messages.success(request, _("Shared with the employee."))
    return redirect("monitoring:observation", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def competency_list(request: HttpRequest) -> HttpResponse:
    require(request, Action.COURSE_VIEW)
    can_manage = may(request.user, Action.COURSE_MANAGE)
    form = CompetencyForm(posted(request)) if can_manage else None
    if request.method == "POST":
        require(request, Action.COURSE_MANAGE)
        assert form is not None
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                observations.competency_create(
                    actor=request.user, code=data.pop("code"), name=data.pop("name"), **data
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Competency added."))
                return redirect("monitoring:competencies")
    return render(
        request,
        "monitoring/competencies.html",
        {"competencies": Competency.objects.order_by("name"), "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def competency_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Action.COURSE_MANAGE)
    competency = Competency.objects.filter(pk=pk).first()
    if competency is None:
        raise Http404
    initial = {f: getattr(competency, f) for f in observations.COMPETENCY_FIELDS}
    form = CompetencyForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if getattr(competency, k) != v}
        try:
            observations.competency_update(actor=request.user, competency=competency, **changes)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Competency saved."))
            return redirect("monitoring:competencies")
    return render(
        request, "monitoring/competency_form.html", {"form": form, "competency": competency}
    )

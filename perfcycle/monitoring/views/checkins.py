"""Check-in pages: the list (mine and my team's), schedule, request, one check-in with
its agenda, notes, goals, action items (and those carried over), and its steps."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.access.policy import Action, acting_employee, get_visible_or_404, may, scope
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.core.pages import page_of
from perfcycle.cycles.models import Cycle
from perfcycle.monitoring import checkins, coaching
from perfcycle.monitoring.models import CheckIn, Course
from perfcycle.monitoring.views.forms import (
    ActionItemForm,
    ConfirmForm,
    GoalNoteForm,
    NotesForm,
    PrivateNotesForm,
    RecommendForm,
    RequestForm,
    ScheduleForm,
    TopicForm,
)
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal
from perfcycle.planning.views.common import posted, require


def schedulable_people(user: Any) -> Any:
    """The people ``user`` may hold check-ins with as their manager (or HR)."""
    me = acting_employee(user)
    qs = scope(user, Action.CHECKIN_SCHEDULE, Employee.objects.active(), subject="")
    return qs.exclude(pk=me.pk) if me is not None else qs


@login_required
def checkin_list(request: HttpRequest) -> HttpResponse:
    me = acting_employee(request.user)
    qs = coaching.visible_checkins(request.user).order_by("-scheduled_for", "-id")
    show = request.GET.get("show", "open")
    if show == "open":
        qs = qs.filter(status__in=checkins.OPEN_STATUSES)
    elif show == "past":
        qs = qs.exclude(status__in=checkins.OPEN_STATUSES)
    page, query = page_of(request, qs)
    return render(
        request,
        "monitoring/checkins.html",
        {
            "rows": list(page.object_list),
            "page": page,
            "query": query,
            "show": show,
            "me": me,
            "can_schedule": schedulable_people(request.user).exists(),
            "can_request": me is not None and me.manager_id is not None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkin_schedule(request: HttpRequest) -> HttpResponse:
    people = schedulable_people(request.user)
    initial = {"employee": request.GET.get("employee")}
    form = ScheduleForm(posted(request), people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        employee = form.cleaned_data["employee"]
        require(request, Action.CHECKIN_SCHEDULE, employee)
        try:
            checkin = checkins.checkin_schedule(
                actor=request.user,
                employee=employee,
                scheduled_for=form.cleaned_data["scheduled_for"],
                cycle=Cycle.objects.current(),
                agenda=form.topics(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Check-in scheduled."))
            return redirect("monitoring:checkin", pk=checkin.pk)
    return render(
        request, "monitoring/checkin_form.html", {"form": form, "title": _("Schedule a check-in")}
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkin_request(request: HttpRequest) -> HttpResponse:
    me = acting_employee(request.user)
    if me is None:
        raise Http404
    require(request, Action.CHECKIN_REQUEST, me)
    form = RequestForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            checkin = checkins.checkin_request(
                actor=request.user,
                employee=me,
                proposed_for=form.cleaned_data["proposed_for"],
                topic=form.cleaned_data["topic"],
                cycle=Cycle.objects.current(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Check-in requested: your manager will confirm a time."))
            return redirect("monitoring:checkin", pk=checkin.pk)
    return render(
        request, "monitoring/checkin_form.html", {"form": form, "title": _("Ask for a check-in")}
    )


def _checkin(request: HttpRequest, pk: int) -> CheckIn:
    return get_visible_or_404(
        request.user,
        Action.CHECKIN_VIEW,
        coaching.checkin_details(coaching.visible_checkins(request.user)),
        pk=pk,
    )


def _page(request: HttpRequest, checkin: CheckIn, **forms: Any) -> HttpResponse:
    user = request.user
    private = may(user, Action.CHECKIN_PRIVATE_NOTES, checkin)
    manages = may(user, Action.CHECKIN_SCHEDULE, checkin)
    notes_class = PrivateNotesForm if private else NotesForm
    notes_initial = {"version": checkin.version, "shared_notes": checkin.shared_notes}
    if private:
        notes_initial["private_notes"] = checkin.private_notes
    notes = {n.goal_id: n for n in checkin.goal_notes.all()}
    cycle = checkin.cycle or Cycle.objects.current()
    goals = [
        (g, notes.get(g.pk))
        for g in Goal.objects.filter(employee=checkin.employee, cycle=cycle).order_by("id")
    ]
    owners = [checkin.employee, checkin.manager]
    context = {
        "checkin": checkin,
        "is_open": checkin.status in checkins.OPEN_STATUSES,
        "can_contribute": may(user, Action.CHECKIN_CONTRIBUTE, checkin),
        "can_manage": manages,
        "can_observe": may(user, Action.OBSERVATION_CREATE, checkin),
        "show_private": private,
        "goals": goals,
        "items": list(checkin.action_items.all()),
        "carried_over": list(
            coaching.open_action_items(
                employee=checkin.employee, manager=checkin.manager, exclude_checkin=checkin
            )
        ),
        "training": list(coaching.visible_training(user).filter(checkin=checkin)),
        "topic_form": forms.get("topic_form") or TopicForm(),
        "notes_form": forms.get("notes_form") or notes_class(initial=notes_initial),
        "item_form": forms.get("item_form") or ActionItemForm(owners=owners),
        "confirm_form": forms.get("confirm_form")
        or ConfirmForm(initial={"scheduled_for": checkin.scheduled_for}),
        "recommend_form": RecommendForm(
            people=Employee.objects.filter(pk=checkin.employee_id),
            initial={"employee": checkin.employee_id, "checkin": checkin.pk},
        )
        if manages and may(user, Action.TRAINING_RECOMMEND, checkin) and Course.objects.exists()
        else None,
    }
    return render(request, "monitoring/checkin.html", context)


@login_required
def checkin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _checkin(request, pk))


@login_required
@require_POST
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    checkin = _checkin(request, pk)
    require(request, Action.CHECKIN_CONTRIBUTE, checkin)
    form = TopicForm(request.POST)
    if form.is_valid():
        try:
            checkins.agenda_item_add(
                actor=request.user, checkin=checkin, text=form.cleaned_data["text"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("monitoring:checkin", pk=pk)
    return _page(request, checkin, topic_form=form)


@login_required
@require_POST
def notes_save(request: HttpRequest, pk: int) -> HttpResponse:
    checkin = _checkin(request, pk)
    require(request, Action.CHECKIN_CONTRIBUTE, checkin)
    private = may(request.user, Action.CHECKIN_PRIVATE_NOTES, checkin)
    form = (PrivateNotesForm if private else NotesForm)(request.POST)
    if form.is_valid():
        try:
            checkins.checkin_update_notes(
                actor=request.user,
                checkin=checkin,
                shared_notes=form.cleaned_data["shared_notes"],
                private_notes=form.cleaned_data.get("private_notes") if private else None,
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Notes saved."))
            return redirect("monitoring:checkin", pk=pk)
    return _page(request, checkin, notes_form=form)


@login_required
@require_POST
def goal_note_save(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    checkin = _checkin(request, pk)
    require(request, Action.CHECKIN_CONTRIBUTE, checkin)
    goal = Goal.objects.filter(pk=goal_pk, employee=checkin.employee).first()
    if goal is None:
        raise Http404
    form = GoalNoteForm(request.POST)
    if form.is_valid():
        try:
            checkins.goal_checkin_record(
                actor=request.user,
                checkin=checkin,
                goal=goal,
                comment=form.cleaned_data["comment"],
                confidence=form.cleaned_data["confidence"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Confidence lies between 0 and 10."))
    return redirect("monitoring:checkin", pk=pk)


@login_required
@require_POST
def action_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    checkin = _checkin(request, pk)
    require(request, Action.CHECKIN_CONTRIBUTE, checkin)
    form = ActionItemForm(request.POST, owners=[checkin.employee, checkin.manager])
    if form.is_valid():
        try:
            checkins.action_item_create(
                actor=request.user,
                checkin=checkin,
                text=form.cleaned_data["text"],
                owner=form.cleaned_data["owner"],
                due_date=form.cleaned_data["due_date"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("monitoring:checkin", pk=pk)
    return _page(request, checkin, item_form=form)


@login_required
@require_POST
def action_item_done(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_visible_or_404(
        request.user, Action.CHECKIN_VIEW, coaching.visible_action_items(request.user), pk=pk
    )
    require(request, Action.CHECKIN_CONTRIBUTE, item)
    checkins.action_item_set_done(
        actor=request.user, item=item, done=request.POST.get("done", "1") == "1"
    )
    back = request.POST.get("checkin") or item.checkin_id
    if back:
        return redirect("monitoring:checkin", pk=back)
    return redirect("monitoring:checkins")


def _step(request: HttpRequest, pk: int, action: Action, run: Any, done: str) -> HttpResponse:
    checkin = _checkin(request, pk)
    require(request, action, checkin)
    try:
        run(checkin)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("monitoring:checkin", pk=pk)


@login_required
@require_POST
def checkin_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        checkin = _checkin(request, pk)
        require(request, Action.CHECKIN_SCHEDULE, checkin)
        return _page(request, checkin, confirm_form=form)
    return _step(
        request,
        pk,
        Action.CHECKIN_SCHEDULE,
        lambda c: checkins.checkin_confirm(
            actor=request.user, checkin=c, scheduled_for=form.cleaned_data["scheduled_for"]
        ),
        _("Time confirmed."),
    )


@login_required
@require_POST
def checkin_held(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        Action.CHECKIN_SCHEDULE,
        lambda c: checkins.checkin_mark_held(actor=request.user, checkin=c),
        _("Marked as held."),
    )


@login_required
@require_POST
def checkin_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        Action.CHECKIN_CONTRIBUTE,
        lambda c: checkins.checkin_cancel(actor=request.user, checkin=c),
        _("Check-in cancelled."),
    )

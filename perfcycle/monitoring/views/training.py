"""Training pages: mine and my team's training with status steps, the course catalogue
(HR manages it) and recommending a course (from an observation, a check-in or here)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from perfcycle.access.policy import Action, acting_employee, get_visible_or_404, may, scope
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.core.pages import page_of
from perfcycle.monitoring import coaching, training
from perfcycle.monitoring.models import Course, TrainingStatus
from perfcycle.monitoring.views.forms import CourseForm, RecommendForm, TrainingStatusForm
from perfcycle.org.models import Employee
from perfcycle.planning.views.common import posted, require


def recommendable_people(user: object) -> object:
    me = acting_employee(user)
    qs = scope(user, Action.TRAINING_RECOMMEND, Employee.objects.active(), subject="")
    return qs.exclude(pk=me.pk) if me is not None else qs


@login_required
def training_list(request: HttpRequest) -> HttpResponse:
    me = acting_employee(request.user)
    qs = coaching.visible_training(request.user).order_by("status", "-created_at", "-id")
    show = request.GET.get("show", "")
    if show == "open":
        qs = qs.exclude(status=TrainingStatus.COMPLETED)
    people = recommendable_people(request.user)
    page, query = page_of(request, qs)
    return render(
        request,
        "monitoring/training.html",
        {
            "rows": list(page.object_list),
            "page": page,
            "query": query,
            "me": me,
            "recommend_form": RecommendForm(people=people)
            if people.exists() and Course.objects.filter(is_active=True).exists()
            else None,
        },
    )


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@login_required
@require_POST
def training_recommend(request: HttpRequest) -> HttpResponse:
    form = RecommendForm(request.POST, people=recommendable_people(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return _back(request, "monitoring:training")
    data = form.cleaned_data
    require(request, Action.TRAINING_RECOMMEND, data["employee"])
    observation = None
    if data["observation"]:
        observation = (
            coaching.visible_observations(request.user).filter(pk=data["observation"]).first()
        )
        if observation is None:
            raise Http404
    checkin = None
    if data["checkin"]:
        checkin = coaching.visible_checkins(request.user).filter(pk=data["checkin"]).first()
        if checkin is None:
            raise Http404
    try:
        training.training_recommend(
            actor=request.user,
            employee=data["employee"],
            course=data["course"],
            reason=data["reason"],
            observation=observation,
            checkin=checkin,
            due_date=data["due_date"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("“%(course)s” recommended to %(name)s.")
            % {"course": data["course"].title, "name": data["employee"].name},
        )
    return _back(request, "monitoring:training")


@login_required
@require_POST
def training_status(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_visible_or_404(
        request.user, Action.TRAINING_VIEW, coaching.visible_training(request.user), pk=pk
    )
    require(request, Action.TRAINING_UPDATE, assignment)
    form = TrainingStatusForm(request.POST)
    if form.is_valid():
        try:
            training.training_set_status(
                actor=request.user,
                assignment=assignment,
                status=form.cleaned_data["status"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Training updated."))
    return _back(request, "monitoring:training")


@login_required
def course_list(request: HttpRequest) -> HttpResponse:
    require(request, Action.COURSE_VIEW)
    courses = Course.objects.prefetch_related("competencies").order_by("-is_active", "title")
    competency = request.GET.get("competency")
    if competency and competency.isdigit():
        courses = courses.filter(competencies=competency)
    return render(
        request,
        "monitoring/courses.html",
        {"courses": courses, "can_manage": may(request.user, Action.COURSE_MANAGE)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require(request, Action.COURSE_MANAGE)
    course = Course.objects.filter(pk=pk).first() if pk is not None else None
    if pk is not None and course is None:
        raise Http404
    initial = {}
    if course is not None:
        initial = {f: getattr(course, f) for f in training.COURSE_FIELDS}
        initial["competencies"] = list(course.competencies.all())
    form = CourseForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            if course is None:
                training.course_create(
                    actor=request.user, code=values.pop("code"), title=values.pop("title"), **values
                )
            else:
                competencies = values.pop("competencies")
                changes = {k: v for k, v in values.items() if getattr(course, k) != v}
                training.course_update(
                    actor=request.user, course=course, competencies=competencies, **changes
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Course saved."))
            return redirect("monitoring:courses")
    return render(request, "monitoring/course_form.html", {"form": form, "course": course})

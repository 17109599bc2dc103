"""Feedback and praise pages: the wall of public praise with the give form, and a
person's received feedback, each filtered by what the viewer may see."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from perfcycle.access.policy import Action, acting_employee
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.monitoring import coaching, observations
from perfcycle.monitoring.views.forms import FeedbackForm
from perfcycle.org.models import Employee
from perfcycle.planning.views.common import posted, require

WALL_SIZE = 100


def _colleagues(request: HttpRequest) -> object:
    me = acting_employee(request.user)
    qs = Employee.objects.active().order_by("name")
    return qs.exclude(pk=me.pk) if me is not None else qs


@login_required
@require_http_methods(["GET", "POST"])
def wall(request: HttpRequest) -> HttpResponse:
    me = acting_employee(request.user)
    form = (
        FeedbackForm(
            posted(request),
            people=_colleagues(request),
            initial={"receiver": request.GET.get("to")},
        )
        if me is not None
        else None
    )
    if request.method == "POST":
        require(request, Action.FEEDBACK_GIVE)
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                observations.feedback_give(
                    actor=request.user,
                    receiver=data["receiver"],
                    text=data["text"],
                    visibility=data["visibility"],
                    kind=data["kind"],
                    competency=data["competency"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Thank you: your feedback was sent."))
                return redirect("monitoring:feedback")
    return render(
        request,
        "monitoring/feedback_wall.html",
        {"rows": list(coaching.praise_wall(request.user)[:WALL_SIZE]), "form": form, "me": me},
    )


@login_required
def person_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    person = Employee.objects.filter(pk=pk).first()
    if person is None:
        raise Http404
    return render(
        request,
        "monitoring/feedback_person.html",
        {
            "person": person,
            "rows": list(coaching.received_feedback(request.user, person)[:WALL_SIZE]),
            "me": acting_employee(request.user),
        },
    )

"""The inbox: one's own notifications, newest first; open (marks read), mark read, mark
all read. Someone else's notification answers 404. Also the one-click reminder of late
reviewers that the review progress dashboard posts to."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from perfcycle.access.policy import Action, get_visible_or_404, require
from perfcycle.core.errors import NotFound
from perfcycle.cycles.models import Cycle
from perfcycle.notifications import reviews, selectors, services
from perfcycle.notifications.models import Notification

PAGE_SIZE = 30


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    items = selectors.notifications_for(user=request.user, unread_only=unread_only)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread_only": unread_only, "query": "unread=1" if unread_only else ""},
    )


def _mark(request: HttpRequest, pk: int) -> Notification:
    try:
        return services.notification_mark_read(user=request.user, notification_id=pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    _mark(request, pk)
    return redirect("notifications:inbox")


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read and go to the page the notification is about."""
    notification = _mark(request, pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications marked read."))
    return redirect("notifications:inbox")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_POST
def remind_reviewers(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    """Remind the late reviewers of a cycle (all the user may follow, or those of one
    department, reviewer, reviewee or of the posted ``form`` ids); back to ``next``."""
    require(request, Action.REVIEW_REMIND)
    cycle = get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=cycle_pk)
    form_ids = [pk for pk in (_int(v) for v in request.POST.getlist("form")) if pk is not None]
    outcome = reviews.review_reminders_send(
        actor=request.user,
        cycle=cycle,
        department_id=_int(request.POST.get("department")),
        form_ids=form_ids or None,
        reviewer_id=_int(request.POST.get("reviewer")),
        reviewee_id=_int(request.POST.get("reviewee")),
    )
    if outcome.reminded:
        messages.success(
            request,
            ngettext(
                "%(count)s reviewer reminded.", "%(count)s reviewers reminded.", outcome.reminded
            )
            % {"count": outcome.reminded},
        )
    if outcome.already:
        messages.info(
            request,
            ngettext(
                "%(count)s reviewer had already been reminded today.",
                "%(count)s reviewers had already been reminded today.",
                outcome.already,
            )
            % {"count": outcome.already},
        )
    if not outcome.reviewers:
        messages.info(request, _("Nobody to remind: no late reviews here."))
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return redirect(target)
    return redirect("evaluation:progress", cycle_pk=cycle.pk)

"""Calibration session pages: the cycle's sessions (HR creates them; calibrators see
theirs), one session with its people, live distribution and adjustments, inline grade
and potential changes with a reason, lock / unlock / sign-off, and the 9-box."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from perfcycle.access.policy import Action, get_visible_or_404, is_hr, may, require
from perfcycle.calibration import distribution, sessions
from perfcycle.calibration.models import (
    CalibrationSession,
    Potential,
    Result,
    SessionScope,
    SessionStatus,
)
from perfcycle.calibration.views import session_rows
from perfcycle.charts import svg
from perfcycle.core.errors import Conflict, DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.cycles.models import Cycle
from perfcycle.org.fields import DepartmentField, PeopleField
from perfcycle.org.models import Department, Employee


class SessionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    scope = forms.ChoiceField(label=gettext_lazy("Scope"), choices=SessionScope.choices)
    department = DepartmentField(
        label=gettext_lazy("Department (with its sub-departments)"),
        queryset=Department.objects.order_by("path"),
        required=False,
    )
    level = forms.CharField(label=gettext_lazy("Job level"), max_length=32, required=False)
    calibrators = PeopleField(
        label=gettext_lazy("Calibrators"),
        queryset=Employee.objects.active().order_by("name"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=gettext_lazy("They see and adjust the people in this session."),
    )


def _cycle(request: HttpRequest, pk: int) -> Cycle:
    return get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects.all(), pk=pk)


def _session(request: HttpRequest, pk: int) -> CalibrationSession:
    return get_visible_or_404(request.user, Action.SESSION_VIEW, sessions.session_queryset(), pk=pk)


@login_required
def session_list(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    may_manage = may(request.user, Action.SESSION_MANAGE)
    found = list(sessions.sessions_for(request.user, cycle))
    if not may_manage and not found:
        raise Http404
    form = SessionForm(request.POST or None) if may_manage else None
    status = 200
    if request.method == "POST":
        require(request, Action.SESSION_MANAGE)
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = sessions.session_create(
                    actor=request.user,
                    cycle=cycle,
                    name=data["name"],
                    scope=data["scope"],
                    department=data["department"],
                    level=data["level"],
                    calibrators=data["calibrators"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Session “%(name)s” created.") % {"name": session.name})
                return redirect("calibration:session", pk=session.pk)
        status = 400
    return render(
        request,
        "calibration/sessions.html",
        {"cycle": cycle, "sessions": found, "form": form, "may_manage": may_manage},
        status=status,
    )


def _distribution_rows(check: distribution.DistributionCheck) -> list[dict[str, Any]]:
    return [
        {
            "row": row,
            "bar": svg.progress_bar(
                row.share, label=f"{row.code}: {row.count}", width=160, height=12
            ),
        }
        for row in check.rows
    ]


def _session_page(
    request: HttpRequest,
    session: CalibrationSession,
    *,
    change_error: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    results = list(sessions.session_results(session))
    check = sessions.session_distribution(session, [r.grade for r in results])
    notes = sessions.rater_notes(session, viewer=request.user)
    is_open = session.status == SessionStatus.OPEN
    may_adjust = is_open and may(request.user, Action.SESSION_ADJUST, session)
    codes = [row.code for row in check.rows]
    return render(
        request,
        "calibration/session.html",
        {
            "session": session,
            "cycle": session.cycle,
            "people_rows": session_rows.people_rows(
                request,
                session,
                [(r, notes.get(r.employee_id, [])) for r in results],
                may_adjust=may_adjust,
                codes=codes,
                potentials=Potential.choices,
                change_error=change_error,
            ),
            "check": check,
            "distribution_rows": _distribution_rows(check),
            "off_text": sessions.off_guideline_text(check),
            "adjustments": sessions.session_adjustments(session, results),
            "may_adjust": may_adjust,
            "may_manage": may(request.user, Action.SESSION_MANAGE),
            "may_sign_off": session.status == SessionStatus.LOCKED
            and may(request.user, Action.SESSION_SIGN_OFF, session),
            "is_hr": is_hr(request.user),
            "change_error": change_error,
            "min_reason": sessions.MIN_REASON,
        },
        status=status,
    )


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _session_page(request, _session(request, pk))


def _change(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    session = _session(request, pk)
    require(request, Action.SESSION_ADJUST, session)
    result_id = request.POST.get("result", "")
    if not result_id.isdigit():
        raise Http404
    result = (
        Result.objects.filter(sessionmember__session=session)
        .select_related("employee")
        .filter(pk=int(result_id))
        .first()
    )
    if result is None:
        raise Http404
    value = request.POST.get(what, "")
    reason = request.POST.get("reason", "")
    version = request.POST.get("version", "")
    try:
        service = sessions.grade_adjust if what == sessions.GRADE else sessions.potential_set
        service(
            actor=request.user,
            session=session,
            result=result,
            reason=reason,
            # A post without the version it was read at cannot show it is current: it is
            # refused as stale (no result has version 0).
            expected_version=int(version) if version.isdigit() else 0,
            **{what: value},
        )
    except Conflict:
        result.refresh_from_db()
        current = getattr(result, what) or "—"
        if what == sessions.POTENTIAL and result.potential:
            current = result.get_potential_display()
        message = _(
            "Somebody else changed %(name)s in the meantime: the %(what)s is now %(value)s. "
            "Check it and make your change again if it is still needed."
        ) % {
            "name": result.employee.name,
            "what": _("grade") if what == sessions.GRADE else _("potential"),
            "value": current,
        }
        error = {"result_id": result.pk, "message": message, what: value, "reason": reason}
        return _session_page(request, session, change_error=error, status=409)
    except DomainError as exc:
        error = {"result_id": result.pk, "message": exc.message, what: value, "reason": reason}
        return _session_page(request, session, change_error=error, status=exc.status)
    if what == sessions.GRADE:
        text = _("%(name)s: grade changed to %(value)s.")
    else:
        text = _("%(name)s: potential set to %(value)s.")
    display = value if what == sessions.GRADE else Potential(value).label
    messages.success(request, text % {"name": result.employee.name, "value": display})
    return redirect(f"{session_url(session)}#result-{result.pk}")


def session_url(session: CalibrationSession) -> str:
    return reverse("calibration:session", kwargs={"pk": session.pk})


@login_required
@require_POST
def session_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(request, pk, sessions.GRADE)


@login_required
@require_POST
def session_potential(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(request, pk, sessions.POTENTIAL)


def _status_change(request: HttpRequest, pk: int, action: Action, done: str) -> HttpResponse:
    session = _session(request, pk)
    require(request, action, session)
    try:
        if action is Action.SESSION_SIGN_OFF:
            sessions.session_sign_off(actor=request.user, session=session)
        else:
            sessions.session_lock(actor=request.user, session=session)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("calibration:session", pk=session.pk)


@login_required
@require_POST
def session_lock(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_change(
        request, pk, Action.SESSION_MANAGE, _("The session is locked: no more changes.")
    )


@login_required
@require_POST
def session_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    require(request, Action.SESSION_MANAGE, session)
    try:
        sessions.session_unlock(
            actor=request.user, session=session, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The session is open again."))
    return redirect("calibration:session", pk=session.pk)


@login_required
@require_POST
def session_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, pk, Action.SESSION_SIGN_OFF, _("The session is signed off."))


@login_required
def session_ninebox(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    grid = sessions.ninebox(session)
    return render(
        request,
        "calibration/ninebox.html",
        {
            "session": session,
            "cycle": session.cycle,
            "grid": grid,
            "chart": svg.ninebox_grid(
                [[(box.kind.label, len(box.people)) for box in row] for row in grid.rows],
                label=_("9-box: performance × potential"),
                x_label=_("Performance"),
                y_label=_("Potential"),
                levels=(_("low"), _("medium"), _("high")),
            ),
            "levels_by_grade": [(code, level) for code, level in grid.levels.items()],
        },
    )


urlpatterns: list[URLPattern] = [
    path("cycles/<int:cycle_pk>/sessions/", session_list, name="sessions"),
    path("sessions/<int:pk>/", session_detail, name="session"),
    path("sessions/<int:pk>/adjust/", session_adjust, name="session_adjust"),
    path("sessions/<int:pk>/potential/", session_potential, name="session_potential"),
    path("sessions/<int:pk>/lock/", session_lock, name="session_lock"),
    path("sessions/<int:pk>/unlock/", session_unlock, name="session_unlock"),
    path("sessions/<int:pk>/sign-off/", session_sign_off, name="session_sign_off"),
    path("sessions/<int:pk>/ninebox/", session_ninebox, name="session_ninebox"),
]

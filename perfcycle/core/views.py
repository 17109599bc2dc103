"""The home page: what the signed-in person needs to see first, by role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from perfcycle.access.policy import Role, acting_employee, roles
from perfcycle.audit.models import AuditEvent
from perfcycle.org.models import Employee
from perfcycle.org.selectors import company_summary


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user_roles = roles(request.user)
    me = acting_employee(request.user)
    context = {
        "me": me,
        "is_hr": Role.HR_ADMIN in user_roles,
        "is_manager": Role.MANAGER in user_roles,
    }
    if me is not None:
        context["reports"] = (
            Employee.objects.active()
            .direct_reports(me)
            .select_related("department")
            .order_by("name")
        )
        context["team_size"] = Employee.objects.active().subtree(me).count()
    if context["is_hr"]:
        context["summary"] = company_summary()
        context["recent_events"] = AuditEvent.objects.all()[:8]
    return render(request, "core/home.html", context)

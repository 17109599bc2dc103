"""Personal data pages: a person downloads their own data (Preferences → My data); HR
exports anyone's and erases a departed person's from the employee's page. Thin: the
policy decides, the services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from perfcycle.access.policy import Action, acting_employee, get_visible_or_404, require
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.org.models import Employee
from perfcycle.privacy import services
from perfcycle.privacy.forms import EraseForm
from perfcycle.privacy.selectors import SECTIONS


def zip_response(data: bytes, filename: str) -> HttpResponse:
    """A personal-data archive: an attachment no cache may keep."""
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, no_store=True, private=True)
    return response


def _employee(request: HttpRequest, pk: int) -> Employee:
    return get_visible_or_404(
        request.user, Action.EMPLOYEE_VIEW, Employee.objects.select_related("user"), pk=pk
    )


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy/mine.html",
        {"employee": acting_employee(request.user), "sections": SECTIONS},
    )


@login_required
def my_data_download(request: HttpRequest) -> HttpResponse:
    me = acting_employee(request.user)
    if me is None:
        raise Http404
    require(request, Action.PERSONAL_DATA_EXPORT, me)
    data = services.personal_data_export(actor=request.user, employee=me)
    return zip_response(data, services.export_filename(me))


@login_required
def employee_export(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _employee(request, pk)
    require(request, Action.PERSONAL_DATA_EXPORT, employee)
    data = services.personal_data_export(actor=request.user, employee=employee)
    return zip_response(data, services.export_filename(employee))


@login_required
@require_http_methods(["GET", "POST"])
def employee_erase(request: HttpRequest, pk: int) -> HttpResponse:
    employee = _employee(request, pk)
    require(request, Action.PERSONAL_DATA_ERASE, employee)
    form = EraseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.personal_data_erase(
                    actor=request.user, employee=employee, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The personal data is erased."))
                return redirect("org:employee", pk=employee.pk)
        status = 400
    return render(
        request,
        "privacy/erase.html",
        {
            "employee": employee,
            "form": form,
            "erasable": not employee.is_active and not services.is_erased(employee),
            "already": services.is_erased(employee),
        },
        status=status,
    )

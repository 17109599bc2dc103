"""HR's pay on record pages: everyone's pay (searchable, the missing shown as missing),
one person's form, and the two-step import (dry-run preview, then apply)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from perfcycle.access.policy import Action, get_visible_or_404, require
from perfcycle.core.errors import Conflict, DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.imports.models import ImportFile, ImportStatus
from perfcycle.imports.services import Runner, import_file_apply, import_file_check
from perfcycle.org.models import Employee
from perfcycle.rewards import imports, selectors, services
from perfcycle.rewards.forms import CompensationForm, PayImportForm
from perfcycle.rewards.models import Compensation

PAGE_SIZE = 50


@login_required
def pay(request: HttpRequest) -> HttpResponse:
    require(request, Action.COMPENSATION_MANAGE)
    search = request.GET.get("q", "")
    missing = request.GET.get("missing") == "1"
    page = Paginator(selectors.pay_records(search, missing_only=missing), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for person in page:
        person.pay = selectors.pay_of(person)
    query = urlencode({k: v for k, v in (("q", search), ("missing", "1" if missing else "")) if v})
    return render(
        request,
        "rewards/pay.html",
        {"page": page, "search": search, "missing": missing, "query": query},
    )


@login_required
def pay_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Action.COMPENSATION_MANAGE)
    employee = get_visible_or_404(
        request.user, Action.EMPLOYEE_VIEW, Employee.objects.select_related("department"), pk=pk
    )
    comp = Compensation.objects.filter(employee=employee).first()
    form = CompensationForm(request.POST or None, initial=CompensationForm.initial_for(comp))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.compensation_set(
                actor=request.user,
                employee=employee,
                base_monthly=data["base_monthly"],
                target_bonus_amount=data["target_bonus_amount"],
                target_bonus_months=data["target_bonus_months"],
                currency=data["currency"],
                expected_version=data["version"] if comp is not None else None,
            )
        except Conflict as exc:
            form.add_error(None, exc.message)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Pay of %(name)s saved.") % {"name": employee.name})
            return redirect("rewards:pay")
    return render(
        request, "rewards/pay_edit.html", {"employee": employee, "form": form, "comp": comp}
    )


def _runner(request: HttpRequest) -> Runner:
    def run(data: bytes, filename: str, dry_run: bool) -> Any:
        return imports.compensation_import(
            actor=request.user, data=data, filename=filename, dry_run=dry_run
        )

    return run


@login_required
@require_http_methods(["GET", "POST"])
def pay_import(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file; it is checked in a dry run and kept for confirmation."""
    require(request, Action.COMPENSATION_MANAGE)
    form = PayImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        stored = import_file_check(
            actor=request.user,
            kind=imports.KIND,
            filename=upload.name,
            data=upload.read(),
            run=_runner(request),
        )
        return redirect("rewards:pay_import_preview", pk=stored.pk)
    recent = ImportFile.objects.filter(uploaded_by=request.user, kind=imports.KIND).defer(
        "content"
    )[:10]
    return render(request, "rewards/pay_import.html", {"form": form, "recent": recent})


@login_required
@require_http_methods(["GET", "POST"])
def pay_import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: what the file would change, or every bad row; then confirm."""
    require(request, Action.COMPENSATION_MANAGE)
    stored = get_object_or_404(ImportFile, pk=pk, uploaded_by=request.user, kind=imports.KIND)
    if request.method == "POST" and stored.status == ImportStatus.PREVIEWED:
        try:
            report = import_file_apply(stored=stored, run=_runner(request))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                % {
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                },
            )
        return redirect("rewards:pay_import_preview", pk=stored.pk)
    return render(
        request, "rewards/pay_import_preview.html", {"stored": stored, "report": stored.report}
    )


urlpatterns: list[URLPattern] = [
    path("pay/", pay, name="pay"),
    path("pay/<int:pk>/", pay_edit, name="pay_edit"),
    path("pay/import/", pay_import, name="pay_import"),
    path("pay/import/<int:pk>/", pay_import_preview, name="pay_import_preview"),
]

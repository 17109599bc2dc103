"""Organisation pages: org chart, departments, employees, imports (HR)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from perfcycle.access.policy import Action, get_visible_or_404, may, require
from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import DomainError
from perfcycle.core.forms import add_domain_error
from perfcycle.core.pages import page_of
from perfcycle.imports.models import ImportFile, ImportStatus
from perfcycle.imports.services import Runner, import_file_apply, import_file_check
from perfcycle.org import imports, selectors, services
from perfcycle.org.fields import DepartmentField
from perfcycle.org.forms import DepartmentForm, EmployeeForm, ImportForm, LoginForm
from perfcycle.org.models import Department, Employee, EmployeeStatus

PAGE_SIZE = 50


@login_required
def org_chart(request: HttpRequest) -> HttpResponse:
    require(request, Action.ORG_CHART_VIEW)
    return render(
        request,
        "org/chart.html",
        {
            "tree": selectors.department_tree(),
            "can_edit": may(request.user, Action.DEPARTMENT_CREATE),
        },
    )


@login_required
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_visible_or_404(
        request.user,
        Action.DEPARTMENT_VIEW,
        Department.objects.select_related("head", "parent"),
        pk=pk,
    )
    members = (
        Employee.objects.active()
        .filter(department=department)
        .select_related("manager")
        .with_report_counts()
        .order_by("name")
    )
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "org/department_detail.html",
        {
            "department": department,
            "chain": selectors.department_chain(department),
            "children": department.children.order_by("name"),
            "page": page,
            "visible_ids": set(
                selectors.employee_list(user=request.user)
                .filter(pk__in=[m.pk for m in page.object_list])
                .values_list("pk", flat=True)
            ),
            "can_edit": may(request.user, Action.DEPARTMENT_CHANGE, department),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    department = None
    if pk is not None:
        department = get_visible_or_404(
            request.user, Action.DEPARTMENT_VIEW, Department.objects, pk=pk
        )
        require(request, Action.DEPARTMENT_CHANGE, department)
    else:
        require(request, Action.DEPARTMENT_CREATE)
    form = DepartmentForm(request.POST or None, instance=department)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if department is None:
                department = services.department_create(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    parent=data["parent"],
                    head=data["head"],
                )
                messages.success(request, _("Department created."))
            else:
                services.department_update(
                    actor=request.user,
                    department=department,
                    expected_version=data["version"],
                    code=data["code"],
                    name=data["name"],
                    parent=data["parent"],
                    head=data["head"],
                )
                messages.success(request, _("Department saved."))
            return redirect("org:department", pk=department.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "org/department_form.html", {"form": form, "department": department})


class DepartmentFilter(forms.Form):
    department = DepartmentField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.order_by("path"),
        required=False,
        empty_label=gettext_lazy("All"),
    )


@login_required
def employee_list(request: HttpRequest) -> HttpResponse:
    require(request, Action.EMPLOYEE_LIST)
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", EmployeeStatus.ACTIVE)
    if status not in {"", *EmployeeStatus.values}:
        status = EmployeeStatus.ACTIVE
    # A list of departments, or beyond DepartmentField's limit a box for the code.
    filters = DepartmentFilter(request.GET or None)
    department = filters.cleaned_data["department"] if filters.is_valid() else None
    qs = selectors.employee_list(
        user=request.user, search=search, department=department, status=status
    )
    page, query = page_of(request, qs, PAGE_SIZE)
    return render(
        request,
        "org/employee_list.html",
        {
            "page": page,
            "query": query,
            "search": search,
            "status": status,
            "department": department,
            "filters": filters,
            "statuses": EmployeeStatus.choices,
            "can_create": may(request.user, Action.EMPLOYEE_CREATE),
        },
    )


@login_required
def employee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    employee = get_visible_or_404(
        request.user,
        Action.EMPLOYEE_VIEW,
        Employee.objects.select_related("department", "manager", "user"),
        pk=pk,
    )
    can_edit = may(request.user, Action.EMPLOYEE_CHANGE, employee)
    history = AuditEvent.objects.for_object(employee)[:20] if can_edit else []
    chain = selectors.manager_chain(employee)
    return render(
        request,
        "org/employee_detail.html",
        {
            "employee": employee,
            "chain": chain,
            # Managers above the viewer are named but not linked: their pages would be 404.
            "visible_ids": {m.pk for m in chain if may(request.user, Action.EMPLOYEE_VIEW, m)},
            "reports": Employee.objects.active()
            .direct_reports(employee)
            .select_related("department")
            .order_by("name"),
            "team_size": Employee.objects.active().subtree(employee).count(),
            "can_edit": can_edit,
            "history": history,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def employee_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    employee = None
    if pk is not None:
        employee = get_visible_or_404(
            request.user, Action.EMPLOYEE_VIEW, Employee.objects.select_related("manager"), pk=pk
        )
        require(request, Action.EMPLOYEE_CHANGE, employee)
    else:
        require(request, Action.EMPLOYEE_CREATE)
    form = EmployeeForm(request.POST or None, instance=employee)
    if request.method == "POST" and form.is_valid():
        try:
            if employee is None:
                employee = services.employee_create(actor=request.user, **form.values())
                messages.success(request, _("Employee created."))
            else:
                services.employee_update(
                    actor=request.user,
                    employee=employee,
                    expected_version=form.cleaned_data["version"],
                    **form.values(),
                )
                messages.success(request, _("Employee saved."))
            return redirect("org:employee", pk=employee.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "org/employee_form.html", {"form": form, "employee": employee})


@login_required
@require_http_methods(["GET", "POST"])
def employee_login(request: HttpRequest, pk: int) -> HttpResponse:
    employee = get_visible_or_404(
        request.user, Action.EMPLOYEE_VIEW, Employee.objects.select_related("user"), pk=pk
    )
    require(request, Action.EMPLOYEE_CHANGE, employee)
    initial = {"username": employee.user.username if employee.user else employee.employee_number}
    form = LoginForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.employee_set_login(
                actor=request.user,
                employee=employee,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"] or None,
            )
            messages.success(request, _("Login saved."))
            return redirect("org:employee", pk=employee.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "org/employee_login.html", {"form": form, "employee": employee})


IMPORTERS = {
    "employees": (Action.EMPLOYEE_IMPORT, imports.employees_import),
    "departments": (Action.DEPARTMENT_IMPORT, imports.departments_import),
}


def _runner(request: HttpRequest, importer: Any) -> Runner:
    def run(data: bytes, filename: str, dry_run: bool) -> Any:
        return importer(actor=request.user, data=data, filename=filename, dry_run=dry_run)

    return run


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file; it is validated in a dry run and kept for confirmation."""
    require(request, Action.EMPLOYEE_IMPORT)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"kind": request.GET.get("kind", "employees")},
    )
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        action, importer = IMPORTERS[kind]
        require(request, action)
        upload = form.cleaned_data["file"]
        stored = import_file_check(
            actor=request.user,
            kind=kind,
            filename=upload.name,
            data=upload.read(),
            run=_runner(request, importer),
        )
        return redirect("org:import_preview", pk=stored.pk)
    recent = ImportFile.objects.filter(uploaded_by=request.user).defer("content")[:10]
    return render(request, "org/import_upload.html", {"form": form, "recent": recent})


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: see what the import would do, or every bad row; then confirm."""
    stored = get_object_or_404(ImportFile, pk=pk, uploaded_by=request.user)
    action, importer = IMPORTERS[stored.kind]
    require(request, action)
    if request.method == "POST" and stored.status == ImportStatus.PREVIEWED:
        try:
            report = import_file_apply(stored=stored, run=_runner(request, importer))
        except DomainError as exc:
            # The data changed since the preview in a way that makes the file invalid now.
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
        return redirect("org:import_preview", pk=stored.pk)
    return render(request, "org/import_preview.html", {"stored": stored, "report": stored.report})

"""Release and exports: HR releases a department (with its sub-departments) or the whole
company, downloads the cycle's results as a spreadsheet; HR, managers and — once
released — the employee print a person's review report (HTML or PDF)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, get_visible_or_404, may, require, scope
from perfcycle.calibration import exports, release
from perfcycle.calibration.models import Result
from perfcycle.core.dbrouter import reading_from_replica
from perfcycle.core.errors import DomainError
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Department

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cycle(request: HttpRequest, pk: int) -> Cycle:
    return get_visible_or_404(
        request.user, Action.CYCLE_VIEW, Cycle.objects.select_related("grade_scale"), pk=pk
    )


def _department(value: str) -> Department | None:
    return Department.objects.filter(pk=int(value)).first() if value.isdigit() else None


@login_required
def release_page(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _cycle(request, cycle_pk)
    require(request, Action.RESULT_RELEASE)
    if request.method == "POST":
        department = _department(request.POST.get("department", ""))
        try:
            report = release.results_release(actor=request.user, cycle=cycle, department=department)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(released)d results released; %(already)d were released before.")
                % report.as_dict(),
            )
        return redirect("calibration:release", cycle_pk=cycle.pk)
    department = _department(request.GET.get("department", ""))
    counts = Result.objects.filter(cycle=cycle).aggregate(
        total=Count("pk"), released=Count("pk", filter=Q(released_at__isnull=False))
    )
    departments = Department.objects.filter(
        pk__in=Result.objects.filter(cycle=cycle).values("department_id")
    ).order_by("path")
    return render(
        request,
        "calibration/release.html",
        {
            "cycle": cycle,
            "counts": counts,
            "departments": departments,
            "department": department,
            "problems": release.release_problems(cycle, department),
            "may_export": may(request.user, Action.RESULTS_EXPORT),
        },
    )


@login_required
@reading_from_replica()
def export(request: HttpRequest, cycle_pk: int) -> FileResponse:
    cycle = _cycle(request, cycle_pk)
    require(request, Action.RESULTS_EXPORT)
    results = scope(
        request.user, Action.RESULT_VIEW, Result.objects.filter(cycle=cycle), subject="employee__"
    )
    # Written to a temporary file as the rows are read, then sent from it in chunks.
    return FileResponse(
        exports.results_xlsx_file(cycle, results),
        as_attachment=True,
        filename=f"results-{cycle.pk}.xlsx",
        content_type=XLSX,
    )


def _result(request: HttpRequest, pk: int) -> Result:
    return get_visible_or_404(
        request.user,
        Action.RESULT_VIEW,
        Result.objects.select_related("cycle", "employee", "department"),
        pk=pk,
    )


@login_required
def report(request: HttpRequest, result_pk: int) -> HttpResponse:
    result = _result(request, result_pk)
    return render(request, "calibration/report.html", {"report": exports.result_report(result)})


@login_required
@reading_from_replica()
def report_pdf(request: HttpRequest, result_pk: int) -> HttpResponse:
    result = _result(request, result_pk)
    data = exports.report_pdf(exports.result_report(result))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="review-{result.pk}.pdf"'
    return response


urlpatterns: list[URLPattern] = [
    path("cycles/<int:cycle_pk>/release/", release_page, name="release"),
    path("cycles/<int:cycle_pk>/export.xlsx", export, name="export"),
    path("results/<int:result_pk>/report/", report, name="report"),
    path("results/<int:result_pk>/report.pdf", report_pdf, name="report_pdf"),
]

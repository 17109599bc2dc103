"""Release and exports over the API: release a department (with its sub-departments) or
the whole company (HR), the cycle's results as XLSX (HR), and a person's review report as
PDF (HR, their managers, and the employee once released)."""

from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from perfcycle.access.policy import Action, get_visible_or_404, require, scope
from perfcycle.api.common import ERRORS
from perfcycle.calibration import exports, release
from perfcycle.calibration.models import Result
from perfcycle.core.dbrouter import reading_from_replica
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Department

router = Router(tags=["release"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReleaseIn(Schema):
    department_id: int | None = Field(
        None, description="Release this department and its sub-departments; none: everyone."
    )


class ReleaseOut(Schema):
    released: int
    already: int
    department_id: int | None
    phase: str


def _cycle(request: HttpRequest, cycle_id: int) -> Cycle:
    return get_visible_or_404(
        request.user, Action.CYCLE_VIEW, Cycle.objects.select_related("grade_scale"), pk=cycle_id
    )


@router.post(
    "/cycles/{int:cycle_id}/release",
    response={200: ReleaseOut, **ERRORS},
    summary="Release results: a department with its sub-departments, or everyone (HR)",
)
def release_results(request: HttpRequest, cycle_id: int, payload: ReleaseIn) -> Any:
    cycle = _cycle(request, cycle_id)
    require(request, Action.RESULT_RELEASE)
    department = None
    if payload.department_id is not None:
        department = Department.objects.filter(pk=payload.department_id).first()
        if department is None:
            raise Http404
    report = release.results_release(actor=request.user, cycle=cycle, department=department)
    return report.as_dict()


@router.get(
    "/cycles/{int:cycle_id}/results.xlsx",
    response={200: None, **ERRORS},
    summary="The cycle's results as a spreadsheet (HR)",
)
@reading_from_replica()
def results_xlsx(request: HttpRequest, cycle_id: int) -> Any:
    cycle = _cycle(request, cycle_id)
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


@router.get(
    "/results/{int:result_id}/report.pdf",
    response={200: None, **ERRORS},
    summary="A person's review report as PDF (HR, managers; the employee once released)",
)
@reading_from_replica()
def report_pdf(request: HttpRequest, result_id: int) -> Any:
    result = get_visible_or_404(
        request.user,
        Action.RESULT_VIEW,
        Result.objects.select_related("cycle", "employee", "department"),
        pk=result_id,
    )
    data = exports.report_pdf(exports.result_report(result))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="review-{result.pk}.pdf"'
    return response

"""Results out of the system: the cycle's results as a spreadsheet (HR) and one person's
printable review report (HTML and PDF).

The spreadsheet is streamed: the results are read in chunks and written row by row
through ``perfcycle.imports.writing`` (openpyxl's write-only workbook, formula-like text
kept as text) into a temporary file that the view hands to a ``FileResponse``, so memory
stays flat at 100,000 results. The report is built once (``result_report``) and drawn
twice: by the HTML template and by ``report_pdf`` (reportlab, the built-in
``STSong-Light`` CID font, so Chinese needs no font files).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.calibration.models import Appeal, AppealStatus, FeedbackTalk, Potential, Result
from perfcycle.core.errors import DomainError
from perfcycle.cycles.models import Cycle
from perfcycle.evaluation import scores
from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource, ScoreResult
from perfcycle.imports.writing import xlsx_temporary_file

# Rows read from the database at a time while the spreadsheet is written.
EXPORT_CHUNK = 2000


# --- Spreadsheet ---------------------------------------------------------------------------


def _when(value: Any) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def export_headers() -> list[str]:
    return [
        _("Employee number"),
        _("Name"),
        _("Department"),
        _("Computed score"),
        _("Computed grade"),
        _("Final score"),
        _("Final grade"),
        _("Adjusted"),
        _("Potential"),
        _("Released"),
        _("Acknowledged"),
        _("Appeal"),
    ]


def export_rows(results: QuerySet[Result]) -> Iterator[list[Any]]:
    """One row per result, in the reader's language, made as the results are read (in
    chunks of ``EXPORT_CHUNK``, as tuples, never as model objects): two queries whatever
    the number. The queries run when the rows are first asked for."""
    appeals: dict[int, str] = {}
    for result_id, status in (
        Appeal.objects.filter(result_id__in=results.values("pk"))
        .order_by("created_at", "pk")
        .values_list("result_id", "status")
        .iterator(chunk_size=EXPORT_CHUNK)
    ):
        appeals[result_id] = status  # the latest wins
    potentials = {code: str(label) for code, label in Potential.choices}
    statuses = {code: str(label) for code, label in AppealStatus.choices}
    yes, no = _("yes"), _("no")
    zone = timezone.get_current_timezone()
    rows = (
        results.order_by("employee__name", "pk")
        .values_list(
            "pk",
            "employee__employee_number",
            "employee__name",
            "department__name",
            "computed_score",
            "computed_grade",
            "score",
            "grade",
            "potential",
            "released_at",
            "acknowledged_at",
        )
        .iterator(chunk_size=EXPORT_CHUNK)
    )
    for (
        pk,
        number,
        name,
        department,
        computed_score,
        computed_grade,
        score,
        grade,
        potential,
        released_at,
        acknowledged_at,
    ) in rows:
        appeal = appeals.get(pk)
        yield [
            number,
            name,
            department or "",
            computed_score if computed_score is not None else "",
            computed_grade,
            score if score is not None else "",
            grade,
            no if (grade, score) == (computed_grade, computed_score) else yes,
            potentials.get(potential, "") if potential else "",
            f"{released_at.astimezone(zone):%Y-%m-%d %H:%M}" if released_at else "",
            f"{acknowledged_at.astimezone(zone):%Y-%m-%d %H:%M}" if acknowledged_at else "",
            statuses.get(appeal, appeal) if appeal else "",
        ]


def results_xlsx_file(cycle: Cycle, results: QuerySet[Result]) -> IO[bytes]:
    """The cycle's results (as narrowed by the caller) as an XLSX workbook in a temporary
    file at its start; the caller closes it (a ``FileResponse`` does once it is sent)."""
    return xlsx_temporary_file(export_headers(), export_rows(results), title=_("Results"))


def results_xlsx(cycle: Cycle, results: QuerySet[Result]) -> bytes:
    """The same workbook as bytes (tests, small exports)."""
    with results_xlsx_file(cycle, results) as handle:
        return handle.read()


# --- The review report ---------------------------------------------------------------------


@dataclass
class ResultReport:
    result: Result
    breakdown: dict[str, Any]
    sources: list[dict[str, Any]]
    competencies: list[dict[str, Any]]
    manager_summary: str
    talk: FeedbackTalk | None
    adjustments: list[Any]
    appeals: list[Appeal]
    source_columns: list[tuple[str, str]] = field(default_factory=list)


def _source_label(code: str) -> str:
    try:
        return str(ReviewSource(code).label)
    except ValueError:
        return code


def _weighted(source: dict[str, Any]) -> bool:
    return Decimal(str(source.get("effective_weight") or 0)) > 0


def result_report(result: Result) -> ResultReport:
    """Everything the report shows about ``result``: the score breakdown (as stored when
    the results were computed, else computed now by the scoring service), competencies
    per source (peer and upward only as averages of at least the anonymity minimum —
    the scoring service never gives more), the manager's summary, the feedback talk,
    the adjustments with their reasons and the appeals."""
    stored = (
        ScoreResult.objects.filter(cycle_id=result.cycle_id, employee_id=result.employee_id)
        .values_list("breakdown", flat=True)
        .first()
    )
    breakdown: dict[str, Any] = stored or {}
    if not breakdown and result.cycle.template_id is not None:
        try:
            breakdown = scores.person_score(result.cycle, result.employee).as_dict()
        except DomainError:  # not scored in this cycle: the report goes without
            breakdown = {}
    sources = [
        {**s, "label": _source_label(s.get("source", ""))}
        for s in breakdown.get("sources", [])
        if _weighted(s) or s.get("withheld")
    ]
    columns = [(s["source"], s["label"]) for s in sources if _weighted(s)]
    competencies = [
        {
            "name": c.get("name", ""),
            "weight": c.get("weight"),
            "combined": c.get("combined"),
            "cells": [c.get("by_source", {}).get(code) for code, _label in columns],
        }
        for c in breakdown.get("competencies", [])
    ]
    summary = (
        ReviewForm.objects.filter(
            cycle_id=result.cycle_id,
            reviewee_id=result.employee_id,
            source=ReviewSource.MANAGER,
            status=FormStatus.SUBMITTED,
        )
        .order_by("-pk")
        .values_list("summary", flat=True)
        .first()
    )
    talk = FeedbackTalk.objects.filter(result=result).select_related("manager").first()
    return ResultReport(
        result=result,
        breakdown=breakdown,
        sources=sources,
        competencies=competencies,
        manager_summary=summary or "",
        talk=talk,
        adjustments=list(result.adjustments.select_related("by").order_by("at", "pk")),
        appeals=list(result.appeals.order_by("created_at", "pk")),
        source_columns=columns,
    )


def _p(text: Any, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(
        escape(str(text if text not in (None, "") else "—")).replace("\n", "<br/>"), style
    )


def report_pdf(report: ResultReport, *, compress: bool = True) -> bytes:
    """The review report as a PDF (A4, simple platypus layout, Chinese via STSong-Light)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    styles = getSampleStyleSheet()
    for name in ("Normal", "Title", "Heading2", "Heading3"):
        styles[name].fontName = font
    styles["Normal"].wordWrap = "CJK"
    body, h2 = styles["Normal"], styles["Heading2"]
    r = report.result
    b = report.breakdown
    grid = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eaeef2")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )

    def table(rows: list[list[Any]], widths: list[float] | None = None) -> Any:
        t = Table([[_p(c, body) for c in row] for row in rows], colWidths=widths, repeatRows=1)
        t.setStyle(grid)
        return t

    story: list[Any] = [
        _p(_("Performance review: %(name)s") % {"name": r.employee.name}, styles["Title"]),
        _p(
            " · ".join(
                x
                for x in (
                    r.cycle.name,
                    r.employee.employee_number,
                    r.department.name if r.department else "",
                )
                if x
            ),
            body,
        ),
        Spacer(1, 4 * mm),
        _p(_("Result"), h2),
        table(
            [
                [_("Final grade"), _("Final score"), _("Computed grade"), _("Computed score")],
                [r.grade, r.score, r.computed_grade, r.computed_score],
            ]
        ),
    ]
    if report.adjustments:
        story += [
            _p(_("Changes in calibration and appeals"), h2),
            table(
                [[_("What"), _("Before"), _("After"), _("Reason"), _("When")]]
                + [[a.field, a.before, a.after, a.reason, _when(a.at)] for a in report.adjustments],
                [25 * mm, 20 * mm, 20 * mm, 80 * mm, 30 * mm],
            ),
        ]
    goals = b.get("goals", [])
    if goals:
        story += [
            _p(_("Goals"), h2),
            table(
                [[_("Goal"), _("Weight"), _("Target"), _("Actual"), _("Points")]]
                + [
                    [
                        g.get("title"),
                        f"{g.get('weight')}%",
                        f"{g.get('target') or '—'} {g.get('unit') or ''}",
                        f"{g.get('actual') or '—'} {g.get('unit') or ''}",
                        g.get("points"),
                    ]
                    for g in goals
                ],
                [70 * mm, 20 * mm, 30 * mm, 30 * mm, 25 * mm],
            ),
            _p(_("Goals score: %(score)s") % {"score": b.get("goals_score") or "—"}, body),
        ]
    if report.competencies:
        story += [
            _p(_("Competencies"), h2),
            table(
                [[_("Competency"), _("Weight"), *(label for _c, label in report.source_columns)]]
                + [
                    [
                        c["name"],
                        f"{c['weight']}%",
                        *(
                            f"{cell['mean']} (n={cell['count']})" if cell else "—"
                            for cell in c["cells"]
                        ),
                    ]
                    for c in report.competencies
                ]
            ),
            _p(
                _("Competencies score: %(score)s") % {"score": b.get("competencies_score") or "—"},
                body,
            ),
        ]
    story += [_p(_("Manager's summary"), h2), _p(report.manager_summary, body)]
    if report.talk is not None:
        t = report.talk
        story += [
            _p(_("Feedback talk"), h2),
            table(
                [
                    [_("Held on"), f"{t.held_on:%Y-%m-%d}"],
                    [_("Strengths"), t.strengths],
                    [_("To improve"), t.improvements],
                    [_("Agreed next steps"), t.next_steps],
                    [_("Employee's comments"), t.employee_comments],
                ],
                [40 * mm, 135 * mm],
            ),
        ]
    if report.appeals:
        story += [
            _p(_("Appeals"), h2),
            table(
                [[_("Filed"), _("Status"), _("Decision and reason")]]
                + [
                    [_when(a.created_at), a.get_status_display(), a.decision]
                    for a in report.appeals
                ],
                [30 * mm, 30 * mm, 115 * mm],
            ),
        ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=_("Performance review: %(name)s") % {"name": r.employee.name},
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        pageCompression=1 if compress else 0,
    )
    doc.build(story)
    return buffer.getvalue()

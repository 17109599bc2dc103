"""Exports: the cycle's results as XLSX (HR only, header in the reader's language, no cell
a spreadsheet would evaluate, constant queries) and the printable review report (HTML and
PDF) for HR, managers and — once released — the employee."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from perfcycle.calibration.exports import export_rows, report_pdf, result_report
from perfcycle.calibration.models import Adjustment, Appeal, AppealStatus, FeedbackTalk, Result
from perfcycle.calibration.tests.test_distribution import build
from perfcycle.evaluation.models import FormStatus, ReviewForm, ScoreResult
from tests.factories import EmployeeFactory


def _book(response):
    return load_workbook(io.BytesIO(response.getvalue()))


def _cells(book):
    return [cell for row in book.active.iter_rows() for cell in row]


def test_export_neutralises_formulas(company, as_user):
    cycle, results = build(company)
    evil = EmployeeFactory(
        name='=HYPERLINK("http://evil.example","click")',
        employee_number="+41",
        manager=company.manager,
        department=company.sales,
    )
    Result.objects.create(cycle=cycle, employee=evil, department=company.sales, grade="-B")
    Appeal.objects.create(
        result=results["direct"], reason="Not fair", talk_held=True, due_on=dt.date(2026, 5, 1)
    )
    Result.objects.filter(pk=results["direct"].pk).update(grade="S", released_at=timezone.now())
    response = as_user(company.hr).get(f"/calibrate/cycles/{cycle.pk}/export.xlsx")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == f'attachment; filename="results-{cycle.pk}.xlsx"'
    book = _book(response)
    assert all(cell.data_type != "f" for cell in _cells(book))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values[0][:3] == ["Employee number", "Name", "Department"]
    evil_row = next(r for r in values if "HYPERLINK" in str(r[1]))
    assert evil_row[1] == '\'=HYPERLINK("http://evil.example","click")'
    assert evil_row[0] == "'+41" and evil_row[6] == "'-B"
    direct = next(r for r in values if r[1] == "Dan Direct")
    assert direct[4] == "A" and direct[6] == "S" and direct[7] == "yes"
    assert direct[9] and direct[11] == "filed"
    assert float(direct[5]) == 80


def test_export_header_in_chinese(company, as_user):
    cycle, _r = build(company)
    client = as_user(company.hr)
    response = client.get(
        f"/calibrate/cycles/{cycle.pk}/export.xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    header = [c.value for c in next(_book(response).active.iter_rows())]
    assert len(header) == 12 and all(isinstance(h, str) and h for h in header)


def test_export_is_hr_only(company, as_user):
    cycle, _r = build(company)
    for name in ("manager", "direct", "stranger"):
        got = as_user(company.user(name)).get(f"/calibrate/cycles/{cycle.pk}/export.xlsx")
        assert got.status_code == 403


def test_export_queries_do_not_grow(company, as_user):
    cycle, _r = build(company)
    client = as_user(company.hr)
    url = f"/calibrate/cycles/{cycle.pk}/export.xlsx"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _n in range(15):
        e = EmployeeFactory(manager=company.manager, department=company.sales)
        r = Result.objects.create(cycle=cycle, employee=e, department=company.sales, grade="B")
        Appeal.objects.create(result=r, reason="x", talk_held=False, due_on=dt.date(2026, 5, 1))
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.fixture
def reported(company):
    cycle, results = build(company)
    result = results["direct"]
    ScoreResult.objects.create(
        cycle=cycle,
        employee=company.direct,
        overall_score=D("80.00"),
        grade="A",
        computed_at=timezone.now(),
        breakdown={
            "goals": [
                {
                    "title": "New customers 新客户",
                    "weight": "60.00",
                    "target": "20",
                    "actual": "24",
                    "unit": "customers",
                    "points": "120.00",
                }
            ],
            "goals_score": "96.00",
            "sources": [
                {"source": "manager", "effective_weight": "75.00", "withheld": False},
                {"source": "peer", "effective_weight": "0", "withheld": True},
            ],
            "competencies": [
                {
                    "name": "Communication",
                    "weight": "100.00",
                    "by_source": {"manager": {"mean": "4.00", "count": 1}},
                    "combined": "4.00",
                }
            ],
            "competencies_score": "80.00",
        },
    )
    ReviewForm.objects.create(
        cycle=cycle,
        reviewee=company.direct,
        reviewer=company.manager,
        source="manager",
        status=FormStatus.SUBMITTED,
        summary="Strong quarter; 沟通很好。",
    )
    Adjustment.objects.create(
        result=result,
        field="grade",
        before="A",
        after="S",
        reason="Landed the biggest account of the year",
        by=company.hr,
    )
    Result.objects.filter(pk=result.pk).update(grade="S")
    FeedbackTalk.objects.create(
        result=result,
        manager=company.manager,
        held_on=dt.date(2026, 4, 10),
        strengths="Customer focus",
        improvements="Delegation",
        next_steps="Lead the Q3 pilot",
        recorded_by=company.user("manager"),
    )
    Appeal.objects.create(
        result=result,
        reason="I think it should be S",
        talk_held=True,
        due_on=dt.date(2026, 5, 1),
        status=AppealStatus.UPHELD,
        decision="Upheld after the committee review",
    )
    result.refresh_from_db()
    return result


def test_report_page_shows_everything(company, as_user, reported):
    page = as_user(company.hr).get(f"/calibrate/results/{reported.pk}/report/")
    assert page.status_code == 200
    text = page.content.decode()
    for expected in (
        "Dan Direct",
        "New customers 新客户",
        "Landed the biggest account",
        "Strong quarter",
        "Customer focus",
        "Upheld after the committee review",
        "Communication",
        f"/calibrate/results/{reported.pk}/report.pdf",
    ):
        assert expected in text
    assert "withheld" in text  # peers: too few answers, shown only as that


def test_report_visibility(company, as_user, reported):
    url = f"/calibrate/results/{reported.pk}/report/"
    assert as_user(company.user("manager")).get(url).status_code == 200
    assert as_user(company.user("stranger")).get(url).status_code == 404
    assert as_user(company.user("direct")).get(url).status_code == 404  # not released yet
    assert (
        as_user(company.user("direct")).get(url.replace("report/", "report.pdf")).status_code == 404
    )
    Result.objects.filter(pk=reported.pk).update(released_at=timezone.now())
    assert as_user(company.user("direct")).get(url).status_code == 200


def test_report_pdf(company, as_user, reported):
    response = as_user(company.hr).get(f"/calibrate/results/{reported.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 2000
    assert (
        as_user(company.user("stranger"))
        .get(f"/calibrate/results/{reported.pk}/report.pdf")
        .status_code
        == 404
    )
    raw = report_pdf(result_report(reported), compress=False)
    assert raw.startswith(b"%PDF") and b"STSong-Light" in raw
    # The CID font writes each character as two bytes: \000 then the ASCII letter.
    for word in ("Direct", "Customer", "Delegation", "Upheld"):
        assert b"".join(b"\\000" + ch.encode() for ch in word) in raw


def test_report_without_stored_scores(company, as_user):
    _cycle, results = build(company)
    report = result_report(results["stranger"])
    assert report.breakdown == {} and report.talk is None
    assert report_pdf(report).startswith(b"%PDF")


def test_export_rows_are_read_lazily_in_chunks(company, monkeypatch):
    cycle, results = build(company)
    Appeal.objects.create(
        result=results["direct"], reason="x", talk_held=True, due_on=dt.date(2026, 5, 1)
    )
    monkeypatch.setattr("perfcycle.calibration.exports.EXPORT_CHUNK", 2)
    with CaptureQueriesContext(connection) as made:
        rows = export_rows(Result.objects.filter(cycle=cycle))
    assert not made.captured_queries  # nothing is read until the rows are asked for
    with CaptureQueriesContext(connection) as read:
        names = [row[1] for row in rows]
    assert len(read.captured_queries) == 2
    assert names == sorted(names) and len(names) == 4

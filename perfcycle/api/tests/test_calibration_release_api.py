"""Release and exports over the API: release a department or everyone (HR), refusals,
the XLSX export and the PDF report with their permissions."""

from __future__ import annotations

import io
import json

from django.utils import timezone
from openpyxl import load_workbook

from perfcycle.calibration.models import CalibrationSession, Result, SessionMember
from perfcycle.calibration.tests.test_distribution import SABCD, build
from perfcycle.cycles.models import Phase
from perfcycle.notifications.models import Notification

API = "/api/v1"


def send(client, method, url, body=None):
    return getattr(client, method)(
        url, json.dumps(body) if body is not None else None, content_type="application/json"
    )


def test_release_a_department_then_everyone(company, as_user, django_capture_on_commit_callbacks):
    cycle, _r = build(company)
    hr = as_user(company.hr)
    url = f"{API}/cycles/{cycle.pk}/release"
    with django_capture_on_commit_callbacks(execute=True):
        one = send(hr, "post", url, {"department_id": company.other.pk})
    assert one.status_code == 200 and one.json()["released"] == 1
    assert one.json()["phase"] == Phase.CALIBRATION
    with django_capture_on_commit_callbacks(execute=True):
        rest = send(hr, "post", url, {})
    assert rest.json() == {
        "released": 3,
        "already": 1,
        "department_id": None,
        "phase": Phase.RESULTS,
    }
    assert Notification.objects.filter(kind="result_released").count() == 4
    assert send(hr, "post", url, {"department_id": 999999}).status_code == 404


def test_release_refusals(company, as_user):
    cycle, results = build(company, shares=SABCD, strict=True)
    hr = as_user(company.hr)
    url = f"{API}/cycles/{cycle.pk}/release"
    off = send(hr, "post", url, {})
    assert off.status_code == 400 and off.json()["error"]["code"] == "off_guideline"
    session = CalibrationSession.objects.create(cycle=cycle, name="Round 1", scope="company")
    SessionMember.objects.create(session=session, result=results["stranger"])
    busy = send(hr, "post", url, {"department_id": company.other.pk})
    assert busy.json()["error"]["code"] == "sessions_open"
    assert busy.json()["error"]["details"]["sessions"] == ["Round 1"]
    assert send(as_user(company.user("manager")), "post", url, {}).status_code == 403
    early, _r = build(company, phase=Phase.MANAGER_REVIEW)
    wrong = send(hr, "post", f"{API}/cycles/{early.pk}/release", {})
    assert wrong.json()["error"]["code"] == "wrong_phase"
    assert not Result.objects.filter(released_at__isnull=False).exists()


def test_results_xlsx(company, as_user):
    cycle, _r = build(company)
    url = f"{API}/cycles/{cycle.pk}/results.xlsx"
    got = as_user(company.hr).get(url)
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    rows = list(load_workbook(io.BytesIO(got.getvalue())).active.iter_rows(values_only=True))
    assert len(rows) == 5 and rows[0][0] == "Employee number"
    assert as_user(company.user("manager")).get(url).status_code == 403


def test_report_pdf(company, as_user):
    _cycle, results = build(company)
    url = f"{API}/results/{results['direct'].pk}/report.pdf"
    got = as_user(company.user("manager")).get(url)
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    assert as_user(company.user("stranger")).get(url).status_code == 404
    assert as_user(company.user("direct")).get(url).status_code == 404
    Result.objects.filter(pk=results["direct"].pk).update(released_at=timezone.now())
    assert as_user(company.user("direct")).get(url).status_code == 200

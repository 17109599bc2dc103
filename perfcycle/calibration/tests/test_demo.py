"""The demo's last quarter goes the whole way: calibrated toward the guideline with
reasons, released, two feedback talks, one appeal upheld and one rejected — and the
pages show it."""

from __future__ import annotations

import io
from collections import Counter

import openpyxl
import pytest

from perfcycle.accounts.models import User
from perfcycle.calibration.models import Adjustment, Appeal, AppealStatus, FeedbackTalk, Result
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.demo import demo_load


@pytest.fixture
def quarter(db):
    demo_load(stdout=io.StringIO())
    return Cycle.objects.get(phase=Phase.RESULTS)


def as_login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def test_sales_was_calibrated_toward_the_guideline_with_reasons(quarter):
    sales = Result.objects.filter(cycle=quarter, department__code="SALES")
    session_changes = Adjustment.objects.filter(result__in=sales, session__isnull=False)
    assert session_changes.filter(field="grade").count() >= 5
    assert all(len(a.reason) >= 10 for a in session_changes)
    computed = Counter(r.computed_grade for r in sales)
    assert computed["S"] + computed["A"] > 5  # top-heavy before
    calibrated = {a.result_id: a.after for a in session_changes.filter(field="grade")}
    final = Counter(calibrated.get(r.pk, r.computed_grade) for r in sales)
    assert final["S"] == 1 and final["A"] == 2  # 9 % and 18 % of 11 against 10 / 20


def test_released_talked_and_appealed(quarter):
    results = Result.objects.filter(cycle=quarter)
    assert not results.filter(released_at__isnull=True).exists()
    assert FeedbackTalk.objects.filter(result__cycle=quarter).count() == 2
    appeals = {a.result.employee.employee_number: a for a in Appeal.objects.all()}
    assert appeals["E020"].status == AppealStatus.UPHELD
    assert Result.objects.get(cycle=quarter, employee__employee_number="E020").grade == "B"
    assert appeals["E018"].status == AppealStatus.REJECTED and appeals["E018"].decision


def test_the_pages_show_real_data(quarter, client):
    hr = as_login(client, "hr")
    distribution = hr.get(f"/calibrate/cycles/{quarter.pk}/distribution/")
    assert distribution.status_code == 200 and b"<svg" in distribution.content
    session = quarter.calibration_sessions.get()
    ninebox = hr.get(f"/calibrate/sessions/{session.pk}/ninebox/")
    assert ninebox.status_code == 200 and "杨静".encode() in ninebox.content
    export = hr.get(f"/calibrate/cycles/{quarter.pk}/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(export.getvalue()))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(c.value == "张伟" for c in cells)


def test_the_employee_sees_their_result_and_no_one_elses(quarter, client):
    zhang = Result.objects.get(cycle=quarter, employee__employee_number="E011")
    liu = Result.objects.get(cycle=quarter, employee__employee_number="E012")
    employee = as_login(client, "employee")
    page = employee.get(f"/calibrate/results/{zhang.pk}/")
    assert page.status_code == 200 and "新客户转化偏低".encode() in page.content
    assert employee.get(f"/calibrate/results/{liu.pk}/").status_code == 404
    assert employee.get(f"/api/v1/results/{liu.pk}").status_code == 404


def test_the_path_over_the_api(quarter, client):
    hr = as_login(client, "hr")
    distribution = hr.get(f"/api/v1/cycles/{quarter.pk}/distribution").json()
    assert distribution
    appeals = hr.get("/api/v1/appeals").json()
    assert sorted(a["status"] for a in appeals["items"]) == ["rejected", "upheld"]
    employee = as_login(client, "employee")
    mine = employee.get(f"/api/v1/results?cycle_id={quarter.pk}").json()
    assert mine["count"] == 1
    assert [r["employee_id"] for r in mine["items"]] == [
        Result.objects.get(cycle=quarter, employee__employee_number="E011").employee_id
    ]
    zhang = Result.objects.get(cycle=quarter, employee__employee_number="E011")
    acknowledged = employee.post(f"/api/v1/results/{zhang.pk}/acknowledge")
    assert acknowledged.status_code == 200
    zhang.refresh_from_db()
    assert zhang.acknowledged_at is not None

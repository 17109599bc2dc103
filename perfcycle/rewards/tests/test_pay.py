"""Pay on record for HR: the list (search, the missing shown, constant queries), one
person's form (versioned), and the import (dry run then apply, every bad row named,
all-or-nothing, idempotent, Chinese headers, GBK CSV, XLSX) on pages and over the API."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import ValidationFailed
from perfcycle.imports.models import ImportFile
from perfcycle.imports.writing import xlsx_bytes as write_xlsx
from perfcycle.rewards import services
from perfcycle.rewards.imports import compensation_import
from perfcycle.rewards.models import Compensation
from tests.factories import EmployeeFactory

HEADER = "employee number,base monthly,target bonus amount,target bonus months,currency\n"


def run(company, text, *, dry_run=False, encoding="utf-8"):
    return compensation_import(
        actor=company.hr, data=text.encode(encoding), filename="pay.csv", dry_run=dry_run
    )


def test_the_list_shows_pay_and_the_missing_with_constant_queries(company, world, as_user):
    hr = as_user(company.hr)
    url = reverse("rewards:pay")
    page = hr.get(url).content.decode()
    assert "Mia Manager" in page and "30000.00" in page
    assert "Top" in page and "missing" in page  # no pay on record
    assert "Sam Stranger" not in hr.get(url, {"q": "C01"}).content.decode()
    assert "Dan Direct" in hr.get(url, {"q": "dan"}).content.decode()
    only_missing = hr.get(url, {"missing": "1"}).content.decode()
    assert "Hilda HR" in only_missing and "Mia Manager" not in only_missing
    with CaptureQueriesContext(connection) as small:
        assert hr.get(url).status_code == 200
    for n in range(30):
        person = EmployeeFactory(employee_number=f"X{n:03}", department=company.sales)
        if n % 2:
            services.compensation_set(actor=company.hr, employee=person, base_monthly=D(9000))
    with CaptureQueriesContext(connection) as large:
        assert hr.get(url).status_code == 200
    assert len(large) == len(small)
    assert as_user(company.user("manager")).get(url).status_code == 403


def test_one_persons_form_saves_and_reports_a_stale_version(company, world, as_user):
    hr = as_user(company.hr)
    url = reverse("rewards:pay_edit", args=[company.top.pk])
    assert hr.get(url).status_code == 200
    response = hr.post(
        url, {"base_monthly": "50000", "target_bonus_months": "3", "currency": "cny"}
    )
    assert response.status_code == 302
    comp = Compensation.objects.get(employee=company.top)
    assert comp.target == D(150000) and comp.currency == "CNY"
    url = reverse("rewards:pay_edit", args=[company.manager.pk])
    ok = hr.post(url, {"version": "1", "base_monthly": "31000", "currency": "CNY"})
    assert ok.status_code == 302
    stale = hr.post(url, {"version": "1", "base_monthly": "32000", "currency": "CNY"})
    assert stale.status_code == 200 and "Somebody else changed" in stale.content.decode()
    assert Compensation.objects.get(employee=company.manager).base_monthly == D(31000)


def test_every_bad_row_is_named_and_nothing_is_written(company, world):
    text = HEADER + (
        "C001,abc,,,CNY\n"  # line 2: base not a number
        "NOPE,1000,,,CNY\n"  # line 3: unknown employee
        "C002,-5,,,CNY\n"  # line 4: negative
        "C002,5000,,,YUAN\n"  # line 5: repeated number, bad currency
        ",5000,,,\n"  # line 6: no number
        "C010,1.234,,,\n"  # line 7: three decimals
    )
    with pytest.raises(ValidationFailed) as err:
        run(company, text)
    problems = {(e["line"], e["column"]) for e in err.value.details["errors"]}
    assert problems == {
        (2, "base_monthly"),
        (3, "employee_number"),
        (4, "base_monthly"),
        (5, "employee_number"),
        (5, "currency"),
        (6, "employee_number"),
        (7, "base_monthly"),
    }
    assert Compensation.objects.get(employee=company.manager).base_monthly == D(30000)
    assert not Compensation.objects.filter(employee=company.top).exists()


def test_import_creates_updates_and_a_second_time_changes_nothing(company, world):
    text = HEADER + "C001,50000,,2,CNY\nC010,31000,60000,,CNY\nC011,20000,,2,CNY\n"
    preview = run(company, text, dry_run=True)
    assert (preview.created, preview.updated, preview.unchanged) == (1, 1, 1)
    assert not Compensation.objects.filter(employee=company.top).exists()
    report = run(company, text)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert Compensation.objects.get(employee=company.top).target == D(100000)
    assert Compensation.objects.get(employee=company.manager).base_monthly == D(31000)
    events = AuditEvent.objects.count()
    again = run(company, text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.count() == events + 1  # only the file itself is recorded
    assert AuditEvent.objects.filter(object_type="import.compensation").count() == 2


def test_chinese_headers_in_a_gbk_csv_and_columns_left_out_are_kept(company, world):
    text = "工号,月基本工资,币种\nC010,33000,CNY\nC001,8000,\n"
    report = run(company, text, encoding="gbk")
    assert report.encoding.lower() in ("gbk", "gb18030") and report.updated == 1
    manager = Compensation.objects.get(employee=company.manager)
    assert manager.base_monthly == D(33000) and manager.target_bonus_amount == D(60000)
    top = Compensation.objects.get(employee=company.top)
    assert top.currency == "CNY" and top.target is None


def test_an_xlsx_with_chinese_headers(company, world):
    data = write_xlsx(
        ["工号", "月基本工资", "目标奖金", "目标奖金月数", "币种"],
        [["C001", "40000", "", "1.5", "CNY"]],
        title="pay",
    )
    report = compensation_import(actor=company.hr, data=data, filename="pay.xlsx")
    assert report.file_format == "xlsx" and report.created == 1
    assert Compensation.objects.get(employee=company.top).target == D(60000)


def test_the_import_pages_preview_then_apply(company, world, as_user):
    hr = as_user(company.hr)
    upload = SimpleUploadedFile("pay.csv", (HEADER + "C001,50000,,2,CNY\n").encode())
    response = hr.post(reverse("rewards:pay_import"), {"file": upload})
    stored = ImportFile.objects.get()
    assert response.status_code == 302 and stored.kind == "compensation"
    preview = hr.get(reverse("rewards:pay_import_preview", args=[stored.pk])).content.decode()
    assert "Import now" in preview
    assert not Compensation.objects.filter(employee=company.top).exists()
    hr.post(reverse("rewards:pay_import_preview", args=[stored.pk]))
    assert Compensation.objects.get(employee=company.top).base_monthly == D(50000)
    bad = SimpleUploadedFile("bad.csv", (HEADER + "NOPE,1,,,\n").encode())
    hr.post(reverse("rewards:pay_import"), {"file": bad})
    rejected = ImportFile.objects.filter(status="rejected").get()
    page = hr.get(reverse("rewards:pay_import_preview", args=[rejected.pk])).content.decode()
    assert "NOPE" in page and "employee_number" in page
    assert as_user(company.user("manager")).get(reverse("rewards:pay_import")).status_code == 403


def test_the_api_lists_and_imports(company, world, as_user):
    hr = as_user(company.hr)
    body = hr.get("/api/v1/compensation", {"limit": 2}).json()
    assert body["count"] == 4 and len(body["items"]) == 2
    assert body["items"][0]["employee_name"] == "Dan Direct"
    upload = SimpleUploadedFile("pay.csv", (HEADER + "C001,50000,,2,CNY\n").encode())
    dry = hr.post("/api/v1/compensation/import?dry_run=true", {"file": upload})
    assert dry.status_code == 200 and dry.json()["created"] == 1 and dry.json()["dry_run"]
    assert not Compensation.objects.filter(employee=company.top).exists()
    upload = SimpleUploadedFile("pay.csv", (HEADER + "NOPE,50000,,2,CNY\n").encode())
    bad = hr.post("/api/v1/compensation/import", {"file": upload})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["errors"][0]["line"] == 2
    upload = SimpleUploadedFile("pay.csv", (HEADER + "C001,50000,,2,CNY\n").encode())
    assert hr.post("/api/v1/compensation/import", {"file": upload}).json()["created"] == 1
    manager = as_user(company.user("manager"))
    assert manager.get("/api/v1/compensation").status_code == 403

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from perfcycle.core.errors import ValidationFailed
from perfcycle.cycles.models import CycleParticipant
from perfcycle.imports.models import ImportFile, ImportStatus
from perfcycle.monitoring.imports import actuals_import
from perfcycle.monitoring.models import Actual, ActualSource
from perfcycle.monitoring.tests import actuals_fixtures as fx
from tests.factories import EmployeeFactory, GoalFactory

month_key = fx.month_key
run_cycle = fx.run_cycle
new_customers = fx.new_customers
sales_goal = fx.sales_goal


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return "\n".join(",".join(r) for r in rows).encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def sales_team(company, run_cycle, new_customers):
    """Three salespeople with a new-customers goal each (Dan Direct plus two), all taking
    part in the cycle."""
    people = [company.direct] + [
        EmployeeFactory(
            employee_number=f"S{n:03d}", manager=company.manager, department=company.sales
        )
        for n in (1, 2)
    ]
    CycleParticipant.objects.bulk_create(
        [
            CycleParticipant(
                cycle=run_cycle, employee=p, department_id=p.department_id, manager_id=p.manager_id
            )
            for p in people[1:]
        ]
    )
    goals = [
        GoalFactory(
            cycle=run_cycle, employee=p, indicator=new_customers, target=60, title="New customers"
        )
        for p in people
    ]
    return people, goals


def test_gbk_csv_month_of_sales_with_history(company, run_cycle, sales_team):
    people, goals = sales_team
    month = month_key(run_cycle, 1)
    rows = [["工号", "指标编码", "期间", "实际值", "备注"]] + [
        [p.employee_number, "NEWCUST", month, str(v), "月报"]
        for p, v in zip(people, [12, 7, 3], strict=True)
    ]
    data = csv_bytes(rows, "gbk")
    preview = actuals_import(
        actor=company.hr, cycle=run_cycle, data=data, filename="m.csv", dry_run=True
    )
    assert (preview.created, preview.updated, preview.unchanged) == (3, 0, 0)
    assert preview.encoding == "gbk" and not Actual.objects.exists()

    report = actuals_import(actor=company.hr, cycle=run_cycle, data=data, filename="m.csv")
    assert report.created == 3
    assert {a.source for a in Actual.objects.all()} == {ActualSource.IMPORTED}
    goals[0].refresh_from_db()
    assert goals[0].current_value == Decimal(12)

    again = actuals_import(actor=company.hr, cycle=run_cycle, data=data, filename="m.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Actual.objects.count() == 3

    rows[1][3] = "13"
    fixed = actuals_import(
        actor=company.hr, cycle=run_cycle, data=csv_bytes(rows, "gbk"), filename="m2.csv"
    )
    assert (fixed.created, fixed.updated, fixed.unchanged) == (0, 1, 2)
    history = Actual.objects.filter(goal=goals[0]).order_by("revision")
    assert [(a.value, a.is_current) for a in history] == [(Decimal(12), False), (Decimal(13), True)]


def test_xlsx_with_bom_free_english_headers_and_dates(company, run_cycle, sales_team):
    people, goals = sales_team
    rows = [["employee_number", "indicator_code", "period", "value"]] + [
        [p.employee_number, "NEWCUST", month_key(run_cycle, 0) + "-15", v]
        for p, v in zip(people, [9, 4, 11], strict=True)
    ]
    report = actuals_import(
        actor=company.hr, cycle=run_cycle, data=xlsx_bytes(rows), filename="m.xlsx"
    )
    assert report.created == 3 and report.file_format == "xlsx"
    assert set(Actual.objects.values_list("period", flat=True)) == {month_key(run_cycle, 0)}
    goals[2].refresh_from_db()
    assert goals[2].current_value == Decimal(11)


def test_utf8_bom_csv_with_goal_ref_for_a_department_goal(company, run_cycle):
    goal = GoalFactory(
        cycle=run_cycle,
        owner_type="department",
        department=company.sales,
        ref="SALES-REV",
        target=100,
    )
    data = b"\xef\xbb\xbf" + csv_bytes(
        [["goal_ref", "period", "value"], ["SALES-REV", month_key(run_cycle, 0), "40"]]
    )
    report = actuals_import(actor=company.hr, cycle=run_cycle, data=data, filename="d.csv")
    assert report.created == 1
    goal.refresh_from_db()
    assert goal.current_value == Decimal(40)


def test_every_bad_row_is_named_and_nothing_is_written(company, run_cycle, sales_team):
    people, _goals = sales_team
    m0, future, before = month_key(run_cycle, 0), month_key(run_cycle, 5), month_key(run_cycle, -1)
    rows = [
        ["工号", "指标编码", "期间", "实际值"],
        [people[0].employee_number, "NEWCUST", m0, "10"],  # 2: fine
        [people[1].employee_number, "NEWCUST", m0, "lots"],  # 3: non-numeric
        [people[2].employee_number, "NEWCUST", before, "3"],  # 4: before the cycle
        [people[2].employee_number, "NEWCUST", future, "3"],  # 5: not started
        ["NOBODY", "NEWCUST", m0, "3"],  # 6: unknown employee
        [people[1].employee_number, "NOPE", m0, "3"],  # 7: unknown indicator
        [company.stranger.employee_number, "NEWCUST", m0, "3"],  # 8: no such goal
        [people[0].employee_number, "NEWCUST", m0, "11"],  # 9: duplicate of line 2
        [people[2].employee_number, "NEWCUST", m0, "-2"],  # 10: negative count
    ]
    with pytest.raises(ValidationFailed) as caught:
        actuals_import(actor=company.hr, cycle=run_cycle, data=csv_bytes(rows), filename="bad.csv")
    errors = {(e["line"], e["column"]): e["message"] for e in caught.value.details["errors"]}
    assert "not a number" in errors[(3, "value")]
    assert "outside the cycle" in errors[(4, "period")]
    assert "not started" in errors[(5, "period")]
    assert "Unknown employee" in errors[(6, "employee_number")]
    assert "Unknown indicator" in errors[(7, "indicator_code")]
    assert "no goal" in errors[(8, "indicator_code")]
    assert "line 2" in errors[(9, "period")]
    assert "negative" in errors[(10, "value")]
    assert len(errors) == 8
    assert not Actual.objects.exists()


def test_header_needs_a_way_to_find_the_goal(company, run_cycle):
    with pytest.raises(ValidationFailed) as caught:
        actuals_import(
            actor=company.hr, cycle=run_cycle, data=csv_bytes([["period", "value"], ["x", "1"]])
        )
    assert caught.value.code == "bad_header"


def test_upload_preview_confirm_pages(company, run_cycle, sales_team, as_user):
    people, _goals = sales_team
    client = as_user(company.hr)
    data = csv_bytes(
        [
            ["工号", "指标编码", "期间", "实际值"],
            [people[0].employee_number, "NEWCUST", month_key(run_cycle, 0), "6"],
        ],
        "gbk",
    )
    upload = io.BytesIO(data)
    upload.name = "sales.csv"
    response = client.post("/monitor/import/", {"cycle": run_cycle.pk, "file": upload})
    stored = ImportFile.objects.get(kind="actuals")
    assert response.status_code == 302 and stored.status == ImportStatus.PREVIEWED
    page = client.get(f"/monitor/import/{stored.pk}/")
    assert page.status_code == 200 and "Import now" in page.content.decode()
    assert not Actual.objects.exists()
    client.post(f"/monitor/import/{stored.pk}/")
    stored.refresh_from_db()
    assert stored.status == ImportStatus.APPLIED and Actual.objects.count() == 1


def test_bad_upload_lists_rows(company, run_cycle, sales_team, as_user):
    client = as_user(company.hr)
    upload = io.BytesIO(
        csv_bytes(
            [
                ["工号", "指标编码", "期间", "实际值"],
                ["NOBODY", "NEWCUST", month_key(run_cycle, 0), "x"],
            ]
        )
    )
    upload.name = "bad.csv"
    client.post("/monitor/import/", {"cycle": run_cycle.pk, "file": upload})
    stored = ImportFile.objects.get(kind="actuals")
    page = client.get(f"/monitor/import/{stored.pk}/").content.decode()
    assert stored.status == ImportStatus.REJECTED and "Unknown employee NOBODY" in page


def test_import_is_for_hr_only(company, as_user):
    assert as_user(company.manager.user).get("/monitor/import/").status_code == 403


def test_done_when_a_month_from_xlsx_and_a_gbk_csv_show_who_is_behind(
    company, run_cycle, sales_team, as_user
):
    """HR imports month one from XLSX (dates as real date cells) and month two from a GBK
    CSV with one correction; the history keeps both values and the manager's team view
    lists the salesperson behind pace first."""
    people, goals = sales_team
    first_day = fx.month_start(run_cycle.start_date, 0)
    xlsx = xlsx_bytes(
        [["工号", "指标编码", "期间", "实际值"]]
        + [
            [p.employee_number, "NEWCUST", first_day, v]
            for p, v in zip(people, [2, 14, 15], strict=True)
        ]
    )
    assert (
        actuals_import(actor=company.hr, cycle=run_cycle, data=xlsx, filename="m1.xlsx").created
        == 3
    )
    month = month_key(run_cycle, 1)
    rows = [["工号", "指标编码", "期间", "实际值", "备注"]] + [
        [p.employee_number, "NEWCUST", month, v, "CRM"]
        for p, v in zip(people, ["1", "15", "16"], strict=True)
    ]
    rows.append([people[0].employee_number, "NEWCUST", month_key(run_cycle, 0), "3", "late deal"])
    report = actuals_import(
        actor=company.hr, cycle=run_cycle, data=csv_bytes(rows, "gbk"), filename="m2.csv"
    )
    assert (report.created, report.updated) == (3, 1)
    goals[0].refresh_from_db()
    assert goals[0].current_value == Decimal(4)  # 3 (corrected from 2) + 1
    assert Actual.objects.filter(goal=goals[0]).count() == 3

    html = (
        as_user(company.manager.user).get(f"/monitor/team/?cycle={run_cycle.pk}").content.decode()
    )
    names = [p.name for p in people]
    assert html.index(names[0]) < html.index(names[1]) and html.index(names[0]) < html.index(
        names[2]
    )
    assert "Off track" in html
    mine = as_user(company.direct.user).get(f"/monitor/?cycle={run_cycle.pk}").content.decode()
    assert "late deal" in mine and "corrected" in mine

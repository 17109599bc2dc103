from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.core.errors import ValidationFailed
from perfcycle.cycles.models import Cycle, CycleParticipant, Phase
from perfcycle.imports.models import ImportFile, ImportStatus
from perfcycle.monitoring import imports
from perfcycle.monitoring.actuals import actual_record, goals_recompute
from perfcycle.monitoring.imports import actuals_import
from perfcycle.monitoring.models import Actual, ActualSource
from perfcycle.monitoring.tests import actuals_fixtures as fx
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal
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


@pytest.fixture(params=["by ids", "by cycle"])
def current_read(request, monkeypatch) -> str:
    """Each way the import reads the current actuals: by the file's goals' ids, and (for a
    file naming most of a cycle) by a join on the cycle."""
    if request.param == "by cycle":
        monkeypatch.setattr(imports, "CURRENT_BY_CYCLE", 0)
    return request.param


def test_gbk_csv_month_of_sales_with_history(company, run_cycle, sales_team, current_read):
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


def test_a_stored_preview_keeps_the_changes_its_page_shows(
    company, run_cycle, sales_team, as_user, monkeypatch
):
    """An upload's stored report keeps the first ``CHANGES_KEPT`` changes and their
    count; the API answers every one; the report's changes are made as they are read."""
    from perfcycle.imports import reports

    monkeypatch.setattr(reports, "CHANGES_KEPT", 2)
    people, _goals = sales_team
    m0 = month_key(run_cycle, 0)
    rows = [["工号", "指标编码", "期间", "实际值"]]
    rows += [[p.employee_number, "NEWCUST", m0, str(n)] for n, p in enumerate(people[:3])]
    report = actuals_import(actor=company.hr, cycle=run_cycle, data=csv_bytes(rows), dry_run=True)
    assert isinstance(report.changes, reports.Changes) and len(report.changes) == 3
    keys = [f"{p.employee_number} NEWCUST {m0}" for p in people[:3]]
    assert [c["key"] for c in report.changes] == keys
    assert [c["line"] for c in report.changes[1:]] == [3, 4] and report.changes[-1]["line"] == 4
    assert report.as_dict()["changes_total"] == 3 and len(report.as_dict()["changes"]) == 3

    upload = io.BytesIO(csv_bytes(rows))
    upload.name = "sales.csv"
    as_user(company.hr).post("/monitor/import/", {"cycle": run_cycle.pk, "file": upload})
    stored = ImportFile.objects.get(kind="actuals")
    assert [c["key"] for c in stored.report["changes"]] == keys[:2]
    assert (stored.report["changes_total"], stored.report["created"]) == (3, 3)


def test_a_long_stored_preview_says_how_many_changes_there_are(company, run_cycle, as_user):
    stored = ImportFile.objects.create(
        kind="actuals",
        filename="big.csv",
        content=b"",
        sha256="0",
        uploaded_by=company.hr,
        report={"rows": 9000, "created": 9000, "updated": 0, "unchanged": 0,
                "changes": [{"line": n, "key": f"E{n}", "action": "create", "fields": ["value"]}
                            for n in range(2, 502)],
                "changes_total": 9000, "cycle_id": run_cycle.pk},
    )  # fmt: skip
    page = as_user(company.hr).get(f"/monitor/import/{stored.pk}/").content.decode()
    assert page.count("<td>new</td>") == 500
    assert "The first 500 of 9000 changes are shown." in page


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


# Audit, recomputing and many rows -----------------------------------------------------------


def test_a_file_leaves_one_summary_event_and_rows_that_say_where_they_came_from(
    company, run_cycle, sales_team
):
    people, goals = sales_team
    month = month_key(run_cycle, 0)
    data = csv_bytes(
        [["工号", "指标编码", "期间", "实际值"]]
        + [
            [p.employee_number, "NEWCUST", month, str(v)]
            for p, v in zip(people, [4, 5, 6], strict=True)
        ]
    )
    before = set(AuditEvent.objects.values_list("id", flat=True))
    actuals_import(actor=company.hr, cycle=run_cycle, data=data, filename="月报.csv")
    new = AuditEvent.objects.exclude(id__in=before)
    assert [(e.action, e.object_type) for e in new] == [(AuditAction.IMPORT, "import.actuals")]
    event = new.get()
    assert (event.actor, event.source, event.object_repr) == (company.hr, "import", "月报.csv")
    assert event.after == {
        "file": "月报.csv",
        "sha256": ImportFile.digest(data),
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "cycle": run_cycle.pk,
    }
    rows = Actual.objects.filter(goal__in=goals)
    assert {(a.entered_by, a.batch, a.source, a.revision, a.is_current) for a in rows} == {
        (company.hr, "file:月报.csv", ActualSource.IMPORTED, 1, True)
    }


@pytest.mark.parametrize("aggregation", ["sum", "average", "last", "min", "max"])
def test_current_values_are_what_goals_recompute_makes(
    company, run_cycle, new_customers, aggregation, current_read
):
    goal = GoalFactory(
        cycle=run_cycle,
        employee=company.direct,
        indicator=new_customers,
        aggregation=aggregation,
        allow_negative=True,
        target=10,
    )
    # A value typed earlier for a period the files leave out, then two files, the second
    # correcting one value.
    actual_record(actor=company.hr, goal=goal, period=month_key(run_cycle, 2), value="1.5")
    header = ["工号", "指标编码", "期间", "实际值"]
    first = [
        ["C011", "NEWCUST", month_key(run_cycle, 0), "7.33335"],
        ["C011", "NEWCUST", month_key(run_cycle, 1), "-2"],
    ]
    actuals_import(actor=company.hr, cycle=run_cycle, data=csv_bytes([header, *first]))
    second = [["C011", "NEWCUST", month_key(run_cycle, 1), "4.1"]]
    report = actuals_import(actor=company.hr, cycle=run_cycle, data=csv_bytes([header, *second]))
    assert (report.created, report.updated) == (0, 1)
    goal.refresh_from_db()
    assert goal.current_value is not None
    assert goals_recompute([goal.pk]) == []  # nothing left to change: the same result


def _many(cycle, indicator, count: int, prefix: str) -> list[list[str]]:
    """``count`` people with a goal each, written in bulk; their rows for month one."""
    people = Employee.objects.bulk_create(
        [Employee(employee_number=f"{prefix}{n:04d}", name=f"P{n}") for n in range(count)]
    )
    people = list(Employee.objects.filter(employee_number__startswith=prefix))
    Goal.objects.bulk_create(
        [
            Goal(
                cycle=cycle,
                owner_type="employee",
                employee=p,
                indicator=indicator,
                title="New customers",
                kind="kpi",
                weight=100,
            )
            for p in people
        ]
    )
    month = month_key(cycle, 0)
    return [["工号", "指标编码", "期间", "实际值"]] + [
        [p.employee_number, indicator.code, month, str(n % 7)] for n, p in enumerate(people)
    ]


def test_queries_do_not_grow_with_the_file(company, run_cycle, new_customers):
    small = csv_bytes(_many(run_cycle, new_customers, 3, "S"))
    large = csv_bytes(_many(run_cycle, new_customers, 700, "L"))  # past the plain IN (...) list
    counts = []
    for data in (small, large):
        with CaptureQueriesContext(connection) as queries:
            report = actuals_import(actor=company.hr, cycle=run_cycle, data=data)
        counts.append(len(queries))
        assert report.created == data.count(b"\n")
    assert counts[0] == counts[1]
    assert Actual.objects.count() == 703
    assert Goal.objects.filter(employee__employee_number="L0006").get().current_value == Decimal(6)


def test_problems_are_named_as_clean_item_names_them(company, run_cycle, sales_team, new_customers):
    people, _goals = sales_team
    GoalFactory(
        cycle=run_cycle,
        employee=company.stranger,
        indicator=new_customers,
        kind="okr",
        title="Stretch",
    )
    GoalFactory(cycle=run_cycle, owner_type="company", ref="CO-1", title="Company", target=1)
    m0 = month_key(run_cycle, 0)
    rows = [
        ["employee_number", "indicator_code", "goal_ref", "period", "value", "note"],
        [people[0].employee_number, "NEWCUST", "", "2001-01", "lots", ""],  # 2: period, value
        [company.stranger.employee_number, "NEWCUST", "", m0, "5", ""],  # 3: not a KPI
        ["", "NEWCUST", "CO-1", m0, "5", ""],  # 4: not measured by that indicator
        [people[1].employee_number, "NEWCUST", "", m0, "3", "x" * 501],  # 5: note too long
        [people[2].employee_number, "NEWCUST", "", m0, "1e20", ""],  # 6: too large
        ["", "", "CO-1", m0, "2", ""],  # 7: fine
    ]
    with pytest.raises(ValidationFailed) as caught:
        actuals_import(actor=company.hr, cycle=run_cycle, data=csv_bytes(rows))
    assert caught.value.details["errors"] == [
        {
            "line": 2,
            "column": "period",
            "message": f"Period 2001-01 is outside the cycle ({run_cycle.start_date} – "
            f"{run_cycle.end_date}).",
        },
        {"line": 2, "column": "value", "message": "“lots” is not a number."},
        {
            "line": 3,
            "column": "indicator_code",
            "message": "“Stretch” is not a quantitative KPI; it takes no actuals.",
        },
        {
            "line": 4,
            "column": "indicator_code",
            "message": "Goal CO-1 is not measured by indicator NEWCUST.",
        },
        {"line": 5, "column": "note", "message": "Longer than 500 characters."},
        {"line": 6, "column": "value", "message": "1e20 is too large."},
    ]
    assert not Actual.objects.exists()


def test_a_closed_cycle_takes_no_values(company, run_cycle, sales_team):
    people, goals = sales_team
    Cycle.objects.filter(pk=run_cycle.pk).update(phase=Phase.CLOSED)
    data = csv_bytes(
        [
            ["工号", "指标编码", "期间", "实际值"],
            [people[0].employee_number, "NEWCUST", "2020-01", "1"],
        ]
    )
    with pytest.raises(ValidationFailed) as caught:
        actuals_import(actor=company.hr, cycle=run_cycle, data=data)
    assert caught.value.details["errors"] == [
        {
            "line": 2,
            "column": "indicator_code",
            "message": f"The cycle of “{goals[0].title}” is closed.",
        }
    ]


@pytest.mark.parametrize("chunk", [1, 2, 50_000])
def test_a_file_checked_in_chunks_reads_as_a_whole(
    company, run_cycle, sales_team, monkeypatch, chunk
):
    """Rows are checked and written a chunk at a time; a problem in a later chunk still
    rejects the whole file, names every problem (a duplicate by its first line, in an
    earlier chunk) and leaves nothing written; a good file reads the same whatever the
    chunk size."""
    from perfcycle.monitoring import imports

    monkeypatch.setattr(imports, "CHUNK_ROWS", chunk)
    people, goals = sales_team
    m0, m1 = month_key(run_cycle, 0), month_key(run_cycle, 1)
    header = ["工号", "指标编码", "期间", "实际值", "备注"]
    bad = [
        header,
        [people[0].employee_number, "NEWCUST", m0, "1", ""],  # 2
        [people[1].employee_number, "NEWCUST", m0, "2", ""],  # 3
        [people[2].employee_number, "NEWCUST", m0, "3", ""],  # 4
        [people[0].employee_number, "NEWCUST", m1, "1，5", "千位"],  # 5: fine (1，5 → 15)
        [people[1].employee_number, "NEWCUST", m0, "4", ""],  # 6: line 3 again
        [people[2].employee_number, "NEWCUST", m1, "x", ""],  # 7: not a number
    ]
    with pytest.raises(ValidationFailed) as caught:
        actuals_import(actor=company.hr, cycle=run_cycle, data=csv_bytes(bad))
    errors = caught.value.details["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(6, "period"), (7, "value")]
    assert "line 3" in errors[0]["message"]
    assert not Actual.objects.exists()

    good = [*bad[:5], [people[1].employee_number, "NEWCUST", m1, "4", "ok"]]
    report = actuals_import(actor=company.hr, cycle=run_cycle, data=csv_bytes(good))
    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    assert [c["line"] for c in report.changes] == [2, 3, 4, 5, 6]
    assert report.changes[3]["key"] == f"{people[0].employee_number} NEWCUST {m1}"
    values = dict(Actual.objects.filter(goal=goals[0]).values_list("period", "value"))
    assert values == {m0: Decimal(1), m1: Decimal(15)}
    assert Actual.objects.get(goal=goals[1], period=m1).note == "ok"
    goals[0].refresh_from_db()
    assert goals[0].current_value == Decimal(16)

    again = [*good[:3], [people[2].employee_number, "NEWCUST", m0, "30", ""], *good[4:]]
    report = actuals_import(actor=company.hr, cycle=run_cycle, data=csv_bytes(again))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    assert report.changes == [
        {"line": 4, "key": f"{people[2].employee_number} NEWCUST {m0}", "action": "update",
         "fields": ["value"]}
    ]  # fmt: skip


def test_a_pair_with_two_goals_needs_a_reference(company, run_cycle, sales_team, new_customers):
    people, _goals = sales_team
    GoalFactory(cycle=run_cycle, employee=people[1], indicator=new_customers, title="Second")
    m0 = month_key(run_cycle, 0)
    rows = [
        ["工号", "指标编码", "期间", "实际值"],
        [people[0].employee_number, "NEWCUST", m0, "1"],
        [people[1].employee_number, "NEWCUST", m0, "2"],
    ]
    with pytest.raises(ValidationFailed) as caught:
        actuals_import(actor=company.hr, cycle=run_cycle, data=csv_bytes(rows))
    assert [(e["line"], e["column"]) for e in caught.value.details["errors"]] == [
        (3, "indicator_code")
    ]
    assert "use goal_ref" in caught.value.details["errors"][0]["message"]


def test_cells_too_long_are_named_in_their_columns(company, run_cycle, sales_team):
    people, _goals = sales_team
    m0 = month_key(run_cycle, 0)
    rows = [
        ["employee_number", "indicator_code", "goal_ref", "period", "value", "note"],
        [people[0].employee_number, "NEWCUST", "", m0, "1", ""],  # 2: fine
        ["E" * 33, "NEWCUST", "", m0, "1", ""],  # 3
        [people[1].employee_number, "N" * 41, "", m0, "1", ""],  # 4
        ["", "", "R" * 65, m0, "1", "n" * 501],  # 5: two
    ]
    with pytest.raises(ValidationFailed) as caught:
        actuals_import(actor=company.hr, cycle=run_cycle, data=csv_bytes(rows))
    named = [(e["line"], e["column"]) for e in caught.value.details["errors"]]
    assert named == [(3, "employee_number"), (4, "indicator_code"), (5, "goal_ref"), (5, "note")]
    assert all("32" in e["message"] or "40" in e["message"] or "64" in e["message"]
               or "500" in e["message"] for e in caught.value.details["errors"])  # fmt: skip
    assert not Actual.objects.exists()

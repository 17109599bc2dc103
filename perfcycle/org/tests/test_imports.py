"""Importing the organisation: departments, then employees; all-or-nothing and idempotent."""

from __future__ import annotations

import datetime as dt
import io
import random
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.core.errors import ValidationFailed
from perfcycle.imports.models import ImportFile
from perfcycle.org.imports import departments_import, employees_import
from perfcycle.org.models import Department, Employee, EmployeeStatus, child_path
from tests.factories import EmployeeFactory

EMPLOYEE_HEADER = ["工号", "姓名", "邮箱", "上级工号", "部门编码", "入职日期"]


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    return "".join(",".join(str(cell) for cell in row) + "\r\n" for row in rows).encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def errors_of(call: Any, **kwargs: Any) -> list[dict[str, Any]]:
    with pytest.raises(ValidationFailed) as caught:
        call(**kwargs)
    assert caught.value.code == "import_rejected"
    return caught.value.details["errors"]


def state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int, int]:
    """Everything an import may write, to show that a refused import wrote nothing."""
    employees = list(
        Employee.objects.order_by("pk").values_list(
            "employee_number",
            "name",
            "email",
            "manager_id",
            "department_id",
            "status",
            "left_on",
            "path",
            "version",
            "updated_at",
        )
    )
    departments = list(
        Department.objects.order_by("pk").values_list(
            "code", "name", "parent_id", "head_id", "path", "version", "updated_at"
        )
    )
    active_users = User.objects.filter(is_active=True).count()
    return employees, departments, AuditEvent.objects.count(), active_users


def fresh(employee: Employee) -> Employee:
    return Employee.objects.get(pk=employee.pk)


def by_number(number: str) -> Employee:
    return Employee.objects.get(employee_number=number)


# Departments -----------------------------------------------------------------------------

DEPARTMENTS_GBK = csv_bytes(
    [
        ["部门编码", "部门名称", "上级部门编码"],
        ["SW", "软件组", "RD"],  # the parent comes later in the file
        ["HQ", "总经办", ""],
        ["RD", "研发部", "HQ"],
    ],
    encoding="gbk",
)


def test_departments_import_creates_the_tree_from_gbk(db: None) -> None:
    report = departments_import(actor=None, data=DEPARTMENTS_GBK, filename="部门.csv")
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert report.encoding == "gbk"
    hq, rd, sw = (Department.objects.get(code=c) for c in ("HQ", "RD", "SW"))
    assert (hq.name, rd.name, sw.name) == ("总经办", "研发部", "软件组")
    assert (hq.parent, rd.parent, sw.parent) == (None, hq, rd)
    assert sw.path == f"/{hq.pk}/{rd.pk}/{sw.pk}/"
    created = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="org.department")
    assert {e.object_id: e.after for e in created} == {
        str(hq.pk): {"code": "HQ", "name": "总经办", "parent": None, "head": None},
        str(rd.pk): {"code": "RD", "name": "研发部", "parent": "HQ", "head": None},
        str(sw.pk): {"code": "SW", "name": "软件组", "parent": "RD", "head": None},
    }
    assert {e.source for e in created} == {"import"}
    summary = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert summary.object_type == "import.departments"
    assert summary.after == {
        "file": "部门.csv",
        "sha256": ImportFile.digest(DEPARTMENTS_GBK),
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }


def test_departments_import_twice_changes_nothing_the_second_time(db: None) -> None:
    departments_import(actor=None, data=DEPARTMENTS_GBK)
    before = state()
    report = departments_import(actor=None, data=DEPARTMENTS_GBK)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert report.changes == []
    employees, departments, events, users = state()
    assert (employees, departments, users) == (*before[:2], before[3])
    # Someone did import a file: that one summary event, nothing per row.
    assert events == before[2] + 1
    assert AuditEvent.objects.order_by("-id").first().action == AuditAction.IMPORT


def test_departments_import_renames_moves_and_sets_heads(company: Any) -> None:
    data = csv_bytes(
        [
            ["code", "name", "parent_code", "head_number"],
            ["SALES", "Sales & Marketing", "OTHER", "C010"],
            ["OTHER", "Other", "ROOT", ""],
        ]
    )
    versions = {d.code: d.version for d in Department.objects.all()}
    report = departments_import(actor=company.hr, data=data)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert report.changes == [
        {"line": 2, "key": "SALES", "action": "update", "fields": ["head", "name", "parent"]}
    ]
    sales = Department.objects.get(code="SALES")
    assert sales.name == "Sales & Marketing"
    assert sales.parent == company.other
    assert sales.head == company.manager
    assert sales.path == f"/{company.root.pk}/{company.other.pk}/{sales.pk}/"
    assert sales.version == versions["SALES"] + 1
    assert Department.objects.get(code="OTHER").version == versions["OTHER"]
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="org.department")
    assert event.before == {"name": "Sales", "head": None, "parent": "ROOT"}
    assert event.after == {
        "name": "Sales & Marketing",
        "head": company.manager.pk,
        "parent": "OTHER",
    }
    assert event.actor == company.hr


def test_departments_import_moves_a_whole_subtree(company: Any) -> None:
    data = csv_bytes(
        [["code", "name", "parent_code"], ["TEAM", "Team", "SALES"], ["SUB", "Sub", "TEAM"]]
    )
    departments_import(actor=None, data=data)
    moved = csv_bytes([["code", "name", "parent_code"], ["TEAM", "Team", "OTHER"]])
    departments_import(actor=None, data=moved)
    team, sub = Department.objects.get(code="TEAM"), Department.objects.get(code="SUB")
    assert team.path == f"/{company.root.pk}/{company.other.pk}/{team.pk}/"
    assert sub.path == f"{team.path}{sub.pk}/"


def test_departments_dry_run_writes_nothing(company: Any) -> None:
    before = state()
    report = departments_import(actor=company.hr, data=DEPARTMENTS_GBK, dry_run=True)
    assert report.dry_run
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert [c["key"] for c in report.changes] == ["SW", "HQ", "RD"]
    assert state() == before


def test_department_errors_are_all_reported_and_nothing_written(company: Any) -> None:
    data = csv_bytes(
        [
            ["部门编码", "部门名称", "上级部门编码", "负责人工号"],
            ["A", "Alpha", "NOPE", ""],  # unknown parent
            ["B", "Beta", "B", ""],  # its own parent
            ["C", "Gamma", "D", ""],  # C and D form a loop
            ["D", "Delta", "C", "C999"],  # ...and an unknown head
            ["A", "Alpha again", "", ""],  # duplicate code
            ["E", "", "", ""],  # no name
            ["ROOT", "Company", "SALES", ""],  # loop through the database: SALES is under ROOT
            ["F", "Fine", "ROOT", ""],
        ]
    )
    before = state()
    errors = errors_of(departments_import, actor=company.hr, data=data)
    assert [(e["line"], e["column"]) for e in errors] == [
        (2, "parent_code"),
        (3, "parent_code"),
        (4, "parent_code"),
        (5, "head_number"),
        (5, "parent_code"),
        (6, "code"),
        (7, "name"),
        (8, "parent_code"),
    ]
    messages = {(e["line"], e["column"]): e["message"] for e in errors}
    assert messages[(2, "parent_code")] == "Unknown department NOPE."
    assert messages[(3, "parent_code")] == "A department cannot be its own parent."
    assert messages[(4, "parent_code")] == "The department tree would form a loop: C → D → C"
    assert messages[(5, "head_number")] == "Unknown employee C999."
    assert messages[(6, "code")] == "Code A already appears on line 2."
    assert messages[(7, "name")] == "This value is required."
    assert messages[(8, "parent_code")] == (
        "The department tree would form a loop: ROOT → SALES → ROOT"
    )
    assert state() == before


def test_department_whose_parent_row_is_bad_is_not_called_unknown(db: None) -> None:
    data = csv_bytes([["code", "name", "parent_code"], ["HQ", "", ""], ["RD", "R&D", "HQ"]])
    errors = errors_of(departments_import, actor=None, data=data)
    assert errors == [{"line": 2, "column": "name", "message": "This value is required."}]


# Employees: creating ---------------------------------------------------------------------


def test_departments_then_employees_from_xlsx(db: None) -> None:
    departments_import(actor=None, data=DEPARTMENTS_GBK)
    data = xlsx_bytes(
        [
            [*EMPLOYEE_HEADER, "职位", "职级"],
            [
                1002.0,
                "李娜",
                "lina@example.com",
                1001.0,
                "RD",
                dt.datetime(2016, 7, 11),
                "经理",
                "M2",
            ],
            [1001, "王建国", None, None, "HQ", dt.datetime(2012, 3, 1), "总经理", "M5"],
            [1003, "赵敏", "zhaomin@example.com", 1002, "SW", "2021-02-22", "工程师", "P3"],
        ]
    )
    report = employees_import(actor=None, data=data, filename="员工.xlsx")
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    assert report.file_format == "xlsx"
    wang, li, zhao = by_number("1001"), by_number("1002"), by_number("1003")
    assert (wang.manager, li.manager, zhao.manager) == (None, wang, li)
    assert li.department.code == "RD"
    assert zhao.path == f"/{wang.pk}/{li.pk}/{zhao.pk}/"
    assert li.hire_date == dt.date(2016, 7, 11)
    assert zhao.hire_date == dt.date(2021, 2, 22)
    assert (li.email, li.job_title, li.level, li.status) == (
        "lina@example.com",
        "经理",
        "M2",
        EmployeeStatus.ACTIVE,
    )
    assert wang.email == ""
    # New people are counted by the one summary event of the file, not one event each.
    assert not AuditEvent.objects.filter(object_type="org.employee").exists()
    summary = AuditEvent.objects.get(action=AuditAction.IMPORT, object_type="import.employees")
    assert summary.source == "import"
    assert summary.object_repr == "员工.xlsx"
    assert summary.after == {
        "file": "员工.xlsx",
        "sha256": ImportFile.digest(data),
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }


def test_new_employee_without_manager_column_is_a_root(company: Any) -> None:
    employees_import(actor=None, data=csv_bytes([["工号", "姓名"], ["N1", "新人"]]))
    newcomer = by_number("N1")
    assert newcomer.manager is None
    assert newcomer.path == f"/{newcomer.pk}/"


def test_new_employee_who_has_left_gets_a_leaving_date(company: Any) -> None:
    data = csv_bytes([["工号", "姓名", "状态"], ["N1", "Gone", "离职"], ["N2", "Here", "在职"]])
    employees_import(actor=None, data=data)
    assert by_number("N1").left_on == timezone.localdate()
    assert by_number("N1").status == EmployeeStatus.LEFT
    assert by_number("N2").left_on is None


# Employees: all-or-nothing ----------------------------------------------------------------


def test_one_bad_row_among_good_ones_writes_nothing_and_names_it(company: Any) -> None:
    rows = [EMPLOYEE_HEADER] + [
        [f"N{n}", f"员工{n}", f"n{n}@example.com", "C010", "SALES", "2023-01-01"]
        for n in range(1, 6)
    ]
    rows[4][2] = "not-an-email"  # line 5 of the file
    before = state()
    errors = errors_of(employees_import, actor=company.hr, data=csv_bytes(rows, "gbk"))
    assert errors == [
        {"line": 5, "column": "email", "message": "“not-an-email” is not an email address."}
    ]
    assert state() == before
    assert not Employee.objects.filter(employee_number__startswith="N").exists()


ROW_CASES = {
    "bad email": (["N1", "Ann", "ann@", "", "", ""], "email", "“ann@” is not an email address."),
    "email too long": (
        ["N1", "Ann", "a" * 250 + "@example.com", "", "", ""],
        "email",
        "Longer than 254 characters.",
    ),
    "bad date": (
        ["N1", "Ann", "", "", "", "2023-02-30"],
        "hire_date",
        "“2023-02-30” is not a date; use YYYY-MM-DD.",
    ),
    "no name": (["N1", "", "", "", "", ""], "name", "This value is required."),
    "number too long": (
        ["N" * 33, "Ann", "", "", "", ""],
        "employee_number",
        "Longer than 32 characters.",
    ),
    "unknown manager": (
        ["N1", "Ann", "", "C999", "", ""],
        "manager_number",
        "Unknown employee C999.",
    ),
    "unknown department": (
        ["N1", "Ann", "", "", "NOPE", ""],
        "department_code",
        "Unknown department NOPE.",
    ),
    "self manager": (
        ["N1", "Ann", "", "N1", "", ""],
        "manager_number",
        "An employee cannot be their own manager.",
    ),
    "existing employee made own manager": (
        ["C011", "Dan Direct", "", "C011", "", ""],
        "manager_number",
        "An employee cannot be their own manager.",
    ),
    "loop across file and database": (
        # Mia Manager would report to Ivy, who reports to Dan, who reports to Mia.
        ["C010", "Mia Manager", "", "C012", "SALES", ""],
        "manager_number",
        "The reporting line would form a loop: C010 → C012 → C011 → C010",
    ),
}


@pytest.mark.parametrize("case", list(ROW_CASES))
def test_each_bad_row_is_refused_with_line_and_column(company: Any, case: str) -> None:
    row, column, message = ROW_CASES[case]
    data = csv_bytes([EMPLOYEE_HEADER, ["G1", "Good", "", "C010", "SALES", ""], row])
    before = state()
    errors = errors_of(employees_import, actor=company.hr, data=data)
    assert errors == [{"line": 3, "column": column, "message": message}]
    assert state() == before


STATUS_CASES = {
    "leaving date for someone active": (
        ["N1", "Ann", "active", "2024-01-01", "", ""],
        "left_on",
        "A leaving date is only allowed for someone who has left.",
    ),
    "unknown status": (
        ["N1", "Ann", "retired", "", "", ""],
        "status",
        "“retired” is not one of: active, inactive, left, 在职, 离职",
    ),
    "manager who has left": (
        ["N1", "Ann", "在职", "", "L1", ""],
        "manager_number",
        "Manager L1 has left the company.",
    ),
    "left before hired": (
        ["N1", "Ann", "离职", "2020-01-01", "", "2021-01-01"],
        "left_on",
        "The leaving date is before the hire date.",
    ),
}


@pytest.mark.parametrize("case", list(STATUS_CASES))
def test_status_rules(company: Any, case: str) -> None:
    EmployeeFactory(employee_number="L1", status=EmployeeStatus.LEFT, left_on=dt.date(2024, 1, 1))
    row, column, message = STATUS_CASES[case]
    header = ["工号", "姓名", "状态", "离职日期", "上级工号", "入职日期"]
    before = state()
    errors = errors_of(employees_import, actor=None, data=csv_bytes([header, row]))
    assert errors == [{"line": 2, "column": column, "message": message}]
    assert state() == before


def test_someone_who_has_left_may_report_to_someone_who_has_left(company: Any) -> None:
    EmployeeFactory(employee_number="L1", status=EmployeeStatus.LEFT, left_on=dt.date(2024, 1, 1))
    data = csv_bytes([["工号", "姓名", "状态", "上级工号"], ["N1", "Ann", "离职", "L1"]])
    employees_import(actor=None, data=data)
    assert by_number("N1").manager == by_number("L1")


def test_a_file_without_managers_does_not_check_them(company: Any) -> None:
    # Mia left (through the pages); her reports still report to her until HR moves them.
    Employee.objects.filter(pk=company.manager.pk).update(
        status=EmployeeStatus.LEFT, left_on=dt.date(2024, 1, 1)
    )
    data = csv_bytes([["工号", "姓名"], ["C011", "Daniel Direct"]])
    employees_import(actor=None, data=data)
    assert fresh(company.direct).name == "Daniel Direct"
    with_managers = csv_bytes([["工号", "姓名", "上级工号"], ["C011", "Daniel Direct", "C010"]])
    errors = errors_of(employees_import, actor=None, data=with_managers)
    assert errors == [
        {"line": 2, "column": "manager_number", "message": "Manager C010 has left the company."}
    ]


def test_manager_leaving_in_the_same_file_is_caught(company: Any) -> None:
    data = csv_bytes(
        [
            ["工号", "姓名", "状态", "上级工号"],
            ["C010", "Mia Manager", "离职", "C001"],
            ["N1", "Newcomer", "在职", "C010"],
        ]
    )
    errors = errors_of(employees_import, actor=None, data=data)
    assert errors == [
        {"line": 3, "column": "manager_number", "message": "Manager C010 has left the company."}
    ]


def test_duplicate_employee_number_names_both_lines(company: Any) -> None:
    data = csv_bytes([["工号", "姓名"], ["N1", "Ann"], ["N2", "Bob"], ["N1", "Ann again"]])
    errors = errors_of(employees_import, actor=None, data=data)
    assert errors == [
        {
            "line": 4,
            "column": "employee_number",
            "message": "Employee number N1 already appears on line 2.",
        }
    ]


def test_loop_within_the_file(company: Any) -> None:
    data = csv_bytes(
        [
            ["工号", "姓名", "上级工号"],
            ["A", "甲", "B"],
            ["B", "乙", "C"],
            ["C", "丙", "A"],
            ["D", "丁", "A"],
        ]
    )
    errors = errors_of(employees_import, actor=None, data=data)
    assert errors == [
        {
            "line": 2,
            "column": "manager_number",
            "message": "The reporting line would form a loop: A → B → C → A",
        },
        {
            "line": 3,
            "column": "manager_number",
            "message": "The reporting line would form a loop: A → B → C → A",
        },
        {
            "line": 4,
            "column": "manager_number",
            "message": "The reporting line would form a loop: A → B → C → A",
        },
    ]


def test_all_errors_are_reported_at_once(company: Any) -> None:
    data = csv_bytes(
        [
            EMPLOYEE_HEADER,
            ["N1", "", "bad", "C999", "NOPE", "yesterday"],
            ["N2", "Fine", "", "C010", "SALES", "2023-01-01"],
            ["N3", "Self", "", "N3", "", ""],
            ["N2", "Twice", "", "", "", ""],
        ]
    )
    errors = errors_of(employees_import, actor=None, data=data)
    assert [(e["line"], e["column"]) for e in errors] == [
        (2, "email"),
        (2, "hire_date"),
        (2, "name"),
        (4, "manager_number"),
        (5, "employee_number"),
    ]


def test_row_whose_manager_row_is_bad_is_not_called_unknown(db: None) -> None:
    data = csv_bytes(
        [
            ["工号", "姓名", "邮箱", "上级工号"],
            ["B1", "Boss", "bad", ""],
            ["W1", "Worker", "", "B1"],
        ]
    )
    errors = errors_of(employees_import, actor=None, data=data)
    assert errors == [{"line": 2, "column": "email", "message": "“bad” is not an email address."}]


def test_header_problems_refuse_the_file(company: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        employees_import(actor=None, data=csv_bytes([["工号", "薪水"], ["C010", "1"]]))
    assert caught.value.code == "bad_header"
    assert caught.value.details["errors"] == [
        {"line": 1, "column": "薪水", "message": "Unknown column."},
        {"line": 1, "column": "name", "message": "Required column is missing."},
    ]


def test_dry_run_reports_without_writing(company: Any) -> None:
    data = csv_bytes(
        [
            ["工号", "姓名", "上级工号"],
            ["C011", "Dan Direct", "C020"],
            ["N1", "新人", "C011"],
            ["C012", "Ivy Indirect", "C011"],
        ]
    )
    before = state()
    preview = employees_import(actor=company.hr, data=data, dry_run=True)
    assert state() == before
    assert preview.as_dict()["changes"] == [
        {"line": 2, "key": "C011", "action": "update", "fields": ["manager"]},
        {"line": 3, "key": "N1", "action": "create"},
    ]
    applied = employees_import(actor=company.hr, data=data)
    assert {**preview.as_dict(), "dry_run": False} == applied.as_dict()


# Employees: updating ------------------------------------------------------------------------


def test_import_twice_changes_nothing_the_second_time(company: Any) -> None:
    data = csv_bytes(
        [
            ["工号", "姓名", "邮箱", "上级工号", "部门编码", "入职日期", "状态", "离职日期"],
            ["C011", "Dan Direct", "dan@example.com", "C020", "OTHER", "2020/5/1", "在职", ""],
            ["N1", "新人", "", "C011", "SALES", "2024年3月1日", "在职", ""],
            ["N2", "已离职", "", "", "", "2019-01-01", "离职", ""],
            [
                "C012",
                "Ivy Indirect",
                "c012@example.com",
                "C011",
                "SALES",
                "2022-01-10",
                "离职",
                "2024-06-30",
            ],
        ],
        "gbk",
    )
    first = employees_import(actor=company.hr, data=data)
    assert (first.created, first.updated, first.unchanged) == (2, 2, 0)
    before = state()
    events = list(AuditEvent.objects.values_list("id", flat=True))
    second = employees_import(actor=company.hr, data=data)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 4)
    assert second.changes == []
    employees, departments, _events, users = state()
    assert (employees, departments, users) == (before[0], before[1], before[3])
    new_events = AuditEvent.objects.exclude(id__in=events)
    assert [(e.action, e.object_type) for e in new_events] == [
        (AuditAction.IMPORT, "import.employees")
    ]
    assert new_events.get().after["unchanged"] == 4


def test_changing_a_manager_moves_the_whole_subtree(company: Any) -> None:
    versions = {e.pk: e.version for e in Employee.objects.all()}
    data = csv_bytes([["工号", "姓名", "上级工号"], ["C011", "Dan Direct", "C020"]])
    report = employees_import(actor=company.hr, data=data)
    assert report.changes == [{"line": 2, "key": "C011", "action": "update", "fields": ["manager"]}]
    direct, indirect = fresh(company.direct), fresh(company.indirect)
    assert direct.manager == company.stranger
    assert direct.path == f"/{company.top.pk}/{company.stranger.pk}/{direct.pk}/"
    assert indirect.path == f"{direct.path}{indirect.pk}/"
    assert indirect.manager == direct
    # Only the row that changed gets a new version; paths below it follow silently.
    assert direct.version == versions[direct.pk] + 1
    assert indirect.version == versions[indirect.pk]
    assert fresh(company.manager).version == versions[company.manager.pk]
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="org.employee")
    assert (event.before, event.after) == ({"manager": "C010"}, {"manager": "C020"})
    assert event.actor == company.hr
    assert event.source == "import"


def test_moving_a_manager_under_a_newcomer_in_the_same_file(company: Any) -> None:
    data = csv_bytes(
        [["工号", "姓名", "上级工号"], ["C010", "Mia Manager", "N1"], ["N1", "新总监", "C001"]]
    )
    employees_import(actor=None, data=data)
    newcomer, manager = by_number("N1"), fresh(company.manager)
    assert manager.path == f"/{company.top.pk}/{newcomer.pk}/{manager.pk}/"
    assert fresh(company.indirect).path == (
        f"{manager.path}{company.direct.pk}/{company.indirect.pk}/"
    )


def test_columns_left_out_leave_fields_alone(company: Any) -> None:
    direct = company.direct
    data = csv_bytes([["工号", "姓名"], ["C011", "Daniel Direct"], ["C012", "Ivy Indirect"]])
    report = employees_import(actor=None, data=data)
    assert (report.updated, report.unchanged) == (1, 1)
    after = fresh(direct)
    assert after.name == "Daniel Direct"
    assert (after.email, after.manager_id, after.department_id, after.hire_date, after.level) == (
        direct.email,
        direct.manager_id,
        direct.department_id,
        direct.hire_date,
        direct.level,
    )
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="org.employee")
    assert (event.before, event.after) == ({"name": "Dan Direct"}, {"name": "Daniel Direct"})


def test_empty_cells_in_present_columns_clear_fields(company: Any) -> None:
    data = csv_bytes(
        [
            ["工号", "姓名", "邮箱", "部门编码", "入职日期", "上级工号"],
            ["C012", "Ivy Indirect", "", "", "", ""],
        ]
    )
    employees_import(actor=None, data=data)
    indirect = fresh(company.indirect)
    assert (indirect.email, indirect.department, indirect.hire_date, indirect.manager) == (
        "",
        None,
        None,
        None,
    )
    assert indirect.path == f"/{indirect.pk}/"
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="org.employee")
    assert event.before == {
        "email": "c012@example.com",
        "department": company.sales.pk,
        "hire_date": "2022-01-10",
        "manager": "C011",
    }
    assert event.after == {"email": "", "department": None, "hire_date": None, "manager": None}


def test_leaving_deactivates_the_login(company: Any) -> None:
    data = csv_bytes(
        [["工号", "姓名", "状态", "离职日期"], ["C012", "Ivy Indirect", "离职", "2024-06-30"]]
    )
    employees_import(actor=company.hr, data=data)
    indirect = fresh(company.indirect)
    assert (indirect.status, indirect.left_on) == (EmployeeStatus.LEFT, dt.date(2024, 6, 30))
    assert not User.objects.get(pk=indirect.user_id).is_active
    assert User.objects.get(username="direct").is_active
    login_event = AuditEvent.objects.get(
        object_type="accounts.user", object_id=str(indirect.user_id)
    )
    assert (login_event.before, login_event.after) == ({"is_active": True}, {"is_active": False})
    employee_event = AuditEvent.objects.get(object_type="org.employee", object_id=str(indirect.pk))
    assert employee_event.after == {"status": "left", "left_on": "2024-06-30"}


def test_leaving_without_a_date_means_today_and_keeps_a_known_date(company: Any) -> None:
    data = csv_bytes([["工号", "姓名", "状态"], ["C012", "Ivy Indirect", "left"]])
    employees_import(actor=None, data=data)
    assert fresh(company.indirect).left_on == timezone.localdate()
    Employee.objects.filter(pk=company.indirect.pk).update(left_on=dt.date(2024, 1, 2))
    report = employees_import(actor=None, data=data)
    assert report.unchanged == 1
    assert fresh(company.indirect).left_on == dt.date(2024, 1, 2)


def test_leaving_date_may_change_without_the_status_column(company: Any) -> None:
    Employee.objects.filter(pk=company.indirect.pk).update(
        status=EmployeeStatus.LEFT, left_on=dt.date(2024, 1, 2)
    )
    data = csv_bytes([["工号", "姓名", "离职日期"], ["C012", "Ivy Indirect", "2024-02-03"]])
    employees_import(actor=None, data=data)
    assert fresh(company.indirect).left_on == dt.date(2024, 2, 3)


def test_coming_back_clears_the_leaving_date(company: Any) -> None:
    Employee.objects.filter(pk=company.indirect.pk).update(
        status=EmployeeStatus.LEFT, left_on=dt.date(2024, 1, 2)
    )
    data = csv_bytes([["工号", "姓名", "状态"], ["C012", "Ivy Indirect", "在职"]])
    employees_import(actor=None, data=data)
    indirect = fresh(company.indirect)
    assert (indirect.status, indirect.left_on) == (EmployeeStatus.ACTIVE, None)


def test_utf8_bom_file_with_english_headers(company: Any) -> None:
    data = b"\xef\xbb\xbf" + csv_bytes(
        [["Employee Number", "Name", "Manager", "Department"], ["N1", "Zoë", "C010", "SALES"]]
    )
    report = employees_import(actor=None, data=data)
    assert report.encoding == "utf-8-sig"
    assert by_number("N1").manager == company.manager
    assert by_number("N1").path == child_path(company.manager.path, by_number("N1").pk)


# Many rows ---------------------------------------------------------------------------------


def _people(count: int, *, shuffle: bool = True, prefix: str = "M") -> list[list[Any]]:
    """A tree of ``count`` newcomers, three reports per manager, managers in the file
    after their reports as often as before."""
    rows = [
        [
            f"{prefix}{n:05d}",
            f"员工{n}",
            f"{prefix.lower()}{n}@example.com",
            f"{prefix}{(n - 1) // 3:05d}" if n else "",
            "SALES",
            "2020-01-02",
        ]
        for n in range(count)
    ]
    if shuffle:
        random.Random(3).shuffle(rows)
    return [EMPLOYEE_HEADER, *rows]


def queries_of(call: Any, **kwargs: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        call(**kwargs)
    return len(queries)


def test_queries_do_not_grow_with_the_file(company: Any) -> None:
    small = queries_of(employees_import, actor=company.hr, data=csv_bytes(_people(5, prefix="S")))
    large = queries_of(employees_import, actor=company.hr, data=csv_bytes(_people(700)))
    assert small == large
    assert Employee.objects.filter(employee_number__startswith="M").count() == 700


def test_many_newcomers_in_any_order_get_ids_in_number_order_and_true_paths(
    company: Any,
) -> None:
    report = employees_import(actor=company.hr, data=csv_bytes(_people(300)))
    assert report.created == 300
    people = list(Employee.objects.filter(employee_number__startswith="M").order_by("pk"))
    assert [p.employee_number for p in people] == sorted(p.employee_number for p in people)
    by_number = {p.employee_number: p for p in people}
    for n, person in enumerate(by_number[f"M{n:05d}"] for n in range(300)):
        boss = by_number[f"M{(n - 1) // 3:05d}"] if n else None
        assert person.manager == boss
        assert person.path == child_path(boss.path if boss else "", person.pk)
        assert (person.version, person.status, person.department) == (1, "active", company.sales)
    # A later row made the ordinary way gets the next id.
    assert EmployeeFactory().pk > people[-1].pk


def test_changes_to_many_people_are_audited_each_with_before_and_after(company: Any) -> None:
    employees_import(actor=company.hr, data=csv_bytes(_people(50)))
    rows = _people(50, shuffle=False)
    for row in rows[1:11]:
        row[1] = row[1] + "（新）"
    events = set(AuditEvent.objects.values_list("id", flat=True))
    report = employees_import(actor=company.hr, data=csv_bytes(rows), filename="again.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 10, 40)
    new = AuditEvent.objects.exclude(id__in=events).order_by("id")
    updates = [e for e in new if e.action == AuditAction.UPDATE]
    assert len(updates) == 10
    first = by_number("M00000")
    event = next(e for e in updates if e.object_id == str(first.pk))
    assert (event.object_type, event.object_repr) == ("org.employee", f"{first.name} (M00000)")
    assert (event.before, event.after) == ({"name": "员工0"}, {"name": "员工0（新）"})
    assert (event.actor, event.source) == (company.hr, "import")
    summary = new.get(action=AuditAction.IMPORT)
    assert summary.after["file"] == "again.csv" and summary.after["updated"] == 10
    assert first.version == 2


def test_moving_a_department_moves_its_subtree_and_audits_the_move(company: Any) -> None:
    data = csv_bytes(
        [["code", "name", "parent_code"], ["TEAM", "Team", "SALES"], ["SUB", "Sub", "TEAM"]]
    )
    departments_import(actor=None, data=data)
    versions = dict(Department.objects.values_list("code", "version"))
    moved = csv_bytes([["code", "name", "parent_code"], ["SALES", "Sales", "OTHER"]])
    report = departments_import(actor=company.hr, data=moved)
    assert report.changes == [{"line": 2, "key": "SALES", "action": "update", "fields": ["parent"]}]
    sales, team, sub = (Department.objects.get(code=c) for c in ("SALES", "TEAM", "SUB"))
    assert sales.path == f"/{company.root.pk}/{company.other.pk}/{sales.pk}/"
    assert (team.path, sub.path) == (f"{sales.path}{team.pk}/", f"{sales.path}{team.pk}/{sub.pk}/")
    assert sales.version == versions["SALES"] + 1
    assert (team.version, sub.version) == (versions["TEAM"], versions["SUB"])
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="org.department")
    assert (event.object_id, event.object_repr) == (str(sales.pk), "Sales")
    assert (event.before, event.after) == ({"parent": "ROOT"}, {"parent": "OTHER"})


FULL_HEADER = ["工号", "姓名", "邮箱", "职位", "职位族", "职级", "入职日期", "上级工号", "部门编码"]
FULL_HEADER += ["状态", "离职日期"]


def _people_now() -> dict[str, tuple[Any, ...]]:
    """Each imported person as the file would say it (managers and departments by key)."""
    return {
        e.employee_number: (
            e.name,
            e.email,
            e.job_title,
            e.job_family,
            e.level,
            e.hire_date,
            e.manager.employee_number if e.manager else "",
            e.department.code if e.department else "",
            e.status,
            e.left_on,
        )
        for e in Employee.objects.filter(employee_number__startswith="R").select_related(
            "manager", "department"
        )
    }


def test_random_rounds_of_changes_are_each_applied_and_reported_exactly(company: Any) -> None:
    """Rounds of random edits to a whole file of people: after each import the database
    says what the file says, the report's updates are exactly the people whose record
    changed (and whose version went up), and the same file again changes nothing."""
    rng = random.Random(16)
    codes = ["ROOT", "SALES", "OTHER", ""]
    rows: list[list[Any]] = []
    for i in range(30):
        rows.append(
            [
                f"R{i:02d}",
                f"员工{i}",
                f"r{i}@example.com",
                rng.choice(["工程师", "经理", ""]),
                rng.choice(["技术", "销售"]),
                rng.choice(["P5", "P6", "M1"]),
                dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1000)),
                f"R{rng.randrange(i):02d}" if i else "",
                rng.choice(codes),
                "在职",
                "",
            ]
        )

    def text(row: list[Any]) -> list[str]:
        return ["" if cell is None else str(cell) for cell in row]

    def import_rows() -> Any:
        return employees_import(
            actor=company.hr, data=csv_bytes([FULL_HEADER, *map(text, rows)], encoding="gbk")
        )

    import_rows()
    for _round in range(8):
        for row in rng.sample(rows, 6):
            i = int(row[0][1:])
            column = rng.choice(["name", "email", "title", "level", "hire", "manager", "code"])
            column = rng.choice([column, "status"])
            reports = [r for r in rows if r[7] == row[0] and r[9] == "在职"]
            if column == "name":
                row[1] = f"员工{i}（{rng.randrange(100)}）"
            elif column == "email":
                row[2] = rng.choice([f"r{i}@example.com", f"r{i}.new@example.com", ""])
            elif column == "title":
                row[3] = rng.choice(["工程师", "经理", "总监", ""])
            elif column == "level":
                row[5] = rng.choice(["P5", "P6", "P7", "M1"])
            elif column == "hire":
                row[6] = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1000))
            elif column == "manager" and i:
                managers = [r[0] for r in rows[:i] if r[9] == "在职"]
                row[7] = rng.choice([*managers, ""])
            elif column == "code":
                row[8] = rng.choice(codes)
            elif column == "status" and row[9] == "在职" and not reports:
                row[9] = "离职"
                row[10] = rng.choice(["", row[6] + dt.timedelta(days=400)])
            elif column == "status" and row[9] == "离职":
                row[9], row[10] = "在职", ""
        before = _people_now()
        versions = dict(Employee.objects.values_list("employee_number", "version"))
        report = import_rows()
        after = _people_now()
        changed = {number for number in after if after[number] != before[number]}
        assert {c["key"] for c in report.changes if c["action"] == "update"} == changed
        assert (report.updated, report.unchanged) == (len(changed), len(rows) - len(changed))
        for number, version in Employee.objects.filter(employee_number__in=after).values_list(
            "employee_number", "version"
        ):
            assert version == versions[number] + (number in changed)
        for row in rows:
            record = after[row[0]]
            assert list(record[:9]) == [
                *row[1:6],
                row[6],
                row[7],
                row[8],
                EmployeeStatus.LEFT if row[9] == "离职" else EmployeeStatus.ACTIVE,
            ]
            left_on = record[9]
            if row[9] == "离职":
                assert left_on == (row[10] or before[row[0]][9] or timezone.localdate())
            else:
                assert left_on is None
        assert import_rows().unchanged == len(rows)

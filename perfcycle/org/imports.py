"""Importing the organisation from CSV or XLSX: departments, then employees.

Both imports are all-or-nothing: every row is validated first (values, references,
duplicates in the file, loops in the trees); a file with any bad row writes nothing and
the report names every bad row (line, column, reason). Rows are matched by employee
number or department code, so importing the same file twice changes nothing the second
time. Columns left out of the file leave those fields alone; a column present with an
empty cell clears the field. All writes are set-based (bulk statements), and each
created or changed record gets its audit event.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.accounts.models import User
from perfcycle.audit.context import audit_context
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import (
    AuditEntry,
    audit_record_many,
    snapshot,
    to_json_value,
)
from perfcycle.imports.reports import ImportReport, RowReader, record_import
from perfcycle.imports.tables import RowError, read_table, rejected
from perfcycle.imports.values import (
    parse_choice,
    parse_date,
    parse_email,
    parse_text,
)
from perfcycle.org.models import Department, Employee, EmployeeStatus
from perfcycle.org.trees import compute_paths, nodes_in_cycles

EMPLOYEE_COLUMNS: dict[str, tuple[str, ...]] = {
    "employee_number": ("工号", "员工编号", "employee_no", "emp_no", "number"),
    "name": ("姓名", "员工姓名", "full_name"),
    "email": ("邮箱", "电子邮件", "e_mail", "email_address"),
    "job_title": ("职位", "岗位", "title"),
    "job_family": ("职位族", "职族", "序列", "family"),
    "level": ("职级", "级别", "grade_level"),
    "hire_date": ("入职日期", "hired", "hire"),
    "manager_number": (
        "上级工号",
        "直属上级工号",
        "manager",
        "manager_no",
        "manager_employee_number",
    ),
    "department_code": ("部门编码", "部门代码", "department", "dept_code"),
    "status": ("状态", "在职状态"),
    "left_on": ("离职日期", "leave_date", "left_date"),
}
DEPARTMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("部门编码", "部门代码", "department_code", "dept_code"),
    "name": ("部门名称", "名称", "department_name"),
    "parent_code": ("上级部门编码", "上级部门代码", "parent", "parent_department_code"),
    "head_number": ("负责人工号", "部门负责人工号", "head", "head_employee_number"),
}
STATUS_WORDS = {
    "active": EmployeeStatus.ACTIVE,
    "在职": EmployeeStatus.ACTIVE,
    "left": EmployeeStatus.LEFT,
    "离职": EmployeeStatus.LEFT,
    "inactive": EmployeeStatus.LEFT,
}


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    """JSON values keyed by field name (``department``, not ``department_id``), as services audit."""
    return {key.removesuffix("_id"): to_json_value(value) for key, value in values.items()}


def _describe_loop(loop: list[str]) -> str:
    return " → ".join([*loop, loop[0]])


# Departments -----------------------------------------------------------------------


def departments_import(
    *, actor: User | None, data: bytes, filename: str = "", dry_run: bool = False
) -> ImportReport:
    table = read_table(
        data, filename=filename, columns=DEPARTMENT_COLUMNS, required=["code", "name"]
    )
    errors: list[RowError] = []
    parsed: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    for line, row in table.rows:
        reader = RowReader(line, row, errors)
        code = reader.get("code", lambda t: parse_text(t, max_length=32, required=True))
        values = {
            "name": reader.get("name", lambda t: parse_text(t, max_length=120, required=True)),
            "parent_code": reader.get("parent_code", lambda t: parse_text(t, max_length=32)),
            "head_number": reader.get("head_number", lambda t: parse_text(t, max_length=32)),
        }
        if code and code in lines:
            reader.fail(
                "code",
                _("Code %(code)s already appears on line %(line)d.")
                % {"code": code, "line": lines[code]},
            )
            continue
        if code:
            lines[code] = line
        if reader.ok and code:
            parsed[code] = values

    existing = {d.code: d for d in Department.objects.all()}
    heads = dict(
        Employee.objects.filter(
            employee_number__in=[v["head_number"] for v in parsed.values() if v["head_number"]]
        ).values_list("employee_number", "pk")
    )
    code_by_id = {d.pk: d.code for d in existing.values()}
    parent_of: dict[str, str | None] = {
        d.code: code_by_id.get(d.parent_id) for d in existing.values()
    }
    for code, values in parsed.items():
        if "parent_code" in table.columns:
            parent = values["parent_code"] or None
        else:
            parent = parent_of.get(code)
        # A parent whose own row is bad is not "unknown": its row's error says why.
        if parent and parent not in lines and parent not in existing:
            errors.append(
                RowError(
                    lines[code], "parent_code", _("Unknown department %(code)s.") % {"code": parent}
                )
            )
        if parent == code:
            errors.append(
                RowError(lines[code], "parent_code", _("A department cannot be its own parent."))
            )
            parent = None
        parent_of[code] = parent
        head = values["head_number"]
        if head and head not in heads:
            errors.append(
                RowError(
                    lines[code], "head_number", _("Unknown employee %(number)s.") % {"number": head}
                )
            )
    for code, loop in nodes_in_cycles(parent_of).items():
        if code in parsed:
            errors.append(
                RowError(
                    lines[code],
                    "parent_code",
                    _("The department tree would form a loop: %(loop)s")
                    % {"loop": _describe_loop(loop)},
                )
            )
    if errors:
        raise rejected(errors, rows=len(table))

    report = ImportReport(
        "departments", len(table), dry_run, file_format=table.format, encoding=table.encoding
    )
    to_create: list[Department] = []
    to_update: list[tuple[Department, dict[str, Any], dict[str, Any]]] = []
    for code, values in parsed.items():
        wanted: dict[str, Any] = {"name": values["name"]}
        if "head_number" in table.columns:
            wanted["head_id"] = heads.get(values["head_number"]) if values["head_number"] else None
        current = existing.get(code)
        parent_changed = False
        if current is None:
            to_create.append(Department(code=code, **wanted))
            report.created += 1
            report.changes.append({"line": lines[code], "key": code, "action": "create"})
            continue
        if "parent_code" in table.columns:
            parent_changed = code_by_id.get(current.parent_id) != parent_of[code]
        before = {k: getattr(current, k) for k in wanted if getattr(current, k) != wanted[k]}
        if before or parent_changed:
            after = {k: wanted[k] for k in before}
            if parent_changed:
                before["parent"] = code_by_id.get(current.parent_id)
                after["parent"] = parent_of[code]
            to_update.append((current, before, after))
            report.updated += 1
            report.changes.append(
                {
                    "line": lines[code],
                    "key": code,
                    "action": "update",
                    "fields": sorted(_audited(after)),
                }
            )
        else:
            report.unchanged += 1
    if dry_run:
        return report

    with transaction.atomic(), audit_context(source="import"):
        Department.objects.bulk_create(to_create, batch_size=1000)
        all_departments = {d.code: d for d in Department.objects.all()}
        dirty: dict[int, Department] = {}
        for department, _before, after in to_update:
            fresh = all_departments[department.code]
            for key, value in after.items():
                if key != "parent":
                    setattr(fresh, key, value)
            fresh.version += 1
            fresh.updated_at = timezone.now()
            dirty[fresh.pk] = fresh
        for code in parsed:
            department = all_departments[code]
            parent_code = parent_of.get(code)
            parent_id = all_departments[parent_code].pk if parent_code else None
            if department.parent_id != parent_id:
                department.parent_id = parent_id
                dirty[department.pk] = department
        paths = compute_paths({d.pk: d.parent_id for d in all_departments.values()})
        for department in all_departments.values():
            if department.path != paths[department.pk]:
                department.path = paths[department.pk]
                dirty[department.pk] = department
        Department.objects.bulk_update(
            list(dirty.values()),
            ["name", "head", "parent", "path", "version", "updated_at"],
            batch_size=1000,
        )
        entries = [
            AuditEntry(
                action=AuditAction.CREATE,
                instance=all_departments[d.code],
                after={
                    "code": d.code,
                    "name": d.name,
                    "parent": parent_of.get(d.code),
                    "head": d.head_id,
                },
            )
            for d in to_create
        ] + [
            AuditEntry(
                action=AuditAction.UPDATE,
                instance=all_departments[d.code],
                before=_audited(before),
                after=_audited(after),
            )
            for d, before, after in to_update
        ]
        audit_record_many(actor=actor, entries=entries)
        record_import(actor, "departments", filename, data, report)
    return report


# Employees -------------------------------------------------------------------------

_EMPLOYEE_FIELD_FOR_COLUMN = {
    "name": "name",
    "email": "email",
    "job_title": "job_title",
    "job_family": "job_family",
    "level": "level",
    "hire_date": "hire_date",
    "status": "status",
    "left_on": "left_on",
}


_EMPLOYEE_AUDITED = ("employee_number", *_EMPLOYEE_FIELD_FOR_COLUMN.values(), "department")


def _parse_employee_row(reader: RowReader) -> dict[str, Any]:
    values = {
        "name": reader.get("name", lambda t: parse_text(t, max_length=120, required=True)),
        "email": reader.get("email", parse_email),
        "job_title": reader.get("job_title", lambda t: parse_text(t, max_length=120)),
        "job_family": reader.get("job_family", lambda t: parse_text(t, max_length=64)),
        "level": reader.get("level", lambda t: parse_text(t, max_length=32)),
        "hire_date": reader.get("hire_date", parse_date),
        "manager_number": reader.get("manager_number", lambda t: parse_text(t, max_length=32)),
        "department_code": reader.get("department_code", lambda t: parse_text(t, max_length=32)),
        "status": reader.get("status", lambda t: parse_choice(t, STATUS_WORDS))
        or EmployeeStatus.ACTIVE,
        "left_on": reader.get("left_on", parse_date),
    }
    return values


def employees_import(
    *, actor: User | None, data: bytes, filename: str = "", dry_run: bool = False
) -> ImportReport:
    table = read_table(
        data, filename=filename, columns=EMPLOYEE_COLUMNS, required=["employee_number", "name"]
    )
    columns = set(table.columns)
    errors: list[RowError] = []
    parsed: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    for line, row in table.rows:
        reader = RowReader(line, row, errors)
        number = reader.get(
            "employee_number", lambda t: parse_text(t, max_length=32, required=True)
        )
        values = _parse_employee_row(reader)
        if number and number in lines:
            reader.fail(
                "employee_number",
                _("Employee number %(number)s already appears on line %(line)d.")
                % {"number": number, "line": lines[number]},
            )
            continue
        if number:
            lines[number] = line
        if reader.ok and number:
            parsed[number] = values

    rows = list(
        Employee.objects.values(
            "pk",
            "employee_number",
            "manager_id",
            "department_id",
            "status",
            "path",
            "version",
            *_EMPLOYEE_FIELD_FOR_COLUMN.values(),
        )
    )
    existing = {r["employee_number"]: r for r in rows}
    number_by_id = {r["pk"]: r["employee_number"] for r in rows}
    departments = dict(Department.objects.values_list("code", "pk"))

    manager_of: dict[str, str | None] = {
        r["employee_number"]: number_by_id.get(r["manager_id"]) for r in rows
    }
    status_of: dict[str, str] = {r["employee_number"]: r["status"] for r in rows}
    for number, values in parsed.items():
        if "manager_number" in columns:
            manager_of[number] = values["manager_number"] or None
        else:
            manager_of.setdefault(number, None)
        if "status" in columns or number not in status_of:
            status_of[number] = values["status"]
    for number, values in parsed.items():
        line = lines[number]
        manager = manager_of.get(number)
        if manager == number:
            errors.append(
                RowError(line, "manager_number", _("An employee cannot be their own manager."))
            )
            manager_of[number] = None
        elif manager and manager not in manager_of and manager not in lines:
            errors.append(
                RowError(
                    line, "manager_number", _("Unknown employee %(number)s.") % {"number": manager}
                )
            )
        elif (
            manager
            and "manager_number" in columns  # a file without managers says nothing of them
            and status_of.get(number) == EmployeeStatus.ACTIVE
            and status_of.get(manager) == EmployeeStatus.LEFT
        ):
            errors.append(
                RowError(
                    line,
                    "manager_number",
                    _("Manager %(number)s has left the company.") % {"number": manager},
                )
            )
        # The status and hire date that will hold after the import: the file's when it
        # has the column, else the ones already known.
        left_on = values["left_on"]
        hire_date = (
            values["hire_date"]
            if "hire_date" in columns
            else existing.get(number, {}).get("hire_date")
        )
        if left_on and status_of[number] == EmployeeStatus.ACTIVE:
            errors.append(
                RowError(
                    line,
                    "left_on",
                    _("A leaving date is only allowed for someone who has left."),
                )
            )
        elif left_on and hire_date and left_on < hire_date:
            errors.append(RowError(line, "left_on", _("The leaving date is before the hire date.")))
        code = values["department_code"]
        if code and code not in departments:
            errors.append(
                RowError(
                    line, "department_code", _("Unknown department %(code)s.") % {"code": code}
                )
            )
    for number, loop in nodes_in_cycles(manager_of).items():
        if number in parsed:
            errors.append(
                RowError(
                    lines[number],
                    "manager_number",
                    _("The reporting line would form a loop: %(loop)s")
                    % {"loop": _describe_loop(loop)},
                )
            )
    if errors:
        raise rejected(errors, rows=len(table))

    report = ImportReport(
        "employees", len(table), dry_run, file_format=table.format, encoding=table.encoding
    )
    today = timezone.localdate()
    creates: list[tuple[str, dict[str, Any]]] = []
    updates: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for number, values in parsed.items():
        wanted: dict[str, Any] = {
            field_name: values[column]
            for column, field_name in _EMPLOYEE_FIELD_FOR_COLUMN.items()
            if column in columns
        }
        if "department_code" in columns:
            wanted["department_id"] = (
                departments.get(values["department_code"]) if values["department_code"] else None
            )
        current_left = existing.get(number, {}).get("left_on")
        if status_of[number] == EmployeeStatus.LEFT:
            # Someone who has left always has a leaving date: the file's, else the one
            # already known, else today.
            if not wanted.get("left_on", current_left):
                wanted["left_on"] = current_left or today
        elif "status" in wanted:
            wanted["left_on"] = None
        for optional in ("email", "job_title", "job_family", "level"):
            if optional in wanted and wanted[optional] is None:
                wanted[optional] = ""
        current = existing.get(number)
        if current is None:
            creates.append((number, wanted))
            report.created += 1
            report.changes.append({"line": lines[number], "key": number, "action": "create"})
            continue
        before = {k: current[k] for k in wanted if current[k] != wanted[k]}
        after = {k: wanted[k] for k in before}
        if "manager_number" in columns:
            old_manager = number_by_id.get(current["manager_id"])
            if old_manager != manager_of[number]:
                before["manager"] = old_manager
                after["manager"] = manager_of[number]
        if after:
            updates.append((number, before, after))
            report.updated += 1
            report.changes.append(
                {
                    "line": lines[number],
                    "key": number,
                    "action": "update",
                    "fields": sorted(_audited(after)),
                }
            )
        else:
            report.unchanged += 1
    if dry_run:
        return report

    with transaction.atomic(), audit_context(source="import"):
        _apply_employee_import(actor, creates, updates, manager_of, columns)
        record_import(actor, "employees", filename, data, report)
    return report


def _apply_employee_import(
    actor: User | None,
    creates: list[tuple[str, dict[str, Any]]],
    updates: list[tuple[str, dict[str, Any], dict[str, Any]]],
    manager_of: dict[str, str | None],
    columns: set[str],
) -> None:
    now = timezone.now()
    Employee.objects.bulk_create(
        [Employee(employee_number=number, **wanted) for number, wanted in creates], batch_size=1000
    )
    created_numbers = {number for number, _ in creates}
    updated = {number: after for number, _before, after in updates}
    touched = created_numbers | set(updated)
    current = {
        e.employee_number: e
        for e in Employee.objects.only(
            "pk",
            "employee_number",
            "manager_id",
            "path",
            "version",
            "user_id",
            "status",
            *_EMPLOYEE_FIELD_FOR_COLUMN.values(),
            "department_id",
        )
    }
    dirty: dict[int, Employee] = {}
    for number, after in updated.items():
        employee = current[number]
        for key, value in after.items():
            if key != "manager":
                setattr(employee, key, value)
        employee.version += 1
        employee.updated_at = now
        dirty[employee.pk] = employee
    for number in touched:
        if "manager_number" not in columns and number not in created_numbers:
            continue
        employee = current[number]
        manager_number = manager_of.get(number)
        manager_id = current[manager_number].pk if manager_number else None
        if employee.manager_id != manager_id:
            employee.manager_id = manager_id
            dirty[employee.pk] = employee
    paths = compute_paths({e.pk: e.manager_id for e in current.values()})
    for employee in current.values():
        if employee.path != paths[employee.pk]:
            employee.path = paths[employee.pk]
            dirty[employee.pk] = employee
    Employee.objects.bulk_update(
        list(dirty.values()),
        [
            *_EMPLOYEE_FIELD_FOR_COLUMN.values(),
            "department",
            "manager",
            "path",
            "version",
            "updated_at",
        ],
        batch_size=1000,
    )
    # Whoever has left loses their login, and the trail says so.
    left_users = list(
        User.objects.filter(
            is_active=True,
            pk__in=[
                current[n].user_id
                for n in updated
                if current[n].user_id and current[n].status == EmployeeStatus.LEFT
            ],
        )
    )
    if left_users:
        User.objects.filter(pk__in=[u.pk for u in left_users]).update(is_active=False)
    entries = (
        [
            AuditEntry(
                action=AuditAction.CREATE,
                instance=current[number],
                after=_audited(
                    {
                        **snapshot(current[number], _EMPLOYEE_AUDITED),
                        "manager": manager_of.get(number),
                    }
                ),
            )
            for number, _wanted in creates
        ]
        + [
            AuditEntry(
                action=AuditAction.UPDATE,
                instance=current[number],
                before=_audited(before),
                after=_audited(after),
            )
            for number, before, after in updates
        ]
        + [
            AuditEntry(
                action=AuditAction.UPDATE,
                instance=user,
                before={"is_active": True},
                after={"is_active": False},
            )
            for user in left_users
        ]
    )
    audit_record_many(actor=actor, entries=entries)

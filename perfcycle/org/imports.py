"""Importing the organisation from CSV or XLSX: departments, then employees.

Both imports are all-or-nothing: every row is validated first (values, references,
duplicates in the file, loops in the trees); a file with any bad row writes nothing and
the report names every bad row (line, column, reason). Rows are matched by employee
number or department code, so importing the same file twice changes nothing the second
time. Columns left out of the file leave those fields alone; a column present with an
empty cell clears the field.

Both are built for files of 100,000 rows: every table a file refers to is read once,
new rows get their ids before they are written (so each is written once, its tree path
included), and writes are bulk statements (``imports.bulk``). Each import records one
summary event (who, which file, how many rows created, updated, unchanged); each
changed record gets its own event with before and after, and so does each created
department. New employees are counted by the summary rather than one event each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
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
    to_json_value,
)
from perfcycle.core.batch import without_gc
from perfcycle.imports.bulk import insert_rows, reserve_ids, update_rows
from perfcycle.imports.reports import ImportReport, RowReader, record_import
from perfcycle.imports.tables import RowError, read_table, rejected
from perfcycle.imports.values import (
    CellError,
    parse_choice,
    parse_date,
    parse_email,
    parse_text,
    text_parser,
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
        _apply_department_import(actor, to_create, to_update, parent_of, existing)
        record_import(actor, "departments", filename, data, report)
    return report


def _apply_department_import(
    actor: User | None,
    to_create: list[Department],
    to_update: list[tuple[Department, dict[str, Any], dict[str, Any]]],
    parent_of: dict[str, str | None],
    existing: dict[str, Department],
) -> None:
    """Write the checked rows: new departments inserted whole (ids reserved first, so
    their paths are known), changed ones and moved subtrees updated in bulk; an audit
    event for each created or changed department."""
    now = timezone.now()
    id_of = {code: d.pk for code, d in existing.items()}
    id_of.update(
        zip([d.code for d in to_create], reserve_ids(Department, len(to_create)), strict=True)
    )
    parents = {d.pk: d.parent_id for d in existing.values()}
    for d in to_create:
        parents[id_of[d.code]] = id_of[parent_of[d.code]] if parent_of.get(d.code) else None
    for d, _before, after in to_update:
        if "parent" in after:
            parents[d.pk] = id_of[after["parent"]] if after["parent"] else None
    paths = compute_paths(parents)
    insert_rows(
        Department,
        ["id", "code", "name", "head_id", "parent_id", "path"],
        [
            (id_of[d.code], d.code, d.name, d.head_id, parents[id_of[d.code]], paths[id_of[d.code]])
            for d in to_create
        ],
        now=now,
    )
    changed = {d.pk for d, _before, _after in to_update}
    update_rows(
        Department,
        ["id", "name", "head_id", "parent_id", "path", "version", "updated_at"],
        [
            (
                d.pk,
                after.get("name", d.name),
                after.get("head_id", d.head_id),
                parents[d.pk],
                paths[d.pk],
                d.version + 1,
                now,
            )
            for d, _before, after in to_update
        ],
    )
    # Paths below a moved department follow silently (no new version).
    update_rows(
        Department,
        ["id", "path"],
        [
            (d.pk, paths[d.pk])
            for d in existing.values()
            if d.path != paths[d.pk] and d.pk not in changed
        ],
    )
    entries = [
        AuditEntry(
            action=AuditAction.CREATE,
            object_type=Department._meta.label_lower,
            object_id=str(id_of[d.code]),
            object_repr=d.name,
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
            object_type=Department._meta.label_lower,
            object_id=str(d.pk),
            object_repr=after.get("name", d.name),
            before=_audited(before),
            after=_audited(after),
        )
        for d, before, after in to_update
    ]
    audit_record_many(actor=actor, entries=entries)


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


_REQUIRED_NUMBER = text_parser(32, required=True)
_EMPLOYEE_PARSERS: tuple[tuple[str, Callable[[str], Any]], ...] = (
    ("name", text_parser(120, required=True)),
    ("email", parse_email),
    ("job_title", text_parser(120)),
    ("job_family", text_parser(64)),
    ("level", text_parser(32)),
    ("hire_date", parse_date),
    ("manager_number", text_parser(32)),
    ("department_code", text_parser(32)),
    ("status", partial(parse_choice, choices=STATUS_WORDS)),
    ("left_on", parse_date),
)


# Columns whose texts repeat from row to row (a company has few titles, levels, hire
# dates and departments): each distinct text is parsed once per file.
_REPEATING = frozenset(
    {"job_title", "job_family", "level", "hire_date", "department_code", "status", "left_on"}
)
_UNPARSED = object()


def _parse_employee_row(reader: RowReader, seen: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The row's values by column; ``seen`` keeps, per repeating column, what each text
    parsed to (texts that fail are parsed again, so each row's error is named)."""
    # RowReader.get, inlined: this runs for every cell of files of 100,000 rows.
    row = reader.row
    values: dict[str, Any] = {}
    for column, parser in _EMPLOYEE_PARSERS:
        text = row.get(column, "")
        known = seen.get(column)
        if known is not None:
            value = known.get(text, _UNPARSED)
            if value is not _UNPARSED:
                values[column] = value
                continue
        try:
            value = parser(text)
        except CellError as exc:
            reader.fail(column, str(exc))
            values[column] = None
            continue
        values[column] = value
        if known is not None:
            known[text] = value
    values["status"] = values["status"] or EmployeeStatus.ACTIVE
    return values


@without_gc()
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
    seen: dict[str, dict[str, Any]] = {column: {} for column in _REPEATING}
    for line, row in table.rows:
        reader = RowReader(line, row, errors)
        number = reader.get("employee_number", _REQUIRED_NUMBER)
        values = _parse_employee_row(reader, seen)
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
        Employee.objects.order_by().values(
            "pk",
            "employee_number",
            "manager_id",
            "department_id",
            "status",
            "path",
            "version",
            "user_id",
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
        _apply_employee_import(actor, creates, updates, manager_of, columns, existing)
        record_import(actor, "employees", filename, data, report)
    return report


_EMPLOYEE_COLUMNS = (*_EMPLOYEE_FIELD_FOR_COLUMN.values(), "department_id", "manager_id")


def _apply_employee_import(
    actor: User | None,
    creates: list[tuple[str, dict[str, Any]]],
    updates: list[tuple[str, dict[str, Any], dict[str, Any]]],
    manager_of: dict[str, str | None],
    columns: set[str],
    existing: dict[str, dict[str, Any]],
) -> None:
    """Write the checked rows: new people inserted whole (ids reserved first, so their
    paths are known), changed people and moved subtrees updated in bulk statements."""
    now = timezone.now()
    # New people get ids in the order of their numbers, and are written in that order:
    # both unique indexes then grow at their end, whatever the order of the file.
    creates = sorted(creates, key=lambda create: create[0])
    id_of = {number: row["pk"] for number, row in existing.items()}
    id_of.update(zip([n for n, _w in creates], reserve_ids(Employee, len(creates)), strict=True))
    parent_of = {row["pk"]: row["manager_id"] for row in existing.values()}
    for number, _wanted in creates:
        manager = manager_of.get(number)
        parent_of[id_of[number]] = id_of[manager] if manager else None
    for number, _before, after in updates:
        if "manager" in after:
            parent_of[id_of[number]] = id_of[after["manager"]] if after["manager"] else None
    paths = compute_paths(parent_of)

    defaults = {name: Employee._meta.get_field(name).get_default() for name in _EMPLOYEE_COLUMNS}

    def new_rows() -> Iterator[tuple[Any, ...]]:
        # Made as they are sent: on PostgreSQL the server stores each batch while the
        # next is made.
        for number, wanted in creates:
            pk = id_of[number]
            values = {**defaults, **wanted, "manager_id": parent_of[pk]}
            yield (pk, number, *(values[n] for n in _EMPLOYEE_COLUMNS), paths[pk])

    insert_rows(
        Employee, ["id", "employee_number", *_EMPLOYEE_COLUMNS, "path"], new_rows(), now=now
    )

    changed_rows = []
    for number, _before, after in updates:
        current = existing[number]
        pk = current["pk"]
        values = {**current, **after, "manager_id": parent_of[pk]}
        changed_rows.append(
            (pk, *(values[n] for n in _EMPLOYEE_COLUMNS), paths[pk], current["version"] + 1, now)
        )
    update_rows(Employee, ["id", *_EMPLOYEE_COLUMNS, "path", "version", "updated_at"], changed_rows)
    # Paths below a moved manager follow silently (no new version: nothing of theirs changed).
    updated = {number for number, _b, _a in updates}
    update_rows(
        Employee,
        ["id", "path"],
        [
            (row["pk"], paths[row["pk"]])
            for number, row in existing.items()
            if row["path"] != paths[row["pk"]] and number not in updated
        ],
    )

    # Whoever has left loses their login, and the trail says so.
    left_users = list(
        User.objects.filter(
            is_active=True,
            pk__in=[
                existing[number]["user_id"]
                for number, _before, after in updates
                if existing[number]["user_id"]
                and after.get("status", existing[number]["status"]) == EmployeeStatus.LEFT
            ],
        )
    )
    if left_users:
        User.objects.filter(pk__in=[u.pk for u in left_users]).update(is_active=False)
    # Each change with its before and after; new people are counted by the import's
    # summary event (their rows carry the import's time).
    entries = [
        AuditEntry(
            action=AuditAction.UPDATE,
            object_type=Employee._meta.label_lower,
            object_id=str(existing[number]["pk"]),
            object_repr=f"{after.get('name', existing[number]['name'])} ({number})",
            before=_audited(before),
            after=_audited(after),
        )
        for number, before, after in updates
    ] + [
        AuditEntry(
            action=AuditAction.UPDATE,
            instance=user,
            before={"is_active": True},
            after={"is_active": False},
        )
        for user in left_users
    ]
    audit_record_many(actor=actor, entries=entries)

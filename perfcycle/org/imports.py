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

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import compress, count, repeat
from operator import eq, itemgetter, ne
from typing import Any

from django.db import transaction
from django.db.models import F
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
from perfcycle.core.bulk import analyze_large_write
from perfcycle.imports.bulk import AnyOf, insert_rows, reserve_ids, update_rows
from perfcycle.imports.reports import Changes, ImportReport, RowReader, record_import
from perfcycle.imports.tables import RowError, Table, read_table, rejected
from perfcycle.imports.values import (
    parse_choice,
    parse_column,
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


def _parse_employee_columns(
    table: Table, lines: list[int], errors: list[RowError]
) -> tuple[dict[str, list[Any]], set[int]]:
    """Every column's values in row order (column by column: ``parse_column``), and the
    indexes of the rows with a bad cell, each cell's problem added to ``errors``."""
    values: dict[str, list[Any]] = {}
    bad: set[int] = set()
    for column, parser in (("employee_number", _REQUIRED_NUMBER), *_EMPLOYEE_PARSERS):
        values[column], failed = parse_column(
            table.column(column), parser, repeating=column in _REPEATING
        )
        for index, message in failed.items():
            errors.append(RowError(lines[index], column, message))
        bad.update(failed)
    values["status"] = [status or EmployeeStatus.ACTIVE for status in values["status"]]
    return values, bad


@dataclass(frozen=True)
class _People:
    """Everyone already there, column by column (one query, no dictionary per person)."""

    ids: tuple[int, ...] = ()
    numbers: tuple[str, ...] = ()
    manager_ids: tuple[int | None, ...] = ()
    statuses: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()

    @classmethod
    def read(cls) -> _People:
        rows = Employee.objects.order_by().values_list(
            "pk", "employee_number", "manager_id", "status", "path"
        )
        return cls(*zip(*rows, strict=True))


def _numbered(
    numbers: list[str], lines: list[int], bad: set[int], errors: list[RowError]
) -> tuple[dict[str, int], dict[str, int]]:
    """Each good row's index by its employee number, and the first line of every number;
    a number that appears again is an error on each later line."""
    first: dict[str, int] = dict(zip(reversed(numbers), reversed(lines), strict=True))
    first.pop("", None)
    if len(first) + numbers.count("") == len(numbers):  # no number appears twice
        good = dict(zip(numbers, range(len(numbers)), strict=True))
        good.pop("", None)
        for index in bad:
            good.pop(numbers[index], None)
        return good, first
    good = {}
    for index, (line, number) in enumerate(zip(lines, numbers, strict=True)):
        if not number:
            continue
        if first[number] != line:
            errors.append(
                RowError(
                    line,
                    "employee_number",
                    _("Employee number %(number)s already appears on line %(line)d.")
                    % {"number": number, "line": first[number]},
                )
            )
        elif index not in bad:
            good[number] = index
    return good, first


@without_gc()
def employees_import(
    *, actor: User | None, data: bytes, filename: str = "", dry_run: bool = False
) -> ImportReport:
    table = read_table(
        data, filename=filename, columns=EMPLOYEE_COLUMNS, required=["employee_number", "name"]
    )
    columns = set(table.columns)
    errors: list[RowError] = []
    row_lines = table.lines
    cells, bad = _parse_employee_columns(table, row_lines, errors)
    parsed, lines = _numbered(cells["employee_number"], row_lines, bad, errors)
    managers, statuses = cells["manager_number"], cells["status"]
    hire_dates, left_ons, codes = cells["hire_date"], cells["left_on"], cells["department_code"]

    # Everyone's place in the tree (for references, loops and paths); the whole record
    # only of the people the file names.
    people = _People.read()
    number_by_id = dict(zip(people.ids, people.numbers, strict=True))
    id_of = dict(zip(people.numbers, people.ids, strict=True))
    manager_of: dict[str, str | None] = dict(
        zip(people.numbers, map(number_by_id.get, people.manager_ids), strict=True)
    )
    status_of: dict[str, str] = dict(zip(people.numbers, people.statuses, strict=True))
    named = [id_of[number] for number in parsed.keys() & id_of.keys()]
    records: dict[str, tuple[Any, ...]] = (
        {
            row[1]: row
            for row in Employee.objects.order_by()
            .filter(AnyOf(F("pk"), named, integers=True))
            .values_list(*_RECORD_FIELDS)
        }
        if named
        else {}
    )
    departments = dict(Department.objects.values_list("code", "pk"))

    has_managers, has_hire_dates = "manager_number" in columns, "hire_date" in columns
    # Managers and statuses as they will be: the file's where it has the column.
    if has_managers:
        manager_of.update(zip(parsed, [managers[i] or None for i in parsed.values()], strict=True))
    else:
        for number in parsed:
            manager_of.setdefault(number, None)
    if "status" in columns:
        status_of.update(zip(parsed, [statuses[i] for i in parsed.values()], strict=True))
    else:
        for number, index in parsed.items():
            status_of.setdefault(number, statuses[index])
    _check_people(
        errors,
        parsed=parsed,
        lines=lines,
        numbers=cells["employee_number"],
        manager_of=manager_of,
        status_of=status_of,
        has_managers=has_managers,
        hire_dates=hire_dates if has_hire_dates else None,
        left_ons=left_ons,
        codes=codes,
        departments=departments,
        records=records,
    )
    # The tree there has no loop, so a loop passes through someone whose manager the
    # file gives.
    for number, loop in nodes_in_cycles(manager_of, parsed).items():
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
    present = [
        (field_name, column)
        for column, field_name in _EMPLOYEE_FIELD_FOR_COLUMN.items()
        if column in columns
    ]
    has_departments = "department_code" in columns
    left = EmployeeStatus.LEFT
    updates: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    fields_of: dict[str, list[str]] = {}
    # Only the people already there whose fields may differ are compared field by field
    # (``_maybe_changed``); the new ones are counted here and written column by column
    # (``_NewPeople``).
    candidates = _maybe_changed(
        [n for n in parsed if n in records] if records else [],
        records,
        parsed,
        cells,
        present=present,
        departments=departments if has_departments else None,
        manager_of=manager_of if has_managers else None,
        number_by_id=number_by_id,
        status_of=status_of,
    )
    existing = {n: dict(zip(_RECORD_FIELDS, records[n], strict=True)) for n in candidates}
    for number in candidates:
        index = parsed[number]
        wanted: dict[str, Any] = {name: cells[column][index] for name, column in present}
        if has_departments:
            wanted["department_id"] = departments.get(codes[index]) if codes[index] else None
        current = existing[number]
        current_left = current["left_on"]
        if status_of[number] == left:
            # Someone who has left always has a leaving date: the file's, else the one
            # already known, else today.
            if not wanted.get("left_on", current_left):
                wanted["left_on"] = current_left or today
        elif "status" in wanted:
            wanted["left_on"] = None
        before = {k: current[k] for k in wanted if current[k] != wanted[k]}
        after = {k: wanted[k] for k in before}
        if has_managers:
            old_manager = number_by_id.get(current["manager_id"])
            if old_manager != manager_of[number]:
                before["manager"] = old_manager
                after["manager"] = manager_of[number]
        if after:
            updates.append((number, before, after))
            fields_of[number] = sorted(_audited(after))
    report.created = len(parsed) - len(records)
    report.updated = len(updates)
    report.unchanged = len(records) - len(updates)
    numbers = cells["employee_number"]

    def change(index: int) -> dict[str, Any]:
        number = numbers[index]
        fields = fields_of.get(number)
        if fields is None:
            return {"line": row_lines[index], "key": number, "action": "create"}
        return {"line": row_lines[index], "key": number, "action": "update", "fields": fields}

    report.changes = Changes(
        [i for n, i in parsed.items() if n in fields_of or n not in records]
        if records
        else list(parsed.values()),
        change,
    )
    if dry_run:
        return report

    new = _NewPeople.of(
        sorted(parsed.keys() - records.keys()),
        parsed,
        cells,
        present=[column for _name, column in present],
        departments=departments if has_departments else None,
        today=today,
    )
    with transaction.atomic(), audit_context(source="import"):
        _apply_employee_import(actor, new, updates, manager_of, people, id_of, existing)
        record_import(actor, "employees", filename, data, report)
    return report


# What the import reads of each person the file names (``records``: these as tuples).
_RECORD_FIELDS = (
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


def _maybe_changed(
    named: list[str],
    records: dict[str, tuple[Any, ...]],
    parsed: dict[str, int],
    cells: dict[str, list[Any]],
    *,
    present: list[tuple[str, str]],
    departments: dict[str, int] | None,
    manager_of: dict[str, str | None] | None,
    number_by_id: dict[int, str],
    status_of: dict[str, str],
) -> list[str]:
    """Of the people already there (``named``, in file order), those the file may change:
    a field the file has differs, or their manager or department does (when it has those
    columns), or a leaving date is involved (whoever has left or is given a date: the date
    then follows the status). Compared a column at a time (``map``), so a file of 100,000
    unchanged people costs no loop in Python."""
    current = list(map(records.__getitem__, named))
    indexes = list(map(parsed.__getitem__, named))
    positions: set[int] = set()

    def stored(field_name: str) -> Iterator[Any]:
        return map(itemgetter(_RECORD_FIELDS.index(field_name)), current)

    def differs(wanted: Iterable[Any], now: Iterable[Any]) -> None:
        positions.update(compress(count(), map(ne, wanted, now)))

    for field_name, column in present:
        if field_name != "left_on":
            differs(map(cells[column].__getitem__, indexes), stored(field_name))
    if departments is not None:
        codes = map(cells["department_code"].__getitem__, indexes)
        wanted = [departments.get(code) if code else None for code in codes]
        differs(wanted, stored("department_id"))
    if manager_of is not None:  # compared by number
        differs(map(manager_of.__getitem__, named), map(number_by_id.get, stored("manager_id")))
    # (Only someone who has left has a leaving date already: the table's constraint.)
    left = EmployeeStatus.LEFT
    dated = zip(
        map(cells["left_on"].__getitem__, indexes), map(status_of.__getitem__, named), strict=True
    )
    positions.update(i for i, (given, status) in enumerate(dated) if given or status == left)
    return [named[i] for i in sorted(positions)]


def _check_people(
    errors: list[RowError],
    *,
    parsed: dict[str, int],
    lines: dict[str, int],
    numbers: list[str],
    manager_of: dict[str, str | None],
    status_of: dict[str, str],
    has_managers: bool,
    hire_dates: list[Any] | None,
    left_ons: list[Any],
    codes: list[str | None],
    departments: dict[str, int],
    records: dict[str, tuple[Any, ...]],
) -> None:
    """What the good rows say against each other and the company: managers (known, not
    oneself, still there), leaving dates, departments. ``manager_of`` and ``status_of``
    are as they will be after the import; someone named as their own manager is taken
    out of ``manager_of``. Each check looks only at the rows it could fail: sets first,
    then the few rows they point at (100,000 good rows pass in a few milliseconds)."""
    active, left = EmployeeStatus.ACTIVE, EmployeeStatus.LEFT
    their_managers = list(map(manager_of.get, parsed))
    for number in list(compress(parsed, map(eq, parsed, their_managers))):
        errors.append(
            RowError(lines[number], "manager_number", _("An employee cannot be their own manager."))
        )
        manager_of[number] = None
    unknown = set(their_managers) - manager_of.keys() - lines.keys() - {None}
    if has_managers:  # a file without managers says nothing of them
        gone = set(compress(status_of, map(eq, status_of.values(), repeat(left))))
    else:
        gone = set()
    # Only the rows whose manager is unknown or has left are looked at one by one.
    suspects = (unknown | gone).intersection(their_managers)
    for number, manager in zip(parsed, their_managers, strict=True) if suspects else ():
        if manager in unknown:
            errors.append(
                RowError(
                    lines[number],
                    "manager_number",
                    _("Unknown employee %(number)s.") % {"number": manager},
                )
            )
        elif manager in gone and manager != number and status_of[number] == active:
            errors.append(
                RowError(
                    lines[number],
                    "manager_number",
                    _("Manager %(number)s has left the company.") % {"number": manager},
                )
            )
    # Leaving dates, checked against the status and hire date that will hold after the
    # import: the file's when it has the column, else the ones already known.
    for index in [i for i, left_on in enumerate(left_ons) if left_on]:
        number = numbers[index]
        if parsed.get(number) != index:
            continue  # a bad row: its own errors say why
        line, left_on = lines[number], left_ons[index]
        if hire_dates is not None:
            hire_date = hire_dates[index]
        else:
            record = records.get(number)
            hire_date = record[_RECORD_FIELDS.index("hire_date")] if record else None
        if status_of[number] == active:
            errors.append(
                RowError(
                    line, "left_on", _("A leaving date is only allowed for someone who has left.")
                )
            )
        elif hire_date and left_on < hire_date:
            errors.append(RowError(line, "left_on", _("The leaving date is before the hire date.")))
    missing = set(codes) - departments.keys() - {"", None}
    if missing:
        for number, index in parsed.items():
            if codes[index] in missing:
                errors.append(
                    RowError(
                        lines[number],
                        "department_code",
                        _("Unknown department %(code)s.") % {"code": codes[index]},
                    )
                )


_EMPLOYEE_COLUMNS = (*_EMPLOYEE_FIELD_FOR_COLUMN.values(), "department_id", "manager_id")


@dataclass(frozen=True)
class _NewPeople:
    """The people an import creates, column by column in the order of their numbers:
    ``columns`` holds a list for each of ``_EMPLOYEE_COLUMNS`` but the manager (whose
    id is known only once the ids are reserved), or the field's default for a column
    the file does not have."""

    numbers: list[str]
    columns: dict[str, list[Any] | Any]

    @classmethod
    def of(
        cls,
        numbers: list[str],
        parsed: dict[str, int],
        cells: dict[str, list[Any]],
        *,
        present: list[str],
        departments: dict[str, int] | None,
        today: dt.date,
    ) -> _NewPeople:
        indexes = list(map(parsed.__getitem__, numbers))
        pick = cells.__getitem__

        def column(name: str) -> list[Any]:
            return list(map(pick(name).__getitem__, indexes))

        picked = {name: column(name) for name in {*present, "status", "left_on"}}
        values: dict[str, list[Any] | Any] = {
            name: Employee._meta.get_field(name).get_default() for name in _EMPLOYEE_COLUMNS
        }
        values.update({_EMPLOYEE_FIELD_FOR_COLUMN[c]: picked[c] for c in present})
        statuses = values["status"] = picked["status"]  # the file's, or everyone active
        # Someone who has left always has a leaving date: the file's, else today. (A
        # leaving date beside any other status was refused.)
        left = EmployeeStatus.LEFT
        values["left_on"] = [
            left_on or (today if status == left else None)
            for left_on, status in zip(picked["left_on"], statuses, strict=True)
        ]
        if departments is not None:
            values["department_id"] = [
                departments.get(code) if code else None for code in column("department_code")
            ]
        return cls(numbers, values)

    def rows(
        self, ids: list[int], manager_ids: list[int | None], paths: list[str]
    ) -> Iterator[tuple[Any, ...]]:
        """Each new person's row: id, number, ``_EMPLOYEE_COLUMNS``, path."""
        count = len(self.numbers)
        columns = [
            value if isinstance(value, list) else repeat(value, count)
            for value in (self.columns[name] for name in _EMPLOYEE_COLUMNS[:-1])
        ]
        return zip(ids, self.numbers, *columns, manager_ids, paths, strict=True)


def _apply_employee_import(
    actor: User | None,
    new: _NewPeople,
    updates: list[tuple[str, dict[str, Any], dict[str, Any]]],
    manager_of: dict[str, str | None],
    people: _People,
    id_of: dict[str, int],
    existing: dict[str, dict[str, Any]],
) -> None:
    """Write the checked rows: new people inserted whole (ids reserved first, so their
    paths are known), changed people and moved subtrees updated in bulk statements.
    ``people`` is everyone already there, ``id_of`` their ids by number (the new ones
    are added), ``existing`` the whole record of those the file names."""
    now = timezone.now()
    # New people get ids in the order of their numbers, and are written in that order:
    # both unique indexes then grow at their end, whatever the order of the file.
    new_ids = reserve_ids(Employee, len(new.numbers))
    id_of.update(zip(new.numbers, new_ids, strict=True))
    moved = [(number, after["manager"]) for number, _before, after in updates if "manager" in after]
    # Nobody there changes manager: their paths stand, and only the new people's are made.
    parent_of = {} if not moved else dict(zip(people.ids, people.manager_ids, strict=True))
    # (Every manager named is known by now: unknown ones were refused.)
    new_managers = list(map(id_of.get, map(manager_of.get, new.numbers)))
    parent_of.update(zip(new_ids, new_managers, strict=True))
    for number, manager in moved:
        parent_of[id_of[number]] = id_of[manager] if manager else None
    paths = compute_paths(
        parent_of, known=None if moved else dict(zip(people.ids, people.paths, strict=True))
    )
    insert_rows(
        Employee,
        ["id", "employee_number", *_EMPLOYEE_COLUMNS, "path"],
        new.rows(new_ids, new_managers, list(map(paths.__getitem__, new_ids))),
        now=now,
    )

    changed_rows = []
    for number, _before, after in updates:
        current = existing[number]
        pk = current["pk"]
        values = {**current, **after, "manager_id": parent_of.get(pk, current["manager_id"])}
        changed_rows.append(
            (pk, *(values[n] for n in _EMPLOYEE_COLUMNS), paths[pk], current["version"] + 1, now)
        )
    update_rows(Employee, ["id", *_EMPLOYEE_COLUMNS, "path", "version", "updated_at"], changed_rows)
    analyze_large_write([Employee], len(new.numbers) + len(changed_rows))
    # Paths below a moved manager follow silently (no new version: nothing of theirs changed).
    updated = {number for number, _b, _a in updates}
    if moved:
        update_rows(
            Employee,
            ["id", "path"],
            [
                (pk, paths[pk])
                for pk, number, path in zip(people.ids, people.numbers, people.paths, strict=True)
                if path != paths[pk] and number not in updated
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

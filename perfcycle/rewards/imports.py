"""Pay on record from a spreadsheet (CSV UTF-8/BOM/GBK or XLSX), read with the shared
``perfcycle.imports`` reader, so it speaks like every other import.

One row per person: employee number, base monthly pay, and a target bonus as an amount
or months of base pay, with the currency (English or Chinese headers). All rows or
none: every bad row is named (line, column, reason) and nothing is written. Columns left
out keep what is on record; an empty cell in a column given clears it. A row equal
to what is on record is unchanged, so importing the same file twice changes nothing.
Each change goes through ``compensation_set`` (audited), and the file is audited once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import transaction
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, may
from perfcycle.audit.context import audit_context
from perfcycle.core.errors import Forbidden
from perfcycle.imports.reports import ImportReport, RowReader, record_import
from perfcycle.imports.tables import RowError, read_table, rejected
from perfcycle.imports.values import CellError, parse_decimal, parse_text
from perfcycle.org.models import Employee
from perfcycle.rewards.models import Compensation
from perfcycle.rewards.services import compensation_set

KIND = "compensation"
COLUMNS: dict[str, tuple[str, ...]] = {
    "employee_number": ("工号", "员工工号", "employee_no", "emp_no"),
    "base_monthly": ("月基本工资", "基本工资", "base_monthly_pay", "base_pay"),
    "target_bonus_amount": ("目标奖金", "target_bonus"),
    "target_bonus_months": ("目标奖金月数", "bonus_months"),
    "currency": ("币种", "货币"),
}
FIELDS = ("base_monthly", "target_bonus_amount", "target_bonus_months", "currency")


def _money(max_digits: int) -> Any:
    check = DecimalValidator(max_digits, 2)

    def parse(text: str) -> Decimal | None:
        value = parse_decimal(text)
        if value is None:
            return None
        if value < 0:
            raise CellError(_("This may not be negative."))
        try:
            check(value)
        except ValidationError as exc:
            raise CellError(" ".join(exc.messages)) from exc
        return value.quantize(Decimal("0.01"))

    return parse


def _currency(text: str) -> str:
    code = text.strip().upper() or "CNY"
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise CellError(_("Use a three-letter currency code such as CNY."))
    return code


def compensation_import(
    *, actor: Any, data: bytes, filename: str = "", dry_run: bool = False
) -> ImportReport:
    """Import pay on record from a file (HR): all rows or none."""
    if not may(actor, Action.COMPENSATION_MANAGE):
        raise Forbidden(_("Only HR keeps pay on record."))
    table = read_table(
        data, filename=filename, columns=COLUMNS, required=["employee_number", "base_monthly"]
    )
    errors: list[RowError] = []
    numbers = set(table.column("employee_number"))
    employees = {e.employee_number: e for e in Employee.objects.filter(employee_number__in=numbers)}
    existing = {
        c.employee_id: c for c in Compensation.objects.filter(employee__employee_number__in=numbers)
    }
    seen: dict[str, int] = {}
    rows: list[tuple[int, Employee, dict[str, Any]]] = []
    for line, cells in table.rows:
        reader = RowReader(line, cells, errors)
        number = reader.get(
            "employee_number", lambda t: parse_text(t, max_length=32, required=True)
        )
        values = {
            "base_monthly": reader.get("base_monthly", _money(14)),
            "target_bonus_amount": reader.get("target_bonus_amount", _money(14)),
            "target_bonus_months": reader.get("target_bonus_months", _money(6)),
            "currency": reader.get("currency", _currency),
        }
        if reader.ok and values["base_monthly"] is None:
            reader.fail("base_monthly", _("This value is required."))
        employee = employees.get(number or "")
        if number and employee is None:
            reader.fail("employee_number", _("No employee has the number %(n)s.") % {"n": number})
        if number and number in seen:
            reader.fail(
                "employee_number",
                _("%(n)s already appears on line %(line)d.") % {"n": number, "line": seen[number]},
            )
        elif number:
            seen[number] = line
        if reader.ok and employee is not None:
            rows.append((line, employee, values))
    if errors:
        raise rejected(errors, rows=len(table))
    report = ImportReport(kind=KIND, rows=len(table), dry_run=dry_run)
    report.file_format, report.encoding = table.format, table.encoding
    changed: list[tuple[Employee, dict[str, Any], Compensation | None]] = []
    for line, employee, values in rows:
        old = existing.get(employee.pk)
        if old is not None:
            # Columns left out of the file keep what is on record.
            for name in FIELDS:
                if name not in table.columns:
                    values[name] = getattr(old, name)
        if old is None:
            report.created += 1
            report.changes.append(
                {"line": line, "key": employee.employee_number, "action": "create"}
            )
        else:
            fields = [f for f in FIELDS if getattr(old, f) != values[f]]
            if not fields:
                report.unchanged += 1
                continue
            report.updated += 1
            report.changes.append(
                {
                    "line": line,
                    "key": employee.employee_number,
                    "action": "update",
                    "fields": fields,
                }
            )
        changed.append((employee, values, old))
    if dry_run:
        return report
    with transaction.atomic(), audit_context(source="import"):
        for employee, values, old in changed:
            compensation_set(
                actor=actor,
                employee=employee,
                expected_version=old.version if old is not None else None,
                **values,
            )
        record_import(actor, KIND, filename, data, report)
    return report

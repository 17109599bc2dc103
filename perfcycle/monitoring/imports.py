"""Actuals from a spreadsheet (CSV UTF-8/BOM/GBK or XLSX) or an API batch, into one cycle.

Rows name their goal by employee number and indicator code (an employee's goal), or
by the goal's reference (``goal_ref``, for department and company goals). Both paths
are all-or-nothing: every row is checked first (number, period within the cycle and
already started, known employee, indicator and goal, the same goal and period twice,
a negative value the goal forbids) and any bad row rejects the whole file or batch,
naming each bad row. Equal values are skipped, so importing the same file twice
changes nothing; a different value becomes a new revision.

An API batch carries an idempotency key: the same key with the same payload answers
the stored response and writes nothing; the same key with another payload is a
conflict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from perfcycle.audit.context import audit_context
from perfcycle.core.errors import Conflict, ValidationFailed
from perfcycle.cycles.models import Cycle
from perfcycle.imports.reports import ImportReport, RowReader, record_import
from perfcycle.imports.tables import RowError, read_table, rejected
from perfcycle.imports.values import parse_text
from perfcycle.monitoring.actuals import ActualItem, Outcome, actuals_write, clean_item
from perfcycle.monitoring.models import Actual, ActualBatch, ActualSource
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal, Indicator

KIND = "actuals"
ACTUAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "employee_number": ("工号", "员工工号", "employee_no", "emp_no"),
    "indicator_code": ("指标编码", "指标代码", "indicator"),
    "period": ("期间", "统计期间", "月份"),
    "value": ("实际值", "实际", "actual"),
    "note": ("备注", "说明"),
    "goal_ref": ("目标编号", "goal", "reference"),
}


@dataclass
class Row:
    """One row or batch item before its goal is known; ``line`` names it in errors."""

    line: int
    employee_number: str = ""
    indicator_code: str = ""
    goal_ref: str = ""
    period: str = ""
    value: Any = None
    note: str = ""


@dataclass
class Checked:
    items: list[tuple[Row, ActualItem]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def check_rows(cycle: Cycle, rows: Sequence[Row], *, today: dt.date | None = None) -> Checked:
    """Resolve and check every row in a fixed number of queries; collect every problem."""
    result = Checked()
    numbers = {r.employee_number for r in rows if r.employee_number}
    codes = {r.indicator_code for r in rows if r.indicator_code}
    refs = {r.goal_ref for r in rows if r.goal_ref}
    employees = dict(
        Employee.objects.filter(employee_number__in=numbers).values_list("employee_number", "pk")
    )
    indicators = dict(Indicator.objects.filter(code__in=codes).values_list("code", "pk"))
    goals = list(
        Goal.objects.filter(cycle=cycle)
        .filter(
            Q(ref__in=refs)
            | Q(employee_id__in=employees.values(), indicator_id__in=indicators.values())
        )
        .select_related("cycle", "indicator")
    )
    by_ref = {g.ref: g for g in goals if g.ref}
    by_pair: dict[tuple[int, int], list[Goal]] = {}
    for goal in goals:
        if goal.employee_id and goal.indicator_id:
            by_pair.setdefault((goal.employee_id, goal.indicator_id), []).append(goal)
    seen: dict[tuple[int, str], int] = {}
    for row in rows:
        goal = _find_goal(row, cycle, employees, indicators, by_ref, by_pair, result.errors)
        if goal is None:
            continue
        item, problems = clean_item(
            goal, period=row.period, value=row.value, note=row.note, today=today
        )
        for column, message in problems.items():
            column = "goal_ref" if column == "goal" and row.goal_ref else column
            if column == "goal":
                column = "indicator_code"
            result.errors.append(RowError(row.line, column, message))
        if item is None:
            continue
        key = (goal.pk, item.period.key)
        if key in seen:
            result.errors.append(
                RowError(
                    row.line,
                    "period",
                    _("%(goal)s, %(period)s already appears on line %(line)d.")
                    % {"goal": goal.title, "period": item.period.key, "line": seen[key]},
                )
            )
            continue
        seen[key] = row.line
        result.items.append((row, item))
    return result


def _find_goal(
    row: Row,
    cycle: Cycle,
    employees: dict[str, int],
    indicators: dict[str, int],
    by_ref: dict[str, Goal],
    by_pair: dict[tuple[int, int], list[Goal]],
    errors: list[RowError],
) -> Goal | None:
    if row.goal_ref:
        goal = by_ref.get(row.goal_ref)
        if goal is None:
            errors.append(
                RowError(
                    row.line,
                    "goal_ref",
                    _("No goal %(ref)s in %(cycle)s.") % {"ref": row.goal_ref, "cycle": cycle.name},
                )
            )
        elif row.indicator_code and (
            goal.indicator is None or goal.indicator.code != row.indicator_code
        ):
            errors.append(
                RowError(
                    row.line,
                    "indicator_code",
                    _("Goal %(ref)s is not measured by indicator %(code)s.")
                    % {"ref": row.goal_ref, "code": row.indicator_code},
                )
            )
            return None
        return goal
    ok = True
    if not row.employee_number:
        errors.append(
            RowError(row.line, "employee_number", _("Give an employee number or a goal reference."))
        )
        ok = False
    elif row.employee_number not in employees:
        errors.append(
            RowError(
                row.line,
                "employee_number",
                _("Unknown employee %(number)s.") % {"number": row.employee_number},
            )
        )
        ok = False
    if not row.indicator_code:
        errors.append(RowError(row.line, "indicator_code", _("This value is required.")))
        ok = False
    elif row.indicator_code not in indicators:
        errors.append(
            RowError(
                row.line,
                "indicator_code",
                _("Unknown indicator %(code)s.") % {"code": row.indicator_code},
            )
        )
        ok = False
    if not ok:
        return None
    found = by_pair.get((employees[row.employee_number], indicators[row.indicator_code]), [])
    if len(found) != 1:
        message = (
            _("%(number)s has no goal with indicator %(code)s in %(cycle)s.")
            if not found
            else _(
                "%(number)s has several goals with indicator %(code)s in %(cycle)s; use goal_ref."
            )
        )
        errors.append(
            RowError(
                row.line,
                "indicator_code",
                message
                % {"number": row.employee_number, "code": row.indicator_code, "cycle": cycle.name},
            )
        )
        return None
    return found[0]


def _report(kind: str, rows: int, dry_run: bool, written: list[tuple[Row, str]]) -> ImportReport:
    report = ImportReport(kind, rows, dry_run)
    for row, outcome in written:
        if outcome == Outcome.UNCHANGED:
            report.unchanged += 1
            continue
        if outcome == Outcome.CREATED:
            report.created += 1
        else:
            report.updated += 1
        who = row.goal_ref or f"{row.employee_number} {row.indicator_code}"
        report.changes.append(
            {
                "line": row.line,
                "key": f"{who} {row.period}".strip(),
                "action": "create" if outcome == Outcome.CREATED else "update",
                "fields": ["value"],
            }
        )
    return report


def _preview(items: list[tuple[Row, ActualItem]]) -> list[tuple[Row, str]]:
    """What writing ``items`` would do, without writing (one query)."""
    keys = {(i.goal.pk, i.period.key) for _r, i in items}
    current = {
        (goal_id, period): value
        for goal_id, period, value in Actual.objects.current()
        .filter(goal_id__in={g for g, _p in keys}, period__in={p for _g, p in keys})
        .values_list("goal_id", "period", "value")
    }
    result = []
    for row, item in items:
        old = current.get((item.goal.pk, item.period.key))
        if old is None:
            result.append((row, Outcome.CREATED))
        else:
            result.append((row, Outcome.UNCHANGED if old == item.value else Outcome.REVISED))
    return result


def actuals_import(
    *,
    actor: Any,
    cycle: Cycle,
    data: bytes,
    filename: str = "",
    dry_run: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Import a file of actuals into ``cycle``: all rows or none."""
    table = read_table(
        data, filename=filename, columns=ACTUAL_COLUMNS, required=["period", "value"]
    )
    if "goal_ref" not in table.columns and not {"employee_number", "indicator_code"} <= set(
        table.columns
    ):
        raise ValidationFailed(
            _("The file's header row has problems."),
            code="bad_header",
            details={
                "errors": [
                    RowError(
                        1,
                        "employee_number",
                        _("Give employee_number and indicator_code columns, or goal_ref."),
                    ).as_dict()
                ]
            },
        )
    errors: list[RowError] = []
    rows: list[Row] = []
    for line, cells in table.rows:
        reader = RowReader(line, cells, errors)
        rows.append(
            Row(
                line=line,
                employee_number=reader.get(
                    "employee_number", lambda t: parse_text(t, max_length=32)
                ),
                indicator_code=reader.get("indicator_code", lambda t: parse_text(t, max_length=40)),
                goal_ref=reader.get("goal_ref", lambda t: parse_text(t, max_length=64)),
                period=cells.get("period", ""),
                value=cells.get("value", ""),
                note=reader.get("note", lambda t: parse_text(t, max_length=500)) or "",
            )
        )
    checked = check_rows(cycle, rows, today=today)
    errors += checked.errors
    if errors:
        raise rejected(errors, rows=len(table))
    if dry_run:
        report = _report(KIND, len(table), True, _preview(checked.items))
    else:
        with transaction.atomic(), audit_context(source="import"):
            written = actuals_write(
                actor=actor,
                items=[i for _r, i in checked.items],
                source=ActualSource.IMPORTED,
                batch=f"file:{filename}"[:80],
            )
            report = _report(
                KIND,
                len(table),
                False,
                [(r, w.outcome) for (r, _i), w in zip(checked.items, written, strict=True)],
            )
            report.file_format, report.encoding = table.format, table.encoding
            record_import(actor, KIND, filename, data, report)
    report.file_format, report.encoding = table.format, table.encoding
    return report


# API batches ------------------------------------------------------------------------------


def payload_digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def batch_errors(errors: Sequence[RowError]) -> list[dict[str, Any]]:
    """Row errors of a batch, by item index (rows are numbered from 0 in a batch)."""
    return [
        {"index": e.line, "field": e.column, "message": e.message}
        for e in sorted(errors, key=lambda e: (e.line, e.column))
    ]


def actuals_batch(
    *,
    actor: Any,
    cycle: Cycle,
    key: str,
    items: Sequence[dict[str, Any]],
    today: dt.date | None = None,
) -> tuple[int, dict[str, Any]]:
    """Write a batch of items once per idempotency key: (status, response body).

    A retry with the same key and payload answers the stored response and writes
    nothing; the same key with a different payload raises ``Conflict``. A batch with
    any bad item raises ``ValidationFailed`` listing each by index, and is not kept
    under its key, so the corrected batch may reuse it.
    """
    key = key.strip()
    if not key or len(key) > 120:
        raise ValidationFailed(
            _("Send an Idempotency-Key header of 1 to 120 characters."), code="idempotency_key"
        )
    digest = payload_digest({"cycle": cycle.pk, "items": list(items)})
    stored = ActualBatch.objects.filter(user=actor, key=key).first()
    if stored is not None:
        return _replay(stored, digest)
    rows = [
        Row(
            line=index,
            employee_number=str(item.get("employee_number") or "").strip(),
            indicator_code=str(item.get("indicator_code") or "").strip(),
            goal_ref=str(item.get("goal_ref") or "").strip(),
            period=str(item.get("period") or ""),
            value=item.get("value"),
            note=str(item.get("note") or ""),
        )
        for index, item in enumerate(items)
    ]
    checked = check_rows(cycle, rows, today=today)
    if checked.errors:
        raise ValidationFailed(
            _("%(count)d problem(s) in the batch; nothing was written.")
            % {"count": len(checked.errors)},
            code="batch_rejected",
            details={"errors": batch_errors(checked.errors)},
        )
    try:
        with transaction.atomic():
            record = ActualBatch.objects.create(
                user=actor, key=key, payload_sha256=digest, response={}
            )
            written = actuals_write(
                actor=actor,
                items=[i for _r, i in checked.items],
                source=ActualSource.API,
                batch=f"api:{key}"[:80],
            )
            body = {
                "key": key,
                "cycle_id": cycle.pk,
                "created": sum(w.outcome == Outcome.CREATED for w in written),
                "revised": sum(w.outcome == Outcome.REVISED for w in written),
                "unchanged": sum(w.outcome == Outcome.UNCHANGED for w in written),
                "items": [
                    {
                        "index": row.line,
                        "goal_id": w.item.goal.pk,
                        "period": w.item.period.key,
                        "outcome": w.outcome,
                        "actual_id": w.actual.pk,
                        "revision": w.actual.revision,
                    }
                    for (row, _i), w in zip(checked.items, written, strict=True)
                ],
            }
            record.response = {"status": 201, "body": body}
            record.save(update_fields=["response"])
    except IntegrityError:
        # The same key arrived twice at once; the other request won.
        stored = ActualBatch.objects.filter(user=actor, key=key).first()
        if stored is None:
            raise
        return _replay(stored, digest)
    return 201, body


def _replay(stored: ActualBatch, digest: str) -> tuple[int, dict[str, Any]]:
    if stored.payload_sha256 != digest:
        raise Conflict(
            _("This Idempotency-Key was already used with a different payload."),
            code="idempotency_conflict",
        )
    return int(stored.response.get("status", 200)), stored.response.get("body", {})

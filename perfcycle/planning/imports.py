"""Importing a cycle's goals from CSV or XLSX, with the same rules as the employee import.

All-or-nothing: every row is validated first (cell values, references to people,
departments, indicators and parent goals, the cascade's loops, the goal rules of
``services.validate_goal``, who takes part in the cycle and whose goals are still a
draft); a file with any bad row writes nothing and every bad row is named (line,
column, reason). Rows are matched by the goal's ``ref``, unique in the cycle, so
importing the same file twice changes nothing the second time. A column left out of
the file leaves that field alone; an empty cell takes the indicator's default (or the
general default). Writes are bulk statements in one transaction, each created or
changed goal with its audit event; employee goals join their person's goal sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.accounts.models import User
from perfcycle.audit.context import audit_context
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import AuditEntry, audit_record_many, snapshot, to_json_value
from perfcycle.core.errors import ValidationFailed
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.imports.reports import ImportReport, RowReader, record_import
from perfcycle.imports.tables import RowError, read_table, rejected
from perfcycle.imports.values import (
    CellError,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_text,
)
from perfcycle.org.models import Department, Employee
from perfcycle.org.trees import nodes_in_cycles
from perfcycle.planning.models import (
    Goal,
    GoalKind,
    GoalSheet,
    Indicator,
    MeasurementPeriod,
    OwnerType,
    SheetStatus,
)
from perfcycle.planning.scoring import Aggregation, Direction, RuleType
from perfcycle.planning.services import (
    INDICATOR_DEFAULTS,
    ensure_goals_editable,
    sheet_audit_entries,
    validate_goal,
)

GOAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "ref": ("编号", "目标编号", "goal_ref", "reference"),
    "owner_type": ("归属", "目标归属", "owner"),
    "employee_number": ("工号", "员工工号", "employee_no", "emp_no"),
    "department_code": ("部门编码", "部门代码", "dept_code"),
    "parent_ref": ("上级目标编号", "上级目标", "parent"),
    "indicator_code": ("指标编码", "指标代码", "indicator"),
    "title": ("目标名称", "goal_title"),
    "kind": ("目标类型", "类型"),
    "weight": ("权重",),
    "unit": ("单位",),
    "baseline": ("基线", "基线值"),
    "target": ("目标值",),
    "threshold": ("门槛值", "门槛"),
    "stretch": ("挑战值",),
    "direction": ("方向", "指标方向"),
    "rule_type": ("计分规则", "评分规则", "rule"),
    "measurement_period": ("计量周期", "统计周期"),
    "aggregation": ("汇总方式", "周期汇总方式"),
    "due_date": ("截止日期", "due"),
    "calculation_method": ("计算方法", "计算方式"),
    "quality_conditions": ("质量条件", "质量要求"),
    "data_source": ("数据来源",),
}

OWNER_WORDS = {
    "company": OwnerType.COMPANY,
    "公司": OwnerType.COMPANY,
    "department": OwnerType.DEPARTMENT,
    "部门": OwnerType.DEPARTMENT,
    "employee": OwnerType.EMPLOYEE,
    "员工": OwnerType.EMPLOYEE,
    "个人": OwnerType.EMPLOYEE,
}
KIND_WORDS = {
    "kpi": GoalKind.KPI,
    "定量": GoalKind.KPI,
    "okr": GoalKind.OKR,
    "milestone": GoalKind.MILESTONE,
    "里程碑": GoalKind.MILESTONE,
    "task": GoalKind.MILESTONE,
    "任务": GoalKind.MILESTONE,
    "qualitative": GoalKind.QUALITATIVE,
    "定性": GoalKind.QUALITATIVE,
}
DIRECTION_WORDS = {
    "higher": Direction.HIGHER,
    "越高越好": Direction.HIGHER,
    "lower": Direction.LOWER,
    "越低越好": Direction.LOWER,
}
RULE_WORDS = {
    "linear": RuleType.LINEAR,
    "线性": RuleType.LINEAR,
    "threshold_stretch": RuleType.THRESHOLD_STRETCH,
    "门槛-目标-挑战": RuleType.THRESHOLD_STRETCH,
    "banded": RuleType.BANDED,
    "分档": RuleType.BANDED,
    "binary": RuleType.BINARY,
    "达成与否": RuleType.BINARY,
}
PERIOD_WORDS = {
    "week": MeasurementPeriod.WEEK,
    "每周": MeasurementPeriod.WEEK,
    "month": MeasurementPeriod.MONTH,
    "每月": MeasurementPeriod.MONTH,
    "quarter": MeasurementPeriod.QUARTER,
    "每季度": MeasurementPeriod.QUARTER,
    "cycle": MeasurementPeriod.CYCLE,
    "整个周期": MeasurementPeriod.CYCLE,
}
AGGREGATION_WORDS = {
    "sum": Aggregation.SUM,
    "求和": Aggregation.SUM,
    "average": Aggregation.AVERAGE,
    "平均": Aggregation.AVERAGE,
    "last": Aggregation.LAST,
    "最新": Aggregation.LAST,
    "min": Aggregation.MIN,
    "最小": Aggregation.MIN,
    "max": Aggregation.MAX,
    "最大": Aggregation.MAX,
}

# Goal fields set from a column of the same name.
TEXT_COLUMNS = {
    "unit": 32,
    "calculation_method": 5000,
    "quality_conditions": 5000,
    "data_source": 200,
}
DECIMAL_COLUMNS = ("baseline", "target", "threshold", "stretch")
CHOICE_COLUMNS = {
    "kind": KIND_WORDS,
    "direction": DIRECTION_WORDS,
    "rule_type": RULE_WORDS,
    "measurement_period": PERIOD_WORDS,
    "aggregation": AGGREGATION_WORDS,
}
VALUE_COLUMNS = (
    "title",
    "kind",
    "weight",
    *TEXT_COLUMNS,
    *DECIMAL_COLUMNS,
    "direction",
    "rule_type",
    "measurement_period",
    "aggregation",
    "due_date",
)
# Fields a goal's validation may name that have no column of their own.
COLUMN_FOR_FIELD = {
    "parent": "parent_ref",
    "indicator": "indicator_code",
    "employee": "employee_number",
    "department": "department_code",
    "rule_floor": "rule_type",
    "rule_cap": "rule_type",
    "threshold_points": "rule_type",
    "bands": "rule_type",
    "allow_negative": "indicator_code",
    "__all__": "ref",
}
AUDITED = (
    "owner_type",
    "employee",
    "department",
    "parent",
    "indicator",
    "ref",
    "sheet",
    "title",
    "kind",
    "weight",
    *TEXT_COLUMNS,
    *DECIMAL_COLUMNS,
    "direction",
    "rule_type",
    "measurement_period",
    "aggregation",
    "due_date",
    *INDICATOR_DEFAULTS,
)


@dataclass
class _Row:
    line: int
    ref: str
    owner_type: str
    employee_number: str
    department_code: str
    parent_ref: str
    indicator_code: str
    values: dict[str, Any]


# The parent of a goal whose parent the import leaves alone.
_SAME: Any = object()


@dataclass
class _Plan:
    """What the import will do with one row's goal."""

    row: _Row
    goal: Goal
    before: dict[str, Any]  # changed fields of an existing goal, with their old values
    old_parent: Any  # the old parent's ref (or None) when the parent changes, else _SAME
    is_new: bool

    def audit(self, parent_of: dict[str, str | None]) -> tuple[dict[str, Any], dict[str, Any]]:
        before = {k: to_json_value(v) for k, v in self.before.items()}
        after = {k: to_json_value(getattr(self.goal, k)) for k in self.before}
        if self.old_parent is not _SAME:
            before["parent"] = self.old_parent
            after["parent"] = parent_of[self.row.ref]
        return before, after


def _choice(words: dict[str, str]) -> Any:
    return lambda text: parse_choice(text, words)


def _required_choice(words: dict[str, str]) -> Any:
    def parse(text: str) -> str:
        value = parse_choice(text, words)
        if value is None:
            raise CellError(_("This value is required."))
        return value

    return parse


def _parse_row(reader: RowReader) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": reader.get("title", lambda t: parse_text(t, max_length=200)),
        "weight": reader.get("weight", parse_decimal),
        "due_date": reader.get("due_date", parse_date),
    }
    for name, length in TEXT_COLUMNS.items():
        values[name] = reader.get(name, lambda t, n=length: parse_text(t, max_length=n))
    for name in DECIMAL_COLUMNS:
        values[name] = reader.get(name, parse_decimal)
    for name, words in CHOICE_COLUMNS.items():
        values[name] = reader.get(name, _choice(words))
    return values


def _node(goal_ref: str, pk: int) -> str:
    """The key of a goal in the cascade: its ref, or its id when it has none."""
    return goal_ref or f"#{pk}"


def goals_import(
    *, actor: User | None, cycle: Cycle, data: bytes, filename: str = "", dry_run: bool = False
) -> ImportReport:
    """Create or update the goals of ``cycle`` from a file; see the module docstring."""
    ensure_goals_editable(cycle)
    table = read_table(
        data, filename=filename, columns=GOAL_COLUMNS, required=["ref", "owner_type"]
    )
    columns = set(table.columns)
    errors: list[RowError] = []
    rows: dict[str, _Row] = {}
    lines: dict[str, int] = {}
    for line, raw in table.rows:
        reader = RowReader(line, raw, errors)
        goal_ref = reader.get("ref", lambda t: parse_text(t, max_length=64, required=True))
        owner_type = reader.get("owner_type", _required_choice(OWNER_WORDS))
        refs = {
            name: reader.get(name, lambda t: parse_text(t, max_length=64)) or ""
            for name in ("employee_number", "department_code", "parent_ref", "indicator_code")
        }
        values = _parse_row(reader)
        if goal_ref and goal_ref in lines:
            reader.fail(
                "ref",
                _("Goal %(ref)s already appears on line %(line)d.")
                % {"ref": goal_ref, "line": lines[goal_ref]},
            )
            continue
        if goal_ref:
            lines[goal_ref] = line
        if reader.ok and goal_ref:
            rows[goal_ref] = _Row(line, goal_ref, owner_type, values=values, **refs)

    employees = {
        e.employee_number: e
        for e in Employee.objects.filter(
            employee_number__in={r.employee_number for r in rows.values() if r.employee_number}
        )
    }
    participants = set(
        CycleParticipant.objects.filter(cycle=cycle).values_list("employee_id", flat=True)
    )
    departments = {
        d.code: d
        for d in Department.objects.filter(
            code__in={r.department_code for r in rows.values() if r.department_code}
        )
    }
    indicators = {
        i.code: i
        for i in Indicator.objects.filter(
            code__in={r.indicator_code for r in rows.values() if r.indicator_code}
        )
    }
    sheets = {s.employee_id: s for s in GoalSheet.objects.filter(cycle=cycle)}
    cycle_goals = list(
        Goal.objects.filter(cycle=cycle).select_related("indicator", "employee", "department")
    )
    existing = {g.ref: g for g in cycle_goals if g.ref}
    node_of = {g.pk: _node(g.ref, g.pk) for g in cycle_goals}
    parent_of: dict[str, str | None] = {
        node_of[g.pk]: node_of.get(g.parent_id) if g.parent_id else None for g in cycle_goals
    }

    plans: list[_Plan] = []
    for row in rows.values():
        row_errors: list[RowError] = []
        check = RowReader(row.line, {}, row_errors)
        employee = department = None
        if row.owner_type == OwnerType.EMPLOYEE:
            employee = employees.get(row.employee_number)
            if not row.employee_number:
                check.fail("employee_number", _("An employee's goal needs an employee number."))
            elif employee is None:
                check.fail(
                    "employee_number",
                    _("Unknown employee %(number)s.") % {"number": row.employee_number},
                )
            elif employee.pk not in participants:
                check.fail(
                    "employee_number",
                    _("%(name)s does not take part in this cycle.") % {"name": employee},
                )
            if row.department_code:
                check.fail(
                    "department_code", _("Leave the department empty for an employee's goal.")
                )
        elif row.owner_type == OwnerType.DEPARTMENT:
            department = departments.get(row.department_code)
            if not row.department_code:
                check.fail("department_code", _("A department's goal needs a department code."))
            elif department is None:
                check.fail(
                    "department_code",
                    _("Unknown department %(code)s.") % {"code": row.department_code},
                )
            if row.employee_number:
                check.fail(
                    "employee_number", _("Leave the employee empty for a department's goal.")
                )
        else:
            for column in ("employee_number", "department_code"):
                if getattr(row, column):
                    check.fail(column, _("A company goal belongs to no employee or department."))

        indicator: Indicator | None = None
        if row.indicator_code:
            indicator = indicators.get(row.indicator_code)
            if indicator is None:
                check.fail(
                    "indicator_code",
                    _("Unknown indicator %(code)s.") % {"code": row.indicator_code},
                )

        if "parent_ref" in columns:
            parent = row.parent_ref or None
            if parent == row.ref:
                check.fail("parent_ref", _("A goal cannot align to itself."))
                parent = None
            # A parent whose own row is bad is not "unknown": its row's error says why.
            elif parent and parent not in lines and parent not in existing:
                check.fail("parent_ref", _("Unknown goal %(ref)s in this cycle.") % {"ref": parent})
            parent_of[row.ref] = parent
        else:
            parent_of.setdefault(row.ref, None)

        current = existing.get(row.ref)
        if current is not None and check.ok:
            same_owner = (
                current.owner_type == row.owner_type
                and current.employee_id == (employee.pk if employee else None)
                and current.department_id == (department.pk if department else None)
            )
            if not same_owner:
                check.fail(
                    "owner_type",
                    _("Goal %(ref)s belongs to %(owner)s; a goal's owner cannot change.")
                    % {"ref": row.ref, "owner": current.owner_label},
                )
        if not check.ok:
            errors.extend(row_errors)
            continue

        if "indicator_code" not in columns and current is not None:
            indicator = current.indicator
        wanted = _wanted_values(row, indicator, columns, is_new=current is None, check=check)
        goal = current
        if goal is None:
            goal = Goal(
                cycle=cycle,
                owner_type=row.owner_type,
                employee=employee,
                department=department,
                ref=row.ref,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
        before = {k: getattr(goal, k) for k, v in wanted.items() if getattr(goal, k) != v}
        for key in before:
            setattr(goal, key, wanted[key])
        old_parent = node_of.get(current.parent_id) if current and current.parent_id else None
        parent_changed = "parent_ref" in columns and old_parent != parent_of[row.ref]
        if current is None or before or parent_changed:
            sheet = sheets.get(employee.pk) if employee else None
            if sheet is not None and sheet.status != SheetStatus.DRAFT:
                check.fail(
                    "employee_number",
                    _(
                        "The goals of %(name)s are %(status)s; return them to draft before "
                        "importing changes."
                    )
                    % {"name": employee, "status": sheet.get_status_display()},
                )
        if check.ok:
            row_errors.extend(_goal_errors(row.line, goal))
        if row_errors:
            errors.extend(row_errors)
            continue
        plans.append(
            _Plan(row, goal, before, old_parent if parent_changed else _SAME, current is None)
        )

    for node, loop in nodes_in_cycles(parent_of).items():
        if node in rows:
            errors.append(
                RowError(
                    rows[node].line,
                    "parent_ref",
                    _("The goals would align in a loop: %(loop)s")
                    % {"loop": " → ".join([*loop, loop[0]])},
                )
            )
    if errors:
        raise rejected(errors, rows=len(table))

    report = ImportReport(
        "goals", len(table), dry_run, file_format=table.format, encoding=table.encoding
    )
    for plan in plans:
        if plan.is_new:
            report.created += 1
            report.changes.append({"line": plan.row.line, "key": plan.row.ref, "action": "create"})
        elif plan.before or plan.old_parent is not _SAME:
            report.updated += 1
            report.changes.append(
                {
                    "line": plan.row.line,
                    "key": plan.row.ref,
                    "action": "update",
                    "fields": sorted(plan.audit(parent_of)[1]),
                }
            )
        else:
            report.unchanged += 1
    if dry_run:
        return report

    with transaction.atomic(), audit_context(source="import"):
        _apply(actor, cycle, plans, parent_of, columns)
        record_import(actor, "goals", filename, data, report)
    return report


def _wanted_values(
    row: _Row, indicator: Indicator | None, columns: set[str], *, is_new: bool, check: RowReader
) -> dict[str, Any]:
    """The values the goal will have: from the file's columns, else (for a new goal, or
    an empty cell) from the indicator, else the general defaults."""
    wanted: dict[str, Any] = {}
    if "indicator_code" in columns:
        wanted["indicator"] = indicator
    for name in VALUE_COLUMNS:
        if name not in columns and not is_new:
            continue
        value = row.values[name] if name in columns else None
        if value is None or value == "":
            if name == "title":
                value = indicator.name if indicator else ""
            elif name in INDICATOR_DEFAULTS and indicator is not None:
                value = getattr(indicator, name)
            elif name in TEXT_COLUMNS:
                value = ""
            elif name in CHOICE_COLUMNS:
                value = Goal._meta.get_field(name).get_default()
        if name == "title" and not value:
            check.fail("title", _("A goal needs a title (or an indicator to take it from)."))
        if name == "weight" and value is None:
            check.fail("weight", _("A goal needs a weight."))
        wanted[name] = value
    if is_new and indicator is not None:
        for name in INDICATOR_DEFAULTS:
            wanted.setdefault(name, getattr(indicator, name))
    if wanted.get("kind") == GoalKind.MILESTONE:
        wanted["rule_type"] = RuleType.BINARY
    return wanted


def _goal_errors(line: int, goal: Goal) -> list[RowError]:
    """The goal rules of ``services.validate_goal`` and the model's own, as row errors.

    The parent is left out: it is checked across the file (unknown refs, loops)."""
    parent_id, goal.parent_id = goal.parent_id, None
    try:
        try:
            goal.full_clean(
                exclude=[
                    "cycle",
                    "employee",
                    "department",
                    "sheet",
                    "parent",
                    "indicator",
                    "created_by",
                    "ref",
                ]
            )
        except ValidationError as exc:
            fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            raise ValidationFailed(
                _("Please correct the errors below."), details={"fields": fields}
            ) from exc
        validate_goal(goal)
    except ValidationFailed as exc:
        fields = (exc.details or {}).get("fields", {}) if isinstance(exc.details, dict) else {}
        found = [
            RowError(line, COLUMN_FOR_FIELD.get(name, name), str(message))
            for name, messages in fields.items()
            for message in messages
        ]
        return found or [RowError(line, "ref", exc.message)]
    finally:
        goal.parent_id = parent_id
    return []


def _apply(
    actor: User | None,
    cycle: Cycle,
    plans: list[_Plan],
    parent_of: dict[str, str | None],
    columns: set[str],
) -> None:
    now = timezone.now()
    creates = [p for p in plans if p.is_new]
    updates = [p for p in plans if not p.is_new and (p.before or p.old_parent is not _SAME)]
    people = {p.goal.employee_id for p in creates if p.goal.employee_id}
    have = set(
        GoalSheet.objects.filter(cycle=cycle, employee_id__in=people).values_list(
            "employee_id", flat=True
        )
    )
    new_sheets = [GoalSheet(cycle=cycle, employee_id=pk) for pk in sorted(people - have)]
    GoalSheet.objects.bulk_create(new_sheets)
    sheets = dict(
        GoalSheet.objects.filter(cycle=cycle, employee_id__in=people).values_list(
            "employee_id", "pk"
        )
    )
    for plan in creates:
        plan.goal.sheet_id = sheets.get(plan.goal.employee_id)
    Goal.objects.bulk_create([p.goal for p in creates], batch_size=1000)

    goals = {g.ref: g for g in Goal.objects.filter(cycle=cycle).exclude(ref="")}
    dirty: dict[int, Goal] = {}
    fields: set[str] = set()
    for plan in updates:
        fresh = goals[plan.row.ref]
        for key in plan.before:
            setattr(fresh, key, getattr(plan.goal, key))
            fields.add(key)
        fresh.version += 1
        fresh.updated_at = now
        dirty[fresh.pk] = fresh
    if "parent_ref" in columns:
        for plan in plans:
            fresh = goals[plan.row.ref]
            parent = parent_of.get(plan.row.ref)
            parent_id = goals[parent].pk if parent else None
            if fresh.parent_id != parent_id:
                fresh.parent_id = parent_id
                dirty[fresh.pk] = fresh
                fields.add("parent")
    if dirty:
        Goal.objects.bulk_update(
            list(dirty.values()), sorted(fields | {"version", "updated_at"}), batch_size=1000
        )
    # Sheets that were there before and gained a goal or a new weight move to their next
    # version, as a goal added or reweighted by hand moves them (planning.services).
    reweighted = {sheets[p.goal.employee_id] for p in creates if p.goal.employee_id in have} | {
        goals[p.row.ref].sheet_id for p in updates if "weight" in p.before
    }
    reweighted.discard(None)
    if reweighted:
        GoalSheet.objects.filter(pk__in=sorted(reweighted)).update(
            version=F("version") + 1, updated_at=now
        )
    entries = sheet_audit_entries(new_sheets) + [
        AuditEntry(
            action=AuditAction.CREATE,
            instance=goals[p.row.ref],
            after=snapshot(goals[p.row.ref], AUDITED),
        )
        for p in creates
    ]
    for plan in updates:
        before, after = plan.audit(parent_of)
        entries.append(
            AuditEntry(
                action=AuditAction.UPDATE, instance=goals[plan.row.ref], before=before, after=after
            )
        )
    audit_record_many(actor=actor, entries=entries)

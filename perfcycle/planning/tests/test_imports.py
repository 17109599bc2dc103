"""Importing goals: the cascade from a spreadsheet, all-or-nothing, idempotent by ``ref``."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D
from typing import Any

import pytest
from openpyxl import Workbook

from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.core.errors import DomainError, ValidationFailed
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.planning import services
from perfcycle.planning.imports import goals_import
from perfcycle.planning.models import Goal, GoalKind, GoalSheet, OwnerType, SheetStatus
from perfcycle.planning.scoring import Aggregation, Direction, RuleType
from tests.factories import CycleFactory, EmployeeFactory, IndicatorFactory, planning_quarter

HEADER = [
    "编号",
    "归属",
    "工号",
    "部门编码",
    "上级目标编号",
    "目标名称",
    "权重",
    "目标值",
    "门槛值",
    "单位",
]


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    return "".join(",".join(str(cell) for cell in row) + "\r\n" for row in rows).encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def quarter(company):
    """An open quarter, in planning, with everyone in the company taking part."""
    return planning_quarter(company)


def run(company: Any, cycle: Cycle, rows: list[list[Any]], **kwargs: Any) -> Any:
    return goals_import(
        actor=company.hr, cycle=cycle, data=csv_bytes(rows), filename="goals.csv", **kwargs
    )


def errors_of(company: Any, cycle: Cycle, rows: list[list[Any]]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationFailed) as caught:
        run(company, cycle, rows)
    assert caught.value.code == "import_rejected"
    return caught.value.details["errors"]


def state() -> tuple[Any, ...]:
    """Everything an import may write, to show that a refused import wrote nothing."""
    goals = list(
        Goal.objects.order_by("pk").values_list(
            "ref",
            "title",
            "weight",
            "target",
            "threshold",
            "parent_id",
            "sheet_id",
            "version",
            "updated_at",
        )
    )
    sheets = list(GoalSheet.objects.order_by("pk").values_list("employee_id", "status", "version"))
    return goals, sheets, AuditEvent.objects.count()


# Child rows come before their parents: the file's order does not matter.
CASCADE = [
    HEADER,
    ["P-C011", "员工", "C011", "", "SA-1", "个人销售额", "60", "1000000", "800000", "元"],
    ["P-C012", "员工", "C012", "", "SA-1", "个人销售额", "60", "900000", "", "元"],
    ["SA-1", "部门", "", "SALES", "CO-1", "销售部销售额", "100", "5000000", "", "元"],
    ["CO-1", "公司", "", "", "", "公司销售额", "100", "5000000", "4000000", "元"],
]


def test_a_cascade_is_imported_with_sheets_and_audit(company, quarter):
    report = run(company, quarter, CASCADE)
    assert (report.kind, report.rows, report.created, report.updated, report.unchanged) == (
        "goals",
        4,
        4,
        0,
        0,
    )
    assert [c["key"] for c in report.changes] == ["P-C011", "P-C012", "SA-1", "CO-1"]
    goals = {g.ref: g for g in Goal.objects.select_related("parent", "sheet")}
    assert goals["CO-1"].owner_type == OwnerType.COMPANY and goals["CO-1"].parent is None
    assert (goals["SA-1"].department, goals["SA-1"].parent) == (company.sales, goals["CO-1"])
    assert goals["P-C011"].parent == goals["SA-1"]
    assert (goals["P-C011"].target, goals["P-C011"].threshold, goals["P-C011"].unit) == (
        1_000_000,
        800_000,
        "元",
    )
    assert goals["P-C011"].sheet == GoalSheet.objects.get(cycle=quarter, employee=company.direct)
    assert goals["P-C011"].created_by == company.hr
    assert goals["SA-1"].sheet is None
    created = AuditEvent.objects.filter(object_type="planning.goal", action=AuditAction.CREATE)
    assert created.count() == 4
    assert {e.source for e in created} == {"import"}
    assert created.get(object_id=str(goals["P-C011"].pk)).after["parent"] == goals["SA-1"].pk
    assert (
        AuditEvent.objects.filter(action=AuditAction.IMPORT, object_type="import.goals").count()
        == 1
    )


def test_importing_the_same_file_twice_changes_nothing(company, quarter):
    run(company, quarter, CASCADE)
    before = state()
    report = run(company, quarter, CASCADE)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    goals, sheets, events = state()
    assert (goals, sheets) == before[:2]
    # Only the import itself is recorded.
    assert events == before[2] + 1


def test_a_changed_file_updates_only_what_changed(company, quarter):
    run(company, quarter, CASCADE)
    goal = Goal.objects.get(ref="P-C011")
    rows = [list(r) for r in CASCADE]
    rows[1][7] = "1200000"
    rows[2][4] = "CO-1"  # Ivy's goal now aligns to the company goal directly
    report = run(company, quarter, rows)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 2)
    assert [(c["key"], c["fields"]) for c in report.changes] == [
        ("P-C011", ["target"]),
        ("P-C012", ["parent"]),
    ]
    goal.refresh_from_db()
    assert (goal.target, goal.version) == (1_200_000, 2)
    assert Goal.objects.get(ref="P-C012").parent.ref == "CO-1"
    event = AuditEvent.objects.filter(object_type="planning.goal", object_id=str(goal.pk)).latest(
        "id"
    )
    assert (event.action, event.before, event.after) == (
        AuditAction.UPDATE,
        {"target": "1000000.0000"},
        {"target": "1200000"},
    )
    moved = AuditEvent.objects.filter(object_id=str(Goal.objects.get(ref="P-C012").pk)).latest("id")
    assert (moved.before, moved.after) == ({"parent": "SA-1"}, {"parent": "CO-1"})


def test_a_new_weight_or_goal_moves_the_sheet_to_its_next_version(company, quarter):
    """As by hand: a weights change sent at a version read before the import is refused.
    A target change alone leaves the sheet's version as it was."""
    run(company, quarter, CASCADE)
    versions = lambda: dict(GoalSheet.objects.values_list("employee__employee_number", "version"))  # noqa: E731
    before = versions()
    rows = [list(r) for r in CASCADE]
    rows[1][7] = "1200000"  # Dan: a target
    run(company, quarter, rows)
    assert versions() == before
    rows[1][6] = "50"  # Dan: a weight
    rows.append(
        ["P-C012-2", "员工", "C012", "", "SA-1", "回款率", "40", "95", "", "%"]
    )  # Ivy: a goal
    run(company, quarter, rows)
    assert versions() == {**before, "C011": before["C011"] + 1, "C012": before["C012"] + 1}


def test_a_column_left_out_is_left_alone(company, quarter):
    run(company, quarter, CASCADE)
    report = run(
        company,
        quarter,
        [["ref", "owner_type", "employee_number", "weight"], ["P-C011", "employee", "C011", "40"]],
    )
    assert report.updated == 1
    goal = Goal.objects.get(ref="P-C011")
    assert (goal.weight, goal.target, goal.unit, goal.parent.ref) == (40, 1_000_000, "元", "SA-1")


def test_a_parent_may_be_an_existing_goal_of_the_cycle(company, quarter):
    services.goal_create(
        actor=company.hr,
        cycle=quarter,
        owner_type=OwnerType.COMPANY,
        title="Sales",
        weight=D(100),
        target=D(5_000_000),
        ref="CO-OLD",
    )
    run(
        company,
        quarter,
        [HEADER, ["P-1", "员工", "C011", "", "CO-OLD", "Mine", "100", "20", "", ""]],
    )
    assert Goal.objects.get(ref="P-1").parent.ref == "CO-OLD"


def test_xlsx_with_english_headers_and_indicator_defaults(company, quarter):
    IndicatorFactory(
        code="NEW_CUSTOMERS",
        name="新增客户数",
        unit="个",
        direction=Direction.HIGHER,
        rule_type=RuleType.THRESHOLD_STRETCH,
        aggregation=Aggregation.AVERAGE,
        data_source="CRM",
    )
    IndicatorFactory(code="DEFECTS", name="不良率", unit="‰", direction=Direction.LOWER)
    data = xlsx_bytes(
        [
            [
                "ref",
                "owner_type",
                "employee_number",
                "indicator_code",
                "title",
                "kind",
                "weight",
                "target",
                "threshold",
                "stretch",
                "unit",
                "direction",
                "due_date",
            ],
            [
                "NC-C011",
                "employee",
                "C011",
                "NEW_CUSTOMERS",
                None,
                "KPI",
                50,
                20,
                15,
                25,
                None,
                None,
                None,
            ],
            [
                "DF-C011",
                "employee",
                "C011",
                "DEFECTS",
                "Fewer defects",
                "定量",
                30,
                2,
                3,
                1,
                None,
                None,
                None,
            ],
            [
                "MS-C011",
                "employee",
                "C011",
                None,
                "Launch CRM",
                "里程碑",
                20,
                None,
                None,
                None,
                None,
                None,
                dt.date(2026, 3, 15),
            ],
        ]
    )
    report = goals_import(actor=company.hr, cycle=quarter, data=data, filename="goals.xlsx")
    assert (report.created, report.file_format) == (3, "xlsx")
    goals = {g.ref: g for g in Goal.objects.all()}
    new = goals["NC-C011"]
    assert (new.title, new.unit, new.rule_type, new.aggregation, new.data_source) == (
        "新增客户数",
        "个",
        RuleType.THRESHOLD_STRETCH,
        Aggregation.AVERAGE,
        "CRM",
    )
    assert (goals["DF-C011"].direction, goals["DF-C011"].unit) == (Direction.LOWER, "‰")
    milestone = goals["MS-C011"]
    assert (milestone.kind, milestone.rule_type, milestone.due_date) == (
        GoalKind.MILESTONE,
        RuleType.BINARY,
        dt.date(2026, 3, 15),
    )
    assert (
        goals_import(actor=company.hr, cycle=quarter, data=data, filename="goals.xlsx").unchanged
        == 3
    )


def test_gbk_csv_with_chinese_words(company, quarter):
    rows = [
        [
            "编号",
            "归属",
            "工号",
            "目标名称",
            "目标类型",
            "权重",
            "目标值",
            "方向",
            "计分规则",
            "计量周期",
            "汇总方式",
        ],
        ["Q-1", "员工", "C011", "客诉率", "定量", "100", "2", "越低越好", "线性", "每月", "平均"],
    ]
    goals_import(actor=company.hr, cycle=quarter, data=csv_bytes(rows, "gbk"), filename="g.csv")
    goal = Goal.objects.get(ref="Q-1")
    assert (goal.direction, goal.rule_type, goal.measurement_period, goal.aggregation) == (
        Direction.LOWER,
        RuleType.LINEAR,
        "month",
        Aggregation.AVERAGE,
    )


# Bad rows: each named, nothing written -----------------------------------------------------

GOOD = ["OK-1", "员工", "C011", "", "", "Good goal", "100", "20", "", ""]


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (["B-1", "员工", "C011", "", "", "KPI without target", "100", "", "", ""], "target"),
        (["B-1", "员工", "C011", "", "", "Threshold above", "100", "20", "25", ""], "threshold"),
        (["B-1", "员工", "C999", "", "", "Unknown person", "100", "20", "", ""], "employee_number"),
        (["B-1", "员工", "", "", "", "Nobody", "100", "20", "", ""], "employee_number"),
        (["B-1", "部门", "", "NOPE", "", "Unknown dept", "100", "20", "", ""], "department_code"),
        (
            ["B-1", "公司", "C011", "", "", "Company with a person", "100", "20", "", ""],
            "employee_number",
        ),
        (["B-1", "员工", "C011", "", "NOPE", "Unknown parent", "100", "20", "", ""], "parent_ref"),
        (["B-1", "员工", "C011", "", "B-1", "Own parent", "100", "20", "", ""], "parent_ref"),
        (["B-1", "员工", "C011", "", "", "Bad number", "100", "twenty", "", ""], "target"),
        (["B-1", "老板", "C011", "", "", "Bad owner", "100", "20", "", ""], "owner_type"),
        (["B-1", "员工", "C011", "", "", "No weight", "", "20", "", ""], "weight"),
        (["B-1", "员工", "C011", "", "", "Heavy", "120", "20", "", ""], "weight"),
        (["B-1", "员工", "C011", "", "", "", "100", "20", "", ""], "title"),
        (["", "员工", "C011", "", "", "No ref", "100", "20", "", ""], "ref"),
        (["OK-1", "员工", "C012", "", "", "Same ref twice", "100", "20", "", ""], "ref"),
    ],
    ids=[
        "kpi-without-target",
        "threshold-above-target",
        "unknown-employee",
        "no-employee",
        "unknown-department",
        "company-with-employee",
        "unknown-parent",
        "own-parent",
        "not-a-number",
        "unknown-owner-type",
        "no-weight",
        "weight-over-100",
        "no-title",
        "no-ref",
        "duplicate-ref",
    ],
)
def test_each_bad_row_is_named_and_nothing_is_written(company, quarter, row, column):
    before = state()
    errors = errors_of(company, quarter, [HEADER, GOOD, row])
    assert [(e["line"], e["column"]) for e in errors] == [(3, column)], errors
    assert errors[0]["message"]
    assert state() == before


def test_every_bad_row_is_reported_at_once(company, quarter):
    errors = errors_of(
        company,
        quarter,
        [
            HEADER,
            GOOD,
            ["B-1", "员工", "C011", "", "", "No target", "100", "", "", ""],
            ["B-2", "员工", "C999", "", "", "Unknown", "100", "20", "", ""],
            ["B-3", "部门", "", "NOPE", "", "Unknown dept", "100", "20", "", ""],
        ],
    )
    assert [(e["line"], e["column"]) for e in errors] == [
        (3, "target"),
        (4, "employee_number"),
        (5, "department_code"),
    ]
    assert not Goal.objects.exists()


def test_a_loop_in_the_cascade_is_refused(company, quarter):
    errors = errors_of(
        company,
        quarter,
        [
            HEADER,
            ["A", "公司", "", "", "B", "A", "100", "1", "", ""],
            ["B", "公司", "", "", "A", "B", "100", "1", "", ""],
        ],
    )
    assert [(e["line"], e["column"]) for e in errors] == [(2, "parent_ref"), (3, "parent_ref")]
    assert "A → B → A" in errors[0]["message"]


def test_a_loop_through_an_existing_goal_is_refused(company, quarter):
    run(
        company,
        quarter,
        [
            HEADER,
            ["A", "公司", "", "", "", "A", "100", "1", "", ""],
            ["B", "公司", "", "", "A", "B", "100", "1", "", ""],
        ],
    )
    errors = errors_of(
        company, quarter, [HEADER, ["A", "公司", "", "", "B", "A", "100", "1", "", ""]]
    )
    assert [(e["line"], e["column"]) for e in errors] == [(2, "parent_ref")]


def test_a_parent_from_another_cycle_is_unknown(company, quarter):
    other = CycleFactory(name="Other", participants=[company.direct])
    services.goal_create(
        actor=company.hr,
        cycle=other,
        owner_type=OwnerType.COMPANY,
        title="Old",
        weight=D(100),
        target=D(1),
        ref="CO-OLD",
    )
    errors = errors_of(
        company,
        quarter,
        [HEADER, ["P-1", "员工", "C011", "", "CO-OLD", "Mine", "100", "20", "", ""]],
    )
    assert errors == [
        {"line": 2, "column": "parent_ref", "message": "Unknown goal CO-OLD in this cycle."}
    ]


def test_someone_outside_the_cycle(company, quarter):
    newcomer = EmployeeFactory(
        employee_number="C099", manager=company.manager, department=company.sales
    )
    errors = errors_of(
        company,
        quarter,
        [HEADER, ["P-1", "员工", newcomer.employee_number, "", "", "X", "100", "20", "", ""]],
    )
    assert errors[0]["column"] == "employee_number"
    assert "does not take part" in errors[0]["message"]


def test_an_existing_goals_owner_cannot_change(company, quarter):
    run(company, quarter, CASCADE)
    rows = [
        HEADER,
        ["P-C011", "员工", "C012", "", "SA-1", "个人销售额", "60", "1000000", "800000", "元"],
    ]
    errors = errors_of(company, quarter, rows)
    assert [(e["line"], e["column"]) for e in errors] == [(2, "owner_type")]


def test_a_person_whose_goals_are_no_longer_a_draft(company, quarter):
    run(company, quarter, CASCADE)
    sheet = GoalSheet.objects.get(cycle=quarter, employee=company.direct)
    services.sheet_set_weights(
        actor=company.hr, sheet=sheet, weights={Goal.objects.get(ref="P-C011").pk: D(100)}
    )
    CASCADE_100 = [list(r) for r in CASCADE]
    CASCADE_100[1][6] = "100"
    run(company, quarter, CASCADE_100)
    services.sheet_propose(actor=company.user("direct"), sheet=sheet)
    # The same file again is fine: it changes nothing on the proposed sheet.
    assert run(company, quarter, CASCADE_100).unchanged == 4
    before = state()
    changed = [list(r) for r in CASCADE_100]
    changed[1][7] = "2000000"
    errors = errors_of(company, quarter, changed)
    assert [(e["line"], e["column"]) for e in errors] == [(2, "employee_number")]
    assert "proposed" in errors[0]["message"]
    added = [HEADER, ["P-C011-B", "员工", "C011", "", "", "Another", "0", "1", "", ""]]
    assert [(e["line"], e["column"]) for e in errors_of(company, quarter, added)] == [
        (2, "employee_number")
    ]
    assert state() == before
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.PROPOSED


@pytest.mark.parametrize("phase", [Phase.SELF_REVIEW, Phase.CLOSED])
def test_a_cycle_that_is_no_longer_editable(company, quarter, phase):
    Cycle.objects.filter(pk=quarter.pk).update(phase=phase)
    quarter.refresh_from_db()
    before = state()
    with pytest.raises(DomainError) as caught:
        run(company, quarter, CASCADE)
    assert caught.value.code == "cycle_locked"
    assert state() == before


def test_a_dry_run_reports_and_writes_nothing(company, quarter):
    before = state()
    report = run(company, quarter, CASCADE, dry_run=True)
    assert (report.dry_run, report.created) == (True, 4)
    assert state() == before


def test_header_problems_refuse_the_file(company, quarter):
    with pytest.raises(ValidationFailed) as caught:
        run(company, quarter, [["编号", "目标名称", "color"], ["A", "B", "red"]])
    assert caught.value.code == "bad_header"
    columns = {e["column"] for e in caught.value.details["errors"]}
    assert columns == {"color", "owner_type"}

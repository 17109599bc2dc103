"""Training linked to rewards: the allocation with a factor per person (exact, within the
budget), the "condition" rule leaving out people short of a course (named), the "factor"
rule multiplying those who completed every course by the deadline, and how a line
explains it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfcycle.monitoring.models import Course, TrainingAssignment, TrainingStatus
from perfcycle.rewards import services
from perfcycle.rewards.allocation import Person, allocate_pool, allocate_target
from perfcycle.rewards.selectors import explain, plan_totals
from perfcycle.rewards.tests.conftest import make_plan

COEF = {"S": D("1.5"), "A": D("1.2"), "B": D("1"), "C": D("0.5"), "D": D("0")}


def person(key, grade, target, factor=D(1), base=D(10000), department=1):
    return Person(
        key=key,
        grade=grade,
        base=base,
        target=target,
        department=department,
        training_factor=factor,
    )


def test_the_factor_multiplies_the_raw_amount():
    people = [person(1, "B", D(10000), D("1.05")), person(2, "B", D(10000))]
    result = allocate_target(
        people,
        budget=D(100000),
        unit=D("0.01"),
        coefficients=COEF,
        department_coefficients={},
    )
    assert [a.amount for a in result.lines] == [D("10500.00"), D("10000.00")]
    assert [a.training_factor for a in result.lines] == [D("1.05"), D(1)]
    assert not result.scaled


def test_the_factor_changes_shares_but_the_total_stays_the_budget():
    people = [person(1, "A", D(10000), D("1.05")), person(2, "A", D(10000))]
    result = allocate_target(
        people, budget=D(1000), unit=D(1), coefficients=COEF, department_coefficients={}
    )
    assert result.scaled and result.total == D(1000)
    first, second = (a.amount for a in result.lines)
    assert first > second and first + second == D(1000)


def test_pool_weights_include_the_factor():
    people = [person(1, "B", None, D(2)), person(2, "B", None)]
    result = allocate_pool(
        people,
        budget=D(3000),
        unit=D(1),
        coefficients=COEF,
        department_coefficients={},
        pools={1: D(3000)},
    )
    assert [a.amount for a in result.lines] == [D(2000), D(1000)]


factors = st.sampled_from([D(1), D("1.05"), D("0.8"), D("1.2"), D("0.001"), D(3)])
rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(list(COEF)),
        st.integers(min_value=0, max_value=5_000_000).map(lambda n: D(n) / 100),
        factors,
    ),
    max_size=40,
)


@given(rows_strategy, st.integers(min_value=0, max_value=10_000), st.sampled_from([D(1), D(100)]))
def test_with_factors_the_total_never_passes_the_budget(rows, budget_units, unit):
    budget = D(budget_units) * unit
    people = [person(i, g, t, f) for i, (g, t, f) in enumerate(rows, start=1)]
    result = allocate_target(
        people, budget=budget, unit=unit, coefficients=COEF, department_coefficients={}
    )
    amounts = [a.amount for a in result.lines]
    assert all(a >= 0 and a % unit == 0 for a in amounts)
    assert sum(amounts, D(0)) == result.total <= budget
    if result.scaled:
        assert result.total == budget
    for row, line in zip(rows, result.lines, strict=True):
        assert line.raw == (row[1] * COEF[row[0]] * row[2]).quantize(D("0.000001"))


# --- Through the services --------------------------------------------------------------------


@pytest.fixture
def course(db):
    return Course.objects.create(code="COMM", title="Talking to customers")


@pytest.fixture
def second_course(db):
    return Course.objects.create(code="SAFE", title="Safety basics")


def complete(employee, course, hr, on=None):
    return TrainingAssignment.objects.create(
        employee=employee,
        course=course,
        recommended_by=hr,
        status=TrainingStatus.COMPLETED,
        completed_on=on or dt.date(2026, 3, 1),
    )


def lines_by_name(plan):
    return {line.employee.name: line for line in plan.lines.select_related("employee")}


def test_condition_leaves_out_people_missing_a_course_naming_it(
    company, world, course, second_course
):
    complete(company.manager, course, company.hr)
    complete(company.manager, second_course, company.hr)
    complete(company.direct, course, company.hr)
    TrainingAssignment.objects.create(
        employee=company.indirect,
        course=second_course,
        recommended_by=company.hr,
        status=TrainingStatus.IN_PROGRESS,
    )
    plan = make_plan(
        company,
        world,
        budget=D(200000),
        training_rule="condition",
        required_courses=[course, second_course],
    )
    report = services.plan_compute(actor=company.hr, plan=plan)
    assert report.lines == 1
    lines = lines_by_name(plan)
    assert set(lines) == {"Mia Manager"}
    assert lines["Mia Manager"].training_met is True
    assert lines["Mia Manager"].amount == D("72000.00")  # no factor under "condition"
    plan.refresh_from_db()
    missing = {e["name"]: e for e in plan.excluded if e["reason"] == "training_missing"}
    assert missing["Dan Direct"]["courses"] == ["Safety basics"]
    assert missing["Ivy Indirect"]["courses"] == ["Safety basics", "Talking to customers"]
    label = services.exclusion_label(missing["Dan Direct"])
    assert label == "required training not completed: Safety basics"
    assert "required training completed" in explain(lines["Mia Manager"], plan)


def test_factor_multiplies_those_who_completed_by_the_deadline(company, world, course):
    complete(company.manager, course, company.hr, on=dt.date(2026, 3, 1))
    complete(company.direct, course, company.hr, on=dt.date(2026, 4, 2))  # too late
    plan = make_plan(
        company,
        world,
        budget=D(200000),
        training_rule="factor",
        required_courses=[course],
        training_factor=D("1.05"),
        training_deadline=dt.date(2026, 3, 31),
    )
    services.plan_compute(actor=company.hr, plan=plan)
    lines = lines_by_name(plan)
    manager, direct = lines["Mia Manager"], lines["Dan Direct"]
    assert (manager.training_met, manager.training_factor) == (True, D("1.05"))
    assert (direct.training_met, direct.training_factor) == (False, D(1))
    assert manager.amount == D("75600.00")  # 60000 × 1.2 × 1.05
    assert direct.amount == D("40000.00")
    text = explain(manager, plan)
    assert "× training factor 1.05 (required training completed)" in text
    assert "× training factor 1 (required training not completed)" in explain(direct, plan)


def test_factor_over_budget_still_lands_exactly_on_it(company, world, course):
    complete(company.indirect, course, company.hr)
    plan = make_plan(
        company,
        world,
        budget=D(99999),
        rounding_unit=D(1),
        training_rule="factor",
        required_courses=[course],
        training_factor=D("1.3"),
    )
    report = services.plan_compute(actor=company.hr, plan=plan)
    assert report.scaled and plan_totals(plan)["final"] == D(99999)


def test_without_a_rule_lines_say_nothing_about_training(company, world, course):
    complete(company.manager, course, company.hr)
    plan = make_plan(company, world, budget=D(200000))
    services.plan_compute(actor=company.hr, plan=plan)
    line = lines_by_name(plan)["Mia Manager"]
    assert line.training_factor is None and line.training_met is None
    assert "training" not in explain(line, plan)


def test_the_export_has_the_training_columns(company, world, course, as_user):
    import io

    from openpyxl import load_workbook

    complete(company.manager, course, company.hr)
    plan = make_plan(
        company, world, training_rule="factor", required_courses=[course], training_factor="1.05"
    )
    services.plan_compute(actor=company.hr, plan=plan)
    response = as_user(company.hr).get(f"/reward/plans/{plan.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert "Training factor" in header and "Required training completed" in header
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["Mia Manager"][header.index("Required training completed")] == "yes"
    assert str(by_name["Dan Direct"][header.index("Training factor")]) == "1"

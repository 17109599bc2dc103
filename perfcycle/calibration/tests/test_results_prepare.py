"""Results start from the stored scores; recomputing never undoes a calibration; the
guideline check says which grades are off."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone

from perfcycle.calibration.distribution import check, settings_set
from perfcycle.calibration.models import Adjustment, CalibrationSettings, Result
from perfcycle.calibration.results import results_prepare
from perfcycle.core.errors import DomainError, Forbidden, ValidationFailed
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import grade_scale_default
from perfcycle.evaluation.models import ScoreResult
from tests.factories import CycleFactory


@pytest.fixture
def cycle(company):
    cycle = CycleFactory(
        phase=Phase.CALIBRATION, participants=[company.direct, company.indirect, company.stranger]
    )
    Cycle.objects.filter(pk=cycle.pk).update(grade_scale=grade_scale_default(actor=company.hr))
    cycle.refresh_from_db()
    for person, score, grade in (
        (company.direct, D("91.5"), "A"),
        (company.indirect, D("72"), "B"),
        (company.stranger, D("58"), "D"),
    ):
        ScoreResult.objects.create(
            cycle=cycle,
            employee=person,
            overall_score=score,
            grade=grade,
            complete=True,
            computed_at=timezone.now(),
        )
    return cycle


def test_results_start_from_the_stored_scores(company, cycle):
    with pytest.raises(Forbidden):
        results_prepare(actor=company.user("manager"), cycle=cycle)
    report = results_prepare(actor=company.hr, cycle=cycle)
    assert report.as_dict() == {"created": 3, "updated": 0, "unchanged": 3 - 3}
    direct = Result.objects.get(cycle=cycle, employee=company.direct)
    assert (direct.computed_grade, direct.grade, direct.score) == ("A", "A", D("91.50"))
    assert direct.department_id == company.direct.department_id
    assert results_prepare(actor=company.hr, cycle=cycle).as_dict() == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
    }


def test_recomputing_never_undoes_a_calibration(company, cycle):
    results_prepare(actor=company.hr, cycle=cycle)
    direct = Result.objects.get(cycle=cycle, employee=company.direct)
    indirect = Result.objects.get(cycle=cycle, employee=company.indirect)
    Result.objects.filter(pk=direct.pk).update(grade="B")
    Adjustment.objects.create(
        result=direct, field="grade", before="A", after="B", reason="calibrated", by=company.hr
    )
    ScoreResult.objects.filter(cycle=cycle).update(overall_score=D("96"), grade="S")
    report = results_prepare(actor=company.hr, cycle=cycle)
    assert report.updated == 3
    direct.refresh_from_db()
    indirect.refresh_from_db()
    assert (direct.computed_grade, direct.grade) == ("S", "B")  # the calibration stands
    assert (indirect.computed_grade, indirect.grade) == ("S", "S")  # untouched: follows


def test_results_need_stored_scores_and_the_right_phase(company, cycle):
    ScoreResult.objects.all().delete()
    with pytest.raises(DomainError) as exc:
        results_prepare(actor=company.hr, cycle=cycle)
    assert exc.value.code == "no_scores"
    Cycle.objects.filter(pk=cycle.pk).update(phase=Phase.IN_PROGRESS)
    cycle.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        results_prepare(actor=company.hr, cycle=cycle)
    assert exc.value.code == "wrong_phase"


def test_guideline_shares_must_total_100_and_name_real_grades(company, cycle):
    with pytest.raises(ValidationFailed):
        settings_set(actor=company.hr, cycle=cycle, shares={"S": 10, "A": 20, "B": 50})
    with pytest.raises(ValidationFailed):
        settings_set(actor=company.hr, cycle=cycle, shares={"X": 100})
    with pytest.raises(Forbidden):
        settings_set(actor=company.user("manager"), cycle=cycle, shares={})
    saved = settings_set(
        actor=company.hr,
        cycle=cycle,
        shares={"S": 10, "A": 20, "B": 50, "C": 15, "D": 5},
        tolerance=D(10),
        strict=True,
    )
    assert saved.shares == {"S": "10", "A": "20", "B": "50", "C": "15", "D": "5"}


def test_the_check_names_the_grades_off_the_guideline():
    settings = CalibrationSettings(
        shares={"S": "10", "A": "20", "B": "50", "C": "15", "D": "5"}, tolerance=D(5)
    )
    grades = ["S"] * 3 + ["A"] * 2 + ["B"] * 5 + ["", ""]
    result = check(settings, ["S", "A", "B", "C", "D"], grades)
    assert result.total == 10 and result.ungraded == 2
    rows = {r.code: r for r in result.rows}
    assert rows["S"].share == D("30.0") and rows["S"].deviation == D("20.0") and rows["S"].off
    assert not rows["A"].off and not rows["B"].off
    assert rows["C"].off  # 0 % against 15 %
    assert not rows["D"].off  # 0 % against 5 %: within 5 points
    assert [r.code for r in result.off] == ["S", "C"] and not result.ok
    assert check(CalibrationSettings(shares={}), ["S"], ["S"]).has_guideline is False


def test_a_large_prepare_refreshes_the_results_statistics(company, cycle, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from perfcycle.core import bulk

    monkeypatch.setattr(bulk, "ANALYZE_ROWS", 3)
    analyze = f"ANALYZE {connection.ops.quote_name(Result._meta.db_table)}"
    with CaptureQueriesContext(connection) as first:
        results_prepare(actor=company.hr, cycle=cycle)
    with CaptureQueriesContext(connection) as again:  # nothing written: nothing to refresh
        results_prepare(actor=company.hr, cycle=cycle)
    assert [q["sql"] for q in first.captured_queries].count(analyze) == 1
    assert analyze not in [q["sql"] for q in again.captured_queries]

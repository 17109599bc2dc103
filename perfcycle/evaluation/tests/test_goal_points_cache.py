"""The points each KPI goal keeps (``Goal.cached_points``): the database invalidates them
whenever a scoring input changes, however it is written, and scoring never uses points
worked out from other inputs."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import connection

from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import grade_scale_default, review_template_create
from perfcycle.evaluation.goal_points import goal_points_keep
from perfcycle.evaluation.scores import cycle_scores
from perfcycle.imports.bulk import update_rows
from perfcycle.planning import scoring
from perfcycle.planning.models import Goal
from perfcycle.planning.triggers import GOAL_INPUTS, STAMP_BUMP
from tests.factories import CycleFactory, EmployeeFactory, GoalFactory

INPUTS = GOAL_INPUTS

# A new value for each input, different from what ``_goal`` writes.
NEW_VALUES = {
    "kind": "milestone",
    "target": D("25"),
    "current_value": D("19"),
    "direction": "lower",
    "baseline": D("3"),
    "threshold": D("12"),
    "stretch": D("30"),
    "rule_type": "binary",
    "rule_floor": D("10"),
    "rule_cap": D("110"),
    "threshold_points": D("50"),
    "bands": [[100, 100], [50, 40]],
}


@pytest.fixture
def goal(company):
    template = review_template_create(
        actor=company.hr, name="Goals only", goals_weight=100, competencies_weight=0
    )
    person = EmployeeFactory()
    cycle = CycleFactory(phase=Phase.MANAGER_REVIEW, participants=[person])
    Cycle.objects.filter(pk=cycle.pk).update(
        template=template, grade_scale=grade_scale_default(actor=company.hr)
    )
    cycle.refresh_from_db()
    return GoalFactory(cycle=cycle, employee=person, target=20, current_value=D("15"))


def _cache(goal: Goal) -> tuple[D | None, int | None, int]:
    goal.refresh_from_db(fields=["cached_points", "cached_rules", "inputs_stamp"])
    return goal.cached_points, goal.cached_rules, goal.inputs_stamp


def test_scoring_keeps_each_kpi_goals_points(goal):
    assert _cache(goal) == (None, None, 0)
    score = cycle_scores(goal.cycle)[goal.employee_id]
    assert score.goals_score == D("75.00")
    assert _cache(goal) == (D("75.00"), scoring.RULES_VERSION, 0)
    again = cycle_scores(goal.cycle)[goal.employee_id]
    assert again.goals_score == D("75.00")
    assert [line.points for line in again.goals] == [D("75.00")]


def test_every_scoring_input_is_watched_by_the_database():
    assert set(NEW_VALUES) == set(INPUTS)


@pytest.mark.parametrize("name", sorted(NEW_VALUES))
def test_changing_an_input_clears_the_kept_points(goal, name):
    cycle_scores(goal.cycle)
    _points, rules, stamp = _cache(goal)
    assert rules == scoring.RULES_VERSION
    # Through the ORM's save ...
    setattr(goal, name, NEW_VALUES[name])
    goal.save()
    assert _cache(goal)[1:] == (None, stamp + 1)
    # ... and through a bulk update that no Python code sees.
    if name in ("target", "current_value", "baseline", "threshold", "stretch"):
        cycle_scores(goal.cycle)
        assert _cache(goal)[1] == scoring.RULES_VERSION
        Goal.objects.filter(pk=goal.pk).update(**{name: None})
        assert _cache(goal)[1:] == (None, stamp + 2)


def test_other_changes_keep_the_points(goal):
    cycle_scores(goal.cycle)
    kept = _cache(goal)
    goal.title = "Renamed"
    goal.description = "More words"
    goal.weight = D("100")
    goal.save()
    assert _cache(goal) == kept


def test_raw_sql_changes_are_scored_at_once(goal):
    assert cycle_scores(goal.cycle)[goal.employee_id].goals_score == D("75.00")
    table = connection.ops.quote_name(Goal._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET current_value = 18 WHERE id = %s", [goal.pk])
    assert cycle_scores(goal.cycle)[goal.employee_id].goals_score == D("90.00")


def test_a_bulk_writer_that_bumps_the_stamp_itself_is_counted_once(goal):
    """``update_rows(..., expressions=STAMP_BUMP)``, as the actuals import writes current
    values: the trigger leaves the row alone and the stamp moves by one, not two."""
    cycle_scores(goal.cycle)
    stamp = _cache(goal)[2]
    update_rows(Goal, ["id", "current_value"], [(goal.pk, D("18"))], expressions=STAMP_BUMP)
    assert _cache(goal)[1:] == (None, stamp + 1)
    assert cycle_scores(goal.cycle)[goal.employee_id].goals_score == D("90.00")


def test_points_from_older_inputs_are_not_kept(goal):
    stamp = _cache(goal)[2]
    Goal.objects.filter(pk=goal.pk).update(current_value=D("16"))  # stamp + 1
    assert goal_points_keep([(goal.pk, stamp, D("75.00"))]) == 0
    assert _cache(goal)[:2] == (None, None)
    assert goal_points_keep([(goal.pk, stamp + 1, D("80.00"))]) == 1
    assert _cache(goal)[:2] == (D("80.00"), scoring.RULES_VERSION)


def test_points_kept_under_earlier_rules_are_worked_out_again(goal, monkeypatch):
    cycle_scores(goal.cycle)
    Goal.objects.filter(pk=goal.pk).update(cached_points=D("1.00"))  # not an input
    assert cycle_scores(goal.cycle)[goal.employee_id].goals_score == D("1.00")
    monkeypatch.setattr(scoring, "RULES_VERSION", scoring.RULES_VERSION + 1)
    monkeypatch.setattr("perfcycle.evaluation.score_inputs.RULES_VERSION", scoring.RULES_VERSION)
    monkeypatch.setattr("perfcycle.evaluation.goal_points.RULES_VERSION", scoring.RULES_VERSION)
    assert cycle_scores(goal.cycle)[goal.employee_id].goals_score == D("75.00")
    assert _cache(goal)[:2] == (D("75.00"), scoring.RULES_VERSION)


def test_goals_without_points_are_named(goal):
    other = GoalFactory(cycle=goal.cycle, employee=goal.employee, title="No actual yet")
    for _round in range(2):  # worked out, then kept
        score = cycle_scores(goal.cycle)[goal.employee_id]
        assert "Goal “No actual yet” has no score yet." in score.missing
    assert _cache(other)[:2] == (None, scoring.RULES_VERSION)

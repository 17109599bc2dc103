"""The synthetic company: deterministic, the promised shape, and usable by the product."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from perfcycle.accounts.models import User
from perfcycle.calibration import distribution
from perfcycle.calibration.models import Result
from perfcycle.calibration.results import results_prepare
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.evaluation.models import FormStatus, Rating, ReviewForm, ReviewSource
from perfcycle.evaluation.results import scores_store
from perfcycle.evaluation.scores import cycle_scores
from perfcycle.monitoring.actuals import goals_recompute
from perfcycle.monitoring.models import Actual
from perfcycle.org.models import Department, Employee, child_path
from perfcycle.org.services import employee_create
from perfcycle.planning.models import Goal
from perfcycle.synth.build import GOALS_PER_PERSON, HR_LOGIN, synth_build

TODAY = dt.date(2026, 11, 26)
SIZE = 150


def _snapshot() -> dict[str, Any]:
    """Every built row by natural keys (numbers, codes), without ids or timestamps."""
    number = dict(Employee.objects.values_list("pk", "employee_number"))
    code = dict(Department.objects.values_list("pk", "code"))

    def path(ids: str, names: dict[int, str]) -> list[str]:
        return [names[int(i)] for i in ids.strip("/").split("/")]

    return {
        "departments": sorted(
            (d.code, d.name, code.get(d.parent_id), number.get(d.head_id), *path(d.path, code))
            for d in Department.objects.all()
        ),
        "employees": sorted(
            (
                e.employee_number,
                e.name,
                e.email,
                e.job_family,
                e.level,
                e.hire_date,
                number.get(e.manager_id),
                code.get(e.department_id),
                *path(e.path, number),
            )
            for e in Employee.objects.all()
        ),
        "goals": sorted(
            (number[g.employee_id], g.indicator.code, g.weight, g.target, g.current_value)
            for g in Goal.objects.select_related("indicator")
        ),
        "actuals": sorted(
            (number[a.goal.employee_id], a.goal.indicator.code, a.period, a.value)
            for a in Actual.objects.select_related("goal__indicator")
        ),
        "forms": sorted(
            (number[f.reviewee_id], number[f.reviewer_id], f.source, f.status, f.submitted_at)
            for f in ReviewForm.objects.all()
        ),
        "ratings": sorted(
            Rating.objects.values_list(
                "form__reviewee__employee_number",
                "form__reviewer__employee_number",
                "form__source",
                "item__competency__code",
                "value",
            )
        ),
    }


def _build_and_roll_back(seed: int) -> dict[str, Any]:
    with transaction.atomic():
        synth_build(employees=SIZE, seed=seed, today=TODAY)
        found = _snapshot()
        transaction.set_rollback(True)
    return found


@pytest.fixture
def built(db: None) -> Cycle:
    report = synth_build(employees=SIZE, seed=7, today=TODAY)
    return Cycle.objects.get(pk=report.cycle_id)


def test_the_same_seed_gives_the_same_rows_and_another_seed_does_not(db):
    first = _build_and_roll_back(3)
    again = _build_and_roll_back(3)
    other = _build_and_roll_back(4)
    assert first["ratings"] and len(first["employees"]) == SIZE
    assert first == again
    assert first["employees"] != other["employees"]
    assert first["ratings"] != other["ratings"]


def test_every_person_has_their_forms_goals_and_actuals(built):
    people = list(Employee.objects.all())
    assert len(people) == SIZE
    assert CycleParticipant.objects.filter(cycle=built).count() == SIZE
    reports = Counter(e.manager_id for e in people if e.manager_id)
    forms = Counter(ReviewForm.objects.filter(cycle=built).values_list("reviewee_id", "source"))
    for person in people:
        assert forms[(person.pk, ReviewSource.SELF)] == 1
        assert forms[(person.pk, ReviewSource.MANAGER)] == (1 if person.manager_id else 0)
        assert forms[(person.pk, ReviewSource.PEER)] == 3
        assert forms[(person.pk, ReviewSource.REPORT)] == reports[person.pk]
    assert not ReviewForm.objects.exclude(status=FormStatus.SUBMITTED).exists()
    items = built.template.competencies.count()
    assert items == 10
    per_form = Counter(Rating.objects.values_list("form_id", flat=True))
    assert set(per_form.values()) == {items}
    assert len(per_form) == ReviewForm.objects.count()

    goals = Counter(Goal.objects.filter(cycle=built).values_list("employee_id", flat=True))
    assert set(goals.values()) == {GOALS_PER_PERSON} and len(goals) == SIZE
    weights: Counter[int] = Counter()
    for employee_id, weight in Goal.objects.values_list("employee_id", "weight"):
        weights[employee_id] += weight
    assert set(weights.values()) == {Decimal(100)}
    per_goal = Counter(Actual.objects.current().values_list("goal_id", flat=True))
    assert set(per_goal.values()) == {3}
    # The monitoring stage's own recompute finds nothing to change.
    assert goals_recompute(Goal.objects.values_list("pk", flat=True)) == []


def test_no_peer_is_the_reviewee_their_manager_or_a_report(built):
    managers = dict(Employee.objects.values_list("pk", "manager_id"))
    for reviewee, reviewer in ReviewForm.objects.filter(source=ReviewSource.PEER).values_list(
        "reviewee_id", "reviewer_id"
    ):
        assert reviewer != reviewee
        assert managers[reviewee] != reviewer and managers[reviewer] != reviewee


def test_spans_stay_between_4_and_12(built):
    spans = Counter(Employee.objects.exclude(manager=None).values_list("manager_id", flat=True))
    assert spans and all(4 <= n <= 12 for n in spans.values()), sorted(spans.values())
    depth = max(
        len(p.strip("/").split("/")) for p in Employee.objects.values_list("path", flat=True)
    )
    assert depth >= 3


def test_paths_are_what_the_org_services_write(built):
    people = {e.pk: e for e in Employee.objects.all()}
    for e in people.values():
        parent = people[e.manager_id].path if e.manager_id else ""
        assert e.path == child_path(parent, e.pk)
    departments = {d.pk: d for d in Department.objects.all()}
    for d in departments.values():
        parent = departments[d.parent_id].path if d.parent_id else ""
        assert d.path == child_path(parent, d.pk)
    assert {e.department_id for e in people.values()} <= set(departments)
    # The service adds the next person after the explicit ids, under the same paths.
    boss = Employee.objects.exclude(manager=None).first()
    new = employee_create(actor=None, employee_number="NEW-1", name="New", manager=boss)
    assert new.pk > max(people) and new.path == child_path(boss.path, new.pk)
    assert list(Employee.objects.subtree(boss)).count(new) == 1


def test_scoring_calibration_and_pages_work_on_it(built):
    scores = cycle_scores(built)
    assert len(scores) == SIZE
    assert all(s.complete for s in scores.values()), next(
        s.missing for s in scores.values() if not s.complete
    )
    grades = Counter(s.grade for s in scores.values())
    assert len(grades) >= 3 and "" not in grades

    hr = User.objects.get(username=HR_LOGIN)
    assert hr.is_hr_admin and hr.employee is not None
    scores_store(actor=hr, cycle=built)
    results_prepare(actor=hr, cycle=built)
    found = distribution.overview(built, Result.objects.filter(cycle=built))
    assert found.overall.total == SIZE
    assert sum(row.count for row in found.overall.rows) == SIZE

    client = Client()
    client.force_login(hr)
    for name in ("evaluation:scores", "evaluation:progress", "calibration:distribution"):
        response = client.get(reverse(name, args=[built.pk]))
        assert response.status_code == 200, name


def test_a_fresh_build_refuses_a_database_with_people_unless_forced(company):
    with pytest.raises(CommandError, match="already has employees"):
        call_command("synth", employees=20, seed=1, fresh=True)
    call_command("synth", employees=20, seed=1, fresh=True, force=True)
    assert Employee.objects.filter(employee_number__startswith="SYN-").count() == 20
    with pytest.raises(CommandError, match="already has a synthetic company"):
        call_command("synth", employees=20, seed=2)


def _foreign_keys() -> list[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' ORDER BY 1, 2"
        )
        return cursor.fetchall()


def test_postgresql_gets_its_foreign_keys_back_after_the_load(db):
    from django.db import IntegrityError, connection

    if connection.vendor != "postgresql":
        pytest.skip("the foreign keys are dropped for the load on PostgreSQL only")
    before = _foreign_keys()
    synth_build(employees=30, seed=1, today=TODAY)
    assert _foreign_keys() == before
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(IntegrityError), transaction.atomic():
            Rating.objects.create(form_id=10**9, item_id=10**9, value=3)

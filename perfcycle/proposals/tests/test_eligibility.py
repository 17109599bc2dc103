"""Eligibility: the grade by the scale's order, the last N cycles with results, missing
results, tenure and a missing hire date — each with its reason."""

from __future__ import annotations

import datetime as dt

import pytest

from perfcycle.org.models import Employee
from perfcycle.proposals import eligibility
from perfcycle.proposals.tests.conftest import add_result, make_round
from tests.factories import CycleFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


def _check(round, *people):
    found = eligibility.evaluate(round, list(people))
    return [found[p.pk] for p in people]


def test_the_grade_threshold_follows_the_scale_order(company, world):
    round = make_round(company, world, min_grade="A")
    manager, direct, indirect = _check(round, company.manager, company.direct, company.indirect)
    assert manager.eligible and indirect.eligible  # A and S: A or better
    assert not direct.eligible
    assert direct.reasons == ["grade B in 2026 Q2, needs A or better"]
    round_s = make_round(company, world, name="S only", min_grade="S")
    (manager,) = _check(round_s, company.manager)
    assert not manager.eligible and "grade A in 2026 Q2, needs S or better" in manager.reasons


def test_each_of_the_last_n_cycles_must_meet_the_grade(company, world):
    round = make_round(company, world, cycles_considered=2, min_grade="A")
    direct, indirect, stranger = _check(round, company.direct, company.indirect, company.stranger)
    assert indirect.eligible and stranger.eligible
    assert [g.grade for g in indirect.grades] == ["S", "A"]  # latest first
    assert not direct.eligible  # S then B: the latest cycle fails
    assert direct.reasons == ["grade B in 2026 Q2, needs A or better"]


def test_cycles_without_results_are_skipped_and_a_missing_result_fails(company, world):
    # A cycle between the two quarters with no released results does not count.
    CycleFactory(name="Mid", start_date=dt.date(2026, 4, 1), end_date=dt.date(2026, 5, 15))
    newcomer = EmployeeFactory(manager=company.manager, department=company.sales)
    add_result(world.q2, newcomer, "S")
    round = make_round(company, world, cycles_considered=2, min_tenure_months=0)
    (person,) = _check(round, newcomer)
    assert [g.cycle for g in person.grades] == ["2026 Q2", "2026 Q1"]
    assert not person.eligible
    assert person.reasons == ["no released result in 2026 Q1"]


def test_an_unreleased_result_is_missing(company, world):
    late = EmployeeFactory(manager=company.manager)
    add_result(world.q2, late, "S", released=False)
    round = make_round(company, world, min_tenure_months=0)
    (person,) = _check(round, late)
    assert not person.eligible and person.reasons == ["no released result in 2026 Q2"]


def test_too_few_cycles_with_results(company, world):
    round = make_round(company, world, cycles_considered=3)
    (indirect,) = _check(round, company.indirect)
    assert not indirect.eligible
    assert "only 2 cycle(s) with results, 3 needed" in indirect.reasons


def test_tenure_to_the_cycle_end_and_no_hire_date(company, world):
    round = make_round(company, world, min_tenure_months=12)
    Employee.objects.filter(pk=company.indirect.pk).update(hire_date=dt.date(2025, 7, 1))
    Employee.objects.filter(pk=company.stranger.pk).update(hire_date=None)
    Employee.objects.filter(pk=company.manager.pk).update(hire_date=dt.date(2025, 6, 30))
    indirect, stranger, manager = _check(
        round,
        Employee.objects.get(pk=company.indirect.pk),
        Employee.objects.get(pk=company.stranger.pk),
        Employee.objects.get(pk=company.manager.pk),
    )
    assert indirect.tenure_months == 11 and not indirect.eligible
    assert indirect.reasons == ["tenure 11 months at 2026-06-30, needs 12"]
    assert not stranger.eligible
    assert stranger.reasons == ["no hire date on record: tenure cannot be checked"]
    assert manager.eligible and manager.tenure_months == 12


def test_months_between():
    assert eligibility.months_between(dt.date(2025, 1, 31), dt.date(2025, 2, 28)) == 0
    assert eligibility.months_between(dt.date(2025, 1, 15), dt.date(2026, 1, 15)) == 12
    assert eligibility.months_between(dt.date(2025, 1, 16), dt.date(2026, 1, 15)) == 11


def test_eligibility_is_set_based(company, world, django_assert_num_queries):
    round = make_round(company, world, cycles_considered=2)
    many = [EmployeeFactory(manager=company.manager) for _ in range(8)]
    for person in many:
        add_result(world.q2, person, "A")
    people = list(Employee.objects.all())
    with django_assert_num_queries(3):  # scale, cycles, results
        found = eligibility.evaluate(round, people)
    assert len(found) == len(people)

"""Rater profiles from sums (the same floats as from the ratings), added up in the database,
and the stored rater flags: reused while nothing was submitted, recomputed when a form is
submitted — also one stamped before the snapshot but committed after it — or when the
rules change."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import review_template_create
from perfcycle.evaluation import analysis, reliability
from perfcycle.evaluation.models import (
    FormStatus,
    RaterFlagSnapshot,
    Rating,
    ReviewForm,
    TemplateCompetency,
)
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory, EmployeeFactory

# --- Pure: from sums --------------------------------------------------------------------


def _sums(rows, central):
    sums = defaultdict(lambda: [0, 0, 0, 0])
    for rater, ratee, _item, v in rows:
        s = sums[(rater, ratee)]
        s[0] += 1
        s[1] += v
        s[2] += v * v
        s[3] += v in central
    return [(rater, ratee, *s) for (rater, ratee), s in sums.items()]


@pytest.mark.parametrize("seed", range(40))
def test_profiles_from_sums_are_the_profiles_from_the_ratings(seed):
    rnd = random.Random(seed)
    low, high = rnd.choice([(1, 5), (1, 4), (0, 10), (1, 7), (2, 3)])
    thresholds = reliability.FlagThresholds(
        min_ratings=rnd.choice([1, 3, 5]), central_band=rnd.choice([0.5, 1.0, 1.5])
    )
    rows = []
    for rater in range(rnd.randint(1, 10)):
        bias = rnd.choice([-2, -1, 0, 0, 1, 2])
        for ratee in rnd.sample(range(10), rnd.randint(1, 10)):
            for item in range(rnd.randint(1, 5)):
                value = rnd.randint(low, high) + bias if rnd.random() < 0.7 else (low + high) // 2
                rows.append((f"r{rater}", f"e{ratee}", item, min(high, max(low, value))))
    central = set(reliability.central_values(low, high, thresholds))
    for baseline in ("ratees", "all"):
        expected = reliability.rater_profiles(
            rows, scale_min=low, scale_max=high, baseline=baseline, thresholds=thresholds
        )
        found = reliability.rater_profiles_from_sums(
            _sums(rows, central), baseline=baseline, thresholds=thresholds
        )
        assert (found.count, found.population_mean, found.population_sd) == (
            expected.count,
            expected.population_mean,
            expected.population_sd,
        )
        # Exactly equal, floats included (not approximately).
        assert {p.rater: p for p in found.raters} == {p.rater: p for p in expected.raters}


def test_sums_split_over_several_rows_are_added_up():
    rows = [("a", "x", 1, 5), ("a", "x", 2, 4), ("b", "x", 1, 2), ("b", "x", 2, 1)]
    central = set(reliability.central_values(1, 5))
    one_row_each = reliability.rater_profiles_from_sums(_sums(rows, central))
    split = reliability.rater_profiles_from_sums(
        [("a", "x", 1, 5, 25, 0), ("a", "x", 1, 4, 16, 1), *_sums(rows[2:], central)]
    )
    assert split == one_row_each
    assert reliability.rater_profiles_from_sums([]) is None


def test_central_values_are_the_ratings_near_the_midpoint():
    assert reliability.central_values(1, 5) == [2, 3, 4]
    assert reliability.central_values(1, 4) == [2, 3]  # midpoint 2.5, band 1
    band = reliability.FlagThresholds(central_band=0.5)
    assert reliability.central_values(1, 5, band) == [3]


# --- In the database ----------------------------------------------------------------------


def _cycle(items: int = 2) -> tuple[Cycle, list[TemplateCompetency]]:
    template = review_template_create(actor=None, name="Flags")
    rows = [
        TemplateCompetency.objects.create(
            template=template,
            competency=Competency.objects.create(code=f"F{i}", name=f"Flag competency {i}"),
            weight=D(100) / items,
            position=i,
        )
        for i in range(items)
    ]
    cycle = CycleFactory(phase=Phase.CALIBRATION)
    Cycle.objects.filter(pk=cycle.pk).update(template=template)
    cycle.refresh_from_db()
    return cycle, rows


def _rate(cycle, reviewee, reviewer, source, values, items, *, at=None, status=None):
    form = ReviewForm.objects.create(
        cycle=cycle,
        reviewee=reviewee,
        reviewer=reviewer,
        source=source,
        status=status or FormStatus.SUBMITTED,
        submitted_at=at,
    )
    Rating.objects.bulk_create(
        [Rating(form=form, item=item, value=v) for item, v in zip(items, values, strict=True)]
    )
    return form


@pytest.fixture
def rated(db):
    """Four people rated by a lenient, a harsh-ish and two fair peers, with self-reviews
    and a draft, submitted a week ago."""
    cycle, items = _cycle()
    week_ago = timezone.now() - dt.timedelta(days=7)
    lenient = EmployeeFactory(name="Lenny Lenient")
    fair = [EmployeeFactory(name=f"Fair {i}") for i in range(2)]
    people = [EmployeeFactory(name=f"Person {i}") for i in range(4)]
    for i, person in enumerate(people):
        _rate(cycle, person, lenient, "peer", [5, 5], items, at=week_ago)
        _rate(cycle, person, fair[0], "peer", [2 + i % 2, 3], items, at=week_ago)
        _rate(cycle, person, fair[1], "peer", [3, 2 + i % 2], items, at=week_ago)
        _rate(cycle, person, person, "self", [1, 1], items, at=week_ago)
    _rate(cycle, people[0], EmployeeFactory(), "peer", [1, 1], items, status=FormStatus.DRAFT)
    return cycle, items, lenient, fair, people


def _expected_flags(cycle) -> dict[int, tuple[str, ...]]:
    """The flags as the full analysis (every rating through ``rater_profiles``) has them."""
    found = analysis.cycle_reliability(Cycle.objects.get(pk=cycle.pk))
    return {row.reviewer_id: row.profile.flags for row in found.rater_rows if row.profile.flags}


def _flags(cycle) -> tuple[dict[int, tuple[str, ...]], int]:
    with CaptureQueriesContext(connection) as queries:
        flags = analysis.rater_flags(Cycle.objects.select_related("template").get(pk=cycle.pk))
    return flags, len(queries) - 1  # the cycle itself


def test_profiles_in_the_database_are_the_full_analysis_profiles(rated):
    cycle = rated[0]
    expected = analysis.cycle_reliability(cycle).raters
    found = analysis.cycle_rater_profiles(cycle)
    assert (found.count, found.population_mean, found.population_sd) == (
        expected.count,
        expected.population_mean,
        expected.population_sd,
    )
    assert {p.rater: p for p in found.raters} == {p.rater: p for p in expected.raters}


def test_flags_are_stored_once_and_then_read_in_one_query(rated):
    cycle, _items, lenient, _fair, _people = rated
    flags, queries = _flags(cycle)
    assert flags == _expected_flags(cycle)
    assert flags[lenient.pk] == ("lenient",)
    assert queries == 3  # check (with the window), sums, store
    stored = RaterFlagSnapshot.objects.get(cycle=cycle)
    assert stored.window_forms == 0 and stored.ratings == 24
    again, queries = _flags(cycle)
    assert again == flags and queries == 1


def test_a_new_submission_changes_the_flags(rated):
    cycle, items, _lenient, _fair, people = rated
    _flags(cycle)
    harsh = EmployeeFactory(name="Harry Harsh")
    for person in people:
        _rate(cycle, person, harsh, "peer", [1, 1], items, at=timezone.now())
    flags, queries = _flags(cycle)
    assert queries == 3  # check, sums, store
    assert flags == _expected_flags(cycle)
    assert flags[harsh.pk] == ("harsh",)
    assert _flags(cycle) == (flags, 1)


def test_a_submission_without_a_time_is_seen_too(rated):
    cycle, items, _lenient, _fair, people = rated
    before, _queries = _flags(cycle)
    harsh = EmployeeFactory(name="Harry Harsh")
    for person in people:
        _rate(cycle, person, harsh, "peer", [1, 1], items, at=None)
    flags, queries = _flags(cycle)
    assert queries == 3 and flags != before and flags == _expected_flags(cycle)


def test_a_submission_committed_after_the_snapshot_but_stamped_before_is_seen(rated):
    cycle, items, _lenient, _fair, people = rated
    harsh = EmployeeFactory(name="Harry Harsh")
    _rate(cycle, people[0], harsh, "peer", [1, 1], items, at=timezone.now())
    _flags(cycle)
    stored = RaterFlagSnapshot.objects.get(cycle=cycle)
    # A transaction that stamped its forms a minute before the snapshot's latest form
    # and committed only now: the latest time does not move, the count does.
    late = stored.window_latest - dt.timedelta(minutes=1)
    for person in people[1:]:
        _rate(cycle, person, harsh, "peer", [1, 1], items, at=late)
    flags, queries = _flags(cycle)
    assert queries == 3
    assert flags == _expected_flags(cycle) and flags[harsh.pk] == ("harsh",)
    assert RaterFlagSnapshot.objects.get(cycle=cycle).window_latest == stored.window_latest


def test_new_rules_recompute_and_each_recomputation_starts_a_new_window(rated, monkeypatch):
    cycle = rated[0]
    _flags(cycle)
    never = reliability.FlagThresholds(lenient_z=99, harsh_z=99, central_share=2)
    monkeypatch.setattr(analysis, "THRESHOLDS", never)
    flags, queries = _flags(cycle)
    assert not flags and queries == 3
    monkeypatch.undo()
    old = timezone.now() - dt.timedelta(days=3)
    RaterFlagSnapshot.objects.filter(cycle=cycle).update(window_start=old)
    flags, queries = _flags(cycle)
    assert flags == _expected_flags(cycle) and queries == 3  # the rules came back
    renewed = RaterFlagSnapshot.objects.get(cycle=cycle).window_start
    assert renewed > timezone.now() - dt.timedelta(hours=2)
    assert _flags(cycle) == (flags, 1)


def test_a_cycle_without_template_or_ratings_has_no_flags(db):
    cycle = CycleFactory()
    assert analysis.rater_flags(cycle) == {}
    empty, _items = _cycle()
    assert analysis.rater_flags(empty) == {}
    assert RaterFlagSnapshot.objects.get(cycle=empty).flags == {}

"""From ratings in the database to ICC and rater profiles: Shrout & Fleiss's Table 2
through real forms, the by-source layout, degenerate input with reasons, rater flags,
the normalisation switch, and a constant query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import DomainError
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import review_template_create
from perfcycle.evaluation import analysis
from perfcycle.evaluation.models import FormStatus, Rating, ReviewForm, TemplateCompetency
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory, EmployeeFactory

TABLE_2 = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]
PUBLISHED = {
    "ICC(1,1)": 0.17,
    "ICC(2,1)": 0.29,
    "ICC(3,1)": 0.71,
    "ICC(1,k)": 0.44,
    "ICC(2,k)": 0.62,
    "ICC(3,k)": 0.91,
}


def _cycle(*, rating_max: int = 5, items: int = 1) -> tuple[Cycle, list[TemplateCompetency]]:
    template = review_template_create(actor=None, name="Scale", rating_max=rating_max)
    rows = []
    for i in range(items):
        competency = Competency.objects.create(code=f"C{i}", name=f"Competency {i}")
        rows.append(
            TemplateCompetency.objects.create(
                template=template, competency=competency, weight=D(100) / items, position=i
            )
        )
    cycle = CycleFactory(phase=Phase.CALIBRATION)
    Cycle.objects.filter(pk=cycle.pk).update(template=template)
    cycle.refresh_from_db()
    return cycle, rows


def _rate(cycle, reviewee, reviewer, source, values, items, status=FormStatus.SUBMITTED):
    form = ReviewForm.objects.create(
        cycle=cycle, reviewee=reviewee, reviewer=reviewer, source=source, status=status
    )
    Rating.objects.bulk_create(
        [Rating(form=form, item=item, value=v) for item, v in zip(items, values, strict=True)]
    )
    return form


def _table_2_cycle(db_cycle_items):
    cycle, items = db_cycle_items
    judges = [EmployeeFactory(name=f"Judge {j + 1}") for j in range(4)]
    targets = [EmployeeFactory(name=f"Target {i + 1}") for i in range(6)]
    for target, row in zip(targets, TABLE_2, strict=True):
        for judge, value in zip(judges, row, strict=True):
            _rate(cycle, target, judge, "peer", [value], items)
    return cycle, judges, targets


def test_table_2_through_real_forms_gives_the_published_values(db):
    cycle, _judges, _targets = _table_2_cycle(_cycle(rating_max=10))
    data = analysis.cycle_reliability(cycle)
    assert data.ratings == 24
    peers = [row for row in data.icc_rows if row.matrix == analysis.AMONG_PEERS]
    assert [row.scope for row in peers] == ["item", "template"]
    for row in peers:  # one competency: the template's weighted mean is the rating
        assert (row.result.n_targets, row.result.n_judges, row.result.dropped_targets) == (6, 4, 0)
        assert {form: round(v, 2) for form, v in row.result.as_dict().items()} == PUBLISHED
    # No self or manager reviews: the by-source layout has nobody complete.
    by_source = next(row for row in data.icc_rows if row.matrix == analysis.BY_SOURCE)
    assert by_source.result.reason and by_source.reason


def test_by_source_uses_self_manager_and_the_mean_of_peers(db):
    cycle, items = _cycle(rating_max=10)
    manager = EmployeeFactory(name="Boss")
    peers = [EmployeeFactory(name=f"Peer {p}") for p in range(2)]
    people = [EmployeeFactory(name=f"Person {i}") for i in range(6)]
    for person, row in zip(people, TABLE_2, strict=True):
        _rate(cycle, person, person, "self", [row[0]], items)
        _rate(cycle, person, manager, "manager", [row[1]], items)
        _rate(cycle, person, peers[0], "peer", [row[2] - 1], items)
        _rate(cycle, person, peers[1], "peer", [row[2] + 1], items)  # mean row[2]
    lonely = EmployeeFactory(name="Only self-rated")
    _rate(cycle, lonely, lonely, "self", [5], items)
    data = analysis.cycle_reliability(cycle)
    row = next(r for r in data.items if r.matrix == analysis.BY_SOURCE)
    assert (row.result.n_targets, row.result.n_judges, row.result.dropped_targets) == (6, 3, 1)
    from perfcycle.evaluation.reliability import intraclass_correlation

    expected = intraclass_correlation([r[:3] for r in TABLE_2])
    assert row.result.as_dict() == pytest.approx(expected.as_dict())


def test_too_few_people_gives_the_reason_and_n_and_k(db):
    cycle, items = _cycle()
    reviewee = EmployeeFactory()
    for _ in range(3):
        _rate(cycle, reviewee, EmployeeFactory(), "peer", [3], items)
    _rate(cycle, EmployeeFactory(), EmployeeFactory(), "peer", [4], items, status=FormStatus.DRAFT)
    data = analysis.cycle_reliability(cycle)
    row = next(r for r in data.items if r.matrix == analysis.AMONG_PEERS)
    assert (row.result.n_targets, row.result.n_judges) == (1, 3)
    assert row.reason == "At least 2 people rated by every judge are needed."
    assert all(value is None for _form, value, _why in row.values)
    assert data.ratings == 3  # the draft does not count


def test_a_cycle_without_template_has_nothing_to_analyse(db):
    cycle = CycleFactory()
    data = analysis.cycle_reliability(cycle)
    assert data.template is None and data.icc_rows == [] and data.rater_rows == []


def test_rater_profiles_flag_the_lenient_rater_first_and_skip_self_reviews(db):
    cycle, items = _cycle(items=2)
    lenient = EmployeeFactory(name="Lenny Lenient")
    fair = [EmployeeFactory(name=f"Fair {i}") for i in range(2)]
    people = [EmployeeFactory(name=f"Person {i}") for i in range(4)]
    for i, person in enumerate(people):
        _rate(cycle, person, lenient, "peer", [5, 5], items)
        _rate(cycle, person, fair[0], "peer", [2 + i % 2, 3], items)
        _rate(cycle, person, fair[1], "peer", [3, 2 + i % 2], items)
        _rate(cycle, person, person, "self", [1, 1], items)
    data = analysis.cycle_reliability(cycle)
    names = [row.name for row in data.rater_rows]
    assert names[0] == "Lenny Lenient"
    assert data.rater_rows[0].flag_labels == ["lenient"]
    assert not any(name.startswith("Person") for name in names)
    assert data.raters.count == 24


def _reliability_queries(cycle) -> int:
    cycle = Cycle.objects.get(pk=cycle.pk)
    with CaptureQueriesContext(connection) as ctx:
        analysis.cycle_reliability(cycle)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow(db, django_assert_num_queries):
    cycle, items = _cycle(items=3)
    raters = [EmployeeFactory() for _ in range(3)]

    def add(n):
        for _ in range(n):
            person = EmployeeFactory()
            for rater in raters:
                _rate(cycle, person, rater, "peer", [3, 4, 2], items)

    add(2)
    small = _reliability_queries(cycle)
    add(20)
    fresh = Cycle.objects.get(pk=cycle.pk)
    with django_assert_num_queries(small):
        analysis.cycle_reliability(fresh)


def test_the_switch_is_audited_with_before_and_after(company):
    cycle = CycleFactory(phase=Phase.CALIBRATION)
    version = cycle.version
    analysis.normalisation_set(actor=company.hr, cycle=cycle, on=True)
    cycle.refresh_from_db()
    assert cycle.normalise_ratings and cycle.version == version + 1
    event = AuditEvent.objects.for_object(cycle).get()
    assert event.before == {"normalise_ratings": False}
    assert event.after == {"normalise_ratings": True}
    assert event.actor == company.hr
    analysis.normalisation_set(actor=company.hr, cycle=cycle, on=True)  # no change, no event
    assert AuditEvent.objects.for_object(cycle).count() == 1


def test_a_closed_cycle_cannot_be_switched(company):
    cycle = CycleFactory(phase=Phase.CLOSED)
    with pytest.raises(DomainError):
        analysis.normalisation_set(actor=company.hr, cycle=cycle, on=True)
    cycle.refresh_from_db()
    assert not cycle.normalise_ratings


def test_scores_before_and_after_come_from_the_scoring_service(company):
    cycle, items = _cycle()
    cycle.start_date = dt.date(2026, 1, 1)
    people = [company.direct, company.indirect, company.stranger]
    from perfcycle.cycles.models import CycleParticipant

    CycleParticipant.objects.bulk_create(
        [CycleParticipant(cycle=cycle, employee=e, department_id=e.department_id) for e in people]
    )
    harsh, kind = company.top, company.hr_person
    for i, person in enumerate(people):
        _rate(cycle, person, harsh, "manager", [1 + i], items)
        _rate(cycle, person, kind, "peer", [3 + i], items)
    rows = analysis.scores_before_after(cycle)
    assert rows is not None
    assert [r.name for r in rows] == sorted(p.name for p in people)
    assert all(r.raw_score is not None for r in rows)

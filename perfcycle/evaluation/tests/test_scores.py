"""The scoring service: a worked example by hand, anonymity, overrides, normalisation,
stored results, and a constant number of queries."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perfcycle.audit.models import AuditEvent
from perfcycle.core import bulk
from perfcycle.core.errors import DomainError, Forbidden, ValidationFailed
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import grade_scale_default, review_template_create
from perfcycle.evaluation.models import (
    FormStatus,
    Rating,
    ReviewForm,
    ScoreResult,
    TemplateCompetency,
)
from perfcycle.evaluation.results import (
    goal_score_override_clear,
    goal_score_override_set,
    scores_store,
)
from perfcycle.evaluation.scores import cycle_scores, person_score
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory, EmployeeFactory, GoalFactory


@pytest.fixture
def world(company):
    template = review_template_create(
        actor=company.hr,
        name="Scores",
        goals_weight=70,
        competencies_weight=30,
        self_weight=10,
        manager_weight=60,
        peer_weight=20,
        report_weight=10,
        anonymity_min=3,
    )
    comm = TemplateCompetency.objects.create(
        template=template,
        competency=Competency.objects.create(code="COMM", name="Communication"),
        weight=D(60),
    )
    team = TemplateCompetency.objects.create(
        template=template,
        competency=Competency.objects.create(code="TEAM", name="Teamwork"),
        weight=D(40),
    )
    peers = [EmployeeFactory(name=f"Peer {n}") for n in range(4)]
    cycle = CycleFactory(
        phase=Phase.MANAGER_REVIEW, participants=[company.direct, company.indirect, *peers]
    )
    Cycle.objects.filter(pk=cycle.pk).update(
        template=template, grade_scale=grade_scale_default(actor=company.hr)
    )
    cycle.refresh_from_db()
    g1 = GoalFactory(cycle=cycle, employee=company.direct, weight=60, target=100)
    g2 = GoalFactory(cycle=cycle, employee=company.direct, weight=40, target=20)
    type(g1).objects.filter(pk=g1.pk).update(current_value=D(110))
    type(g2).objects.filter(pk=g2.pk).update(current_value=D(15))
    return {"cycle": cycle, "comm": comm, "team": team, "peers": peers, "goals": (g1, g2)}


def review(cycle, reviewee, reviewer, source, ratings, status=FormStatus.SUBMITTED):
    form = ReviewForm.objects.create(
        cycle=cycle, reviewee=reviewee, reviewer=reviewer, source=source, status=status
    )
    Rating.objects.bulk_create(
        [Rating(form=form, item=item, value=value) for item, value in ratings.items()]
    )
    return form


def rate_everyone(company, w, peers=3):
    cycle, comm, team = w["cycle"], w["comm"], w["team"]
    review(cycle, company.direct, company.manager, "manager", {comm: 4, team: 3})
    review(cycle, company.direct, company.direct, "self", {comm: 5, team: 5})
    for peer, (c, t) in zip(w["peers"][:peers], [(4, 2), (3, 3), (5, 4)], strict=False):
        review(cycle, company.direct, peer, "peer", {comm: c, team: t})


def test_worked_example_by_hand(company, world):
    rate_everyone(company, world)
    s = person_score(world["cycle"], company.direct)
    # Goals: linear; 110 of 100 → 110 points, 15 of 20 → 75; (60·110 + 40·75) ÷ 100.
    assert [g.points for g in s.goals] == [D("110.00"), D("75.00")]
    assert s.goals_score == D("96.00")
    sources = {line.source: line for line in s.sources}
    # Manager (60·4 + 40·3) ÷ 100; self 5; peers mean 4 and 3 → 3.60.
    assert sources["manager"].score == D("3.60")
    assert sources["self"].score == D("5.00")
    assert sources["peer"].score == D("3.60") and sources["peer"].submitted == 3
    # No direct reports: their 10 % is shared out; (60·3.6 + 20·3.6 + 10·5) ÷ 90 = 3.76.
    assert sources["report"].effective_weight == 0
    assert sources["manager"].effective_weight == D("66.67")
    assert s.competencies_rating == D("3.76")
    assert s.competencies_score == D("75.20")  # 3.76 ÷ 5 × 100
    assert s.overall_score == D("89.76")  # (70·96 + 30·75.2) ÷ 100
    assert s.grade == "A"
    assert s.complete
    comm = next(c for c in s.competencies if c.name == "Communication")
    assert comm.by_source["peer"].mean == D("4.00") and comm.by_source["peer"].count == 3
    # The stored form of the breakdown is plain JSON, numbers as strings.
    data = s.as_dict()
    assert data["overall_score"] == "89.76" and data["goals"][0]["contribution"] == "66.00"


def test_peers_below_the_minimum_are_withheld_from_the_score(company, world):
    rate_everyone(company, world, peers=2)
    s = person_score(world["cycle"], company.direct)
    peer = next(line for line in s.sources if line.source == "peer")
    assert peer.withheld and peer.score is None and peer.effective_weight == 0
    assert all("peer" not in c.by_source for c in s.competencies)
    # (60·3.6 + 10·5) ÷ 70 = 3.80 → 76.00
    assert s.competencies_rating == D("3.80") and s.competencies_score == D("76.00")
    assert not s.complete
    assert any("Peer ratings are withheld" in m for m in s.missing)


def test_drafts_do_not_count(company, world):
    cycle, comm, team = world["cycle"], world["comm"], world["team"]
    review(cycle, company.direct, company.manager, "manager", {comm: 1, team: 1}, FormStatus.DRAFT)
    s = person_score(cycle, company.direct)
    assert s.competencies_score is None
    assert s.overall_score == D("96.00")  # goals alone
    assert "The manager's review has not been submitted." in s.missing


def test_missing_actual_is_named_and_left_out(company, world):
    _g1, g2 = world["goals"]
    type(g2).objects.filter(pk=g2.pk).update(current_value=None)
    s = person_score(world["cycle"], company.direct)
    assert s.goals[1].points is None
    assert s.goals_score == D("110.00")
    assert any(g2.title in m for m in s.missing)


def test_an_override_needs_a_reason_and_is_audited(company, world):
    rate_everyone(company, world)
    _g1, g2 = world["goals"]
    manager = company.user("manager")
    with pytest.raises(ValidationFailed):
        goal_score_override_set(actor=manager, goal=g2, points=90, reason=" ")
    with pytest.raises(ValidationFailed):
        goal_score_override_set(actor=manager, goal=g2, points=500, reason="Exceptional work")
    with pytest.raises(Forbidden):
        goal_score_override_set(
            actor=company.user("direct"), goal=g2, points=90, reason="I deserve more points"
        )
    goal_score_override_set(
        actor=manager, goal=g2, points=90, reason="Lost two months to the ERP migration"
    )
    s = person_score(world["cycle"], company.direct)
    line = s.goals[1]
    assert line.rule_points == D("75.00") and line.points == D("90.00") and line.overridden
    assert s.goals_score == D("102.00")  # (60·110 + 40·90) ÷ 100
    event = AuditEvent.objects.filter(object_type="evaluation.goalscoreoverride").latest("at")
    assert event.reason == "Lost two months to the ERP migration"
    assert event.after["points"] == "90.00"
    goal_score_override_clear(actor=manager, goal=g2, reason="Back to the rule after review")
    assert person_score(world["cycle"], company.direct).goals_score == D("96.00")


def test_overrides_only_while_reviewing(company, world):
    _g1, g2 = world["goals"]
    Cycle.objects.filter(pk=world["cycle"].pk).update(phase=Phase.IN_PROGRESS)
    g2.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        goal_score_override_set(
            actor=company.user("manager"), goal=g2, points=90, reason="Too early for this"
        )
    assert exc.value.code == "wrong_phase"


def test_milestone_okr_and_qualitative_goals(company, world):
    cycle = world["cycle"]
    late = GoalFactory(
        cycle=cycle,
        employee=company.indirect,
        kind="milestone",
        target=None,
        weight=50,
        due_date=dt.date(2026, 2, 1),
    )
    type(late).objects.filter(pk=late.pk).update(done_at=timezone.now())
    qualitative = GoalFactory(
        cycle=cycle, employee=company.indirect, kind="qualitative", target=None, weight=50
    )
    s = person_score(cycle, company.indirect)
    assert s.goals[0].points == D("0.00")  # done after the due date → the floor
    assert s.goals[1].points is None
    assert any(qualitative.title in m for m in s.missing)


def test_normalisation_evens_out_a_lenient_rater(company, world):
    cycle, comm, team = world["cycle"], world["comm"], world["team"]
    people = [company.direct, company.indirect, *world["peers"][:2]]
    lenient, harsh = world["peers"][2], world["peers"][3]
    for person, (a, b) in zip(people, [(5, 5), (5, 4), (4, 4), (4, 5)], strict=True):
        review(cycle, person, lenient, "manager", {comm: a, team: b})
    for person, (a, b) in zip(people, [(2, 1), (1, 1), (2, 2), (1, 2)], strict=True):
        review(cycle, person, harsh, "peer", {comm: a, team: b})
    raw = cycle_scores(cycle, normalise=False)
    fair = cycle_scores(cycle, normalise=True)
    assert raw[company.direct.pk].competencies_rating == D("5.00")
    assert fair[company.direct.pk].normalised
    assert fair[company.direct.pk].competencies_rating < D("5.00")
    # The lenient rater's ordering is kept: direct (5, 5) still above the one rated (4, 4).
    ordered = fair[company.direct.pk].competencies_rating
    assert ordered > fair[world["peers"][0].pk].competencies_rating


def test_queries_do_not_grow_with_the_cycle(company, world):
    cycle = world["cycle"]
    rate_everyone(company, world)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            cycle_scores(cycle)
        return len(ctx.captured_queries)

    cycle.template  # noqa: B018 - loaded once, as pages do with select_related
    small_cold = count()  # works out the goals' points and keeps them
    small = count()  # reads them back
    assert small < small_cold
    more = [EmployeeFactory(manager=company.manager) for _ in range(8)]
    from perfcycle.cycles.models import CycleParticipant

    CycleParticipant.objects.bulk_create(
        [CycleParticipant(cycle=cycle, employee=e, manager=company.manager) for e in more]
    )
    for e in more:
        GoalFactory(cycle=cycle, employee=e, weight=100, target=10)
        review(cycle, e, company.manager, "manager", {world["comm"]: 3, world["team"]: 4})
    assert count() == small_cold  # cold again for the new goals
    assert count() == small


def test_stored_results_are_audited_and_idempotent(company, world, monkeypatch):
    rate_everyone(company, world)
    cycle = world["cycle"]
    with pytest.raises(Forbidden):
        scores_store(actor=company.user("manager"), cycle=cycle)
    monkeypatch.setattr(bulk, "ANALYZE_ROWS", 6)  # six people: a "large" write here
    with CaptureQueriesContext(connection) as queries:
        report = scores_store(actor=company.hr, cycle=cycle)
    assert report.created == 6 and report.updated == 0
    analyze = f"ANALYZE {connection.ops.quote_name(ScoreResult._meta.db_table)}"
    assert [q["sql"] for q in queries.captured_queries].count(analyze) == 1
    trail = f"ANALYZE {connection.ops.quote_name(AuditEvent._meta.db_table)}"
    assert trail in [q["sql"] for q in queries.captured_queries]  # its events, a chunk at a time
    row = ScoreResult.objects.get(cycle=cycle, employee=company.direct)
    assert row.overall_score == D("89.76") and row.grade == "A" and row.complete
    assert row.breakdown["goals_score"] == "96.00"
    again = scores_store(actor=company.hr, cycle=cycle)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    Rating.objects.filter(form__source="manager", item=world["comm"]).update(value=5)
    third = scores_store(actor=company.hr, cycle=cycle)
    assert third.updated == 1
    event = AuditEvent.objects.filter(
        object_type="evaluation.scoreresult", object_id=str(row.pk), action="update"
    ).get()
    assert event.before["overall_score"] == "89.76"
    assert D(event.after["overall_score"]) > D("89.76")


def test_a_person_outside_the_cycle(company, world):
    with pytest.raises(DomainError) as exc:
        person_score(world["cycle"], company.stranger)
    assert exc.value.code == "not_a_participant"


def test_the_arithmetic_is_written_out(company, world):
    rate_everyone(company, world)
    s = person_score(world["cycle"], company.direct)
    assert s.goals_formula() == "(60 × 110 + 40 × 75) ÷ 100 = 96"
    assert s.source_formula("manager") == "(60 × 4 + 40 × 3) ÷ 100 = 3.6"
    assert s.competencies_formula() == "(60 × 3.6 + 20 × 3.6 + 10 × 5) ÷ 90 = 3.76"
    assert s.competencies_points_formula() == "3.76 ÷ 5 × 100 = 75.2"
    assert s.overall_formula() == "(70 × 96 + 30 × 75.2) ÷ 100 = 89.76"


def test_each_line_is_written_out_as_the_generic_conversion_would(company, world):
    """The breakdown's lines are converted field by field from their annotations; the
    result is what converting every value generically (``_json``) gives."""
    from dataclasses import fields

    from perfcycle.evaluation.scores import _json, _line

    rate_everyone(company, world)
    cycle = world["cycle"]
    GoalFactory(cycle=cycle, employee=company.indirect, kind="qualitative", target=None)
    lines = [
        line
        for score in cycle_scores(cycle).values()
        for line in (*score.goals, *score.sources, *score.competencies)
    ]
    assert {type(line).__name__ for line in lines} == {"GoalLine", "SourceLine", "CompetencyLine"}
    for line in lines:
        generic = {f.name: _json(getattr(line, f.name)) for f in fields(line)}
        assert _line(line) == generic
        assert list(_line(line)) == list(generic)  # the same keys, in the same order


@pytest.mark.django_db(transaction=True)
def test_a_whole_cycle_read_beside_scores_exactly_as_read_on_one_connection(
    company, world, monkeypatch
):
    # Outside a transaction a whole cycle's ratings are read on a second thread while
    # the goals and people are read here; the scores are those of one connection (each
    # peer's rating from their manager: 60 % communication 1 + n, 40 % teamwork 5 − n).
    cycle, comm, team = world["cycle"], world["comm"], world["team"]
    rate_everyone(company, world)
    for n, peer in enumerate(world["peers"]):
        review(cycle, peer, company.manager, "manager", {comm: 1 + n, team: 5 - n})
    started: list[str] = []
    thread = threading.Thread

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(kwargs.get("name", ""))
        return thread(*args, **kwargs)

    monkeypatch.setattr("perfcycle.core.beside.threading.Thread", spy)
    beside = {pk: score.as_dict() for pk, score in cycle_scores(cycle).items()}
    assert started == ["perfcycle-beside"]
    with transaction.atomic():
        here = {pk: score.as_dict() for pk, score in cycle_scores(cycle).items()}
    assert started == ["perfcycle-beside"]
    assert beside == here and len(here) == 6
    assert {here[p.pk]["competencies_rating"] for p in world["peers"]} == {
        "2.60",
        "2.80",
        "3.00",
        "3.20",
    }

"""Reviewer assignment: automatic generation for a whole cycle (right forms, peer rules,
load cap, determinism, idempotency, fixed query count), manual edits, and peer
nomination with the manager's approval."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import DomainError, ValidationFailed
from perfcycle.cycles.services import review_template_create
from perfcycle.evaluation.assignment import (
    assignment_generate,
    peers_approve,
    peers_decline,
    peers_nominate,
    review_form_add,
    review_form_remove,
)
from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource
from perfcycle.evaluation.templates import template_competency_add
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory, DepartmentFactory, EmployeeFactory, UserFactory

PEER = ReviewSource.PEER


def _complete(template):
    """A template is usable only once complete: give it competencies weighing 100 %."""
    for code, weight in (("COMM", 60), ("OWN", 40)):
        competency, _created = Competency.objects.get_or_create(code=code, name=code.title())
        template_competency_add(actor=None, template=template, competency=competency, weight=weight)
    return template


@pytest.fixture
def template(db):
    return _complete(review_template_create(actor=None, name="Standard 360"))


def _team(company, size: int, *, name: str = "Team"):
    """A lead under the manager and ``size`` members under the lead, in their own department."""
    department = DepartmentFactory(name=name, parent=company.root)
    lead = EmployeeFactory(name=f"{name} lead", manager=company.manager, department=department)
    members = [
        EmployeeFactory(name=f"{name} member {i}", manager=lead, department=department)
        for i in range(size)
    ]
    return lead, members


def _everyone(company):
    return [
        company.top,
        company.hr_person,
        company.manager,
        company.direct,
        company.indirect,
        company.stranger,
    ]


def _triples(cycle) -> set[tuple[int, int, str]]:
    return set(
        ReviewForm.objects.filter(cycle=cycle).values_list("reviewee_id", "reviewer_id", "source")
    )


def _peer_load(cycle) -> Counter:
    return Counter(
        ReviewForm.objects.filter(cycle=cycle, source=PEER).values_list("reviewer_id", flat=True)
    )


def test_generation_creates_self_manager_skip_upward_and_peer_forms(company, template):
    cycle = CycleFactory(template=template, participants=_everyone(company))
    report = assignment_generate(actor=company.hr, cycle=cycle, include_skip_level=True)
    c = company
    forms = _triples(cycle)
    for person in _everyone(c):
        assert (person.pk, person.pk, "self") in forms
    assert (c.direct.pk, c.manager.pk, "manager") in forms
    assert (c.indirect.pk, c.direct.pk, "manager") in forms
    assert (c.direct.pk, c.top.pk, "skip") in forms
    assert (c.indirect.pk, c.manager.pk, "skip") in forms
    # Upward: direct reports who take part review their manager.
    assert (c.manager.pk, c.direct.pk, "report") in forms
    assert (c.top.pk, c.stranger.pk, "report") in forms
    # Peers: same manager first, then same department; never a report or a manager.
    peers = {(e, r) for e, r, s in forms if s == PEER}
    assert peers >= {(c.manager.pk, c.hr_person.pk), (c.manager.pk, c.stranger.pk)}
    assert (c.manager.pk, c.indirect.pk) in peers  # same department, not her report
    assert (c.manager.pk, c.direct.pk) not in peers  # her report reviews upward instead
    assert report.created == {"self": 6, "manager": 5, "skip": 2, "report": 5, "peer": 7}
    assert report.short_of_peers == {
        c.top.pk: 0,
        c.hr_person.pk: 2,
        c.direct.pk: 0,
        c.indirect.pk: 0,
        c.stranger.pk: 2,
    }
    assert ReviewForm.objects.filter(cycle=cycle).exclude(status=FormStatus.OPEN).count() == 0


def test_no_upward_forms_when_the_template_does_not_weigh_reports(company):
    template = _complete(
        review_template_create(actor=None, name="No upward", report_weight=0, manager_weight=70)
    )
    cycle = CycleFactory(template=template, participants=_everyone(company))
    report = assignment_generate(actor=None, cycle=cycle)
    assert "report" not in report.created
    assert "skip" not in report.created  # skip-level is off unless asked for


def test_peers_never_self_or_manager_and_load_capped(company, template):
    lead, members = _team(company, 8)
    cycle = CycleFactory(template=template, participants=[lead, *members])
    report = assignment_generate(actor=None, cycle=cycle, peers_per_person=3)
    peers = ReviewForm.objects.filter(cycle=cycle, source=PEER)
    assert peers.count() == 8 * 3
    manager_of = {m.pk: lead.pk for m in members}
    for reviewee, reviewer in peers.values_list("reviewee_id", "reviewer_id"):
        assert reviewee != reviewer
        assert reviewer != manager_of.get(reviewee)
    assert max(_peer_load(cycle).values()) <= 5
    load = _peer_load(cycle).values()
    assert len(load) == 8 and max(load) - min(load) <= 2  # spread over the whole team
    assert report.short_of_peers == {lead.pk: 0}  # the lead has no peers in the cycle


def test_a_tight_cap_leaves_people_short_and_reports_them(company, template):
    lead, members = _team(company, 6)
    cycle = CycleFactory(template=template, participants=[lead, *members])
    report = assignment_generate(actor=None, cycle=cycle, max_forms_per_reviewer=2)
    load = _peer_load(cycle)
    assert max(load.values()) <= 2
    assert sum(load.values()) == 12  # six reviewers, two forms each
    short = {k: v for k, v in report.short_of_peers.items() if k != lead.pk}
    assert short  # 18 peer forms were wanted, only 12 fit
    got = Counter(
        ReviewForm.objects.filter(cycle=cycle, source=PEER).values_list("reviewee_id", flat=True)
    )
    for person, count in short.items():
        assert got[person] == count < 3


def test_same_input_gives_the_same_assignment(company, template):
    lead, members = _team(company, 7)
    other_lead, others = _team(company, 2, name="Small")
    people = [lead, *members, other_lead, *others]
    first = CycleFactory(template=template, participants=people)
    second = CycleFactory(template=template, participants=people)
    assignment_generate(actor=None, cycle=first, max_forms_per_reviewer=3)
    assignment_generate(actor=None, cycle=second, max_forms_per_reviewer=3)
    assert _triples(first) == _triples(second)


def test_a_second_run_creates_nothing_and_keeps_submitted_forms(company, template):
    lead, members = _team(company, 5)
    cycle = CycleFactory(template=template, participants=[lead, *members])
    first = assignment_generate(actor=None, cycle=cycle)
    before = _triples(cycle)
    again = assignment_generate(actor=None, cycle=cycle)
    assert again.total_created == 0
    assert again.existing == first.total_created == len(before)
    assert _triples(cycle) == before

    submitted = ReviewForm.objects.filter(cycle=cycle, source=PEER).first()
    ReviewForm.objects.filter(pk=submitted.pk).update(
        status=FormStatus.SUBMITTED, summary="Great teammate"
    )
    submitted.refresh_from_db()
    gone = ReviewForm.objects.filter(cycle=cycle, source="self").first()
    gone.delete()
    third = assignment_generate(actor=None, cycle=cycle)
    assert third.created == {"self": 1}  # only the missing form comes back
    after = ReviewForm.objects.get(pk=submitted.pk)
    assert (after.status, after.summary, after.version, after.updated_at) == (
        FormStatus.SUBMITTED,
        "Great teammate",
        submitted.version,
        submitted.updated_at,
    )


def test_existing_peer_forms_count_towards_the_wanted_peers(company, template):
    lead, members = _team(company, 5)
    cycle = CycleFactory(template=template, participants=[lead, *members])
    a, b, c, *_rest = members
    review_form_add(actor=None, cycle=cycle, reviewee=a, reviewer=b, source=PEER)
    review_form_add(actor=None, cycle=cycle, reviewee=a, reviewer=c, source=PEER)
    assignment_generate(actor=None, cycle=cycle, peers_per_person=3)
    reviewers = set(
        ReviewForm.objects.filter(cycle=cycle, reviewee=a, source=PEER).values_list(
            "reviewer_id", flat=True
        )
    )
    assert len(reviewers) == 3
    assert {b.pk, c.pk} <= reviewers


def test_generation_is_audited_as_one_summary_event(company, template):
    cycle = CycleFactory(template=template, participants=_everyone(company))
    report = assignment_generate(actor=company.hr, cycle=cycle)
    summary = AuditEvent.objects.for_object(cycle).get(reason="Reviewers assigned automatically.")
    assert summary.actor == company.hr and summary.action == "update"
    assert summary.before == {"review_forms": {"total": 0, "by_source": {}}}
    assert summary.after["review_forms"] == {"total": 23, "by_source": report.created}
    assert summary.after["review_assignment"]["created"] == report.created
    assert summary.after["review_assignment"]["total_created"] == report.total_created == 23
    assert summary.after["settings"]["peers_per_person"] == 3
    # No event per generated form: the summary names the time they all carry instead.
    assert not AuditEvent.objects.filter(object_type="evaluation.reviewform").exists()
    made_at = dt.datetime.fromisoformat(summary.after["forms_created_at"])
    made = ReviewForm.objects.filter(cycle=cycle, created_at=made_at)
    assert made.count() == report.total_created == ReviewForm.objects.filter(cycle=cycle).count()


def test_generated_forms_are_like_forms_made_one_by_one(company, template):
    cycle = CycleFactory(template=template, participants=_everyone(company))
    assignment_generate(actor=company.hr, cycle=cycle)
    form = ReviewForm.objects.get(cycle=cycle, reviewee=company.direct, source="manager")
    assert (form.reviewer, form.status, form.version) == (company.manager, FormStatus.OPEN, 1)
    assert (form.nominated_by, form.submitted_at, form.summary) == (None, None, "")
    assert form.created_at == form.updated_at and form.created_at.tzinfo is not None
    # The database numbered them: a form added by hand afterwards takes the next id.
    added = review_form_add(
        actor=None, cycle=cycle, reviewee=company.direct, reviewer=company.stranger, source=PEER
    )
    assert added.pk > max(ReviewForm.objects.exclude(pk=added.pk).values_list("pk", flat=True))


def test_a_rerun_is_idempotent_and_audited_with_before_and_after(company, template):
    c = company
    cycle = CycleFactory(template=template, participants=_everyone(c))
    first = assignment_generate(actor=c.hr, cycle=cycle)
    forms = set(ReviewForm.objects.filter(cycle=cycle).values_list("pk", "version", "updated_at"))
    # A reviewer added by hand and one taken off by hand stay as HR left them.
    added = review_form_add(
        actor=c.hr, cycle=cycle, reviewee=c.indirect, reviewer=c.stranger, source="skip"
    )
    removed = ReviewForm.objects.get(cycle=cycle, reviewee=c.direct, source="manager")
    review_form_remove(actor=c.hr, form=removed)
    again = assignment_generate(actor=c.hr, cycle=cycle)
    assert again.created == {"manager": 1}  # only what is missing, the removed form included
    assert again.existing == first.total_created
    assert ReviewForm.objects.filter(pk=added.pk).exists()
    kept = set(ReviewForm.objects.filter(cycle=cycle).values_list("pk", "version", "updated_at"))
    assert forms - {(removed.pk, removed.version, removed.updated_at)} <= kept
    assert again.total_created == 1 and assignment_generate(actor=None, cycle=cycle).created == {}
    events = list(
        AuditEvent.objects.for_object(cycle)
        .filter(reason="Reviewers assigned automatically.")
        .order_by("pk")
    )
    assert len(events) == 3
    by_source = dict(first.created, skip=1)
    assert events[1].before["review_forms"] == {
        "total": 23,
        "by_source": dict(by_source, manager=by_source["manager"] - 1),
    }
    assert events[1].after["review_forms"] == {"total": 24, "by_source": by_source}
    assert events[2].before["review_forms"] == events[2].after["review_forms"]
    # The hand edits keep their own event per form.
    per_form = AuditEvent.objects.filter(object_type="evaluation.reviewform")
    assert sorted(per_form.values_list("object_id", "action")) == sorted(
        [(str(added.pk), "create"), (str(removed.pk), "delete")]
    )


def _captured(company, template, size: int) -> tuple[list[str], int]:
    lead, members = _team(company, size, name=f"Team of {size}")
    cycle = CycleFactory(template=template, participants=[lead, *members])
    cycle.refresh_from_db()
    with CaptureQueriesContext(connection) as ctx:
        assignment_generate(actor=None, cycle=cycle, include_skip_level=True)
    sql = [q["sql"] for q in ctx.captured_queries]
    return sql, ReviewForm.objects.filter(cycle=cycle).count()


def test_generation_issues_the_same_queries_for_10_or_200_people(company, template):
    small, small_forms = _captured(company, template, 10)
    big, big_forms = _captured(company, template, 200)
    assert big_forms > 15 * small_forms
    assert len(big) == len(small)
    # All the forms in one bulk statement (COPY / executemany), one INSERT for the event.
    bulk = [q for q in big if " rows: " in q]
    assert len(bulk) == 1 and bulk[0].startswith(f"{big_forms} rows: ")
    inserts = [q for q in big if q.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "audit" in inserts[0]


def test_generation_needs_a_template_and_an_open_review(company, template):
    with pytest.raises(DomainError) as err:
        assignment_generate(actor=None, cycle=CycleFactory(participants=[company.direct]))
    assert err.value.code == "cycle_incomplete"
    closed = CycleFactory(template=template, phase="calibration", participants=[company.direct])
    with pytest.raises(DomainError) as err:
        assignment_generate(actor=None, cycle=closed)
    assert err.value.code == "cycle_locked"


def test_an_incomplete_template_refuses_generation_and_manual_forms(company):
    bare = review_template_create(actor=None, name="Bare")
    cycle = CycleFactory(
        template=bare, phase="draft", participants=[company.manager, company.direct]
    )
    with pytest.raises(ValidationFailed) as err:
        assignment_generate(actor=None, cycle=cycle)
    assert err.value.code == "template_incomplete"
    with pytest.raises(ValidationFailed) as err:
        review_form_add(
            actor=None,
            cycle=cycle,
            reviewee=company.direct,
            reviewer=company.manager,
            source="manager",
        )
    assert err.value.code == "template_incomplete"
    assert not ReviewForm.objects.filter(cycle=cycle).exists()
    _complete(bare)
    assert assignment_generate(actor=None, cycle=cycle).total_created > 0


# Manual edits ---------------------------------------------------------------------------


def test_manual_add_checks_duplicates_self_peer_and_participation(company, template):
    c = company
    cycle = CycleFactory(template=template, participants=[c.manager, c.direct, c.indirect])
    form = review_form_add(
        actor=c.hr, cycle=cycle, reviewee=c.direct, reviewer=c.indirect, source=PEER
    )
    assert form.status == FormStatus.OPEN
    assert AuditEvent.objects.filter(object_id=str(form.pk), action="create").exists()
    cases = [
        (c.direct, c.indirect, "duplicate"),
        (c.direct, c.direct, "self_peer"),
        (c.direct, c.manager, "manager_peer"),
        (c.stranger, c.direct, "not_participant"),
        (c.direct, c.stranger, "not_participant"),
    ]
    for reviewee, reviewer, code in cases:
        with pytest.raises(ValidationFailed) as err:
            review_form_add(
                actor=None, cycle=cycle, reviewee=reviewee, reviewer=reviewer, source=PEER
            )
        assert err.value.code == code, (reviewee, reviewer)
    with pytest.raises(ValidationFailed):
        review_form_add(
            actor=None, cycle=cycle, reviewee=c.direct, reviewer=c.indirect, source="self"
        )
    with pytest.raises(ValidationFailed):
        review_form_add(
            actor=None, cycle=cycle, reviewee=c.direct, reviewer=c.direct, source="manager"
        )
    with pytest.raises(ValidationFailed):
        review_form_add(
            actor=None, cycle=cycle, reviewee=c.direct, reviewer=c.indirect, source="boss"
        )


def test_remove_a_form_but_not_once_submitted(company, template):
    c = company
    cycle = CycleFactory(template=template, participants=[c.manager, c.direct, c.indirect])
    open_form = review_form_add(
        actor=None, cycle=cycle, reviewee=c.direct, reviewer=c.indirect, source=PEER
    )
    done = review_form_add(
        actor=None, cycle=cycle, reviewee=c.direct, reviewer=c.manager, source="manager"
    )
    ReviewForm.objects.filter(pk=done.pk).update(status=FormStatus.SUBMITTED)
    with pytest.raises(DomainError) as err:
        review_form_remove(actor=c.hr, form=done)
    assert err.value.code == "form_submitted"
    review_form_remove(actor=c.hr, form=open_form)
    assert list(ReviewForm.objects.filter(cycle=cycle)) == [done]
    event = AuditEvent.objects.get(object_id=str(open_form.pk), action="delete")
    assert event.before["reviewer"] == c.indirect.pk


# Peer nomination ------------------------------------------------------------------------


def test_nomination_within_bounds_then_approval_and_decline(company, template):
    lead, members = _team(company, 7)
    me, a, b, c, d, e, f = members
    cycle = CycleFactory(template=template, participants=[lead, *members])
    with pytest.raises(ValidationFailed) as err:
        peers_nominate(actor=None, cycle=cycle, reviewee=me, reviewers=[a, b])
    assert err.value.code == "too_few_peers"
    with pytest.raises(ValidationFailed) as err:
        peers_nominate(actor=None, cycle=cycle, reviewee=me, reviewers=[a, b, c, d, e, f])
    assert err.value.code == "too_many_peers"
    with pytest.raises(ValidationFailed) as err:
        peers_nominate(actor=None, cycle=cycle, reviewee=me, reviewers=[a, b, me])
    assert err.value.code == "self_peer"
    with pytest.raises(ValidationFailed) as err:
        peers_nominate(actor=None, cycle=cycle, reviewee=me, reviewers=[a, b, lead])
    assert err.value.code == "manager_peer"
    with pytest.raises(ValidationFailed) as err:
        peers_nominate(actor=None, cycle=cycle, reviewee=me, reviewers=[a, b, company.stranger])
    assert err.value.code == "not_participant"
    with pytest.raises(ValidationFailed) as err:
        peers_nominate(actor=None, cycle=cycle, reviewee=me, reviewers=[a, a, b])
    assert err.value.code == "duplicate"

    forms = peers_nominate(actor=None, cycle=cycle, reviewee=me, reviewers=[a, b, c])
    assert [f.status for f in forms] == [FormStatus.NOMINATED] * 3
    assert ReviewForm.objects.filter(cycle=cycle).active().count() == 0
    # Three pending plus three more would pass the maximum of five.
    with pytest.raises(ValidationFailed) as err:
        peers_nominate(actor=None, cycle=cycle, reviewee=me, reviewers=[d, e, f])
    assert err.value.code == "too_many_peers"

    approved = peers_approve(actor=company.user("manager"), form=forms[0])
    assert approved.status == FormStatus.OPEN
    with pytest.raises(ValidationFailed):
        peers_decline(actor=None, form=forms[1], reason="  ")
    declined = peers_decline(actor=None, form=forms[1], reason="Works on another product")
    assert declined.status == FormStatus.DECLINED
    for form in (approved, declined):
        with pytest.raises(DomainError) as err:
            peers_approve(actor=None, form=form)
        assert err.value.code == "not_nominated"
    # A declined peer frees a place but cannot be nominated again.
    with pytest.raises(ValidationFailed) as err:
        peers_nominate(actor=None, cycle=cycle, reviewee=me, reviewers=[b])
    assert err.value.code == "duplicate"
    more = peers_nominate(actor=None, cycle=cycle, reviewee=me, reviewers=[d, e, f])
    assert len(more) == 3
    statuses = Counter(
        ReviewForm.objects.filter(cycle=cycle, reviewee=me).values_list("status", flat=True)
    )
    assert statuses == {"nominated": 4, "open": 1, "declined": 1}
    decline_event = AuditEvent.objects.get(object_id=str(declined.pk), action="update")
    assert decline_event.after == {"status": "declined"}
    assert decline_event.reason == "Works on another product"


def test_nomination_records_who_nominated(company, template):
    c = company
    cycle = CycleFactory(
        template=template, participants=[c.top, c.hr_person, c.manager, c.stranger, c.direct]
    )
    forms = peers_nominate(
        actor=c.user("manager"),
        cycle=cycle,
        reviewee=c.manager,
        reviewers=[c.hr_person, c.stranger, c.direct],
    )
    assert {f.nominated_by for f in forms} == {c.user("manager")}


def test_approval_respects_the_maximum_of_active_peers(company, template):
    lead, members = _team(company, 7)
    me, *others = members
    cycle = CycleFactory(template=template, participants=[lead, *members])
    nominated = peers_nominate(actor=None, cycle=cycle, reviewee=me, reviewers=others[:3])
    for reviewer in others[3:6]:
        review_form_add(actor=None, cycle=cycle, reviewee=me, reviewer=reviewer, source=PEER)
    peers_approve(actor=None, form=nominated[0])
    peers_approve(actor=None, form=nominated[1])
    with pytest.raises(DomainError) as err:
        peers_approve(actor=None, form=nominated[2])
    assert err.value.code == "too_many_peers"


def test_skip_level_comes_from_the_snapshot_or_the_managers_manager(company, template):
    c = company
    cycle = CycleFactory(template=template, participants=[c.direct, c.indirect])
    report = assignment_generate(actor=None, cycle=cycle, include_skip_level=True)
    skips = {(e, r) for e, r, s in _triples(cycle) if s == "skip"}
    # Direct's manager does not take part: her manager now is the skip level.
    assert skips == {(c.direct.pk, c.top.pk), (c.indirect.pk, c.manager.pk)}
    assert report.created["manager"] == 2
    with pytest.raises(ValidationFailed):
        assignment_generate(actor=None, cycle=cycle, max_forms_per_reviewer=0)


def test_nominating_a_peer_hr_already_asked_reveals_nothing(company, template):
    lead, members = _team(company, 5)
    me, a, b, _c, hidden = members
    cycle = CycleFactory(template=template, participants=[lead, *members])
    assigned = review_form_add(actor=None, cycle=cycle, reviewee=me, reviewer=hidden, source=PEER)
    employee_user = UserFactory()
    forms = peers_nominate(actor=employee_user, cycle=cycle, reviewee=me, reviewers=[a, b, hidden])
    # No "already asked" error naming them: the colleague joins the nomination as they are.
    assert {f.reviewer_id for f in forms} == {a.pk, b.pk, hidden.pk}
    assigned.refresh_from_db()
    assert assigned.status == FormStatus.OPEN and assigned.nominated_by == employee_user
    assert ReviewForm.objects.filter(cycle=cycle, reviewee=me, source=PEER).count() == 3

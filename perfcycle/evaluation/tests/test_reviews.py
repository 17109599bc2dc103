"""Filling in review forms: the reviewer alone, in phase, on the scale, no silent overwrite;
peer results only above the anonymity minimum."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.cycles.models import Cycle, CycleDeadline, Phase
from perfcycle.cycles.services import review_template_create
from perfcycle.evaluation.models import (
    FormStatus,
    Rating,
    ReviewForm,
    TemplateCompetency,
    TemplateQuestion,
)
from perfcycle.evaluation.reviews import (
    peer_aggregate,
    reject_peer_detail_below_minimum,
    report_aggregate,
    review_save,
    review_submit,
)
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory, EmployeeFactory


@pytest.fixture
def setup(company):
    template = review_template_create(actor=company.hr, name="T", anonymity_min=3)
    comm = Competency.objects.create(code="COMM", name="Communication")
    team = Competency.objects.create(code="TEAM", name="Teamwork")
    items = [
        TemplateCompetency.objects.create(template=template, competency=comm, weight=D(60)),
        TemplateCompetency.objects.create(template=template, competency=team, weight=D(40)),
    ]
    question = TemplateQuestion.objects.create(template=template, text="Strengths?", required=True)
    today = timezone.localdate()
    cycle = CycleFactory(
        start_date=today - dt.timedelta(days=90),
        end_date=today - dt.timedelta(days=1),
        phase=Phase.REVIEW_360,
        participants=[company.direct, company.indirect, company.stranger],
    )
    Cycle.objects.filter(pk=cycle.pk).update(template=template)
    cycle.refresh_from_db()
    CycleDeadline.objects.create(
        cycle=cycle, phase=Phase.REVIEW_360, due_date=today + dt.timedelta(days=3)
    )
    form = ReviewForm.objects.create(
        cycle=cycle, reviewee=company.direct, reviewer=company.stranger, source="peer"
    )
    return cycle, items, question, form


def fill(company, form, items, question, version=None):
    return review_save(
        actor=company.user("stranger"),
        form=form,
        expected_version=form.version if version is None else version,
        ratings={items[0].pk: 4, items[1].pk: 3},
        answers={question.pk: "Clear writing"},
    )


def test_the_reviewer_saves_a_draft_and_submits(company, setup):
    _cycle, items, question, form = setup
    fill(company, form, items, question)
    assert form.status == FormStatus.DRAFT
    assert dict(Rating.objects.filter(form=form).values_list("item_id", "value")) == {
        items[0].pk: 4,
        items[1].pk: 3,
    }
    review_submit(actor=company.user("stranger"), form=form, expected_version=form.version)
    assert form.status == FormStatus.SUBMITTED and form.submitted_at is not None
    with pytest.raises(DomainError) as exc:
        fill(company, form, items, question)
    assert exc.value.code == "form_locked"


def test_nobody_else_fills_the_form_not_even_hr(company, setup):
    _cycle, items, _question, form = setup
    for name in ("manager", "direct"):
        with pytest.raises(Forbidden):
            review_save(
                actor=company.user(name),
                form=form,
                expected_version=form.version,
                ratings={items[0].pk: 5},
            )
    with pytest.raises(Forbidden):
        review_save(
            actor=company.hr, form=form, expected_version=form.version, ratings={items[0].pk: 5}
        )
    assert not Rating.objects.exists()


def test_a_rating_outside_the_scale_is_refused(company, setup):
    _cycle, items, _question, form = setup
    with pytest.raises(ValidationFailed) as exc:
        review_save(
            actor=company.user("stranger"),
            form=form,
            expected_version=form.version,
            ratings={items[0].pk: 6},
        )
    assert f"rating_{items[0].pk}" in exc.value.details["fields"]
    assert not Rating.objects.exists()


def test_two_saves_of_the_same_version_the_second_is_a_conflict(company, setup):
    _cycle, items, _question, form = setup
    first = ReviewForm.objects.get(pk=form.pk)
    second = ReviewForm.objects.get(pk=form.pk)
    review_save(
        actor=company.user("stranger"),
        form=first,
        expected_version=first.version,
        ratings={items[0].pk: 4},
    )
    with pytest.raises(Conflict):
        review_save(
            actor=company.user("stranger"),
            form=second,
            expected_version=second.version,
            ratings={items[0].pk: 2},
        )
    assert Rating.objects.get(form=form, item=items[0]).value == 4


def test_submission_needs_every_rating_and_required_answer(company, setup):
    _cycle, items, _question, form = setup
    review_save(
        actor=company.user("stranger"),
        form=form,
        expected_version=form.version,
        ratings={items[0].pk: 4},
    )
    with pytest.raises(DomainError) as exc:
        review_submit(actor=company.user("stranger"), form=form, expected_version=form.version)
    assert exc.value.code == "form_incomplete"
    assert exc.value.details == {"unrated": ["Teamwork"], "unanswered": ["Strengths?"]}
    form.refresh_from_db()
    assert form.status == FormStatus.DRAFT


def test_after_the_deadline_or_outside_the_phase_nothing_is_saved(company, setup):
    cycle, items, question, form = setup
    CycleDeadline.objects.filter(cycle=cycle).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    with pytest.raises(DomainError) as exc:
        fill(company, form, items, question)
    assert exc.value.code == "form_past_deadline"
    CycleDeadline.objects.filter(cycle=cycle).update(
        due_date=timezone.localdate() + dt.timedelta(days=1)
    )
    Cycle.objects.filter(pk=cycle.pk).update(phase=Phase.MANAGER_REVIEW)
    form.cycle.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        fill(company, form, items, question)
    assert exc.value.code == "form_not_in_phase"
    assert not Rating.objects.exists()


def test_peer_results_only_from_the_anonymity_minimum(company, setup):
    cycle, items, question, _form = setup
    peers = [company.stranger] + [
        EmployeeFactory(employee_number=f"P{n}", login=f"peer{n}") for n in range(3)
    ]
    forms = [
        ReviewForm.objects.get_or_create(
            cycle=cycle, reviewee=company.direct, reviewer=p, source="peer"
        )[0]
        for p in peers
    ]
    for n, (peer, form) in enumerate(zip(peers, forms, strict=True)):
        review_save(
            actor=peer.user,
            form=form,
            expected_version=form.version,
            ratings={items[0].pk: 2 + n, items[1].pk: 3},
            answers={question.pk: "ok"},
        )
        review_submit(actor=peer.user, form=form, expected_version=form.version)
        aggregate = peer_aggregate(cycle=cycle, reviewee=company.direct)
        if n < 2:
            assert not aggregate.shown and aggregate.averages == {}
        else:
            assert aggregate.shown
    assert aggregate.averages == {items[0].pk: D("3.50"), items[1].pk: D("3.00")}


def test_open_answers_are_unattributed_and_sorted_by_text(company, setup):
    cycle, items, question, _form = setup
    peers = [company.stranger] + [
        EmployeeFactory(employee_number=f"P{n}", login=f"peer{n}") for n in range(2)
    ]
    for peer, text in zip(peers, ["zebra", "apple", "mango"], strict=True):
        form = ReviewForm.objects.get_or_create(
            cycle=cycle, reviewee=company.direct, reviewer=peer, source="peer"
        )[0]
        review_save(
            actor=peer.user,
            form=form,
            expected_version=form.version,
            ratings={items[0].pk: 3, items[1].pk: 4},
            answers={question.pk: text},
        )
        review_submit(actor=peer.user, form=form, expected_version=form.version)
    aggregate = peer_aggregate(cycle=cycle, reviewee=company.direct)
    assert aggregate.answers == {question.pk: ["apple", "mango", "zebra"]}
    assert aggregate.counts == {items[0].pk: 3, items[1].pk: 3}


def test_upward_reviews_have_the_same_anonymity_minimum(company, setup):
    cycle, items, question, _form = setup
    reports = [company.indirect] + [
        EmployeeFactory(employee_number=f"R{n}", login=f"report{n}", manager=company.direct)
        for n in range(2)
    ]
    for n, report in enumerate(reports):
        form = ReviewForm.objects.create(
            cycle=cycle, reviewee=company.direct, reviewer=report, source="report"
        )
        review_save(
            actor=report.user,
            form=form,
            expected_version=form.version,
            ratings={items[0].pk: 1 + n, items[1].pk: 5},
            answers={question.pk: f"upward {n}"},
        )
        review_submit(actor=report.user, form=form, expected_version=form.version)
        aggregate = report_aggregate(cycle=cycle, reviewee=company.direct)
        if n < 2:
            assert not aggregate.shown and aggregate.averages == {} and aggregate.answers == {}
            with pytest.raises(ValidationFailed) as exc:
                reject_peer_detail_below_minimum(aggregate)
            assert exc.value.code == "below_anonymity_minimum"
    assert aggregate.shown and aggregate.source == "report"
    assert aggregate.averages == {items[0].pk: D("2.00"), items[1].pk: D("5.00")}
    # Peers are counted apart: the reports' forms are no peers' forms.
    assert peer_aggregate(cycle=cycle, reviewee=company.direct).submitted == 0

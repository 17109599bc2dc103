"""Review form pages: the reviewer fills in and submits; HR reads; everyone else sees
nothing; a stale save keeps what was typed; peers and reports stay anonymous."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from perfcycle.cycles.models import Cycle, CycleDeadline, Phase
from perfcycle.cycles.services import review_template_create
from perfcycle.evaluation.models import (
    BehaviouralAnchor,
    FormStatus,
    Rating,
    ReviewForm,
    TemplateCompetency,
    TemplateQuestion,
)
from perfcycle.evaluation.reviews import review_save, review_submit
from perfcycle.monitoring.models import Competency
from perfcycle.org.models import Employee
from tests.factories import CycleFactory, EmployeeFactory

PEER_NAMES = ("Sam Stranger", "Pia Peer 0", "Pia Peer 1", "Pia Peer 2")
REPORT_NAME = "Ivy Indirect"


@dataclass
class Setup:
    cycle: Cycle
    items: list[TemplateCompetency]
    question: TemplateQuestion
    peer_question: TemplateQuestion
    form: ReviewForm  # stranger's peer review of direct
    manager_form: ReviewForm  # manager's review of direct


def build(company) -> Setup:
    template = review_template_create(actor=company.hr, name="T", anonymity_min=3)
    comm = Competency.objects.create(code="COMM", name="Communication")
    team = Competency.objects.create(code="TEAM", name="Teamwork")
    items = [
        TemplateCompetency.objects.create(template=template, competency=comm, weight=D(60)),
        TemplateCompetency.objects.create(template=template, competency=team, weight=D(40)),
    ]
    BehaviouralAnchor.objects.create(item=items[0], rating=5, description="Explains clearly")
    BehaviouralAnchor.objects.create(item=items[0], rating=1, description="Often unclear")
    question = TemplateQuestion.objects.create(template=template, text="Strengths?", required=True)
    peer_question = TemplateQuestion.objects.create(
        template=template, text="What should they keep doing?", sources=["peer", "report"]
    )
    today = timezone.localdate()
    cycle = CycleFactory(
        start_date=today - dt.timedelta(days=90),
        end_date=today - dt.timedelta(days=1),
        phase=Phase.REVIEW_360,
        participants=[company.direct, company.indirect, company.stranger],
    )
    Cycle.objects.filter(pk=cycle.pk).update(template=template)
    cycle.refresh_from_db()
    for phase in (Phase.REVIEW_360, Phase.MANAGER_REVIEW):
        CycleDeadline.objects.create(cycle=cycle, phase=phase, due_date=today + dt.timedelta(3))
    form = ReviewForm.objects.create(
        cycle=cycle, reviewee=company.direct, reviewer=company.stranger, source="peer"
    )
    manager_form = ReviewForm.objects.create(
        cycle=cycle, reviewee=company.direct, reviewer=company.manager, source="manager"
    )
    return Setup(cycle, items, question, peer_question, form, manager_form)


def fill_and_submit(s: Setup, reviewer: Employee, source: str, n: int) -> ReviewForm:
    form, _created = ReviewForm.objects.get_or_create(
        cycle=s.cycle, reviewee=s.form.reviewee, reviewer=reviewer, source=source
    )
    review_save(
        actor=reviewer.user,
        form=form,
        expected_version=form.version,
        ratings={s.items[0].pk: 2 + n, s.items[1].pk: 3},
        answers={s.question.pk: f"Answer {n}", s.peer_question.pk: "ok"},
    )
    review_submit(actor=reviewer.user, form=form, expected_version=form.version)
    return form


def extra_peers(count: int) -> list[Employee]:
    return [
        EmployeeFactory(employee_number=f"P{n}", name=f"Pia Peer {n}", login=f"peer{n}")
        for n in range(count)
    ]


@pytest.fixture
def s(company) -> Setup:
    return build(company)


def post_form(s: Setup, version: int, rating: int = 4, comment: str = "Clear", **extra):
    data = {
        "version": version,
        f"rating_{s.items[0].pk}": rating,
        f"comment_{s.items[0].pk}": comment,
        f"rating_{s.items[1].pk}": 3,
        f"comment_{s.items[1].pk}": "",
        f"answer_{s.question.pk}": "Writes well",
        f"answer_{s.peer_question.pk}": "Keep it up",
        "summary": "Good quarter",
    }
    data.update(extra)
    return data


def test_my_reviews_lists_my_active_forms_with_phase_and_deadline(company, s, as_user):
    ReviewForm.objects.create(
        cycle=s.cycle,
        reviewee=company.indirect,
        reviewer=company.stranger,
        source="peer",
        status=FormStatus.DECLINED,
    )
    response = as_user(company.user("stranger")).get(reverse("evaluation:my_reviews"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Dan Direct" in html and "360 review" in html
    assert (timezone.localdate() + dt.timedelta(3)).isoformat() in html
    assert "Ivy Indirect" not in html  # the declined form is not listed
    assert reverse("evaluation:form", args=[s.form.pk]) in html


def test_my_reviews_takes_the_same_queries_whatever_the_count(
    company, s, as_user, django_assert_num_queries
):
    client = as_user(company.user("stranger"))
    client.get(reverse("evaluation:my_reviews"))  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("evaluation:my_reviews"))
    other = CycleFactory(phase=Phase.SELF_REVIEW)
    Cycle.objects.filter(pk=other.pk).update(template=s.cycle.template)
    CycleDeadline.objects.create(cycle=other, phase=Phase.REVIEW_360, due_date=dt.date(2026, 1, 1))
    for n in range(5):
        person = EmployeeFactory(name=f"Reviewee {n}")
        for cycle in (s.cycle, other):
            ReviewForm.objects.create(
                cycle=cycle, reviewee=person, reviewer=company.stranger, source="peer"
            )
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("evaluation:my_reviews"))
    assert response.content.decode().count("Reviewee 4") == 2


def test_the_reviewer_saves_a_draft_and_submits(company, s, as_user):
    client = as_user(company.user("stranger"))
    page = client.get(reverse("evaluation:form", args=[s.form.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'name="rating_{s.items[0].pk}"' in html
    assert "Explains clearly" in html  # the anchor beside its point
    assert "What should they keep doing?" in html  # the peer question
    response = client.post(
        reverse("evaluation:form_save", args=[s.form.pk]), post_form(s, s.form.version)
    )
    assert response.status_code == 302
    s.form.refresh_from_db()
    assert s.form.status == FormStatus.DRAFT and s.form.summary == "Good quarter"
    assert Rating.objects.get(form=s.form, item=s.items[0]).comment == "Clear"
    response = client.post(
        reverse("evaluation:form_submit", args=[s.form.pk]), post_form(s, s.form.version)
    )
    assert response.status_code == 302
    s.form.refresh_from_db()
    assert s.form.status == FormStatus.SUBMITTED
    html = client.get(reverse("evaluation:form", args=[s.form.pk])).content.decode()
    assert f'name="rating_{s.items[0].pk}"' not in html  # read-only once submitted
    # And a late post is refused with a message, not a crash.
    response = client.post(
        reverse("evaluation:form_save", args=[s.form.pk]), post_form(s, s.form.version, rating=1)
    )
    assert response.status_code == 400
    assert "submitted and is locked" in response.content.decode()
    assert Rating.objects.get(form=s.form, item=s.items[0]).value == 4


def test_submitting_an_incomplete_form_says_what_is_missing(company, s, as_user):
    client = as_user(company.user("stranger"))
    data = post_form(s, s.form.version)
    del data[f"rating_{s.items[1].pk}"]
    response = client.post(reverse("evaluation:form_submit", args=[s.form.pk]), data)
    assert response.status_code == 400
    assert "Teamwork" in response.content.decode()
    s.form.refresh_from_db()
    assert s.form.status == FormStatus.DRAFT  # the draft was kept


def test_hr_reads_but_cannot_fill(company, s, as_user):
    client = as_user(company.hr)
    page = client.get(reverse("evaluation:form", args=[s.form.pk]))
    assert page.status_code == 200
    assert 'name="rating_' not in page.content.decode()
    response = client.post(
        reverse("evaluation:form_save", args=[s.form.pk]), post_form(s, s.form.version)
    )
    assert response.status_code == 403
    assert not Rating.objects.exists()


@pytest.mark.parametrize("name", ["manager", "direct", "indirect", "top"])
def test_others_do_not_find_the_form(company, s, as_user, name):
    client = as_user(company.user(name))
    assert client.get(reverse("evaluation:form", args=[s.form.pk])).status_code == 404
    response = client.post(
        reverse("evaluation:form_save", args=[s.form.pk]), post_form(s, s.form.version)
    )
    assert response.status_code == 404
    assert not Rating.objects.exists()


def test_a_rating_off_the_scale_is_a_form_error(company, s, as_user):
    response = as_user(company.user("stranger")).post(
        reverse("evaluation:form_save", args=[s.form.pk]), post_form(s, s.form.version, rating=9)
    )
    assert response.status_code == 422
    assert "Choose a rating from 1 to 5" in response.content.decode()
    assert not Rating.objects.exists()


def test_after_the_deadline_a_save_is_refused_with_a_message(company, s, as_user):
    CycleDeadline.objects.filter(cycle=s.cycle).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    client = as_user(company.user("stranger"))
    assert (
        'name="rating_'
        not in client.get(reverse("evaluation:form", args=[s.form.pk])).content.decode()
    )
    response = client.post(
        reverse("evaluation:form_submit", args=[s.form.pk]), post_form(s, s.form.version)
    )
    assert response.status_code == 400
    assert "The deadline for this review was" in response.content.decode()
    s.form.refresh_from_db()
    assert s.form.status == FormStatus.OPEN


def test_a_stale_save_keeps_what_was_typed_and_shows_the_saved_values(company, s, as_user):
    first, second = (as_user(company.user("stranger")) for _ in range(2))
    version = s.form.version
    url = reverse("evaluation:form_save", args=[s.form.pk])
    assert first.post(url, post_form(s, version, rating=4, comment="First tab")).status_code == 302
    response = second.post(url, post_form(s, version, rating=2, comment="Second tab words"))
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone saved this review in the meantime" in html
    assert "Second tab words" in html  # what was typed is kept …
    assert "First tab" in html and "Saved meanwhile" in html  # … beside what was saved
    s.form.refresh_from_db()
    assert f'name="version" value="{s.form.version}"' in html  # saving again merges
    assert Rating.objects.get(form=s.form, item=s.items[0]).comment == "First tab"


def test_autosave_answers_json_with_the_new_version(company, s, as_user):
    client = as_user(company.user("stranger"))
    url = reverse("evaluation:form_save", args=[s.form.pk])
    version = s.form.version
    response = client.post(url, post_form(s, version), HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    body = response.json()
    assert response.status_code == 200
    assert body["version"] == version + 1 and body["saved_at"] in body["message"]
    stale = client.post(url, post_form(s, version), HTTP_ACCEPT="application/json")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert stale.json()["version"] == version + 1


def test_the_form_page_passes_its_texts_to_the_script_translated(company, s, as_user):
    client = as_user(company.user("stranger"))
    client.post(reverse("language"), {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("evaluation:form", args=[s.form.pk])).content.decode()
    assert 'data-saved-text="' in html and "review-form.js" in html


def _peers_and_report(company, s: Setup, peers: int) -> None:
    for n, peer in enumerate([company.stranger, *extra_peers(peers - 1)]):
        fill_and_submit(s, peer, "peer", n)
    fill_and_submit(s, company.indirect, "report", 0)


def test_the_manager_form_shows_evidence_and_anonymous_aggregates(company, s, as_user):
    _peers_and_report(company, s, 3)
    Cycle.objects.filter(pk=s.cycle.pk).update(phase=Phase.MANAGER_REVIEW)
    response = as_user(company.user("manager")).get(
        reverse("evaluation:form", args=[s.manager_form.pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Evidence from the cycle" in html and f'name="rating_{s.items[0].pk}"' in html
    assert "3.00" in html  # the peers' average for Communication (2, 3, 4)
    for name in (*PEER_NAMES[:3], REPORT_NAME):
        assert name not in html
    assert "Withheld until 3 have answered (1 so far)" in html  # a single report


def test_peer_summary_is_withheld_below_the_minimum_and_shown_at_it(company, s, as_user):
    client = as_user(company.user("manager"))
    url = reverse("evaluation:peer_summary", args=[s.cycle.pk, company.direct.pk])
    for n, peer in enumerate([company.stranger, *extra_peers(2)]):
        fill_and_submit(s, peer, "peer", n)
        html = client.get(url).content.decode()
        if n < 2:
            assert f"Withheld until 3 have answered ({n + 1} so far)" in html
            assert "Communication" not in html
    assert "Communication" in html and "3.00" in html
    assert "keep doing" in html and "ok" in html
    for name in PEER_NAMES[:3]:
        assert name not in html


@pytest.mark.parametrize("name", ["direct", "stranger", "indirect"])
def test_peer_summary_is_for_managers_and_hr_only(company, s, as_user, name):
    url = reverse("evaluation:peer_summary", args=[s.cycle.pk, company.direct.pk])
    assert as_user(company.user(name)).get(url).status_code == 404
    assert as_user(company.hr).get(url).status_code == 200

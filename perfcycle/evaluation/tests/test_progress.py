"""The review progress dashboard: figures per phase, source and department, the late
reviewers, who sees what (peer and upward reviewers stay anonymous to managers), and a
query count that does not grow with the cycle."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.evaluation.progress import Tally, progress_for, remindable_forms
from perfcycle.evaluation.tests.test_progress_data import grow, progress_cycle


@pytest.fixture
def setup(company):
    return progress_cycle(company)


def _by_source(data):
    return {s.source: s.tally for p in data.phases for s in p.sources}


def test_hr_sees_the_whole_cycle_per_phase_and_source(company, setup):
    data = progress_for(company.hr, setup.cycle, today=setup.today)
    sources = _by_source(data)
    assert sources["self"] == Tally(submitted=1, in_progress=0, not_started=2)
    assert sources["peer"] == Tally(submitted=1, in_progress=2, not_started=1)
    assert sources["report"] == Tally(0, 0, 1)
    assert sources["manager"] == Tally(0, 0, 1)
    assert sources["skip"] == Tally()
    assert data.total.total == 9 and data.total.submitted == 2
    phases = {p.phase: p for p in data.phases}
    assert phases["review_360"].tally.total == 5
    assert phases["self_review"].tally.percent_done == 33
    departments = {d.name: d.tally for d in data.departments}
    # Mia (the upward review about her) is in Sales too.
    assert departments == {"Sales": Tally(2, 2, 4), "Other": Tally(0, 0, 1)}


def test_hr_sees_late_reviewers_by_name(company, setup):
    data = progress_for(company.hr, setup.cycle, today=setup.today)
    late = {row.reviewer_name: row for row in data.late}
    assert set(late) == {"Ivy Indirect", "Sam Stranger", "Top", "Dan Direct"}
    stranger = late["Sam Stranger"]
    # Two peer forms due tomorrow and their own self-review, overdue since 5 days.
    assert stranger.forms == 3 and stranger.overdue and stranger.remindable
    assert stranger.oldest_due == setup.today - dt.timedelta(days=5)
    assert not late["Ivy Indirect"].remindable  # only a self-review, its phase is over
    assert not late["Top"].overdue  # due tomorrow
    assert all(not row.anonymous for row in data.late)


def test_a_manager_sees_their_line_and_peer_forms_only_as_counts(company, setup):
    data = progress_for(company.user("manager"), setup.cycle, today=setup.today)
    # Forms about Dan and Ivy only: not Mia's own upward review, not Sam's self-review.
    assert data.total.total == 7
    sources = _by_source(data)
    assert sources["report"] == Tally() and sources["peer"].total == 4
    assert not data.names_shown
    named = {row.reviewer_name for row in data.late if not row.anonymous}
    assert named == {"Ivy Indirect"}  # her self-review; peers are never named
    anonymous = {row.reviewee_name: row.forms for row in data.late if row.anonymous}
    assert anonymous == {"Dan Direct": 2, "Ivy Indirect": 1}
    for row in data.late:
        if row.anonymous:
            assert row.reviewer_id is None and row.reviewer_name is None


def test_remindable_forms_hide_peer_reviewers_from_a_manager(company, setup):
    manager = company.user("manager")
    by_reviewer = remindable_forms(manager, setup.cycle, reviewer_id=company.stranger.pk)
    assert not by_reviewer.exists()  # a manager cannot probe whether Sam owes a peer review
    hr = remindable_forms(company.hr, setup.cycle, reviewer_id=company.stranger.pk)
    assert set(hr.values_list("source", flat=True)) == {"peer"}
    by_reviewee = remindable_forms(manager, setup.cycle, reviewee_id=company.direct.pk)
    assert by_reviewee.count() == 2  # the two open peer forms about Dan


def test_the_page_for_a_manager_never_names_a_peer_reviewer(company, setup, as_user):
    url = reverse("evaluation:progress", args=[setup.cycle.pk])
    response = as_user(company.user("manager")).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Peer and upward reviews of Dan Direct" in html
    for name in ("Sam Stranger", "Top", "Hilda HR"):
        assert name not in html
    assert f'name="reviewer" value="{company.stranger.pk}"' not in html


def test_the_page_for_hr_names_reviewers_and_offers_reminders(company, setup, as_user):
    url = reverse("evaluation:progress", args=[setup.cycle.pk])
    html = as_user(company.hr).get(url).content.decode()
    assert "Sam Stranger" in html and "Remind all late reviewers" in html
    assert reverse("notifications:remind_reviewers", args=[setup.cycle.pk]) in html
    assert "<svg" in html


def test_employees_may_not_see_progress(company, setup, as_user):
    url = reverse("evaluation:progress", args=[setup.cycle.pk])
    assert as_user(company.user("indirect")).get(url).status_code == 403
    assert as_user(company.hr).get(reverse("evaluation:progress", args=[999999])).status_code == 404


def _queries(user, cycle, today) -> int:
    with CaptureQueriesContext(connection) as ctx:
        progress_for(user, cycle, today=today)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["hr", "manager"])
def test_query_count_does_not_grow_with_the_cycle(company, setup, who, django_assert_num_queries):
    user = company.hr if who == "hr" else company.user("manager")
    user.employee  # noqa: B018 - the signed-in user's employee is loaded with the request
    small = _queries(user, setup.cycle, setup.today)
    grow(company, setup, 5)
    with django_assert_num_queries(small):
        progress_for(user, setup.cycle, today=setup.today)
    grow(company, setup, 40)
    with django_assert_num_queries(small):
        data = progress_for(user, setup.cycle, today=setup.today)
    assert data.total.total == (9 if who == "hr" else 7) + 90

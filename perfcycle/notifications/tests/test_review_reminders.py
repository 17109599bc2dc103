"""Reminders about review forms: the one-click button (HR and managers, anonymously for
peers) and the daily "review forms due" rule; each reaches a reviewer once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from perfcycle.cycles.models import Phase
from perfcycle.evaluation.models import FormStatus
from perfcycle.evaluation.tests.test_progress_data import progress_cycle
from perfcycle.notifications import reminders, reviews
from perfcycle.notifications.models import Notification
from perfcycle.notifications.services import notify


@pytest.fixture
def setup(company):
    return progress_cycle(company)


def reminded(company) -> set[str]:
    return set(
        Notification.objects.filter(dedupe_key__startswith="review-").values_list(
            "user__username", flat=True
        )
    )


def test_hr_reminds_all_late_reviewers_of_the_current_phase(company, setup):
    outcome = reviews.review_reminders_send(actor=company.hr, cycle=setup.cycle)
    # Peers Sam and Top, and Dan for his upward review of Mia; not Ivy and Sam for their
    # self-reviews (that phase is over) nor Mia (her manager review is not due yet).
    assert reminded(company) == {"stranger", "top", "direct"}
    assert (outcome.reminded, outcome.already) == (3, 0)
    again = reviews.review_reminders_send(actor=company.hr, cycle=setup.cycle)
    assert (again.reminded, again.already) == (0, 3)
    assert Notification.objects.filter(dedupe_key__startswith="review-").count() == 3


def test_a_reminder_says_nothing_about_other_reviewers_or_who_asked(company, setup):
    reviews.review_reminders_send(actor=company.user("manager"), cycle=setup.cycle)
    note = Notification.objects.get(user=company.stranger.user)
    text = note.title + " " + note.body
    # Sam has two peer reviews in the 360 phase; the text gives the count and the date.
    assert "2" in note.body and f"{setup.today + dt.timedelta(days=1):%Y-%m-%d}" in note.body
    for name in ("Mia", "Manager", "Top", "Hilda", "Dan", "Ivy"):
        assert name not in text
    assert note.url == reviews.my_reviews_url()


def test_a_manager_cannot_probe_a_peer_reviewer(company, setup):
    outcome = reviews.review_reminders_send(
        actor=company.user("manager"), cycle=setup.cycle, reviewer_id=company.stranger.pk
    )
    assert outcome.reviewers == 0 and not Notification.objects.exists()


def test_a_manager_reminds_the_peers_of_a_team_member_without_learning_who(company, setup, as_user):
    client = as_user(company.user("manager"))
    url = reverse("notifications:remind_reviewers", args=[setup.cycle.pk])
    response = client.post(url, {"reviewee": company.direct.pk}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 reviewers reminded." in html
    assert "Sam Stranger" not in html and "Top" not in html
    assert reminded(company) == {"stranger", "top"}


def test_remind_by_department_and_by_form(company, setup):
    outcome = reviews.review_reminders_send(
        actor=company.hr, cycle=setup.cycle, department_id=company.other.pk
    )
    assert outcome.reviewers == 0  # Sam's self-review is in a finished phase
    outcome = reviews.review_reminders_send(
        actor=company.hr,
        cycle=setup.cycle,
        form_ids=[setup.forms["peer_direct_top"].pk, setup.forms["peer_direct_hr"].pk],
    )
    assert outcome.reminded == 1 and reminded(company) == {"top"}  # the other is submitted


def test_employees_may_not_remind(company, setup, as_user):
    url = reverse("notifications:remind_reviewers", args=[setup.cycle.pk])
    assert as_user(company.user("indirect")).post(url).status_code == 403
    assert as_user(company.hr).get(url).status_code == 405
    assert not Notification.objects.exists()


def test_the_button_goes_back_to_the_progress_page(company, setup, as_user):
    url = reverse("notifications:remind_reviewers", args=[setup.cycle.pk])
    response = as_user(company.hr).post(url)
    assert response.status_code == 302
    assert response.url == reverse("evaluation:progress", args=[setup.cycle.pk])
    evil = as_user(company.hr).post(url, {"next": "https://evil.example/"})
    assert evil.url == reverse("evaluation:progress", args=[setup.cycle.pk])


def test_daily_rule_reminds_reviewers_once_per_deadline(company, setup):
    drafts = reviews.review_forms_due(today=setup.today)
    by_user = {d.user_id: d for d in drafts}
    assert set(by_user) == {
        company.stranger.user.pk,
        company.top.user.pk,
        company.direct.user.pk,
    }
    assert by_user[company.stranger.user.pk].params["count"] == 2
    assert drafts[0] in reminders.all_reminders(today=setup.today, now=dt.datetime.now(tz=dt.UTC))
    assert len(notify(drafts=drafts)) == 3
    assert notify(drafts=reviews.review_forms_due(today=setup.today)) == []


def test_daily_rule_is_quiet_outside_the_window_or_the_phase(company, setup):
    assert reviews.review_forms_due(today=setup.today - dt.timedelta(days=3)) == []
    assert reviews.review_forms_due(today=setup.today + dt.timedelta(days=2)) == []
    setup.cycle.phase = Phase.MANAGER_REVIEW
    setup.cycle.save(update_fields=["phase"])
    assert reviews.review_forms_due(today=setup.today) == []


def test_submitted_forms_are_not_reminded(company, setup):
    setup.cycle.review_forms.filter(source="peer").update(status=FormStatus.SUBMITTED)
    drafts = reviews.review_forms_due(today=setup.today)
    assert {d.user_id for d in drafts} == {company.direct.user.pk}

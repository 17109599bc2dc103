"""Notifications about proposals: endorsers on submit, HR on endorse, the nominator on
return and reject, the employee and nominator on approval — in their language, once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from perfcycle.accounts.models import User
from perfcycle.notifications.models import Notification, NotificationKind
from perfcycle.notifications.proposals import notify_proposal
from perfcycle.proposals import services
from perfcycle.proposals.tests.conftest import JUSTIFICATION, build_world, make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def round(company):
    return make_round(company, build_world(company))


def _users(**filters):
    return sorted(
        Notification.objects.filter(kind=NotificationKind.PROPOSAL, **filters).values_list(
            "user__username", flat=True
        )
    )


def _nominate(company, round, by="direct"):
    return services.proposal_nominate(
        actor=company.user(by),
        round=round,
        employee=company.indirect,
        justification=JUSTIFICATION,
        increase_pct=D(5),
    )


def test_the_whole_path(company, round, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        p = _nominate(company, round)
    # The nominator's own manager is above the employee: they endorse.
    assert _users() == ["manager"]
    assert "Ivy Indirect is nominated for a salary increase" in Notification.objects.get().title
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_return(
            actor=company.user("manager"), proposal=p, reason="Please add the numbers."
        )
    assert _users(user__username="direct") == ["direct"]
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_resubmit(actor=company.user("direct"), proposal=p)
        services.proposal_endorse(actor=company.user("manager"), proposal=p)
    assert _users(user__username="manager") == ["manager", "manager"]
    assert _users(user__username="hr") == ["hr"]
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_approve(actor=company.hr, proposal=p, effective_on=dt.date(2026, 8, 1))
    assert _users(user__username="indirect") == ["indirect"]
    assert (
        "salary increase is approved" in Notification.objects.get(user__username="indirect").title
    )
    assert _users(user__username="direct") == ["direct", "direct"]
    # Running the task again adds nothing.
    assert notify_proposal.call(p.pk, "approved") == 0


def test_hr_endorses_when_the_nominator_has_nobody_above(
    company, round, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _nominate(company, round, by="top")
    assert _users() == ["hr"]


def test_a_rejection_reaches_the_nominator_only_in_their_language(
    company, round, django_capture_on_commit_callbacks
):
    User.objects.filter(username="direct").update(language="zh-hans")
    p = _nominate(company, round)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_reject(actor=company.hr, proposal=p, reason="Not in this round.")
    assert _users() == ["direct"]
    assert not Notification.objects.filter(user__username="indirect").exists()

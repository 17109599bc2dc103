"""Feedback and praise: who may read which, the wall and a person's received feedback."""

from __future__ import annotations

import pytest

from perfcycle.core.errors import ValidationFailed
from perfcycle.monitoring.coaching import praise_wall, received_feedback, visible_feedback
from perfcycle.monitoring.models import FeedbackKind, FeedbackVisibility
from perfcycle.monitoring.observations import feedback_give


@pytest.fixture
def given(company):
    """Stranger gives Direct one message of each visibility."""
    stranger = company.user("stranger")
    return {
        v: feedback_give(actor=stranger, receiver=company.direct, text=f"{v} thanks", visibility=v)
        for v in FeedbackVisibility.values
    }


def test_who_reads_what(company, given):
    private, manager, public = (given[v] for v in ("private", "manager", "public"))
    seen = {
        name: set(received_feedback(company.user(name), company.direct))
        for name in ("direct", "stranger", "manager", "top", "hr_person", "indirect")
    }
    assert seen["direct"] == {private, manager, public}
    assert seen["stranger"] == {private, manager, public}  # the giver
    assert seen["manager"] == {manager, public}
    assert seen["top"] == {manager, public}
    assert seen["hr_person"] == {manager, public}
    assert seen["indirect"] == {public}


def test_the_wall_is_public_praise_only(company, given):
    feedback_give(
        actor=company.user("manager"),
        receiver=company.direct,
        text="Improve the follow-up",
        visibility="public",
        kind=FeedbackKind.FEEDBACK,
    )
    assert list(praise_wall(company.user("indirect"))) == [given["public"]]


def test_no_feedback_to_oneself_or_without_text(company):
    with pytest.raises(ValidationFailed):
        feedback_give(
            actor=company.user("direct"), receiver=company.direct, text="me", visibility="public"
        )
    with pytest.raises(ValidationFailed):
        feedback_give(
            actor=company.user("direct"), receiver=company.manager, text=" ", visibility="public"
        )
    with pytest.raises(ValidationFailed):
        feedback_give(
            actor=company.user("direct"), receiver=company.manager, text="x", visibility="all"
        )


def test_anonymous_sees_nothing(company, given):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_feedback(AnonymousUser()).exists()

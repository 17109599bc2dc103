"""Telling participants a retrospective is open: once per participant with a login, in
their language, linking to their answer form; nothing before it is opened."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from perfcycle.cycles.models import Phase
from perfcycle.notifications.models import Notification
from perfcycle.notifications.retrospective import (
    notify_retrospective_opened,
    retrospective_opened_drafts,
)
from perfcycle.retrospective.models import RetroSettings
from tests.factories import CycleFactory, EmployeeFactory


def test_participants_are_told_once(company):
    no_login = EmployeeFactory(name="No Login", manager=company.manager)
    cycle = CycleFactory(
        name="2026 Q1",
        phase=Phase.RESULTS,
        participants=[company.direct, company.indirect, no_login],
    )
    assert retrospective_opened_drafts(cycle.pk) == []  # not opened yet
    RetroSettings.objects.create(
        cycle=cycle,
        opened_at=timezone.now(),
        closes_on=timezone.localdate() + dt.timedelta(days=5),
    )
    user = company.user("direct")
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    assert notify_retrospective_opened.call(cycle.pk) == {"proposed": 2, "created": 2}
    assert notify_retrospective_opened.call(cycle.pk)["created"] == 0
    told = Notification.objects.filter(kind="retrospective")
    assert set(told.values_list("user__employee__name", flat=True)) == {
        "Dan Direct",
        "Ivy Indirect",
    }
    english = told.get(user=company.user("indirect"))
    assert english.title == "Look back on 2026 Q1"
    assert english.url == f"/improve/loop/cycles/{cycle.pk}/answer/"
    assert "2026 Q1" in told.get(user=user).title

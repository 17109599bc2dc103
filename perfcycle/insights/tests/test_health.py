"""Process health: each metric by hand for one cycle, the flags and the weakest joint,
who sees what, and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from perfcycle.access.policy import Action
from perfcycle.calibration.models import (
    Adjustment,
    Appeal,
    AppealStatus,
    CalibrationSession,
    Result,
)
from perfcycle.cycles.models import Cycle, CycleDeadline
from perfcycle.evaluation.models import FormStatus, ReviewForm
from perfcycle.insights import health
from perfcycle.insights.reach import reach_for
from perfcycle.insights.tests.helpers import at, join, quarter, result
from perfcycle.monitoring.models import ActionItem, CheckIn, CheckInStatus
from perfcycle.notifications.models import Notification
from perfcycle.planning.models import GoalSheet, SheetStatus

API = "/api/v1"
D1 = dt.date


@pytest.fixture
def cycle(company):
    c = quarter("Q1", 2025, 1)
    Cycle.objects.filter(pk=c.pk).update(closed_at=at(D1(2025, 5, 31)))
    c.refresh_from_db()
    direct, indirect, stranger = company.direct, company.indirect, company.stranger
    join(c, [direct, indirect, stranger])
    hr = company.hr
    sheets = {
        e.pk: GoalSheet.objects.create(cycle=c, employee=e, status=s, acknowledged_at=a)
        for e, s, a in (
            (direct, SheetStatus.ACKNOWLEDGED, at(D1(2025, 1, 12))),
            (indirect, SheetStatus.APPROVED, None),
            (stranger, SheetStatus.ACKNOWLEDGED, at(D1(2025, 1, 5))),
        )
    }
    for e, day, status in (
        (direct, D1(2025, 1, 10), CheckInStatus.DONE),
        (direct, D1(2025, 2, 10), CheckInStatus.DONE),
        (direct, D1(2025, 3, 31), CheckInStatus.DONE),
        (direct, D1(2025, 4, 2), CheckInStatus.DONE),  # after the cycle
        (indirect, D1(2025, 2, 5), CheckInStatus.DONE),
        (indirect, D1(2025, 3, 5), CheckInStatus.SCHEDULED),  # not held
    ):
        CheckIn.objects.create(
            cycle=c,
            employee=e,
            manager=e.manager,
            scheduled_for=at(day),
            status=status,
            requested_by=hr,
            held_at=at(day) if status == CheckInStatus.DONE else None,
        )
    CycleDeadline.objects.create(cycle=c, phase="self_review", due_date=D1(2025, 4, 5))
    CycleDeadline.objects.create(cycle=c, phase="manager_review", due_date=D1(2025, 4, 15))
    for reviewee, reviewer, source, status, day in (
        (direct, direct, "self", FormStatus.SUBMITTED, D1(2025, 4, 4)),
        (direct, company.manager, "manager", FormStatus.SUBMITTED, D1(2025, 4, 20)),
        (indirect, indirect, "self", FormStatus.OPEN, None),
        (indirect, direct, "manager", FormStatus.SUBMITTED, D1(2025, 4, 10)),
        (indirect, stranger, "peer", FormStatus.DECLINED, None),
        (stranger, stranger, "self", FormStatus.SUBMITTED, D1(2025, 4, 5)),
    ):
        ReviewForm.objects.create(
            cycle=c,
            reviewee=reviewee,
            reviewer=reviewer,
            source=source,
            status=status,
            submitted_at=at(day, 22) if day else None,
        )
    r_direct = result(c, direct, "85", "A", computed_grade="B")
    r_indirect = result(c, indirect, "60", "C")
    r_stranger = result(c, stranger, "75", "B", released=False)
    session = CalibrationSession.objects.create(cycle=c, name="All", scope="company")
    for r, before, after in ((r_direct, "B", "A"), (r_stranger, "B", "A"), (r_stranger, "A", "B")):
        Adjustment.objects.create(
            result=r, session=session, field="grade", before=before, after=after, reason="x", by=hr
        )
    upheld = Appeal.objects.create(
        result=r_direct,
        reason="x",
        talk_held=True,
        status=AppealStatus.UPHELD,
        due_on=D1(2025, 5, 1),
    )
    Adjustment.objects.create(
        result=r_indirect, appeal=upheld, field="grade", before="C", after="B", reason="x", by=hr
    )
    Appeal.objects.create(
        result=r_indirect,
        reason="x",
        talk_held=True,
        status=AppealStatus.REJECTED,
        due_on=D1(2025, 5, 1),
    )
    item = ActionItem.objects.create(
        employee=stranger, owner=stranger, text="Call", done_at=at(D1(2025, 3, 20))
    )
    for user, kind, key, created, read in (
        (
            direct.user,
            "sheet_acknowledge",
            f"sheet-acknowledge:{sheets[direct.pk].pk}:1",
            D1(2025, 1, 10),
            None,
        ),
        (direct.user, "deadline", "deadline:1:2025-02-10", D1(2025, 2, 1), D1(2025, 2, 20)),
        (
            indirect.user,
            "sheet_acknowledge",
            f"sheet-acknowledge:{sheets[indirect.pk].pk}:1",
            D1(2025, 1, 10),
            D1(2025, 1, 11),
        ),
        (indirect.user, "checkin_due", "checkin-due:1:1", D1(2025, 2, 1), D1(2025, 2, 3)),
        (stranger.user, "action_overdue", f"action-overdue:{item.pk}", D1(2025, 3, 1), None),
        (stranger.user, "result_released", "result:1", D1(2025, 4, 21), None),  # not a reminder
        (stranger.user, "deadline", "deadline:2:2024-12-01", D1(2024, 12, 1), None),  # before
    ):
        n = Notification.objects.create(
            user=user, kind=kind, title="t", dedupe_key=key, read_at=at(read) if read else None
        )
        Notification.objects.filter(pk=n.pk).update(created_at=at(created))
    return c


def rows_by_name(table):
    return {r.name: r for r in [table.company, *table.rows]}


def values(row):
    return {k: v.value for k, v in row.values.items()}


def test_each_metric_by_hand(company, cycle):
    (table,) = health.health(
        reach=reach_for(company.hr, Action.PROCESS_HEALTH_VIEW), cycles=[cycle]
    )
    rows = rows_by_name(table)
    assert table.months == 3
    assert values(rows["Sales"]) == {
        "acknowledgement": D("50.0"),  # 1 of 2
        "checkins": D("0.67"),  # 4 held ÷ 2 people ÷ 3 months
        "on_time_reviews": D("50.0"),  # 2 of 4 (the declined form is not counted)
        "appeal_rate": D("100.0"),  # 2 appeals ÷ 2 released
        "calibration_changes": D("50.0"),  # direct B → A
        "reminder_follow_through": D("50.0"),  # acknowledged in 2 days; check-in read in 2
    }
    assert values(rows["Other"]) == {
        "acknowledgement": D("100.0"),
        "checkins": D("0.00"),
        "on_time_reviews": D("100.0"),  # submitted on the deadline day
        "appeal_rate": None,  # nothing released
        "calibration_changes": D("0.0"),  # B → A → B is no change
        "reminder_follow_through": D("0.0"),  # the action was done after 19 days
    }
    company_row = values(rows["Whole company"])
    assert company_row == {
        "acknowledgement": D("66.7"),
        "checkins": D("0.44"),
        "on_time_reviews": D("60.0"),
        "appeal_rate": D("100.0"),
        "calibration_changes": D("33.3"),
        "reminder_follow_through": D("40.0"),
    }
    assert rows["Company"].counts["participants"] == 3  # the root department holds everyone
    sales = rows["Sales"]
    assert (sales.share("upheld", "appeals"), sales.share("rejected", "appeals")) == (
        D("50.0"),
        D("50.0"),
    )
    assert sales.share("acted", "acted_reminders") == D("50.0")


def test_flags_and_the_weakest_joint(company, cycle):
    (table,) = health.health(
        reach=reach_for(company.hr, Action.PROCESS_HEALTH_VIEW), cycles=[cycle]
    )
    rows = rows_by_name(table)
    assert {k for k, v in rows["Other"].values.items() if v.flagged} == {
        "checkins",
        "reminder_follow_through",
    }
    worst = table.weak[0]
    # Appeals 100 % against at most 10 %: (100 − 10) ÷ 10 = 9; Sales before the root.
    assert (worst.row.name, worst.value.metric.key, worst.value.severity) == (
        "Sales",
        "appeal_rate",
        D("9.000"),
    )
    assert "Appeal rate" in worst.sentence and "Sales" in worst.sentence
    severities = [w.value.severity for w in table.weak]
    assert severities == sorted(severities, reverse=True)


def test_a_manager_sees_only_their_line(company, cycle, as_user):
    (table,) = health.health(
        reach=reach_for(company.user("manager"), Action.PROCESS_HEALTH_VIEW), cycles=[cycle]
    )
    assert table.company.counts["participants"] == 2
    assert {r.name for r in table.rows} == {"Company", "Sales"}
    page = as_user(company.user("manager")).get(reverse("insights:health"), {"cycle": cycle.pk})
    assert page.status_code == 200 and b"Other" not in page.content
    for name in ("direct", "stranger"):  # direct has a report; stranger has none
        client = as_user(company.user(name))
        expected = 200 if name == "direct" else 404
        assert client.get(reverse("insights:health")).status_code == expected
        assert client.get(f"{API}/cycles/{cycle.pk}/process-health").status_code == expected


def test_health_page_and_api(company, cycle, as_user):
    client = as_user(company.hr)
    page = client.get(reverse("insights:health"), {"cycle": cycle.pk})
    assert page.status_code == 200
    assert "The weakest joint is “Appeal rate” in Sales".encode() in page.content
    assert client.get(reverse("insights:health"), {"cycle": 999999}).status_code == 404
    body = client.get(f"{API}/cycles/{cycle.pk}/process-health").json()
    assert body["company"]["metrics"]["acknowledgement"]["value"] == "66.7"
    assert body["weakest"][0]["metric"] == "appeal_rate"
    over = client.get(f"{API}/insights/process-health?cycles=3").json()
    assert [c["cycle_name"] for c in over["cycles"]] == ["Q1"]
    assert over["cycles"][0]["company"]["metrics"]["reminder_follow_through"]["value"] == "40.0"
    assert client.get(f"{API}/cycles/999999/process-health").status_code == 404


def test_health_page_shows_a_page_of_departments(company, cycle, as_user, monkeypatch):
    """A large company's departments a page at a time, its flags the worst first and no
    more than FLAGS_SHOWN; the whole company's row on every page."""
    from perfcycle.insights.views import pages

    monkeypatch.setattr(pages, "HEALTH_PAGE_SIZE", 1)
    monkeypatch.setattr(pages, "FLAGS_SHOWN", 1)
    client = as_user(company.hr)
    first = client.get(reverse("insights:health"), {"cycle": cycle.pk})
    table = first.context["table"]
    assert len(table.rows) > 1 and len(table.weak) > 1
    assert list(first.context["page"]) == table.rows[:1]
    assert first.context["flags"] == table.weak[:1]
    body = first.content.decode()
    assert f"Page 1 of {len(table.rows)}" in body and "Whole company" in body
    assert f"The worst 1 of {len(table.weak)} are listed." in body
    second = client.get(reverse("insights:health"), {"cycle": cycle.pk, "page": 2})
    assert list(second.context["page"]) == table.rows[1:2]
    assert f"cycle={cycle.pk}&amp;page=1" in second.content.decode()


def test_unreleased_results_do_not_count_as_appealable(company, cycle):
    Result.objects.filter(cycle=cycle).update(released_at=None)
    (table,) = health.health(
        reach=reach_for(company.hr, Action.PROCESS_HEALTH_VIEW), cycles=[cycle]
    )
    assert table.company.values["appeal_rate"].value is None

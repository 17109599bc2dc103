"""Approving a bonus plan tells each person in it, once, linking to their Reward page."""

from __future__ import annotations

from decimal import Decimal as D

from perfcycle.notifications.models import Notification, NotificationKind
from perfcycle.notifications.rewards import bonus_approved_drafts, notify_bonus_approved
from perfcycle.rewards import services
from perfcycle.rewards.tests.conftest import build_world, make_plan


def test_approval_notifies_everyone_in_the_plan_once(company, django_capture_on_commit_callbacks):
    world = build_world(company)
    plan = make_plan(company, world, budget=D(200000))
    services.plan_compute(actor=company.hr, plan=plan)
    assert bonus_approved_drafts(plan.pk) == []  # not approved: nobody is told
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_approve(actor=company.hr, plan=plan)
    sent = Notification.objects.filter(kind=NotificationKind.BONUS)
    assert {n.user_id for n in sent} == {
        company.user(name).pk for name in ("manager", "direct", "indirect")
    }
    dan = sent.get(user=company.user("direct"))
    assert dan.url == "/reward/" and "Q1 bonus" in dan.title and "40000.00 CNY" in dan.body
    notify_bonus_approved.call(plan.pk)
    assert Notification.objects.filter(kind=NotificationKind.BONUS).count() == 3


def test_the_text_is_translated_per_reader(company):
    """Titles and bodies stay lazy format strings: ``notify`` renders each in its reader's
    language, so the task must not translate them in the worker's."""
    from django.utils.functional import Promise

    world = build_world(company)
    plan = make_plan(company, world, budget=D(200000))
    services.plan_compute(actor=company.hr, plan=plan)
    services.plan_approve(actor=company.hr, plan=plan)
    drafts = bonus_approved_drafts(plan.pk)
    assert len(drafts) == 3
    assert all(isinstance(d.title, Promise) and isinstance(d.body, Promise) for d in drafts)
    assert {d.dedupe_key for d in drafts} == {
        f"bonus-approved:{pk}" for pk in plan.lines.values_list("pk", flat=True)
    }

"""Emails and notifications are written in each reader's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from perfcycle.monitoring.models import ActionItem
from perfcycle.notifications.models import Notification
from perfcycle.notifications.tests.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue_for_both(company):
    for owner in (company.direct, company.manager):
        ActionItem.objects.create(
            employee=company.direct,
            owner=owner,
            text="Call back ACME",
            due_date=TODAY - dt.timedelta(days=2),
        )


def test_email_and_notification_in_chinese_for_a_user_who_chose_it(company, overdue_for_both, send):
    company.direct.user.language = "zh-hans"
    company.direct.user.save()
    send()
    chinese = next(m for m in mail.outbox if m.to == [company.direct.user.email])
    english = next(m for m in mail.outbox if m.to == [company.manager.user.email])

    assert chinese.subject == "Perfcycle：1 条新提醒"
    assert "Dan Direct，您好：" in chinese.body
    assert "已逾期：Call back ACME" in chinese.body
    assert "该行动项的截止日期是 2026-02-08。" in chinese.body
    assert "全部通知：" in chinese.body
    assert Notification.objects.get(user=company.direct.user).title == "已逾期：Call back ACME"

    assert english.subject == "Perfcycle: 1 new reminder"
    assert "Overdue: Call back ACME" in english.body
    assert "This action item was due on 2026-02-08." in english.body


def test_no_email_without_an_address_but_the_notification_is_there(company, overdue_for_both, send):
    company.direct.user.email = ""
    company.direct.user.save()
    send()
    assert [m.to for m in mail.outbox] == [[company.manager.user.email]]
    assert Notification.objects.filter(user=company.direct.user).exists()


def test_a_mail_outage_keeps_the_notifications(company, overdue_for_both, send, settings):
    settings.EMAIL_BACKEND = "perfcycle.notifications.tests.test_email.BrokenBackend"
    send()
    assert Notification.objects.count() == 2


class BrokenBackend:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: list) -> int:
        raise ConnectionRefusedError("no SMTP server")


@pytest.mark.parametrize("per_user", [1, 30])
def test_notify_uses_a_constant_number_of_queries(
    company, per_user, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from perfcycle.notifications.services import NotificationDraft, notify

    users = [company.direct.user, company.manager.user, company.hr]
    drafts = [
        NotificationDraft(user_id=u.pk, kind="deadline", dedupe_key=f"k:{i}", title="Hello")
        for u in users
        for i in range(per_user)
    ]
    # Existing keys, the users with their employees, the insert (in a savepoint).
    with (
        django_assert_num_queries(5),
        django_capture_on_commit_callbacks(execute=True),
    ):
        created = notify(drafts=drafts)
    assert len(created) == 3 * per_user
    assert len(mail.outbox) == 3

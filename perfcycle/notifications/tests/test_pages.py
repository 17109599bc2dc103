"""The inbox and the top bar's badge: one's own notifications only."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from perfcycle.notifications.context_processors import notifications
from perfcycle.notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_inbox_lists_only_my_notifications(company, as_user):
    mine = NotificationFactory(user=company.direct.user, title="Call back ACME")
    NotificationFactory(user=company.manager.user, title="Not for Dan")
    response = as_user(company.direct.user).get(reverse("notifications:inbox"))
    assert response.status_code == 200
    html = response.content.decode()
    assert mine.title in html
    assert "Not for Dan" not in html


def test_unread_filter(company, as_user):
    NotificationFactory(user=company.direct.user, title="Old news")
    read = NotificationFactory(user=company.direct.user, title="Seen it")
    client = as_user(company.direct.user)
    client.post(reverse("notifications:read", args=[read.pk]))
    html = client.get(reverse("notifications:inbox") + "?unread=1").content.decode()
    assert "Old news" in html
    assert "Seen it" not in html


def test_badge_counts_unread_in_the_top_bar(company, as_user):
    NotificationFactory.create_batch(3, user=company.direct.user)
    NotificationFactory(user=company.manager.user)
    client = as_user(company.direct.user)
    html = client.get(reverse("home")).content.decode()
    assert 'class="badge warn"' in html
    assert "</span>3</span>" in html
    client.post(reverse("notifications:read_all"))
    html = client.get(reverse("home")).content.decode()
    assert 'class="badge warn"' not in html


def test_mark_read_and_mark_all_read(company, as_user):
    first, second = NotificationFactory.create_batch(2, user=company.direct.user)
    other = NotificationFactory(user=company.manager.user)
    client = as_user(company.direct.user)
    response = client.post(reverse("notifications:read", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    client.post(reverse("notifications:read_all"))
    second.refresh_from_db()
    other.refresh_from_db()
    assert second.read_at is not None
    assert other.read_at is None  # the manager's stays unread


def test_open_marks_read_and_goes_to_the_page(company, as_user):
    item = NotificationFactory(user=company.direct.user, url="/plan/")
    response = as_user(company.direct.user).post(reverse("notifications:open", args=[item.pk]))
    assert response.status_code == 302
    assert response.url == "/plan/"
    item.refresh_from_db()
    assert item.read_at is not None


def test_open_never_leaves_the_site(company, as_user):
    item = NotificationFactory(user=company.direct.user, url="https://evil.example/")
    response = as_user(company.direct.user).post(reverse("notifications:open", args=[item.pk]))
    assert response.url == reverse("notifications:inbox")


def test_someone_elses_notification_is_not_found(company, as_user):
    other = NotificationFactory(user=company.manager.user)
    client = as_user(company.direct.user)
    for name in ("notifications:read", "notifications:open"):
        assert client.post(reverse(name, args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_pages_need_sign_in_and_post(company, as_user):
    assert as_user(None).get(reverse("notifications:inbox")).status_code == 302
    client = as_user(company.direct.user)
    assert client.get(reverse("notifications:read_all")).status_code == 405


@pytest.mark.parametrize("count", [0, 1, 40])
def test_the_badge_count_is_one_query(company, count, django_assert_num_queries):
    NotificationFactory.create_batch(count, user=company.direct.user)
    request = RequestFactory().get("/")
    request.user = company.direct.user
    with django_assert_num_queries(1):
        context = notifications(request)
        assert int(str(context["unread_notifications"])) == count
        assert bool(context["unread_notifications"]) == (count > 0)


def test_no_query_for_visitors(db, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert notifications(request) == {"unread_notifications": 0}


def test_inbox_is_in_chinese_for_a_user_who_chose_it(company, as_user):
    from perfcycle.core.tests.test_translations import english_left, visible_text

    user = company.direct.user
    user.language = "zh-hans"
    user.save()
    NotificationFactory(user=user, title="已逾期：Call back ACME", body="")
    html = as_user(user).get(reverse("notifications:inbox")).content.decode()
    text = visible_text(html)
    assert "全部标为已读" in text
    assert "未读" in text
    assert english_left(text) == []

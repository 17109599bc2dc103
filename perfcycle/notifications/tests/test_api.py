"""``/api/v1/notifications``: strictly one's own; another user's id answers 404."""

from __future__ import annotations

import pytest

from perfcycle.notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_list_is_mine_only_and_paginated(company, as_user):
    NotificationFactory.create_batch(3, user=company.direct.user)
    NotificationFactory(user=company.manager.user)
    client = as_user(company.direct.user)
    body = client.get("/api/v1/notifications?limit=2").json()
    assert body["count"] == 3
    assert len(body["items"]) == 2
    item = body["items"][0]
    assert set(item) == {"id", "kind", "title", "body", "url", "created_at", "read_at"}
    assert item["read_at"] is None


def test_read_one_and_filter_unread(company, as_user):
    first, _second = NotificationFactory.create_batch(2, user=company.direct.user)
    client = as_user(company.direct.user)
    response = client.post(f"/api/v1/notifications/{first.pk}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert client.get("/api/v1/notifications?unread=true").json()["count"] == 1
    assert client.get("/api/v1/notifications?unread=false").json()["count"] == 1


def test_someone_elses_notification_answers_404(company, as_user):
    other = NotificationFactory(user=company.manager.user)
    response = as_user(company.direct.user).post(f"/api/v1/notifications/{other.pk}/read")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    other.refresh_from_db()
    assert other.read_at is None
    # HR sees everything in the company, but not other people's notifications.
    assert as_user(company.hr).post(f"/api/v1/notifications/{other.pk}/read").status_code == 404


def test_read_all_marks_only_mine(company, as_user):
    NotificationFactory.create_batch(2, user=company.direct.user)
    other = NotificationFactory(user=company.manager.user)
    client = as_user(company.direct.user)
    assert client.post("/api/v1/notifications/read-all").json() == {"marked": 2}
    assert client.post("/api/v1/notifications/read-all").json() == {"marked": 0}
    other.refresh_from_db()
    assert other.read_at is None


def test_needs_authentication(db, as_user):
    assert as_user(None).get("/api/v1/notifications").status_code == 401

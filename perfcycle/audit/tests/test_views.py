"""The audit trail page: HR reads and filters it; nobody else knows it is there."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.audit.services import audit_record
from perfcycle.org import services
from tests.pages import assert_phone_ready


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def trail(company):
    """A few events: HR renames Sales, the manager signs in, HR edits Dan."""
    services.department_update(
        actor=company.hr, department=company.sales, expected_version=1, name="Sales Team"
    )
    audit_record(
        actor=company.user("manager"),
        action=AuditAction.LOGIN,
        instance=company.user("manager"),
    )
    services.employee_update(
        actor=company.hr, employee=company.direct, expected_version=1, job_title="Lead"
    )
    return company


def shown(response) -> list[tuple[str, str, str]]:
    return [(e.actor_label, e.action, e.object_type) for e in response.context["page"]]


def test_hr_reads_the_whole_trail_newest_first(trail, as_user):
    response = as_user(trail.hr).get("/admin/audit/")
    assert response.status_code == 200
    assert shown(response) == [
        ("hr", "update", "org.employee"),
        ("manager", "login", "accounts.user"),
        ("hr", "update", "org.department"),
    ]
    page = text(response)
    assert "3 events" in page
    assert "<del>Sales</del> → <ins>Sales Team</ins>" in page
    assert_phone_ready(page)


@pytest.mark.parametrize("who", ["manager", "direct", "stranger"])
def test_others_are_told_it_does_not_exist(trail, as_user, who):
    response = as_user(trail.user(who)).get("/admin/audit/")
    assert response.status_code == 404
    assert "Sales Team" not in text(response)


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get("/admin/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_page_cannot_change_the_trail(trail, as_user):
    before = AuditEvent.objects.count()
    assert as_user(trail.hr).post("/admin/audit/", {"action": "login"}).status_code == 405
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"actor": "MANAGER"}, [("manager", "login", "accounts.user")]),
        (
            {"action": "update"},
            [("hr", "update", "org.employee"), ("hr", "update", "org.department")],
        ),
        ({"object_type": "org.department"}, [("hr", "update", "org.department")]),
        ({"text": "dan"}, [("hr", "update", "org.employee")]),
        ({"actor": "hr", "object_type": "org.employee"}, [("hr", "update", "org.employee")]),
        ({"actor": "nobody"}, []),
    ],
    ids=str,
)
def test_filters(trail, as_user, filters, expected):
    assert shown(as_user(trail.hr).get("/admin/audit/", filters)) == expected


def test_filter_by_object_id(trail, as_user):
    response = as_user(trail.hr).get(
        "/admin/audit/", {"object_type": "org.employee", "object_id": trail.direct.pk}
    )
    assert shown(response) == [("hr", "update", "org.employee")]


def test_filter_by_dates_uses_whole_local_days(trail, as_user):
    today = timezone.localdate()
    hr = as_user(trail.hr)
    assert len(shown(hr.get("/admin/audit/", {"date_from": today, "date_to": today}))) == 3
    tomorrow = today + dt.timedelta(days=1)
    assert shown(hr.get("/admin/audit/", {"date_from": tomorrow})) == []
    yesterday = today - dt.timedelta(days=1)
    assert shown(hr.get("/admin/audit/", {"date_to": yesterday})) == []


def test_object_type_choices_come_from_the_trail(trail, as_user):
    form = as_user(trail.hr).get("/admin/audit/").context["form"]
    choices = {value for value, _label in form.fields["object_type"].choices}
    assert choices == {"", "org.department", "org.employee", "accounts.user"}


def test_a_bad_filter_is_shown_and_the_good_ones_still_apply(trail, as_user):
    response = as_user(trail.hr).get(
        "/admin/audit/", {"actor": "manager", "date_from": "not-a-date"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date_from"]
    assert 'class="error"' in text(response)
    assert shown(response) == [("manager", "login", "accounts.user")]


def test_pages_keep_the_filters(trail, as_user):
    for _ in range(60):
        audit_record(actor=trail.hr, action=AuditAction.LOGIN, instance=trail.hr)
    response = as_user(trail.hr).get("/admin/audit/", {"action": "login", "page": 2})
    assert len(response.context["page"]) == 11
    page = text(response)
    assert "action=login&amp;page=1" in page
    assert "page=2&amp;page" not in page

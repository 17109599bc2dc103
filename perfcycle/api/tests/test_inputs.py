"""Input that a database cannot store answers 422 on every operation, never 500.

Each case was a server error found by fuzzing the API (tests/test_api_fuzz.py): NUL
characters and odd time zone offsets on PostgreSQL, integers past 64 bits on SQLite.
"""

import datetime as dt

import pytest
from django.test import Client

from perfcycle.api.inputs import _problems
from perfcycle.monitoring.models import CheckIn
from perfcycle.org.models import Department
from tests.factories import GoalFactory

API = "/api/v1"


@pytest.fixture
def hr_client(company) -> Client:
    client = Client()
    client.force_login(company.hr)
    return client


def _fields(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.content
    body = response.json()["error"]
    assert body["code"] == "validation_failed"
    return body["details"]["fields"]


def test_nul_in_a_search_filter(hr_client: Client) -> None:
    response = hr_client.get(f"{API}/departments", {"search": "Sa\x00les"})
    assert _fields(response) == {"search": ["Text may not contain NUL characters."]}


def test_nul_in_a_body(hr_client: Client) -> None:
    response = hr_client.post(
        f"{API}/departments",
        {"code": "NEW", "name": "New\x00department"},
        content_type="application/json",
    )
    assert _fields(response) == {"name": ["Text may not contain NUL characters."]}
    assert not Department.objects.filter(code="NEW").exists()


def test_an_id_past_64_bits_in_a_filter(hr_client: Client) -> None:
    huge = 2**83
    for path in ("/checkins", "/action-items", "/training", "/improvement-plans", "/feedback"):
        field = "cycle_id" if path == "/improvement-plans" else "employee_id"
        if path == "/feedback":
            field = "receiver_id"
        response = hr_client.get(f"{API}{path}", {field: huge})
        assert _fields(response) == {field: ["The number is too large."]}, path
    # The largest 64-bit id is fine: it matches nothing.
    response = hr_client.get(f"{API}/checkins", {"employee_id": 2**63 - 1})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_an_offset_past_the_largest_list(hr_client: Client) -> None:
    response = hr_client.get(f"{API}/departments", {"offset": 13318012132488704000})
    assert "offset" in _fields(response)
    response = hr_client.get(f"{API}/departments", {"offset": 2**31 - 1})
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_a_time_zone_offset_no_place_has(company, as_user) -> None:
    client = as_user(company.direct.user)
    response = client.post(
        f"{API}/checkins/request",
        {"proposed_for": "2026-12-01T10:00:00+19:26", "topic": "Targets"},
        content_type="application/json",
    )
    assert _fields(response) == {"proposed_for": ["The time zone offset is out of range."]}
    assert not CheckIn.objects.exists()


def test_a_time_that_leaves_the_calendar_in_utc(company, as_user) -> None:
    client = as_user(company.direct.user)
    response = client.post(
        f"{API}/checkins/request",
        {"proposed_for": "0001-01-01T03:00:00+10:00", "topic": "Targets"},
        content_type="application/json",
    )
    assert _fields(response) == {"proposed_for": ["The date is out of range."]}


def test_what_the_databases_take_passes() -> None:
    fine = {
        "text": "销售部 — ok",
        "number": -(2**63),
        "when": dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=14))),
        "naive": dt.datetime(2026, 12, 1, 10),
        "flag": True,
        "items": [1, "two", {"three": 3}],
    }
    assert list(_problems(fine, ["payload"])) == []
    bad = {"a": ["x", "y\x00"], "b": 2**63, "c\x00": 1}
    assert sorted(loc for loc, _ in _problems(bad, ["payload"])) == [
        ["payload"],
        ["payload", "a", 1],
        ["payload", "b"],
    ]


def test_a_score_preview_beyond_what_a_goal_stores(company, as_user) -> None:
    """The preview stores nothing, so no service checked its numbers: a huge actual over a
    tiny target overflowed the score's rounding."""
    client = as_user(company.user("stranger"))
    response = client.post(
        f"{API}/scoring/preview",
        {"actual": 7.204718023577408e16, "target": -4.2272504030541756e-35, "direction": "lower"},
        content_type="application/json",
    )
    assert set(_fields(response)) == {"actual", "target"}
    largest = client.post(
        f"{API}/scoring/preview",
        {"actual": "99999999999999.9999", "target": "0.0001", "rule_cap": "9999.99"},
        content_type="application/json",
    )
    assert largest.status_code == 200, largest.content
    assert largest.json()["points"] == "9999.99"


def test_a_what_if_beyond_what_a_goal_stores(company, as_user) -> None:
    goal = GoalFactory(employee=company.direct, target=20)
    response = as_user(company.user("direct")).post(
        f"{API}/goals/{goal.pk}/preview", {"actual": "1e30"}, content_type="application/json"
    )
    assert set(_fields(response)) == {"actual"}

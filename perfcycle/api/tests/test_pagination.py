"""Deep pages (``api.pagination.DEFERRED_FROM``): their keys first, then their rows — the
same items in the same order as one read would give."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from perfcycle.api import pagination
from perfcycle.org.models import Employee
from tests.factories import EmployeeFactory

API = "/api/v1"


@pytest.fixture
def crowd(company: Any) -> Any:
    """Fifteen more people, several sharing a name, numbered against the order they were
    made in (the order rows come in without one)."""
    for i in range(15):
        EmployeeFactory(employee_number=f"D{14 - i:03d}", name=f"Same {i % 4}", manager=company.top)
    return company


def pages(client: Client, path: str, limit: int) -> list[list[Any]]:
    total = client.get(path, {"limit": 1}).json()["count"]
    out = []
    for offset in range(0, total + limit, limit):
        body = client.get(path, {"limit": limit, "offset": offset}).json()
        assert body["count"] == total
        out.append(body["items"])
    return out


@pytest.mark.parametrize("path", ["/employees", "/departments"])
def test_a_deep_page_holds_what_one_read_gives(
    crowd: Any, as_user: Any, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    client = as_user(crowd.hr)
    read_once = pages(client, API + path, 4)
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 1)
    assert pages(client, API + path, 4) == read_once
    assert sum(map(len, read_once)) == client.get(API + path).json()["count"]


def test_a_deep_page_of_a_manager_keeps_their_scope(
    crowd: Any, as_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = as_user(crowd.user("manager"))
    read_once = pages(client, f"{API}/employees", 1)
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 1)
    assert pages(client, f"{API}/employees", 1) == read_once
    numbers = {item["employee_number"] for page in read_once for item in page}
    assert numbers and not numbers & {"C020", "D000"}  # a stranger, a new colleague of theirs


def test_a_deep_page_reads_its_keys_then_its_rows(
    crowd: Any, as_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = as_user(crowd.hr)
    params = {"limit": 3, "offset": 6}
    with CaptureQueriesContext(connection) as plain:
        expected = client.get(f"{API}/employees", params).json()
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 6)
    with CaptureQueriesContext(connection) as deferred:
        assert client.get(f"{API}/employees", params).json() == expected
    assert len(deferred) == len(plain) + 1
    keys = [q["sql"] for q in deferred.captured_queries if "OFFSET" in q["sql"].upper()]
    assert len(keys) == 1
    selected = keys[0][: keys[0].upper().index(" FROM ")]
    assert "employee_number" not in selected and "email" not in selected  # the keys alone


def test_a_row_gone_between_the_two_reads_is_left_out(
    crowd: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 1)
    rows = Employee.objects.filter(name__startswith="Same").order_by("name", "pk")
    expected = list(rows[2:6])
    gone = expected[1]

    class Vanishing(type(rows)):
        def filter(self, *args: Any, **kwargs: Any) -> Any:
            Employee.objects.filter(pk=gone.pk).delete()  # after the keys were read
            return super().filter(*args, **kwargs)

    rows.__class__ = Vanishing
    assert pagination._page(rows, 2, 4) == [e for e in expected if e.pk != gone.pk]


@pytest.mark.parametrize(
    "rows",
    [
        lambda: Employee.objects.order_by("name", "pk").values("pk", "name"),
        lambda: Employee.objects.order_by("name", "pk").values_list("pk", flat=True),
        lambda: Employee.objects.order_by("name", "pk").distinct(),
        lambda: (
            Employee.objects.filter(pk__lt=5)
            .order_by()
            .union(Employee.objects.filter(pk__gte=5).order_by())
            .order_by("pk")
        ),
    ],
)
def test_other_lists_are_read_at_once(
    crowd: Any, monkeypatch: pytest.MonkeyPatch, rows: Any
) -> None:
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 1)
    with CaptureQueriesContext(connection) as queries:
        page = pagination._page(rows(), 3, 5)
    assert len(queries) == 1
    assert len(page) == 5

"""Bulk rows (``core.bulk.insert_rows``): what the database gets, how it is counted, and
how a failure comes out, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from perfcycle.audit.models import AuditEvent
from perfcycle.core.bulk import insert_rows
from perfcycle.org.models import Department

NOW = dt.datetime(2026, 3, 31, 9, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_rows_get_defaults_timestamps_and_ids_from_the_database():
    existing = Department.objects.create(code="OLD", name="Old")
    with CaptureQueriesContext(connection) as ctx:
        count = insert_rows(
            Department,
            ["code", "name"],
            [(f"D{i}", f"Department {i}") for i in range(3)],
            now=NOW,
            constants={"path": "/x/"},
        )
    assert count == 3
    assert len(ctx.captured_queries) == 1  # one statement, recorded like Django's own
    assert ctx.captured_queries[0]["sql"].startswith("3 rows: ")
    rows = list(Department.objects.filter(code__startswith="D").order_by("code"))
    assert [d.name for d in rows] == ["Department 0", "Department 1", "Department 2"]
    assert all(d.pk > existing.pk for d in rows)
    assert {(d.version, d.path, d.parent_id, d.created_at, d.updated_at) for d in rows} == {
        (1, "/x/", None, NOW, NOW)
    }
    assert Department.objects.create(code="NEW", name="New").pk > max(d.pk for d in rows)


@pytest.mark.django_db
def test_json_and_datetime_columns_are_converted():
    insert_rows(
        AuditEvent,
        ["at", "action", "source", "object_type", "after"],
        [(NOW, "import", "system", "test.thing", {"n": 1, "names": ["a", "é"]})],
        now=NOW,
    )
    event = AuditEvent.objects.get(object_type="test.thing")
    assert (event.at, event.after, event.before, event.reason) == (
        NOW,
        {"n": 1, "names": ["a", "é"]},
        None,
        "",
    )


@pytest.mark.django_db
def test_a_broken_constraint_is_djangos_integrity_error():
    Department.objects.create(code="SAME", name="First")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Department, ["code", "name"], [("SAME", "Second")], now=NOW)
    assert list(Department.objects.values_list("name", flat=True)) == ["First"]

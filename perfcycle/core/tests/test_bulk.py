"""Bulk rows (``core.bulk.insert_rows``): what the database gets, how it is counted, and
how a failure comes out, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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


@pytest.mark.django_db
def test_copy_text_is_what_psycopg_would_write(monkeypatch):
    """PostgreSQL: rows written as COPY text a column at a time land as psycopg's own
    row-by-row formatting lands them — escapes, nulls, dates, decimals, booleans."""
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    from perfcycle.core import bulk
    from perfcycle.cycles.models import Cycle
    from perfcycle.monitoring.models import Actual
    from perfcycle.planning.models import Goal

    cycle = Cycle.objects.create(
        name="Copy", period_type="quarter", start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 3, 31),
    )  # fmt: skip
    goal = Goal.objects.create(
        cycle=cycle, owner_type="company", title="G", kind="kpi", weight=Decimal(10)
    )
    notes = ["", "tab\there", "line\nfeed", "back\\slash\\N", "cr\rx", "中文，备注", "\\."]
    values = ["0", "-1.5", "12345678901234.1234", "1E+2", "0.0001", "-0", "7"]
    names = ["goal_id", "period", "period_start", "value", "note", "revision"]
    rows = [
        (goal.pk, f"P{i}", dt.date(2026, 1, 1 + i), Decimal(v), note, i + 1)
        for i, (v, note) in enumerate(zip(values, notes, strict=True))
    ]
    constants = {"source": "imported", "batch": "file:a\tb.csv", "is_current": False,
                 "entered_by_id": None, "entered_at": NOW}  # fmt: skip

    def written() -> list[tuple]:
        return list(
            Actual.objects.order_by("period").values_list(
                "period", "period_start", "value", "note", "revision", "source", "batch",
                "is_current", "entered_by_id", "entered_at",
            )
        )  # fmt: skip

    bulk.insert_rows(Actual, names, rows, now=NOW, constants=constants)
    fast = written()
    Actual.objects.all().delete()
    monkeypatch.setattr(bulk, "copy_formats", lambda fields: None)  # psycopg's write_row
    bulk.insert_rows(Actual, names, rows, now=NOW, constants=constants)
    assert written() == fast
    assert [row[3] for row in fast] == notes
    assert fast[0][5:] == ("imported", "file:a\tb.csv", False, None, NOW)


@pytest.mark.django_db
def test_a_large_write_refreshes_its_tables_statistics_and_a_small_one_does_not(monkeypatch):
    from perfcycle.core import bulk

    def analyzed(rows: int) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            bulk.analyze_large_write([Department, AuditEvent], rows)
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]

    monkeypatch.setattr(bulk, "ANALYZE_ROWS", 3)
    assert analyzed(2) == []
    quote = connection.ops.quote_name
    assert analyzed(3) == [
        f"ANALYZE {quote(Department._meta.db_table)}",
        f"ANALYZE {quote(AuditEvent._meta.db_table)}",
    ]
    if connection.vendor == "sqlite":  # a sample of each index, then back to all of it
        with CaptureQueriesContext(connection) as queries:
            bulk.analyze_large_write([Department], 3)
        sql = [q["sql"] for q in queries.captured_queries]
        assert sql[0] == f"PRAGMA analysis_limit = {bulk.SQLITE_ANALYSIS_LIMIT}"
        assert sql[-1] == "PRAGMA analysis_limit = 0"
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit")
            assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("batch", ["file:O'Brien's \"Q3\"; DROP TABLE x; -- 销售.csv", "a\x00b"])
def test_constant_columns_arrive_as_given(batch):
    """Constants are written into SQLite's statement as literals (quotes doubled), or bound
    on every row where one cannot be (a NUL); either way the rows read back the same."""
    if "\x00" in batch and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL's text holds no NUL")
    from perfcycle.monitoring.models import Actual, ActualSource
    from tests.factories import EmployeeFactory, GoalFactory

    goal = GoalFactory(employee=EmployeeFactory())
    with CaptureQueriesContext(connection) as ctx:
        insert_rows(
            Actual,
            ["goal_id", "period", "period_start", "revision"],
            [(goal.pk, f"2026-0{m}", dt.date(2026, m, 1), m) for m in (1, 2)],
            now=NOW,
            constants={
                "value": Decimal("12.3400"),
                "note": "it's \\ fine",
                "source": ActualSource.IMPORTED,
                "entered_at": NOW,
                "entered_by_id": None,
                "is_current": False,
                "batch": batch,
            },
        )
    literal = "'file:O''Brien''s" in ctx.captured_queries[-1]["sql"]
    assert literal == (connection.vendor == "sqlite" and "\x00" not in batch)
    rows = list(
        Actual.objects.filter(goal=goal)
        .order_by("period")
        .values_list("period", "period_start", "revision", "value", "note", "source",
                     "entered_at", "entered_by_id", "is_current", "batch")
    )  # fmt: skip
    assert rows == [
        (f"2026-0{m}", dt.date(2026, m, 1), m, Decimal("12.34"), "it's \\ fine", "imported",
         NOW, None, False, batch)
        for m in (1, 2)
    ]  # fmt: skip

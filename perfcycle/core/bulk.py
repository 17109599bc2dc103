"""Bulk rows straight into a model's table: COPY on PostgreSQL, ``executemany`` on SQLite.

For the few writes whose size makes Django model instances per row cost more than the
database does: the synthetic company (``perfcycle.synth``), the benchmarks' floors and
the review forms of a whole cycle (``evaluation.assignment.assignment_generate``).
Columns not named take the field's default (timestamps: one ``now``), prepared once;
named columns are passed as given except where the backend needs a conversion (JSON on
both, dates on SQLite). Nothing here checks the rows: the caller has validated them,
and the database's constraints still apply.

Each statement is recorded in ``connection.queries`` like Django's own when queries are
logged (``DEBUG``, ``CaptureQueriesContext``, ``django_assert_num_queries``), and the
driver's errors come out as Django's (``IntegrityError``, …).
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from itertools import islice
from operator import methodcaller
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from psycopg.copy import QueuedLibpqWriter

SQLITE_BATCH = 50_000
COPY_BATCH = 20_000  # rows per piece of COPY text written at once
# COPY's text format: a backslash, tab, line feed or carriage return in a text is escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_TEXT: dict[str, Callable[[Any], str]] = {
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveBigIntegerField",
            "PositiveSmallIntegerField",
            "DecimalField",
        ),
        str,
    ),
    **dict.fromkeys(
        ("CharField", "TextField", "SlugField", "EmailField"),
        methodcaller("translate", _COPY_ESCAPES),
    ),
    "DateField": str,  # a date's ISO text, or that text given already
    "DateTimeField": dt.datetime.isoformat,
    "BooleanField": lambda value: "t" if value else "f",
}


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """What Django stores for an aware datetime on SQLite: naive UTC text."""
    if value is None:
        return None
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def column_converters(fields: Sequence[models.Field]) -> list[tuple[int, Callable[[Any], Any]]]:
    """Per column, the conversion a raw driver needs beyond what its adapters do
    (psycopg and Django's sqlite3 adapters take decimals and dates as they are): JSON
    encoded, and on SQLite aware datetimes as the naive UTC text Django stores."""
    is_pg = connection.vendor == "postgresql"
    out: list[tuple[int, Callable[[Any], Any]]] = []
    for i, f in enumerate(fields):
        if isinstance(f, models.JSONField):
            out.append((i, lambda v, f=f: f.get_db_prep_save(v, connection)))
        elif isinstance(f, models.DateTimeField) and not is_pg:
            out.append((i, _sqlite_datetime))
    return out


def copy_formats(fields: Sequence[models.Field]) -> list[Callable[[Any], str]] | None:
    """How each field's values are written in COPY's text format, or None when some field
    is of a type not written here (psycopg then formats each row itself)."""
    formats = []
    for field in fields:
        target = field.target_field if field.is_relation else field
        write = _COPY_TEXT.get(target.get_internal_type())
        if write is None:
            return None
        if field.null:
            write = lambda value, write=write: "\\N" if value is None else write(value)  # noqa: E731
        formats.append(write)
    return formats


def copy_text(
    rows: Iterable[Sequence[Any]], formats: list[Callable[[Any], str]], tail: str
) -> Iterator[tuple[int, str]]:
    """``rows`` as COPY text, ``COPY_BATCH`` rows at a time: (rows, text). Each column of a
    batch is formatted in one pass (``map``) rather than row by row as psycopg's
    ``write_row`` does (1,000,000 actuals: ~4 s → ~1 s); ``tail`` ends every line (the
    constant columns and the line feed)."""
    it = iter(rows)
    while batch := list(islice(it, COPY_BATCH)):
        columns = [
            list(map(write, column))
            for write, column in zip(formats, zip(*batch, strict=True), strict=True)
        ]
        yield len(batch), tail.join(map("\t".join, zip(*columns, strict=True))) + tail


def _constant(field: models.Field, now: dt.datetime, given: dict[str, Any]) -> Any:
    if field.attname in given:
        value = given[field.attname]
    elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        value = now
    else:
        value = field.get_default()
    return field.get_db_prep_save(value, connection)


def _logged(sql: str, rows: int, started: float) -> None:
    """Record one bulk statement where Django records its queries, if it does."""
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{rows} rows: {sql}", "time": f"{time.monotonic() - started:.3f}"}
        )


def _sqlite_literal(value: Any) -> str | None:
    """``value`` as an SQLite literal, for the types a constant column takes here (the
    text a decimal's adapter would bind, quoted), or None for any other."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return str(value)
    if isinstance(value, Decimal) and value.is_finite():
        value = str(value)
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"  # SQLite's only escape in a literal
    return None


def _sqlite_literals(values: Sequence[Any]) -> list[str] | None:
    """Every value as a literal, or None if one cannot be written as one. On SQLite the
    constant columns are then written into the ``INSERT`` once instead of being bound
    on every row: 1,000,000 actuals with seven constant columns ~1 s sooner."""
    literals = list(map(_sqlite_literal, values))
    return None if None in literals else literals  # type: ignore[return-value]


def _converted(
    rows: Iterable[Sequence[Any]], prep: list[tuple[int, Callable[[Any], Any]]]
) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        values = list(row)
        for i, convert in prep:
            values[i] = convert(values[i])
        yield tuple(values)


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    now: dt.datetime,
    constants: dict[str, Any] | None = None,
    queued: bool = False,
) -> int:
    """Insert ``rows`` (values for ``names``, attnames) into ``model``'s table; the other
    concrete columns get ``constants`` or their defaults. Without ``id`` among ``names``
    the database numbers the rows. Returns the count.

    One statement on PostgreSQL (``COPY``), one per 50,000 rows on SQLite. ``queued``:
    on PostgreSQL the ``COPY``'s text is queued in memory and sent by a second thread,
    so that making ``rows`` runs ahead of the server instead of waiting for it to take
    each block; what ``rows`` does after its last row (an iterator's own work once it
    is done) then runs while the server is still writing the rows before it. The queue
    holds at most psycopg's 1,024 blocks (~32 MB and up). On SQLite each batch is
    handed to a second thread as one statement (``_sqlite_queued``), two at most
    waiting. Either way ``rows`` must not use the database while it is read."""
    constants = constants or {}
    fields = {f.attname: f for f in model._meta.concrete_fields}
    named = [fields[n] for n in names]
    rest = [f for f in fields.values() if f.attname not in names and not f.primary_key]
    const_values = tuple(_constant(f, now, constants) for f in rest)
    columns = [f.column for f in named] + [f.column for f in rest]
    table = connection.ops.quote_name(model._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    is_pg = connection.vendor == "postgresql"
    prep = column_converters(named)

    def prepared() -> Iterable[tuple[Any, ...]]:
        for row in _converted(rows, prep) if prep else rows:
            yield (*row, *const_values)

    count = 0
    connection.validate_no_broken_transaction()
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        if is_pg:
            sql = f"COPY {table} ({column_sql}) FROM STDIN"
            started = time.monotonic()
            formats = copy_formats(named + rest) if named and not prep else None
            writer = QueuedLibpqWriter(raw) if queued else None
            with raw.copy(sql, writer=writer) as copy:
                if formats is None:
                    for row in prepared():
                        copy.write_row(row)
                        count += 1
                else:
                    tail = "".join(
                        "\t" + ("\\N" if value is None else write(value))
                        for write, value in zip(formats[len(named) :], const_values, strict=True)
                    )
                    for size, text in copy_text(rows, formats[: len(named)], tail + "\n"):
                        copy.write(text)
                        count += size
            _logged(sql, count, started)
        else:
            literals = _sqlite_literals(const_values)
            if literals is not None:  # the constants written into the statement once
                parts = ["?"] * len(named) + literals
                rows_out: Iterable[Sequence[Any]] = _converted(rows, prep) if prep else rows
            else:
                parts = ["?"] * len(columns)
                rows_out = prepared()
            marks = ", ".join(parts)
            sql = f"INSERT INTO {table} ({column_sql}) VALUES ({marks})"  # noqa: S608 (model metadata, literals quoted)
            if queued:
                return _sqlite_queued(raw.connection, sql, table, column_sql, parts, rows_out)
            batch: list[Sequence[Any]] = []

            def flush() -> None:
                started = time.monotonic()
                raw.executemany(sql, batch)
                _logged(sql, len(batch), started)

            for row in rows_out:
                batch.append(row)
                if len(batch) >= SQLITE_BATCH:
                    flush()
                    count += len(batch)
                    batch = []
            if batch:
                flush()
                count += len(batch)
    return count


def _json_value(value: Any) -> Any:
    """A value JSON has no type for, as the text SQLite's adapters would bind for it."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


_to_json = json.JSONEncoder(
    ensure_ascii=False, check_circular=False, allow_nan=False, default=_json_value
).encode


def _sqlite_queued(
    db: sqlite3.Connection,
    row_sql: str,
    table: str,
    column_sql: str,
    parts: list[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """``insert_rows(queued=True)`` on SQLite: each batch of rows becomes one JSON text,
    inserted by a second thread in one statement (``INSERT … SELECT … FROM json_each``)
    while this one goes on making the next batch. SQLite lets go of Python's lock while
    a statement runs, but only between rows for ``executemany``: with this thread busy,
    the writer would wait for the lock after every row (1,000,000 actuals: 3 s → 30 s);
    one statement a batch waits once per 50,000 rows. The writer uses this thread's
    connection (the same transaction), so ``rows`` must not use the database (as for
    COPY). Values JSON has no type for are written as the text SQLite's adapters bind
    (decimals, dates); a batch with any other (bytes, say) is bound row by row
    (``row_sql``, the plain insert's statement)."""
    picked = iter(range(len(parts)))  # the n-th value of a row for the n-th "?"
    select = ", ".join(
        f"json_extract(value, '$[{next(picked)}]')" if part == "?" else part for part in parts
    )
    json_sql = f"INSERT INTO {table} ({column_sql}) SELECT {select} FROM json_each(?)"  # noqa: S608 (model metadata, literals quoted)
    batches: queue.Queue[list[Sequence[Any]] | str | None] = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def write() -> None:
        while (batch := batches.get()) is not None:
            if failed:
                continue  # keep taking batches, or the maker would wait for ever
            try:
                if isinstance(batch, str):
                    db.execute(json_sql, (batch,))
                else:
                    db.executemany(row_sql, batch)
            except BaseException as error:  # raised again in the caller's thread
                failed.append(error)

    started = time.monotonic()
    written = 0
    writer = threading.Thread(target=write, name="perfcycle-bulk-insert", daemon=True)
    writer.start()
    try:
        it = iter(rows)
        while not failed and (batch := list(islice(it, SQLITE_BATCH))):
            try:
                batches.put(_to_json(batch))
            except (TypeError, ValueError):
                batches.put(batch)
            written += len(batch)
    finally:
        batches.put(None)
        writer.join()
    if failed:
        raise failed[0]
    _logged(json_sql, written, started)
    return written


def next_id(model: type[models.Model]) -> int:
    """The first free primary key: rows are inserted with ids we chose, so that paths and
    foreign keys are known before anything is written (only where nobody else writes
    the table at the same time: a load into a fresh company)."""
    top = model._base_manager.aggregate(top=models.Max("pk"))["top"]
    return (top or 0) + 1


def reset_sequences(model_list: Sequence[type[models.Model]]) -> None:
    """After inserting explicit ids, move PostgreSQL's id sequences past them."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@contextmanager
def foreign_keys_checked_at_end(model_list: Sequence[type[models.Model]]) -> Iterator[None]:
    """PostgreSQL: drop the tables' foreign keys for the load and add them back after, so
    each is validated in one set-based scan instead of one deferred trigger per row at
    commit (minutes at millions of rows). The DDL is part of the transaction: a failed
    load rolls it back with the rows. Elsewhere it does nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    quote = connection.ops.quote_name
    saved: list[tuple[str, str, str]] = []
    with connection.cursor() as cursor:
        # Fire checks already queued in this transaction: a table with pending trigger
        # events cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in model_list:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                [table],
            )
            for name, definition in cursor.fetchall():
                saved.append((table, name, definition))
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    yield
    with connection.cursor() as cursor:
        for table, name, definition in saved:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


def analyze(model_list: Sequence[type[models.Model]]) -> None:
    """Fresh planner statistics, so the first queries after a load get good plans (on
    SQLite for the whole database: the synthetic company's small tables too)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        _analyze_tables(model_list)


ANALYZE_ROWS = 10_000
"""A write of this many rows or more refreshes its tables' planner statistics at once."""

SQLITE_ANALYSIS_LIMIT = 1000
"""Rows SQLite reads of each index when refreshing statistics after a large write
(``PRAGMA analysis_limit``): estimates good enough to plan by, in milliseconds, where
reading every index took 125 ms for 200,000 employees and 376 ms for 1,200,000 forms."""


def analyze_large_write(model_list: Sequence[type[models.Model]], rows: int) -> None:
    """After writing ``rows`` rows into ``model_list``'s tables: fresh statistics for
    those tables when the write is large. A cycle's 100,000 results or 600,000 forms
    written into a table the planner last saw (nearly) empty otherwise get plans made
    for the old size — a sort of the whole cycle behind a page of the results list,
    150 ms instead of 1 — until autovacuum catches up (PostgreSQL, within minutes) or
    for good (SQLite, which has no such thing). Costs tens to hundreds of milliseconds
    on PostgreSQL (a sample of each table), a few on SQLite (``SQLITE_ANALYSIS_LIMIT``);
    nothing for small writes."""
    if rows < ANALYZE_ROWS:
        return
    if connection.vendor != "sqlite":
        _analyze_tables(model_list)
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        try:
            _analyze_tables(model_list)
        finally:
            cursor.execute("PRAGMA analysis_limit = 0")


def _analyze_tables(model_list: Sequence[type[models.Model]]) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in model_list:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")

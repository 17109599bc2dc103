"""Set-based reads and writes for imports of many rows.

- ``among(keys)``: the right-hand side of ``field__in`` for any number of keys in one
  query parameter (a PostgreSQL array, an SQLite JSON list), so a file of 100,000 rows
  looks up each referenced table once, whatever the database's limit on parameters.
- ``reserve_ids(model, count)``: primary keys for rows not written yet, so a tree's
  materialised paths are known before its rows are written, and each row is written once.
- ``insert_rows`` / ``update_rows``: many rows in a few statements, ``COPY`` on
  PostgreSQL and ``executemany`` on SQLite, without a model instance per row.

Call them inside ``transaction.atomic``; on SQLite the transaction is ``IMMEDIATE``
(settings), so the write lock is held from its start and the ids reserved stay free.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from itertools import islice
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from perfcycle.core import bulk as core_bulk
from perfcycle.core.bulk import column_converters

SQLITE_BATCH = 20_000
# Below this many keys a plain ``IN (…)`` list is as good and works everywhere.
PLAIN_IN_LIMIT = 500


def among(keys: Collection[Any], *, integers: bool = False) -> Any:
    """What to pass to ``field__in`` for ``keys``: the keys themselves when they are few,
    else one subquery over one parameter holding them all."""
    keys = list(keys)
    if len(keys) <= PLAIN_IN_LIMIT or connection.vendor not in {"postgresql", "sqlite"}:
        return keys
    if connection.vendor == "postgresql":
        if integers:  # an array literal is written far faster than psycopg dumps a list
            literal = "{" + ",".join(str(int(key)) for key in keys) + "}"
            return RawSQL("SELECT unnest(%s::bigint[])", [literal])
        return RawSQL("SELECT unnest(%s::text[])", [keys])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(keys)])


def fetch_rows(queryset: models.QuerySet) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset fetched at once, not a hundred at a time as
    iterating it does, with the backend's converters (SQLite's decimals and booleans)
    applied a column at a time and only to values that are not null: 500,000 goals read
    on SQLite in ~1.1 s instead of ~1.8 s."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = compiler.get_converters(
        [expression for expression, _sql, _alias in compiler.select]
    )
    if not rows or not converters:
        return rows
    db = connections[queryset.db]
    columns = [list(column) for column in zip(*rows, strict=True)]
    for index, (functions, expression) in converters.items():
        converted = columns[index]
        for i, value in enumerate(converted):
            if value is not None:
                for function in functions:
                    value = function(value, expression, db)
                converted[i] = value
    return list(zip(*columns, strict=True))


def more_memory(megabytes: int = 64) -> None:
    """PostgreSQL, inside a transaction: let its sorts and hashes use ``megabytes`` each
    until it ends, so that reading or joining half a million keys at once stays in
    memory rather than spilling to disk (the server's default is 4 MB). Elsewhere it
    does nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [f"{int(megabytes)}MB"])


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` primary keys for new rows of ``model``, inside a transaction. Write the
    rows with them before any other row of that table: on SQLite they are the ids the
    next rows would get."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                # The sequence is named once (an InitPlan), not looked up for every id:
                # 100,000 ids 0.7 s → 0.08 s.
                "SELECT nextval((SELECT pg_get_serial_sequence(%s, %s))::regclass) "
                "FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")  # noqa: S608
        top = cursor.fetchone()[0] or 0
    # SQLite: the transaction holds the write lock, so nobody else takes these ids;
    # AUTOINCREMENT is not used, so the next id is still the largest plus one.
    return list(range(top + 1, top + 1 + count))


def _prepared(
    rows: Iterable[Sequence[Any]], convert: list[tuple[int, Callable[[Any], Any]]], tail: tuple
) -> Iterable[tuple[Any, ...]]:
    if not convert:
        for row in rows:
            yield (*row, *tail)
        return
    for row in rows:
        values = list(row)
        for i, conv in convert:
            values[i] = conv(values[i])
        yield (*values, *tail)


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterable[list[tuple[Any, ...]]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    constants: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Insert ``rows`` (values for the attnames ``names``) into ``model``'s table
    (``core.bulk.insert_rows``; ``now`` defaults to the current time). Returns the
    count."""
    return core_bulk.insert_rows(model, names, rows, now=now or timezone.now(), constants=constants)


def update_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    expressions: dict[str, str] | None = None,
) -> int:
    """Set the columns ``names[1:]`` of the rows whose primary key is the first value of
    each row, and the columns of ``expressions`` (column -> SQL over the row's own columns,
    e.g. ``{"inputs_stamp": "inputs_stamp + 1"}``) in the same statement. PostgreSQL: the
    rows are copied into a temporary table and applied in one ``UPDATE … FROM``; SQLite:
    the same for more than ``SQLITE_BATCH`` rows (SQLite 3.33 and later), else
    ``executemany`` by primary key."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    named = [fields[n] for n in names]
    if not named[0].primary_key:
        raise ValueError("The first column must be the primary key.")
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    prepared = list(_prepared(rows, column_converters(named), ()))
    if not prepared:
        return 0
    temp = quote(f"_upd_{model._meta.db_table}")
    column_sql = ", ".join(quote(f.column) for f in named)
    pk = quote(named[0].column)
    joined_sets = ", ".join(
        [f"{quote(f.column)} = u.{quote(f.column)}" for f in named[1:]]
        + [f"{quote(c)} = {sql}" for c, sql in (expressions or {}).items()]
    )
    # Bounded by the rows' lowest and highest keys, the join reads the table's primary key
    # index over that range, not the whole table: 500,000 goals of one cycle updated beside
    # another cycle's 500,000 in 3.5 s instead of 3.8 s, and the gap grows with the table.
    keys = [row[0] for row in prepared]
    joined = (
        f"UPDATE {table} SET {joined_sets} FROM {temp} u WHERE {table}.{pk} = u.{pk} "  # noqa: S608 (metadata)
        f"AND {table}.{pk} BETWEEN %s AND %s"
    )
    bounds = [min(keys), max(keys)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TABLE IF EXISTS {temp}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "  # noqa: S608 (metadata)
                f"SELECT {column_sql} FROM {table} WITH NO DATA"
            )
            formats = core_bulk.copy_formats(named)
            with cursor.cursor.copy(f"COPY {temp} ({column_sql}) FROM STDIN") as copy:
                if formats is None:
                    for row in prepared:
                        copy.write_row(row)
                else:  # COPY's text written a column at a time (core.bulk.copy_text)
                    for _size, text in core_bulk.copy_text(prepared, formats, "\n"):
                        copy.write(text)
            cursor.execute(joined, bounds)
            cursor.execute(f"DROP TABLE {temp}")
            return len(prepared)
        if connection.Database.sqlite_version_info >= (3, 33) and len(prepared) > SQLITE_BATCH:
            # Many rows: into a temporary table, then one UPDATE … FROM (SQLite 3.33+),
            # half the time of one UPDATE per row (500,000 goals: 3.0 s → 1.6 s).
            cursor.execute(f"DROP TABLE IF EXISTS temp.{temp}")
            cursor.execute(f"CREATE TEMP TABLE {temp} ({column_sql})")
            marks = ", ".join(["%s"] * len(named))
            insert = f"INSERT INTO temp.{temp} ({column_sql}) VALUES ({marks})"  # noqa: S608
            for batch in _batches(prepared, SQLITE_BATCH):
                cursor.executemany(insert, batch)
            cursor.execute(joined, bounds)
            cursor.execute(f"DROP TABLE temp.{temp}")
            return len(prepared)
        sets = ", ".join(
            [f"{quote(f.column)} = %s" for f in named[1:]]
            + [f"{quote(c)} = {sql}" for c, sql in (expressions or {}).items()]
        )
        sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608
        for batch in _batches(((*row[1:], row[0]) for row in prepared), SQLITE_BATCH):
            cursor.executemany(sql, batch)
    return len(prepared)

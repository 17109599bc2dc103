"""SQLite: online copies with the backup API, restores through SQLite's locks, checksums.

A copy is made in one backup step, i.e. inside one read transaction on the source: a
consistent snapshot, while other connections go on writing (in WAL mode readers never
block writers). A restore copies the backup into the live database the same way, as one
write transaction: a server that has the file open sees the restored data at its next
transaction, rather than writing on into a file renamed away under it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext as _

from perfcycle.core.backup.base import (
    FETCH_ROWS,
    LOCK_WAIT_SECONDS,
    BackupError,
    TableChecksum,
    digest_rows,
    quote_name,
)

_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' "
    "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
)


def sqlite_table_checksums(conn: sqlite3.Connection) -> dict[str, TableChecksum]:
    """Row count and checksum of every table, in one read transaction.

    Each row is its columns' SQL literals (``quote()``, made by SQLite, so no conversion
    on the way), in primary-key order, streamed in chunks.
    """
    own_transaction = not conn.in_transaction
    if own_transaction:
        conn.execute("BEGIN DEFERRED")
    try:
        result: dict[str, TableChecksum] = {}
        for (table,) in conn.execute(_TABLES).fetchall():
            columns = conn.execute(f"PRAGMA table_info({quote_name(table)})").fetchall()
            # (cid, name, type, notnull, default, pk): pk is the column's place in the key.
            key = [c[1] for c in sorted((c for c in columns if c[5]), key=lambda c: c[5])]
            text = " || ',' || ".join(f"quote({quote_name(c[1])})" for c in columns)
            order = ", ".join(quote_name(k) for k in key) or "1"
            cursor = conn.execute(f"SELECT {text} FROM {quote_name(table)} ORDER BY {order}")  # noqa: S608
            result[table] = digest_rows(_chunks(cursor))
        return result
    finally:
        if own_transaction:
            conn.execute("COMMIT")


def _chunks(cursor: sqlite3.Cursor) -> Iterator[list[bytes]]:
    while batch := cursor.fetchmany(FETCH_ROWS):
        yield [row[0].encode() for row in batch]


def sqlite_integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """SQLite's ``integrity_check``: empty when the file is sound."""
    rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def _backup(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """Copy ``source`` into ``target`` in one step, waiting at most LOCK_WAIT_SECONDS."""
    start = time.monotonic()
    waiting = {getattr(sqlite3, "SQLITE_BUSY", 5), getattr(sqlite3, "SQLITE_LOCKED", 6)}

    def progress(status: int, remaining: int, total: int) -> None:
        # Python retries a busy step for ever; give up with a clear message instead.
        if status in waiting and time.monotonic() - start > LOCK_WAIT_SECONDS:
            raise BackupError(
                _("The database stayed locked by another connection for %(s)s seconds.")
                % {"s": LOCK_WAIT_SECONDS}
            )

    # pages=-1: everything in one step, i.e. in one transaction on each side.
    source.backup(target, pages=-1, progress=progress, sleep=0.1)


def sqlite_copy(source: sqlite3.Connection, path: Path) -> None:
    """An online copy of ``source`` into a new single file (no WAL), checked for integrity."""
    target = sqlite3.connect(path, isolation_level=None)
    try:
        _backup(source, target)
        target.execute("PRAGMA journal_mode=DELETE")
        problems = sqlite_integrity_problems(target)
    finally:
        target.close()
    if problems:
        raise BackupError(
            _("The copy failed the integrity check: %(problems)s")
            % {"problems": "; ".join(problems[:5])}
        )


def sqlite_open_copy(path: Path) -> sqlite3.Connection:
    """A read-only connection to a copy (a backup's database file)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)


def sqlite_load(path: Path, target: sqlite3.Connection) -> None:
    """Replace everything in ``target`` with the database file at ``path`` (one transaction)."""
    source = sqlite_open_copy(path)
    try:
        source_page = source.execute("PRAGMA page_size").fetchone()[0]
        target_page = target.execute("PRAGMA page_size").fetchone()[0]
        target_mode = target.execute("PRAGMA journal_mode").fetchone()[0]
        if source_page != target_page and target_mode == "wal":
            raise BackupError(
                _(
                    "The backup's page size (%(source)s) differs from the database's "
                    "(%(target)s); restore into a new, empty database file."
                )
                % {"source": source_page, "target": target_page}
            )
        _backup(source, target)
    finally:
        source.close()
    # Move the restored pages from the write-ahead log into the file now (best effort:
    # a reader still on its old snapshot only delays that).
    target.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


@contextlib.contextmanager
def sqlite_connection(
    connection: BaseDatabaseWrapper, *, must_exist: bool
) -> Iterator[sqlite3.Connection]:
    """A plain connection to the configured SQLite database: a new one for a file, Django's
    own for an in-memory database (tests), which then must not be in a transaction."""
    if connection.is_in_memory_db():
        connection.ensure_connection()
        raw = connection.connection
        if connection.in_atomic_block or raw.in_transaction:
            raise BackupError(_("Backup and restore cannot run inside a transaction."))
        yield raw
        return
    name = Path(connection.settings_dict["NAME"])
    if must_exist and not name.exists():
        raise BackupError(_("There is no database at %(path)s.") % {"path": name})
    name.parent.mkdir(parents=True, exist_ok=True)
    raw = sqlite3.connect(name, timeout=LOCK_WAIT_SECONDS, isolation_level=None)
    try:
        raw.execute("PRAGMA journal_mode=WAL")
        yield raw
    finally:
        raw.close()


def sqlite_table_count(conn: sqlite3.Connection) -> int:
    return len(conn.execute(_TABLES).fetchall())


def sqlite_migrations(conn: sqlite3.Connection) -> dict[str, str]:
    """The last applied migration per app."""
    if not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
    ).fetchone():
        return {}
    return dict(conn.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall())

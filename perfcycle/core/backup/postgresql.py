"""PostgreSQL: pg_dump on an exported snapshot, pg_restore in one transaction, checksums.

The tools get every connection parameter from the environment (``PGHOST``, ``PGUSER``,
``PGPASSWORD``, ...), so that the password never appears in a process list.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from perfcycle.core.backup.base import (
    FETCH_ROWS,
    BackupError,
    TableChecksum,
    digest_rows,
    quote_name,
)

# Django's own keys in DATABASES[...]["OPTIONS"], which are not libpq parameters.
_DJANGO_OPTIONS = {
    "isolation_level",
    "server_side_binding",
    "pool",
    "assume_role",
    "prepare_threshold",
}
_ENV = {
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
}
_TABLES = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
    "AND n.nspname = current_schema() ORDER BY c.relname"
)
_PRIMARY_KEYS = (
    "SELECT c.relname, a.attname FROM pg_index i "
    "JOIN pg_class c ON c.oid = i.indrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
    "WHERE i.indisprimary AND n.nspname = current_schema() "
    "ORDER BY c.relname, array_position(i.indkey::int2[], a.attnum)"
)
# Fixed output settings, so that a row's text is the same in every session.
_CANONICAL = (
    "SET TIME ZONE 'UTC'",
    "SET datestyle = 'ISO, YMD'",
    "SET intervalstyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)


def pg_params(settings_dict: dict[str, Any]) -> dict[str, Any]:
    """libpq parameters from a Django ``DATABASES`` entry."""
    params: dict[str, Any] = {
        key: value
        for key, value in (settings_dict.get("OPTIONS") or {}).items()
        if key not in _DJANGO_OPTIONS
    }
    for key, setting in (
        ("dbname", "NAME"),
        ("user", "USER"),
        ("password", "PASSWORD"),
        ("host", "HOST"),
        ("port", "PORT"),
    ):
        if settings_dict.get(setting):
            params[key] = str(settings_dict[setting])
    if "dbname" not in params and "service" not in params:
        params["dbname"] = "postgres"
    return params


def pg_connect(settings_dict: dict[str, Any], **kwargs: Any) -> Any:
    """A plain psycopg connection to the database a ``DATABASES`` entry describes."""
    import psycopg

    return psycopg.connect(**pg_params(settings_dict), **kwargs)


def pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The tools' environment: every connection parameter, the password never in argv."""
    env = dict(os.environ)
    for key, value in pg_params(settings_dict).items():
        if key in _ENV and value not in (None, ""):
            env[_ENV[key]] = str(value)
    return env


@contextlib.contextmanager
def pg_snapshot(settings_dict: dict[str, Any]) -> Iterator[Any]:
    """A new psycopg connection inside a REPEATABLE READ, READ ONLY transaction."""
    import psycopg

    conn = pg_connect(settings_dict)
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            yield conn
    finally:
        conn.close()


def postgresql_table_checksums(conn: Any) -> dict[str, TableChecksum]:
    """Row count and checksum of every table in the current schema.

    Call it inside a transaction on a psycopg connection of its own (it fixes the output
    settings of the session); REPEATABLE READ gives one snapshot of all tables. The
    server hashes each row (``md5(row::text)``); the hashes come in primary-key order
    through a server-side cursor.
    """
    with conn.cursor() as cursor:
        for statement in _CANONICAL:
            cursor.execute(statement)
        tables = [row[0] for row in cursor.execute(_TABLES).fetchall()]
        keys: dict[str, list[str]] = {}
        for table, column in cursor.execute(_PRIMARY_KEYS).fetchall():
            keys.setdefault(table, []).append(column)
    result: dict[str, TableChecksum] = {}
    row = "perfcycle_checksum_row"
    for table in tables:
        order = ", ".join(quote_name(k) for k in keys.get(table, [])) or "1"
        with conn.cursor(name="perfcycle_checksum") as cursor:
            cursor.execute(
                f"SELECT md5({row}::text) FROM {quote_name(table)} AS {row} ORDER BY {order}"  # noqa: S608
            )
            result[table] = digest_rows(_chunks(cursor))
    return result


def _chunks(cursor: Any) -> Iterator[list[bytes]]:
    while batch := cursor.fetchmany(FETCH_ROWS):
        yield [r[0].encode() for r in batch]


def pg_tool(name: str) -> str:
    """The path of ``pg_dump``/``pg_restore``, or a clear error."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _(
                "%(tool)s was not found. Install the PostgreSQL client tools (the same "
                "major version as the server or newer) and put them on the PATH."
            )
            % {"tool": name}
        )
    return path


def tool_major_version(path: str) -> int:
    """The major version a PostgreSQL tool reports (``pg_dump (PostgreSQL) 15.2`` → 15)."""
    output = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        [path, "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"\)\s*(\d+)", output) or re.search(r"(\d+)\.\d+", output)
    if match is None:
        raise BackupError(_("Cannot read the version of %(tool)s.") % {"tool": path})
    return int(match.group(1))


def check_tool_version(tool: str, tool_major: int, server_major: int) -> None:
    """Refuse client tools older than the server (they cannot dump or restore it)."""
    if tool_major < server_major:
        raise BackupError(
            _(
                "%(tool)s is version %(tool_major)s but the server is PostgreSQL "
                "%(server_major)s; install client tools of version %(server_major)s or newer."
            )
            % {"tool": tool, "tool_major": tool_major, "server_major": server_major}
        )


def _ready_tool(name: str, conn: Any) -> tuple[str, int]:
    path = pg_tool(name)
    major = tool_major_version(path)
    server_major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    check_tool_version(name, major, server_major)
    return path, major


def _error_tail(text: str) -> str:
    return text.strip()[-2000:]


def pg_dump(
    settings_dict: dict[str, Any], path: Path
) -> tuple[dict[str, TableChecksum], dict[str, str], str]:
    """Dump into ``path``; return the checksums and migrations of the same snapshot, and
    the server's and pg_dump's versions."""
    with pg_snapshot(settings_dict) as conn:
        tool, major = _ready_tool("pg_dump", conn)
        server_version = conn.execute("SHOW server_version").fetchone()[0]
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        argv = [tool, "--format=custom", f"--snapshot={snapshot}", "--file", str(path)]
        argv += ["--dbname", settings_dict.get("NAME") or "postgres"]
        # The dump runs beside the checksums; the snapshot lives as long as this transaction.
        process = subprocess.Popen(  # noqa: S603
            argv, env=pg_env(settings_dict), stderr=subprocess.PIPE, text=True
        )
        try:
            tables = postgresql_table_checksums(conn)
            migrations = pg_migrations(conn)
        except BaseException:
            process.kill()
            process.wait()
            raise
        _out, error = process.communicate()
    if process.returncode != 0:
        raise BackupError(_("pg_dump failed: %(error)s") % {"error": _error_tail(error)})
    return tables, migrations, f"{server_version} (pg_dump {major})"


def pg_load(path: Path, settings_dict: dict[str, Any], *, clean: bool) -> None:
    """Restore a custom-format dump into the database, all or nothing."""
    with pg_connect(settings_dict, autocommit=True) as conn:
        tool, _major = _ready_tool("pg_restore", conn)
    argv = [tool, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    if clean:
        argv += ["--clean", "--if-exists"]
    # Without --dbname pg_restore would print SQL instead of restoring.
    argv += ["--dbname", settings_dict.get("NAME") or "postgres", str(path)]
    process = subprocess.run(  # noqa: S603
        argv, env=pg_env(settings_dict), capture_output=True, text=True, check=False
    )
    if process.returncode != 0:
        raise BackupError(
            _("pg_restore failed: %(error)s") % {"error": _error_tail(process.stderr)}
        )


def pg_dump_tables(path: Path) -> set[str]:
    """The tables whose data a custom-format dump holds (``pg_restore --list``)."""
    process = subprocess.run(  # noqa: S603
        [pg_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
    )
    if process.returncode != 0:
        raise BackupError(
            _("pg_restore cannot read the dump: %(error)s") % {"error": _error_tail(process.stderr)}
        )
    # "3391; 0 16402 TABLE DATA public accounts_user postgres"
    entry = re.compile(r"^\d+; \d+ \d+ TABLE DATA \S+ (\S+) ")
    return {m.group(1) for m in map(entry.match, process.stdout.splitlines()) if m}


def pg_table_count(conn: Any) -> int:
    return len(conn.execute(_TABLES).fetchall())


def pg_migrations(conn: Any) -> dict[str, str]:
    """The last applied migration per app."""
    if conn.execute("SELECT to_regclass('django_migrations')").fetchone()[0] is None:
        return {}
    return dict(conn.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall())

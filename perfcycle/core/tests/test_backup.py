"""Backup and restore: a backup restored into an empty database has every table's rows.

The SQLite tests on their own files run on both databases; the tests of the configured
database run on the engine the suite runs on (PostgreSQL ones need pg_dump/pg_restore).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from perfcycle.audit.context import audit_context
from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.audit.services import audit_record
from perfcycle.core import backup
from perfcycle.core.backup import BackupError, TableChecksum
from perfcycle.core.backup.postgresql import (
    check_tool_version,
    pg_connect,
    pg_env,
    pg_load,
    pg_table_count,
    pg_tool,
    postgresql_table_checksums,
)
from perfcycle.core.backup.sqlite import (
    sqlite_copy,
    sqlite_integrity_problems,
    sqlite_load,
    sqlite_table_checksums,
)
from perfcycle.org.models import Employee
from tests.factories import CycleFactory, EmployeeFactory, GoalFactory

ON_SQLITE = connection.vendor == "sqlite"
ON_POSTGRESQL = connection.vendor == "postgresql"
PG_TOOLS = shutil.which("pg_dump") is not None and shutil.which("pg_restore") is not None

sqlite_only = pytest.mark.skipif(not ON_SQLITE, reason="the configured database is not SQLite")
postgresql_only = pytest.mark.skipif(
    not (ON_POSTGRESQL and PG_TOOLS),
    reason="needs PostgreSQL as the configured database and pg_dump/pg_restore installed",
)
# Backing up the configured database: SQLite always, PostgreSQL when its tools are there.
configured_engine = pytest.mark.skipif(
    ON_POSTGRESQL and not PG_TOOLS, reason="pg_dump/pg_restore not installed"
)


def _company_data(company: Any) -> None:
    """Rows in many tables, with Chinese text, decimals, dates and an audit event."""
    cycle = CycleFactory(name="2026 年第一季度", participants=[company.manager, company.direct])
    GoalFactory(cycle=cycle, employee=company.direct, title="新客户 20 个")
    GoalFactory(
        cycle=cycle, employee=company.manager, title="Revenue", target=Decimal("5000000.50")
    )
    with audit_context(source="command"):
        audit_record(
            actor=company.hr,
            action=AuditAction.UPDATE,
            instance=company.direct,
            before={"name": "丹"},
            after={"name": company.direct.name},
        )


def _as_manifest(tables: dict[str, TableChecksum]) -> dict[str, dict[str, Any]]:
    return {name: dataclasses.asdict(t) for name, t in tables.items()}


# Checksums ---------------------------------------------------------------------------------


@configured_engine
@pytest.mark.django_db(transaction=True)
def test_table_checksums_cover_every_table_and_see_one_changed_value(company):
    _company_data(company)
    first = backup.table_checksums()
    assert first == backup.table_checksums()
    assert {"org_employee", "planning_goal", "audit_auditevent", "django_migrations"} <= set(first)
    assert first["org_employee"].rows == Employee.objects.count() == 6

    Employee.objects.filter(pk=company.direct.pk).update(name="Dan Direkt")
    second = backup.table_checksums()
    assert backup.compare_tables(_as_manifest(first), second) == [
        "Table org_employee differs from the backup (checksum)."
    ]
    assert second["org_employee"].rows == first["org_employee"].rows


def test_sqlite_checksums_tell_types_nulls_and_row_boundaries_apart(tmp_path):
    def checksum(*rows: tuple[Any, Any]) -> str:
        conn = sqlite3.connect(tmp_path / f"{uuid.uuid4().hex}.sqlite3", isolation_level=None)
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", rows)
        result = sqlite_table_checksums(conn)["t"]
        conn.close()
        return result.checksum

    base = checksum((1, "a"), (2, "b"))
    assert checksum((2, "b"), (1, "a")) == base  # inserted in another order: same rows
    assert checksum((1, "a"), (2, "c")) != base
    assert checksum((1, "b"), (2, "a")) != base  # values swapped between rows
    assert checksum((1, None)) != checksum((1, "NULL"))
    assert checksum((1, 1)) != checksum((1, "1"))
    assert checksum((1, b"\x00")) != checksum((1, "\x00"))
    assert checksum((1, "a,2,'b'")) != checksum((1, "a"), (2, "b"))


# SQLite online backup ----------------------------------------------------------------------


def test_sqlite_online_backup_is_one_consistent_snapshot_while_writes_go_on(tmp_path):
    """A writer commits an order with its three lines, again and again, while we back up:
    each copy passes the integrity check and holds whole orders only, as of one commit
    made between the start and the end of the copy; and the writer was not held up."""
    live = tmp_path / "live.sqlite3"
    setup = sqlite3.connect(live, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
    setup.execute(
        "CREATE TABLE lines (id INTEGER PRIMARY KEY, "
        "order_id INTEGER NOT NULL REFERENCES orders (id), amount TEXT NOT NULL)"
    )
    setup.execute("CREATE INDEX lines_order ON lines (order_id)")
    seeded = 5000
    setup.execute("BEGIN")
    setup.executemany(
        "INSERT INTO orders (note) VALUES (?)", [("订单 " + "x" * 2000,)] * seeded
    )  # ~10 MB, so that a copy takes a while
    setup.execute("COMMIT")
    setup.close()

    committed: list[int] = []
    stop = threading.Event()
    failure: list[BaseException] = []

    def write() -> None:
        conn = sqlite3.connect(live, isolation_level=None, timeout=30)
        conn.execute("PRAGMA synchronous=NORMAL")
        try:
            while not stop.is_set():
                conn.execute("BEGIN IMMEDIATE")
                order = conn.execute("INSERT INTO orders (note) VALUES ('new')").lastrowid
                conn.executemany(
                    "INSERT INTO lines (order_id, amount) VALUES (?, '12.50')", [(order,)] * 3
                )
                conn.execute("COMMIT")
                committed.append(order)
        except BaseException as error:  # the assertion below reports it
            failure.append(error)
        finally:
            conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    overlapped = 0
    try:
        for attempt in range(6):
            while len(committed) < 20 * (attempt + 1) and not failure:
                time.sleep(0.001)
            before = len(committed)
            source = sqlite3.connect(live, isolation_level=None)
            copy = tmp_path / f"copy-{attempt}.sqlite3"
            sqlite_copy(source, copy)  # raises unless the copy passes integrity_check
            source.close()
            after = len(committed)
            overlapped += after > before

            conn = sqlite3.connect(copy, isolation_level=None)
            assert sqlite_integrity_problems(conn) == []
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            orders = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
            lines = conn.execute("SELECT count(*) FROM lines").fetchone()[0]
            new = orders - seeded
            # One commit's state: every new order has its three lines, no more, no fewer.
            assert lines == 3 * new
            assert before <= new <= after + 1  # +1: committed, not yet counted by the writer
            partial = conn.execute(
                "SELECT count(*) FROM orders o WHERE o.id > ? "
                "AND (SELECT count(*) FROM lines l WHERE l.order_id = o.id) != 3",
                (seeded,),
            ).fetchone()[0]
            assert partial == 0
            checksums = sqlite_table_checksums(conn)
            assert (checksums["orders"].rows, checksums["lines"].rows) == (orders, lines)
            conn.close()
            if overlapped >= 2:
                break
    finally:
        stop.set()
        writer.join()
    assert not failure
    assert overlapped, "the writer never committed while a copy was being made"


def test_sqlite_load_fills_an_empty_file_and_waits_for_no_one(tmp_path):
    source_path = tmp_path / "source.sqlite3"
    source = sqlite3.connect(source_path, isolation_level=None)
    source.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    source.executemany("INSERT INTO t (v) VALUES (?)", [("行",)] * 100)
    expected = sqlite_table_checksums(source)
    source.close()

    target = sqlite3.connect(tmp_path / "empty.sqlite3", isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    reader = sqlite3.connect(tmp_path / "empty.sqlite3", isolation_level=None)
    sqlite_load(source_path, target)
    assert target.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert sqlite_table_checksums(target) == expected
    # Another connection that had the file open sees the restored tables.
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 100
    reader.close()
    target.close()


# PostgreSQL tools ----------------------------------------------------------------------------


def test_missing_or_old_postgresql_tools_are_clear_errors(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(BackupError, match="pg_dump was not found"):
        pg_tool("pg_dump")
    with pytest.raises(BackupError, match=r"pg_restore is version 14 but the server is .* 16"):
        check_tool_version("pg_restore", 14, 16)
    check_tool_version("pg_dump", 16, 16)
    check_tool_version("pg_dump", 17, 16)


def test_postgresql_tools_get_the_password_from_the_environment_only():
    env = pg_env(
        {
            "NAME": "perf",
            "USER": "app",
            "PASSWORD": "s3cret",
            "HOST": "db.example",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "require", "pool": True},
        }
    )
    assert (env["PGDATABASE"], env["PGUSER"], env["PGPASSWORD"]) == ("perf", "app", "s3cret")
    assert (env["PGHOST"], env["PGPORT"], env["PGSSLMODE"]) == ("db.example", "5433", "require")


# The configured database -----------------------------------------------------------------


def _check_manifest(result: backup.BackupResult, snapshot: dict[str, TableChecksum]) -> None:
    manifest = result.manifest
    assert manifest["engine"] == connection.vendor
    assert manifest["format_version"] == backup.FORMAT_VERSION
    assert manifest["tables"] == _as_manifest(snapshot)
    assert manifest["migrations"]["audit"] == "0004_backup_restore_actions"
    assert dt.datetime.fromisoformat(manifest["created_at"]).utcoffset() is not None
    assert manifest["app_version"]
    assert result.path.stat().st_mode & 0o077 == 0  # the owner's only
    assert backup.read_manifest(result.path) == manifest


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_restores_into_an_empty_database(company, tmp_path):
    _company_data(company)
    snapshot = backup.table_checksums()
    result = backup.backup_create(output_dir=tmp_path / "backups")
    _check_manifest(result, snapshot)
    assert result.path.name.endswith(".tar")
    # The backup is audited in the database it was taken from (after the snapshot).
    event = AuditEvent.objects.get(action=AuditAction.BACKUP)
    assert event.object_id == result.path.name

    manifest, database = backup.extract_database(result.path, tmp_path)
    empty = sqlite3.connect(tmp_path / "restored.sqlite3", isolation_level=None)
    empty.execute("PRAGMA journal_mode=WAL")
    assert empty.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    sqlite_load(database, empty)
    restored = sqlite_table_checksums(empty)
    empty.close()
    assert restored == snapshot
    assert backup.compare_tables(manifest["tables"], restored) == []
    assert backup.backup_verify(path=result.path).ok


@contextlib.contextmanager
def _fresh_postgresql_database() -> Iterator[dict[str, Any]]:
    """A new, empty database on the test server, dropped afterwards."""
    settings_dict = connections["default"].settings_dict
    name = f"{settings_dict['NAME'][:40]}_restore_{uuid.uuid4().hex[:8]}"
    admin = pg_connect({**settings_dict, "NAME": "postgres"}, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**settings_dict, "NAME": name}
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_restores_into_a_fresh_database(company, tmp_path):
    _company_data(company)
    snapshot = backup.table_checksums()
    result = backup.backup_create(output_dir=tmp_path / "backups")
    _check_manifest(result, snapshot)
    assert "pg_dump" in result.manifest["server_version"]

    manifest, dump = backup.extract_database(result.path, tmp_path)
    with _fresh_postgresql_database() as target:
        with pg_connect(target, autocommit=True) as conn:
            assert pg_table_count(conn) == 0
        pg_load(dump, target, clean=False)
        with pg_connect(target) as conn, conn.transaction():
            restored = postgresql_table_checksums(conn)
    assert restored == snapshot
    assert backup.compare_tables(manifest["tables"], restored) == []
    verified = backup.backup_verify(path=result.path)
    assert verified.ok, verified.problems


@configured_engine
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_tables_and_force_replaces_it(company, tmp_path):
    _company_data(company)
    snapshot = backup.table_checksums()
    made = backup.backup_create(output_dir=tmp_path)
    later = EmployeeFactory(name="After the backup", manager=company.top)

    with pytest.raises(BackupError, match="already has tables") as refused:
        backup.backup_restore(path=made.path)
    assert refused.value.code == "not_empty"
    assert Employee.objects.filter(pk=later.pk).exists()

    out = io.StringIO()
    call_command("restore", str(made.path), force=True, stdout=out)
    assert "Verified: all" in out.getvalue()
    assert not Employee.objects.filter(pk=later.pk).exists()
    restored = backup.table_checksums()
    audit = restored.pop("audit_auditevent")
    expected = dict(snapshot)
    assert audit.rows == expected.pop("audit_auditevent").rows + 1
    assert restored == expected
    # The restore is audited in the restored database; the backup's own event, recorded
    # after its snapshot, went with the replaced data.
    event = AuditEvent.objects.get(action=AuditAction.RESTORE)
    assert (event.object_id, event.source, event.after["verified"]) == (
        made.path.name,
        "command",
        True,
    )
    assert event.after["replaced_existing"] is True
    assert not AuditEvent.objects.filter(action=AuditAction.BACKUP).exists()


def _rewrite_archive(path: Path, change: Any) -> None:
    """Rewrite a backup with ``change(manifest, database_bytes)`` applied."""
    with tarfile.open(path) as tar:
        manifest = json.loads(tar.extractfile(backup.MANIFEST_NAME).read())
        data = tar.extractfile(manifest["database_member"]).read()
    manifest, data = change(manifest, data)
    _tar(
        path,
        [
            (backup.MANIFEST_NAME, json.dumps(manifest).encode()),
            (manifest["database_member"], data),
        ],
    )


@configured_engine
@pytest.mark.django_db(transaction=True)
def test_backup_command_writes_a_compressed_file_that_verify_accepts_and_damage_fails(
    company, tmp_path
):
    _company_data(company)
    out = io.StringIO()
    call_command("backup", output=tmp_path, compress=True, stdout=out)
    (path,) = tmp_path.glob("perfcycle-*.tar.gz")
    assert str(path) in out.getvalue()
    out = io.StringIO()
    call_command("backup", verify=path, stdout=out)
    assert "Verified:" in out.getvalue()

    damaged = tmp_path / "damaged.tar"
    shutil.copy(path, damaged)

    def flip_a_byte(manifest: dict, data: bytes) -> tuple[dict, bytes]:
        middle = len(data) // 2
        return manifest, data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]

    _rewrite_archive(damaged, flip_a_byte)
    with pytest.raises(CommandError, match="SHA-256 differs"):
        call_command("backup", verify=damaged, stdout=io.StringIO())
    with pytest.raises(CommandError, match="SHA-256 differs"):
        call_command("restore", str(damaged), force=True, stdout=io.StringIO())

    not_a_backup = _tar(tmp_path / "notes.tar", [("notes.txt", b"")])
    with pytest.raises(CommandError, match="is not a Perfcycle backup"):
        call_command("backup", verify=not_a_backup, stdout=io.StringIO())


def _tar(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


@pytest.mark.parametrize(
    "members",
    [
        [],
        [("database.sqlite3", b"x"), ("manifest.json", b"{}")],
        [("manifest.json", b"[1, 2]"), ("database.sqlite3", b"x")],
        [("manifest.json", b"not json"), ("database.sqlite3", b"x")],
        [
            (
                "manifest.json",
                json.dumps({"format": "perfcycle-backup", "engine": "sqlite"}).encode(),
            ),
            ("database.sqlite3", b"x"),
        ],
        [("../manifest.json", b"{}")],
    ],
)
def test_files_that_are_not_backups_are_refused(tmp_path, members):
    path = _tar(tmp_path / "file.tar", members)
    with pytest.raises(BackupError, match="is not a Perfcycle backup"):
        backup.read_manifest(path)
    (tmp_path / "plain.txt").write_text("hello")
    with pytest.raises(BackupError, match="is not a Perfcycle backup"):
        backup.read_manifest(tmp_path / "plain.txt")


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_verify_finds_a_changed_row_even_when_the_file_hash_was_forged(company, tmp_path):
    result = backup.backup_create(output_dir=tmp_path)

    def change_a_name(manifest: dict, data: bytes) -> tuple[dict, bytes]:
        work = tmp_path / "work.sqlite3"
        work.write_bytes(data)
        conn = sqlite3.connect(work, isolation_level=None)
        conn.execute("UPDATE org_employee SET name = 'Mallory' WHERE employee_number = 'C011'")
        conn.close()
        data = work.read_bytes()
        manifest["database_sha256"] = hashlib.sha256(data).hexdigest()
        return manifest, data

    _rewrite_archive(result.path, change_a_name)
    verified = backup.backup_verify(path=result.path)
    assert verified.problems == ["Table org_employee differs from the backup (checksum)."]
    with pytest.raises(BackupError, match="org_employee differs"):
        backup.backup_restore(path=result.path, force=True)
    assert Employee.objects.get(employee_number="C011").name == "Dan Direct"


@pytest.mark.django_db
def test_a_backup_of_another_engine_is_refused(tmp_path):
    other = "postgresql" if ON_SQLITE else "sqlite"
    manifest = {
        "format": backup.FORMAT,
        "format_version": 1,
        "engine": other,
        "created_at": "2026-05-12T07:15:00+08:00",
        "app_version": "0.1.0",
        "database_member": backup.MEMBER_NAMES[other],
        "database_sha256": hashlib.sha256(b"x").hexdigest(),
        "migrations": {},
        "tables": {},
    }
    path = _tar(
        tmp_path / "other.tar",
        [
            (backup.MANIFEST_NAME, json.dumps(manifest).encode()),
            (manifest["database_member"], b"x"),
        ],
    )
    with pytest.raises(BackupError, match=f"This backup is of a {other} database"):
        backup.backup_restore(path=path, force=True)


# The embedded default, end to end ----------------------------------------------------------


def _perfcycle(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["PERFCYCLE_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "perfcycle.cli", *args],
        env=env,
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_commands_back_up_a_database_file_and_restore_it_into_a_new_data_folder(company, tmp_path):
    """The embedded default as deployed: a WAL database file in the data folder, backed up
    to data/backups by ``perfcycle backup`` and restored by ``perfcycle restore`` into
    another, empty data folder."""
    _company_data(company)
    source_dir = tmp_path / "data"
    source_dir.mkdir()
    source_file = sqlite3.connect(source_dir / "perfcycle.sqlite3", isolation_level=None)
    connection.ensure_connection()
    connection.connection.backup(source_file)
    source_file.execute("PRAGMA journal_mode=WAL")
    expected = sqlite_table_checksums(source_file)
    source_file.close()

    made = _perfcycle(source_dir, "backup")
    assert made.returncode == 0, made.stderr
    (path,) = (source_dir / "backups").glob("perfcycle-*.tar")
    assert backup.read_manifest(path)["tables"] == _as_manifest(expected)

    target_dir = tmp_path / "new-server"
    restored = _perfcycle(target_dir, "restore", str(path))
    assert restored.returncode == 0, restored.stderr
    assert "Verified: all" in restored.stdout
    conn = sqlite3.connect(target_dir / "perfcycle.sqlite3", isolation_level=None)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    actual = sqlite_table_checksums(conn)
    assert actual.pop("audit_auditevent").rows == expected.pop("audit_auditevent").rows + 1
    assert actual == expected
    assert conn.execute(
        "SELECT action, source FROM audit_auditevent ORDER BY id DESC LIMIT 1"
    ).fetchone() == ("restore", "command")
    conn.close()

    again = _perfcycle(target_dir, "restore", str(path))
    assert again.returncode != 0
    assert "already has tables" in again.stderr

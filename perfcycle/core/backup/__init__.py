"""Backing up and restoring the whole database, with a manifest that proves the copy.

A backup is one file, ``perfcycle-YYYYmmdd-HHMMSS.tar`` (``.tar.gz`` compressed), with
``manifest.json`` and the database (``archive.py``):

- SQLite, the embedded default: an online copy made with SQLite's backup API in one
  step, one consistent snapshot while the server keeps writing (``sqlite.py``).
- PostgreSQL: ``pg_dump --format=custom`` on a snapshot exported from a REPEATABLE READ
  transaction, in which the manifest's checksums are computed too (``postgresql.py``).

The manifest names the engine, the migration state (the last applied migration per app),
when it was made, the application's version, the database's SHA-256 and, per table, the
row count and a checksum over its rows in primary-key order. A restore checks the backup
first, refuses a database that already has tables unless forced, restores, compares
every table with the manifest and records an audit event in the restored database.
Checksums compare copies on the same engine only.

``core`` sits below ``audit``; the audit services are imported where they are used.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.core.backup.archive import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_NAME,
    MEMBER_NAMES,
    extract_database,
    make_manifest,
    read_manifest,
    write_archive,
)
from perfcycle.core.backup.base import BackupError, TableChecksum, compare_tables
from perfcycle.core.backup.postgresql import (
    pg_connect,
    pg_dump,
    pg_dump_tables,
    pg_load,
    pg_snapshot,
    pg_table_count,
    postgresql_table_checksums,
)
from perfcycle.core.backup.sqlite import (
    sqlite_connection,
    sqlite_copy,
    sqlite_integrity_problems,
    sqlite_load,
    sqlite_migrations,
    sqlite_open_copy,
    sqlite_table_checksums,
    sqlite_table_count,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "MEMBER_NAMES",
    "BackupError",
    "BackupResult",
    "RestoreResult",
    "TableChecksum",
    "VerifyResult",
    "backup_create",
    "backup_restore",
    "backup_verify",
    "compare_tables",
    "extract_database",
    "read_manifest",
    "table_checksums",
]


@dataclasses.dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    path: Path
    manifest: dict[str, Any]
    problems: list[str]
    checks: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclasses.dataclass(frozen=True)
class RestoreResult:
    path: Path
    manifest: dict[str, Any]
    problems: list[str]
    replaced: bool
    pending_migrations: list[str]
    unknown_migrations: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _engine(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in MEMBER_NAMES:
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not %(vendor)s.")
            % {"vendor": connection.vendor}
        )
    return connection.vendor


def table_checksums(using: str = DEFAULT_DB_ALIAS) -> dict[str, TableChecksum]:
    """Row count and checksum of every table of a configured database, as committed.

    Equal on equal data of the same engine: compare a database with its backup.
    """
    connection = connections[using]
    if _engine(connection) == "sqlite":
        with sqlite_connection(connection, must_exist=True) as raw:
            return sqlite_table_checksums(raw)
    with pg_snapshot(connection.settings_dict) as conn:
        return postgresql_table_checksums(conn)


def backup_create(
    *, output_dir: Path | None = None, compress: bool = False, actor: Any = None
) -> BackupResult:
    """Back up the database into ``output_dir`` (default DATA_DIR/backups); audited."""
    connection = connections[DEFAULT_DB_ALIAS]
    engine = _engine(connection)
    output_dir = Path(output_dir or Path(settings.DATA_DIR) / "backups")
    output_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created_at = timezone.localtime()
    # The copy is made beside the backup file: same disk, no large file in a small /tmp.
    with tempfile.TemporaryDirectory(dir=output_dir, prefix=".perfcycle-backup-") as tmp:
        database = Path(tmp) / MEMBER_NAMES[engine]
        if engine == "sqlite":
            with sqlite_connection(connection, must_exist=True) as source:
                sqlite_copy(source, database)
            copy = sqlite_open_copy(database)
            try:
                tables = sqlite_table_checksums(copy)
                migrations = sqlite_migrations(copy)
                server_version = copy.execute("SELECT sqlite_version()").fetchone()[0]
            finally:
                copy.close()
        else:
            tables, migrations, server_version = pg_dump(connection.settings_dict, database)
        manifest = make_manifest(
            created_at=created_at,
            engine=engine,
            database=database,
            migrations=migrations,
            tables=tables,
            server_version=server_version,
        )
        path = write_archive(
            output_dir=output_dir, manifest=manifest, database=database, compress=compress
        )
    _audit(
        actor=actor,
        action="backup",
        path=path,
        details={**_summary(manifest), "bytes": path.stat().st_size},
    )
    return BackupResult(path=path, manifest=manifest)


def _check_sqlite_file(database: Path, manifest: dict[str, Any]) -> list[str]:
    conn = sqlite_open_copy(database)
    try:
        problems = sqlite_integrity_problems(conn)
        if not problems:
            problems = compare_tables(manifest["tables"], sqlite_table_checksums(conn))
    except Exception as error:  # a file that is no database at all
        problems = [str(error)]
    finally:
        conn.close()
    return problems


def _check_dump(database: Path, manifest: dict[str, Any]) -> list[str]:
    missing = set(manifest["tables"]) - pg_dump_tables(database)
    return [_("Table %(table)s has no data in the dump.") % {"table": t} for t in sorted(missing)]


def backup_verify(*, path: Path) -> VerifyResult:
    """Check a backup file without touching any database.

    Always the manifest and the database's SHA-256. SQLite: also the integrity check and
    every table's row count and checksum. PostgreSQL: also that ``pg_restore`` reads the
    dump and finds data for every table of the manifest (counts and checksums need a
    database to restore into; ``backup_restore`` compares them).
    """
    path = Path(path)
    checks = [_("manifest"), _("SHA-256 of the database")]
    with tempfile.TemporaryDirectory(prefix="perfcycle-verify-") as tmp:
        manifest, database = extract_database(path, Path(tmp))
        if manifest["engine"] == "sqlite":
            checks += [_("integrity check"), _("row counts and checksums of every table")]
            problems = _check_sqlite_file(database, manifest)
        else:
            checks.append(_("pg_restore reads the dump; every table's data is in it"))
            problems = _check_dump(database, manifest)
    return VerifyResult(path=path, manifest=manifest, problems=problems, checks=checks)


def backup_restore(*, path: Path, force: bool = False, actor: Any = None) -> RestoreResult:
    """Restore a backup into the configured database, compare it, audit it there.

    The backup is checked before anything is touched; a database that already has tables
    is replaced only with ``force``; afterwards every table is compared with the manifest.
    """
    path = Path(path)
    connection = connections[DEFAULT_DB_ALIAS]
    engine = _engine(connection)
    manifest = read_manifest(path)
    if manifest["engine"] != engine:
        raise BackupError(
            _("This backup is of a %(backup)s database; the configured database is %(engine)s.")
            % {"backup": manifest["engine"], "engine": engine}
        )
    if connection.in_atomic_block:
        raise BackupError(_("Backup and restore cannot run inside a transaction."))
    staging = None
    if engine == "sqlite" and not connection.is_in_memory_db():
        # Unpack next to the database: same disk, no large file in a small /tmp.
        staging = Path(connection.settings_dict["NAME"]).parent
        staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=staging, prefix=".perfcycle-restore-") as tmp:
        manifest, database = extract_database(path, Path(tmp))
        check = _check_sqlite_file if engine == "sqlite" else _check_dump
        problems = check(database, manifest)
        if problems:
            raise BackupError(
                _("The backup is damaged: %(problems)s") % {"problems": "; ".join(problems)}
            )
        connection.close()
        if engine == "sqlite":
            with sqlite_connection(connection, must_exist=False) as target:
                replaced = sqlite_table_count(target) > 0
                _refuse_unless(force, replaced)
                sqlite_load(database, target)
                problems = compare_tables(manifest["tables"], sqlite_table_checksums(target))
        else:
            with pg_connect(connection.settings_dict, autocommit=True) as conn:
                replaced = pg_table_count(conn) > 0
            _refuse_unless(force, replaced)
            pg_load(database, connection.settings_dict, clean=replaced)
            problems = compare_tables(manifest["tables"], table_checksums())
    pending, unknown = _migration_drift()
    result = RestoreResult(
        path=path,
        manifest=manifest,
        problems=problems,
        replaced=replaced,
        pending_migrations=pending,
        unknown_migrations=unknown,
    )
    _audit(
        actor=actor,
        action="restore",
        path=path,
        details={
            **_summary(manifest),
            "replaced_existing": replaced,
            "verified": result.ok,
            "problems": problems[:20],
        },
    )
    return result


def _refuse_unless(force: bool, has_tables: bool) -> None:
    if has_tables and not force:
        raise BackupError(
            _(
                "The database already has tables. Restoring replaces everything in it; "
                "run again with --force to do so."
            ),
            code="not_empty",
        )


def _migration_drift() -> tuple[list[str], list[str]]:
    """Migrations the code has and the database lacks; applied ones the code lacks."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    graph = executor.loader.graph
    plan = executor.migration_plan(graph.leaf_nodes())
    pending = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    unknown = sorted(
        f"{app}.{name}"
        for app, name in executor.loader.applied_migrations
        if (app, name) not in graph.nodes
    )
    return pending, unknown


def _summary(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "engine": manifest["engine"],
        "backup_created_at": manifest["created_at"],
        "app_version": manifest["app_version"],
        "tables": len(manifest["tables"]),
        "rows": sum(t["rows"] for t in manifest["tables"].values()),
        "database_sha256": manifest["database_sha256"],
    }


def _audit(*, actor: Any, action: str, path: Path, details: dict[str, Any]) -> None:
    """One audit event in the configured database (after a restore: the restored one)."""
    from perfcycle.audit.models import AuditAction
    from perfcycle.audit.services import audit_record

    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction(action),
            object_type="core.backup",
            object_id=path.name,
            object_repr=str(path),
            after=details,
        )

"""The backup file: a tar (optionally gzip) with ``manifest.json`` first, then the database.

Read as a stream, member by member: the manifest is at hand without unpacking the rest,
and nothing in the archive chooses where a file is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import tarfile
import time
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

import perfcycle
from perfcycle.core.backup.base import BackupError, TableChecksum

FORMAT = "perfcycle-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MEMBER_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHECKSUM_METHODS = {
    "sqlite": "sha256 of quote(column),... per row in primary-key order",
    "postgresql": "sha256 of md5(row::text) per row in primary-key order",
}
_REQUIRED = {
    "format_version",
    "created_at",
    "app_version",
    "database_member",
    "database_sha256",
    "migrations",
    "tables",
}
_MANIFEST_MAX_BYTES = 16 * 1024 * 1024
_CHUNK = 1024 * 1024


def _sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def make_manifest(
    *,
    created_at: dt.datetime,
    engine: str,
    database: Path,
    migrations: dict[str, str],
    tables: dict[str, TableChecksum],
    server_version: str,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "engine": engine,
        "created_at": created_at.isoformat(),
        "app_version": perfcycle.__version__,
        "server_version": server_version,
        "database_member": MEMBER_NAMES[engine],
        "database_bytes": database.stat().st_size,
        "database_sha256": _sha256(database),
        "migrations": migrations,
        "checksum_method": CHECKSUM_METHODS[engine],
        "tables": {name: dataclasses.asdict(t) for name, t in sorted(tables.items())},
    }


def write_archive(
    *, output_dir: Path, manifest: dict[str, Any], database: Path, compress: bool
) -> Path:
    """Write the backup file next to nothing of the same name, whole or not at all."""
    stamp = dt.datetime.fromisoformat(manifest["created_at"]).strftime("%Y%m%d-%H%M%S")
    suffix = ".tar.gz" if compress else ".tar"
    path = output_dir / f"perfcycle-{stamp}{suffix}"
    n = 1
    while path.exists():
        n += 1
        path = output_dir / f"perfcycle-{stamp}-{n}{suffix}"
    partial = path.with_name(path.name + ".partial")
    # Backups hold personal data and password hashes: readable by the owner only.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw:
            options: dict[str, Any] = {"compresslevel": 6} if compress else {}
            with tarfile.open(
                fileobj=raw, mode="w:gz" if compress else "w", format=tarfile.PAX_FORMAT, **options
            ) as tar:
                data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                tar.addfile(_member(MANIFEST_NAME, len(data)), io.BytesIO(data))
                member = _member(manifest["database_member"], database.stat().st_size)
                with database.open("rb") as f:
                    tar.addfile(member, f)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    return info


def _open(path: Path) -> tuple[tarfile.TarFile, dict[str, Any], tarfile.TarInfo]:
    """The backup as a stream: its manifest, and the database member (not yet read)."""
    not_backup = _("%(path)s is not a Perfcycle backup.") % {"path": path}
    try:
        tar = tarfile.open(path, "r|*")  # noqa: SIM115 - closed by the callers
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{not_backup} ({error})") from error
    try:
        member = tar.next()
        if member is None or member.name != MANIFEST_NAME or not member.isfile():
            raise BackupError(not_backup)
        if member.size > _MANIFEST_MAX_BYTES:
            raise BackupError(not_backup)
        manifest = json.loads(tar.extractfile(member).read())  # type: ignore[union-attr]
        if (
            not isinstance(manifest, dict)
            or manifest.get("format") != FORMAT
            or manifest.get("engine") not in MEMBER_NAMES
            or not manifest.keys() >= _REQUIRED
            or not isinstance(manifest["tables"], dict)
        ):
            raise BackupError(not_backup)
        if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
            raise BackupError(
                _("This backup was made by a newer Perfcycle (format %(version)s).")
                % {"version": manifest["format_version"]}
            )
        member = tar.next()
        if member is None or member.name != manifest.get("database_member") or not member.isfile():
            raise BackupError(not_backup)
    except (OSError, tarfile.TarError, ValueError) as error:
        tar.close()
        raise BackupError(f"{not_backup} ({error})") from error
    except BaseException:
        tar.close()
        raise
    return tar, manifest, member


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup file."""
    tar, manifest, _member = _open(Path(path))
    tar.close()
    return manifest


def extract_database(path: Path, directory: Path) -> tuple[dict[str, Any], Path]:
    """Unpack a backup's database into ``directory``, checking its SHA-256 on the way."""
    path = Path(path)
    tar, manifest, member = _open(path)
    target = directory / manifest["database_member"]
    hasher = hashlib.sha256()
    try:
        source = tar.extractfile(member)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(_CHUNK):  # type: ignore[union-attr]
                hasher.update(chunk)
                out.write(chunk)
    except (OSError, tarfile.TarError, EOFError) as error:
        raise BackupError(
            _("%(path)s is damaged: %(error)s") % {"path": path, "error": error}
        ) from error
    finally:
        tar.close()
    if hasher.hexdigest() != manifest.get("database_sha256"):
        raise BackupError(
            _("%(path)s is damaged: the database's SHA-256 differs from the manifest.")
            % {"path": path}
        )
    return manifest, target

"""What every engine shares: the error, a table's checksum and comparing checksums."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from perfcycle.core.errors import DomainError

# How long to wait for a lock held by another connection before giving up.
LOCK_WAIT_SECONDS = 60
# Rows fetched at a time while hashing a table: memory stays flat at any size.
FETCH_ROWS = 10_000


class BackupError(DomainError):
    """A backup could not be made, read, verified or restored."""

    code = "backup_failed"


@dataclasses.dataclass(frozen=True)
class TableChecksum:
    rows: int
    checksum: str


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def digest_rows(chunks: Iterable[list[bytes]]) -> TableChecksum:
    """Count and hash rows' texts, each length-prefixed so that no two lists of rows give
    the same stream of bytes."""
    hasher = hashlib.sha256()
    count = 0
    for chunk in chunks:
        count += len(chunk)
        hasher.update(b"".join(len(text).to_bytes(8, "big") + text for text in chunk))
    return TableChecksum(rows=count, checksum=hasher.hexdigest())


def compare_tables(expected: dict[str, Any], actual: dict[str, TableChecksum]) -> list[str]:
    """What differs between a manifest's tables and a database's (empty when equal)."""
    problems: list[str] = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            problems.append(_("Table %(table)s is missing.") % {"table": table})
            continue
        if table not in expected:
            problems.append(_("Table %(table)s is not in the backup.") % {"table": table})
            continue
        want = expected[table]
        if isinstance(want, TableChecksum):
            want = dataclasses.asdict(want)
        got = actual[table]
        if want["rows"] != got.rows:
            problems.append(
                _("Table %(table)s has %(got)s rows; the backup has %(want)s.")
                % {"table": table, "got": got.rows, "want": want["rows"]}
            )
        elif want["checksum"] != got.checksum:
            problems.append(
                _("Table %(table)s differs from the backup (checksum).") % {"table": table}
            )
    return problems

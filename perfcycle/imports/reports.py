"""What every import reports and records, shared by all stages' imports.

``RowReader`` parses one row's cells and collects ``RowError``s; ``ImportReport`` says
what an import did (or, in a dry run, would do); ``record_import`` writes the one audit
event that says a file was imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record
from perfcycle.imports.models import ImportFile
from perfcycle.imports.tables import RowError
from perfcycle.imports.values import CellError

# What a stored report (an upload's preview, the page that shows it) keeps of its changes:
# the page shows this many and says how many there are.
CHANGES_KEPT = 500


class Changes(Sequence[dict[str, Any]]):
    """An import's changes, each made when it is read: ``rows`` are the indexes of the rows
    that change, ``make(index)`` the change of one. A file of a million new values reports
    them without making a million dictionaries that nobody may read (the page shows the
    first ``CHANGES_KEPT``); the API, which answers every one, makes them all."""

    def __init__(self, rows: Sequence[int], make: Callable[[int], dict[str, Any]]) -> None:
        self._rows = rows
        self._make = make

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return list(map(self._make, self._rows[index]))
        return self._make(self._rows[index])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return map(self._make, self._rows)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # compared by value, like a list

    def __repr__(self) -> str:
        return f"Changes({len(self)} rows)"


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do). ``changes`` is a list, or for a
    large import ``Changes``, made as it is read."""

    kind: str
    rows: int
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[dict[str, Any]] | Changes = field(default_factory=list)
    file_format: str = ""
    encoding: str = ""

    def as_dict(self, *, changes: int | None = None) -> dict[str, Any]:
        """The report as the API answers it: every change, or the first ``changes`` of
        them (``changes_total`` says how many there are either way)."""
        return {
            "kind": self.kind,
            "rows": self.rows,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "changes": list(self.changes if changes is None else self.changes[:changes]),
            "changes_total": len(self.changes),
            "format": self.file_format,
            "encoding": self.encoding,
        }

    def as_stored(self) -> dict[str, Any]:
        """The report as an upload keeps it: the changes its page shows, and their count."""
        return self.as_dict(changes=CHANGES_KEPT)


class RowReader:
    """Collects cell errors for one row while parsing its cells."""

    def __init__(self, line: int, row: dict[str, str], errors: list[RowError]) -> None:
        self.line = line
        self.row = row
        self.errors = errors
        self.ok = True

    def get(self, column: str, parser: Callable[[str], Any]) -> Any:
        try:
            return parser(self.row.get(column, ""))
        except CellError as exc:
            self.fail(column, str(exc))
            return None

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.line, column, message))
        self.ok = False


def record_import(
    actor: Any, kind: str, filename: str, data: bytes, report: ImportReport, **context: Any
) -> None:
    """The import's summary event: who imported which file (name and SHA-256), how many
    rows, and what they did; ``context`` adds facts such as the cycle imported into.
    Imports of many rows record this one event instead of one per created row."""
    audit_record(
        actor=actor,
        action=AuditAction.IMPORT,
        object_type=f"import.{kind}",
        object_repr=filename or kind,
        after={
            "file": filename,
            "sha256": ImportFile.digest(data),
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            **context,
        },
    )

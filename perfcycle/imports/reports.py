"""What every import reports and records, shared by all stages' imports.

``RowReader`` parses one row's cells and collects ``RowError``s; ``ImportReport`` says
what an import did (or, in a dry run, would do); ``record_import`` writes the one audit
event that says a file was imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record
from perfcycle.imports.models import ImportFile
from perfcycle.imports.tables import RowError
from perfcycle.imports.values import CellError


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    kind: str
    rows: int
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)
    file_format: str = ""
    encoding: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "changes": self.changes,
            "format": self.file_format,
            "encoding": self.encoding,
        }


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

"""What an imported file may be: the limits every reader checks while it reads, and the
refusal it raises (``ValidationFailed`` with code ``bad_file``), so that CSV and XLSX are
refused alike and the messages are written once."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from perfcycle.core.errors import ValidationFailed

# As many lines as an Excel sheet has rows, and far more columns than any import has.
MAX_LINES = 1_048_576
MAX_COLUMNS = 1_000
MAX_LINE_CHARS = 1_000_000
MAX_CELL_CHARS = 131_072  # the csv module's own limit, for XLSX cells as well
BLANK: list[str] = []  # every blank line shares one (never changed) list


@dataclass
class Sheet:
    """What reading a file gives before its header is known: every line's cells, and the
    cells (line, column index from 0) that hold no usable value, with the reason."""

    rows: list[list[str]]
    format: str
    encoding: str = ""
    bad_cells: dict[tuple[int, int], str] = field(default_factory=dict)


def refuse(message: str) -> ValidationFailed:
    """The error for a file that cannot be imported at all."""
    return ValidationFailed(message, code="bad_file", details={"errors": []})


def too_many_lines() -> ValidationFailed:
    return refuse(
        _("The file has more than %(max)s lines; split it into smaller files.")
        % {"max": f"{MAX_LINES:,}"}
    )


def too_many_columns(line: int) -> ValidationFailed:
    return refuse(
        _("Line %(line)d has more than %(max)s columns; this is not an import file.")
        % {"line": line, "max": f"{MAX_COLUMNS:,}"}
    )


def cell_too_long(line: int) -> ValidationFailed:
    return refuse(
        _("Line %(line)d has a cell longer than %(max)s characters.")
        % {"line": line, "max": f"{MAX_CELL_CHARS:,}"}
    )


def column_letter(index: int) -> str:
    """The spreadsheet name of the column at ``index`` (from 0): A, B, ..., Z, AA, ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters

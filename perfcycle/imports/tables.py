"""Reading spreadsheets safely: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16 with BOM)
and XLSX (the first sheet, read by ``perfcycle.imports.workbooks``).

Every stage's import reads its file through ``read_table`` and reports problems as
``RowError`` values (line, column, reason), so all imports speak alike. A file is
refused as a whole, with a message that says why and what to do, before it can cost
much time or memory: its **size** first (``PERFCYCLE_IMPORT_MAX_BYTES``; the upload
forms and the API check it before reading the upload), then its **type by content**,
never by name (an XLSX called ``.csv`` is read as XLSX; an old ``.xls``, a
password-protected workbook, a PDF or a picture, a web page saved as ``.xls`` are each
named), then the limits of ``perfcycle.imports.limits`` while it is read. CSV text in an
encoding we cannot tell from GBK by its bytes (Latin-1, Windows-1252) is refused with
the encodings we read, rather than imported as nonsense characters.

Text that begins like a formula (``=``, ``+``, ``-``, ``@``) is imported as text: it is
harmless in the database and in the pages (escaped), and every export neutralises it
(``perfcycle.imports.writing.safe_text``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from perfcycle.core.errors import ValidationFailed
from perfcycle.imports.limits import (
    BLANK,
    MAX_COLUMNS,
    MAX_LINE_CHARS,
    MAX_LINES,
    Sheet,
    cell_too_long,
    column_letter,
    refuse,
    too_many_columns,
    too_many_lines,
)
from perfcycle.imports.workbooks import xlsx_sheet

_CSV_PIECE = 50_000  # rows read and checked at a time
CSV_DELIMITERS = (",", ";", "\t")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
# The stream an encrypted (password-protected) Office file keeps its content in.
OLE_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
# Files people upload by mistake, known by their first bytes.
NOT_SPREADSHEETS = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"{\\rtf", "RTF"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_CHUNK_CHARS = 1 << 20


@dataclass(frozen=True)
class RowError:
    """One problem in an imported file. ``line`` counts like a spreadsheet's row numbers."""

    line: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class Table:
    """A file's data rows under canonical column names, each with its line number.

    The cells are kept as read (each row at least as wide as the columns imported) and
    taken out stripped: a column at a time (``column``), which is what imports of
    100,000 rows want, or a dictionary per row (``rows``).
    """

    positions: dict[str, int]  # canonical column name -> its index in each row's cells
    lines: list[int] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)
    encoding: str = ""
    format: str = ""

    def __len__(self) -> int:
        return len(self.lines)

    @property
    def columns(self) -> list[str]:
        """The canonical names of the file's columns that the import reads."""
        return list(self.positions)

    def column(self, name: str) -> list[str]:
        """The column's stripped cells in row order; empty texts when the file has no
        such column."""
        position = self.positions.get(name)
        if position is None:
            return [""] * len(self.lines)
        return list(map(str.strip, map(itemgetter(position), self.cells)))

    @property
    def rows(self) -> list[tuple[int, dict[str, str]]]:
        """Each row as (line, {column: stripped cell}), made afresh on each access."""
        wanted = list(self.positions.items())
        return [
            (line, {name: row[position].strip() for name, position in wanted})
            for line, row in zip(self.lines, self.cells, strict=True)
        ]

    def release(self) -> None:
        """Let go of the cells (a caller that has taken what it needs)."""
        self.cells = []


# CSV -----------------------------------------------------------------------------------


def _bad_encoding() -> ValidationFailed:
    return refuse(
        _(
            "The file's text is in an encoding we cannot read. Save it as CSV in UTF-8 "
            "(Excel: “CSV UTF-8”), GBK/GB18030, or UTF-16 with a byte-order mark, or as XLSX."
        )
    )


def _plausibly_chinese(text: str) -> bool:
    """Whether text read as GB18030 is Chinese rather than another 8-bit encoding that
    happens to decode: Latin-1 or Windows-1252 text (``Müller``) decodes to rare
    characters, never to any of the common ones of GB2312, which Chinese text always has."""
    for match in _NON_ASCII.finditer(text):
        try:
            match.group().encode("gb2312")
        except UnicodeEncodeError:
            continue
        return True
    return text.isascii()


def _decode_csv(data: bytes) -> tuple[str, str]:
    # A byte-order mark names the encoding; without one, try UTF-8, then GB18030 (a
    # superset of GBK and GB2312, what Chinese Excel saves as "CSV").
    if data.startswith(b"\xef\xbb\xbf"):
        attempts = [(data[3:], "utf-8", "utf-8-sig")]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        attempts = [(data, "utf-16", "utf-16")]
    else:
        attempts = [(data, "utf-8", "utf-8"), (data, "gb18030", "gbk")]
    for raw, codec, name in attempts:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if name == "gbk" and not _plausibly_chinese(text):
            break
        return text, name
    raise _bad_encoding()


def _delimiter(text: str) -> str:
    """The delimiter of the header: whichever of comma, semicolon and tab it has most of.

    Headers are known words, so they never contain a delimiter themselves. (The
    standard library's sniffer is not used: it guesses quoting too, and guesses it
    wrong when the sample has no quotes.)
    """
    for match in _LINE.finditer(text, 0, 65536):
        line = match.group()
        if line.strip():
            counts = {d: line.count(d) for d in CSV_DELIMITERS}
            best = max(CSV_DELIMITERS, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


def _lines(text: str) -> Iterator[str]:
    """The text's physical lines (ended by CR LF, LF or CR, as the csv module wants them),
    each refused beyond ``MAX_LINE_CHARS``, so that one endless line cannot become
    millions of cells before it is counted. (Not ``io.StringIO``: it copies the text at
    four bytes a character.) Split a megabyte at a time, each piece cut after a line
    feed, so that the splitting and the length check run in C."""
    start, before = 0, 0
    while start < len(text):
        cut = text.find("\n", start + _CHUNK_CHARS)
        end = len(text) if cut < 0 else cut + 1
        lines = _LINE.findall(text, start, end)
        if max(map(len, lines)) > MAX_LINE_CHARS:
            number = before + next(
                i for i, line in enumerate(lines, 1) if len(line) > MAX_LINE_CHARS
            )
            raise refuse(
                _("Line %(line)d is longer than %(max)s characters.")
                % {"line": number, "max": f"{MAX_LINE_CHARS:,}"}
            )
        yield from lines
        start, before = end, before + len(lines)


def _csv_rows(data: bytes) -> Sheet:
    binary = _("The file contains binary data; it is not a CSV file.")
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Text in UTF-16 or UTF-32 without a byte-order mark has a NUL beside every
        # Latin letter; anything else with NULs is not text at all.
        if data[:256].count(0) * 4 > len(data[:256]):
            raise _bad_encoding()
        raise refuse(binary)
    text, encoding = _decode_csv(data)
    if "\x00" in text:
        raise refuse(binary)
    delimiter = _delimiter(text)
    reader = csv.reader(_lines(text), csv.excel, delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        # Read a piece at a time, each checked in C (never a row past the first too many).
        while piece := list(islice(reader, min(_CSV_PIECE, MAX_LINES + 1 - len(rows)))):
            if [] in piece:  # empty lines share one list
                piece = [row or BLANK for row in piece]
            if max(map(len, piece)) > MAX_COLUMNS:
                wide = next(i for i, row in enumerate(piece) if len(row) > MAX_COLUMNS)
                raise too_many_columns(len(rows) + wide + 1)
            rows += piece
            if len(rows) > MAX_LINES:
                raise too_many_lines()
        return Sheet(rows, "csv", encoding)
    except csv.Error:
        pass  # read again row by row, to say on which row
    reader = csv.reader(_lines(text), csv.excel, delimiter=delimiter)
    rows = []
    append = rows.append
    try:
        for row in reader:
            if len(row) > MAX_COLUMNS:
                raise too_many_columns(len(rows) + 1)
            append(row or BLANK)
            if len(rows) > MAX_LINES:
                raise too_many_lines()
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise cell_too_long(len(rows) + 1) from exc
        raise refuse(_("The CSV file could not be read: %(error)s") % {"error": exc}) from exc
    return Sheet(rows, "csv", encoding)


# Any file ------------------------------------------------------------------------------


def check_size(size: int) -> None:
    """Refuse a file larger than ``PERFCYCLE_IMPORT_MAX_BYTES`` (callers check uploads early)."""
    limit = settings.PERFCYCLE_IMPORT_MAX_BYTES
    if size > limit:
        raise refuse(_("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)})


def _check_kind(data: bytes) -> None:
    """Refuse, by name, the files that are not spreadsheets and are often mistaken for one."""
    for magic, kind in NOT_SPREADSHEETS:
        if data.startswith(magic):
            raise refuse(
                _("This is a %(kind)s file, not a spreadsheet; upload CSV or XLSX.")
                % {"kind": kind}
            )
    start = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table")):
        raise refuse(
            _(
                "This file is a web page (HTML), as some systems export “Excel” files; "
                "open it in Excel and save it as XLSX, or export CSV."
            )
        )
    if start.startswith(b"<?xml"):
        raise refuse(
            _("This is an XML file, not a spreadsheet; open it in Excel and save it as XLSX.")
        )


def _read(data: bytes) -> Sheet:
    check_size(len(data))
    if not data.strip():
        raise refuse(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        return xlsx_sheet(data)
    if data.startswith(OLE_MAGIC):
        if OLE_ENCRYPTED in data:
            raise refuse(
                _(
                    "The workbook is protected with a password; remove the password "
                    "(File → Info → Protect Workbook) and save it again."
                )
            )
        raise refuse(_("Old Excel files (.xls) are not supported; save the sheet as XLSX."))
    _check_kind(data)
    return _csv_rows(data)


def read_rows(data: bytes, filename: str = "") -> tuple[list[list[str]], str, str]:
    """Raw rows of a file, recognised by content: (rows, format, encoding). A cell with no
    usable value (a formula saved without its result, an error) refuses the file."""
    sheet = _read(data)
    if sheet.bad_cells:
        raise ValidationFailed(
            _("The file has cells without a usable value."),
            code="bad_file",
            details={
                "errors": [
                    RowError(line, column_letter(index), message).as_dict()
                    for (line, index), message in sorted(sheet.bad_cells.items())
                ]
            },
        )
    return sheet.rows, sheet.format, sheet.encoding


def normalise_header(text: str) -> str:
    return "".join(text.strip().lower().replace("-", "_").replace(" ", "_").split())


def read_table(
    data: bytes,
    *,
    filename: str = "",
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
) -> Table:
    """Read ``data`` into a ``Table`` whose keys are the canonical names in ``columns``.

    ``columns`` maps each canonical name to the headers accepted for it (English and
    Chinese). A missing required column, an unknown or repeated header refuses the
    file with every problem named; so does a cell with no usable value (a formula saved
    without its result, an error value) in the header or in a column that is imported.
    """
    sheet = _read(data)
    rows, fmt, encoding = sheet.rows, sheet.format, sheet.encoding
    # The header is the first line that is not blank; blank lines are skipped but keep
    # their line numbers, so every line number reported is the one the user sees.
    start = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if start is None:
        raise refuse(_("The file is empty."))
    header_line = start + 1
    aliases: dict[str, str] = {}
    for canonical, names in columns.items():
        for name in (canonical, *names):
            aliases[normalise_header(name)] = canonical
    header = rows[start]
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    for index, raw in enumerate(header):
        if not raw.strip():
            continue
        canonical = aliases.get(normalise_header(raw))
        if canonical is None:
            errors.append(RowError(header_line, raw, _("Unknown column.")))
        elif canonical in positions:
            errors.append(RowError(header_line, raw, _("This column appears twice.")))
        else:
            positions[canonical] = index
    for name in required:
        if name not in positions:
            errors.append(RowError(header_line, name, _("Required column is missing.")))
    names = {index: name for name, index in positions.items()}
    bad_cells = [
        RowError(line, names.get(index) or column_letter(index), message)
        for (line, index), message in sorted(sheet.bad_cells.items())
        if line <= header_line or index in names
    ]
    errors += [e for e in bad_cells if e.line <= header_line]
    if errors:
        raise ValidationFailed(
            _("The file's header row has problems."),
            code="bad_header",
            details={"errors": [e.as_dict() for e in errors]},
        )
    if bad_cells:
        data_rows = sum(1 for row in rows[start + 1 :] if any(cell.strip() for cell in row))
        raise rejected(bad_cells, rows=data_rows)
    table = Table(positions, encoding=encoding, format=fmt)
    lines, cells, width = table.lines, table.cells, max(positions.values()) + 1
    body = rows[start + 1 :]
    if min(map(len, body), default=width) >= width and all(
        map(str.strip, map("".join, body))
    ):  # the usual file: no blank line, no short row (checked in C)
        table.lines, table.cells = list(range(header_line + 1, header_line + 1 + len(body))), body
        return table
    for line, row in enumerate(body, start=header_line + 1):
        if not "".join(row).strip():  # a blank line (no cell with anything in it)
            continue
        lines.append(line)
        cells.append(row if len(row) >= width else row + [""] * (width - len(row)))
    return table


def iter_errors(errors: Sequence[RowError]) -> Iterator[dict[str, Any]]:
    for error in sorted(errors, key=lambda e: (e.line, e.column)):
        yield error.as_dict()


def rejected(errors: Sequence[RowError], *, rows: int) -> ValidationFailed:
    """The error an import raises when any row is bad: nothing was written."""
    return ValidationFailed(
        _("%(count)d problem(s) found in %(rows)d row(s); nothing was imported.")
        % {"count": len(errors), "rows": rows},
        code="import_rejected",
        details={"errors": list(iter_errors(errors))},
    )

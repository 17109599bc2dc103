"""Reading spreadsheets safely: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX.

Every stage's import reads its file through ``read_table`` and reports problems as
``RowError`` values (line, column, reason), so all imports speak alike. Files are
checked before parsing: size, type by content rather than by name, and for XLSX the
zip directory (entry count and expansion ratio) so a zip bomb is refused cheaply.
openpyxl parses XML through defusedxml when it is installed, which it is.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from perfcycle.core.errors import ValidationFailed

XLSX_MAX_ENTRIES = 200
XLSX_MAX_UNCOMPRESSED = 400 * 1024 * 1024
XLSX_MAX_RATIO = 200
# Parts smaller than this are too small to matter, whatever their compression ratio.
XLSX_RATIO_FLOOR = 1024 * 1024
CSV_DELIMITERS = (",", ";", "\t")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


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
    """Rows of a file keyed by canonical column names, each with its line number."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    encoding: str = ""
    format: str = ""

    def __len__(self) -> int:
        return len(self.rows)


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="bad_file", details={"errors": []})


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
            return raw.decode(codec), name
        except UnicodeDecodeError:
            continue
    raise _refuse(_("The file is neither UTF-8 nor GBK text. Save it as CSV (UTF-8) or XLSX."))


def _delimiter(text: str) -> str:
    """The delimiter of the header: whichever of comma, semicolon and tab it has most of.

    Headers are known words, so they never contain a delimiter themselves. (The
    standard library's sniffer is not used: it guesses quoting too, and guesses it
    wrong when the sample has no quotes.)
    """
    for line in text.splitlines():
        if line.strip():
            counts = {d: line.count(d) for d in CSV_DELIMITERS}
            best = max(CSV_DELIMITERS, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


def _csv_rows(data: bytes) -> tuple[list[list[str]], str]:
    text, encoding = _decode_csv(data)
    if "\x00" in text:
        raise _refuse(_("The file contains binary data; it is not a CSV file."))
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=_delimiter(text))
    try:
        return [list(row) for row in reader], encoding
    except csv.Error as exc:
        raise _refuse(_("The CSV file could not be read: %(error)s") % {"error": exc}) from exc


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise _refuse(_("The file is not a valid XLSX workbook.")) from exc
    infos = archive.infolist()
    if len(infos) > XLSX_MAX_ENTRIES:
        raise _refuse(_("The workbook has too many parts to be a spreadsheet."))
    total = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos) or 1
    # Each part on its own as well as the whole: a bomb padded with incompressible
    # parts has a harmless overall ratio.
    bomb = any(
        info.file_size > XLSX_RATIO_FLOOR
        and info.file_size / max(info.compress_size, 1) > XLSX_MAX_RATIO
        for info in infos
    )
    if bomb or total > XLSX_MAX_UNCOMPRESSED or total / compressed > XLSX_MAX_RATIO:
        raise _refuse(_("The workbook expands to an unreasonable size and was refused."))
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        raise _refuse(_("The file is not a valid XLSX workbook."))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value).strip()


def _xlsx_rows(data: bytes) -> list[list[str]]:
    _check_zip(data)
    from openpyxl import load_workbook

    # openpyxl raises many types for broken files, and in read-only mode it parses the
    # sheet lazily, so a broken sheet fails while its rows are read.
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise _refuse(_("The file is not a valid XLSX workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:
        raise _refuse(_("The file is not a valid XLSX workbook.")) from exc
    finally:
        workbook.close()


def check_size(size: int) -> None:
    """Refuse a file larger than ``PERFCYCLE_IMPORT_MAX_BYTES`` (callers check uploads early)."""
    limit = settings.PERFCYCLE_IMPORT_MAX_BYTES
    if size > limit:
        raise _refuse(
            _("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)}
        )


def read_rows(data: bytes, filename: str = "") -> tuple[list[list[str]], str, str]:
    """Raw rows of a file, recognised by content: (rows, format, encoding)."""
    check_size(len(data))
    if not data.strip():
        raise _refuse(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        return _xlsx_rows(data), "xlsx", ""
    if data.startswith(OLE_MAGIC):
        raise _refuse(_("Old Excel files (.xls) are not supported; save the sheet as XLSX."))
    rows, encoding = _csv_rows(data)
    return rows, "csv", encoding


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
    file with every problem named.
    """
    rows, fmt, encoding = read_rows(data, filename)
    # The header is the first line that is not blank; blank lines are skipped but keep
    # their line numbers, so every line number reported is the one the user sees.
    start = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if start is None:
        raise _refuse(_("The file is empty."))
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
    if errors:
        raise ValidationFailed(
            _("The file's header row has problems."),
            code="bad_header",
            details={"errors": [e.as_dict() for e in errors]},
        )
    table = Table(columns=list(positions), encoding=encoding, format=fmt)
    for line, raw_row in enumerate(rows[start + 1 :], start=header_line + 1):
        if not any(cell.strip() for cell in raw_row):
            continue
        table.rows.append(
            (
                line,
                {
                    name: (raw_row[pos].strip() if pos < len(raw_row) else "")
                    for name, pos in positions.items()
                },
            )
        )
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

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
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class RowError:
    """One problem in an imported file. ``line`` counts like a spreadsheet: header is 1."""

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
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312, what Chinese Excel saves as "CSV".
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError as exc:
        raise _refuse(
            _("The file is neither UTF-8 nor GBK text. Save it as CSV (UTF-8) or XLSX.")
        ) from exc


def _csv_rows(data: bytes) -> tuple[list[list[str]], str]:
    text, encoding = _decode_csv(data)
    if "\x00" in text:
        raise _refuse(_("The file contains binary data; it is not a CSV file."))
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
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
    if total > XLSX_MAX_UNCOMPRESSED or total / compressed > XLSX_MAX_RATIO:
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

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise _refuse(_("The file is not a valid XLSX workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_rows(data: bytes, filename: str = "") -> tuple[list[list[str]], str, str]:
    """Raw rows of a file, recognised by content: (rows, format, encoding)."""
    limit = settings.PERFCYCLE_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise _refuse(
            _("The file is larger than %(limit)d MB.") % {"limit": limit // (1024 * 1024)}
        )
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
    # Drop wholly blank lines at the end; keep line numbers true for the rest.
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise _refuse(_("The file is empty."))
    aliases: dict[str, str] = {}
    for canonical, names in columns.items():
        for name in (canonical, *names):
            aliases[normalise_header(name)] = canonical
    header = rows[0]
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    for index, raw in enumerate(header):
        if not raw.strip():
            continue
        canonical = aliases.get(normalise_header(raw))
        if canonical is None:
            errors.append(RowError(1, raw, _("Unknown column.")))
        elif canonical in positions:
            errors.append(RowError(1, raw, _("This column appears twice.")))
        else:
            positions[canonical] = index
    for name in required:
        if name not in positions:
            errors.append(RowError(1, name, _("Required column is missing.")))
    if errors:
        raise ValidationFailed(
            _("The file's header row has problems."),
            code="bad_header",
            details={"errors": [e.as_dict() for e in errors]},
        )
    table = Table(columns=list(positions), encoding=encoding, format=fmt)
    for line, raw_row in enumerate(rows[1:], start=2):
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

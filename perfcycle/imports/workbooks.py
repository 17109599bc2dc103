"""Reading the first sheet of an XLSX workbook safely, for ``perfcycle.imports.tables``.

Before any XML is parsed, the zip directory is checked: the number of parts, the
expansion of each part and of the whole (a zip bomb), and the size of every part that
openpyxl reads whole (all but the worksheets, which it streams). The sizes are the ones
the directory declares; Python's zipfile never expands a part beyond them. The XML is
parsed by defusedxml (openpyxl uses it when it is installed; without it a workbook is
refused rather than read unsafely), so entity declarations are refused, never expanded.

Cells are read as the values the spreadsheet program saved (``data_only``): a formula's
saved result. The cells that have none (a formula written by a program that does not
calculate, an error such as ``#N/A``) are found by a quick search of the sheet's bytes
and, only when it finds any, a second (defused) pass over the sheet's XML.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import IO, Any

from django.utils.translation import gettext as _

from perfcycle.core.errors import ValidationFailed
from perfcycle.imports.limits import (
    BLANK,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_LINES,
    Sheet,
    cell_too_long,
    column_letter,
    refuse,
    too_many_columns,
    too_many_lines,
)

XLSX_MAX_ENTRIES = 200
XLSX_MAX_UNCOMPRESSED = 400 * 1024 * 1024
XLSX_MAX_RATIO = 200
# Parts smaller than this are too small to matter, whatever their compression ratio.
XLSX_RATIO_FLOOR = 1024 * 1024
# Every part but the worksheets is read whole (and the XML ones parsed into a tree about
# twenty times their size): a few kilobytes in real workbooks, a few megabytes for the
# styles of a much-edited one.
XLSX_MAX_PART = 8 * 1024 * 1024
# The shared strings (every distinct text of the workbook) are held in memory as a list.
XLSX_MAX_STRINGS = 64 * 1024 * 1024
WORKSHEET_REL = "/worksheet"
_FORMULA_OR_ERROR = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]|\st=[\"']e[\"']")


def _not_a_workbook() -> ValidationFailed:
    return refuse(_("The file is not a valid XLSX workbook."))


def _too_big_part(name: str, limit: int) -> ValidationFailed:
    return refuse(
        _(
            "The workbook's part “%(part)s” is larger than %(limit)d MB, which no import "
            "needs; copy the data into a new workbook or save it as CSV."
        )
        % {"part": name, "limit": limit // (1024 * 1024)}
    )


def _check_zip(data: bytes) -> zipfile.ZipFile:
    """The workbook's zip archive, once its directory shows nothing hostile."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _not_a_workbook() from exc
    infos = archive.infolist()
    if len(infos) > XLSX_MAX_ENTRIES:
        raise refuse(_("The workbook has too many parts to be a spreadsheet."))
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
        raise refuse(_("The workbook expands to an unreasonable size and was refused."))
    sizes: dict[str, int] = {}
    for info in infos:  # a name twice: the larger counts
        sizes[info.filename] = max(info.file_size, sizes.get(info.filename, 0))
    if "xl/workbook.bin" in sizes:
        raise refuse(_("Binary Excel workbooks (.xlsb) are not supported; save the sheet as XLSX."))
    if sizes.get("mimetype", XLSX_MAX_PART) < 100 and archive.read("mimetype").startswith(
        b"application/vnd.oasis.opendocument"
    ):
        raise refuse(_("OpenDocument files (.ods) are not supported; save the sheet as XLSX."))
    if "[Content_Types].xml" not in sizes:
        raise _not_a_workbook()
    _check_parts(archive, sizes)
    return archive


def _check_parts(archive: zipfile.ZipFile, sizes: dict[str, int]) -> None:
    """Refuse a part that openpyxl would read whole and that is larger than any real
    workbook's. The worksheets are found as openpyxl finds them (the content types name
    the workbook, the workbook's relationships its sheets); they alone are streamed."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.packaging.relationship import get_dependents, get_rels_path
    from openpyxl.xml.constants import (
        ARC_CONTENT_TYPES,
        ARC_CORE,
        ARC_CUSTOM,
        ARC_STYLE,
        ARC_THEME,
        ARC_WORKBOOK,
        SHARED_STRINGS,
        XLSM,
        XLSX,
        XLTM,
        XLTX,
    )
    from openpyxl.xml.functions import fromstring

    def check(name: str, limit: int = XLSX_MAX_PART) -> None:
        if sizes.get(name, 0) > limit:
            raise _too_big_part(name, limit)

    check(ARC_CONTENT_TYPES)
    manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    workbook = next(
        (part.PartName[1:] for kind in (XLTM, XLTX, XLSM, XLSX) if (part := manifest.find(kind))),
        ARC_WORKBOOK,
    )
    strings = manifest.find(SHARED_STRINGS)
    strings_name = strings.PartName[1:] if strings is not None else ""
    relationships = get_rels_path(workbook)
    check(relationships)
    sheets: set[str] = set()
    # Read whole whatever the relationships say: a part named both a worksheet and, say,
    # the styles is not streamed.
    others = {ARC_CONTENT_TYPES, ARC_CORE, ARC_CUSTOM, ARC_STYLE, ARC_THEME}
    others |= {workbook, relationships, strings_name}
    if relationships in sizes:
        for rel in get_dependents(archive, relationships):
            if rel.TargetMode != "External":
                (sheets if rel.Type.endswith(WORKSHEET_REL) else others).add(rel.target)
    for name in sizes:
        if name == strings_name:
            check(name, XLSX_MAX_STRINGS)
        elif name not in sheets or name in others:
            check(name)


def _xml_refused(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is defusedxml refusing an entity or a DTD."""
    from defusedxml import DefusedXmlException

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DefusedXmlException):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value).strip()


def _sheet_rows(values: Iterable[Sequence[Any]]) -> list[list[str]]:
    rows: list[list[str]] = []
    append = rows.append
    for row in values:
        cells = [_cell_text(v) for v in row]
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise too_many_columns(len(rows) + 1)
        if any(len(cell) > MAX_CELL_CHARS for cell in cells):
            raise cell_too_long(len(rows) + 1)
        append(cells or BLANK)
        if len(rows) > MAX_LINES:
            raise too_many_lines()
    return rows


def _may_have_formulas(source: IO[bytes]) -> bool:
    """Whether a worksheet's XML has a formula or an error cell: a plain search of the
    bytes, much quicker than parsing, so that only such sheets are looked at closely."""
    tail = b""
    while chunk := source.read(1 << 20):
        if _FORMULA_OR_ERROR.search(tail + chunk):
            return True
        tail = chunk[-32:]
    return False


def _has_result(cell: Any, value: Any) -> bool:
    """Whether a formula cell was saved with its result: a value, or an empty one for a
    formula whose result is empty text (``t="str"``). Programs that do not calculate
    write no value, or an empty one for a number (openpyxl writes ``<v />``)."""
    if value is None:
        return False
    return bool(value.text) or cell.get("t") == "str"


def _formula_cells(source: IO[bytes]) -> dict[tuple[int, int], str]:
    """The cells of a worksheet that hold a formula saved without its result, or an
    error value; keyed by (line, column index from 0). The XML is parsed by defusedxml."""
    from defusedxml.ElementTree import iterparse

    bad: dict[tuple[int, int], str] = {}
    line = column = 0
    for event, element in iterparse(source, events=("start", "end")):
        tag = element.tag.rpartition("}")[2]
        if event == "start":
            if tag == "row":
                line = int(float(element.get("r") or line + 1))
                column = 0
            continue
        if tag == "c":
            ref = element.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                column = 0
                for letter in letters.upper():
                    column = column * 26 + ord(letter) - 64
            else:
                column += 1
            children = {child.tag.rpartition("}")[2]: child for child in element}
            cell = f"{column_letter(column - 1)}{line}"
            value = children.get("v")
            if element.get("t") == "e":
                error = value.text if value is not None else "#VALUE!"
                bad[(line, column - 1)] = _("Cell %(cell)s shows the error %(error)s.") % {
                    "cell": cell,
                    "error": error,
                }
            elif "f" in children and not _has_result(element, value):
                bad[(line, column - 1)] = _(
                    "Cell %(cell)s holds a formula saved without its result. Open the file "
                    "in Excel or WPS, let it calculate and save it, or paste the values only."
                ) % {"cell": cell}
            element.clear()
        elif tag == "row":
            element.clear()
    return bad


def xlsx_sheet(data: bytes) -> Sheet:
    import openpyxl.xml

    if not openpyxl.xml.DEFUSEDXML:
        raise refuse(
            _(
                "XLSX files cannot be read safely on this server (the defusedxml package is "
                "missing); save the sheet as CSV, or ask the administrator."
            )
        )
    # openpyxl raises many types for broken files, and in read-only mode it parses the
    # sheet lazily, so a broken sheet fails while its rows are read.
    try:
        archive = _check_zip(data)
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        try:
            if not workbook.worksheets:
                raise _not_a_workbook()
            sheet = workbook.worksheets[0]
            # Rows as they are in the file, not padded to the size the sheet claims.
            sheet.reset_dimensions()
            rows = _sheet_rows(sheet.iter_rows(values_only=True))
            bad: dict[tuple[int, int], str] = {}
            path = getattr(sheet, "_worksheet_path", "")
            if path:
                with archive.open(path) as source:
                    flagged = _may_have_formulas(source)
                if flagged:
                    with archive.open(path) as source:
                        bad = _formula_cells(source)
        finally:
            workbook.close()
    except ValidationFailed:
        raise
    except Exception as exc:
        if _xml_refused(exc):
            raise refuse(
                _(
                    "The workbook contains XML entity declarations, which spreadsheets "
                    "never need and attacks use; it was refused."
                )
            ) from exc
        raise _not_a_workbook() from exc
    return Sheet(rows, "xlsx", "", bad)

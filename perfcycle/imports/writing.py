"""Writing spreadsheets safely: one XLSX sheet of a header and rows, streamed.

Every stage's export writes through ``xlsx_write`` (or ``xlsx_temporary_file`` and
``xlsx_bytes`` around it), so that all exports behave alike:

- **Streamed**: openpyxl's write-only workbook sends each row to a temporary file as it
  is appended, so memory stays flat however many rows there are, as long as ``rows`` is
  an iterator (a queryset read with ``.iterator()``, a generator) rather than a list.
- **Text stays text**: a text that a spreadsheet program would read as a formula (it
  begins with = + - @, a tab or a carriage return) is prefixed with a single quote, the
  OWASP advice against formula ("CSV") injection, so a name such as ``=HYPERLINK(...)``
  stays a name, also once someone edits the cell; a text that looks like an error value
  (``#N/A``) is stored as text too. ``safe_text`` is the one place this rule lives: any
  export that writes text for a spreadsheet, XLSX or CSV, passes every text through it.
- The header is bold and frozen; numbers (``Decimal``, ``int``, ``float``, a negative
  one too) stay numbers, never prefixed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# openpyxl turns these texts into error cells; they are kept as text.
ERROR_TEXTS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
SHEET_TITLE_FORBIDDEN = "[]:*?/\\'"


def safe_text(value: str) -> str:
    """``value`` as a spreadsheet program will show it, never evaluate it: prefixed with a
    single quote when it begins with = + - @, a tab or a carriage return."""
    return "'" + value if value.startswith(FORMULA_START) else value


def sheet_title(title: str, default: str = "Results") -> str:
    """``title`` as Excel allows a sheet to be named: no []:*?/\\' and at most 31 characters."""
    return "".join(ch for ch in str(title) if ch not in SHEET_TITLE_FORBIDDEN)[:31] or default


def _text_cell(sheet: Any, text: str) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    return cell


def xlsx_write(
    out: IO[bytes], headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str
) -> int:
    """Write one sheet named ``title`` to the binary file ``out``: the bold, frozen
    ``headers`` and then ``rows`` as they come. Returns the number of rows written."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(title))
    sheet.freeze_panes = "A2"  # before the first row: the sheet's view is written first
    bold = Font(bold=True)
    header = []
    for text in headers:
        cell = _text_cell(sheet, safe_text(str(text)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    append = sheet.append
    for row in rows:
        values = list(row)
        for i, value in enumerate(values):
            if isinstance(value, str):
                text = safe_text(value)
                values[i] = _text_cell(sheet, text) if text in ERROR_TEXTS else text
        append(values)
        count += 1
    book.save(out)
    return count


def xlsx_temporary_file(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str
) -> IO[bytes]:
    """The sheet in an anonymous temporary file, positioned at its start, to hand to a
    ``FileResponse`` (which closes it, and so removes it, once it has been sent)."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the caller closes it
    try:
        xlsx_write(handle, headers, rows, title=title)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str) -> bytes:
    """The sheet as bytes, for small workbooks and tests."""
    with xlsx_temporary_file(headers, rows, title=title) as handle:
        return handle.read()

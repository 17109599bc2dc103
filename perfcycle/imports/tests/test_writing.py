"""Writing spreadsheets: the streamed sheet keeps text as text (never a formula or an error
value), a bold frozen header, numbers as numbers, and takes its rows from an iterator."""

from __future__ import annotations

import io
from decimal import Decimal as D

from openpyxl import load_workbook

from perfcycle.imports.writing import (
    safe_text,
    sheet_title,
    xlsx_bytes,
    xlsx_temporary_file,
    xlsx_write,
)


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_safe_text():
    for text in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_text(text) == "'" + text
    assert safe_text("Dan") == "Dan" and safe_text("") == ""


def test_sheet_title():
    assert sheet_title("Q1: [plan]/2026?") == "Q1 plan2026"
    assert sheet_title("x" * 40) == "x" * 31 and sheet_title("[]") == "Results"


def test_text_stays_text_and_numbers_stay_numbers():
    rows = [
        ["=SUM(A1:A2)", "+41", "-B", "@x", "#N/A", "#DIV/0!", "=", D("80.50"), 3, None, ""],
    ]
    sheet = _sheet(xlsx_bytes(["=Head", "Name"], rows, title="Q1 results"))
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type not in ("f", "e") for cell in cells)
    header, row = ([c.value for c in r] for r in sheet.iter_rows())
    assert header[:2] == ["'=Head", "Name"]
    assert row[:7] == ["'=SUM(A1:A2)", "'+41", "'-B", "'@x", "#N/A", "#DIV/0!", "'="]
    assert row[7] == 80.5 and row[8] == 3 and row[9] is None
    assert sheet.title == "Q1 results"


def test_the_header_is_bold_and_frozen():
    sheet = _sheet(xlsx_bytes(["A", "B"], [[1, 2]], title="t"))
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1]) and not sheet["A2"].font.b


def test_rows_come_from_an_iterator():
    made = []

    def rows():
        for i in range(5000):
            made.append(i)
            yield [f"E{i:05}", D(i) / 10]

    out = io.BytesIO()
    assert xlsx_write(out, ["Number", "Score"], rows(), title="t") == 5000
    values = list(_sheet(out.getvalue()).iter_rows(values_only=True))
    assert len(made) == 5000 and len(values) == 5001 and values[-1] == ("E04999", 499.9)


def test_the_temporary_file_is_at_its_start():
    with xlsx_temporary_file(["A"], [["x"]], title="t") as handle:
        assert handle.tell() == 0 and handle.read(2) == b"PK"

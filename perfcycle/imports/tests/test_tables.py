"""Reading spreadsheets: encodings, XLSX cells, headers, and files that must be refused."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from perfcycle.core.errors import ValidationFailed
from perfcycle.imports import tables
from perfcycle.imports.tables import RowError, read_table, rejected
from perfcycle.imports.values import CellError, parse_choice, parse_date, parse_email, parse_text

COLUMNS = {
    "employee_number": ("工号", "employee_no"),
    "name": ("姓名", "full_name"),
    "manager_number": ("上级工号", "manager"),
    "department_code": ("部门编码", "dept_code"),
    "email": ("邮箱", "e_mail"),
    "hire_date": ("入职日期",),
}
REQUIRED = ["employee_number", "name"]

ROWS_ZH = [["工号", "姓名", "上级工号"], ["1001", "张三", ""], ["1002", "李四", "1001"]]
EXPECTED = [
    (2, {"employee_number": "1001", "name": "张三", "manager_number": ""}),
    (3, {"employee_number": "1002", "name": "李四", "manager_number": "1001"}),
]


def table(data: bytes) -> tables.Table:
    return read_table(data, columns=COLUMNS, required=REQUIRED)


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    return "".join(delimiter.join(row) + "\r\n" for row in rows)


def refused(data: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        table(data)
    return caught.value


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """A copy of the zip ``data`` with some entries' contents replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
    return buffer.getvalue()


# Encodings and delimiters ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (csv_text(ROWS_ZH).encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + csv_text(ROWS_ZH).encode("utf-8"), "utf-8-sig"),
        (csv_text(ROWS_ZH).encode("gbk"), "gbk"),
        (csv_text(ROWS_ZH).encode("utf-16"), "utf-16"),
        (csv_text(ROWS_ZH, ";").encode("utf-8"), "utf-8"),
        (csv_text(ROWS_ZH, "\t").encode("gbk"), "gbk"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "utf16", "semicolon", "tab-gbk"],
)
def test_csv_encodings_and_delimiters_read_alike(data: bytes, encoding: str) -> None:
    result = table(data)
    assert result.format == "csv"
    assert result.encoding == encoding
    assert result.columns == ["employee_number", "name", "manager_number"]
    assert result.rows == EXPECTED
    assert len(result) == 2


def test_gbk_bytes_are_not_utf8_so_the_test_above_means_something() -> None:
    with pytest.raises(UnicodeDecodeError):
        csv_text(ROWS_ZH).encode("gbk").decode("utf-8")


def test_bom_is_not_part_of_the_first_header() -> None:
    data = b"\xef\xbb\xbf" + "工号,姓名\n1001,张三\n".encode()
    assert table(data).rows == [(2, {"employee_number": "1001", "name": "张三"})]


def test_quoted_cells_keep_delimiters_and_doubled_quotes_anywhere_in_the_file() -> None:
    # Quotes first appear well after the first 4 KB: a dialect guessed from the start of
    # the file must not decide how they are read.
    filler = [[f"{n}", f"Person {n}", ""] for n in range(2000, 2400)]
    rows = [
        ["employee_number", "name", "manager_number"],
        *filler,
        ["3001", '"Smith, John ""Jack"""', ""],
    ]
    result = table(csv_text(rows).encode())
    assert result.rows[-1] == (
        len(rows),
        {"employee_number": "3001", "name": 'Smith, John "Jack"', "manager_number": ""},
    )


def test_semicolon_file_with_commas_in_names() -> None:
    data = "工号;姓名\n1001;Li, Wei\n1002;Wang, Fang\n".encode()
    assert [row["name"] for _, row in table(data).rows] == ["Li, Wei", "Wang, Fang"]


def test_cells_are_stripped_and_short_rows_padded() -> None:
    data = b"employee_number,name,manager_number\n  1001 , Ann  \n"
    assert table(data).rows == [
        (2, {"employee_number": "1001", "name": "Ann", "manager_number": ""})
    ]


def test_broken_utf8_after_a_bom_is_refused_not_a_crash() -> None:
    error = refused(b"\xef\xbb\xbfemployee_number,name\n1001,\xff\xfe\xfd\n")
    assert error.code == "bad_file"


def test_broken_utf16_is_refused_not_a_crash() -> None:
    error = refused(b"\xff\xfe" + "工号,姓名\n".encode("utf-16-le") + b"\x00")
    assert error.code == "bad_file"


# Headers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "employee_number,name",
        "Employee Number,Name",
        "EMPLOYEE-NUMBER, NAME ",
        "employee_no,full_name",
        "工号,姓名",
        " 工号 , 姓名 ",
    ],
)
def test_header_aliases(header: str) -> None:
    result = table(f"{header}\n1001,张三\n".encode())
    assert result.rows == [(2, {"employee_number": "1001", "name": "张三"})]


def test_header_problems_are_all_reported_at_once() -> None:
    data = "工号,employee_number,工资,邮箱\n1001,1001,5000,a@example.com\n".encode()
    error = refused(data)
    assert error.code == "bad_header"
    assert error.details == {
        "errors": [
            {"line": 1, "column": "employee_number", "message": "This column appears twice."},
            {"line": 1, "column": "工资", "message": "Unknown column."},
            {"line": 1, "column": "name", "message": "Required column is missing."},
        ]
    }


def test_blank_header_cells_are_ignored() -> None:
    data = "工号,,姓名,\n1001,ignored,张三,ignored\n".encode()
    assert table(data).rows == [(2, {"employee_number": "1001", "name": "张三"})]


def test_header_only_file_has_no_rows() -> None:
    result = table("工号,姓名\n".encode())
    assert result.rows == []
    assert result.columns == ["employee_number", "name"]


@pytest.mark.parametrize(
    "data",
    [b"", b"   \r\n\r\n", b"\xef\xbb\xbf", b",,,\n,,\n"],
    ids=["empty", "blank", "bom", "commas"],
)
def test_empty_file_is_refused(data: bytes) -> None:
    error = refused(data)
    assert error.code == "bad_file"
    assert error.message == "The file is empty."


# Line numbers --------------------------------------------------------------------------


def test_blank_lines_keep_line_numbers_true() -> None:
    data = "\n工号,姓名\n1001,张三\n\n,\n1002,李四\n\n\n".encode()
    result = table(data)
    assert [line for line, _ in result.rows] == [3, 6]


def test_header_errors_name_the_header_line_after_leading_blank_lines() -> None:
    error = refused("\n\n工号,姓名,年龄\n".encode())
    assert error.details["errors"] == [{"line": 3, "column": "年龄", "message": "Unknown column."}]


def test_xlsx_blank_rows_keep_line_numbers_true() -> None:
    data = xlsx([["工号", "姓名"], ["1001", "张三"], [], [None, None], ["1002", "李四"]])
    assert [line for line, _ in table(data).rows] == [2, 5]


# XLSX ----------------------------------------------------------------------------------


def test_xlsx_cells_become_text() -> None:
    data = xlsx(
        [
            ["工号", "姓名", "上级工号", "入职日期", "邮箱"],
            [1001.0, " 张三 ", None, dt.datetime(2021, 3, 4), "zhang@example.com"],
            [1002, "李四", 1001, dt.date(2022, 1, 2), None],
            ["A-7", "王五", "1001", dt.datetime(2023, 5, 6, 9, 30), 2.5],
        ]
    )
    result = table(data)
    assert result.format == "xlsx"
    assert result.encoding == ""
    assert result.rows == [
        (
            2,
            {
                "employee_number": "1001",
                "name": "张三",
                "manager_number": "",
                "hire_date": "2021-03-04",
                "email": "zhang@example.com",
            },
        ),
        (
            3,
            {
                "employee_number": "1002",
                "name": "李四",
                "manager_number": "1001",
                "hire_date": "2022-01-02",
                "email": "",
            },
        ),
        (
            4,
            {
                "employee_number": "A-7",
                "name": "王五",
                "manager_number": "1001",
                "hire_date": "2023-05-06T09:30:00",
                "email": "2.5",
            },
        ),
    ]


def test_xlsx_reads_the_first_sheet_only() -> None:
    workbook = Workbook()
    workbook.active.append(["工号", "姓名"])
    workbook.active.append(["1001", "张三"])
    workbook.create_sheet("Other").append(["junk", "junk"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert table(buffer.getvalue()).rows == [(2, {"employee_number": "1001", "name": "张三"})]


def test_xlsx_header_errors_are_reported_like_csv() -> None:
    error = refused(xlsx([["工号", "Salary"]]))
    assert error.code == "bad_header"
    assert {e["column"] for e in error.details["errors"]} == {"Salary", "name"}


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + b"not really a zip" * 10,
        rezip(xlsx([["a"]]), {}).replace(b"[Content_Types].xml", b"[Content_Typez].xml"),
    ],
    ids=["not-a-zip", "no-content-types"],
)
def test_broken_zip_is_refused(data: bytes) -> None:
    error = refused(data)
    assert error.code == "bad_file"
    assert error.message == "The file is not a valid XLSX workbook."


@pytest.mark.parametrize(
    "damage",
    [
        lambda sheet: b"<worksheet><sheetData><row><c",
        # openpyxl reads lazily: these only fail while the rows are read.
        lambda sheet: sheet[:-40],
        lambda sheet: sheet.replace(b"<v>1002</v>", b"<v>abc</v>"),
    ],
    ids=["broken-at-once", "truncated", "bad-number"],
)
def test_broken_sheet_xml_is_refused_not_a_crash(damage: Any) -> None:
    data = xlsx([["工号", "姓名"], [1001, "张三"], [1002, "李四"], [1003, "王五"]])
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<v>1002</v>" in sheet
    broken = rezip(data, {"xl/worksheets/sheet1.xml": damage(sheet)})
    error = refused(broken)
    assert error.code == "bad_file"
    assert error.message == "The file is not a valid XLSX workbook."


# Hostile files (bombs, entities, files that are not spreadsheets, sizes, encodings we do
# not read, formulas) are in test_hostile_files.py.


# Reporting -----------------------------------------------------------------------------


def test_rejected_lists_every_error_in_line_order() -> None:
    errors = [
        RowError(5, "name", "This value is required."),
        RowError(2, "manager_number", "Unknown employee 9."),
        RowError(2, "email", "bad"),
    ]
    error = rejected(errors, rows=10)
    assert error.code == "import_rejected"
    assert error.status == 422
    assert error.message == "3 problem(s) found in 10 row(s); nothing was imported."
    assert error.details == {
        "errors": [
            {"line": 2, "column": "email", "message": "bad"},
            {"line": 2, "column": "manager_number", "message": "Unknown employee 9."},
            {"line": 5, "column": "name", "message": "This value is required."},
        ]
    }


# Cell values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "2024/3/5",
        "2024.03.05",
        "2024年3月5日",
        "2024年3月5",
        "20240305",
        " 2024-3-5 ",
    ],
)
def test_parse_date_formats(text: str) -> None:
    assert parse_date(text) == dt.date(2024, 3, 5)


def test_parse_date_blank_and_datetime() -> None:
    assert parse_date("  ") is None
    assert parse_date("2024-03-05T10:11:12") == dt.date(2024, 3, 5)


@pytest.mark.parametrize("text", ["2024-02-30", "05/03/2024", "tomorrow", "2024-13-01", "44927"])
def test_parse_date_refuses(text: str) -> None:
    with pytest.raises(CellError, match="is not a date"):
        parse_date(text)


def test_parse_email() -> None:
    assert parse_email(" a@example.com ") == "a@example.com"
    assert parse_email("") == ""
    with pytest.raises(CellError, match="not an email"):
        parse_email("not-an-email")
    # Longer than the database column holds, though the validator alone would allow it.
    with pytest.raises(CellError, match="Longer than 254"):
        parse_email("a" * 250 + "@example.com")


def test_parse_text_and_choice() -> None:
    assert parse_text(" x ", max_length=1) == "x"
    with pytest.raises(CellError, match="required"):
        parse_text(" ", max_length=5, required=True)
    with pytest.raises(CellError, match="Longer than 2"):
        parse_text("abc", max_length=2)
    choices = {"active": "active", "在职": "active"}
    assert parse_choice(" Active ", choices) == "active"
    assert parse_choice("在职", choices) == "active"
    assert parse_choice("", choices) is None
    with pytest.raises(CellError, match="is not one of"):
        parse_choice("retired", choices)


def test_columns_are_the_rows_cells_and_short_rows_read_as_empty() -> None:
    data = "工号,姓名,邮箱\r\n 1001 ,张三, z@example.com\r\n1002,李四\r\n\r\n1003\r\n".encode()
    result = read_table(data, columns={**COLUMNS, "email": ("邮箱",)}, required=REQUIRED)
    assert result.lines == [2, 3, 5]
    assert result.column("employee_number") == ["1001", "1002", "1003"]
    assert result.column("email") == ["z@example.com", "", ""]
    assert result.column("department_code") == ["", "", ""]  # not in the file
    assert [row["name"] for _line, row in result.rows] == ["张三", "李四", ""]


@given(st.text(alphabet="ab,\r\n", max_size=40), st.integers(1, 8), st.integers(1, 12))
def test_lines_split_a_piece_at_a_time_as_in_one_go(text: str, chunk: int, limit: int) -> None:
    """``_lines`` cuts the text into pieces after line feeds: the lines, and the line
    number of the first one too long, are those of splitting the whole text at once."""
    whole = tables._LINE.findall(text)
    too_long = next((i for i, line in enumerate(whole, 1) if len(line) > limit), None)
    with (
        mock.patch.object(tables, "_CHUNK_CHARS", chunk),
        mock.patch.object(tables, "MAX_LINE_CHARS", limit),
    ):
        if too_long is None:
            assert list(tables._lines(text)) == whole
        else:
            with pytest.raises(ValidationFailed, match=f"Line {too_long} is longer"):
                list(tables._lines(text))

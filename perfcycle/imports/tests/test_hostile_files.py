"""Hostile and mistaken files: each is refused (or neutralised) with a message that says
why, quickly and with little memory, and nothing is written.

Bombs are measured by the memory they cost to refuse (``tracemalloc``), never by time.
Every big file is generated here and never stored.
"""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile
from collections.abc import Callable
from decimal import Decimal as D
from functools import cache
from typing import Any

import defusedxml
import openpyxl
import openpyxl.xml
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils.html import escape
from openpyxl import Workbook, load_workbook

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import ValidationFailed
from perfcycle.imports import limits, tables, workbooks
from perfcycle.imports.models import ImportFile, ImportStatus
from perfcycle.imports.tables import read_rows, read_table
from perfcycle.imports.writing import safe_text, xlsx_bytes
from perfcycle.org.models import Employee

COLUMNS = {
    "employee_number": ("工号",),
    "name": ("姓名",),
    "manager_number": ("上级工号",),
    "email": ("邮箱",),
}
REQUIRED = ["employee_number", "name"]
MB = 1024 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"

BOMB_MESSAGE = "The workbook expands to an unreasonable size and was refused."
ENTITY_MESSAGE = (
    "The workbook contains XML entity declarations, which spreadsheets never need and "
    "attacks use; it was refused."
)
NOT_XLSX = "The file is not a valid XLSX workbook."
ENCODING_MESSAGE = (
    "The file's text is in an encoding we cannot read. Save it as CSV in UTF-8 "
    "(Excel: “CSV UTF-8”), GBK/GB18030, or UTF-16 with a byte-order mark, or as XLSX."
)


def table(data: bytes, filename: str = "") -> tables.Table:
    return read_table(data, filename=filename, columns=COLUMNS, required=REQUIRED)


def refused(data: bytes, filename: str = "") -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        table(data, filename)
    return caught.value


def peak_memory(action: Callable[[], Any]) -> tuple[int, ValidationFailed | None]:
    """The most memory ``action`` held at once (its data is made before it is measured),
    and the refusal it raised, if any."""
    error = None
    tracemalloc.start()
    try:
        action()
    except ValidationFailed as exc:
        error = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, error


def refused_within(data: bytes, memory: int = 50 * MB) -> ValidationFailed:
    """The refusal of ``data``, which must cost less than ``memory`` (expanding a bomb
    would cost hundreds of MB)."""
    peak, error = peak_memory(lambda: table(data))
    assert error is not None, "the file was not refused"
    assert peak < memory, f"{peak / MB:.1f} MB"
    return error


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PEOPLE = xlsx([["工号", "姓名"], ["1001", "张三"], ["1002", "李四"]])


def rezip(
    data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    """A copy of the zip ``data`` with some parts replaced and others added."""
    replace = replace or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return buffer.getvalue()


def directory_entry(data: bytes | bytearray, name: str) -> int:
    """Where the zip's central directory describes the part ``name``."""
    end = data.rfind(b"PK\x05\x06")
    position = int.from_bytes(data[end + 16 : end + 20], "little")
    while data[position : position + 4] == b"PK\x01\x02":
        lengths = [
            int.from_bytes(data[position + i : position + i + 2], "little") for i in (28, 30, 32)
        ]
        if data[position + 46 : position + 46 + lengths[0]] == name.encode():
            return position
        position += 46 + sum(lengths)
    raise AssertionError(f"no part {name}")


def part(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def sheet_xml(rows: str, head: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>{head}<worksheet xmlns="{MAIN}"><sheetData>{rows}'
        "</sheetData></worksheet>"
    ).encode()


def with_sheet(rows: str) -> bytes:
    """``PEOPLE`` with its sheet replaced by ``rows`` (cells of inline text or numbers)."""
    return rezip(PEOPLE, {SHEET: sheet_xml(rows)})


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = '<row r="1">' + text_cell("A1", "工号") + text_cell("B1", "姓名") + "</row>"


def strings_xml(texts: list[str], head: str = "") -> bytes:
    items = "".join(f"<si><t>{text}</t></si>" for text in texts)
    return (
        f'<?xml version="1.0"?>{head}<sst xmlns="{MAIN}" count="{len(texts)}" '
        f'uniqueCount="{len(texts)}">{items}</sst>'
    ).encode()


def with_shared_strings(strings: bytes, rows: str) -> bytes:
    """``PEOPLE`` with a shared strings part (as Excel writes texts; openpyxl does not)."""
    types = part(PEOPLE, "[Content_Types].xml").replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    return rezip(PEOPLE, {"[Content_Types].xml": types, SHEET: sheet_xml(rows)}, {STRINGS: strings})


def shared(ref: str, index: int) -> str:
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'


# The header and two people, their texts in the shared strings.
SHARED_ROWS = (
    f'<row r="1">{shared("A1", 0)}{shared("B1", 1)}</row>'
    f'<row r="2">{shared("A2", 2)}{shared("B2", 3)}</row>'
    f'<row r="3"><c r="A3"><v>1002</v></c>{shared("B3", 4)}</row>'
)
SHARED = with_shared_strings(strings_xml(["工号", "姓名", "1001", "张三", "李四"]), SHARED_ROWS)


@cache
def zip_bomb(megabytes: int = 300, padding: int = 0) -> bytes:
    """An "XLSX" whose sheet is ``megabytes`` MB of zeros, compressed about a
    thousand times; with ``padding`` bytes of incompressible data in another part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", part(PEOPLE, "[Content_Types].xml"))
        with archive.open(SHEET, "w") as sheet:
            chunk = b"0" * (4 * MB)
            for _ in range(megabytes // 4):
                sheet.write(chunk)
        if padding:
            archive.writestr("xl/media/image1.bin", os.urandom(padding))
    return buffer.getvalue()


@pytest.fixture
def openpyxl_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """The file must be refused from the zip directory alone, before openpyxl sees it."""

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl must not be asked to open this file")

    monkeypatch.setattr(openpyxl, "load_workbook", fail)


# Zip bombs and odd archives ---------------------------------------------------------------


@pytest.mark.usefixtures("openpyxl_forbidden")
def test_zip_bomb_is_refused_with_little_memory() -> None:
    data = zip_bomb()
    assert len(data) < MB  # 300 MB inside
    assert refused_within(data).message == BOMB_MESSAGE


@pytest.mark.usefixtures("openpyxl_forbidden")
def test_zip_bomb_padded_with_incompressible_parts_is_refused() -> None:
    # The padding brings the ratio of the whole archive under the limit; the bomb part
    # alone still expands far too much.
    data = zip_bomb(megabytes=20, padding=256 * 1024)
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    overall = sum(i.file_size for i in infos) / sum(i.compress_size for i in infos)
    assert overall < workbooks.XLSX_MAX_RATIO
    assert refused_within(data).message == BOMB_MESSAGE


@pytest.mark.usefixtures("openpyxl_forbidden")
def test_a_workbook_too_big_when_expanded_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each part compresses modestly, but the whole is over the limit (made small here).
    monkeypatch.setattr(workbooks, "XLSX_MAX_UNCOMPRESSED", MB)
    data = rezip(PEOPLE, add={"xl/media/big.bin": os.urandom(MB).hex().encode()})
    assert refused(data).message == BOMB_MESSAGE


@pytest.mark.usefixtures("openpyxl_forbidden")
def test_zip_with_too_many_parts_is_refused() -> None:
    extra = {f"xl/part{n}.xml": b"<x/>" for n in range(workbooks.XLSX_MAX_ENTRIES)}
    error = refused(rezip(PEOPLE, add=extra))
    assert error.message == "The workbook has too many parts to be a spreadsheet."


@pytest.mark.parametrize("name", ["xl/styles.xml", "docProps/core.xml", "xl/workbook.xml"])
@pytest.mark.usefixtures("openpyxl_forbidden")
def test_a_part_read_whole_is_refused_when_too_big(name: str) -> None:
    # Hex text compresses only about twice: no ratio limit catches it, the part's own
    # limit does (parsed whole, it would take some twenty times its size).
    big = os.urandom(workbooks.XLSX_MAX_PART // 2 + 1).hex().encode()
    error = refused(rezip(PEOPLE, {name: big}))
    assert error.message == (
        f"The workbook's part “{name}” is larger than 8 MB, which no import needs; copy "
        "the data into a new workbook or save it as CSV."
    )


@pytest.mark.usefixtures("openpyxl_forbidden")
def test_a_part_read_whole_stays_limited_when_the_relationships_call_it_a_worksheet() -> None:
    rels = part(PEOPLE, "xl/_rels/workbook.xml.rels").replace(
        b'Target="styles.xml"', b'Target="/xl/styles.xml"'
    )
    rels = rels.replace(b"relationships/styles", b"relationships/worksheet")
    big = os.urandom(workbooks.XLSX_MAX_PART // 2 + 1).hex().encode()
    data = rezip(PEOPLE, {"xl/_rels/workbook.xml.rels": rels, "xl/styles.xml": big})
    assert "“xl/styles.xml” is larger than 8 MB" in refused(data).message


def test_the_worksheet_itself_may_be_large(monkeypatch: pytest.MonkeyPatch) -> None:
    # The limit on parts read whole (made small here) does not apply to the streamed sheet.
    monkeypatch.setattr(workbooks, "XLSX_MAX_PART", 64 * 1024)
    data = xlsx([["工号", "姓名"]] + [[f"E{n:06}", os.urandom(8).hex()] for n in range(3000)])
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).file_size > 64 * 1024
    assert len(table(data)) == 3000
    big = rezip(data, {"xl/styles.xml": os.urandom(64 * 1024).hex().encode()})
    assert "“xl/styles.xml” is larger than" in refused(big).message


@pytest.mark.usefixtures("openpyxl_forbidden")
def test_shared_strings_have_their_own_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbooks, "XLSX_MAX_STRINGS", MB)
    texts = ["工号", "姓名"] + [os.urandom(8).hex() for _ in range(40_000)]
    data = with_shared_strings(strings_xml(texts), SHARED_ROWS)
    assert f"“{STRINGS}” is larger than 1 MB" in refused(data).message


def test_sizes_that_lie_cannot_make_a_part_expand_further() -> None:
    """The directory claims the sheet is 200 bytes; zipfile stops there, so the rest of
    its (large) content is never expanded and the broken sheet is refused."""
    rows = HEADER_ROW + "".join(
        f'<row r="{n}">{text_cell(f"A{n}", str(n))}</row>' for n in range(2, 50_000)
    )
    data = bytearray(with_sheet(rows))
    entry = directory_entry(data, SHEET)
    data[entry + 24 : entry + 28] = (200).to_bytes(4, "little")
    lying = bytes(data)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo(SHEET).file_size == 200
    assert refused_within(lying).message == NOT_XLSX


def test_a_zip_bomb_inside_the_workbook_is_never_opened() -> None:
    """A nested archive is a part like a picture: kept compressed, never expanded."""
    data = rezip(PEOPLE, add={"xl/embeddings/bomb.zip": zip_bomb(megabytes=100)})
    peak, error = peak_memory(lambda: table(data))
    assert error is None and peak < 50 * MB
    assert [row["name"] for _, row in table(data).rows] == ["张三", "李四"]


def test_odd_part_names_do_not_matter() -> None:
    """Parts are read by name from memory, never extracted: a name that climbs out of a
    folder, an absolute one or a folder entry is only another unused part."""
    data = rezip(PEOPLE, add={"../../evil.txt": b"x", "/etc/passwd": b"x", "xl/dir/": b""})
    assert [row["name"] for _, row in table(data).rows] == ["张三", "李四"]


@pytest.mark.parametrize(
    ("offset", "value"),
    [(8, b"\x01\x00"), (10, b"\x63\x00")],  # flags: encrypted; method 99 (AES)
    ids=["encrypted-part", "unknown-compression"],
)
def test_unreadable_parts_are_refused_not_a_crash(offset: int, value: bytes) -> None:
    data = bytearray(PEOPLE)
    entry = directory_entry(data, SHEET)
    data[entry + offset : entry + offset + 2] = value
    assert refused(bytes(data)).message == NOT_XLSX


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.usefixtures("openpyxl_forbidden")
def test_a_bomb_hidden_behind_a_part_of_the_same_name_is_refused() -> None:
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(PEOPLE))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
        archive.writestr(SHEET, b"0" * (20 * MB))
    assert refused(buffer.getvalue()).message == BOMB_MESSAGE


# XML entities ----------------------------------------------------------------------------

LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
)


def with_entities(xml: bytes, doctype: str) -> bytes:
    """``xml`` with ``doctype`` after its declaration (or at its start)."""
    start = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    return xml[:start] + doctype.encode() + xml[start:]


def test_defusedxml_is_what_openpyxl_parses_with() -> None:
    assert openpyxl.xml.DEFUSEDXML is True
    from openpyxl.xml import functions

    assert functions.iterparse.__module__.startswith("defusedxml")
    assert functions.fromstring.__module__.startswith("defusedxml")
    assert defusedxml.__version__


@pytest.mark.parametrize(
    "name",
    [
        SHEET,
        STRINGS,
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
        "xl/styles.xml",
    ],
)
def test_billion_laughs_is_refused_in_every_part_that_is_read(name: str) -> None:
    assert table(SHARED)  # every part named here is read
    data = rezip(SHARED, {name: with_entities(part(SHARED, name), LAUGHS)})
    error = refused_within(data)
    assert error.code == "bad_file"
    assert error.message == ENTITY_MESSAGE


def test_billion_laughs_used_in_a_cell_is_refused_not_expanded() -> None:
    row = '<row r="2">' + text_cell("A2", "1") + text_cell("B2", "&lol9;") + "</row>"
    data = rezip(PEOPLE, {SHEET: sheet_xml(HEADER_ROW + row, head=LAUGHS)})
    assert refused_within(data).message == ENTITY_MESSAGE


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE x [<!ENTITY secret SYSTEM "file://{path}">]>',
        '<!DOCTYPE x [<!ENTITY % secret SYSTEM "file://{path}"> %secret;]>',
    ],
    ids=["external-entity", "parameter-entity"],
)
def test_external_entities_are_refused_and_never_read(tmp_path: Any, doctype: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    head = doctype.format(path=secret)
    used = "x" if "%" in doctype else "&secret;"
    data = with_shared_strings(
        strings_xml(["工号", "姓名", "1001", used, "李四"], head), SHARED_ROWS
    )
    error = refused(data)
    assert error.message == ENTITY_MESSAGE
    assert "TOP-SECRET" not in str(error.message) + str(error.details)


def test_without_defusedxml_workbooks_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    error = refused(PEOPLE)
    assert error.code == "bad_file"
    assert "defusedxml" in error.message


# Size ------------------------------------------------------------------------------------


@override_settings(PERFCYCLE_IMPORT_MAX_BYTES=MB)
def test_oversized_file_is_refused_and_the_limit_itself_is_allowed() -> None:
    header = "工号,姓名\n".encode()
    row = b"1001,Ann\n"
    fits = header + row * ((MB - len(header)) // len(row))
    fits += b" " * (MB - len(fits))
    assert len(fits) == MB
    rows, fmt, _encoding = read_rows(fits)
    assert (fmt, rows[0]) == ("csv", ["工号", "姓名"])
    error = refused(fits + b"x")
    assert error.code == "bad_file"
    assert error.message == "The file is larger than 1 MB."


@override_settings(PERFCYCLE_IMPORT_MAX_BYTES=10)
def test_size_is_checked_before_anything_else() -> None:
    assert refused(zip_bomb(megabytes=20)).message.startswith("The file is larger")


def test_check_size_is_what_uploads_are_checked_with_before_they_are_read() -> None:
    tables.check_size(tables.settings.PERFCYCLE_IMPORT_MAX_BYTES)
    with pytest.raises(ValidationFailed) as caught:
        tables.check_size(tables.settings.PERFCYCLE_IMPORT_MAX_BYTES + 1)
    assert caught.value.code == "bad_file"


# Files that are not spreadsheets ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "PNG"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "PDF"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG"),
        (b"GIF89a\x01\x00\x01\x00", "GIF"),
        (b"\x1f\x8b\x08\x00" + bytes(20), "gzip"),
        (b"{\\rtf1\\ansi hello}", "RTF"),
    ],
)
@pytest.mark.parametrize("filename", ["people.xlsx", "people.csv"])
def test_other_files_named_as_spreadsheets_are_named(data: bytes, kind: str, filename: str) -> None:
    error = refused(data, filename)
    assert error.code == "bad_file"
    assert error.message == f"This is a {kind} file, not a spreadsheet; upload CSV or XLSX."


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body><table><tr><td>\xe5\xb7\xa5\xe5\x8f\xb7</td></tr></table></body></html>",
        b"\xef\xbb\xbf\r\n<!DOCTYPE html><html><table></table></html>",
        b'<table border="1"><tr><td>employee_number</td></tr></table>',
    ],
    ids=["html", "html-bom", "bare-table"],
)
def test_a_web_page_saved_as_xls_is_named(data: bytes) -> None:
    error = refused(data, "export.xls")
    assert "web page (HTML)" in error.message
    assert "XLSX" in error.message


def test_xml_spreadsheet_2003_is_named() -> None:
    data = (
        b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
        b"<Worksheet><Table><Row><Cell><Data>1</Data></Cell></Row></Table></Worksheet></Workbook>"
    )
    assert refused(data, "people.xls").message == (
        "This is an XML file, not a spreadsheet; open it in Excel and save it as XLSX."
    )


def test_old_excel_xls_is_refused() -> None:
    error = refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "people.xlsx")
    assert error.message == "Old Excel files (.xls) are not supported; save the sheet as XLSX."


def test_a_password_protected_workbook_is_named() -> None:
    # Excel keeps an encrypted XLSX in an OLE container with an "EncryptedPackage" stream.
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200 + tables.OLE_ENCRYPTED + bytes(99)
    error = refused(data, "people.xlsx")
    assert "protected with a password" in error.message


@pytest.mark.parametrize(
    ("add", "message"),
    [
        (
            {"xl/workbook.bin": b"\x83\x01"},
            "Binary Excel workbooks (.xlsb) are not supported; save the sheet as XLSX.",
        ),
        (
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"},
            "OpenDocument files (.ods) are not supported; save the sheet as XLSX.",
        ),
    ],
    ids=["xlsb", "ods"],
)
def test_other_spreadsheet_formats_are_named(add: dict[str, bytes], message: str) -> None:
    assert refused(rezip(PEOPLE, add=add)).message == message


@pytest.mark.parametrize(
    "members",
    [
        {"report.pdf": b"%PDF-1.4"},
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"},
    ],
    ids=["plain-zip", "docx"],
)
def test_an_archive_that_is_not_a_workbook_is_refused(members: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    assert refused(buffer.getvalue(), "people.xlsx").message == NOT_XLSX


def test_an_xlsx_named_csv_is_read_as_xlsx() -> None:
    result = table(PEOPLE, "people.csv")
    assert (result.format, len(result)) == ("xlsx", 2)


# CSV encodings and junk -------------------------------------------------------------------

CSV_ZH = "工号,姓名,邮箱\r\n1001,张三,zhang@example.com\r\n1002,Zoë Ünal,zoe@example.com\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CSV_ZH.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + CSV_ZH.encode("utf-8"), "utf-8-sig"),
        (CSV_ZH.encode("utf-16"), "utf-16"),  # with its byte-order mark
        (b"\xfe\xff" + CSV_ZH.encode("utf-16-be"), "utf-16"),
        (CSV_ZH.replace("Zoë Ünal", "李四").encode("gbk"), "gbk"),
        (CSV_ZH.replace("Zoë Ünal", "李四").encode("gb18030"), "gbk"),
    ],
    ids=["utf8", "utf8-bom", "utf16-le-bom", "utf16-be-bom", "gbk", "gb18030"],
)
def test_the_encodings_we_read(data: bytes, encoding: str) -> None:
    result = table(data)
    assert result.encoding == encoding
    assert result.rows[0] == (
        2,
        {"employee_number": "1001", "name": "张三", "email": "zhang@example.com"},
    )


@pytest.mark.parametrize(
    "data",
    [
        # Latin-1 that GB18030 happens to decode (into rare characters): "Müller", "Köln".
        "employee_number,name\n1001,Müller\n1002,Köln Fran\n".encode("latin-1"),
        "employee_number,name\n1001,José\n1002,Zoë\n".encode("latin-1"),
        "employee_number,name\n1001,“Smart” quotes – dash\n".encode("cp1252"),
        "employee_number,name\n1001,Jörg\n".encode("utf-16-le"),  # no byte-order mark
        b"employee_number,name\n1001,\x80\xff\xfe\n",
    ],
    ids=["latin1-decodable", "latin1", "cp1252", "utf16-no-bom", "junk"],
)
def test_text_in_another_encoding_is_refused_naming_the_ones_we_read(data: bytes) -> None:
    error = refused(data, "people.csv")
    assert error.code == "bad_file"
    assert error.message == ENCODING_MESSAGE


def test_latin1_that_decodes_as_gbk_really_does() -> None:
    """The case above is real: without the check it would be imported as nonsense."""
    assert "employee_number,name\n1001,Müller\n".encode("latin-1").decode("gb18030")


@pytest.mark.parametrize(
    "data",
    [b"employee_number,name\n1001,Ann\x00\x01\n", bytes(range(256)) * 16],
    ids=["nul-in-csv", "all-bytes"],
)
def test_binary_data_is_refused(data: bytes) -> None:
    error = refused(data)
    assert error.message == "The file contains binary data; it is not a CSV file."


def test_an_endless_line_is_refused() -> None:
    data = b"employee_number,name\n1001," + b"x" * limits.MAX_LINE_CHARS + b"\n"
    assert refused(data).message == "Line 2 is longer than 1,000,000 characters."


def test_a_huge_cell_is_refused() -> None:
    cell = b'"' + b"x\n" * (limits.MAX_CELL_CHARS // 2 + 1) + b'"'
    error = refused(b"employee_number,name\n1001," + cell + b"\n")
    assert error.message == "Line 2 has a cell longer than 131,072 characters."


def test_a_huge_xlsx_cell_is_refused() -> None:
    # Excel and openpyxl write at most 32,767 characters to a cell; a file made by hand
    # may hold more.
    cell = text_cell("B2", "x" * (limits.MAX_CELL_CHARS + 1))
    data = with_sheet(HEADER_ROW + f'<row r="2">{text_cell("A2", "1")}{cell}</row>')
    assert refused(data).message == "Line 2 has a cell longer than 131,072 characters."


def test_too_many_columns_are_refused() -> None:
    data = b"employee_number,name\n1," + b"," * limits.MAX_COLUMNS + b"\n"
    assert (
        refused(data).message == "Line 2 has more than 1,000 columns; this is not an import file."
    )


@pytest.mark.parametrize("before", [0, 49_999, 50_000, 120_000])
def test_the_first_line_with_too_many_columns_is_named_however_far_down(before: int) -> None:
    # Rows are read and checked a piece at a time; the line named is still the first.
    wide = b"1," + b"," * limits.MAX_COLUMNS + b"\n"
    data = b"employee_number,name\n" + b"1,a\n" * before + wide + b"\n" + wide
    assert refused(data).message == (
        f"Line {before + 2} has more than 1,000 columns; this is not an import file."
    )


def test_a_broken_quote_far_down_is_named_by_its_row() -> None:
    # A cell longer than csv's field limit: the rows are read again one by one to name it.
    data = b"employee_number,name\n" + b"1,a\n" * 60_000 + b'2,"' + b"x" * 200_000 + b'"\n'
    assert refused(data).message.startswith("Line 60002 has a cell longer than")


def test_too_many_xlsx_columns_are_refused() -> None:
    row: list[object] = ["1001", "张三"] + [None] * limits.MAX_COLUMNS + ["far away"]
    error = refused(xlsx([["工号", "姓名"], row]))
    assert error.message == "Line 2 has more than 1,000 columns; this is not an import file."


def test_too_many_lines_are_refused_and_blank_lines_cost_nothing() -> None:
    data = b"employee_number,name\n" + b"\n" * limits.MAX_LINES
    assert refused_within(data).message == (
        "The file has more than 1,048,576 lines; split it into smaller files."
    )


def test_a_sheet_with_a_row_far_below_is_refused() -> None:
    data = with_sheet(HEADER_ROW + f'<row r="5000000">{text_cell("A5000000", "1")}</row>')
    assert "more than 1,048,576 lines" in refused(data).message


def test_a_sheet_claiming_to_be_huge_is_read_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dimension says every cell of the sheet is used; the rows are not padded to it
    (which would make 16,384 cells of each row)."""
    xml = part(PEOPLE, SHEET)
    start = xml.index(b"<dimension")
    xml = xml[:start] + b'<dimension ref="A1:XFD1048576"/>' + xml[xml.index(b"/>", start) + 2 :]
    data = rezip(PEOPLE, {SHEET: xml})
    cells = []
    cell_text = workbooks._cell_text
    monkeypatch.setattr(workbooks, "_cell_text", lambda v: cells.append(v) or cell_text(v))
    rows, _fmt, _encoding = read_rows(data)
    assert rows == [["工号", "姓名"], ["1001", "张三"], ["1002", "李四"]]
    assert len(cells) == 6


def test_a_100k_people_file_is_read() -> None:
    lines = ["工号,姓名,上级工号,邮箱"] + [
        f"E{n:06},员工{n},E{n // 10:06},e{n}@example.com" for n in range(100_000)
    ]
    result = table("\n".join(lines).encode("gbk"))
    assert len(result) == 100_000
    assert result.rows[-1] == (
        100_001,
        {
            "employee_number": "E099999",
            "name": "员工99999",
            "manager_number": "E009999",
            "email": "e99999@example.com",
        },
    )


# Formulas --------------------------------------------------------------------------------

FORMULA_TEXTS = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1", "-2 text", "@SUM(A1)"]


def test_text_that_looks_like_a_formula_is_imported_as_text() -> None:
    csv = "工号,姓名\n" + "".join(
        f'{n},"{t.replace(chr(34), chr(34) * 2)}"\n' for n, t in enumerate(FORMULA_TEXTS)
    )
    assert [row["name"] for _, row in table(csv.encode()).rows] == FORMULA_TEXTS
    # In an XLSX, as text cells (openpyxl would make a formula of "=...": written by hand).
    rows = "".join(
        f'<row r="{n}">{text_cell(f"A{n}", str(n))}{text_cell(f"B{n}", t.replace("&", "&amp;").replace("<", "&lt;"))}</row>'
        for n, t in enumerate(FORMULA_TEXTS, start=2)
    )
    assert [row["name"] for _, row in table(with_sheet(HEADER_ROW + rows)).rows] == FORMULA_TEXTS


def test_a_formula_is_read_as_its_saved_result() -> None:
    rows = (
        '<row r="2"><c r="A2"><f>1000+1</f><v>1001</v></c>'
        '<c r="B2" t="str"><f>UPPER("ann")</f><v>ANN</v></c></row>'
        # A formula whose result is empty text: saved as an empty value, read as blank.
        '<row r="3"><c r="A3"><v>1002</v></c><c r="B3" t="str"><f>""&amp;""</f><v></v></c>'
        "</row>"
    )
    assert table(with_sheet(HEADER_ROW + rows)).rows == [
        (2, {"employee_number": "1001", "name": "ANN"}),
        (3, {"employee_number": "1002", "name": ""}),
    ]


def test_a_formula_saved_without_its_result_is_named() -> None:
    # openpyxl (like most programs that are not spreadsheets) saves formulas without
    # calculating them; read as values, they would be blank.
    data = xlsx([["工号", "姓名", "上级工号"], ["1001", "Ann", "=A3"], ["1002", "=B2", None]])
    error = refused(data)
    assert error.code == "import_rejected"
    message = (
        "Cell {cell} holds a formula saved without its result. Open the file in Excel or "
        "WPS, let it calculate and save it, or paste the values only."
    )
    assert error.details["errors"] == [
        {"line": 2, "column": "manager_number", "message": message.format(cell="C2")},
        {"line": 3, "column": "name", "message": message.format(cell="B3")},
    ]


def test_a_formula_in_a_column_that_is_not_imported_does_not_matter() -> None:
    data = xlsx([["工号", "姓名", None], ["1001", "Ann", "=A2*2"]])
    assert table(data).rows == [(2, {"employee_number": "1001", "name": "Ann"})]


def test_a_formula_in_the_header_is_named_with_the_header() -> None:
    data = xlsx([["工号", '=CONCAT("姓","名")'], ["1001", "Ann"]])
    error = refused(data)
    assert error.code == "bad_header"
    assert error.details["errors"] == [
        {"line": 1, "column": "name", "message": "Required column is missing."},
        {
            "line": 1,
            "column": "B",
            "message": "Cell B1 holds a formula saved without its result. Open the file in "
            "Excel or WPS, let it calculate and save it, or paste the values only.",
        },
    ]


def test_an_error_value_is_named() -> None:
    rows = (
        '<row r="2"><c r="A2"><v>1001</v></c>'
        '<c r="B2" t="e"><f>VLOOKUP(A2,Sheet2!A:B,2,0)</f><v>#N/A</v></c></row>'
    )
    error = refused(with_sheet(HEADER_ROW + rows))
    assert error.details["errors"] == [
        {"line": 2, "column": "name", "message": "Cell B2 shows the error #N/A."}
    ]


def test_read_rows_refuses_any_cell_without_a_value() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_rows(xlsx([["a", "b"], [1, "=A2"]]))
    assert caught.value.details["errors"][0]["column"] == "B"
    assert caught.value.details["errors"][0]["line"] == 2


# Exports ---------------------------------------------------------------------------------


def test_exports_neutralise_every_formula_trigger_and_keep_numbers() -> None:
    texts = ['=HYPERLINK("http://x")', "+1", "-2 text", "@SUM(A1)", "\tTab", "\rCR", "=", "ok"]
    numbers = [D("-2.50"), -3, -0.5, D("0"), 7]
    data = xlsx_bytes(["=Header", "+Head"], [[*texts, *numbers]], title="=title")
    sheet = load_workbook(io.BytesIO(data)).active
    header, row = (list(r) for r in sheet.iter_rows())
    expected = [safe_text(t) for t in texts]
    assert expected == ["'" + t for t in texts[:-1]] + ["ok"]
    assert [c.value for c in header[:2]] == ["'=Header", "'+Head"]
    # (XML reads a carriage return back as a line feed.)
    assert [c.value for c in row[: len(texts)]] == [t.replace("\r", "\n") for t in expected]
    assert [c.value for c in row[len(texts) :]] == [-2.5, -3, -0.5, 0, 7]
    assert all(c.data_type == "n" for c in row[len(texts) :])
    assert all(c.data_type not in ("f", "e") for r in (header, row) for c in r)
    assert b"<f>" not in part(data, SHEET)


# Through the pages and the API -------------------------------------------------------------

HOSTILE = {
    "zip-bomb": (lambda: zip_bomb(megabytes=20), "people.xlsx", BOMB_MESSAGE),
    "billion-laughs": (
        lambda: rezip(PEOPLE, {SHEET: with_entities(part(PEOPLE, SHEET), LAUGHS)}),
        "people.xlsx",
        ENTITY_MESSAGE,
    ),
    "png-as-xlsx": (
        lambda: b"\x89PNG\r\n\x1a\n" + bytes(64),
        "people.xlsx",
        "This is a PNG file, not a spreadsheet; upload CSV or XLSX.",
    ),
    "latin1-csv": (
        lambda: "employee_number,name\nC099,Müller\n".encode("latin-1"),
        "people.csv",
        ENCODING_MESSAGE,
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_the_api_refuses_hostile_files_and_writes_nothing(
    case: str, company: Any, as_user: Any
) -> None:
    make, filename, message = HOSTILE[case]
    before = Employee.objects.count()
    response = as_user(company.hr).post(
        "/api/v1/employees/import", {"file": SimpleUploadedFile(filename, make())}
    )
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("bad_file", message)
    assert Employee.objects.count() == before
    assert not AuditEvent.objects.exists()
    assert not ImportFile.objects.exists()


@pytest.mark.parametrize("case", list(HOSTILE))
def test_the_import_page_shows_why_a_hostile_file_was_refused(
    case: str, company: Any, as_user: Any
) -> None:
    make, filename, message = HOSTILE[case]
    hr = as_user(company.hr)
    before = Employee.objects.count()
    response = hr.post(
        "/org/import/", {"kind": "employees", "file": SimpleUploadedFile(filename, make())}
    )
    stored = ImportFile.objects.get()
    assert response["Location"] == f"/org/import/{stored.pk}/"
    # Recorded as every refused file is: kept with its reason, never imported.
    assert stored.status == ImportStatus.REJECTED
    assert stored.report["message"] == message
    page = hr.get(response["Location"]).content.decode()
    assert escape(message) in page
    assert "Import now" not in page
    assert Employee.objects.count() == before
    assert not AuditEvent.objects.exists()


def test_the_pages_name_a_formula_without_a_result(company: Any, as_user: Any) -> None:
    hr = as_user(company.hr)
    data = xlsx([["工号", "姓名"], ["C099", '=UPPER("x")']])
    response = hr.post(
        "/org/import/", {"kind": "employees", "file": SimpleUploadedFile("p.xlsx", data)}
    )
    page = hr.get(response["Location"])
    assert page.context["report"]["errors"] == [
        {
            "line": 2,
            "column": "name",
            "message": "Cell B2 holds a formula saved without its result. Open the file in "
            "Excel or WPS, let it calculate and save it, or paste the values only.",
        }
    ]
    assert not Employee.objects.filter(employee_number="C099").exists()


def test_the_actuals_page_refuses_a_big_file_before_reading_it(
    company: Any, as_user: Any, settings: Any
) -> None:
    settings.PERFCYCLE_IMPORT_MAX_BYTES = MB
    response = as_user(company.hr).post(
        "/monitor/import/",
        {"file": SimpleUploadedFile("actuals.csv", b"x" * (MB + 1))},
    )
    assert response.status_code == 200
    assert "The file is larger than 1 MB." in response.content.decode()
    assert not ImportFile.objects.exists()


def test_formula_text_is_stored_as_text_and_escaped_in_pages(company: Any, as_user: Any) -> None:
    hr = as_user(company.hr)
    name = '=HYPERLINK("http://x","<b>y</b>")'
    csv = f'employee_number,name,manager_number\nC099,"{name.replace(chr(34), chr(34) * 2)}",C010\n'
    response = hr.post(
        "/api/v1/employees/import", {"file": SimpleUploadedFile("p.csv", csv.encode())}
    )
    assert response.status_code == 200, response.content
    person = Employee.objects.get(employee_number="C099")
    assert person.name == name
    page = hr.get(f"/org/people/{person.pk}/").content.decode()
    assert "&lt;b&gt;y&lt;/b&gt;" in page and "<b>y</b>" not in page

"""Writing a person's data as one ZIP: ``data.json`` (every section), ``data.xlsx`` (one
sheet per section) and ``README.txt`` (what each section holds, in English and Chinese).

Spreadsheet cells go through ``imports.writing``'s rules: a text a spreadsheet program
would read as a formula (= + - @, a tab or a carriage return first) is kept as text with
a leading apostrophe, an error-like text (``#N/A``) stays text, sheet names lose the
characters Excel refuses. Times are written as ISO 8601 text with their offset (Excel
cannot hold a time zone); lists and objects as JSON text.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from perfcycle import __version__
from perfcycle.imports.writing import ERROR_TEXTS, safe_text, sheet_title
from perfcycle.privacy.selectors import SECTIONS, PersonalData

FORMAT = "perfcycle-personal-data/1"
README_LANGUAGES = ("en", "zh-hans")


def archive_name(data: PersonalData) -> str:
    stamp = data.generated_at.strftime("%Y%m%d-%H%M%S")
    return f"personal-data-{data.employee.pk}-{stamp}.zip"


def as_json(data: PersonalData, *, requested_by: str) -> bytes:
    document = {
        "format": FORMAT,
        "generated_at": data.generated_at.isoformat(),
        "generated_by": f"Perfcycle {__version__}",
        "requested_by": requested_by,
        "employee": {"id": data.employee.pk, "name": data.employee.name},
        "sections": {
            info.key: {
                "title": str(info.title),
                "description": str(info.description),
                "rows": data.sections.get(info.key, []),
            }
            for info in SECTIONS
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def _cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False)
    value = safe_text(value)
    if value in ERROR_TEXTS or value.startswith("'"):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value


def _unique_title(title: str, taken: set[str]) -> str:
    base = sheet_title(title, "Sheet")
    name, n = base, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name.casefold())
    return name


def _columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def as_xlsx(data: PersonalData) -> bytes:
    """One sheet per section, in the order of ``SECTIONS``, with the field names as the
    bold, frozen header (the README explains them)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    taken: set[str] = set()
    for info in SECTIONS:
        rows = data.sections.get(info.key, [])
        sheet = book.create_sheet(_unique_title(str(info.title), taken))
        sheet.freeze_panes = "A2"
        columns = _columns(rows) or [_("No records")]
        header = []
        for name in columns:
            cell = WriteOnlyCell(sheet, safe_text(name))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(sheet, row.get(name)) for name in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def readme(data: PersonalData) -> str:
    """The README in English, then in Simplified Chinese: what the files are, what each
    section holds, and what is left out."""
    parts = []
    for language in README_LANGUAGES:
        with translation.override(language):
            counts = data.counts()
            lines = [
                _("Personal data held by Perfcycle"),
                "=" * 40,
                "",
                _(
                    "This archive is a copy of the personal data Perfcycle keeps about "
                    "employee #%(id)s, made on %(when)s (the right of access: PIPL art. 45, "
                    "GDPR art. 15)."
                )
                % {"id": data.employee.pk, "when": data.generated_at.isoformat()},
                "",
                _("data.json  every section, as JSON: dates in ISO 8601, amounts as text."),
                _("data.xlsx  the same sections, one sheet each."),
                "",
                _("What is left out:"),
                "- "
                + _(
                    "who wrote a peer or upward review: those forms are numbered (Peer 1, "
                    "Peer 2, …) in an order that does not follow the reviewers, and are "
                    "withheld while fewer than the anonymity minimum have answered;"
                ),
                "- "
                + _(
                    "scores, grades, calibration changes and others' reviews of a cycle "
                    "until its result is released; bonus lines until their plan is "
                    "approved; proposals until decided; improvement plans until activated;"
                ),
                "- "
                + _(
                    "passwords and API token values, which Perfcycle does not keep in "
                    "readable form; the values of other people's records changed by this "
                    "person (the audit section lists the fields only)."
                ),
                "",
                _("Sections (rows):"),
            ]
            for info in SECTIONS:
                lines.append(f"- {info.key} — {info.title} ({counts.get(info.key, 0)})")
                lines.append(f"    {info.description}")
            parts.append("\n".join(lines))
    return "\n\n\n".join(parts) + "\n"


def as_zip(data: PersonalData, *, requested_by: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme(data).encode())
        archive.writestr("data.json", as_json(data, requested_by=requested_by))
        archive.writestr("data.xlsx", as_xlsx(data))
    return out.getvalue()

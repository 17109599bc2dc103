"""Parsing cell text into values, with messages fit to show next to a row.

The parsers run once per cell of files of 100,000 rows and more, so the common shapes
(an ISO date, a plain ASCII address) take a fast path that accepts exactly what the
general path would; anything else goes the general way and gets its message there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


# A plain ASCII address: every string it matches passes Django's ``validate_email``
# (dot-atom local part; host labels of letters, digits and inner hyphens; an alphabetic
# top-level domain). Anything else is checked by ``validate_email`` itself.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,63}"
)


class CellError(ValueError):
    """A cell's text is not a valid value; the message says why."""


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        # YYYY-MM-DD, the usual case; an impossible date takes the long way to its message.
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    if "T" in text:
        text = text.split("T", 1)[0]
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    raise CellError(_("“%(value)s” is not a date; use YYYY-MM-DD.") % {"value": text})


def parse_decimal(text: str) -> Decimal | None:
    cleaned = text.strip().replace(",", "").replace("，", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise CellError(_("“%(value)s” is not a number.") % {"value": text}) from exc
    if not value.is_finite():
        raise CellError(_("“%(value)s” is not a number.") % {"value": text})
    return value


def parse_email(text: str, *, max_length: int = 254) -> str:
    """An email address; 254 characters at most, the length of Django's ``EmailField``."""
    text = text.strip()
    if not text:
        return ""
    if len(text) > max_length:
        raise CellError(_("Longer than %(max)d characters.") % {"max": max_length})
    if _PLAIN_EMAIL.fullmatch(text):
        return text
    try:
        validate_email(text)
    except ValidationError as exc:
        raise CellError(_("“%(value)s” is not an email address.") % {"value": text}) from exc
    return text


def parse_text(text: str, *, max_length: int, required: bool = False) -> str:
    text = text.strip()
    if required and not text:
        raise CellError(_("This value is required."))
    if len(text) > max_length:
        raise CellError(_("Longer than %(max)d characters.") % {"max": max_length})
    return text


def text_parser(max_length: int, *, required: bool = False) -> Callable[[str], str]:
    """``parse_text`` with its limits fixed, for a column read on every row: the usual
    text passes straight through, anything else gets ``parse_text``'s answer."""

    def parse(text: str) -> str:
        text = text.strip()
        if len(text) > max_length or (required and not text):
            return parse_text(text, max_length=max_length, required=required)
        return text

    parse.text_limits = (max_length, required)  # type: ignore[attr-defined] # parse_column's
    return parse


def parse_choice(text: str, choices: dict[str, str]) -> str | None:
    """Map text (any case, English or Chinese label) to a choice value; None when blank."""
    key = text.strip().lower()
    if not key:
        return None
    if key in choices:
        return choices[key]
    raise CellError(
        _("“%(value)s” is not one of: %(choices)s")
        % {"value": text, "choices": ", ".join(sorted(set(choices)))}
    )


def parse_column(
    texts: list[str], parser: Callable[[str], Any], *, repeating: bool = False
) -> tuple[list[Any], dict[int, str]]:
    """Parse a whole column: its values (``None`` where a cell failed) and the message
    for each failed cell by row index. ``repeating``: the column holds few distinct
    texts (titles, levels, dates, departments), so each is parsed once.

    Column by column rather than row by row: a file of 100,000 rows costs one loop per
    column instead of a dictionary per row and a call per cell of every column.
    """
    limits = getattr(parser, "text_limits", None)
    if limits is not None:  # a text_parser: the usual column passes whole, checked in C
        stripped = list(map(str.strip, texts))
        longest, required = limits
        if max(map(len, stripped), default=0) <= longest and (not required or all(stripped)):
            return stripped, {}
    if repeating:
        known: dict[str, Any] = {}
        failed: dict[str, str] = {}
        for text in set(texts):
            try:
                known[text] = parser(text)
            except CellError as exc:
                failed[text] = str(exc)
        values = [known.get(text) for text in texts]
        if not failed:
            return values, {}
        return values, {i: failed[text] for i, text in enumerate(texts) if text in failed}
    try:
        return list(map(parser, texts)), {}
    except CellError:
        pass  # the slow way, to name every cell that fails
    values = []
    messages: dict[int, str] = {}
    for i, text in enumerate(texts):
        try:
            values.append(parser(text))
        except CellError as exc:
            values.append(None)
            messages[i] = str(exc)
    return values, messages

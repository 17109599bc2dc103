"""Parsing cell text into values, with messages fit to show next to a row."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

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


class CellError(ValueError):
    """A cell's text is not a valid value; the message says why."""


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
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

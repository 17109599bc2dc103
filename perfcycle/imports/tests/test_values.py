"""Cell parsers: the fast paths for the usual shapes accept exactly what the general
path accepts, and everything else still gets the general path's message."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from perfcycle.imports import values
from perfcycle.imports.values import CellError, parse_date, parse_email


def _slow_date(text: str) -> dt.date | str | None:
    """What ``parse_date`` answered before it had a fast path."""
    text = text.strip()
    if not text:
        return None
    if "T" in text:
        text = text.split("T", 1)[0]
    for pattern in values._DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    return f"“{text}” is not a date; use YYYY-MM-DD."


def _outcome(parse, text):
    try:
        return parse(text)
    except CellError as exc:
        return str(exc)


DATES = [
    "2024-02-29",
    "2023-02-29",
    "2023-02-30",
    "0000-01-01",
    "9999-12-31",
    "2024-1-5",
    "2024-13-01",
    "2024-00-10",
    "2024-+1-01",
    "2024-01-0١",  # an Arabic-Indic digit: not ASCII, the general path decides
    "2024/01/05",
    "2024.01.05",
    "2024年1月5日",
    "20240105",
    "2024-01-05T10:00:00",
    " 2024-01-05 ",
    "2024-W01-1",
    "2024-01-5 ",
    "yesterday",
    "",
]


@pytest.mark.parametrize("text", DATES)
def test_dates_read_as_before(text: str) -> None:
    assert _outcome(parse_date, text) == _slow_date(text)


def test_random_iso_like_dates_read_as_before() -> None:
    rng = random.Random(7)
    alphabet = "0123456789-+ T"
    for _i in range(5000):
        text = "".join(rng.choice(alphabet) for _c in range(10))
        text = text[:4] + "-" + text[5:7] + "-" + text[8:]
        assert _outcome(parse_date, text) == _slow_date(text), text


def _django_accepts(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


EMAILS = [
    "lina@example.com",
    "first.last+tag@mail.example.co",
    "a_b-c@x-y.example.org",
    "a@b.co",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a@-example.com",
    "a@example-.com",
    "a@example.c",
    "a@example.123",
    "a@example.com.",
    "a@localhost",
    "a@[127.0.0.1]",
    '"quoted name"@example.com',
    "用户@例子.中国",
    "a@b@example.com",
    "ann@",
    "@example.com",
    "a b@example.com",
    "a@" + "x" * 63 + ".com",
    "a@" + "x" * 64 + ".com",
    "a@example." + "c" * 63,
    "a@example." + "c" * 64,
    "a@xn--fiqs8s.com",
]


@pytest.mark.parametrize("text", EMAILS)
def test_emails_are_accepted_exactly_as_django_accepts_them(text: str) -> None:
    fast = bool(values._PLAIN_EMAIL.fullmatch(text))
    if fast:  # the fast path only ever accepts
        assert _django_accepts(text)
    outcome = _outcome(parse_email, text)
    if _django_accepts(text):
        assert outcome == text
    else:
        assert outcome == f"“{text}” is not an email address."


def test_random_plain_addresses_are_never_accepted_wrongly() -> None:
    rng = random.Random(11)
    alphabet = "ab9.-_+@"
    for _i in range(5000):
        text = "".join(rng.choice(alphabet) for _c in range(rng.randint(3, 14)))
        if values._PLAIN_EMAIL.fullmatch(text):
            assert _django_accepts(text), text


@pytest.mark.parametrize("text", ["", "  ", "abc", " abc ", "x" * 8, "x" * 9, " " + "x" * 8 + " "])
@pytest.mark.parametrize("required", [False, True])
def test_text_parser_answers_as_parse_text(text: str, required: bool) -> None:
    fast = values.text_parser(8, required=required)
    assert _outcome(fast, text) == _outcome(
        lambda t: values.parse_text(t, max_length=8, required=required), text
    )


@pytest.mark.parametrize("repeating", [False, True])
def test_parse_column_agrees_with_parsing_each_cell(repeating: bool) -> None:
    texts = ["2024-01-05", "", "2024-02-30", "2024/3/4", "2024-01-05", "soon", "2024-02-30"]
    parsed, failed = values.parse_column(texts, parse_date, repeating=repeating)
    expected = [_outcome(parse_date, text) for text in texts]
    assert failed == {i: e for i, e in enumerate(expected) if isinstance(e, str)}
    assert parsed == [None if isinstance(e, str) else e for e in expected]
    assert values.parse_column(texts[:2], parse_date, repeating=repeating) == (
        [dt.date(2024, 1, 5), None],
        {},
    )


@pytest.mark.parametrize("repeating", [False, True])
@pytest.mark.parametrize("required", [False, True])
@pytest.mark.parametrize(
    "texts",
    [
        [" abc ", "x" * 8, "d", "abc"],  # all pass: the whole column at once
        [" abc ", "", "d"],  # a blank one
        ["abc", " " + "x" * 9 + " ", "x" * 8, ""],  # one too long, one blank
        [],
    ],
)
def test_a_text_column_parses_as_each_cell_would(
    texts: list[str], required: bool, repeating: bool
) -> None:
    parser = values.text_parser(8, required=required)
    parsed, failed = values.parse_column(texts, parser, repeating=repeating)
    expected: dict[int, str] = {}
    for i, text in enumerate(texts):
        try:
            assert parsed[i] == parser(text)
        except CellError as exc:
            expected[i] = str(exc)
            assert parsed[i] is None
    assert failed == expected and len(parsed) == len(texts)
    assert bool(failed) == (texts[1:2] == [" " + "x" * 9 + " "] or (required and "" in texts))

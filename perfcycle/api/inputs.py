"""Input no database can store, refused for every operation in one place.

Ninja has parsed and validated the request against the operation's types; this decorator
then looks through the parsed values for what the types allow but a database refuses,
and answers 422 with the same body as any validation error instead of a server error:

- text with a NUL character (``\\x00``): PostgreSQL refuses it in any text, even in a
  search filter;
- an integer outside 64 bits: SQLite refuses it as a query parameter, even where an
  unknown id should simply match nothing;
- a time with an offset no place on Earth has (beyond ±14:00; PostgreSQL refuses offsets
  from 16 hours), or so close to year 1 or 9999 that it leaves the calendar in UTC.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import ValidationError
from pydantic import BaseModel

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_UTC_OFFSET = dt.timedelta(hours=14)


def _time_problem(value: dt.datetime) -> str | None:
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return _("The time zone offset is out of range.")
    try:
        (timezone.make_aware(value) if offset is None else value).astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return _("The date is out of range.")
    return None


def _problems(value: Any, loc: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    if isinstance(value, bool):
        return
    if isinstance(value, str):
        if "\x00" in value:
            yield loc, _("Text may not contain NUL characters.")
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            yield loc, _("The number is too large.")
    elif isinstance(value, dt.datetime):
        if problem := _time_problem(value):
            yield loc, problem
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _problems(getattr(value, name), [*loc, name])
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _problems(key, loc)
            yield from _problems(item, [*loc, str(key)])
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _problems(item, [*loc, index])


def refuse_unstorable_input(view: Callable[..., Any]) -> Callable[..., Any]:
    """An API-wide ninja decorator (mode ``operation``: after authentication and parsing)."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        errors = [
            {"loc": loc, "msg": message, "type": "value_error"}
            for name, value in kwargs.items()
            for loc, message in _problems(value, [name])
        ]
        if errors:
            raise ValidationError(errors)
        return view(request, *args, **kwargs)

    return checked

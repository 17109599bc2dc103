"""Working-day arithmetic for the feedback window and appeal deadlines: Monday to Friday,
less the holidays listed in ``settings.PERFCYCLE_HOLIDAYS`` (ISO dates, optional)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings


def holidays() -> frozenset[dt.date]:
    """The configured holidays; an unreadable entry is ignored rather than fatal."""
    found: set[dt.date] = set()
    for value in getattr(settings, "PERFCYCLE_HOLIDAYS", []) or []:
        if isinstance(value, dt.date):
            found.add(value)
            continue
        try:
            found.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            continue
    return frozenset(found)


def is_working_day(day: dt.date, off: Iterable[dt.date] | None = None) -> bool:
    days_off = holidays() if off is None else off
    return day.weekday() < 5 and day not in days_off


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself does not count); ``n`` = 0
    gives ``start``. Friday + 1 is Monday; a holiday is skipped like a weekend."""
    if n < 0:
        raise ValueError("n must not be negative")
    off = holidays()
    day = start
    left = n
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day, off):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days lie after ``start`` up to and including ``end`` (0 when
    ``end`` is not after ``start``)."""
    off = holidays()
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day, off):
            count += 1
    return count

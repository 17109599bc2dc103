"""Measurement periods of actuals: parsing what people type into a canonical key.

A goal is measured per week, month, quarter or once for the whole cycle
(``Goal.measurement_period``). Each period has a canonical key stored on the actual
(``2026-10``, ``2026-W43``, ``2026-Q4``, ``cycle``) and a first day used for ordering:

- month: ``2026-10``, ``2026/10``, ``2026.10``, ``2026年10月``, or any date in the month;
- week: ``2026-W43`` (ISO week; also ``2026W43``), or any date in the week;
- quarter: ``2026-Q4`` (also ``2026Q4``, ``2026 Q4``), or any date in the quarter;
- cycle: ``cycle`` (also ``周期`` or empty) — the cycle's own dates.

A period is accepted when it overlaps the goal's cycle and has already started. Pure
functions; no database access.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from perfcycle.imports.values import CellError, parse_date
from perfcycle.planning.models import MeasurementPeriod

_MONTH = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)
_WEEK = re.compile(r"^(\d{4})[- ]?w(\d{1,2})$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})[- ]?q([1-4])$", re.IGNORECASE)
_CYCLE_WORDS = {"", "cycle", "周期", "全周期"}


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date
    end: dt.date


def _month(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period(f"{year:04d}-{month:02d}", dt.date(year, month, 1), dt.date(year, month, last))


def _week(year: int, week: int) -> Period:
    start = dt.date.fromisocalendar(year, week, 1)
    return Period(f"{year:04d}-W{week:02d}", start, start + dt.timedelta(days=6))


def _quarter(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    end = _month(year, first + 2).end
    return Period(f"{year:04d}-Q{quarter}", dt.date(year, first, 1), end)


def _as_date(text: str) -> dt.date | None:
    try:
        return parse_date(text)
    except CellError:
        return None


def parse_period(text: str, how: str, *, cycle_start: dt.date, cycle_end: dt.date) -> Period:
    """The period ``text`` names for a goal measured ``how``; ``CellError`` if it names none."""
    raw = (text or "").strip()
    if how == MeasurementPeriod.CYCLE:
        if raw.lower() in _CYCLE_WORDS:
            return Period("cycle", cycle_start, cycle_end)
        raise CellError(
            _("“%(value)s” is not a period of this goal: it is measured once, as “cycle”.")
            % {"value": raw}
        )
    if how == MeasurementPeriod.MONTH:
        for pattern in _MONTH:
            match = pattern.match(raw)
            if match:
                year, month = (int(g) for g in match.groups())
                if 1 <= month <= 12:
                    return _month(year, month)
        date = _as_date(raw)
        if date is not None:
            return _month(date.year, date.month)
        raise CellError(_("“%(value)s” is not a month; use YYYY-MM.") % {"value": raw})
    if how == MeasurementPeriod.WEEK:
        match = _WEEK.match(raw)
        if match:
            year, week = (int(g) for g in match.groups())
            try:
                return _week(year, week)
            except ValueError:
                pass
        date = _as_date(raw)
        if date is not None:
            year, week, _day = date.isocalendar()
            return _week(year, week)
        raise CellError(
            _("“%(value)s” is not a week; use YYYY-Www, e.g. 2026-W43.") % {"value": raw}
        )
    if how == MeasurementPeriod.QUARTER:
        match = _QUARTER.match(raw)
        if match:
            year, quarter = (int(g) for g in match.groups())
            return _quarter(year, quarter)
        date = _as_date(raw)
        if date is not None:
            return _quarter(date.year, (date.month - 1) // 3 + 1)
        raise CellError(
            _("“%(value)s” is not a quarter; use YYYY-Qn, e.g. 2026-Q4.") % {"value": raw}
        )
    raise CellError(_("Unknown measurement period %(how)s.") % {"how": how})


def check_period(
    period: Period, *, cycle_start: dt.date, cycle_end: dt.date, today: dt.date
) -> None:
    """Refuse a period outside the cycle or one that has not started yet."""
    if period.end < cycle_start or period.start > cycle_end:
        raise CellError(
            _("Period %(period)s is outside the cycle (%(start)s – %(end)s).")
            % {"period": period.key, "start": cycle_start, "end": cycle_end}
        )
    if max(period.start, cycle_start) > today:
        raise CellError(_("Period %(period)s has not started yet.") % {"period": period.key})


def cycle_periods(how: str, *, cycle_start: dt.date, cycle_end: dt.date) -> list[Period]:
    """Every period of the cycle for a goal measured ``how``, in order (for charts)."""
    if how == MeasurementPeriod.CYCLE:
        return [Period("cycle", cycle_start, cycle_end)]
    periods: list[Period] = []
    day = cycle_start
    while day <= cycle_end:
        period = parse_period(day.isoformat(), how, cycle_start=cycle_start, cycle_end=cycle_end)
        periods.append(period)
        day = period.end + dt.timedelta(days=1)
    return periods

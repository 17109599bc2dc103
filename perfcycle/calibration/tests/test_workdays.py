"""Working days: Monday to Friday, less the configured holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from perfcycle.calibration.workdays import add_working_days, holidays, working_days_between

THU, FRI, SAT, SUN, MON = (dt.date(2026, 4, d) for d in (2, 3, 4, 5, 6))


def test_over_a_weekend():
    assert add_working_days(FRI, 1) == MON
    assert add_working_days(THU, 3) == dt.date(2026, 4, 7)
    assert add_working_days(SAT, 1) == MON
    assert add_working_days(SUN, 5) == dt.date(2026, 4, 10)
    assert add_working_days(FRI, 0) == FRI
    assert add_working_days(FRI, 7) == dt.date(2026, 4, 14)


def test_holidays_are_skipped(settings):
    settings.PERFCYCLE_HOLIDAYS = ["2026-04-06", "not a date", dt.date(2026, 4, 7)]
    assert holidays() == {MON, dt.date(2026, 4, 7)}
    assert add_working_days(FRI, 1) == dt.date(2026, 4, 8)
    assert working_days_between(FRI, dt.date(2026, 4, 10)) == 3


def test_no_holidays_setting_means_weekends_only(settings):
    del settings.PERFCYCLE_HOLIDAYS
    assert holidays() == frozenset()
    assert working_days_between(FRI, MON) == 1
    assert working_days_between(MON, FRI) == 0


def test_negative_is_refused():
    with pytest.raises(ValueError):
        add_working_days(FRI, -1)

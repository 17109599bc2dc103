"""Selectors of the organisation: HR's head counts."""

from __future__ import annotations

import datetime as dt

from perfcycle.org.models import EmployeeStatus
from perfcycle.org.selectors import company_summary


def test_company_summary_counts_active_managers_of_active_people(company):
    # Top (HR, Mia, Sam), Mia (Dan) and Dan (Ivy) have active reports.
    assert company_summary() == {"active": 6, "left": 0, "managers": 3, "departments": 3}
    company.indirect.status, company.indirect.left_on = EmployeeStatus.LEFT, dt.date(2026, 1, 31)
    company.indirect.save()
    assert company_summary() == {"active": 5, "left": 1, "managers": 2, "departments": 3}

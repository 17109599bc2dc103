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


def test_the_employee_search_finds_each_field_and_postgresql_can_use_its_trigram_index(company):
    from django.db import connection

    from perfcycle.org.selectors import employee_list

    def found(text: str) -> set[str]:
        return set(employee_list(user=company.hr, search=text).values_list("name", flat=True))

    someone = company.indirect
    assert someone.name in found(someone.name[1:].upper())
    assert someone.name in found(someone.employee_number.lower())
    assert found("no such person anywhere") == set()
    if connection.vendor != "postgresql":
        return
    # The page's count: the same filter, without the order (the page itself may walk the
    # name index instead when most people match).
    query = employee_list(user=company.hr, search="ndirec").order_by().values("pk").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the test table is tiny
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "employee_search_trgm" in plan

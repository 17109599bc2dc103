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


def test_a_large_org_chart_shows_its_first_levels(company, monkeypatch, as_user):
    """Beyond ORG_CHART_SHOWN departments the chart keeps the whole levels that fit; each
    department cut off below says how many sub-departments its page lists, and the head
    counts still cover everyone below."""
    from perfcycle.org import selectors
    from tests.factories import DepartmentFactory, EmployeeFactory

    team = DepartmentFactory(code="SALES-N", name="Sales North", parent=company.sales)
    EmployeeFactory(department=team)
    full = selectors.department_tree()
    (root,) = full
    assert [n.department for n in root.children] == [company.other, company.sales]
    monkeypatch.setattr(selectors, "ORG_CHART_SHOWN", 3)  # the root and its two children
    (cut,) = selectors.department_tree()
    other, sales = cut.children
    assert (sales.children, sales.more, other.more) == ([], 1, 0)
    assert (cut.total_count, sales.total_count) == (
        root.total_count,
        full[0].children[1].total_count,
    )
    page = as_user(company.hr).get("/org/").content.decode()
    assert "Sales North" not in page and "1 sub-department" in page
    monkeypatch.setattr(selectors, "ORG_CHART_SHOWN", 1)  # the first level always shows
    (only,) = selectors.department_tree()
    assert (only.children, only.more) == ([], 2)

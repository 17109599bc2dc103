"""Pages issue a constant number of queries whatever the team size.

Each test renders a page for a company where the manager leads 10 people, grows the
team (with sub-departments, heads, logins and audit events) to 200, and renders the
page again: the count may not move by more than 2, and never passes the page's budget.
"""

from __future__ import annotations

import pytest
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat

from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import AuditEntry, audit_record_many
from perfcycle.org.models import Department, Employee
from tests.factories import DepartmentFactory, EmployeeFactory

SMALL, LARGE = 10, 200
SLACK = 2

# The most queries each page may issue (session, user, employee and the page's own).
BUDGET = {
    "home": 30,  # a dashboard per role; no cycles here (dashboards/tests count them)
    "org_chart": 5,
    "department": 10,
    "employees": 8,  # +1: the department filter counts the departments (list or code box)
    "employee": 9,
    "audit": 7,
}


def grow(company, total: int) -> None:
    """Give the manager ``total`` reports in Sales, with sub-departments and audit events."""
    have = Employee.objects.filter(manager=company.manager).count()
    new = EmployeeFactory.build_batch(
        total - have, manager=company.manager, department=company.sales, status="active"
    )
    created = Employee.objects.bulk_create(new)
    ids = [e.pk for e in created]
    Employee.objects.filter(pk__in=ids).update(
        path=Concat(Value(company.manager.path), Cast(F("pk"), CharField()), Value("/"))
    )
    # Every tenth new person heads a new sub-department, and moves into it.
    for head in created[::10]:
        department = DepartmentFactory(parent=company.sales, head=head)
        Employee.objects.filter(pk=head.pk).update(department=department)
    # Every fifth new person is a manager too.
    for number, manager in enumerate(created[::5]):
        EmployeeFactory(manager=manager, department=company.sales, name=f"Report {number}")
    audit_record_many(
        actor=company.hr,
        entries=[
            AuditEntry(
                action=AuditAction.UPDATE,
                instance=e,
                before={"job_title": "Engineer"},
                after={"job_title": "Senior engineer"},
            )
            for e in created
        ]
        + [
            AuditEntry(
                action=AuditAction.UPDATE,
                instance=company.manager,
                before={"level": str(n)},
                after={"level": str(n + 1)},
            )
            for n in range(len(created))
        ],
    )


def url_for(company, page: str) -> str:
    return {
        "home": "/",
        "org_chart": "/org/",
        "department": f"/org/departments/{company.sales.pk}/",
        "employees": "/org/people/",
        "employee": f"/org/people/{company.manager.pk}/",
        "audit": "/admin/audit/",
    }[page]


CASES = [
    ("hr_person", "home"),
    ("manager", "home"),
    ("hr_person", "org_chart"),
    ("stranger", "org_chart"),
    ("hr_person", "department"),
    ("stranger", "department"),
    ("hr_person", "employees"),
    ("manager", "employees"),
    ("hr_person", "employee"),
    ("manager", "employee"),
    ("hr_person", "audit"),
]


@pytest.mark.parametrize(("viewer", "page"), CASES, ids=lambda v: str(v))
def test_page_queries_do_not_grow_with_the_team(
    company, as_user, django_assert_max_num_queries, viewer, page
):
    client = as_user(company.user(viewer))
    url = url_for(company, page)
    grow(company, SMALL)
    client.get(url)  # warm up: the session's first read, caches
    with django_assert_max_num_queries(BUDGET[page]) as small:
        assert client.get(url).status_code == 200
    grow(company, LARGE)
    with django_assert_max_num_queries(len(small) + SLACK) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert len(large) >= len(small) - SLACK
    assert Employee.objects.filter(manager=company.manager).count() == LARGE


def test_the_large_company_shows_up_on_the_pages(company, as_user):
    """The counts above are taken on pages that really list the grown team."""
    grow(company, LARGE)
    hr = as_user(company.hr)
    assert hr.get("/org/people/").context["page"].paginator.count > LARGE
    assert len(hr.get(f"/org/people/{company.manager.pk}/").context["reports"]) == LARGE
    assert hr.get("/admin/audit/").context["page"].paginator.count > LARGE
    assert Department.objects.filter(parent=company.sales).count() == LARGE // 10
    page = hr.get(f"/org/departments/{company.sales.pk}/")
    assert page.context["page"].paginator.count > 50
    manager_home = as_user(company.user("manager")).get("/")
    assert manager_home.context["team_size"] > LARGE

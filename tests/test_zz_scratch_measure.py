import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from perfcycle.audit.services import audit_record
from perfcycle.audit.models import AuditAction
from perfcycle.org.models import Department
from tests.factories import DepartmentFactory, EmployeeFactory


@pytest.mark.parametrize("n", [10])
def test_measure(company, as_user, n):
    dept = DepartmentFactory(code="BIG", parent=company.sales)
    for i in range(n):
        e = EmployeeFactory(manager=company.manager, department=dept if i % 2 else company.sales, login=f"u{i}")
        audit_record(actor=company.hr, action=AuditAction.UPDATE, instance=e, before={"a": 1}, after={"a": 2})
        if i % 5 == 0:
            d = DepartmentFactory(parent=dept)
            Department.objects.filter(pk=d.pk).update(head=e)
    for who in ("hr_person", "manager"):
        c = as_user(company.user(who))
        for url in ["/", "/org/", f"/org/departments/{dept.pk}/", "/org/people/", f"/org/people/{company.manager.pk}/", "/admin/audit/"]:
            with CaptureQueriesContext(connection) as ctx:
                r = c.get(url)
            print("####", n, who, url, r.status_code, len(ctx.captured_queries))
            for q in ctx.captured_queries: print("   ", q["sql"][:300])

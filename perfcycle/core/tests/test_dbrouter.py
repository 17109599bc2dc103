"""The replica router: reports in ``reading_from_replica()`` read through the ``replica``
alias when one is configured, writes never do, and nothing else reads from it.

In the test settings ``replica`` mirrors the test database (``TEST: MIRROR``): another
connection to the same database, so these tests commit (``transaction=True``) for the
replica's connection to see the rows, as a real replica would after replaying them.
"""

from __future__ import annotations

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.audit.services import audit_record
from perfcycle.core.dbrouter import reading_from_replica, replica_alias
from perfcycle.insights.tests.helpers import join, quarter, result
from perfcycle.org.models import Employee

BOTH = ["default", "replica"]
pytestmark = pytest.mark.django_db(transaction=True, databases=BOTH)


@pytest.fixture
def replica(settings):
    settings.PERFCYCLE_REPORT_DATABASE = "replica"
    return "replica"


def _captured(alias: str):
    return CaptureQueriesContext(connections[alias])


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))
    ]


def test_without_a_replica_everything_reads_from_the_primary(company):
    assert replica_alias() is None
    with reading_from_replica():
        assert Employee.objects.all().db == "default"
        assert Employee.objects.get(pk=company.direct.pk)._state.db == "default"


def test_reads_in_the_block_go_to_the_replica_and_only_there(company, replica):
    assert Employee.objects.all().db == "default"  # outside the block
    with _captured("default") as primary, _captured("replica") as copy:
        with reading_from_replica():
            names = list(Employee.objects.order_by("name").values_list("name", flat=True))
            person = Employee.objects.get(pk=company.direct.pk)
        after = Employee.objects.count()
    assert "Dan Direct" in names and person._state.db == "replica"
    assert len(copy) == 2 and not _writes(copy)
    assert len(primary) == 1 and after == len(names)  # the count after the block


def test_writes_in_the_block_go_to_the_primary(company, replica):
    with _captured("default") as primary, _captured("replica") as copy, reading_from_replica():
        person = Employee.objects.get(pk=company.direct.pk)  # read from the replica
        person.job_title = "Account lead"
        person.save(update_fields=["job_title"])
        audit_record(actor=company.hr, action=AuditAction.UPDATE, instance=person)
    assert not _writes(copy)
    assert any("UPDATE" in sql for sql in _writes(primary))
    assert any("INSERT" in sql for sql in _writes(primary))
    assert Employee.objects.get(pk=person.pk).job_title == "Account lead"
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_id=str(person.pk)).exists()


def test_inside_a_transaction_reads_stay_on_the_primary(company, replica):
    with transaction.atomic(), reading_from_replica():
        Employee.objects.filter(pk=company.direct.pk).update(job_title="New")
        assert Employee.objects.all().db == "default"
        assert Employee.objects.get(pk=company.direct.pk).job_title == "New"


def test_the_block_ends_even_on_an_error(company, replica):
    with pytest.raises(ValueError), reading_from_replica():
        assert Employee.objects.all().db == "replica"
        raise ValueError
    assert Employee.objects.all().db == "default"


@pytest.fixture
def closed_cycle(company):
    cycle = quarter("Q1", 2025, 1)
    join(cycle, [company.direct, company.indirect])
    result(cycle, company.direct, "90", "A")
    result(cycle, company.indirect, "70", "B")
    return cycle


@pytest.mark.parametrize(
    "url",
    [
        "/improve/insights/health/",
        "/improve/insights/departments/{sales}/",
        "/improve/insights/people/{direct}/",
        "/api/v1/insights/process-health?cycles=3",
        "/api/v1/cycles/{cycle}/process-health",
        "/api/v1/insights/departments/{sales}/trend",
        "/api/v1/insights/people/{direct}/trend",
    ],
)
def test_report_views_read_through_the_replica(company, closed_cycle, replica, as_user, url):
    client = as_user(company.hr)
    address = url.format(sales=company.sales.pk, direct=company.direct.pk, cycle=closed_cycle.pk)
    with _captured("default") as primary, _captured("replica") as copy:
        response = client.get(address)
    assert response.status_code == 200, response.content[:300]
    report_tables = ("calibration_result", "cycles_cycle", "org_employee", "org_department")
    assert any(t in q["sql"] for q in copy.captured_queries for t in report_tables)
    assert not _writes(copy)
    # The primary answers the session and the signed-in user, not the report.
    assert not any("calibration_result" in q["sql"] for q in primary.captured_queries)


def test_other_pages_never_read_from_the_replica(company, closed_cycle, replica, as_user):
    with _captured("replica") as copy:
        assert as_user(company.hr).get("/api/v1/results").status_code == 200
        assert as_user(company.hr).get("/").status_code == 200
    assert len(copy) == 0
    assert User.objects.filter(pk=company.hr.pk).exists()

"""The audit trail is append-only: the app cannot change or remove an event, and neither
can a stray SQL statement (database triggers)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.urls import get_resolver
from django.utils import timezone

from perfcycle.audit.models import AuditAction, AuditEvent, AuditImmutable
from perfcycle.audit.services import audit_change, audit_record, snapshot
from perfcycle.org.services import employee_update


@pytest.fixture
def event(company):
    return audit_record(
        actor=company.hr, action=AuditAction.CREATE, instance=company.direct, after={"a": 1}
    )


def test_saving_an_existing_event_is_refused(event):
    event.object_repr = "tampered"
    with pytest.raises(AuditImmutable):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).object_repr != "tampered"


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AuditImmutable):
        event.delete()
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_is_refused(event):
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(object_repr="tampered")
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.bulk_update([event], ["object_repr"])


def test_database_refuses_update_by_raw_sql(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["tampered", event.pk]
        )
    assert AuditEvent.objects.get(pk=event.pk).object_repr != "tampered"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="DELETE trigger is PostgreSQL's")
def test_postgresql_refuses_delete_by_raw_sql(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_no_url_can_write_to_the_audit_trail(company, as_user):
    audit_urls = [
        p for p in get_resolver().url_patterns if str(p.pattern).startswith("admin/audit")
    ]
    assert audit_urls
    client = as_user(company.hr)
    before = AuditEvent.objects.count()
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/admin/audit/").status_code == 405
    assert AuditEvent.objects.count() == before


def test_update_records_before_and_after_of_changed_fields_only(company):
    employee_update(actor=company.hr, employee=company.direct, job_title="Lead")
    event = AuditEvent.objects.for_object(company.direct).get(action=AuditAction.UPDATE)
    assert event.before == {"job_title": "Engineer"}
    assert event.after == {"job_title": "Lead"}
    assert event.actor == company.hr
    assert event.actor_label == "hr"
    assert event.object_type == "org.employee"
    assert event.changed_fields == [("job_title", "job title", "Engineer", "Lead")]


def test_changes_read_as_the_pages_show_them(company):
    """Choices by their label, flags as yes/no, the field by its label (in Chinese too)."""
    from django.utils import translation

    event = AuditEvent.objects.create(
        at=timezone.now(),
        action=AuditAction.UPDATE,
        source="web",
        object_type="cycles.cycle",
        object_id="1",
        before={"phase": "draft", "manager_id": 3},
        after={"phase": "in_progress", "manager_id": 4},
    )
    phase = event.changed_fields[1]
    assert (phase.name, str(phase.label), str(phase.before), str(phase.after)) == (
        "phase",
        "phase",
        "draft",
        "in progress",
    )
    assert event.changed_fields[0].label is None  # not a field of a cycle
    with translation.override("zh-hans"):
        assert str(event.changed_fields[1].after) == "执行中"


def test_no_event_when_nothing_changed(company):
    before = snapshot(company.direct, ["name"])
    assert audit_change(actor=company.hr, instance=company.direct, before=before) is None
    assert not AuditEvent.objects.for_object(company.direct).exists()


def test_snapshot_leaves_out_secrets(company):
    data = snapshot(company.hr)
    assert "password" not in data
    assert data["username"] == "hr"


def test_requests_tag_events_with_source_and_request_id(company, as_user):
    client = as_user(company.hr)
    response = client.patch(
        f"/api/v1/employees/{company.direct.pk}",
        {"version": company.direct.version, "level": "P4"},
        content_type="application/json",
        headers={"X-Request-ID": "req-123"},
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-123"
    event = AuditEvent.objects.for_object(company.direct).get()
    assert (event.source, event.request_id, event.ip_address) == ("api", "req-123", "127.0.0.1")


@override_settings(PERFCYCLE_PROXY_COUNT=1)
def test_behind_a_proxy_events_keep_the_address_the_proxy_saw(company, as_user):
    """The address the proxy put last in X-Forwarded-For, not the proxy's own and not one
    the client wrote in front of it."""
    client = as_user(company.hr)
    response = client.patch(
        f"/api/v1/employees/{company.direct.pk}",
        {"version": company.direct.version, "level": "P4"},
        content_type="application/json",
        headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.7"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.for_object(company.direct).get()
    assert event.ip_address == "203.0.113.7"


def test_many_events_at_once_refresh_the_trails_statistics(company, monkeypatch):
    """Thousands of events share one instant; fresh statistics keep "the newest few" a
    read of a few rows (the dashboard's recent changes)."""
    from django.test.utils import CaptureQueriesContext

    from perfcycle.audit.services import AuditEntry, audit_record_many
    from perfcycle.core import bulk

    monkeypatch.setattr(bulk, "ANALYZE_ROWS", 3)
    analyze = f"ANALYZE {connection.ops.quote_name(AuditEvent._meta.db_table)}"

    def written(n: int) -> list[str]:
        entries = [
            AuditEntry(action=AuditAction.UPDATE, instance=company.direct, after={"n": i})
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as queries:
            assert audit_record_many(actor=company.hr, entries=entries) == n
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]

    assert written(2) == []
    assert written(3) == [analyze]

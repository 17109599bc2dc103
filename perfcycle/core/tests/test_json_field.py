"""``core.models.JSONField``: bulk_create writes each document as its own parameter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from perfcycle.audit.models import AuditEvent
from perfcycle.core.models import JSONField

NOW = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
DOCUMENTS = [
    {"quote": 'say "hi"', "slash": "a\\b", "tab": "a\tb", "lines": "a\nb\r\n", "zh": "绩效"},
    [1, "2", None, {"nested": ["\\N", "{}", ","]}],
    "a bare string",
    None,
]


@pytest.mark.django_db
def test_bulk_create_writes_documents_as_values_rows_and_reads_them_back():
    events = [
        AuditEvent(at=NOW, action="update", object_type="test.json", object_id=str(i), after=doc)
        for i, doc in enumerate(DOCUMENTS)
    ]
    with CaptureQueriesContext(connection) as queries:
        AuditEvent.objects.bulk_create(events)
    insert = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT"))
    assert "UNNEST" not in insert.upper()
    stored = dict(
        AuditEvent.objects.filter(object_type="test.json").values_list("object_id", "after")
    )
    assert [stored[str(i)] for i in range(len(DOCUMENTS))] == DOCUMENTS


def test_migrations_see_djangos_field():
    field = JSONField("label", default=dict, blank=True)
    _name, path, _args, kwargs = field.deconstruct()
    assert path == "django.db.models.JSONField"
    assert models.JSONField(*_args, **kwargs).deconstruct()[3] == kwargs

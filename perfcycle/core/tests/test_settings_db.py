"""Database settings that matter at scale."""

from __future__ import annotations

import pytest
from django.db import connection

from perfcycle.settings.base import _server_database


def test_postgresql_connections_run_without_jit(monkeypatch):
    monkeypatch.delenv("PERFCYCLE_PG_JIT", raising=False)
    config = _server_database("postgres://u@db:5432/perfcycle")
    assert config["OPTIONS"]["options"] == "-c jit=off"
    monkeypatch.setenv("PERFCYCLE_PG_JIT", "1")
    assert "options" not in _server_database("postgres://u@db:5432/perfcycle")["OPTIONS"]
    monkeypatch.delenv("PERFCYCLE_PG_JIT")
    own = _server_database("postgres://u@db:5432/perfcycle?options=-c%20work_mem%3D64MB")
    assert own["OPTIONS"]["options"] == "-c work_mem=64MB"  # the URL's own options win


@pytest.mark.django_db
def test_the_test_database_has_jit_off():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"

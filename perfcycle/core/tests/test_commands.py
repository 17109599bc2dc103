"""The ``perfcycle`` command, the demo company and the settings read from the environment."""

from __future__ import annotations

import io
import sqlite3

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from perfcycle import cli
from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditEvent
from perfcycle.demo import DEMO_LOGINS, DEMO_PASSWORD
from perfcycle.org.models import Department, Employee
from perfcycle.settings import base


@pytest.mark.django_db
def test_demo_loads_once_and_prints_the_logins():
    out = io.StringIO()
    call_command("demo", no_serve=True, port=8123, stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text
    assert DEMO_PASSWORD in text
    assert Employee.objects.count() == 30
    assert Department.objects.count() == 5
    events = AuditEvent.objects.count()

    out = io.StringIO()
    call_command("demo", no_serve=True, stdout=out)
    assert "reusing" in out.getvalue()
    assert Employee.objects.count() == 30
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_demo_logins_work_and_follow_the_article():
    call_command("demo", no_serve=True, stdout=io.StringIO())
    for _role, username in DEMO_LOGINS:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None
    hr = User.objects.get(username="hr")
    manager = User.objects.get(username="manager").employee
    employee = User.objects.get(username="employee").employee
    assert hr.is_hr_admin
    assert employee.manager == manager
    assert manager.department.code == "SALES"
    sales = Employee.objects.in_department_tree(manager.department).filter(job_family="sales")
    assert sales.count() == 10
    assert set(Department.objects.values_list("code", flat=True)) >= {"SALES", "PROD", "SOFT"}
    # Every demo record was written through services, so each has its audit event.
    assert AuditEvent.objects.filter(object_type="org.employee", action="create").count() == 30


@pytest.mark.django_db
def test_cli_runs_django_commands(capsys):
    cli.main(["perfcycle", "check"])
    assert "no issues" in capsys.readouterr().out


def test_sqlite_default_uses_wal_and_immediate_transactions(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = base._databases()["default"]
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    # The pragma really gives WAL on a file database.
    connection = sqlite3.connect(tmp_path / "x.sqlite3")
    connection.executescript(config["OPTIONS"]["init_command"])
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_database_url_selects_postgresql(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/perf")
    config = base._databases()["default"]
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["NAME"]) == ("db.example", "perf")


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert base.env_bool("X_FLAG") is True
    assert base.env_bool("X_MISSING", True) is True
    assert base.env_list("X_LIST", []) == ["a.example", "b.example"]

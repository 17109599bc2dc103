"""Reads beside: on a second thread and connection only where that reads what this one
would (autocommit, no transaction, queries not recorded); errors and the report
replica's switch carried across."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from perfcycle.core import dbrouter
from perfcycle.core.beside import Beside, may_read_beside
from perfcycle.org.models import Department
from tests.factories import DepartmentFactory


def _codes() -> tuple[str, list[str]]:
    return threading.current_thread().name, sorted(
        Department.objects.values_list("code", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_reads_run_on_a_second_thread() -> None:
    DepartmentFactory(code="B1")
    read = Beside(_codes, worth_it=True)
    assert read.on_a_second_thread
    assert read.result() == ("perfcycle-beside", ["B1"])
    # Not worth it: here, at once.
    here = Beside(_codes, worth_it=False)
    assert not here.on_a_second_thread
    assert here.result() == (threading.current_thread().name, ["B1"])


@pytest.mark.django_db(transaction=True)
def test_what_the_second_thread_raises_is_raised_by_result_and_its_context_goes_along() -> None:
    def fails() -> None:
        raise LookupError("from beside")

    read = Beside(fails, worth_it=True)
    assert read.on_a_second_thread
    with pytest.raises(LookupError, match="from beside"):
        read.result()
    with dbrouter.reading_from_replica():
        switched = Beside(dbrouter._reading.get, worth_it=True)
    assert switched.on_a_second_thread and switched.result() is True


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_or_while_recording_queries_the_reads_stay_here() -> None:
    assert may_read_beside()
    with transaction.atomic():
        DepartmentFactory(code="UNCOMMITTED")  # what only this connection sees
        read = Beside(_codes, worth_it=True)
        assert not read.on_a_second_thread and read.result()[1] == ["UNCOMMITTED"]
    with CaptureQueriesContext(connection) as queries:
        read = Beside(_codes, worth_it=True)
    assert not read.on_a_second_thread and len(queries) == 1

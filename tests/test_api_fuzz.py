"""Fuzzing the API from its own OpenAPI schema (Schemathesis), in process, no server.

For every operation in ``/api/v1/openapi.json`` Schemathesis generates a bounded number of
requests and checks each answer: not a server error, a documented status code, a
documented content type, a body that matches the documented schema. The generation is
derandomized, so CI sends the same requests on every run; ``PERFCYCLE_FUZZ_EXAMPLES``
raises the budget for a deeper run by hand (README, *API fuzzing*).

It runs twice over the demo company: as the HR admin (who may do everything) and as a
plain employee (mostly refused: the refusals must be documented answers too). Three in
four generated ids (in the path, the query or the body's top level) are replaced by the id
of a real row of a model of that name, so requests reach the services rather than
stopping at 404.

The demo company is built once per module inside a transaction that is rolled back at the
end; each operation runs in its own savepoint (pytest-django's ``db``), so what one
operation's requests write never reaches the next one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.apps import apps
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from perfcycle.accounts.models import User
from perfcycle.accounts.services import token_create
from perfcycle.api.urls import api

MAX_EXAMPLES = int(os.environ.get("PERFCYCLE_FUZZ_EXAMPLES", "5"))
"""Generated requests per operation and pass, besides the boundary values."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class InTransactionApp(WSGIHandler):
    """Django's WSGI handler, except that (as in Django's test client) the start and the end
    of a request do not close the database connection, which holds the test's transaction."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        return super().__call__(environ, start_response)


RAW_SCHEMA: dict[str, Any] = json.loads(json.dumps(api.get_openapi_schema()))
schema = schemathesis.openapi.from_dict(RAW_SCHEMA)
schema.app = InTransactionApp()
# Boundary values (the coverage phase) for valid input only; wrong methods are covered by
# perfcycle/api/tests (405 with the error body), and invalid input by the fuzzing phase's
# negative cases.
schema.config.phases.coverage.generation.modes = [schemathesis.GenerationMode.POSITIVE]
schema.config.phases.coverage.unexpected_methods = set()

ID_POOLS: dict[str, list[int]] = {}
"""``"goal_id"`` -> ids of real goals (and of any model whose name ends in ``Goal``)."""


def _id_pools() -> dict[str, list[int]]:
    names = {name for path in RAW_SCHEMA["paths"] for name in re.findall(r"\{(\w+)_id\}", path)}
    pools: dict[str, set[int]] = {}
    for model in apps.get_models():
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()
        for name in names:
            if snake == name or snake.endswith(f"_{name}"):
                ids = model._default_manager.order_by("pk").values_list("pk", flat=True)[:40]
                pools.setdefault(f"{name}_id", set()).update(ids)
    return {name: sorted(ids) for name, ids in pools.items() if ids}


def _real_ids(values: Any) -> None:
    if not isinstance(values, dict):
        return
    for name, value in values.items():
        pool = ID_POOLS.get(name)
        if pool and isinstance(value, int) and not isinstance(value, bool) and value % 4:
            values[name] = pool[value % len(pool)]


@schema.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    _real_ids(case.path_parameters)
    _real_ids(case.query)
    _real_ids(case.body)
    return case


@dataclass(frozen=True)
class FuzzWorld:
    hr_token: str
    employee_token: str


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[FuzzWorld]:
    """The demo company and a token for its HR admin and for a plain employee."""
    from perfcycle.demo import demo_load

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            demo_load()
            hr = User.objects.get(username="hr")
            employee = User.objects.get(username="employee")
            _, hr_token = token_create(actor=hr, user=hr, name="fuzz")
            _, employee_token = token_create(actor=employee, user=employee, name="fuzz")
            ID_POOLS.update(_id_pools())
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield FuzzWorld(hr_token=hr_token, employee_token=employee_token)
    ID_POOLS.clear()
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
    # What InTransactionApp took off, as Django has it outside tests.
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(fuzz_world: FuzzWorld, db: None) -> FuzzWorld:
    return fuzz_world


FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ
def test_as_hr_admin(case: schemathesis.Case, world: FuzzWorld) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {world.hr_token}"}, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_as_employee(case: schemathesis.Case, world: FuzzWorld) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {world.employee_token}"}, checks=CHECKS
    )


def test_the_fuzzed_schema_is_the_served_one(db: None) -> None:
    served = Client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert json.loads(served.content) == RAW_SCHEMA
    assert len(RAW_SCHEMA["paths"]) > 100


def test_generated_ids_point_at_real_rows(fuzz_world: FuzzWorld, db: None) -> None:
    """The id pools are filled from the demo company (else the fuzzing would hardly get
    past 404)."""
    assert {"cycle_id", "employee_id", "goal_id", "plan_id", "session_id"} <= set(ID_POOLS)
    values = {"goal_id": 5, "cycle_id": 8, "search": 5, "employee_id": True}
    _real_ids(values)
    assert values["goal_id"] in ID_POOLS["goal_id"]
    assert values["cycle_id"] == 8  # one in four stays as generated
    assert values["search"] == 5  # not an id
    assert values["employee_id"] is True  # not an integer

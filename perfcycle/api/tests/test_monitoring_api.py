from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from perfcycle.cycles.models import CycleParticipant
from perfcycle.monitoring.models import Actual, ActualBatch
from perfcycle.monitoring.tests import actuals_fixtures as fx
from tests.factories import EmployeeFactory, GoalFactory

month_key = fx.month_key
run_cycle = fx.run_cycle
new_customers = fx.new_customers
sales_goal = fx.sales_goal

API = "/api/v1"


def post_json(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def test_record_and_history(company, run_cycle, sales_goal, as_user):
    client = as_user(company.direct.user)
    url = f"{API}/goals/{sales_goal.pk}/actuals"
    first = post_json(client, url, {"period": month_key(run_cycle, 0), "value": 12})
    assert first.status_code == 201 and first.json()["outcome"] == "created"
    same = post_json(client, url, {"period": month_key(run_cycle, 0), "value": "12.0"})
    assert same.status_code == 200 and same.json()["outcome"] == "unchanged"
    fixed = post_json(client, url, {"period": month_key(run_cycle, 0), "value": 10})
    assert fixed.json()["actual"]["revision"] == 2
    assert Decimal(fixed.json()["current_value"]) == 10
    history = client.get(url).json()
    assert [(a["revision"], a["is_current"], a["source"]) for a in history["actuals"]] == [
        (2, True, "api"),
        (1, False, "api"),
    ]
    assert history["actuals"][0]["entered_by"] == "direct"


def test_bad_value_gives_the_error_body(company, run_cycle, sales_goal, as_user):
    response = post_json(
        as_user(company.direct.user),
        f"{API}/goals/{sales_goal.pk}/actuals",
        {"period": month_key(run_cycle, 0), "value": -1},
    )
    assert response.status_code == 422
    assert "value" in response.json()["error"]["details"]["fields"]


def test_strangers_get_404(company, run_cycle, sales_goal, as_user):
    client = as_user(company.stranger.user)
    assert client.get(f"{API}/goals/{sales_goal.pk}/actuals").status_code == 404
    response = post_json(
        client, f"{API}/goals/{sales_goal.pk}/actuals", {"period": "x", "value": 1}
    )
    assert response.status_code == 404


def _items(cycle, values=(12, 7)):
    return [
        {
            "employee_number": "C011",
            "indicator_code": "NEWCUST",
            "period": month_key(cycle, 0),
            "value": values[0],
        },
        {"goal_ref": "G-DAN-NC", "period": month_key(cycle, 1), "value": values[1], "note": "CRM"},
    ]


def test_batch_is_idempotent(company, run_cycle, sales_goal, as_user):
    client = as_user(company.hr)
    body = {"cycle_id": run_cycle.pk, "items": _items(run_cycle)}
    first = post_json(client, f"{API}/actuals/batch", body, **{"Idempotency-Key": "crm-1"})
    assert first.status_code == 201, first.json()
    assert first.json()["created"] == 2
    sales_goal.refresh_from_db()
    assert sales_goal.current_value == 19
    again = post_json(client, f"{API}/actuals/batch", body, **{"Idempotency-Key": "crm-1"})
    assert again.status_code == 201 and again.json() == first.json()
    assert Actual.objects.count() == 2
    other = {"cycle_id": run_cycle.pk, "items": _items(run_cycle, (13, 7))}
    conflict = post_json(client, f"{API}/actuals/batch", other, **{"Idempotency-Key": "crm-1"})
    assert (
        conflict.status_code == 409 and conflict.json()["error"]["code"] == "idempotency_conflict"
    )
    revised = post_json(client, f"{API}/actuals/batch", other, **{"Idempotency-Key": "crm-2"})
    assert revised.json()["revised"] == 1 and revised.json()["unchanged"] == 1


def test_half_bad_batch_writes_nothing(company, run_cycle, sales_goal, as_user):
    items = [
        *_items(run_cycle),
        {
            "employee_number": "NOBODY",
            "indicator_code": "NEWCUST",
            "period": month_key(run_cycle, 0),
            "value": 1,
        },
        {
            "employee_number": "C011",
            "indicator_code": "NEWCUST",
            "period": month_key(run_cycle, 1),
            "value": "many",
        },
    ]
    response = post_json(
        as_user(company.hr),
        f"{API}/actuals/batch",
        {"cycle_id": run_cycle.pk, "items": items},
        **{"Idempotency-Key": "crm-3"},
    )
    assert response.status_code == 422
    errors = response.json()["error"]["details"]["errors"]
    assert {(e["index"], e["field"]) for e in errors} == {(2, "employee_number"), (3, "value")}
    assert not Actual.objects.exists() and not ActualBatch.objects.exists()


def test_batch_needs_a_key_and_hr(company, run_cycle, sales_goal, as_user):
    body = {"cycle_id": run_cycle.pk, "items": _items(run_cycle)}
    assert post_json(as_user(company.hr), f"{API}/actuals/batch", body).status_code == 422
    denied = post_json(
        as_user(company.manager.user), f"{API}/actuals/batch", body, **{"Idempotency-Key": "k"}
    )
    assert denied.status_code == 403


@pytest.mark.parametrize("dry_run", [True, False])
def test_import_endpoint(company, run_cycle, sales_goal, as_user, dry_run):
    data = f"工号,指标编码,期间,实际值\nC011,NEWCUST,{month_key(run_cycle, 0)},5\n".encode("gbk")
    upload = io.BytesIO(data)
    upload.name = "a.csv"
    response = as_user(company.hr).post(
        f"{API}/cycles/{run_cycle.pk}/actuals/import?dry_run={str(dry_run).lower()}",
        {"file": upload},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1
    assert Actual.objects.exists() is (not dry_run)


def test_team_pace(company, run_cycle, sales_goal, as_user):
    post_json(
        as_user(company.hr),
        f"{API}/goals/{sales_goal.pk}/actuals",
        {"period": month_key(run_cycle, 0), "value": 1},
    )
    rows = as_user(company.manager.user).get(f"{API}/cycles/{run_cycle.pk}/pace").json()["items"]
    assert rows[0]["name"] == "Dan Direct" and rows[0]["status"] == "off_track"
    narrowed = (
        as_user(company.hr)
        .get(f"{API}/cycles/{run_cycle.pk}/pace?manager_id={company.direct.pk}")
        .json()["items"]
    )
    assert [r["name"] for r in narrowed] == ["Ivy Indirect"]
    assert (
        as_user(company.indirect.user).get(f"{API}/cycles/{run_cycle.pk}/pace").status_code == 403
    )


def test_pace_query_count_is_constant(company, run_cycle, new_customers, as_user):
    def add(size: int) -> None:
        people = [EmployeeFactory(manager=company.manager) for _ in range(size)]
        CycleParticipant.objects.bulk_create(
            [CycleParticipant(cycle=run_cycle, employee=p, manager_id=p.manager_id) for p in people]
        )
        for person in people:
            GoalFactory(cycle=run_cycle, employee=person, indicator=new_customers)

    client = as_user(company.manager.user)
    url = f"{API}/cycles/{run_cycle.pk}/pace"
    add(3)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).json()["count"] == 5  # direct, indirect and three more
    add(30)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).json()["count"] == 35
    assert len(few) == len(many)
    page = client.get(f"{url}?limit=10&offset=30").json()
    assert (page["count"], len(page["items"])) == (35, 5)


def test_batch_takes_float_values_and_week_periods(company, run_cycle, as_user):
    GoalFactory(cycle=run_cycle, employee=company.direct, ref="W-CALLS", measurement_period="week")
    week = run_cycle.start_date.isocalendar()
    body = {
        "cycle_id": run_cycle.pk,
        "items": [{"goal_ref": "W-CALLS", "period": f"{week[0]}-W{week[1]:02d}", "value": 2.5}],
    }
    response = post_json(
        as_user(company.hr), f"{API}/actuals/batch", body, **{"Idempotency-Key": "w"}
    )
    assert response.status_code == 201, response.json()
    assert Actual.objects.get().value == Decimal("2.5")


def test_closed_cycle_takes_no_actuals(company, run_cycle, sales_goal, as_user):
    run_cycle.phase = "closed"
    run_cycle.save(update_fields=["phase"])
    response = post_json(
        as_user(company.hr),
        f"{API}/goals/{sales_goal.pk}/actuals",
        {"period": month_key(run_cycle, 0), "value": 1},
    )
    assert response.status_code == 422 and "closed" in response.json()["error"]["message"]

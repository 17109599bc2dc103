"""Bonus plans and motivation over the API: who may do what, the error bodies, the
paginated lines with constant queries, the spreadsheet."""

from __future__ import annotations

import io
from decimal import Decimal as D
from typing import Any

from perfcycle.rewards.tests.conftest import COEFFICIENTS

JSON = "application/json"


def call(client: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    if method == "get":
        return client.get(f"/api/v1{path}", body or {})
    return getattr(client, method)(f"/api/v1{path}", body or {}, content_type=JSON)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json()["error"]


def new_plan(client, world, **extra):
    body = {
        "name": "Q1 bonus",
        "method": "target",
        "budget": "130000",
        "grade_coefficients": COEFFICIENTS,
        **extra,
    }
    return call(client, "post", f"/cycles/{world.cycle.pk}/bonus-plans", body)


def test_create_compute_adjust_approve(company, world, as_user):
    hr, manager = as_user(company.hr), as_user(company.user("manager"))
    plan = ok(new_plan(hr, world), 201)
    assert plan["status"] == "draft"
    assert [p["id"] for p in ok(call(hr, "get", f"/cycles/{world.cycle.pk}/bonus-plans"))] == [
        plan["id"]
    ]
    report = ok(call(hr, "post", f"/bonus-plans/{plan['id']}/compute"))
    assert report["lines"] == 3 and D(report["total"]) == D(127000)
    assert report["excluded"][0]["reason_label"] == "no final result in this cycle"
    lines = ok(call(manager, "get", f"/bonus-plans/{plan['id']}/lines"))
    assert lines["count"] == 2  # direct and indirect, not the manager themselves
    line = next(x for x in lines["items"] if x["employee_name"] == "Dan Direct")
    assert "× scale" in line["explanation"]
    body = {"adjustment": "-500", "reason": "Slow start to the year.", "version": line["version"]}
    adjusted = ok(call(manager, "post", f"/bonus-lines/{line['id']}/adjust", body))
    assert D(adjusted["final_amount"]) == D(39500)
    assert (
        error(call(manager, "post", f"/bonus-lines/{line['id']}/adjust", body), 409)["code"]
        == "conflict"
    )
    body = {"adjustment": "4000", "reason": "A great second half.", "version": adjusted["version"]}
    assert (
        error(call(manager, "post", f"/bonus-lines/{line['id']}/adjust", body), 400)["code"]
        == "over_budget"
    )
    error(call(manager, "post", f"/bonus-plans/{plan['id']}/approve"), 403)
    approved = ok(call(hr, "post", f"/bonus-plans/{plan['id']}/approve"))
    assert approved["status"] == "approved" and D(approved["total_final"]) == D(126500)
    assert (
        error(call(hr, "post", f"/bonus-plans/{plan['id']}/approve"), 400)["code"]
        == "already_approved"
    )


def test_validation_errors_name_the_problem(company, world, as_user):
    hr = as_user(company.hr)
    err = error(new_plan(hr, world, grade_coefficients={"S": "1"}), 422)
    assert "grade A" in err["message"] and "grade D" in err["message"]
    assert error(new_plan(hr, world, budget="-5"), 422)["code"] == "negative"


def test_who_may(company, world, as_user):
    hr = as_user(company.hr)
    plan = ok(new_plan(hr, world), 201)
    ok(call(hr, "post", f"/bonus-plans/{plan['id']}/compute"))
    employee = as_user(company.user("stranger"))
    error(new_plan(as_user(company.user("manager")), world), 403)
    error(call(employee, "get", f"/bonus-plans/{plan['id']}/lines"), 403)
    error(call(as_user(company.user("manager")), "get", f"/bonus-plans/{plan['id']}"), 403)
    line = ok(call(hr, "get", f"/bonus-plans/{plan['id']}/lines"))["items"][0]
    body = {"adjustment": "1", "reason": "Because I say so.", "version": line["version"]}
    error(call(employee, "post", f"/bonus-lines/{line['id']}/adjust", body), 404)


def test_lines_queries_do_not_grow(company, world, as_user, django_assert_max_num_queries):
    hr = as_user(company.hr)
    plan = ok(new_plan(hr, world, budget="1000000"), 201)
    ok(call(hr, "post", f"/bonus-plans/{plan['id']}/compute"))
    with django_assert_max_num_queries(8):
        assert ok(call(hr, "get", f"/bonus-plans/{plan['id']}/lines"))["count"] == 3


def test_export_neutralises_formulas(company, world, as_user):
    from openpyxl import load_workbook

    type(company.direct).objects.filter(pk=company.direct.pk).update(name="=HYPERLINK(1)")
    hr = as_user(company.hr)
    plan = ok(new_plan(hr, world), 201)
    ok(call(hr, "post", f"/bonus-plans/{plan['id']}/compute"))
    response = hr.get(f"/api/v1/bonus-plans/{plan['id']}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [sheet.cell(row=r, column=2).value for r in range(2, sheet.max_row + 1)]
    assert "'=HYPERLINK(1)" in names
    error(
        as_user(company.user("manager")).get(f"/api/v1/bonus-plans/{plan['id']}/export.xlsx"), 403
    )


def test_motivation_api(company, as_user):
    direct = as_user(company.user("direct"))
    assert ok(call(direct, "get", "/me/motivation"))["motivators"] == []
    order = ["challenge", "learning", "bonus", "promotion", "recognition", "flexible"]
    mine = ok(call(direct, "put", "/me/motivation", {"motivators": order}))
    assert mine["motivators"] == order and mine["labels"][0] == "challenging projects"
    assert (
        error(call(direct, "put", "/me/motivation", {"motivators": ["bonus"]}), 422)["code"]
        == "bad_motivators"
    )
    error(call(direct, "get", f"/departments/{company.sales.pk}/motivation"), 403)
    agg = ok(call(as_user(company.hr), "get", f"/departments/{company.sales.pk}/motivation"))
    rows = {r["code"]: r for r in agg["motivators"]}
    assert agg["people"] == 1 and rows["challenge"]["first"] == 1 and rows["bonus"]["top"] == 1
    empty = ok(call(as_user(company.hr), "get", f"/departments/{company.other.pk}/motivation"))
    assert empty["people"] == 0


def test_pool_plan_over_the_api(company, world, as_user):
    hr = as_user(company.hr)
    body = {"departments": [{"department_id": company.sales.pk, "pool": "9000"}]}
    plan = ok(new_plan(hr, world, method="pool", budget="10000", **body), 201)
    report = ok(call(hr, "post", f"/bonus-plans/{plan['id']}/compute"))
    assert D(report["total"]) == D(9000)


def test_compensation_api(company, world, as_user):
    hr = as_user(company.hr)
    path = f"/employees/{company.direct.pk}/compensation"
    comp = ok(call(hr, "get", path))
    assert D(comp["target"]) == D(40000)  # 2 months × 20000
    body = {"base_monthly": "21000", "target_bonus_months": "2", "version": comp["version"]}
    changed = ok(call(hr, "put", path, body))
    assert D(changed["target"]) == D(42000)
    assert error(call(hr, "put", path, body), 409)["code"] == "conflict"
    assert error(call(hr, "put", path, {"base_monthly": "-1"}), 422)
    error(call(as_user(company.user("manager")), "get", path), 403)
    error(call(as_user(company.user("stranger")), "get", path), 404)
    error(call(hr, "get", f"/employees/{company.top.pk}/compensation"), 404)

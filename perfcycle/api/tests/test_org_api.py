"""The organisation over the REST API: auth, scoping, writes, imports, errors, schema."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.middleware.csrf import CSRF_SECRET_LENGTH
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.crypto import get_random_string

from perfcycle.accounts.models import ApiToken, User
from perfcycle.accounts.services import token_create, token_revoke
from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.core.errors import ValidationFailed
from perfcycle.org.models import Department, Employee, EmployeeStatus
from tests.factories import EmployeeFactory

API = "/api/v1"
JSON = "application/json"


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    """The error body, checked to have exactly the one shape every error has."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(JSON)
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return body["error"]


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def hr_token(company: Any) -> str:
    _token, raw = token_create(actor=company.hr, user=company.hr, name="HRIS sync")
    return raw


@pytest.fixture
def hr(company: Any, as_user: Any) -> Client:
    return as_user(company.hr)


def numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["employee_number"] for item in response.json()["items"]]


def csv_upload(rows: list[list[str]], name: str = "people.csv", encoding: str = "utf-8") -> Any:
    data = "".join(",".join(row) + "\r\n" for row in rows).encode(encoding)
    return SimpleUploadedFile(name, data, content_type="text/csv")


# Authentication ---------------------------------------------------------------------------


def test_anonymous_gets_401(db: None) -> None:
    error = error_of(Client().get(f"{API}/employees"), 401, "unauthenticated")
    assert error["details"] is None


def test_token_authenticates_and_records_its_use(company: Any, hr_token: str) -> None:
    response = Client().get(f"{API}/employees", **bearer(hr_token))
    assert response.status_code == 200
    assert response.json()["count"] == 6
    token = ApiToken.objects.get(user=company.hr)
    assert token.last_used_at is not None
    assert token.digest != hr_token  # only the digest is stored


def test_token_writes_need_no_csrf_and_are_audited_as_the_tokens_user(
    company: Any, hr_token: str
) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"{API}/departments",
        {"code": "OPS", "name": "运营部", "parent_code": "ROOT"},
        content_type=JSON,
        **bearer(hr_token),
    )
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(object_type="org.department", action=AuditAction.CREATE)
    assert event.actor == company.hr
    assert event.source == "api"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("problem", ["revoked", "expired", "inactive user", "garbage", "no prefix"])
def test_bad_tokens_get_401(company: Any, method: str, problem: str) -> None:
    token, raw = token_create(actor=company.hr, user=company.hr, name="CI", expires_in_days=30)
    if problem == "revoked":
        token_revoke(actor=company.hr, token=token)
    elif problem == "expired":
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    elif problem == "inactive user":
        User.objects.filter(pk=company.hr.pk).update(is_active=False)
    elif problem == "garbage":
        raw = raw[:-2] + "xx"
    else:
        raw = raw.removeprefix("pc_")
    # CSRF checks on: a refused token is "unauthenticated", not a CSRF failure.
    client = Client(enforce_csrf_checks=True)
    call = getattr(client, method)
    response = call(
        f"{API}/departments", {"code": "X", "name": "X"}, content_type=JSON, **bearer(raw)
    )
    error_of(response, 401, "unauthenticated")
    assert not Department.objects.filter(code="X").exists()


def test_token_use_is_recorded_sparingly(company: Any, hr_token: str) -> None:
    token = ApiToken.objects.get(user=company.hr)
    recently = timezone.now() - dt.timedelta(minutes=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recently)
    Client().get(f"{API}/departments", **bearer(hr_token))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == recently
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    Client().get(f"{API}/departments", **bearer(hr_token))
    assert ApiToken.objects.get(pk=token.pk).last_used_at > recently


def test_token_create_needs_a_name_and_audits_without_the_secret(company: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        token_create(actor=company.hr, user=company.hr, name="  ")
    assert list(caught.value.details["fields"]) == ["name"]
    token, raw = token_create(
        actor=company.hr, user=company.manager.user, name="BI", expires_in_days=7
    )
    assert raw.startswith("pc_")
    assert token.prefix == raw[:10]
    assert dt.timedelta(days=6) < token.expires_at - timezone.now() <= dt.timedelta(days=7)
    event = AuditEvent.objects.get(object_type="accounts.apitoken")
    assert (event.action, event.actor) == (AuditAction.CREATE, company.hr)
    assert raw not in json.dumps(event.after)
    assert token.digest not in json.dumps(event.after)
    # The token acts with its user's permissions, not its maker's.
    assert numbers(Client().get(f"{API}/employees", **bearer(raw))) == ["C010", "C011", "C012"]


def test_session_writes_are_csrf_checked(company: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(company.hr)
    assert client.get(f"{API}/departments").status_code == 200
    payload = {"code": "OPS", "name": "Ops"}
    error = error_of(
        client.post(f"{API}/departments", payload, content_type=JSON), 403, "csrf_failed"
    )
    assert error["details"] is None
    assert not Department.objects.filter(code="OPS").exists()

    secret = get_random_string(CSRF_SECRET_LENGTH)
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    wrong = client.post(
        f"{API}/departments", payload, content_type=JSON, HTTP_X_CSRFTOKEN="x" * CSRF_SECRET_LENGTH
    )
    error_of(wrong, 403, "csrf_failed")
    right = client.post(f"{API}/departments", payload, content_type=JSON, HTTP_X_CSRFTOKEN=secret)
    assert right.status_code == 201, right.content


def test_session_of_a_deactivated_user_is_refused(company: Any, as_user: Any) -> None:
    client = as_user(company.hr)
    User.objects.filter(pk=company.hr.pk).update(is_active=False)
    error_of(client.get(f"{API}/employees"), 401, "unauthenticated")


# Lists: pagination and scoping ---------------------------------------------------------------


def test_employee_list_paginates(hr: Client) -> None:
    response = hr.get(f"{API}/employees", {"limit": 2, "offset": 1})
    body = response.json()
    assert (body["count"], body["limit"], body["offset"]) == (6, 2, 1)
    assert numbers(response) == ["C002", "C010"]
    last = hr.get(f"{API}/employees", {"limit": 2, "offset": 5}).json()
    assert [i["employee_number"] for i in last["items"]] == ["C020"]
    beyond = hr.get(f"{API}/employees", {"offset": 50}).json()
    assert (beyond["items"], beyond["count"], beyond["limit"]) == (
        [],
        6,
        settings.PERFCYCLE_API_PAGE_SIZE,
    )


@pytest.mark.parametrize(
    ("params", "counted", "count"),
    [
        ({"limit": 2}, True, 6),  # a full page: more may follow
        ({"limit": 2, "offset": 4}, True, 6),  # full, and the last: only a count tells
        ({"limit": 4, "offset": 4}, False, 6),  # not full: the last page
        ({"limit": 10}, False, 6),  # everything on one page
        ({"offset": 50}, True, 6),  # beyond the end: counted
        ({"search": "nobody", "limit": 3}, False, 0),  # nothing, from the start
    ],
)
def test_a_page_that_is_not_full_is_counted_without_a_count_query(
    hr: Client, params: dict[str, Any], counted: bool, count: int
) -> None:
    with CaptureQueriesContext(connection) as queries:
        body = hr.get(f"{API}/employees", params).json()
    assert body["count"] == count
    counts = [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert bool(counts) is counted


def test_employee_item_fields(company: Any, hr: Client) -> None:
    item = hr.get(f"{API}/employees", {"search": "C011"}).json()["items"][0]
    assert item == {
        "id": company.direct.pk,
        "employee_number": "C011",
        "name": "Dan Direct",
        "email": "c011@example.com",
        "job_title": "Engineer",
        "job_family": "engineering",
        "level": "P3",
        "hire_date": "2022-01-10",
        "manager_id": company.manager.pk,
        "department_id": company.sales.pk,
        "status": "active",
        "left_on": None,
        "version": 1,
    }


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": settings.PERFCYCLE_API_MAX_PAGE_SIZE + 1}, {"offset": -1}]
)
def test_bad_pagination_is_422(hr: Client, params: dict[str, int]) -> None:
    error = error_of(hr.get(f"{API}/employees", params), 422, "validation_failed")
    assert list(error["details"]["fields"]) == list(params)


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("hr_person", ["C001", "C002", "C010", "C011", "C012", "C020"]),
        ("manager", ["C010", "C011", "C012"]),
        ("direct", ["C011", "C012"]),
        ("indirect", ["C012"]),
        ("stranger", ["C020"]),
    ],
)
def test_employee_list_is_scoped(company: Any, as_user: Any, who: str, visible: list[str]) -> None:
    response = as_user(company.user(who)).get(f"{API}/employees")
    assert numbers(response) == visible
    assert response.json()["count"] == len(visible)


def test_employee_list_filters(company: Any, hr: Client) -> None:
    Employee.objects.filter(pk=company.stranger.pk).update(
        status=EmployeeStatus.LEFT, left_on=dt.date(2024, 1, 1)
    )
    assert numbers(hr.get(f"{API}/employees", {"search": "dan"})) == ["C011"]
    assert numbers(hr.get(f"{API}/employees", {"status": "left"})) == ["C020"]
    sales = hr.get(f"{API}/employees", {"department_id": company.sales.pk})
    assert numbers(sales) == ["C010", "C011", "C012"]
    assert len(numbers(hr.get(f"{API}/employees", {"department_id": company.root.pk}))) == 6
    error_of(hr.get(f"{API}/employees", {"department_id": 999999}), 404, "not_found")


def test_employee_list_query_count_does_not_grow(company: Any, hr: Client) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert hr.get(f"{API}/employees").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for _ in range(10):
        EmployeeFactory(manager=company.manager, department=company.sales)
    assert queries() == few


def test_departments_are_listed_to_everyone(company: Any, as_user: Any) -> None:
    response = as_user(company.indirect.user).get(f"{API}/departments", {"limit": 2})
    body = response.json()
    assert body["count"] == 3
    assert [d["code"] for d in body["items"]] == ["ROOT", "SALES"]
    found = as_user(company.indirect.user).get(f"{API}/departments", {"search": "oth"}).json()
    assert [d["code"] for d in found["items"]] == ["OTHER"]


# Reading one: 404 for the invisible ---------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("manager", "indirect", 200),
        ("manager", "manager", 200),
        ("indirect", "indirect", 200),
        ("indirect", "direct", 404),
        ("direct", "manager", 404),
        ("stranger", "direct", 404),
        ("hr_person", "stranger", 200),
    ],
)
def test_reading_an_employee(
    company: Any, as_user: Any, who: str, target: str, status: int
) -> None:
    response = as_user(company.user(who)).get(f"{API}/employees/{getattr(company, target).pk}")
    if status == 200:
        assert response.status_code == 200
        assert response.json()["id"] == getattr(company, target).pk
    else:
        error_of(response, 404, "not_found")


def test_reading_something_that_does_not_exist_is_404(hr: Client) -> None:
    error_of(hr.get(f"{API}/employees/999999"), 404, "not_found")
    error_of(hr.get(f"{API}/departments/999999"), 404, "not_found")


def test_reading_a_department(company: Any, as_user: Any) -> None:
    body = as_user(company.stranger.user).get(f"{API}/departments/{company.sales.pk}").json()
    assert body == {
        "id": company.sales.pk,
        "code": "SALES",
        "name": "Sales",
        "parent_id": company.root.pk,
        "head_id": None,
        "version": 1,
    }


# Changing: 403 for the visible, 404 for the invisible -------------------------------------------


def test_manager_may_see_but_not_change_a_report(company: Any, as_user: Any) -> None:
    client = as_user(company.manager.user)
    url = f"{API}/employees/{company.direct.pk}"
    error_of(client.patch(url, {"version": 1, "name": "X"}, content_type=JSON), 403, "forbidden")
    assert Employee.objects.get(pk=company.direct.pk).name == "Dan Direct"


def test_changing_an_invisible_employee_is_404_not_403(company: Any, as_user: Any) -> None:
    client = as_user(company.manager.user)
    url = f"{API}/employees/{company.stranger.pk}"
    error_of(client.patch(url, {"version": 1, "name": "X"}, content_type=JSON), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("post", "/departments", {"code": "X", "name": "X"}),
        ("patch", "/departments/{sales}", {"version": 1, "name": "X"}),
        ("post", "/employees", {"employee_number": "X1", "name": "X"}),
    ],
)
def test_non_hr_may_not_write(
    company: Any, as_user: Any, method: str, path: str, payload: dict[str, Any]
) -> None:
    client = as_user(company.manager.user)
    url = API + path.format(sales=company.sales.pk)
    error_of(getattr(client, method)(url, payload, content_type=JSON), 403, "forbidden")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("kind", ["employees", "departments"])
def test_non_hr_may_not_import(company: Any, as_user: Any, kind: str) -> None:
    client = as_user(company.manager.user)
    upload = csv_upload([["工号", "姓名"], ["N1", "新人"]])
    error_of(client.post(f"{API}/{kind}/import", {"file": upload}), 403, "forbidden")
    assert not Employee.objects.filter(employee_number="N1").exists()


# Departments: create and update --------------------------------------------------------------


def test_create_department(company: Any, hr: Client) -> None:
    response = hr.post(
        f"{API}/departments",
        {"code": "EAST", "name": "华东区", "parent_code": "SALES", "head_number": "C010"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    department = Department.objects.get(code="EAST")
    assert body == {
        "id": department.pk,
        "code": "EAST",
        "name": "华东区",
        "parent_id": company.sales.pk,
        "head_id": company.manager.pk,
        "version": 1,
    }
    assert department.path == f"{company.sales.path}{department.pk}/"
    event = AuditEvent.objects.get(object_type="org.department", object_id=str(department.pk))
    assert (event.action, event.actor, event.source) == (AuditAction.CREATE, company.hr, "api")
    assert event.after["name"] == "华东区"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "SALES", "name": "Copy"}, "code"),
        ({"code": "EAST", "name": "East", "parent_code": "NOPE"}, "parent_code"),
        ({"code": "EAST", "name": "East", "head_number": "C999"}, "head_number"),
        ({"code": "EAST"}, "name"),
        ({"code": "E" * 33, "name": "East"}, "code"),
    ],
)
def test_create_department_validation(hr: Client, payload: dict[str, Any], field: str) -> None:
    error = error_of(
        hr.post(f"{API}/departments", payload, content_type=JSON), 422, "validation_failed"
    )
    assert list(error["details"]["fields"]) == [field]
    assert all(isinstance(m, str) for m in error["details"]["fields"][field])
    assert not AuditEvent.objects.exists()


def test_patch_department_and_stale_version(company: Any, hr: Client) -> None:
    url = f"{API}/departments/{company.sales.pk}"
    first = hr.patch(
        url, {"version": 1, "name": "Vertrieb", "parent_code": None}, content_type=JSON
    )
    assert first.status_code == 200, first.content
    assert (first.json()["name"], first.json()["version"], first.json()["parent_id"]) == (
        "Vertrieb",
        2,
        None,
    )
    event = AuditEvent.objects.get(object_type="org.department", action=AuditAction.UPDATE)
    assert event.before == {"name": "Sales", "parent": company.root.pk}
    assert event.after == {"name": "Vertrieb", "parent": None}
    stale = hr.patch(url, {"version": 1, "name": "Ventas"}, content_type=JSON)
    error = error_of(stale, 409, "conflict")
    assert error["details"] == {"expected_version": 1}
    assert Department.objects.get(pk=company.sales.pk).name == "Vertrieb"
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE).count() == 1


def test_patch_department_into_its_own_subtree_is_422(company: Any, hr: Client) -> None:
    url = f"{API}/departments/{company.root.pk}"
    error = error_of(
        hr.patch(url, {"version": 1, "parent_code": "SALES"}, content_type=JSON),
        422,
        "validation_failed",
    )
    assert list(error["details"]["fields"]) == ["parent"]


def test_patch_without_version_is_422(company: Any, hr: Client) -> None:
    url = f"{API}/departments/{company.sales.pk}"
    error = error_of(hr.patch(url, {"name": "X"}, content_type=JSON), 422, "validation_failed")
    assert error["details"] == {"fields": {"version": ["Field required"]}}


# Employees: create and update -------------------------------------------------------------------


def test_create_employee(company: Any, hr: Client) -> None:
    response = hr.post(
        f"{API}/employees",
        {
            "employee_number": "E100",
            "name": "周杰",
            "email": "zhou@example.com",
            "hire_date": "2024-03-01",
            "manager_number": "C011",
            "department_code": "SALES",
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    employee = Employee.objects.get(employee_number="E100")
    assert response.json()["id"] == employee.pk
    assert (employee.manager, employee.department) == (company.direct, company.sales)
    assert employee.path == f"{company.direct.path}{employee.pk}/"
    event = AuditEvent.objects.get(object_type="org.employee", object_id=str(employee.pk))
    assert (event.action, event.actor, event.source) == (AuditAction.CREATE, company.hr, "api")
    assert event.after["manager"] == company.direct.pk
    # The new person shows up for their managers, all the way up.
    assert "E100" in numbers(Client().get(f"{API}/employees", **bearer(token_for(company.manager))))


def token_for(employee: Employee) -> str:
    return token_create(actor=employee.user, user=employee.user, name="test")[1]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"employee_number": "C010", "name": "Copy"}, "employee_number"),
        ({"employee_number": "E1", "name": "A", "email": "nope"}, "email"),
        ({"employee_number": "E1", "name": "A", "manager_number": "C999"}, "manager_number"),
        ({"employee_number": "E1", "name": "A", "department_code": "NOPE"}, "department_code"),
        ({"employee_number": "E1", "name": "A", "hire_date": "2024-02-30"}, "hire_date"),
        ({"name": "A"}, "employee_number"),
    ],
)
def test_create_employee_validation(hr: Client, payload: dict[str, Any], field: str) -> None:
    before = Employee.objects.count()
    error = error_of(
        hr.post(f"{API}/employees", payload, content_type=JSON), 422, "validation_failed"
    )
    assert list(error["details"]["fields"]) == [field]
    assert Employee.objects.count() == before


def test_patch_employee_moves_the_subtree(company: Any, hr: Client) -> None:
    url = f"{API}/employees/{company.direct.pk}"
    response = hr.patch(url, {"version": 1, "manager_number": "C020"}, content_type=JSON)
    assert response.status_code == 200, response.content
    assert (response.json()["manager_id"], response.json()["version"]) == (company.stranger.pk, 2)
    indirect = Employee.objects.get(pk=company.indirect.pk)
    assert indirect.path.startswith(company.stranger.path)
    assert numbers(Client().get(f"{API}/employees", **bearer(token_for(company.stranger)))) == [
        "C011",
        "C012",
        "C020",
    ]
    event = AuditEvent.objects.get(object_type="org.employee", action=AuditAction.UPDATE)
    assert (event.before, event.after) == (
        {"manager": company.manager.pk},
        {"manager": company.stranger.pk},
    )


def test_patch_employee_stale_version_is_409_and_changes_nothing(company: Any, hr: Client) -> None:
    url = f"{API}/employees/{company.direct.pk}"
    assert hr.patch(url, {"version": 1, "job_title": "Lead"}, content_type=JSON).status_code == 200
    stale = hr.patch(url, {"version": 1, "manager_number": "C020"}, content_type=JSON)
    error_of(stale, 409, "conflict")
    direct = Employee.objects.get(pk=company.direct.pk)
    assert (direct.manager, direct.job_title, direct.version) == (company.manager, "Lead", 2)


def test_patch_employee_leaving(company: Any, hr: Client) -> None:
    url = f"{API}/employees/{company.indirect.pk}"
    response = hr.patch(
        url, {"version": 1, "status": "left", "left_on": "2024-06-30"}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["left_on"]) == ("left", "2024-06-30")
    assert not User.objects.get(username="indirect").is_active


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"manager_number": "C012"}, "manager"),
        ({"manager_number": "C999"}, "manager_number"),
        ({"email": "nope"}, "email"),
        ({"status": "retired"}, "status"),
        ({"name": None}, "name"),
    ],
)
def test_patch_employee_validation(
    company: Any, hr: Client, payload: dict[str, Any], field: str
) -> None:
    url = f"{API}/employees/{company.direct.pk}"
    response = hr.patch(url, {"version": 1, **payload}, content_type=JSON)
    error = error_of(response, 422, "validation_failed")
    assert list(error["details"]["fields"]) == [field]
    assert Employee.objects.get(pk=company.direct.pk).version == 1
    assert not AuditEvent.objects.exists()


# Imports ----------------------------------------------------------------------------------------


def test_import_employees_dry_run_then_for_real(company: Any, hr: Client) -> None:
    rows = [
        ["工号", "姓名", "上级工号", "部门编码"],
        ["E100", "周杰", "C010", "SALES"],
        ["C011", "Dan Direct", "C020", "OTHER"],
    ]
    url = f"{API}/employees/import"
    preview = hr.post(f"{url}?dry_run=true", {"file": csv_upload(rows, encoding="gbk")})
    assert preview.status_code == 200, preview.content
    assert preview.json() == {
        "kind": "employees",
        "rows": 2,
        "dry_run": True,
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "format": "csv",
        "encoding": "gbk",
        "changes": [
            {"line": 2, "key": "E100", "action": "create", "fields": []},
            {"line": 3, "key": "C011", "action": "update", "fields": ["department", "manager"]},
        ],
        "changes_total": 2,
    }
    assert not Employee.objects.filter(employee_number="E100").exists()
    assert not AuditEvent.objects.exists()

    applied = hr.post(url, {"file": csv_upload(rows, encoding="gbk")})
    assert applied.status_code == 200
    assert {**applied.json(), "dry_run": True} == preview.json()
    assert Employee.objects.get(employee_number="E100").manager == company.manager
    assert Employee.objects.get(pk=company.direct.pk).manager == company.stranger
    summary = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert (summary.actor, summary.after["file"]) == (company.hr, "people.csv")

    again = hr.post(url, {"file": csv_upload(rows)})
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (
        0,
        0,
        2,
    )


def test_import_rejected_file_is_422_with_every_bad_row(company: Any, hr: Client) -> None:
    rows = [
        ["工号", "姓名", "邮箱", "上级工号"],
        ["E100", "周杰", "zhou@example.com", "C010"],
        ["E101", "", "bad", "C010"],
        ["E102", "王五", "", "C999"],
    ]
    response = hr.post(f"{API}/employees/import", {"file": csv_upload(rows)})
    error = error_of(response, 422, "import_rejected")
    assert error["details"] == {
        "errors": [
            {"line": 3, "column": "email", "message": "“bad” is not an email address."},
            {"line": 3, "column": "name", "message": "This value is required."},
            {"line": 4, "column": "manager_number", "message": "Unknown employee C999."},
        ]
    }
    assert not Employee.objects.filter(employee_number__startswith="E1").exists()
    assert not AuditEvent.objects.exists()


def test_import_bad_header_and_bad_file(hr: Client) -> None:
    header = hr.post(f"{API}/employees/import", {"file": csv_upload([["工号", "工资"]])})
    error = error_of(header, 422, "bad_header")
    assert {e["column"] for e in error["details"]["errors"]} == {"工资", "name"}
    xls = SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    error_of(hr.post(f"{API}/employees/import", {"file": xls}), 422, "bad_file")


@override_settings(PERFCYCLE_IMPORT_MAX_BYTES=1024 * 1024)
def test_import_oversized_upload_is_refused(hr: Client) -> None:
    big = SimpleUploadedFile("big.csv", b"a" * (1024 * 1024 + 1))
    error = error_of(hr.post(f"{API}/employees/import", {"file": big}), 422, "bad_file")
    assert error["message"] == "The file is larger than 1 MB."


def test_import_without_a_file_is_422(hr: Client) -> None:
    error = error_of(hr.post(f"{API}/employees/import", {}), 422, "validation_failed")
    assert list(error["details"]["fields"]) == ["file"]


def test_import_departments(company: Any, hr: Client) -> None:
    rows = [["部门编码", "部门名称", "上级部门编码"], ["EAST", "华东区", "SALES"]]
    response = hr.post(f"{API}/departments/import", {"file": csv_upload(rows, "部门.csv")})
    assert response.status_code == 200, response.content
    assert (response.json()["kind"], response.json()["created"]) == ("departments", 1)
    assert Department.objects.get(code="EAST").parent == company.sales


# Errors everywhere ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/nope", 404, "not_found"),
        ("post", "/nope/deeper", 404, "not_found"),
        ("get", "/", 404, "not_found"),
        ("get", "/employees/abc", 404, "not_found"),
        ("delete", "/employees/{pk}", 405, "method_not_allowed"),
        ("put", "/departments", 405, "method_not_allowed"),
    ],
)
def test_wrong_paths_and_methods_answer_with_the_error_body(
    company: Any, hr: Client, method: str, path: str, status: int, code: str
) -> None:
    response = getattr(hr, method)(API + path.format(pk=company.direct.pk))
    error_of(response, status, code)
    if status == 405:
        assert "GET" in response["Allow"]


def test_unexpected_failure_is_500_with_the_error_body(
    hr: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("perfcycle.api.org.selectors.employee_list", broken)
    error = error_of(hr.get(f"{API}/employees"), 500, "server_error")
    assert "fire" not in error["message"]


def test_unreadable_json_is_400(hr: Client) -> None:
    response = hr.post(f"{API}/departments", "{not json", content_type=JSON)
    error_of(response, 400, "bad_request")


# OpenAPI ---------------------------------------------------------------------------------------


def test_openapi_schema(db: None) -> None:
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Perfcycle API"
    paths = schema["paths"]
    expected = {
        f"{API}/departments": {"get", "post"},
        f"{API}/departments/{{department_id}}": {"get", "patch"},
        f"{API}/departments/import": {"post"},
        f"{API}/employees": {"get", "post"},
        f"{API}/employees/{{employee_id}}": {"get", "patch"},
        f"{API}/employees/import": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    patch = paths[f"{API}/employees/{{employee_id}}"]["patch"]
    assert {"200", "403", "404", "409", "422"} <= set(patch["responses"])
    error_schema = patch["responses"]["409"]["content"][JSON]["schema"]
    assert error_schema == {"$ref": "#/components/schemas/ErrorOut"}
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}
    list_params = {p["name"] for p in paths[f"{API}/employees"]["get"]["parameters"]}
    assert {"limit", "offset", "search", "status", "department_id"} <= list_params
    import_op = paths[f"{API}/employees/import"]["post"]
    assert "multipart/form-data" in import_op["requestBody"]["content"]
    assert "dry_run" in {p["name"] for p in import_op["parameters"]}

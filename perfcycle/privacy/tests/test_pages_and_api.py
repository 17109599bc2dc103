"""Who reaches the personal-data pages and API: HR for anyone, a person for themselves,
managers see the person but may not (403), strangers do not see them (404)."""

from __future__ import annotations

import io
import zipfile

import pytest

from perfcycle.org.models import EmployeeStatus
from perfcycle.org.services import employee_update

REASON = {"reason": "Former employee's request of 2026-05-02", "confirm": "on"}


def is_zip(response) -> bool:
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {"README.txt", "data.json", "data.xlsx"} <= set(archive.namelist())


def test_hr_exports_from_the_employee_page(world, as_user):
    hr = as_user(world.company.hr)
    page = hr.get(f"/org/people/{world.person.pk}/").content.decode()
    assert f"/privacy/people/{world.person.pk}/export/" in page
    assert "/erase/" not in page  # still active
    assert is_zip(hr.get(f"/privacy/people/{world.person.pk}/export/"))
    assert is_zip(hr.get(f"/api/v1/employees/{world.person.pk}/personal-data"))


def test_a_person_downloads_their_own_data_from_preferences(world, as_user):
    me = as_user(world.company.user("direct"))
    assert "/privacy/mine/" in me.get("/account/preferences/").content.decode()
    page = me.get("/privacy/mine/")
    assert page.status_code == 200 and "/privacy/mine/download/" in page.content.decode()
    assert is_zip(me.get("/privacy/mine/download/"))
    assert is_zip(me.get(f"/privacy/people/{world.person.pk}/export/"))
    assert is_zip(me.get(f"/api/v1/employees/{world.person.pk}/personal-data"))


@pytest.mark.parametrize(
    ("who", "status"), [("stranger", 404), ("indirect", 404), ("manager", 403), ("top", 403)]
)
def test_others_may_not_export(world, as_user, who, status):
    client = as_user(world.company.user(who))
    assert client.get(f"/privacy/people/{world.person.pk}/export/").status_code == status
    api = client.get(f"/api/v1/employees/{world.person.pk}/personal-data")
    assert api.status_code == status
    assert api.json()["error"]["code"] == ("not_found" if status == 404 else "forbidden")


def test_hr_erases_a_departed_person_with_a_reason(world, as_user):
    hr = as_user(world.company.hr)
    url = f"/privacy/people/{world.person.pk}/erase/"
    # Active: the page explains, and a POST changes nothing.
    assert "still active" in hr.get(url).content.decode()
    assert hr.post(url, REASON).status_code == 400
    employee_update(actor=world.company.hr, employee=world.person, status=EmployeeStatus.LEFT)
    page = hr.get(f"/org/people/{world.person.pk}/").content.decode()
    assert url in page
    # No confirmation, no erasure.
    assert hr.post(url, {"reason": REASON["reason"]}).status_code == 400
    world.person.refresh_from_db()
    assert world.person.name == "Dan Direct"
    response = hr.post(url, REASON)
    assert response.status_code == 302
    world.person.refresh_from_db()
    assert world.person.name.startswith("Former employee #")
    assert url not in hr.get(f"/org/people/{world.person.pk}/").content.decode()


@pytest.mark.parametrize(("who", "status"), [("stranger", 404), ("manager", 403), ("top", 403)])
def test_only_hr_reaches_the_erase_page(world, as_user, who, status):
    employee_update(actor=world.company.hr, employee=world.person, status=EmployeeStatus.LEFT)
    client = as_user(world.company.user(who))
    url = f"/privacy/people/{world.person.pk}/erase/"
    assert client.get(url).status_code == status
    assert client.post(url, REASON).status_code == status
    api = client.post(
        f"/api/v1/employees/{world.person.pk}/erase",
        {"reason": REASON["reason"]},
        content_type="application/json",
    )
    assert api.status_code == status
    world.person.refresh_from_db()
    assert world.person.name == "Dan Direct"


def test_erase_over_the_api(world, as_user):
    hr = as_user(world.company.hr)
    url = f"/api/v1/employees/{world.person.pk}/erase"
    active = hr.post(url, {"reason": REASON["reason"]}, content_type="application/json")
    assert active.status_code == 400
    assert active.json()["error"]["code"] == "employee_active"
    employee_update(actor=world.company.hr, employee=world.person, status=EmployeeStatus.LEFT)
    short = hr.post(url, {"reason": "no"}, content_type="application/json")
    assert short.status_code == 422
    done = hr.post(url, {"reason": REASON["reason"]}, content_type="application/json")
    assert done.status_code == 200
    body = done.json()
    assert body["erased"] is True and body["employee_number"] == f"erased-{world.person.pk}"
    again = hr.post(url, {"reason": REASON["reason"]}, content_type="application/json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "already_erased"


def test_a_login_without_an_employee_record_has_nothing_to_download(db, as_user):
    from tests.factories import UserFactory

    client = as_user(UserFactory(username="robot"))
    assert "not linked to an employee record" in client.get("/privacy/mine/").content.decode()
    assert client.get("/privacy/mine/download/").status_code == 404


def test_the_api_schema_describes_both_endpoints(db, as_user, company):
    paths = as_user(company.hr).get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/employees/{employee_id}/personal-data"]
    assert "post" in paths["/api/v1/employees/{employee_id}/erase"]

"""Organisation pages: who sees what, what each form writes (through services, audited),
stale edits, and the two-step import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.imports.models import ImportFile, ImportStatus
from perfcycle.org import services
from perfcycle.org.models import Department, Employee, EmployeeStatus
from tests.factories import EmployeeFactory
from tests.pages import assert_phone_ready, page_facts

CONFLICT = "Somebody else changed this record in the meantime"
STALE_FORM = "This form is out of date"


def text(response) -> str:
    return response.content.decode()


def events(**lookup) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**lookup))


def department_post(department: Department, **changes) -> dict:
    data = {
        "code": department.code,
        "name": department.name,
        "parent": department.parent_id or "",
        "head": department.head_id or "",
        "version": department.version,
    }
    data.update(changes)
    return data


def employee_post(employee: Employee, **changes) -> dict:
    data = {
        "employee_number": employee.employee_number,
        "name": employee.name,
        "email": employee.email,
        "job_title": employee.job_title,
        "job_family": employee.job_family,
        "level": employee.level,
        "hire_date": employee.hire_date.isoformat() if employee.hire_date else "",
        "department": employee.department_id or "",
        "manager_number": employee.manager.employee_number if employee.manager else "",
        "status": employee.status,
        "left_on": "",
        "version": employee.version,
    }
    data.update(changes)
    return data


# Pages in general ----------------------------------------------------------------------


def test_pages_need_a_sign_in(company, client):
    for url in ("/org/", f"/org/departments/{company.sales.pk}/", "/org/people/", "/org/import/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next=")


def test_every_org_page_is_phone_ready(company, as_user):
    hr = as_user(company.hr)
    services.employee_update(
        actor=company.hr, employee=company.manager, expected_version=1, job_title="Boss"
    )
    stored = ImportFile.objects.create(
        kind="employees",
        filename="x.csv",
        content=b"",
        sha256="0",
        uploaded_by=company.hr,
        status=ImportStatus.REJECTED,
        report={"message": "Bad", "errors": [{"line": 2, "column": "name", "message": "Empty"}]},
    )
    urls = [
        "/org/",
        f"/org/departments/{company.sales.pk}/",
        "/org/departments/new/",
        f"/org/departments/{company.sales.pk}/edit/",
        "/org/people/",
        "/org/people/new/",
        f"/org/people/{company.manager.pk}/",
        f"/org/people/{company.manager.pk}/edit/",
        f"/org/people/{company.manager.pk}/login/",
        "/org/import/",
        f"/org/import/{stored.pk}/",
    ]
    tables = 0
    for url in urls:
        response = hr.get(url)
        assert response.status_code == 200, url
        tables += assert_phone_ready(text(response)).tables
    assert tables >= 4  # lists, members, change history and bad rows are all tables


def test_phone_check_notices_a_bare_table_and_an_unlabelled_field():
    facts = page_facts(
        '<meta name="viewport" content="width=device-width"><table></table>'
        '<div class="table-wrap"><table></table></div>'
        '<label for="a">A</label><input id="a" name="a"><input id="b" name="b">'
        '<label>C <input name="c"></label><input type="hidden" name="version">'
    )
    assert facts.tables == 2
    assert facts.tables_without_scroll == 1
    assert facts.unlabelled == ["b (id=b)"]
    with pytest.raises(AssertionError):
        assert_phone_ready("<p>no viewport</p>")


# Org chart -------------------------------------------------------------------------------


def test_org_chart_shows_every_department_and_head_to_everyone(company, as_user):
    company.sales.head = company.manager
    company.sales.save()
    for who in ("hr_person", "manager", "indirect", "stranger"):
        response = as_user(company.user(who)).get("/org/")
        assert response.status_code == 200
        page = text(response)
        for department in (company.root, company.sales, company.other):
            assert f'href="/org/departments/{department.pk}/"' in page
        assert "Mia Manager" in page
    # Six active people in the company, three of them in Sales.
    assert '">6</span>' in page
    assert '">3</span>' in page


def test_org_chart_offers_editing_only_to_hr(company, as_user):
    assert "/org/departments/new/" in text(as_user(company.hr).get("/org/"))
    page = text(as_user(company.user("manager")).get("/org/"))
    assert "/org/departments/new/" not in page
    assert "/org/import/" not in page


# Departments ----------------------------------------------------------------------------


def test_department_lists_members_and_links_only_to_those_one_may_see(company, as_user):
    url = f"/org/departments/{company.sales.pk}/"
    stranger_page = text(as_user(company.user("stranger")).get(url))
    for person in (company.manager, company.direct, company.indirect):
        assert person.name in stranger_page
        assert f'href="/org/people/{person.pk}/"' not in stranger_page
    direct_page = text(as_user(company.user("direct")).get(url))
    assert f'href="/org/people/{company.direct.pk}/"' in direct_page
    assert f'href="/org/people/{company.indirect.pk}/"' in direct_page
    assert f'href="/org/people/{company.manager.pk}/"' not in direct_page
    assert f"/org/departments/{company.sales.pk}/edit/" not in direct_page
    assert f"/org/departments/{company.sales.pk}/edit/" in text(as_user(company.hr).get(url))


def test_department_leaves_out_people_who_have_left(company, as_user):
    EmployeeFactory(
        name="Gone Person",
        department=company.sales,
        status=EmployeeStatus.LEFT,
        left_on="2024-01-01",
    )
    page = text(as_user(company.hr).get(f"/org/departments/{company.sales.pk}/"))
    assert "Dan Direct" in page
    assert "Gone Person" not in page


def test_unknown_department_is_not_found(company, as_user):
    assert as_user(company.hr).get("/org/departments/999999/").status_code == 404
    assert as_user(company.hr).get("/org/departments/999999/edit/").status_code == 404


def test_hr_creates_a_department_through_the_service(company, as_user):
    response = as_user(company.hr).post(
        "/org/departments/new/",
        {"code": "MKT", "name": "Marketing", "parent": company.root.pk, "head": company.top.pk},
    )
    department = Department.objects.get(code="MKT")
    assert response.status_code == 302
    assert response["Location"] == f"/org/departments/{department.pk}/"
    assert department.path == f"{company.root.path}{department.pk}/"
    assert department.head == company.top
    [event] = events(object_type="org.department", object_id=str(department.pk))
    assert event.action == AuditAction.CREATE
    assert event.actor == company.hr
    assert event.source == "web"


def test_department_create_shows_service_errors_on_the_form(company, as_user):
    response = as_user(company.hr).post("/org/departments/new/", {"code": "SALES", "name": "Dup"})
    assert response.status_code == 200
    assert 'class="field has-error"' in text(response)
    assert Department.objects.filter(code="SALES").count() == 1


@pytest.mark.parametrize("who", ["manager", "direct", "stranger"])
def test_only_hr_may_create_or_edit_departments(company, as_user, who):
    client = as_user(company.user(who))
    assert client.get("/org/departments/new/").status_code == 403
    assert client.post("/org/departments/new/", {"code": "X", "name": "X"}).status_code == 403
    url = f"/org/departments/{company.sales.pk}/edit/"
    assert client.get(url).status_code == 403
    response = client.post(url, department_post(company.sales, name="Hacked"))
    assert response.status_code == 403
    company.sales.refresh_from_db()
    assert company.sales.name == "Sales"
    assert not Department.objects.filter(code="X").exists()


def test_hr_edits_a_department_and_the_change_is_audited(company, as_user):
    response = as_user(company.hr).post(
        f"/org/departments/{company.sales.pk}/edit/",
        department_post(company.sales, name="Sales & Marketing"),
    )
    assert response.status_code == 302
    company.sales.refresh_from_db()
    assert company.sales.name == "Sales & Marketing"
    assert company.sales.version == 2
    [event] = events(object_type="org.department", action=AuditAction.UPDATE)
    assert event.before == {"name": "Sales"}
    assert event.after == {"name": "Sales & Marketing"}


def test_department_edit_form_carries_the_version(company, as_user):
    page = text(as_user(company.hr).get(f"/org/departments/{company.sales.pk}/edit/"))
    assert '<input type="hidden" name="version" value="1"' in page


def test_stale_department_edit_shows_a_conflict_and_changes_nothing(company, as_user):
    form = department_post(company.sales, name="Mine")
    services.department_update(
        actor=company.hr,
        department=Department.objects.get(pk=company.sales.pk),
        expected_version=1,
        name="Theirs",
    )
    before = AuditEvent.objects.count()
    response = as_user(company.hr).post(f"/org/departments/{company.sales.pk}/edit/", form)
    assert response.status_code == 200
    assert CONFLICT in text(response)
    company.sales.refresh_from_db()
    assert (company.sales.name, company.sales.version) == ("Theirs", 2)
    assert AuditEvent.objects.count() == before


def test_department_edit_without_a_version_is_refused(company, as_user):
    data = department_post(company.sales, name="Blind")
    del data["version"]
    response = as_user(company.hr).post(f"/org/departments/{company.sales.pk}/edit/", data)
    assert response.status_code == 200
    assert STALE_FORM in text(response)
    company.sales.refresh_from_db()
    assert company.sales.name == "Sales"


def test_department_keeps_a_head_from_elsewhere_when_edited(company, as_user):
    # A head chosen on the create form may belong to another department, or may have left.
    company.sales.head = company.top
    company.sales.save()
    company.other.head = EmployeeFactory(status=EmployeeStatus.LEFT, left_on="2024-05-01")
    company.other.save()
    hr = as_user(company.hr)
    for department in (company.sales, company.other):
        response = hr.post(
            f"/org/departments/{department.pk}/edit/", department_post(department, name="Renamed")
        )
        assert response.status_code == 302, text(response)
        department.refresh_from_db()
        assert department.name == "Renamed"


def test_department_cannot_move_under_its_own_child(company, as_user):
    child = services.department_create(
        actor=company.hr, code="SUB", name="Sub", parent=company.sales
    )
    response = as_user(company.hr).post(
        f"/org/departments/{company.sales.pk}/edit/",
        department_post(company.sales, parent=child.pk),
    )
    assert response.status_code == 200
    assert "has-error" in text(response)
    company.sales.refresh_from_db()
    assert company.sales.parent == company.root


# Employees ------------------------------------------------------------------------------


def listed_names(response) -> set[str]:
    return {e.name for e in response.context["page"].object_list}


def test_employee_list_shows_each_role_whom_they_may_see(company, as_user):
    everyone = {"Top", "Hilda HR", "Mia Manager", "Dan Direct", "Ivy Indirect", "Sam Stranger"}
    assert listed_names(as_user(company.hr).get("/org/people/")) == everyone
    assert listed_names(as_user(company.user("manager")).get("/org/people/")) == {
        "Mia Manager",
        "Dan Direct",
        "Ivy Indirect",
    }
    assert listed_names(as_user(company.user("direct")).get("/org/people/")) == {
        "Dan Direct",
        "Ivy Indirect",
    }
    stranger_page = as_user(company.user("stranger")).get("/org/people/")
    assert listed_names(stranger_page) == {"Sam Stranger"}
    assert "Dan Direct" not in text(stranger_page)
    assert "/org/people/new/" not in text(stranger_page)


def test_employee_list_filters(company, as_user):
    EmployeeFactory(
        name="Lena Left", department=company.sales, status=EmployeeStatus.LEFT, left_on="2024-01-01"
    )
    hr = as_user(company.hr)
    assert listed_names(hr.get("/org/people/", {"q": "dan"})) == {"Dan Direct"}
    assert listed_names(hr.get("/org/people/", {"q": "C020"})) == {"Sam Stranger"}
    assert listed_names(hr.get("/org/people/", {"department": company.sales.pk})) == {
        "Mia Manager",
        "Dan Direct",
        "Ivy Indirect",
    }
    assert listed_names(hr.get("/org/people/", {"status": "left"})) == {"Lena Left"}
    assert "Lena Left" in listed_names(hr.get("/org/people/", {"status": ""}))
    # Nonsense filters fall back to the defaults instead of failing.
    response = hr.get("/org/people/", {"status": "bogus", "department": "abc"})
    assert response.status_code == 200
    assert "Lena Left" not in listed_names(response)


def test_employee_list_filters_by_department_code_beyond_the_list(company, as_user, monkeypatch):
    """With more departments than a list holds, the filter takes the department's code."""
    monkeypatch.setattr("perfcycle.org.fields.LISTED", 1)
    hr = as_user(company.hr)
    response = hr.get("/org/people/", {"department": company.sales.code})
    assert listed_names(response) == {"Mia Manager", "Dan Direct", "Ivy Indirect"}
    assert "<select" not in text(response).split('name="department"')[0][-200:]
    assert f'value="{company.sales.code}"' in text(response)
    unknown = hr.get("/org/people/", {"department": "NOPE"})
    assert "No department with code NOPE can be chosen here." in text(unknown)
    assert "Sam Stranger" in listed_names(unknown)  # no filter: everyone


def test_employee_list_pages_keep_the_filters_once(company, as_user):
    for _ in range(55):
        EmployeeFactory(department=company.sales)
    page = text(
        as_user(company.hr).get("/org/people/", {"department": company.sales.pk, "page": 2})
    )
    assert f"?department={company.sales.pk}&amp;page=1" in page
    assert "page=2&amp;page" not in page


def test_employee_detail_for_a_manager_names_the_reporting_line(company, as_user):
    response = as_user(company.user("manager")).get(f"/org/people/{company.indirect.pk}/")
    page = text(response)
    assert response.status_code == 200
    # Top is above the manager: named, but not linked (that page would be 404 for them).
    assert "Top" in page
    assert f'href="/org/people/{company.top.pk}/"' not in page
    assert f'href="/org/people/{company.manager.pk}/"' in page
    assert f'href="/org/people/{company.direct.pk}/"' in page
    # Only HR sees the login and the change history.
    assert "Change history" not in page
    assert f"/org/people/{company.indirect.pk}/edit/" not in page


def test_employee_detail_for_hr_shows_history_and_login(company, as_user):
    services.employee_update(
        actor=company.hr, employee=company.direct, expected_version=1, job_title="Lead"
    )
    page = text(as_user(company.hr).get(f"/org/people/{company.direct.pk}/"))
    assert "Change history" in page
    assert "<ins>Lead</ins>" in page
    assert ">direct</dd>" in page
    assert f'href="/org/people/{company.top.pk}/"' in page
    assert "1 person in the whole reporting line." in page


def test_invisible_employee_is_not_found_on_every_page(company, as_user):
    client = as_user(company.user("direct"))
    for suffix in ("", "edit/", "login/"):
        assert client.get(f"/org/people/{company.manager.pk}/{suffix}").status_code == 404
    assert client.get("/org/people/999999/").status_code == 404


def test_visible_employee_but_forbidden_action_is_403(company, as_user):
    client = as_user(company.user("manager"))
    for suffix in ("edit/", "login/"):
        assert client.get(f"/org/people/{company.direct.pk}/{suffix}").status_code == 403
    response = client.post(
        f"/org/people/{company.direct.pk}/edit/", employee_post(company.direct, name="X")
    )
    assert response.status_code == 403
    response = client.post(
        f"/org/people/{company.direct.pk}/login/", {"username": "dd", "password": ""}
    )
    assert response.status_code == 403
    company.direct.refresh_from_db()
    assert company.direct.name == "Dan Direct"
    assert company.direct.user.username == "direct"
    assert client.get("/org/people/new/").status_code == 403


def test_hr_creates_an_employee_through_the_service(company, as_user):
    response = as_user(company.hr).post(
        "/org/people/new/",
        {
            "employee_number": "C099",
            "name": "New Person",
            "email": "new@example.com",
            "job_title": "Analyst",
            "department": company.sales.pk,
            "manager_number": "C010",
            "status": "active",
        },
    )
    employee = Employee.objects.get(employee_number="C099")
    assert response.status_code == 302
    assert response["Location"] == f"/org/people/{employee.pk}/"
    assert employee.manager == company.manager
    assert employee.path == f"{company.manager.path}{employee.pk}/"
    [event] = events(object_type="org.employee", object_id=str(employee.pk))
    assert event.action == AuditAction.CREATE
    assert event.after["manager"] == company.manager.pk


def test_employee_form_names_an_unknown_manager(company, as_user):
    response = as_user(company.hr).post(
        "/org/people/new/",
        {"employee_number": "C099", "name": "New", "manager_number": "NOPE", "status": "active"},
    )
    assert response.status_code == 200
    assert "No employee has this number." in text(response)
    assert not Employee.objects.filter(employee_number="C099").exists()


def test_hr_edits_an_employee_and_the_change_is_audited(company, as_user):
    response = as_user(company.hr).post(
        f"/org/people/{company.direct.pk}/edit/",
        employee_post(company.direct, job_title="Team lead", manager_number="C001"),
    )
    assert response.status_code == 302
    company.direct.refresh_from_db()
    company.indirect.refresh_from_db()
    assert company.direct.job_title == "Team lead"
    assert company.direct.manager == company.top
    # The reporting line below moved too.
    assert company.indirect.path == f"{company.direct.path}{company.indirect.pk}/"
    [event] = events(object_type="org.employee", action=AuditAction.UPDATE)
    assert event.after == {"job_title": "Team lead", "manager": company.top.pk}


def test_stale_employee_edit_shows_a_conflict_and_changes_nothing(company, as_user):
    form = employee_post(company.direct, name="Mine")
    services.employee_update(
        actor=company.hr,
        employee=Employee.objects.get(pk=company.direct.pk),
        expected_version=1,
        name="Theirs",
    )
    before = AuditEvent.objects.count()
    response = as_user(company.hr).post(f"/org/people/{company.direct.pk}/edit/", form)
    assert response.status_code == 200
    assert CONFLICT in text(response)
    assert 'value="Mine"' in text(response)  # what they typed is kept to copy from
    company.direct.refresh_from_db()
    assert (company.direct.name, company.direct.version) == ("Theirs", 2)
    assert AuditEvent.objects.count() == before


def test_employee_edit_without_a_version_is_refused(company, as_user):
    data = employee_post(company.direct, name="Blind")
    data["version"] = ""
    response = as_user(company.hr).post(f"/org/people/{company.direct.pk}/edit/", data)
    assert response.status_code == 200
    assert STALE_FORM in text(response)
    company.direct.refresh_from_db()
    assert company.direct.name == "Dan Direct"


def test_reporting_loop_is_shown_on_the_manager_field(company, as_user):
    response = as_user(company.hr).post(
        f"/org/people/{company.manager.pk}/edit/",
        employee_post(company.manager, manager_number=company.indirect.employee_number),
    )
    assert response.status_code == 200
    [error] = response.context["form"].errors["manager_number"]
    assert "loop" in error
    company.manager.refresh_from_db()
    assert company.manager.manager == company.top


def test_employee_leaving_loses_their_login(company, as_user):
    response = as_user(company.hr).post(
        f"/org/people/{company.stranger.pk}/edit/",
        employee_post(company.stranger, status="left", left_on="2025-03-31"),
    )
    assert response.status_code == 302
    company.stranger.refresh_from_db()
    company.stranger.user.refresh_from_db()
    assert company.stranger.status == EmployeeStatus.LEFT
    assert not company.stranger.user.is_active


def test_hr_gives_an_employee_a_login(company, as_user):
    newcomer = EmployeeFactory(employee_number="C050", name="Nina New", manager=company.manager)
    url = f"/org/people/{newcomer.pk}/login/"
    hr = as_user(company.hr)
    assert 'value="C050"' in text(hr.get(url))
    response = hr.post(url, {"username": "nina", "password": "a-Long-enough-pw-42"})
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.user.username == "nina"
    assert newcomer.user.check_password("a-Long-enough-pw-42")
    actions = sorted(e.action for e in events(object_type="accounts.user"))
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE]
    assert all("a-Long" not in str(e.after) for e in AuditEvent.objects.all())


def test_login_form_shows_taken_names_and_weak_passwords(company, as_user):
    hr = as_user(company.hr)
    url = f"/org/people/{company.stranger.pk}/login/"
    response = hr.post(url, {"username": "MANAGER", "password": ""})
    assert response.context["form"].errors["username"] == ["This login name is taken."]
    response = hr.post(url, {"username": "stranger", "password": "short"})
    assert response.context["form"].errors["password"]
    company.stranger.user.refresh_from_db()
    assert company.stranger.user.check_password("test-Pass-123")


# Import ---------------------------------------------------------------------------------

GOOD = b"employee_number,name,manager_number,department_code\nC030,Nora New,C010,SALES\nC011,Dan Direct,C010,SALES\n"
BAD = (
    "工号,姓名,上级工号,入职日期\n"
    "C031,,C010,2024-01-01\n"
    "C032,Ok Person,NOPE,2024-01-01\n"
    "C033,Bad Date,C010,yesterday\n"
).encode()


def upload(client, data: bytes, kind: str = "employees", name: str = "people.csv"):
    return client.post(
        "/org/import/", {"kind": kind, "file": SimpleUploadedFile(name, data, "text/csv")}
    )


def test_import_preview_shows_every_bad_row_and_writes_nothing(company, as_user):
    hr = as_user(company.hr)
    response = upload(hr, BAD)
    stored = ImportFile.objects.get()
    assert response["Location"] == f"/org/import/{stored.pk}/"
    assert stored.status == ImportStatus.REJECTED
    page = hr.get(response["Location"])
    rows = [(e["line"], e["column"]) for e in page.context["report"]["errors"]]
    assert rows == [(2, "name"), (3, "manager_number"), (4, "hire_date")]
    html = text(page)
    for line, column in rows:
        assert f"<tr><td>{line}</td><td><code>{column}</code></td>" in html
    assert "Import now" not in html
    assert not Employee.objects.filter(employee_number__in=["C031", "C032", "C033"]).exists()
    # Nothing reached the audit trail either: the dry run is silent.
    assert not AuditEvent.objects.exists()


def test_import_preview_then_confirm(company, as_user):
    hr = as_user(company.hr)
    preview_url = upload(hr, GOOD)["Location"]
    page = hr.get(preview_url)
    assert page.context["report"]["created"] == 1
    assert page.context["report"]["unchanged"] == 1
    assert "Import now" in text(page)
    assert not Employee.objects.filter(employee_number="C030").exists()

    response = hr.post(preview_url, follow=True)
    assert "Imported: 1 created, 0 updated, 1 unchanged." in text(response)
    nora = Employee.objects.get(employee_number="C030")
    assert nora.manager == company.manager
    assert nora.department == company.sales
    assert ImportFile.objects.get().status == ImportStatus.APPLIED
    # The newcomer is counted by the import's one summary event, not an event of their own.
    (summary,) = events(action=AuditAction.IMPORT, object_type="import.employees")
    assert (summary.after["created"], summary.after["unchanged"]) == (1, 1)
    assert not events(action=AuditAction.CREATE, object_id=str(nora.pk))
    # Confirming again (a double click, a reload) imports nothing more.
    count = AuditEvent.objects.count()
    response = hr.post(preview_url)
    assert response.status_code == 200
    assert "This file has been imported." in text(response)
    assert AuditEvent.objects.count() == count


def test_import_of_departments(company, as_user):
    hr = as_user(company.hr)
    data = "部门编码,部门名称,上级部门编码\nMKT,市场部,ROOT\n".encode()
    preview_url = upload(hr, data, kind="departments")["Location"]
    hr.post(preview_url)
    assert Department.objects.get(code="MKT").parent == company.root


def test_import_refuses_a_file_that_is_too_big_before_reading_it(company, as_user, settings):
    settings.PERFCYCLE_IMPORT_MAX_BYTES = 1024 * 1024
    response = upload(as_user(company.hr), b"employee_number,name\n" + b"x" * (1024 * 1024))
    assert response.status_code == 200
    assert "The file is larger than 1 MB." in text(response)
    assert not ImportFile.objects.exists()


def test_import_is_for_hr_only_and_previews_are_private(company, as_user):
    manager = as_user(company.user("manager"))
    assert manager.get("/org/import/").status_code == 403
    assert upload(manager, GOOD).status_code == 403
    assert not ImportFile.objects.exists()
    preview_url = upload(as_user(company.hr), GOOD)["Location"]
    assert manager.get(preview_url).status_code == 404
    assert manager.post(preview_url).status_code == 404
    other_hr = EmployeeFactory(login="hr2", login__is_hr_admin=True).user
    assert as_user(other_hr).get(preview_url).status_code == 404
    assert not Employee.objects.filter(employee_number="C030").exists()


def test_import_page_lists_my_recent_files(company, as_user):
    hr = as_user(company.hr)
    upload(hr, GOOD, name="first.csv")
    page = text(hr.get("/org/import/"))
    assert "first.csv" in page
    assert "first.csv" not in text(
        as_user(EmployeeFactory(login="hr2", login__is_hr_admin=True).user).get("/org/import/")
    )


def test_a_long_preview_says_it_shows_only_the_first_changes(company, as_user):
    changes = [
        {"line": n, "key": f"E{n}", "action": "create", "fields": ["name"]} for n in range(2, 603)
    ]
    stored = ImportFile.objects.create(
        kind="employees",
        filename="big.csv",
        content=b"",
        sha256="0",
        uploaded_by=company.hr,
        report={"rows": 601, "created": 601, "updated": 0, "unchanged": 0, "changes": changes},
    )
    page = text(as_user(company.hr).get(f"/org/import/{stored.pk}/"))
    assert page.count("<td>create</td>") == 500
    assert "The first 500 of 601 changes are shown." in page

"""Writes to the organisation: departments, employees and logins, each audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.core.errors import Conflict, ValidationFailed
from perfcycle.org.models import Department, Employee, EmployeeStatus
from perfcycle.org.services import (
    department_create,
    department_delete,
    department_update,
    employee_create,
    employee_set_login,
    employee_update,
)
from tests.factories import PASSWORD, DepartmentFactory, EmployeeFactory


def events_for(obj: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_object(obj).order_by("id"))


def reload(obj: Any) -> Any:
    return type(obj).objects.get(pk=obj.pk)


def field_errors(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, list[str]]:
    return exc.value.details["fields"]


def tree_state() -> list[tuple[Any, ...]]:
    return list(
        Employee.objects.order_by("pk").values_list(
            "pk", "name", "manager_id", "path", "status", "left_on", "version"
        )
    ) + list(
        Department.objects.order_by("pk").values_list("pk", "name", "parent_id", "path", "version")
    )


# Departments -----------------------------------------------------------------------------


def test_department_create(company: Any) -> None:
    department = department_create(
        actor=company.hr, code=" NEW ", name=" 新部门 ", parent=company.sales, head=company.manager
    )
    department.refresh_from_db()
    assert (department.code, department.name) == ("NEW", "新部门")
    assert department.path == f"{company.sales.path}{department.pk}/"
    assert department.version == 1
    [event] = events_for(department)
    assert event.action == AuditAction.CREATE
    assert event.actor == company.hr
    assert event.before is None
    assert event.after == {
        "id": department.pk,
        "code": "NEW",
        "name": "新部门",
        "parent": company.sales.pk,
        "head": company.manager.pk,
        "version": 1,
    }


def test_department_create_refuses_a_taken_code_and_a_blank_name(company: Any) -> None:
    count = Department.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        department_create(actor=company.hr, code="SALES", name="")
    assert set(field_errors(caught)) == {"code", "name"}
    assert Department.objects.count() == count
    assert not AuditEvent.objects.exists()


def test_department_update_renames_with_a_new_version_and_audit(company: Any) -> None:
    sales = company.sales
    department_update(actor=company.hr, department=sales, expected_version=1, name="Vertrieb")
    sales = reload(sales)
    assert (sales.name, sales.version) == ("Vertrieb", 2)
    [event] = events_for(sales)
    assert (event.action, event.before, event.after) == (
        AuditAction.UPDATE,
        {"name": "Sales"},
        {"name": "Vertrieb"},
    )


def test_department_update_moves_the_subtree(company: Any) -> None:
    team = DepartmentFactory(code="TEAM", parent=company.sales)
    sub = DepartmentFactory(code="SUB", parent=team)
    department_update(actor=company.hr, department=reload(team), parent=company.other)
    team, sub = reload(team), reload(sub)
    assert team.path == f"{company.other.path}{team.pk}/"
    assert sub.path == f"{team.path}{sub.pk}/"
    assert reload(company.sales).path == company.sales.path
    [event] = events_for(team)
    assert (event.before, event.after) == (
        {"parent": company.sales.pk},
        {"parent": company.other.pk},
    )


@pytest.mark.parametrize("target", ["self", "child", "grandchild"])
def test_department_cannot_move_under_itself(company: Any, target: str) -> None:
    team = DepartmentFactory(code="TEAM", parent=company.sales)
    sub = DepartmentFactory(code="SUB", parent=team)
    parent = {"self": company.sales, "child": team, "grandchild": sub}[target]
    before = tree_state()
    with pytest.raises(ValidationFailed) as caught:
        department_update(actor=company.hr, department=reload(company.sales), parent=parent)
    assert set(field_errors(caught)) == {"parent"}
    assert tree_state() == before
    assert not AuditEvent.objects.exists()


def test_department_root_may_move_to_the_top(company: Any) -> None:
    department_update(actor=company.hr, department=reload(company.sales), parent=None)
    sales = reload(company.sales)
    assert sales.path == f"/{sales.pk}/"


def test_department_stale_version_is_a_conflict_and_changes_nothing(company: Any) -> None:
    stale = reload(company.sales)
    department_update(actor=company.hr, department=reload(company.sales), name="First")
    before = tree_state()
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict) as caught:
        department_update(
            actor=company.hr, department=stale, expected_version=1, name="Second", parent=None
        )
    assert caught.value.status == 409
    assert caught.value.details == {"expected_version": 1}
    assert tree_state() == before
    assert AuditEvent.objects.count() == events


def test_department_update_refuses_unknown_fields(company: Any) -> None:
    with pytest.raises(ValidationFailed, match="Unknown fields: path"):
        department_update(actor=company.hr, department=company.sales, path="/1/")


def test_department_update_that_changes_nothing_writes_nothing(company: Any) -> None:
    department_update(actor=company.hr, department=company.sales, expected_version=1, name="Sales")
    assert reload(company.sales).version == 1
    assert not AuditEvent.objects.exists()
    # ...but a stale version is still a conflict.
    department_update(actor=company.hr, department=reload(company.sales), name="Renamed")
    with pytest.raises(Conflict):
        department_update(
            actor=company.hr, department=reload(company.sales), expected_version=1, name="Renamed"
        )


def test_department_delete(company: Any) -> None:
    empty = DepartmentFactory(code="EMPTY", name="Empty", parent=company.other)
    pk = empty.pk
    department_delete(actor=company.hr, department=empty)
    assert not Department.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(object_type="org.department", object_id=str(pk))
    assert event.action == AuditAction.DELETE
    assert event.before["code"] == "EMPTY"
    assert event.after is None


@pytest.mark.parametrize("department", ["root", "sales"])
def test_department_with_people_or_children_cannot_be_deleted(
    company: Any, department: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        department_delete(actor=company.hr, department=getattr(company, department))
    assert caught.value.code == "department_not_empty"
    assert Department.objects.filter(pk=getattr(company, department).pk).exists()
    assert not AuditEvent.objects.exists()


# Employees: create ----------------------------------------------------------------------------


def test_employee_create(company: Any) -> None:
    employee = employee_create(
        actor=company.hr,
        employee_number=" E100 ",
        name="周杰",
        email="zhou@example.com",
        manager=company.manager,
        department=company.sales,
        hire_date=dt.date(2024, 3, 1),
    )
    employee.refresh_from_db()
    assert employee.employee_number == "E100"
    assert employee.path == f"{company.manager.path}{employee.pk}/"
    assert list(Employee.objects.subtree(company.manager)).count(employee) == 1
    [event] = events_for(employee)
    assert event.action == AuditAction.CREATE
    assert event.after["manager"] == company.manager.pk
    assert event.after["hire_date"] == "2024-03-01"
    assert event.after["status"] == "active"


def test_employee_create_who_has_left_gets_todays_date(company: Any) -> None:
    employee = employee_create(
        actor=company.hr, employee_number="E101", name="Gone", status=EmployeeStatus.LEFT
    )
    assert reload(employee).left_on == timezone.localdate()


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"employee_number": "C010", "name": "Copy"}, {"employee_number"}),
        ({"employee_number": "E1", "name": "A", "email": "not-an-email"}, {"email"}),
        ({"employee_number": "", "name": ""}, {"employee_number", "name"}),
    ],
)
def test_employee_create_validates(company: Any, values: dict[str, Any], fields: set[str]) -> None:
    count = Employee.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        employee_create(actor=company.hr, **values)
    assert set(field_errors(caught)) == fields
    assert Employee.objects.count() == count
    assert not AuditEvent.objects.exists()


def test_employee_create_refuses_a_manager_who_has_left(company: Any) -> None:
    gone = EmployeeFactory(status=EmployeeStatus.LEFT, left_on=dt.date(2024, 1, 1))
    with pytest.raises(ValidationFailed) as caught:
        employee_create(actor=company.hr, employee_number="E1", name="A", manager=gone)
    assert field_errors(caught) == {
        "manager": [f"Manager {gone.employee_number} has left the company."]
    }


def test_employee_create_refuses_unknown_fields(company: Any) -> None:
    with pytest.raises(ValidationFailed, match="Unknown fields: path, user"):
        employee_create(actor=company.hr, employee_number="E1", name="A", path="/", user=None)


# Employees: update ----------------------------------------------------------------------------


def test_employee_update_moves_the_subtree(company: Any) -> None:
    direct = reload(company.direct)
    employee_update(actor=company.hr, employee=direct, expected_version=1, manager=company.stranger)
    direct, indirect = reload(company.direct), reload(company.indirect)
    assert direct.path == f"{company.stranger.path}{direct.pk}/"
    assert indirect.path == f"{direct.path}{indirect.pk}/"
    assert (direct.version, indirect.version) == (2, 1)
    assert set(Employee.objects.subtree(company.stranger)) == {direct, indirect}
    assert not Employee.objects.subtree(company.manager).exists()
    [event] = events_for(direct)
    assert (event.before, event.after) == (
        {"manager": company.manager.pk},
        {"manager": company.stranger.pk},
    )


def test_employee_update_to_no_manager(company: Any) -> None:
    employee_update(actor=company.hr, employee=reload(company.direct), manager=None)
    direct, indirect = reload(company.direct), reload(company.indirect)
    assert direct.path == f"/{direct.pk}/"
    assert indirect.path == f"/{direct.pk}/{indirect.pk}/"


@pytest.mark.parametrize("new_manager", ["manager", "direct", "indirect"])
def test_employee_update_refuses_a_loop(company: Any, new_manager: str) -> None:
    before = tree_state()
    with pytest.raises(ValidationFailed) as caught:
        employee_update(
            actor=company.hr,
            employee=reload(company.manager),
            manager=getattr(company, new_manager),
        )
    assert set(field_errors(caught)) == {"manager"}
    assert "would form a loop" in field_errors(caught)["manager"][0]
    assert tree_state() == before
    assert not AuditEvent.objects.exists()


def test_employee_update_refuses_a_new_manager_who_has_left(company: Any) -> None:
    gone = EmployeeFactory(status=EmployeeStatus.LEFT, left_on=dt.date(2024, 1, 1))
    with pytest.raises(ValidationFailed):
        employee_update(actor=company.hr, employee=reload(company.direct), manager=gone)
    assert reload(company.direct).manager == company.manager


def test_employee_update_stale_version_is_a_conflict_and_changes_nothing(company: Any) -> None:
    stale = reload(company.direct)
    employee_update(actor=company.hr, employee=reload(company.direct), name="Daniel")
    before = tree_state()
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        employee_update(
            actor=company.hr,
            employee=stale,
            expected_version=1,
            manager=company.stranger,
            status=EmployeeStatus.LEFT,
        )
    assert tree_state() == before
    assert AuditEvent.objects.count() == events
    assert User.objects.get(username="direct").is_active


def test_employee_leaving_sets_the_date_and_deactivates_the_login(company: Any) -> None:
    employee_update(actor=company.hr, employee=reload(company.direct), status=EmployeeStatus.LEFT)
    direct = reload(company.direct)
    assert (direct.status, direct.left_on) == (EmployeeStatus.LEFT, timezone.localdate())
    assert not direct.user.is_active
    [employee_event] = events_for(direct)
    assert employee_event.before == {"status": "active", "left_on": None}
    assert employee_event.after == {"status": "left", "left_on": timezone.localdate().isoformat()}
    [login_event] = events_for(direct.user)
    assert (login_event.before, login_event.after) == ({"is_active": True}, {"is_active": False})
    assert login_event.actor == company.hr


def test_employee_leaving_on_a_given_date_and_coming_back(company: Any) -> None:
    employee_update(
        actor=company.hr,
        employee=reload(company.direct),
        status=EmployeeStatus.LEFT,
        left_on=dt.date(2024, 5, 31),
    )
    assert reload(company.direct).left_on == dt.date(2024, 5, 31)
    employee_update(actor=company.hr, employee=reload(company.direct), status=EmployeeStatus.ACTIVE)
    direct = reload(company.direct)
    assert (direct.status, direct.left_on) == (EmployeeStatus.ACTIVE, None)


def test_employee_update_that_changes_nothing_writes_nothing(company: Any) -> None:
    employee_update(
        actor=company.hr,
        employee=reload(company.direct),
        expected_version=1,
        name="Dan Direct",
        manager=company.manager,
    )
    assert reload(company.direct).version == 1
    assert not AuditEvent.objects.exists()


def test_employee_update_validates(company: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        employee_update(
            actor=company.hr, employee=reload(company.direct), email="nope", employee_number="C010"
        )
    assert set(field_errors(caught)) == {"email", "employee_number"}
    assert reload(company.direct).email == company.direct.email


# Logins -----------------------------------------------------------------------------------


def test_employee_set_login_creates_a_login(company: Any) -> None:
    person = EmployeeFactory(name="周杰", email="zhou@example.com")
    user = employee_set_login(actor=company.hr, employee=person, username=" zhou ")
    user.refresh_from_db()
    assert user.username == "zhou"
    assert (user.email, user.first_name, user.is_active) == ("zhou@example.com", "周杰", True)
    assert not user.has_usable_password()
    assert reload(person).user == user
    [event] = events_for(user)
    assert event.action == AuditAction.CREATE
    assert event.after == {"username": "zhou", "is_active": True, "is_hr_admin": False}


def test_employee_set_login_with_a_password(company: Any) -> None:
    person = EmployeeFactory()
    user = employee_set_login(
        actor=company.hr, employee=person, username="newbie", password="quiet-Harbor-42"
    )
    assert user.check_password("quiet-Harbor-42")
    events = events_for(user)
    assert [e.action for e in events] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert events[1].after == {"password": "changed"}
    assert "quiet" not in str(events[1].after) + str(events[0].after)


@pytest.mark.parametrize("password", ["short1", "password123", "1234567890123", "newbie-login"])
def test_employee_set_login_validates_the_password(company: Any, password: str) -> None:
    person = EmployeeFactory()
    with pytest.raises(ValidationFailed) as caught:
        employee_set_login(
            actor=company.hr, employee=person, username="newbie-login", password=password
        )
    assert set(field_errors(caught)) == {"password"}
    assert not User.objects.filter(username="newbie-login").exists()
    assert reload(person).user is None
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("MANAGER", "This login name is taken."),
        ("  ", "A login name is required."),
        ("has space", "Enter a valid username"),
        ("x" * 151, "Ensure this value has at most 150 characters"),
    ],
)
def test_employee_set_login_validates_the_name(company: Any, username: str, message: str) -> None:
    person = EmployeeFactory()
    with pytest.raises(ValidationFailed) as caught:
        employee_set_login(actor=company.hr, employee=person, username=username)
    assert message in field_errors(caught)["username"][0]
    assert reload(person).user is None
    assert not AuditEvent.objects.exists()


def test_employee_set_login_renames_and_resets_the_password(company: Any) -> None:
    user = company.direct.user
    employee_set_login(
        actor=company.hr,
        employee=reload(company.direct),
        username="dan",
        password="brand-New-secret-9",
    )
    user.refresh_from_db()
    assert user.username == "dan"
    assert user.check_password("brand-New-secret-9")
    assert not user.check_password(PASSWORD)
    rename, password = events_for(user)
    assert (rename.before, rename.after) == ({"username": "direct"}, {"username": "dan"})
    assert password.after == {"password": "changed"}
    assert User.objects.filter(username__in=["direct", "dan"]).count() == 1


def test_employee_keeping_their_own_login_name_is_not_a_clash(company: Any) -> None:
    employee_set_login(actor=company.hr, employee=reload(company.direct), username="Direct")
    assert reload(company.direct).user.username == "Direct"


def test_login_for_someone_who_has_left_is_inactive(company: Any) -> None:
    person = EmployeeFactory(status=EmployeeStatus.LEFT, left_on=dt.date(2024, 1, 1))
    user = employee_set_login(actor=company.hr, employee=person, username="gone")
    assert not user.is_active

"""Writes to the organisation: departments, employees, logins. Every write is audited.

Services take keyword-only arguments, validate, change state in one transaction, and
record the change in the audit trail. Stale edits (a ``version`` that is no longer
current) raise ``Conflict``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_change, audit_record, snapshot
from perfcycle.core.errors import Conflict, ValidationFailed
from perfcycle.core.models import VersionedModel
from perfcycle.core.validation import field_error, full_clean, reject_unknown
from perfcycle.org.models import Department, Employee, EmployeeStatus, child_path

DEPARTMENT_FIELDS = ("code", "name", "parent", "head")
EMPLOYEE_FIELDS = (
    "employee_number",
    "name",
    "email",
    "job_title",
    "job_family",
    "level",
    "hire_date",
    "manager",
    "department",
    "status",
    "left_on",
)


def _check_version(instance: VersionedModel, expected_version: int | None) -> None:
    """For an edit that changes nothing: no write and no new version, but a stale edit
    is still a conflict, as ``save_versioned`` would say."""
    if expected_version is None:
        return
    model = type(instance)
    if not model._base_manager.filter(pk=instance.pk, version=expected_version).exists():
        raise Conflict(
            _("Somebody else changed this record in the meantime. Reload it and try again."),
            details={"expected_version": expected_version},
        )


def _move_subtree(
    model: type[Department] | type[Employee], old_prefix: str, new_prefix: str
) -> None:
    """Rewrite the paths of a node and everything below it in one UPDATE."""
    if old_prefix == new_prefix:
        return
    model.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr(F("path"), len(old_prefix) + 1))
    )


# Departments -----------------------------------------------------------------------


def _check_department_parent(department: Department, parent: Department | None) -> None:
    if parent is None or department.pk is None:
        return
    if parent.pk == department.pk or parent.path.startswith(department.path):
        raise field_error(
            "parent", _("A department cannot sit under itself or one of its own sub-departments.")
        )


@transaction.atomic
def department_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    parent: Department | None = None,
    head: Employee | None = None,
) -> Department:
    department = Department(code=code.strip(), name=name.strip(), parent=parent, head=head)
    full_clean(department, exclude=["path"])
    department.save()
    department.path = child_path(parent.path if parent else "", department.pk)
    department.save(update_fields=["path"])
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=department, after=snapshot(department)
    )
    return department


@transaction.atomic
def department_update(
    *,
    actor: User | None,
    department: Department,
    expected_version: int | None = None,
    **changes: Any,
) -> Department:
    reject_unknown(changes, DEPARTMENT_FIELDS)
    before = snapshot(department, DEPARTMENT_FIELDS)
    old_path = department.path
    for key, value in changes.items():
        setattr(department, key, value.strip() if isinstance(value, str) else value)
    if "parent" in changes:
        _check_department_parent(department, changes["parent"])
    full_clean(department, exclude=["path"])
    if snapshot(department, DEPARTMENT_FIELDS) == before:
        _check_version(department, expected_version)
        return department
    fields = list(changes)
    if "parent" in changes:
        parent = changes["parent"]
        department.path = child_path(parent.path if parent else "", department.pk)
        fields.append("path")
    department.save_versioned(expected_version=expected_version, update_fields=fields)
    if "parent" in changes:
        _move_subtree(Department, old_path, department.path)
    audit_change(actor=actor, instance=department, before=before)
    return department


@transaction.atomic
def department_delete(*, actor: User | None, department: Department) -> None:
    if department.children.exists() or department.members.exists():
        raise ValidationFailed(
            _(
                "Only an empty department can be deleted: move its people and sub-departments first."
            ),
            code="department_not_empty",
        )
    before = snapshot(department)
    audit_record(actor=actor, action=AuditAction.DELETE, instance=department, before=before)
    department.delete()


# Employees -------------------------------------------------------------------------


def _check_manager(employee: Employee, manager: Employee | None) -> None:
    """A new manager must not sit below the employee, nor (for someone active) have left."""
    if manager is None:
        return
    if employee.pk is not None and (
        manager.pk == employee.pk or manager.path.startswith(employee.path)
    ):
        raise field_error(
            "manager",
            _("%(manager)s reports to %(employee)s; the reporting line would form a loop.")
            % {"manager": manager.name, "employee": employee.name},
        )
    if employee.status == EmployeeStatus.ACTIVE and manager.status == EmployeeStatus.LEFT:
        raise field_error(
            "manager",
            _("Manager %(number)s has left the company.") % {"number": manager.employee_number},
        )


def _check_status(employee: Employee) -> None:
    if employee.status == EmployeeStatus.ACTIVE:
        employee.left_on = None
    elif employee.left_on is None:
        employee.left_on = timezone.localdate()


def _deactivate_login(actor: User | None, employee: Employee) -> None:
    """Someone who has left cannot sign in any more."""
    if not employee.user_id or employee.status != EmployeeStatus.LEFT:
        return
    if User.objects.filter(pk=employee.user_id, is_active=True).update(is_active=False):
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=User.objects.get(pk=employee.user_id),
            before={"is_active": True},
            after={"is_active": False},
        )


@transaction.atomic
def employee_create(*, actor: User | None, **values: Any) -> Employee:
    reject_unknown(values, EMPLOYEE_FIELDS)
    employee = Employee(**{k: v.strip() if isinstance(v, str) else v for k, v in values.items()})
    _check_status(employee)
    _check_manager(employee, employee.manager)
    full_clean(employee, exclude=["path", "user"])
    employee.save()
    manager = employee.manager
    employee.path = child_path(manager.path if manager else "", employee.pk)
    employee.save(update_fields=["path"])
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=employee, after=snapshot(employee)
    )
    return employee


@transaction.atomic
def employee_update(
    *, actor: User | None, employee: Employee, expected_version: int | None = None, **changes: Any
) -> Employee:
    reject_unknown(changes, EMPLOYEE_FIELDS)
    before = snapshot(employee, EMPLOYEE_FIELDS)
    old_path = employee.path
    old_manager_id = employee.manager_id
    for key, value in changes.items():
        setattr(employee, key, value.strip() if isinstance(value, str) else value)
    _check_status(employee)
    if "manager" in changes and employee.manager_id != old_manager_id:
        _check_manager(employee, changes["manager"])
    full_clean(employee, exclude=["path", "user"])
    if snapshot(employee, EMPLOYEE_FIELDS) == before:
        _check_version(employee, expected_version)
        return employee
    fields = sorted(set(changes) | {"left_on"})
    if "manager" in changes:
        manager = changes["manager"]
        employee.path = child_path(manager.path if manager else "", employee.pk)
        fields.append("path")
    employee.save_versioned(expected_version=expected_version, update_fields=fields)
    if "manager" in changes:
        _move_subtree(Employee, old_path, employee.path)
    audit_change(actor=actor, instance=employee, before=before)
    _deactivate_login(actor, employee)
    return employee


@transaction.atomic
def employee_set_login(
    *, actor: User | None, employee: Employee, username: str, password: str | None = None
) -> User:
    """Create or rename the login of ``employee``; set a password when one is given."""
    from django.contrib.auth.password_validation import validate_password

    username = username.strip()
    if not username:
        raise field_error("username", _("A login name is required."))
    try:
        User._meta.get_field("username").run_validators(username)
    except ValidationError as exc:
        raise field_error("username", " ".join(exc.messages)) from exc
    clash = User.objects.filter(username__iexact=username)
    if employee.user_id:
        clash = clash.exclude(pk=employee.user_id)
    if clash.exists():
        raise field_error("username", _("This login name is taken."))
    user = employee.user or User(email=employee.email)
    created = user.pk is None
    before = None if created else snapshot(user, ["username", "is_active"])
    user.username = username
    user.first_name = employee.name[:150]
    user.email = employee.email
    user.is_active = employee.is_active
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(
                " ".join(exc.messages), details={"fields": {"password": exc.messages}}
            ) from exc
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.save()
    if created:
        employee.user = user
        employee.save(update_fields=["user"])
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            instance=user,
            after=snapshot(user, ["username", "is_active", "is_hr_admin"]),
        )
    else:
        assert before is not None
        audit_change(actor=actor, instance=user, before=before)
    if password:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=user,
            after={"password": "changed"},
            reason=_("Password set by an administrator."),
        )
    return user

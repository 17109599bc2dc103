"""What every section reader shares: who the export is about, and turning values into
JSON-ready rows (dates in ISO 8601, decimals as text, other people named as the pages
name them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise

from perfcycle.accounts.models import User
from perfcycle.audit.services import to_json_value
from perfcycle.org.models import Employee

Sections = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Context:
    """The person (with department, manager and login read), their login, the cycles
    whose result is released to them, and their personal goals."""

    me: Employee
    user: User | None
    released: frozenset[int]
    my_goals: QuerySet


def json_value(value: Any) -> Any:
    if isinstance(value, Promise):
        return str(value)
    return to_json_value(value)


def make_row(**values: Any) -> dict[str, Any]:
    return {key: json_value(value) for key, value in values.items()}


def make_rows(
    queryset: Iterable[Any], make: Callable[[Any], dict[str, Any]]
) -> list[dict[str, Any]]:
    return [make(obj) for obj in queryset]


def name_of(employee: Employee | None) -> str | None:
    return employee.name if employee is not None else None


def user_label(user: User | None) -> str | None:
    """A login as the pages show it: the person's name, else the login name."""
    if user is None:
        return None
    try:
        employee = user.employee
    except Employee.DoesNotExist:
        employee = None
    return employee.name if employee is not None else (user.get_full_name() or user.username)

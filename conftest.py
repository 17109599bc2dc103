"""Shared fixtures: a small company with named people, so that "who may see this" reads
like a sentence.

    top (CEO)
    ├── hr_person        (login "hr", HR admin)
    ├── manager          (login "manager")
    │   └── direct       (login "direct")
    │       └── indirect (login "indirect")
    └── stranger         (login "stranger")
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import HealthCheck, settings

from perfcycle.accounts.models import User
from perfcycle.org.models import Department, Employee
from tests.factories import DepartmentFactory, EmployeeFactory

# Property tests must not fail on a busy CI machine because one example ran slowly.
settings.register_profile("perfcycle", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("perfcycle")


@dataclass
class Company:
    root: Department
    sales: Department
    other: Department
    top: Employee
    hr_person: Employee
    manager: Employee
    direct: Employee
    indirect: Employee
    stranger: Employee

    @property
    def hr(self) -> User:
        return self.hr_person.user

    def user(self, name: str) -> User:
        return getattr(self, name).user


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in English: a request in another language (the locale middleware
    activates it for the thread) must not leak into the next test's messages."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def company(db: None) -> Company:
    root = DepartmentFactory(code="ROOT", name="Company")
    sales = DepartmentFactory(code="SALES", name="Sales", parent=root)
    other = DepartmentFactory(code="OTHER", name="Other", parent=root)
    top = EmployeeFactory(employee_number="C001", name="Top", department=root, login="top")
    hr_person = EmployeeFactory(
        employee_number="C002",
        name="Hilda HR",
        manager=top,
        department=root,
        login="hr",
        login__is_hr_admin=True,
    )
    manager = EmployeeFactory(
        employee_number="C010", name="Mia Manager", manager=top, department=sales, login="manager"
    )
    direct = EmployeeFactory(
        employee_number="C011", name="Dan Direct", manager=manager, department=sales, login="direct"
    )
    indirect = EmployeeFactory(
        employee_number="C012",
        name="Ivy Indirect",
        manager=direct,
        department=sales,
        login="indirect",
    )
    stranger = EmployeeFactory(
        employee_number="C020",
        name="Sam Stranger",
        manager=top,
        department=other,
        login="stranger",
    )
    return Company(root, sales, other, top, hr_person, manager, direct, indirect, stranger)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_user():
    """``as_user(company.hr)`` gives a test client signed in as that user."""
    return client_for

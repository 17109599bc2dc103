"""Factories for tests: build rows directly (fast); services are tested through their own calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from perfcycle.accounts.models import User
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.org.models import Department, Employee, child_path

PASSWORD = "test-Pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: object) -> None:
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])

    is_hr_admin = False


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"Department {n}")
    parent = None

    @factory.post_generation
    def set_path(obj: Department, create: bool, extracted: object, **kwargs: object) -> None:
        obj.path = child_path(obj.parent.path if obj.parent else "", obj.pk)
        if create:
            Department.objects.filter(pk=obj.pk).update(path=obj.path)


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee
        skip_postgeneration_save = True

    employee_number = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.LazyAttribute(lambda o: f"{o.employee_number.lower()}@example.com")
    job_title = "Engineer"
    job_family = "engineering"
    level = "P3"
    hire_date = dt.date(2022, 1, 10)
    manager = None
    department = None

    @factory.post_generation
    def set_path(obj: Employee, create: bool, extracted: object, **kwargs: object) -> None:
        obj.path = child_path(obj.manager.path if obj.manager else "", obj.pk)
        if create:
            Employee.objects.filter(pk=obj.pk).update(path=obj.path)

    @factory.post_generation
    def login(obj: Employee, create: bool, extracted: str | None, **kwargs: object) -> None:
        """``EmployeeFactory(login="alice")`` gives the employee a user account."""
        if extracted and create:
            obj.user = UserFactory(username=extracted, email=obj.email, **kwargs)
            Employee.objects.filter(pk=obj.pk).update(user=obj.user)


# Plan stage ------------------------------------------------------------------------------


class CycleFactory(factory.django.DjangoModelFactory):
    """A cycle built directly: any ``phase`` without walking the state machine.

    ``CycleFactory(participants=[...])`` adds those employees as participants."""

    class Meta:
        model = "cycles.Cycle"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Cycle {n}")
    period_type = "quarter"
    start_date = dt.date(2026, 1, 1)
    end_date = dt.date(2026, 3, 31)
    phase = "planning"

    @factory.post_generation
    def participants(
        obj: object, create: bool, extracted: list[Employee] | None, **kwargs: object
    ) -> None:
        from perfcycle.cycles.models import CycleParticipant

        if extracted and create:
            CycleParticipant.objects.bulk_create(
                [
                    CycleParticipant(
                        cycle=obj,
                        employee=e,
                        department_id=e.department_id,
                        manager_id=e.manager_id,
                    )
                    for e in extracted
                ]
            )


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "planning.Indicator"

    code = factory.Sequence(lambda n: f"IND{n:03d}")
    name = factory.Sequence(lambda n: f"Indicator {n}")
    job_family = "sales"
    unit = "customers"


def _goal_sheet(cycle: object, owner_type: str, employee: Employee | None) -> object:
    from perfcycle.planning.models import GoalSheet

    if owner_type != "employee" or employee is None:
        return None
    return GoalSheet.objects.get_or_create(cycle=cycle, employee=employee)[0]


class GoalFactory(factory.django.DjangoModelFactory):
    """An employee's KPI goal on their goal sheet (made if missing)."""

    class Meta:
        model = "planning.Goal"

    cycle = factory.SubFactory(CycleFactory)
    owner_type = "employee"
    employee = None
    title = factory.Sequence(lambda n: f"Goal {n}")
    kind = "kpi"
    weight = 100
    target = 20
    sheet = factory.LazyAttribute(lambda o: _goal_sheet(o.cycle, o.owner_type, o.employee))


def planning_quarter(company: Any) -> Cycle:
    """An open quarter (2026 Q1) in planning, with everyone in ``company`` taking part,
    made through the services as HR makes one."""
    from perfcycle.cycles.services import (
        cycle_create,
        cycle_set_participants,
        cycle_transition,
        grade_scale_default,
        review_template_default,
    )

    hr = company.hr
    cycle = cycle_create(
        actor=hr,
        name="2026 Q1",
        period_type="quarter",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 3, 31),
        template=review_template_default(),
        grade_scale=grade_scale_default(),
    )
    cycle_set_participants(actor=hr, cycle=cycle, department_ids=[company.root.pk])
    return cycle_transition(actor=hr, cycle=cycle, to_phase=Phase.PLANNING)

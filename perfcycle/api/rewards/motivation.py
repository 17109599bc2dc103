"""Motivation profiles over the API: mine (read and set the order of the six motivators),
a person's for their managers, the viewer's reporting line (paginated) and, for HR, the
counts by department."""

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, acting_employee, get_visible_or_404
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page
from perfcycle.org.models import Department, Employee
from perfcycle.rewards import selectors, services
from perfcycle.rewards.models import MotivationProfile, Motivator

router = Router(tags=["motivation"])


class MotivationOut(Schema):
    employee_id: int
    motivators: list[str] = Field(..., description="Most important first; empty if not given.")
    labels: list[str]
    choices: list[str] = Field(..., description="The six motivators.")
    updated_at: dt.datetime | None


class TeamMotivationOut(Schema):
    employee_id: int
    employee_name: str
    department_name: str | None
    motivators: list[str] = Field(..., description="Most important first; empty if not given.")
    labels: list[str]
    top: list[str] = Field(..., description="The labels of their top three.")
    updated_at: dt.datetime | None

    @staticmethod
    def resolve_employee_id(obj: Employee) -> int:
        return obj.pk

    @staticmethod
    def resolve_employee_name(obj: Employee) -> str:
        return obj.name

    @staticmethod
    def resolve_department_name(obj: Employee) -> str | None:
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_motivators(obj: Employee) -> list[str]:
        profile = selectors.profile_of(obj)
        return profile.motivators if profile else []

    @staticmethod
    def resolve_labels(obj: Employee) -> list[str]:
        profile = selectors.profile_of(obj)
        return profile.labels if profile else []

    @staticmethod
    def resolve_top(obj: Employee) -> list[str]:
        profile = selectors.profile_of(obj)
        return profile.labels[: selectors.TOP] if profile else []

    @staticmethod
    def resolve_updated_at(obj: Employee) -> dt.datetime | None:
        profile = selectors.profile_of(obj)
        return profile.updated_at if profile else None


class MotivationIn(Schema):
    motivators: list[str] = Field(..., description="All six motivators, most important first.")


class MotivatorCountOut(Schema):
    code: str
    label: str
    first: int
    top: int = Field(..., description="In the top three.")


class DepartmentMotivationOut(Schema):
    department_id: int | None
    department_name: str
    people: int
    motivators: list[MotivatorCountOut]


def _out(employee_id: int, profile: MotivationProfile | None) -> dict[str, Any]:
    return {
        "employee_id": employee_id,
        "motivators": profile.motivators if profile else [],
        "labels": profile.labels if profile else [],
        "choices": list(Motivator.values),
        "updated_at": profile.updated_at if profile else None,
    }


def _me(request: HttpRequest) -> Any:
    me = acting_employee(request.user)
    if me is None:
        raise Http404
    return me


@router.get("/me/motivation", response={200: MotivationOut, **ERRORS}, summary="What motivates me")
def my_motivation(request: HttpRequest) -> Any:
    me = _me(request)
    return _out(me.pk, MotivationProfile.objects.filter(employee=me).first())


@router.put(
    "/me/motivation",
    response={200: MotivationOut, **ERRORS},
    summary="Order the six motivators, most important first",
)
def set_my_motivation(request: HttpRequest, payload: MotivationIn) -> Any:
    me = _me(request)
    profile = services.motivation_set(
        actor=request.user, employee=me, motivators=payload.motivators
    )
    return _out(me.pk, profile)


@router.get(
    "/employees/{int:employee_id}/motivation",
    response={200: MotivationOut, **ERRORS},
    summary="What motivates a person (the person, their managers, HR)",
)
def employee_motivation(request: HttpRequest, employee_id: int) -> Any:
    employee = get_visible_or_404(
        request.user, Action.MOTIVATION_VIEW, Employee.objects.all(), pk=employee_id
    )
    return _out(employee.pk, MotivationProfile.objects.filter(employee=employee).first())


@router.get(
    "/motivation/team",
    response={200: list[TeamMotivationOut], **ERRORS},
    summary="What motivates each person in my reporting line, by name",
)
@paginate(Page)
def team_motivation(request: HttpRequest) -> Any:
    return selectors.team_motivation(request.user)


@router.get(
    "/departments/{int:department_id}/motivation",
    response={200: DepartmentMotivationOut, **ERRORS},
    summary="How many people in a department rank each motivator first and in their top three (HR)",
)
def department_motivation(request: HttpRequest, department_id: int) -> Any:
    department = get_visible_or_404(
        request.user, Action.DEPARTMENT_VIEW, Department.objects.all(), pk=department_id
    )
    require(request, Action.MOTIVATION_AGGREGATE)
    groups = selectors.motivation_by_department([department.pk])
    group = groups[0] if groups else selectors.DepartmentMotivation(department.pk, department.name)
    return group.as_dict()

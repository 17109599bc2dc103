"""Writes of training: the course catalogue (HR) and recommendations tracked to
completion.

- A course is tagged by competencies; an observation of a gap in a competency suggests
  the courses with that competency (``coaching.suggested_courses``).
- A manager recommends a course to a person, optionally from an observation or a
  check-in about that person; one open recommendation per person and course.
- Status moves forward only: assigned → in progress → completed (with its date).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_change, audit_record, snapshot
from perfcycle.core.errors import DomainError
from perfcycle.core.validation import field_error, full_clean, reject_unknown
from perfcycle.monitoring.models import (
    CheckIn,
    Competency,
    Course,
    Observation,
    TrainingAssignment,
    TrainingStatus,
)
from perfcycle.org.models import Employee

COURSE_FIELDS = ("code", "title", "description", "provider", "link", "hours", "is_active")
ORDER = {TrainingStatus.ASSIGNED: 0, TrainingStatus.IN_PROGRESS: 1, TrainingStatus.COMPLETED: 2}


@transaction.atomic
def course_create(
    *,
    actor: User,
    code: str,
    title: str,
    competencies: list[Competency] | None = None,
    **values: Any,
) -> Course:
    reject_unknown(values, COURSE_FIELDS)
    course = Course(code=code.strip(), title=title.strip())
    for key, value in values.items():
        setattr(course, key, value.strip() if isinstance(value, str) else value)
    full_clean(course)
    course.save()
    course.competencies.set(competencies or [])
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=course,
        after={**snapshot(course), "competencies": sorted(c.pk for c in competencies or [])},
    )
    return course


@transaction.atomic
def course_update(
    *,
    actor: User,
    course: Course,
    expected_version: int | None = None,
    competencies: list[Competency] | None = None,
    **changes: Any,
) -> Course:
    reject_unknown(changes, COURSE_FIELDS)
    before = snapshot(course, changes.keys())
    for key, value in changes.items():
        setattr(course, key, value.strip() if isinstance(value, str) else value)
    full_clean(course)
    course.save_versioned(expected_version=expected_version, update_fields=list(changes))
    audit_change(actor=actor, instance=course, before=before)
    if competencies is not None:
        old = sorted(course.competencies.values_list("pk", flat=True))
        new = sorted(c.pk for c in competencies)
        if old != new:
            course.competencies.set(competencies)
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                instance=course,
                before={"competencies": old},
                after={"competencies": new},
            )
    return course


@transaction.atomic
def training_recommend(
    *,
    actor: User,
    employee: Employee,
    course: Course,
    reason: str = "",
    observation: Observation | None = None,
    checkin: CheckIn | None = None,
    due_date: dt.date | None = None,
) -> TrainingAssignment:
    if not course.is_active:
        raise field_error("course", _("This course is no longer offered."))
    if observation is not None and observation.employee_id != employee.pk:
        raise field_error("observation", _("The observation is about somebody else."))
    if checkin is not None and checkin.employee_id != employee.pk:
        raise field_error("checkin", _("The check-in is with somebody else."))
    if (
        TrainingAssignment.objects.filter(employee=employee, course=course)
        .exclude(status=TrainingStatus.COMPLETED)
        .exists()
    ):
        raise DomainError(
            _("%(name)s already has “%(course)s” open.") % {"name": employee, "course": course},
            code="already_assigned",
        )
    assignment = TrainingAssignment(
        employee=employee,
        course=course,
        recommended_by=actor,
        reason=reason.strip(),
        observation=observation,
        checkin=checkin,
        due_date=due_date,
    )
    full_clean(assignment, exclude=["employee", "course"])
    assignment.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=assignment, after=snapshot(assignment)
    )
    return assignment


@transaction.atomic
def training_set_status(
    *,
    actor: User,
    assignment: TrainingAssignment,
    status: str,
    completed_on: dt.date | None = None,
    expected_version: int | None = None,
) -> TrainingAssignment:
    """Move forward: assigned → in progress → completed (today unless given)."""
    if status not in TrainingStatus.values:
        raise field_error("status", _("Unknown status."))
    if ORDER[TrainingStatus(status)] <= ORDER[TrainingStatus(assignment.status)]:
        raise DomainError(
            _("The training is already %(status)s.") % {"status": assignment.get_status_display()},
            code="illegal_transition",
            details={"from": assignment.status, "to": status},
        )
    today = timezone.localdate()
    if completed_on is not None and completed_on > today:
        raise field_error("completed_on", _("The completion date cannot lie in the future."))
    before = snapshot(assignment, ["status", "started_on", "completed_on"])
    assignment.status = status
    if assignment.started_on is None:
        assignment.started_on = today if status == TrainingStatus.IN_PROGRESS else None
    if status == TrainingStatus.COMPLETED:
        assignment.completed_on = completed_on or today
        assignment.started_on = assignment.started_on or assignment.completed_on
    assignment.save_versioned(
        expected_version=expected_version, update_fields=["status", "started_on", "completed_on"]
    )
    audit_change(actor=actor, instance=assignment, before=before)
    return assignment

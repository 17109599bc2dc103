"""Writes of the observation log (关键事件), the competency list and feedback / praise.

- An observation is dated (not in the future), positive or needing improvement, and
  may be tagged to one of the employee's goals and/or a competency. It is stored with
  its cycle (the goal's, else the cycle the employee takes part in on that date) so
  that the evaluation stage finds it with one query.
- Private observations are for the employee's managers and HR; shared ones also for
  the employee. Reading is the selectors' business (``monitoring.coaching``).
- Feedback goes from one colleague to another, never to oneself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, acting_employee, may
from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_change, audit_record, snapshot
from perfcycle.core.validation import field_error, full_clean, reject_unknown
from perfcycle.cycles.models import Cycle
from perfcycle.monitoring.models import (
    Competency,
    Feedback,
    FeedbackKind,
    FeedbackVisibility,
    Observation,
    ObservationKind,
    ObservationVisibility,
)
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal

OBSERVATION_FIELDS = ("occurred_on", "kind", "text", "goal", "competency", "visibility")
COMPETENCY_FIELDS = ("code", "name", "description", "job_family")


def cycle_on(employee: Employee, day: dt.date) -> Cycle | None:
    """The cycle ``employee`` takes part in on ``day`` (the latest starting, if several)."""
    return (
        Cycle.objects.filter(
            participants__employee=employee, start_date__lte=day, end_date__gte=day
        )
        .order_by("-start_date")
        .first()
    )


def _check_observation(observation: Observation) -> None:
    if observation.occurred_on and observation.occurred_on > timezone.localdate():
        raise field_error("occurred_on", _("An observation records something that happened."))
    if observation.goal_id is not None and observation.goal.employee_id != observation.employee_id:
        raise field_error(
            "goal", _("The goal is not one of %(name)s's.") % {"name": observation.employee}
        )
    if observation.kind not in ObservationKind.values:
        raise field_error("kind", _("Choose positive or needs improvement."))
    if observation.visibility not in ObservationVisibility.values:
        raise field_error("visibility", _("Choose who may read it."))


@transaction.atomic
def observation_create(
    *,
    actor: User,
    employee: Employee,
    occurred_on: dt.date,
    kind: str,
    text: str,
    goal: Goal | None = None,
    competency: Competency | None = None,
    visibility: str = ObservationVisibility.PRIVATE,
) -> Observation:
    if not may(actor, Action.OBSERVATION_MANAGE, employee):
        # A colleague's observation goes to the person's managers, not to the person.
        visibility = ObservationVisibility.PRIVATE
    observation = Observation(
        employee=employee,
        author=actor,
        occurred_on=occurred_on,
        kind=kind,
        text=text.strip(),
        goal=goal,
        competency=competency,
        visibility=visibility,
    )
    _check_observation(observation)
    observation.cycle = goal.cycle if goal is not None else cycle_on(employee, occurred_on)
    full_clean(observation)
    observation.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=observation, after=snapshot(observation)
    )
    return observation


@transaction.atomic
def observation_update(*, actor: User, observation: Observation, **changes: Any) -> Observation:
    """Change the text, date, kind, tags or who may read it (e.g. share it later)."""
    reject_unknown(changes, OBSERVATION_FIELDS)
    before = snapshot(observation, changes.keys())
    for key, value in changes.items():
        setattr(observation, key, value.strip() if isinstance(value, str) else value)
    _check_observation(observation)
    if "goal" in changes or "occurred_on" in changes:
        goal = observation.goal
        observation.cycle = (
            goal.cycle
            if goal is not None
            else cycle_on(observation.employee, observation.occurred_on)
        )
    full_clean(observation)
    observation.save()
    audit_change(actor=actor, instance=observation, before=before)
    return observation


# Competencies ------------------------------------------------------------------------


@transaction.atomic
def competency_create(*, actor: User, code: str, name: str, **values: Any) -> Competency:
    reject_unknown(values, COMPETENCY_FIELDS)
    competency = Competency(code=code.strip(), name=name.strip())
    for key, value in values.items():
        setattr(competency, key, value.strip() if isinstance(value, str) else value)
    full_clean(competency)
    competency.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=competency, after=snapshot(competency)
    )
    return competency


@transaction.atomic
def competency_update(
    *, actor: User, competency: Competency, expected_version: int | None = None, **changes: Any
) -> Competency:
    reject_unknown(changes, COMPETENCY_FIELDS)
    before = snapshot(competency, changes.keys())
    for key, value in changes.items():
        setattr(competency, key, value.strip() if isinstance(value, str) else value)
    full_clean(competency)
    competency.save_versioned(expected_version=expected_version, update_fields=list(changes))
    audit_change(actor=actor, instance=competency, before=before)
    return competency


# Feedback and praise -----------------------------------------------------------------


@transaction.atomic
def feedback_give(
    *,
    actor: User,
    receiver: Employee,
    text: str,
    visibility: str,
    kind: str = FeedbackKind.PRAISE,
    competency: Competency | None = None,
) -> Feedback:
    giver = acting_employee(actor)
    if giver is None:
        raise field_error("receiver", _("Only employees give feedback."))
    if giver.pk == receiver.pk:
        raise field_error("receiver", _("Feedback goes to a colleague, not to yourself."))
    if visibility not in FeedbackVisibility.values:
        raise field_error("visibility", _("Choose who may read it."))
    feedback = Feedback(
        giver=giver,
        receiver=receiver,
        kind=kind,
        text=text.strip(),
        visibility=visibility,
        competency=competency,
    )
    full_clean(feedback)
    feedback.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=feedback, after=snapshot(feedback)
    )
    return feedback

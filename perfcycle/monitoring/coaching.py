"""Reads of coaching: check-ins, action items, observations, feedback and training, each
narrowed to what the viewer may see, with a constant number of queries.

Who sees what:

- check-ins, action items and training: the person, their managers and HR; private
  check-in notes only managers and HR (callers ask ``may(CHECKIN_PRIVATE_NOTES)``);
- observations: managers and HR all of them, the person only the shared ones;
- feedback: public to everyone; "the person and their manager" to the receiver, the
  giver, the receiver's managers and HR; "only the person" to the receiver and giver.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from perfcycle.access.policy import Action, acting_employee, is_hr, may, scope
from perfcycle.cycles.models import Cycle
from perfcycle.monitoring.models import (
    ActionItem,
    CheckIn,
    Course,
    Feedback,
    FeedbackKind,
    FeedbackVisibility,
    Observation,
    ObservationKind,
    ObservationVisibility,
    TrainingAssignment,
    TrainingStatus,
)
from perfcycle.org.models import Employee

# Check-ins -----------------------------------------------------------------------------


def visible_checkins(user: Any) -> QuerySet[CheckIn]:
    return scope(
        user,
        Action.CHECKIN_VIEW,
        CheckIn.objects.select_related("employee", "manager", "cycle"),
        subject="employee__",
    )


def checkin_details(qs: QuerySet[CheckIn]) -> QuerySet[CheckIn]:
    return qs.select_related("requested_by").prefetch_related(
        "agenda__author", "goal_notes__goal", "action_items__owner"
    )


def open_action_items(
    *, employee: Employee, manager: Employee | None = None, exclude_checkin: CheckIn | None = None
) -> QuerySet[ActionItem]:
    """Action items of the pair not yet done: they carry over to the next check-in."""
    qs = ActionItem.objects.filter(employee=employee, done_at__isnull=True).select_related(
        "owner", "checkin"
    )
    if manager is not None:
        qs = qs.filter(Q(checkin__manager=manager) | Q(checkin__isnull=True))
    if exclude_checkin is not None:
        qs = qs.exclude(checkin=exclude_checkin)
    return qs.order_by("due_date", "id")


def visible_action_items(user: Any) -> QuerySet[ActionItem]:
    return scope(
        user,
        Action.CHECKIN_VIEW,
        ActionItem.objects.select_related("employee", "owner", "checkin"),
        subject="employee__",
    )


# Observations --------------------------------------------------------------------------


def visible_observations(
    user: Any, qs: QuerySet[Observation] | None = None
) -> QuerySet[Observation]:
    """All observations of people the user manages (or everyone, for HR); their own only
    when shared."""
    qs = qs if qs is not None else Observation.objects.all()
    private = scope(user, Action.OBSERVATION_VIEW_PRIVATE, qs, subject="employee__")
    shared = scope(
        user,
        Action.OBSERVATION_VIEW_SHARED,
        qs.filter(visibility=ObservationVisibility.SHARED),
        subject="employee__",
    )
    return (private | shared).select_related("employee", "author", "goal", "competency", "cycle")


def observations_for_review(*, cycle: Cycle, employee: Employee, viewer: Any) -> list[Observation]:
    """The observations logged about ``employee`` in ``cycle`` that ``viewer`` may read,
    oldest first, for the evaluation stage to show beside the review form. One query (once
    the viewer's employee record is loaded)."""
    qs = Observation.objects.filter(cycle=cycle, employee=employee)
    if may(viewer, Action.OBSERVATION_VIEW_PRIVATE, employee):
        pass
    elif may(viewer, Action.OBSERVATION_VIEW_SHARED, employee):
        qs = qs.filter(visibility=ObservationVisibility.SHARED)
    else:
        return []
    return list(qs.select_related("author", "goal", "competency").order_by("occurred_on", "id"))


def suggested_courses(observation: Observation) -> list[Course]:
    """For a gap in a competency: the offered courses with that competency, except those
    the person already has open."""
    if observation.kind != ObservationKind.IMPROVEMENT or observation.competency_id is None:
        return []
    open_courses = TrainingAssignment.objects.filter(employee_id=observation.employee_id).exclude(
        status=TrainingStatus.COMPLETED
    )
    return list(
        Course.objects.filter(is_active=True, competencies=observation.competency_id)
        .exclude(pk__in=open_courses.values("course_id"))
        .order_by("title")
    )


# Feedback ------------------------------------------------------------------------------


def visible_feedback(user: Any, qs: QuerySet[Feedback] | None = None) -> QuerySet[Feedback]:
    qs = qs if qs is not None else Feedback.objects.all()
    qs = qs.select_related("giver", "receiver", "competency")
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    condition = Q(visibility=FeedbackVisibility.PUBLIC)
    me = acting_employee(user)
    if me is not None:
        condition |= Q(receiver=me) | Q(giver=me)
        condition |= Q(
            visibility=FeedbackVisibility.MANAGER, receiver__path__startswith=me.path
        ) & ~Q(receiver=me)
    if is_hr(user):
        condition |= Q(visibility=FeedbackVisibility.MANAGER)
    return qs.filter(condition)


def praise_wall(user: Any) -> QuerySet[Feedback]:
    """Public praise, newest first."""
    return visible_feedback(
        user,
        Feedback.objects.filter(visibility=FeedbackVisibility.PUBLIC, kind=FeedbackKind.PRAISE),
    ).order_by("-created_at", "-id")


def received_feedback(user: Any, employee: Employee) -> QuerySet[Feedback]:
    return visible_feedback(user, Feedback.objects.filter(receiver=employee)).order_by(
        "-created_at", "-id"
    )


# Training ------------------------------------------------------------------------------


def visible_training(user: Any) -> QuerySet[TrainingAssignment]:
    return scope(
        user,
        Action.TRAINING_VIEW,
        TrainingAssignment.objects.select_related(
            "employee", "course", "recommended_by", "observation", "checkin"
        ),
        subject="employee__",
    )

"""Coach and monitor: check-ins with their notes, agenda and goal notes, action items,
observations about and by the person, feedback received and given, training."""

from __future__ import annotations

from django.db.models import Q

from perfcycle.monitoring.models import (
    ActionItem,
    AgendaItem,
    CheckIn,
    Feedback,
    GoalCheckIn,
    Observation,
    TrainingAssignment,
)
from perfcycle.privacy.sections.common import (
    Context,
    Sections,
    make_row,
    make_rows,
    name_of,
    user_label,
)


def collect(ctx: Context) -> Sections:
    me = ctx.me
    user = ctx.user
    s: Sections = {}
    s["check_ins"] = make_rows(
        CheckIn.objects.filter(employee=me)
        .select_related("cycle", "manager")
        .order_by("scheduled_for", "pk"),
        lambda c: make_row(
            id=c.pk,
            cycle=c.cycle.name if c.cycle else None,
            manager=name_of(c.manager),
            scheduled_for=c.scheduled_for,
            status=c.get_status_display(),
            held_at=c.held_at,
            shared_notes=c.shared_notes,
            private_notes=c.private_notes,
        ),
    )
    s["check_in_agenda"] = make_rows(
        AgendaItem.objects.filter(checkin__employee=me)
        .select_related("author__employee")
        .order_by("checkin_id", "created_at", "pk"),
        lambda a: make_row(
            check_in_id=a.checkin_id,
            author=user_label(a.author),
            topic=a.text,
            created_at=a.created_at,
        ),
    )
    s["check_in_goal_notes"] = make_rows(
        GoalCheckIn.objects.filter(checkin__employee=me)
        .select_related("goal")
        .order_by("checkin_id", "pk"),
        lambda n: make_row(
            check_in_id=n.checkin_id,
            goal=n.goal.title,
            comment=n.comment,
            confidence=n.confidence,
        ),
    )
    s["action_items"] = make_rows(
        ActionItem.objects.filter(Q(employee=me) | Q(owner=me))
        .select_related("employee", "owner")
        .order_by("created_at", "pk"),
        lambda a: make_row(
            check_in_id=a.checkin_id,
            employee=a.employee.name,
            owner=a.owner.name,
            action=a.text,
            due_date=a.due_date,
            done_at=a.done_at,
        ),
    )
    s["observations_about"] = make_rows(
        Observation.objects.filter(employee=me)
        .select_related("cycle", "goal", "competency", "author__employee")
        .order_by("occurred_on", "pk"),
        lambda o: make_row(
            occurred_on=o.occurred_on,
            cycle=o.cycle.name if o.cycle else None,
            kind=o.get_kind_display(),
            text=o.text,
            goal=o.goal.title if o.goal else None,
            competency=o.competency.name if o.competency else None,
            visibility=o.get_visibility_display(),
            author=user_label(o.author),
            recorded_at=o.created_at,
        ),
    )
    s["observations_written"] = (
        make_rows(
            Observation.objects.filter(author=user)
            .exclude(employee=me)
            .select_related("cycle", "employee", "competency")
            .order_by("occurred_on", "pk"),
            lambda o: make_row(
                occurred_on=o.occurred_on,
                about=o.employee.name,
                cycle=o.cycle.name if o.cycle else None,
                kind=o.get_kind_display(),
                text=o.text,
                competency=o.competency.name if o.competency else None,
                visibility=o.get_visibility_display(),
                recorded_at=o.created_at,
            ),
        )
        if user is not None
        else []
    )
    s["feedback_received"] = make_rows(
        Feedback.objects.filter(receiver=me)
        .select_related("giver", "competency")
        .order_by("created_at", "pk"),
        lambda f: make_row(
            given_at=f.created_at,
            giver=f.giver.name,
            kind=f.get_kind_display(),
            text=f.text,
            visibility=f.get_visibility_display(),
            competency=f.competency.name if f.competency else None,
        ),
    )
    s["feedback_given"] = make_rows(
        Feedback.objects.filter(giver=me)
        .select_related("receiver", "competency")
        .order_by("created_at", "pk"),
        lambda f: make_row(
            given_at=f.created_at,
            receiver=f.receiver.name,
            kind=f.get_kind_display(),
            text=f.text,
            visibility=f.get_visibility_display(),
            competency=f.competency.name if f.competency else None,
        ),
    )
    s["training"] = make_rows(
        TrainingAssignment.objects.filter(employee=me)
        .select_related("course", "recommended_by__employee")
        .order_by("created_at", "pk"),
        lambda t: make_row(
            course=t.course.title,
            course_code=t.course.code,
            recommended_by=user_label(t.recommended_by),
            reason=t.reason,
            status=t.get_status_display(),
            due_date=t.due_date,
            started_on=t.started_on,
            completed_on=t.completed_on,
        ),
    )
    return s

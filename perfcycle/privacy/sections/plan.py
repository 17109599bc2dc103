"""Plan: goal sheets and acknowledgements, personal goals, key results, milestones,
comments and every actual with its history."""

from __future__ import annotations

from django.db.models import Q

from perfcycle.monitoring.models import (
    Actual,
)
from perfcycle.planning.models import (
    Acknowledgement,
    GoalComment,
    GoalSheet,
    KeyResult,
    Milestone,
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
    my_goals = ctx.my_goals
    s: Sections = {}
    s["goal_sheets"] = make_rows(
        GoalSheet.objects.filter(employee=me)
        .select_related("cycle", "proposed_by__employee", "approved_by__employee")
        .order_by("cycle__start_date", "pk"),
        lambda sheet: make_row(
            cycle=sheet.cycle.name,
            status=sheet.get_status_display(),
            proposed_at=sheet.proposed_at,
            proposed_by=user_label(sheet.proposed_by),
            approved_at=sheet.approved_at,
            approved_by=user_label(sheet.approved_by),
            acknowledged_at=sheet.acknowledged_at,
        ),
    )
    s["goal_acknowledgements"] = make_rows(
        Acknowledgement.objects.filter(Q(sheet__employee=me) | Q(acknowledged_by=user))
        .select_related("sheet__cycle", "sheet__employee")
        .order_by("acknowledged_at", "pk")
        if user is not None
        else Acknowledgement.objects.filter(sheet__employee=me)
        .select_related("sheet__cycle", "sheet__employee")
        .order_by("acknowledged_at", "pk"),
        lambda a: make_row(
            cycle=a.sheet.cycle.name,
            employee=a.sheet.employee.name,
            acknowledged_at=a.acknowledged_at,
            sheet_version=a.sheet_version,
            goals=a.snapshot,
        ),
    )
    s["goals"] = make_rows(
        my_goals.select_related("cycle", "indicator", "parent").order_by("cycle__start_date", "pk"),
        lambda g: make_row(
            id=g.pk,
            cycle=g.cycle.name,
            title=g.title,
            description=g.description,
            kind=g.get_kind_display(),
            indicator=g.indicator.code if g.indicator else None,
            aligned_to=g.parent.title if g.parent else None,
            weight=g.weight,
            unit=g.unit,
            direction=g.get_direction_display(),
            baseline=g.baseline,
            target=g.target,
            threshold=g.threshold,
            stretch=g.stretch,
            current_value=g.current_value,
            measurement_period=g.get_measurement_period_display(),
            calculation_method=g.calculation_method,
            quality_conditions=g.quality_conditions,
            data_source=g.data_source,
            scoring_rule=g.get_rule_type_display(),
            due_date=g.due_date,
            done_at=g.done_at,
            created_at=g.created_at,
        ),
    )
    s["key_results"] = make_rows(
        KeyResult.objects.filter(goal__in=my_goals).order_by("goal_id", "position", "pk"),
        lambda k: make_row(
            goal_id=k.goal_id,
            title=k.title,
            unit=k.unit,
            baseline=k.baseline,
            target=k.target,
            weight=k.weight,
            current_value=k.current_value,
            confidence=k.confidence,
        ),
    )
    s["milestones"] = make_rows(
        Milestone.objects.filter(Q(goal__in=my_goals) | Q(owner=me))
        .select_related("goal", "owner")
        .order_by("due_date", "pk"),
        lambda m: make_row(
            goal_id=m.goal_id,
            goal=m.goal.title,
            title=m.title,
            owner=name_of(m.owner),
            due_date=m.due_date,
            done_at=m.done_at,
        ),
    )
    comments = Q(goal__in=my_goals) | (Q(author=user) if user is not None else Q(pk__in=[]))
    s["goal_comments"] = make_rows(
        GoalComment.objects.filter(comments)
        .select_related("goal", "author__employee")
        .order_by("created_at", "pk"),
        lambda c: make_row(
            goal_id=c.goal_id,
            goal=c.goal.title,
            author=user_label(c.author),
            comment=c.body,
            created_at=c.created_at,
        ),
    )
    s["actuals"] = make_rows(
        Actual.objects.filter(goal__in=my_goals)
        .select_related("goal", "entered_by__employee")
        .order_by("goal_id", "period_start", "revision"),
        lambda a: make_row(
            goal_id=a.goal_id,
            goal=a.goal.title,
            period=a.period,
            value=a.value,
            note=a.note,
            source=a.get_source_display(),
            entered_by=user_label(a.entered_by),
            entered_at=a.entered_at,
            revision=a.revision,
            current=a.is_current,
        ),
    )
    return s

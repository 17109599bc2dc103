"""Scores and results of the cycles whose result is released to the person, with the
calibration changes and feedback talks; appeals and their attachments."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from perfcycle.calibration.models import (
    Adjustment,
    Appeal,
    AppealAttachment,
    FeedbackTalk,
    Result,
)
from perfcycle.evaluation.models import (
    GoalScoreOverride,
    ScoreResult,
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
    released = ctx.released
    my_goals = ctx.my_goals
    s: Sections = {}
    s["score_overrides"] = make_rows(
        GoalScoreOverride.objects.filter(goal__in=my_goals, goal__cycle_id__in=released)
        .select_related("goal", "by__employee")
        .order_by("goal_id"),
        lambda o: make_row(
            goal_id=o.goal_id,
            goal=o.goal.title,
            points=o.points,
            reason=o.reason,
            by=user_label(o.by),
            at=o.updated_at,
        ),
    )
    s["scores"] = make_rows(
        ScoreResult.objects.filter(employee=me, cycle_id__in=released)
        .select_related("cycle")
        .order_by("cycle__start_date"),
        lambda r: make_row(
            cycle=r.cycle.name,
            goals_score=r.goals_score,
            competencies_score=r.competencies_score,
            overall_score=r.overall_score,
            grade=r.grade,
            complete=r.complete,
            normalised=r.normalised,
            computed_at=r.computed_at,
            breakdown=r.breakdown,
        ),
    )
    mine_released = Result.objects.filter(employee=me, released_at__isnull=False)
    s["results"] = make_rows(
        mine_released.select_related("cycle", "department").order_by("cycle__start_date"),
        lambda r: make_row(
            cycle=r.cycle.name,
            department=r.department.name if r.department else None,
            computed_score=r.computed_score,
            computed_grade=r.computed_grade,
            final_score=r.score,
            final_grade=r.grade,
            potential=r.get_potential_display() if r.potential else "",
            released_at=r.released_at,
            acknowledged_at=r.acknowledged_at,
        ),
    )
    s["result_adjustments"] = make_rows(
        Adjustment.objects.filter(result__in=mine_released)
        .select_related("result__cycle", "session")
        .order_by("at", "pk"),
        lambda a: make_row(
            cycle=a.result.cycle.name,
            what=a.field,
            before=a.before,
            after=a.after,
            reason=a.reason,
            made_in=_("appeal decision")
            if a.appeal_id
            else (a.session.name if a.session else None),
            at=a.at,
        ),
    )
    s["feedback_talks"] = make_rows(
        FeedbackTalk.objects.filter(result__in=mine_released)
        .select_related("result__cycle", "manager")
        .order_by("held_on", "pk"),
        lambda t: make_row(
            cycle=t.result.cycle.name,
            manager=name_of(t.manager),
            held_on=t.held_on,
            strengths=t.strengths,
            to_improve=t.improvements,
            next_steps=t.next_steps,
            employee_comments=t.employee_comments,
        ),
    )
    s["appeals"] = make_rows(
        Appeal.objects.filter(result__employee=me)
        .select_related("result__cycle")
        .order_by("created_at", "pk"),
        lambda a: make_row(
            id=a.pk,
            cycle=a.result.cycle.name,
            filed_at=a.created_at,
            reason=a.reason,
            talk_held=a.talk_held,
            status=a.get_status_display(),
            due_on=a.due_on,
            decision=a.decision,
            decided_at=a.decided_at,
        ),
    )
    s["appeal_attachments"] = make_rows(
        AppealAttachment.objects.filter(appeal__result__employee=me).order_by("pk"),
        lambda f: make_row(
            appeal_id=f.appeal_id,
            name=f.name,
            size=f.size,
            content_type=f.content_type,
            uploaded_at=f.created_at,
        ),
    )
    return s

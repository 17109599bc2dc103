"""Review progress and one-click reminders over the API (HR and managers).

A manager sees the forms about their reporting line; peer and upward forms come only
as counts per person, never with the reviewer (see ``evaluation.progress``)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS, require
from perfcycle.cycles.models import Cycle
from perfcycle.evaluation import progress
from perfcycle.notifications import reviews

router = Router(tags=["progress"])


class TallyOut(Schema):
    submitted: int
    in_progress: int
    not_started: int
    total: int
    percent_done: int | None


class SourceProgressOut(Schema):
    source: str
    tally: TallyOut


class PhaseProgressOut(Schema):
    phase: str
    due_date: dt.date | None
    tally: TallyOut
    sources: list[SourceProgressOut]


class DepartmentProgressOut(Schema):
    department_id: int | None
    name: str
    tally: TallyOut


class LateOut(Schema):
    reviewer_id: int | None = Field(None, description="None on anonymous (grouped) rows.")
    reviewer_name: str | None
    reviewee_id: int | None = Field(
        None, description="Set on anonymous rows: the peer and upward reviews of this person."
    )
    reviewee_name: str | None
    anonymous: bool
    forms: int
    oldest_due: dt.date
    overdue: bool
    remindable: bool


class ProgressOut(Schema):
    cycle_id: int
    as_of: dt.date
    reviewer_names_shown: bool
    total: TallyOut
    phases: list[PhaseProgressOut]
    departments: list[DepartmentProgressOut]
    late: list[LateOut]


class RemindIn(Schema):
    department_id: int | None = None
    form_ids: list[int] | None = Field(None, max_length=5000)
    reviewer_id: int | None = None
    reviewee_id: int | None = None


class RemindOut(Schema):
    reminded: int = Field(..., description="Reviewers notified now.")
    already_reminded: int = Field(..., description="Reviewers reminded earlier today.")


def _cycle(request: HttpRequest, cycle_id: int) -> Cycle:
    return get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=cycle_id)


@router.get(
    "/cycles/{int:cycle_id}/review-progress",
    response={200: ProgressOut, **ERRORS},
    summary="Review form completion and late reviewers (HR, managers)",
)
def review_progress(request: HttpRequest, cycle_id: int) -> Any:
    require(request, Action.REVIEW_PROGRESS)
    cycle = _cycle(request, cycle_id)
    data = progress.progress_for(request.user, cycle)
    return {
        "cycle_id": cycle.pk,
        "as_of": data.today,
        "reviewer_names_shown": data.names_shown,
        "total": data.total.as_dict(),
        "phases": [
            {
                "phase": p.phase,
                "due_date": p.due_date,
                "tally": p.tally.as_dict(),
                "sources": [{"source": s.source, "tally": s.tally.as_dict()} for s in p.sources],
            }
            for p in data.phases
        ],
        "departments": [
            {"department_id": d.department_id, "name": d.name, "tally": d.tally.as_dict()}
            for d in data.departments
        ],
        "late": [row.__dict__ for row in data.late],
    }


@router.post(
    "/cycles/{int:cycle_id}/review-reminders",
    response={200: RemindOut, **ERRORS},
    summary="Remind late reviewers (HR, managers)",
    description=(
        "Reminds the reviewers of forms not submitted whose deadline has passed or is "
        "within two days, in the cycle's current phase: all the caller may follow, or "
        "those narrowed by department, forms, reviewer or reviewee. At most one reminder "
        "per reviewer, cycle and day. Only counts come back."
    ),
)
def review_reminders(request: HttpRequest, cycle_id: int, payload: RemindIn) -> Any:
    require(request, Action.REVIEW_REMIND)
    cycle = _cycle(request, cycle_id)
    outcome = reviews.review_reminders_send(
        actor=request.user,
        cycle=cycle,
        department_id=payload.department_id,
        form_ids=payload.form_ids,
        reviewer_id=payload.reviewer_id,
        reviewee_id=payload.reviewee_id,
    )
    return {"reminded": outcome.reminded, "already_reminded": outcome.already}

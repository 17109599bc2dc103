"""Rolling a closed cycle over into the next one, over the API.

``GET /cycles/{id}/roll-over`` previews it, ``POST`` does it. HR only (403 otherwise);
a second roll-over is 409; a bad target, date or name is 422 naming the field.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from perfcycle.access.policy import Action
from perfcycle.api.common import ERRORS, require
from perfcycle.cycles.models import Cycle
from perfcycle.retrospective import rollover

router = Router(tags=["retrospective"])


class RollOverIn(Schema):
    name: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    targets: dict[str, Decimal | str] = Field(
        {}, description='Indicator id → the next cycle\'s target, e.g. {"12": "16"}.'
    )


class RollOverOut(Schema):
    cycle_id: int | None = None
    rolled_over_into: int | None = None
    source: dict[str, Any]
    name: str
    period_type: str
    start_date: dt.date
    end_date: dt.date
    deadlines: dict[str, dt.date]
    participant_rule: dict[str, Any] | None = None
    participants: int
    joining: list[dict[str, Any]]
    leaving: list[dict[str, Any]]
    goals: list[dict[str, Any]]
    goals_dropped: int
    targets: dict[str, dict[str, Any]]
    action_items: list[dict[str, Any]]
    plans: list[dict[str, Any]]
    plans_not_carried: list[dict[str, Any]]


def _cycle(cycle_id: int) -> Cycle:
    return get_object_or_404(Cycle, pk=cycle_id)


@router.get("/cycles/{cycle_id}/roll-over", response={200: RollOverOut, **ERRORS})
def preview(request: HttpRequest, cycle_id: int) -> Any:
    require(request, Action.CYCLE_MANAGE)
    plan = rollover.rollover_preview(actor=request.user, source=_cycle(cycle_id))
    return {
        **plan.report(),
        "rolled_over_into": plan.existing.target_id if plan.existing else None,
    }


@router.post("/cycles/{cycle_id}/roll-over", response={201: RollOverOut, **ERRORS})
def roll_over(request: HttpRequest, cycle_id: int, payload: RollOverIn) -> Any:
    require(request, Action.CYCLE_MANAGE)
    record = rollover.cycle_roll_over(
        actor=request.user,
        source=_cycle(cycle_id),
        name=payload.name,
        start_date=payload.start_date,
        end_date=payload.end_date,
        targets=dict(payload.targets),
    )
    return 201, {**record.report, "rolled_over_into": record.target_id}

"""Rater reliability and the normalisation switch over the API (HR)."""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS, require
from perfcycle.cycles.models import Cycle
from perfcycle.evaluation import analysis

router = Router(tags=["reliability"])


class IccOut(Schema):
    scope: str = Field(..., description="item (one competency) or template.")
    item_id: int | None
    label: str
    matrix: str = Field(..., description="by_source or among_peers.")
    n: int = Field(..., description="People rated by every judge.")
    k: int = Field(..., description="Judges.")
    dropped: int
    values: dict[str, float | None] = Field(..., description="The six Shrout–Fleiss forms.")
    reason: str | None = Field(None, description="Why no form could be computed.")
    form_reasons: dict[str, str] = {}


class RaterOut(Schema):
    reviewer_id: int
    name: str
    count: int
    mean: float
    sd: float
    reference_mean: float | None
    z: float | None
    central_share: float
    flags: list[str]


class ReliabilityOut(Schema):
    cycle_id: int
    ratings: int
    population_mean: float | None
    population_sd: float | None
    icc: list[IccOut]
    raters: list[RaterOut]


class NormalisationIn(Schema):
    on: bool


class BeforeAfterOut(Schema):
    employee_id: int
    name: str
    raw_score: Decimal | None
    raw_grade: str
    normalised_score: Decimal | None
    normalised_grade: str


class NormalisationOut(Schema):
    cycle_id: int
    on: bool
    version: int
    scores: list[BeforeAfterOut] | None = Field(
        None, description="Without and with normalisation; null while scores cannot be computed."
    )


def _cycle(request: HttpRequest, cycle_id: int) -> Cycle:
    return get_visible_or_404(request.user, Action.CYCLE_VIEW, Cycle.objects, pk=cycle_id)


@router.get(
    "/cycles/{int:cycle_id}/reliability",
    response={200: ReliabilityOut, **ERRORS},
    summary="ICC per competency and template, rater profiles (HR)",
)
def cycle_reliability(request: HttpRequest, cycle_id: int) -> Any:
    require(request, Action.RELIABILITY_VIEW)
    data = analysis.cycle_reliability(_cycle(request, cycle_id))
    return {
        "cycle_id": cycle_id,
        "ratings": data.ratings,
        "population_mean": data.raters.population_mean if data.raters else None,
        "population_sd": data.raters.population_sd if data.raters else None,
        "icc": [
            {
                "scope": row.scope,
                "item_id": row.item_id,
                "label": row.label,
                "matrix": row.matrix,
                "n": row.result.n_targets,
                "k": row.result.n_judges,
                "dropped": row.result.dropped_targets,
                "values": row.result.as_dict(),
                "reason": row.reason or None,
                "form_reasons": {
                    form: analysis.reason_text(why) for form, why in row.result.form_reasons.items()
                },
            }
            for row in data.icc_rows
        ],
        "raters": [
            {
                "reviewer_id": row.reviewer_id,
                "name": row.name,
                "count": row.profile.count,
                "mean": row.profile.mean,
                "sd": row.profile.sd,
                "reference_mean": row.profile.reference_mean,
                "z": row.profile.z,
                "central_share": row.profile.central_share,
                "flags": list(row.profile.flags),
            }
            for row in data.rater_rows
        ],
    }


def _normalisation(cycle: Cycle) -> dict[str, Any]:
    rows = analysis.scores_before_after(cycle)
    return {
        "cycle_id": cycle.pk,
        "on": cycle.normalise_ratings,
        "version": cycle.version,
        "scores": None if rows is None else [row.__dict__ for row in rows],
    }


@router.get(
    "/cycles/{int:cycle_id}/normalisation",
    response={200: NormalisationOut, **ERRORS},
    summary="Whether ratings are normalised per rater, with scores before and after (HR)",
)
def get_normalisation(request: HttpRequest, cycle_id: int) -> Any:
    require(request, Action.SCORE_COMPUTE)
    return _normalisation(_cycle(request, cycle_id))


@router.put(
    "/cycles/{int:cycle_id}/normalisation",
    response={200: NormalisationOut, **ERRORS},
    summary="Switch per-rater normalisation on or off (HR; audited)",
)
def put_normalisation(request: HttpRequest, cycle_id: int, payload: NormalisationIn) -> Any:
    require(request, Action.SCORE_COMPUTE)
    cycle = _cycle(request, cycle_id)
    analysis.normalisation_set(actor=request.user, cycle=cycle, on=payload.on)
    return _normalisation(cycle)

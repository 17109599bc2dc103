"""Review forms over the API: the forms I fill in, one form with its template (anchors,
labels, questions for its source), saving a draft and submitting, the evidence beside a
manager's form, and a person's anonymous peer summary.

Thin: the policy says who (a form is its reviewer's; HR may read it; everyone else gets
404), ``evaluation.reviews`` saves, submits and aggregates. A stale version answers 409;
a rating off the scale 422 with the field. Peer and upward answers are never
attributed: averages, counts and answers sorted by text, from the anonymity minimum.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from perfcycle.access.policy import Action, acting_employee, get_visible_or_404
from perfcycle.api.common import ERRORS, require
from perfcycle.cycles.models import Cycle
from perfcycle.evaluation import reviews
from perfcycle.evaluation.evidence import review_evidence
from perfcycle.evaluation.models import (
    Answer,
    FormStatus,
    Rating,
    ReviewForm,
    ReviewSource,
    TemplateCompetency,
    TemplateQuestion,
)
from perfcycle.evaluation.templates import questions_for_source
from perfcycle.org.models import Employee

router = Router(tags=["reviews"])

EVIDENCE_SOURCES = frozenset({ReviewSource.MANAGER, ReviewSource.SKIP})


# Schemas -------------------------------------------------------------------------------


class MyReviewFilters(Schema):
    cycle_id: int | None = None
    status: FormStatus | None = None


class MyReviewOut(Schema):
    id: int
    cycle_id: int
    cycle_name: str
    reviewee_id: int
    reviewee_name: str
    source: ReviewSource
    status: FormStatus
    version: int
    phase: str = Field(..., description="The cycle phase in which this form is filled in.")
    deadline: dt.date | None
    open: bool = Field(..., description="Whether the form may be changed now.")
    closed_reason: str | None = Field(None, description="Why it may not, when it may not.")
    submitted_at: dt.datetime | None


class ReviewAnchorOut(Schema):
    rating: int
    description: str


class ReviewScalePointOut(Schema):
    rating: int
    label: str


class ReviewItemOut(Schema):
    id: int = Field(..., description="The template-competency id ratings are keyed by.")
    competency_id: int
    competency: str
    description: str
    weight: Decimal
    anchors: list[ReviewAnchorOut]
    rating: int | None
    comment: str


class ReviewQuestionOut(Schema):
    id: int
    text: str
    required: bool
    answer: str


class MyReviewDetailOut(MyReviewOut):
    rating_min: int
    rating_max: int
    scale: list[ReviewScalePointOut]
    items: list[ReviewItemOut]
    questions: list[ReviewQuestionOut]
    summary: str


class MyReviewIn(Schema):
    version: int
    ratings: dict[int, int | None] = Field(
        {}, description="Rating per template-competency id; null clears it."
    )
    comments: dict[int, str] = Field({}, description="Comment per template-competency id.")
    answers: dict[int, str] = Field({}, description="Answer per question id.")
    summary: str | None = None


class ReviewVersionIn(Schema):
    version: int


class PeerAverageOut(Schema):
    item_id: int
    competency: str
    average: Decimal
    answered: int


class PeerAnswersOut(Schema):
    question_id: int
    question: str
    answers: list[str] = Field(..., description="Unattributed, sorted by text.")


class PeerAggregateOut(Schema):
    source: ReviewSource
    shown: bool
    submitted: int
    minimum: int
    averages: list[PeerAverageOut]
    answers: list[PeerAnswersOut]


class EvidenceActualOut(Schema):
    period: str
    period_start: dt.date
    value: Decimal


class EvidenceGoalOut(Schema):
    goal_id: int
    title: str
    weight: Decimal
    target: Decimal | None
    progress: Decimal | None
    actuals: list[EvidenceActualOut]


class EvidenceSelfRatingOut(Schema):
    item_id: int
    competency: str
    rating: int
    comment: str


class EvidenceSelfAnswerOut(Schema):
    question_id: int
    question: str
    answer: str


class EvidenceSelfReviewOut(Schema):
    submitted_at: dt.datetime | None
    ratings: list[EvidenceSelfRatingOut]
    answers: list[EvidenceSelfAnswerOut]
    summary: str


class EvidenceObservationOut(Schema):
    id: int
    occurred_on: dt.date
    kind: str
    text: str
    competency: str | None
    goal_id: int | None


class EvidenceCheckInOut(Schema):
    id: int
    scheduled_for: dt.datetime
    shared_notes: str
    private_notes: str | None = Field(..., description="Only where the viewer may read them.")


class ReviewEvidenceOut(Schema):
    goals: list[EvidenceGoalOut]
    self_review: EvidenceSelfReviewOut | None
    observations: list[EvidenceObservationOut]
    checkins: list[EvidenceCheckInOut]
    private_notes_shown: bool
    peers: PeerAggregateOut | None
    reports: PeerAggregateOut | None


class PeerSummaryOut(Schema):
    cycle_id: int
    employee_id: int
    peers: PeerAggregateOut
    reports: PeerAggregateOut


# Helpers -------------------------------------------------------------------------------


def _form(request: HttpRequest, review_id: int) -> ReviewForm:
    return get_visible_or_404(
        request.user,
        Action.REVIEW_FORM_VIEW,
        ReviewForm.objects.select_related("cycle", "cycle__template", "reviewee"),
        pk=review_id,
    )


def _summary(form: ReviewForm, deadlines: reviews.Deadlines | None = None) -> dict[str, Any]:
    reason = reviews.closed_reason(form, deadlines=deadlines)
    return {
        "id": form.pk,
        "cycle_id": form.cycle_id,
        "cycle_name": form.cycle.name,
        "reviewee_id": form.reviewee_id,
        "reviewee_name": form.reviewee.name,
        "source": form.source,
        "status": form.status,
        "version": form.version,
        "phase": reviews.PHASE_FOR_SOURCE[form.source].value,
        "deadline": reviews.form_deadline(form, deadlines=deadlines),
        "open": reason is None,
        "closed_reason": reason.message if reason else None,
        "submitted_at": form.submitted_at,
    }


def _detail(form: ReviewForm) -> dict[str, Any]:
    template = form.cycle.template
    items = list(
        TemplateCompetency.objects.filter(template_id=form.cycle.template_id)
        .select_related("competency")
        .prefetch_related("anchors")
    )
    ratings = {r.item_id: r for r in Rating.objects.filter(form=form)}
    answers = dict(Answer.objects.filter(form=form).values_list("question_id", "text"))
    labels = (template.rating_labels or {}) if template else {}
    low, high = (template.rating_min, template.rating_max) if template else (0, -1)
    return {
        **_summary(form),
        "rating_min": low,
        "rating_max": high,
        "scale": [
            {"rating": p, "label": str(labels.get(str(p), ""))} for p in range(low, high + 1)
        ],
        "items": [
            {
                "id": item.pk,
                "competency_id": item.competency_id,
                "competency": item.competency.name,
                "description": item.competency.description,
                "weight": item.weight,
                "anchors": [
                    {"rating": a.rating, "description": a.description} for a in item.anchors.all()
                ],
                "rating": ratings[item.pk].value if item.pk in ratings else None,
                "comment": ratings[item.pk].comment if item.pk in ratings else "",
            }
            for item in items
        ],
        "questions": [
            {"id": q.pk, "text": q.text, "required": q.required, "answer": answers.get(q.pk, "")}
            for q in (questions_for_source(template, form.source) if template else [])
        ],
        "summary": form.summary,
    }


def aggregate_out(
    aggregate: reviews.PeerAggregate | None, items: dict[int, str], questions: dict[int, str]
) -> dict[str, Any] | None:
    if aggregate is None:
        return None
    return {
        "source": aggregate.source,
        "shown": aggregate.shown,
        "submitted": aggregate.submitted,
        "minimum": aggregate.minimum,
        "averages": [
            {
                "item_id": item_id,
                "competency": name,
                "average": aggregate.averages[item_id],
                "answered": aggregate.counts.get(item_id, 0),
            }
            for item_id, name in items.items()
            if item_id in aggregate.averages
        ],
        "answers": [
            {"question_id": q, "question": questions.get(q, ""), "answers": texts}
            for q, texts in sorted(aggregate.answers.items())
        ],
    }


def _names(cycle: Cycle) -> tuple[dict[int, str], dict[int, str]]:
    items = {
        i.pk: i.competency.name
        for i in TemplateCompetency.objects.filter(template_id=cycle.template_id).select_related(
            "competency"
        )
    }
    questions = dict(
        TemplateQuestion.objects.filter(template_id=cycle.template_id).values_list("pk", "text")
    )
    return items, questions


# Endpoints -----------------------------------------------------------------------------


@router.get("/reviews", response=list[MyReviewOut], summary="The review forms you fill in")
def list_reviews(request: HttpRequest, filters: Query[MyReviewFilters]) -> Any:
    me = acting_employee(request.user)
    if me is None:
        return []
    forms = list(reviews.reviewer_forms(me, cycle_id=filters.cycle_id, status=filters.status))
    deadlines = reviews.deadlines_for(f.cycle_id for f in forms)
    return [_summary(f, deadlines) for f in forms]


@router.get(
    "/reviews/{int:review_id}",
    response={200: MyReviewDetailOut, **ERRORS},
    summary="One review form: competencies with anchors, questions, your answers",
)
def get_review(request: HttpRequest, review_id: int) -> Any:
    return _detail(_form(request, review_id))


@router.put(
    "/reviews/{int:review_id}",
    response={200: MyReviewDetailOut, **ERRORS},
    summary="Save a draft (the reviewer only); a stale version answers 409",
)
def save_review(request: HttpRequest, review_id: int, payload: MyReviewIn) -> Any:
    form = _form(request, review_id)
    require(request, Action.REVIEW_FORM_FILL, form)
    reviews.review_save(
        actor=request.user,
        form=form,
        expected_version=payload.version,
        ratings=payload.ratings,
        comments=payload.comments,
        answers=payload.answers,
        summary=payload.summary,
    )
    return _detail(form)


@router.post(
    "/reviews/{int:review_id}/submit",
    response={200: MyReviewDetailOut, **ERRORS},
    summary="Submit and lock the form (every competency rated, required questions answered)",
)
def submit_review(request: HttpRequest, review_id: int, payload: ReviewVersionIn) -> Any:
    form = _form(request, review_id)
    require(request, Action.REVIEW_FORM_FILL, form)
    reviews.review_submit(actor=request.user, form=form, expected_version=payload.version)
    return _detail(form)


@router.get(
    "/reviews/{int:review_id}/evidence",
    response={200: ReviewEvidenceOut, **ERRORS},
    summary="The cycle's evidence beside a manager's or skip-level form",
)
def get_evidence(request: HttpRequest, review_id: int) -> Any:
    form = _form(request, review_id)
    if form.source not in EVIDENCE_SOURCES:
        raise Http404
    evidence = review_evidence(cycle=form.cycle, employee=form.reviewee, viewer=request.user)
    items, questions = _names(form.cycle)
    self_review = evidence.self_review
    return {
        "goals": [
            {
                "goal_id": g.goal.pk,
                "title": g.goal.title,
                "weight": g.goal.weight,
                "target": g.goal.target,
                "progress": g.progress,
                "actuals": [
                    {"period": a.period, "period_start": a.period_start, "value": a.value}
                    for a in g.actuals
                ],
            }
            for g in evidence.goals
        ],
        "self_review": None
        if self_review is None
        else {
            "submitted_at": self_review.submitted_at,
            "ratings": [
                {
                    "item_id": r.item_id,
                    "competency": r.item.competency.name,
                    "rating": r.value,
                    "comment": r.comment,
                }
                for r in self_review.ratings.all()
            ],
            "answers": [
                {"question_id": a.question_id, "question": a.question.text, "answer": a.text}
                for a in self_review.answers.all()
            ],
            "summary": self_review.summary,
        },
        # Who logged an observation is left out: it may be a colleague of the person.
        "observations": [
            {
                "id": o.pk,
                "occurred_on": o.occurred_on,
                "kind": o.kind,
                "text": o.text,
                "competency": o.competency.name if o.competency else None,
                "goal_id": o.goal_id,
            }
            for o in evidence.observations
        ],
        "checkins": [
            {
                "id": c.pk,
                "scheduled_for": c.scheduled_for,
                "shared_notes": c.shared_notes,
                "private_notes": c.private_notes if evidence.private_notes_shown else None,
            }
            for c in evidence.checkins
        ],
        "private_notes_shown": evidence.private_notes_shown,
        "peers": aggregate_out(evidence.peers, items, questions),
        "reports": aggregate_out(evidence.reports, items, questions),
    }


@router.get(
    "/cycles/{int:cycle_id}/people/{int:employee_id}/peer-summary",
    response={200: PeerSummaryOut, **ERRORS},
    summary="A person's anonymous peer and upward results (their managers, HR)",
)
def get_peer_summary(request: HttpRequest, cycle_id: int, employee_id: int) -> Any:
    cycle = get_object_or_404(Cycle.objects.select_related("template"), pk=cycle_id)
    employee = get_visible_or_404(
        request.user, Action.SCORE_VIEW, Employee.objects.all(), pk=employee_id
    )
    if cycle.template_id is None:
        raise Http404
    peers = reviews.peer_aggregate(cycle=cycle, reviewee=employee)
    reviews.reject_peer_detail_below_minimum(peers)
    items, questions = _names(cycle)
    return {
        "cycle_id": cycle.pk,
        "employee_id": employee.pk,
        "peers": aggregate_out(peers, items, questions),
        "reports": aggregate_out(
            reviews.report_aggregate(cycle=cycle, reviewee=employee), items, questions
        ),
    }

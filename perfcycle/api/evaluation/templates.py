"""Review templates over the API with all they ask: the template's scale and weights
(``/templates``; read by anyone signed in, like ``/review-templates``; changed by HR),
its competencies with weights and behavioural anchors, and its open questions.

Thin: parse, ask the policy, call ``cycles.services`` / ``evaluation.templates``. A
stale ``version`` answers 409; a template used by an open cycle answers 400
``template_locked``. Grade scales are ``/grade-scales`` (the cycles router).
"""

from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from perfcycle.access.policy import Action, get_visible_or_404
from perfcycle.api.common import ERRORS, require
from perfcycle.api.pagination import Page
from perfcycle.core.errors import ValidationFailed
from perfcycle.cycles import services as cycle_services
from perfcycle.cycles.models import Cycle, Phase, ReviewTemplate
from perfcycle.evaluation import templates as services
from perfcycle.evaluation.models import BehaviouralAnchor, TemplateCompetency, TemplateQuestion
from perfcycle.monitoring.models import Competency

router = Router(tags=["templates"])

TEMPLATE_FIELDS = (
    "description",
    "rating_min",
    "rating_max",
    "rating_labels",
    "goals_weight",
    "competencies_weight",
    "self_weight",
    "manager_weight",
    "peer_weight",
    "report_weight",
    "skip_weight",
    "peer_min",
    "peer_max",
    "anonymity_min",
)


class TemplateCompetencyOut(Schema):
    id: int
    competency_id: int
    code: str
    name: str
    weight: Decimal
    position: int
    anchors: dict[str, str] = Field(..., description="Rating point → behaviour.")

    @staticmethod
    def resolve_code(obj: TemplateCompetency) -> str:
        return obj.competency.code

    @staticmethod
    def resolve_name(obj: TemplateCompetency) -> str:
        return obj.competency.name

    @staticmethod
    def resolve_anchors(obj: TemplateCompetency) -> dict[str, str]:
        return {str(a.rating): a.description for a in obj.anchors.all()}


class QuestionOut(Schema):
    id: int
    text: str
    sources: list[str] = Field(..., description="Asked of these sources; all when empty.")
    required: bool
    position: int


class TemplateSummaryOut(Schema):
    id: int
    name: str
    description: str
    rating_min: int
    rating_max: int
    rating_labels: dict[str, str]
    goals_weight: Decimal
    competencies_weight: Decimal
    self_weight: Decimal
    manager_weight: Decimal
    peer_weight: Decimal
    report_weight: Decimal
    skip_weight: Decimal
    peer_min: int
    peer_max: int
    anonymity_min: int
    locked: bool = Field(..., description="Used by an open cycle: its content is fixed.")
    version: int


class TemplateOut(TemplateSummaryOut):
    competencies: list[TemplateCompetencyOut]
    questions: list[QuestionOut]
    competency_weight_total: Decimal
    problems: dict[str, list[str]] = Field(
        ..., description="Why a cycle could not use the template yet; empty when complete."
    )

    @staticmethod
    def resolve_competencies(obj: ReviewTemplate) -> list[TemplateCompetency]:
        return list(obj.competencies.all())

    @staticmethod
    def resolve_questions(obj: ReviewTemplate) -> list[TemplateQuestion]:
        return list(obj.questions.all())

    @staticmethod
    def resolve_competency_weight_total(obj: ReviewTemplate) -> Decimal:
        return sum((i.weight for i in obj.competencies.all()), Decimal(0))

    @staticmethod
    def resolve_problems(obj: ReviewTemplate) -> dict[str, list[str]]:
        return services.template_problems(obj)


class TemplateIn(Schema):
    name: str = Field(..., max_length=100)
    description: str = ""
    rating_min: int = Field(1, ge=0, le=10)
    rating_max: int = Field(5, ge=1, le=10)
    rating_labels: dict[str, str] = Field({}, description="Label per rating; defaults if empty.")
    goals_weight: Decimal = Field(Decimal(70), description="Goals and competencies total 100.")
    competencies_weight: Decimal = Decimal(30)
    self_weight: Decimal = Field(Decimal(10), description="The five source weights total 100.")
    manager_weight: Decimal = Decimal(60)
    peer_weight: Decimal = Decimal(20)
    report_weight: Decimal = Decimal(10)
    skip_weight: Decimal = Decimal(0)
    peer_min: int = Field(3, ge=0)
    peer_max: int = Field(5, ge=0)
    anonymity_min: int = Field(3, ge=0, description="At least 2.")


class TemplatePatch(Schema):
    version: int = Field(..., description="The version you read; a stale version answers 409.")
    name: str | None = Field(None, max_length=100)
    description: str | None = None
    rating_min: int | None = Field(None, ge=0, le=10)
    rating_max: int | None = Field(None, ge=1, le=10)
    rating_labels: dict[str, str] | None = None
    goals_weight: Decimal | None = None
    competencies_weight: Decimal | None = None
    self_weight: Decimal | None = None
    manager_weight: Decimal | None = None
    peer_weight: Decimal | None = None
    report_weight: Decimal | None = None
    skip_weight: Decimal | None = None
    peer_min: int | None = Field(None, ge=0)
    peer_max: int | None = Field(None, ge=0)
    anonymity_min: int | None = Field(None, ge=0)


class TemplateCompetencyIn(Schema):
    competency_id: int
    weight: Decimal = Field(..., description="Above 0, at most 100; all total 100.")
    position: int | None = Field(None, ge=0)


class TemplateCompetencyPatch(Schema):
    weight: Decimal | None = None
    position: int | None = Field(None, ge=0)


class AnchorsIn(Schema):
    anchors: dict[str, str] = Field(
        ...,
        description="Rating point → behaviour; replaces all anchors. Points lie on the scale.",
    )


class QuestionIn(Schema):
    text: str = Field(..., max_length=500)
    sources: list[str] = Field([], description="self, manager, skip, peer, report; all if empty.")
    required: bool = False
    position: int | None = Field(None, ge=0)


class QuestionPatch(Schema):
    text: str | None = Field(None, max_length=500)
    sources: list[str] | None = None
    required: bool | None = None
    position: int | None = Field(None, ge=0)


def _templates() -> Any:
    return ReviewTemplate.objects.annotate(
        locked=Exists(Cycle.objects.filter(template=OuterRef("pk")).exclude(phase=Phase.DRAFT))
    )


def _full() -> Any:
    return _templates().prefetch_related(
        Prefetch(
            "competencies",
            queryset=TemplateCompetency.objects.select_related("competency")
            .prefetch_related(
                Prefetch("anchors", queryset=BehaviouralAnchor.objects.order_by("rating"))
            )
            .order_by("position", "id"),
        ),
        Prefetch("questions", queryset=TemplateQuestion.objects.order_by("position", "id")),
    )


def _visible(request: HttpRequest, template_id: int) -> ReviewTemplate:
    return get_visible_or_404(request.user, Action.CYCLE_VIEW, _full(), pk=template_id)


def _managed(request: HttpRequest, template_id: int) -> ReviewTemplate:
    template = _visible(request, template_id)
    require(request, Action.REVIEW_TEMPLATE_MANAGE, template)
    return template


@router.get("/templates", response=list[TemplateSummaryOut], summary="List review templates")
@paginate(Page)
def list_templates(request: HttpRequest) -> Any:
    require(request, Action.CYCLE_VIEW)
    return _templates().order_by("name")


@router.get(
    "/templates/{int:template_id}",
    response={200: TemplateOut, **ERRORS},
    summary="A review template with its competencies, anchors, questions and problems",
)
def get_template(request: HttpRequest, template_id: int) -> Any:
    return _visible(request, template_id)


@router.post(
    "/templates", response={201: TemplateOut, **ERRORS}, summary="Create a review template (HR)"
)
def create_template(request: HttpRequest, payload: TemplateIn) -> Any:
    require(request, Action.REVIEW_TEMPLATE_MANAGE)
    values = payload.dict()
    template = cycle_services.review_template_create(
        actor=request.user, name=values.pop("name"), **values
    )
    return 201, _visible(request, template.pk)


@router.patch(
    "/templates/{int:template_id}",
    response={200: TemplateOut, **ERRORS},
    summary="Change a review template (HR); fixed once a cycle using it opens",
)
def update_template(request: HttpRequest, template_id: int, payload: TemplatePatch) -> Any:
    template = _managed(request, template_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    empty = [k for k, v in data.items() if v is None]
    if empty:
        message = _("This field cannot be empty.")
        raise ValidationFailed(message, details={"fields": {empty[0]: [message]}})
    if isinstance(data.get("name"), str):
        data["name"] = data["name"].strip()
    cycle_services.review_template_update(
        actor=request.user, template=template, expected_version=version, **data
    )
    return _visible(request, template_id)


# Competencies ----------------------------------------------------------------------------


def _item(template: ReviewTemplate, item_id: int) -> TemplateCompetency:
    found = (
        TemplateCompetency.objects.select_related("competency", "template")
        .filter(pk=item_id, template=template)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _item_out(item: TemplateCompetency) -> TemplateCompetency:
    return (
        TemplateCompetency.objects.select_related("competency")
        .prefetch_related(
            Prefetch("anchors", queryset=BehaviouralAnchor.objects.order_by("rating"))
        )
        .get(pk=item.pk)
    )


@router.post(
    "/templates/{int:template_id}/competencies",
    response={201: TemplateCompetencyOut, **ERRORS},
    summary="Rate a competency of the library with the template (HR)",
)
def add_competency(request: HttpRequest, template_id: int, payload: TemplateCompetencyIn) -> Any:
    template = _managed(request, template_id)
    competency = Competency.objects.filter(pk=payload.competency_id).first()
    if competency is None:
        message = _("Unknown competency.")
        raise ValidationFailed(message, details={"fields": {"competency_id": [message]}})
    item = services.template_competency_add(
        actor=request.user,
        template=template,
        competency=competency,
        weight=payload.weight,
        position=payload.position,
    )
    return 201, _item_out(item)


@router.patch(
    "/templates/{int:template_id}/competencies/{int:item_id}",
    response={200: TemplateCompetencyOut, **ERRORS},
    summary="Change a competency's weight or position (HR)",
)
def update_competency(
    request: HttpRequest, template_id: int, item_id: int, payload: TemplateCompetencyPatch
) -> Any:
    item = _item(_managed(request, template_id), item_id)
    data = payload.dict(exclude_unset=True)
    services.template_competency_update(
        actor=request.user, item=item, weight=data.get("weight"), position=data.get("position")
    )
    return _item_out(item)


@router.delete(
    "/templates/{int:template_id}/competencies/{int:item_id}",
    response={204: None, **ERRORS},
    summary="Stop rating a competency with the template (HR)",
)
def remove_competency(request: HttpRequest, template_id: int, item_id: int) -> Any:
    item = _item(_managed(request, template_id), item_id)
    services.template_competency_remove(actor=request.user, item=item)
    return 204, None


@router.put(
    "/templates/{int:template_id}/competencies/{int:item_id}/anchors",
    response={200: TemplateCompetencyOut, **ERRORS},
    summary="Replace a competency's behavioural anchors (HR)",
)
def set_anchors(request: HttpRequest, template_id: int, item_id: int, payload: AnchorsIn) -> Any:
    item = _item(_managed(request, template_id), item_id)
    services.template_anchors_set(actor=request.user, item=item, anchors=payload.anchors)
    return _item_out(item)


# Questions -------------------------------------------------------------------------------


def _question(template: ReviewTemplate, question_id: int) -> TemplateQuestion:
    found = (
        TemplateQuestion.objects.select_related("template")
        .filter(pk=question_id, template=template)
        .first()
    )
    if found is None:
        raise Http404
    return found


@router.post(
    "/templates/{int:template_id}/questions",
    response={201: QuestionOut, **ERRORS},
    summary="Add an open question (HR)",
)
def add_question(request: HttpRequest, template_id: int, payload: QuestionIn) -> Any:
    template = _managed(request, template_id)
    question = services.template_question_add(
        actor=request.user,
        template=template,
        text=payload.text,
        sources=payload.sources,
        required=payload.required,
        position=payload.position,
    )
    return 201, question


@router.patch(
    "/templates/{int:template_id}/questions/{int:question_id}",
    response={200: QuestionOut, **ERRORS},
    summary="Change an open question (HR)",
)
def update_question(
    request: HttpRequest, template_id: int, question_id: int, payload: QuestionPatch
) -> Any:
    question = _question(_managed(request, template_id), question_id)
    data = payload.dict(exclude_unset=True)
    return services.template_question_update(
        actor=request.user,
        question=question,
        text=data.get("text"),
        sources=data.get("sources"),
        required=data.get("required"),
        position=data.get("position"),
    )


@router.delete(
    "/templates/{int:template_id}/questions/{int:question_id}",
    response={204: None, **ERRORS},
    summary="Remove an open question (HR)",
)
def remove_question(request: HttpRequest, template_id: int, question_id: int) -> Any:
    question = _question(_managed(request, template_id), question_id)
    services.template_question_remove(actor=request.user, question=question)
    return 204, None

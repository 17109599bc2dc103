"""Writes to what a review template asks: competencies with weights and behavioural
anchors, and open questions with the sources they are asked of.

Rules enforced here, for pages and API alike:

- a template's content is fixed once a cycle using it has opened (the same rule as
  ``cycles.services.review_template_update``);
- a competency appears once per template, with a weight between 0 and 100;
- anchors describe rating points within the template's ``rating_min..rating_max``;
- a question is asked of known sources (all of them when none is named);
- ``template_check_complete`` says, before a cycle opens, whether the competency
  weights total 100 % and every anchor still fits the scale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_change, audit_record, snapshot
from perfcycle.core.errors import DomainError, ValidationFailed
from perfcycle.core.numbers import plain
from perfcycle.core.validation import field_error, full_clean
from perfcycle.cycles.models import Phase, ReviewTemplate
from perfcycle.evaluation.models import (
    BehaviouralAnchor,
    ReviewSource,
    TemplateCompetency,
    TemplateQuestion,
)
from perfcycle.monitoring.models import Competency

HUNDRED = Decimal(100)


def template_locked(template: ReviewTemplate) -> bool:
    """Whether a cycle using ``template`` has left draft (its content is then fixed)."""
    return template.cycles.exclude(phase=Phase.DRAFT).exists()


def ensure_template_editable(template: ReviewTemplate) -> None:
    """A template's content is fixed once a cycle using it has left draft."""
    if template_locked(template):
        raise DomainError(
            _(
                "This template is in use by an open cycle; its rules were fixed when the cycle opened."
            ),
            code="template_locked",
        )


def _weight(value: Decimal | int | str) -> Decimal:
    try:
        weight = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise field_error("weight", _("The weight must be a number.")) from exc
    if not (0 < weight <= HUNDRED):
        raise field_error("weight", _("The weight must be above 0 and at most 100."))
    return weight


def competency_weight_total(template: ReviewTemplate) -> Decimal:
    return sum((w for w in template.competencies.values_list("weight", flat=True)), Decimal(0))


# Competencies --------------------------------------------------------------------------


@transaction.atomic
def template_competency_add(
    *,
    actor: User | None,
    template: ReviewTemplate,
    competency: Competency,
    weight: Decimal | int | str,
    position: int | None = None,
) -> TemplateCompetency:
    """Rate ``competency`` with ``template`` at ``weight`` % of the competency section."""
    ensure_template_editable(template)
    if TemplateCompetency.objects.filter(template=template, competency=competency).exists():
        raise field_error(
            "competency",
            _("“%(competency)s” is already part of this template.") % {"competency": competency},
            code="duplicate",
        )
    if position is None:
        last = template.competencies.aggregate(last=Max("position"))["last"]
        position = 0 if last is None else last + 1
    item = TemplateCompetency(
        template=template, competency=competency, weight=_weight(weight), position=position
    )
    full_clean(item)
    item.save()
    audit_record(actor=actor, action=AuditAction.CREATE, instance=item, after=snapshot(item))
    return item


@transaction.atomic
def template_competency_update(
    *,
    actor: User | None,
    item: TemplateCompetency,
    weight: Decimal | int | str | None = None,
    position: int | None = None,
) -> TemplateCompetency:
    ensure_template_editable(item.template)
    before = snapshot(item, ["weight", "position"])
    if weight is not None:
        item.weight = _weight(weight)
    if position is not None:
        item.position = position
    full_clean(item)
    item.save(update_fields=["weight", "position"])
    audit_change(actor=actor, instance=item, before=before)
    return item


@transaction.atomic
def template_competency_weights_set(
    *, actor: User | None, template: ReviewTemplate, weights: Mapping[int, Decimal | int | str]
) -> list[TemplateCompetency]:
    """Set the weights of several of the template's competencies at once (item id →
    weight), so that a page can move weight from one to another in one save. Each
    weight is checked like a single one; the total is ``template_check_complete``'s."""
    ensure_template_editable(template)
    items = {i.pk: i for i in template.competencies.select_related("competency")}
    problems: dict[str, list[str]] = {}
    parsed: dict[int, Decimal] = {}
    for item_id, value in weights.items():
        if item_id not in items:
            problems.setdefault(f"weight_{item_id}", []).append(
                _("Not a competency of this template.")
            )
            continue
        try:
            parsed[item_id] = _weight(value)
        except ValidationFailed as exc:
            problems.setdefault(f"weight_{item_id}", []).append(exc.message)
    if problems:
        raise ValidationFailed(_("Please correct the errors below."), details={"fields": problems})
    changed = []
    for item_id, weight in parsed.items():
        item = items[item_id]
        if item.weight != weight:
            before = snapshot(item, ["weight"])
            item.weight = weight
            item.save(update_fields=["weight"])
            audit_change(actor=actor, instance=item, before=before)
            changed.append(item)
    return changed


@transaction.atomic
def template_competency_remove(*, actor: User | None, item: TemplateCompetency) -> None:
    ensure_template_editable(item.template)
    if item.ratings.exists():
        raise DomainError(
            _("Reviewers have already rated this competency; it cannot be removed."),
            code="in_use",
        )
    before = snapshot(item)
    before["anchors"] = {str(a.rating): a.description for a in item.anchors.all()}
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        instance=item,
        before=before,
    )
    item.delete()


@transaction.atomic
def template_anchors_set(
    *, actor: User | None, item: TemplateCompetency, anchors: Mapping[int, str]
) -> list[BehaviouralAnchor]:
    """Replace the behavioural anchors of ``item``: rating point → what it looks like.

    Points must lie on the template's scale; an empty description leaves that point
    without an anchor.
    """
    template = item.template
    ensure_template_editable(template)
    wanted: dict[int, str] = {}
    for rating, description in anchors.items():
        try:
            point = int(rating)
        except (TypeError, ValueError) as exc:
            raise field_error("anchors", _("A rating point must be a whole number.")) from exc
        if not (template.rating_min <= point <= template.rating_max):
            raise field_error(
                "anchors",
                _("Rating %(rating)s is outside the scale %(low)s–%(high)s.")
                % {"rating": point, "low": template.rating_min, "high": template.rating_max},
            )
        text = (description or "").strip()
        if text:
            wanted[point] = text
    before = {str(a.rating): a.description for a in item.anchors.all()}
    item.anchors.all().delete()
    created = BehaviouralAnchor.objects.bulk_create(
        [BehaviouralAnchor(item=item, rating=r, description=d) for r, d in sorted(wanted.items())]
    )
    after = {str(r): d for r, d in sorted(wanted.items())}
    if before != after:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=item,
            before={"anchors": before},
            after={"anchors": after},
        )
    return created


# Questions -----------------------------------------------------------------------------


def _sources(sources: Iterable[str]) -> list[str]:
    chosen = []
    for source in sources:
        if source not in ReviewSource.values:
            raise field_error(
                "sources", _("Unknown review source “%(source)s”.") % {"source": source}
            )
        if source not in chosen:
            chosen.append(source)
    # Stored in the order of ReviewSource so that equal sets compare equal.
    return [s for s in ReviewSource.values if s in chosen]


@transaction.atomic
def template_question_add(
    *,
    actor: User | None,
    template: ReviewTemplate,
    text: str,
    sources: Iterable[str] = (),
    required: bool = False,
    position: int | None = None,
) -> TemplateQuestion:
    """An open question, asked of ``sources`` (of every source when none is given)."""
    ensure_template_editable(template)
    if not text.strip():
        raise field_error("text", _("The question needs a text."))
    if position is None:
        last = template.questions.aggregate(last=Max("position"))["last"]
        position = 0 if last is None else last + 1
    question = TemplateQuestion(
        template=template,
        text=text.strip(),
        sources=_sources(sources),
        required=required,
        position=position,
    )
    full_clean(question)
    question.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, instance=question, after=snapshot(question)
    )
    return question


@transaction.atomic
def template_question_update(
    *,
    actor: User | None,
    question: TemplateQuestion,
    text: str | None = None,
    sources: Iterable[str] | None = None,
    required: bool | None = None,
    position: int | None = None,
) -> TemplateQuestion:
    ensure_template_editable(question.template)
    fields = ["text", "sources", "required", "position"]
    before = snapshot(question, fields)
    if text is not None:
        if not text.strip():
            raise field_error("text", _("The question needs a text."))
        question.text = text.strip()
    if sources is not None:
        question.sources = _sources(sources)
    if required is not None:
        question.required = required
    if position is not None:
        question.position = position
    full_clean(question)
    question.save(update_fields=fields)
    audit_change(actor=actor, instance=question, before=before)
    return question


@transaction.atomic
def template_question_remove(*, actor: User | None, question: TemplateQuestion) -> None:
    ensure_template_editable(question.template)
    if question.answers.exists():
        raise DomainError(
            _("Reviewers have already answered this question; it cannot be removed."),
            code="in_use",
        )
    audit_record(
        actor=actor, action=AuditAction.DELETE, instance=question, before=snapshot(question)
    )
    question.delete()


def questions_for_source(template: ReviewTemplate, source: str) -> list[TemplateQuestion]:
    """The template's questions asked of ``source``, in order."""
    return [q for q in template.questions.all() if not q.sources or source in q.sources]


# Completeness --------------------------------------------------------------------------


def template_problems(template: ReviewTemplate) -> dict[str, list[str]]:
    """What ``template_check_complete`` would refuse, by topic (empty when complete)."""
    try:
        template_check_complete(template)
    except ValidationFailed as exc:
        return dict((exc.details or {}).get("fields", {}))
    return {}


def template_check_complete(template: ReviewTemplate) -> None:
    """Raise ``ValidationFailed`` (code ``template_incomplete``) unless the template can
    be used by a cycle that opens: competency weights total 100 % whenever the
    competency section carries weight, and every anchor lies on the rating scale."""
    problems: dict[str, list[str]] = {}
    items = list(template.competencies.select_related("competency").prefetch_related("anchors"))
    total = sum((i.weight for i in items), Decimal(0))
    if template.competencies_weight > 0:
        if not items:
            problems["competencies"] = [
                _("The template weighs competencies but rates none; add competencies.")
            ]
        elif total != HUNDRED:
            problems["competencies"] = [
                _("The competency weights must total 100%%; they total %(total)s%%.")
                % {"total": plain(total)}
            ]
    elif items and total != HUNDRED:
        problems["competencies"] = [
            _("The competency weights must total 100%%; they total %(total)s%%.")
            % {"total": plain(total)}
        ]
    for item in items:
        outside = [
            a.rating
            for a in item.anchors.all()
            if not (template.rating_min <= a.rating <= template.rating_max)
        ]
        if outside:
            problems.setdefault("anchors", []).append(
                _("“%(competency)s” has anchors for ratings %(ratings)s, outside the scale.")
                % {
                    "competency": item.competency,
                    "ratings": ", ".join(str(r) for r in outside),
                }
            )
    if problems:
        raise ValidationFailed(
            _("The review template “%(template)s” is not ready: %(problems)s")
            % {
                "template": template.name,
                "problems": " ".join(m for messages in problems.values() for m in messages),
            },
            code="template_incomplete",
            details={"fields": problems},
        )

"""Filling in review forms: saving drafts, submitting, and the peer aggregate.

Rules enforced here, for pages and API alike:

- only the form's reviewer fills it in (the policy says so too; this is the last guard);
- a form is open only in its phase — self-review in self-review, peers, upward and
  skip-level reviews in the 360 phase, the manager's in manager review — and only until
  that phase's deadline (end of day, company time zone);
- ratings lie on the template's scale and belong to its competencies;
- each save carries the version it was read at: a stale save is a ``Conflict`` and
  changes nothing, so two people (or two tabs) never overwrite each other silently;
- submission needs every competency rated and every required question answered, and
  locks the form.

Peer and upward (direct reports') answers reach anyone but their authors only as
per-competency averages with the number who answered, and open answers as an
unattributed list sorted by text — and only once at least the template's anonymity
minimum of that source has submitted (``peer_aggregate``, ``report_aggregate``); the
reviewers' identities never leave this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.access.policy import acting_employee
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record
from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.cycles.models import Cycle, CycleDeadline, Phase
from perfcycle.evaluation.models import (
    Answer,
    FormStatus,
    Rating,
    ReviewForm,
    ReviewSource,
    TemplateCompetency,
    TemplateQuestion,
)
from perfcycle.org.models import Employee

PHASE_FOR_SOURCE: dict[str, Phase] = {
    ReviewSource.SELF: Phase.SELF_REVIEW,
    ReviewSource.PEER: Phase.REVIEW_360,
    ReviewSource.REPORT: Phase.REVIEW_360,
    ReviewSource.SKIP: Phase.REVIEW_360,
    ReviewSource.MANAGER: Phase.MANAGER_REVIEW,
}
EDITABLE = frozenset({FormStatus.OPEN, FormStatus.DRAFT})


def _deadline(cycle: Cycle, phase: Phase) -> dt.date | None:
    row = (
        CycleDeadline.objects.filter(cycle=cycle, phase=phase)
        .values_list("due_date", flat=True)
        .first()
    )
    return row


Deadlines = Mapping[tuple[int, str], dt.date]


def deadlines_for(cycle_ids: Iterable[int]) -> dict[tuple[int, str], dt.date]:
    """Every phase deadline of the cycles, by (cycle id, phase), in one query."""
    return {
        (cycle_id, phase): due
        for cycle_id, phase, due in CycleDeadline.objects.filter(
            cycle_id__in=set(cycle_ids)
        ).values_list("cycle_id", "phase", "due_date")
    }


def form_deadline(form: ReviewForm, *, deadlines: Deadlines | None = None) -> dt.date | None:
    """The last day ``form`` can be filled in (its phase's deadline), if one is set."""
    phase = PHASE_FOR_SOURCE[form.source]
    if deadlines is not None:
        return deadlines.get((form.cycle_id, phase))
    return _deadline(form.cycle, phase)


def closed_reason(
    form: ReviewForm, *, now: dt.datetime | None = None, deadlines: Deadlines | None = None
) -> DomainError | None:
    """Why ``form`` may not be changed now, or None when it is open. With ``deadlines``
    (from ``deadlines_for``) no query is made, so lists stay set-based."""
    if form.status == FormStatus.SUBMITTED:
        return DomainError(_("This review has been submitted and is locked."), code="form_locked")
    if form.status not in EDITABLE:
        return DomainError(
            _("This review is %(status)s and cannot be filled in.")
            % {"status": form.get_status_display()},
            code="form_not_open",
        )
    phase = PHASE_FOR_SOURCE[form.source]
    if form.cycle.phase != phase:
        return DomainError(
            _(
                "This review can be filled in during the %(phase)s phase; the cycle is in %(current)s."
            )
            % {"phase": phase.label, "current": form.cycle.get_phase_display()},
            code="form_not_in_phase",
        )
    due = form_deadline(form, deadlines=deadlines)
    today = timezone.localdate(now) if now else timezone.localdate()
    if due is not None and today > due:
        return DomainError(
            _("The deadline for this review was %(date)s.") % {"date": due.isoformat()},
            code="form_past_deadline",
        )
    return None


def ensure_open(form: ReviewForm, *, now: dt.datetime | None = None) -> None:
    """Raise unless ``form`` may be changed now."""
    reason = closed_reason(form, now=now)
    if reason is not None:
        raise reason


def reviewer_forms(
    reviewer: Employee, *, cycle_id: int | None = None, status: str | None = None
) -> QuerySet[ReviewForm]:
    """The active forms ``reviewer`` fills in (not nominated, not declined), newest cycle
    first, with cycle and reviewee loaded: one query whatever the count."""
    qs = (
        ReviewForm.objects.active()
        .filter(reviewer=reviewer)
        .select_related("cycle", "reviewee")
        .order_by("-cycle__start_date", "cycle_id", "reviewee__name", "source", "id")
    )
    if cycle_id is not None:
        qs = qs.filter(cycle_id=cycle_id)
    if status:
        qs = qs.filter(status=status)
    return qs


def _ensure_reviewer(actor: Any, form: ReviewForm) -> None:
    me = acting_employee(actor)
    if me is None or me.pk != form.reviewer_id:
        raise Forbidden(_("Only the reviewer fills in this review."))


def _save_checked(form: ReviewForm, expected_version: int | None, fields: list[str]) -> None:
    """``save_versioned``; a conflict says which version is stored now (the API's 409)."""
    try:
        form.save_versioned(expected_version=expected_version, update_fields=fields)
    except Conflict as exc:
        stored = ReviewForm._base_manager.filter(pk=form.pk).values_list("version", flat=True)
        exc.details = {**(exc.details or {}), "version": stored.first()}
        raise


@transaction.atomic
def review_save(
    *,
    actor: Any,
    form: ReviewForm,
    expected_version: int | None,
    ratings: Mapping[int, int | None] | None = None,
    comments: Mapping[int, str] | None = None,
    answers: Mapping[int, str] | None = None,
    summary: str | None = None,
) -> ReviewForm:
    """Save a draft: ``ratings`` and ``comments`` by template-competency id, ``answers`` by
    question id; a rating of None clears it. Stale ``expected_version`` → ``Conflict``."""
    _ensure_reviewer(actor, form)
    ensure_open(form)
    template = form.cycle.template
    items = {i.pk: i for i in TemplateCompetency.objects.filter(template=template)}
    questions = {q.pk: q for q in TemplateQuestion.objects.filter(template=template)}
    ratings = dict(ratings or {})
    comments = dict(comments or {})
    answers = dict(answers or {})
    problems: dict[str, list[str]] = {}
    for item_id, value in ratings.items():
        if item_id not in items:
            problems.setdefault(f"rating_{item_id}", []).append(
                _("Not a competency of this review.")
            )
        elif value is not None and not (template.rating_min <= int(value) <= template.rating_max):
            problems.setdefault(f"rating_{item_id}", []).append(
                _("Choose a rating from %(low)d to %(high)d.")
                % {"low": template.rating_min, "high": template.rating_max}
            )
    for item_id in comments:
        if item_id not in items:
            problems.setdefault(f"comment_{item_id}", []).append(
                _("Not a competency of this review.")
            )
    for question_id in answers:
        if question_id not in questions:
            problems.setdefault(f"answer_{question_id}", []).append(
                _("Not a question of this review.")
            )
    if problems:
        raise ValidationFailed(_("Please correct the errors below."), details={"fields": problems})
    # The version check comes first: a stale form writes nothing at all.
    before = {"status": form.status, "version": form.version}
    form.status = FormStatus.DRAFT
    fields = ["status"]
    if summary is not None:
        form.summary = summary.strip()
        fields.append("summary")
    _save_checked(form, expected_version, fields)
    existing = {r.item_id: r for r in Rating.objects.filter(form=form)}
    for item_id in set(ratings) | set(comments):
        value = ratings.get(item_id, existing[item_id].value if item_id in existing else None)
        comment = comments.get(item_id, existing[item_id].comment if item_id in existing else "")
        if value is None:
            Rating.objects.filter(form=form, item_id=item_id).delete()
            continue
        Rating.objects.update_or_create(
            form=form,
            item_id=item_id,
            defaults={"value": int(value), "comment": (comment or "").strip()},
        )
    for question_id, text in answers.items():
        Answer.objects.update_or_create(
            form=form, question_id=question_id, defaults={"text": (text or "").strip()}
        )
    # The audit notes that the draft changed, not what it says: reviews are confidential.
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=form,
        before=before,
        after={"status": form.status, "version": form.version},
    )
    return form


@transaction.atomic
def review_submit(*, actor: Any, form: ReviewForm, expected_version: int | None) -> ReviewForm:
    """Submit and lock the form; every competency rated and required question answered."""
    _ensure_reviewer(actor, form)
    ensure_open(form)
    template = form.cycle.template
    rated = set(Rating.objects.filter(form=form).values_list("item_id", flat=True))
    missing = [
        str(i.competency)
        for i in TemplateCompetency.objects.filter(template=template).select_related("competency")
        if i.pk not in rated
    ]
    answered = {a.question_id for a in Answer.objects.filter(form=form) if a.text.strip()}
    unanswered = [
        q.text
        for q in TemplateQuestion.objects.filter(template=template, required=True)
        if (not q.sources or form.source in q.sources) and q.pk not in answered
    ]
    if missing or unanswered:
        details: dict[str, Any] = {}
        if missing:
            details["unrated"] = missing
        if unanswered:
            details["unanswered"] = unanswered
        raise DomainError(
            _("Rate every competency and answer every required question before submitting."),
            code="form_incomplete",
            details=details,
        )
    before = form.status
    form.status = FormStatus.SUBMITTED
    form.submitted_at = timezone.now()
    _save_checked(form, expected_version, ["status", "submitted_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=form,
        before={"status": before},
        after={"status": form.status},
    )
    return form


@dataclass(frozen=True)
class PeerAggregate:
    """One source's (peers' or direct reports') ratings of one person, as averages only,
    or why they are withheld. Nothing in it says who answered what: averages and counts
    per competency, and the open answers per question sorted by their text."""

    submitted: int
    minimum: int
    averages: dict[int, Decimal]  # template-competency id -> mean rating
    counts: dict[int, int] = field(default_factory=dict)  # template-competency id -> raters
    answers: dict[int, list[str]] = field(default_factory=dict)  # question id -> texts
    source: str = ReviewSource.PEER

    @property
    def shown(self) -> bool:
        return self.submitted >= self.minimum


def anonymity_minimum(cycle: Cycle) -> int:
    return max(2, cycle.template.anonymity_min if cycle.template else 3)


def source_aggregate(*, cycle: Cycle, reviewee: Employee, source: str) -> PeerAggregate:
    """Average rating per competency from the submitted forms of ``source`` (peers or
    direct reports), with how many answered, and their open answers as one unattributed
    list per question sorted by text; withheld (empty) below the anonymity minimum.
    Three queries; no reviewer identity is read."""
    minimum = anonymity_minimum(cycle)
    submitted_forms = ReviewForm.objects.filter(
        cycle=cycle, reviewee=reviewee, source=source, status=FormStatus.SUBMITTED
    )
    submitted = submitted_forms.count()
    if submitted < minimum:
        return PeerAggregate(submitted, minimum, {}, source=source)
    rows = (
        Rating.objects.filter(form__in=submitted_forms)
        .values("item_id")
        .annotate(mean=Avg("value"), n=Count("id"))
        .order_by("item_id")
    )
    averages: dict[int, Decimal] = {}
    counts: dict[int, int] = {}
    for row in rows:
        averages[row["item_id"]] = Decimal(str(row["mean"])).quantize(Decimal("0.01"))
        counts[row["item_id"]] = row["n"]
    answers: dict[int, list[str]] = {}
    for question_id, text in Answer.objects.filter(form__in=submitted_forms).values_list(
        "question_id", "text"
    ):
        if text.strip():
            answers.setdefault(question_id, []).append(text.strip())
    # Sorted by text, never by form or row order: the order must not hint at the author.
    return PeerAggregate(
        submitted,
        minimum,
        averages,
        counts,
        {q: sorted(texts) for q, texts in answers.items()},
        source,
    )


def peer_aggregate(*, cycle: Cycle, reviewee: Employee) -> PeerAggregate:
    """Peers' ratings and answers about ``reviewee``, withheld below the minimum."""
    return source_aggregate(cycle=cycle, reviewee=reviewee, source=ReviewSource.PEER)


def report_aggregate(*, cycle: Cycle, reviewee: Employee) -> PeerAggregate:
    """Direct reports' upward ratings and answers about ``reviewee``, with the same
    anonymity minimum as peers: a manager never learns which report said what."""
    return source_aggregate(cycle=cycle, reviewee=reviewee, source=ReviewSource.REPORT)


def reject_peer_detail_below_minimum(aggregate: PeerAggregate) -> None:
    """For API callers asking for peer results: a clear refusal below the minimum."""
    if not aggregate.shown:
        raise ValidationFailed(
            _(
                "Peer results are shown once at least %(minimum)d peers have answered; %(count)d have so far."
            )
            % {"minimum": aggregate.minimum, "count": aggregate.submitted},
            code="below_anonymity_minimum",
            details={"minimum": aggregate.minimum, "submitted": aggregate.submitted},
        )

"""Review forms about the person and by them, with their ratings and answers. Peer and
upward reviewers are never named: their forms are numbered in an order keyed on the
server's secret, not on who wrote them or when, and withheld below the anonymity
minimum. Others' forms of a cycle appear once the person's result is released."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from perfcycle.evaluation.models import (
    Answer,
    FormStatus,
    Rating,
    ReviewForm,
    ReviewSource,
)
from perfcycle.evaluation.reviews import anonymity_minimum
from perfcycle.privacy.sections.common import (
    Context,
    Sections,
    make_row,
)

ANONYMOUS_SOURCES = (ReviewSource.PEER, ReviewSource.REPORT)
SOURCE_ORDER = [
    ReviewSource.SELF,
    ReviewSource.MANAGER,
    ReviewSource.SKIP,
    ReviewSource.PEER,
    ReviewSource.REPORT,
]
PEER_ORDER_SALT = "perfcycle.privacy.peer-order"


def peer_order_key(form_pk: int) -> str:
    """A stable order for anonymous forms that says nothing about who wrote them or when
    (not the id, which follows the order forms were made)."""
    return salted_hmac(PEER_ORDER_SALT, str(form_pk)).hexdigest()


def collect(ctx: Context) -> Sections:
    """Forms about the person (their own self-review always; others' once the cycle's
    result is released; peers and direct reports unnamed, above the anonymity minimum
    only) and the forms they wrote of others, with ratings and answers. Four queries."""
    me = ctx.me
    labels = dict(ReviewSource.choices)
    about = sorted(
        ReviewForm.objects.filter(reviewee=me)
        .filter(
            Q(source=ReviewSource.SELF, reviewer=me)
            | Q(cycle_id__in=ctx.released, status=FormStatus.SUBMITTED)
        )
        .select_related("cycle__template", "reviewer"),
        # Anonymous forms in a keyed order, never the order they were made in.
        key=lambda f: (
            f.cycle.start_date,
            f.cycle_id,
            SOURCE_ORDER.index(f.source),
            peer_order_key(f.pk) if f.source in ANONYMOUS_SOURCES else f"{f.pk:020d}",
        ),
    )
    written = list(
        ReviewForm.objects.filter(reviewer=me)
        .exclude(source=ReviewSource.SELF)
        .exclude(status__in=[FormStatus.NOMINATED, FormStatus.DECLINED])
        .select_related("cycle", "reviewee")
        .order_by("cycle__start_date", "cycle_id", "pk")
    )
    # Anonymous forms per cycle and source: numbered in that keyed order, or withheld.
    groups: dict[tuple[int, str], list[ReviewForm]] = {}
    for form in about:
        if form.source in ANONYMOUS_SOURCES:
            groups.setdefault((form.cycle_id, form.source), []).append(form)
    reviewer: dict[int, str] = {}
    withheld: set[tuple[int, str]] = set()
    for (cycle_id, source), forms in groups.items():
        if len(forms) < anonymity_minimum(forms[0].cycle):
            withheld.add((cycle_id, source))
            continue
        word = _("Peer") if source == ReviewSource.PEER else _("Direct report")
        for number, form in enumerate(forms, 1):
            reviewer[form.pk] = f"{word} {number}"
    ref: dict[int, str] = {}
    rows: list[dict[str, Any]] = []
    shown: list[ReviewForm] = []
    for form in about:
        key = (form.cycle_id, form.source)
        anonymous = form.source in ANONYMOUS_SOURCES
        if key in withheld:
            withheld.discard(key)  # one row says how many, then nothing of them
            rows.append(
                make_row(
                    form=f"{form.cycle.name} · {labels[form.source]}",
                    cycle=form.cycle.name,
                    source=labels[form.source],
                    reviewer=None,
                    status=_("withheld"),
                    submitted_at=None,
                    summary=_(
                        "%(count)d form(s) withheld: fewer than the anonymity minimum of "
                        "%(minimum)d answered."
                    )
                    % {"count": len(groups[key]), "minimum": anonymity_minimum(form.cycle)},
                )
            )
            continue
        if anonymous and form.pk not in reviewer:
            continue  # the rest of a withheld group
        if anonymous:
            ref[form.pk] = f"{form.cycle.name} · {reviewer[form.pk]}"
        else:
            reviewer[form.pk] = form.reviewer.name
            ref[form.pk] = f"{form.cycle.name} · {labels[form.source]} · {form.reviewer.name}"
        shown.append(form)
        rows.append(
            make_row(
                form=ref[form.pk],
                cycle=form.cycle.name,
                source=labels[form.source],
                reviewer=reviewer[form.pk],
                status=form.get_status_display(),
                # When an anonymous reviewer submitted could tell who they are.
                submitted_at=None if anonymous else form.submitted_at,
                summary=form.summary,
            )
        )
    for form in written:
        ref[form.pk] = f"{form.cycle.name} · {labels[form.source]} · {form.reviewee.name}"
    s: Sections = {
        "reviews_about": rows,
        "reviews_written": [
            make_row(
                form=ref[f.pk],
                cycle=f.cycle.name,
                source=labels[f.source],
                reviewee=f.reviewee.name,
                status=f.get_status_display(),
                submitted_at=f.submitted_at,
                summary=f.summary,
            )
            for f in written
        ],
    }
    order = {form.pk: i for i, form in enumerate([*shown, *written])}
    ratings = sorted(
        Rating.objects.filter(form_id__in=order).select_related("item__competency"),
        key=lambda r: (order[r.form_id], r.item.position, r.item_id),
    )
    answers = sorted(
        Answer.objects.filter(form_id__in=order).select_related("question"),
        key=lambda a: (order[a.form_id], a.question.position, a.pk),
    )
    about_ids = {f.pk for f in shown}
    for suffix, mine in (("about", True), ("written", False)):
        s[f"review_ratings_{suffix}"] = [
            make_row(
                form=ref[r.form_id],
                competency=r.item.competency.name,
                rating=r.value,
                comment=r.comment,
            )
            for r in ratings
            if (r.form_id in about_ids) is mine
        ]
        s[f"review_answers_{suffix}"] = [
            make_row(form=ref[a.form_id], question=a.question.text, answer=a.text)
            for a in answers
            if (a.form_id in about_ids) is mine
        ]
    return s

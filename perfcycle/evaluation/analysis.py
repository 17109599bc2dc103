"""From the database to ``reliability.py``: a cycle's submitted ratings as ICC matrices and
rater profiles, the per-cycle normalisation switch, and scores with and without it.

``reliability.py`` is pure; this module fetches the ratings (a constant number of
queries: the template's competencies and one query for every submitted rating) and
lays them out. ``docs/rater-reliability.md`` explains the choices for HR:

- **by source**: targets are the reviewees, judges are the sources self, manager and
  the mean of the peers; only people rated by all three count (the others are
  reported as dropped). Upward and skip-level reviews are left out: only managers get
  them, so requiring them would drop everyone else. All six forms are shown; the
  sources are fixed roles, so cases 2 and 3 make sense here.
- **among peers**: targets are the reviewees, judges are peer slots 1..k, where k is
  the smallest number of peers any reviewee with at least two peers has; each person's
  first k peers (in reviewer order) fill the slots. Every person has different peers,
  so case 1 is the honest form; cases 2 and 3 are shown but assume fixed judges.
- **per template**: each form's competency-weighted mean takes the place of a single
  rating, with the same two layouts.

Rater profiles use every submitted rating of someone else (self-reviews are left out:
rating oneself is not rating behaviour in others).

Calibration shows each person's flagged reviewers (``rater_flags``). Those flags come
from every submitted rating of the cycle — millions at 100,000 people — so they are
added up in the database (``cycle_rater_profiles``: the same figures as
``reliability.rater_profiles``, one query) and kept in a ``RaterFlagSnapshot``. The
snapshot is reused while nothing was submitted since it was computed: it records a
*window* (from an hour before it was computed) and how many forms had been submitted in
that window, and when the latest was. Each read counts the window again — an index
range scan over the few recent forms — and any difference means recomputing. A form
submitted later falls into the window; so does one whose transaction began before the
snapshot and committed after it (submissions take far less than the hour, which also
covers clocks that differ between servers). Submitted forms never change or go away,
so nothing else can change the flags; a change of the scale or of the flag thresholds
is caught by the rules stored beside them. Only rows written with a submission time
older than the window (a bulk load of back-dated forms, as the synthetic company's)
go unseen: delete the cycle's snapshot after such a load.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perfcycle.audit.services import audit_change, snapshot
from perfcycle.core.errors import DomainError
from perfcycle.cycles.models import Cycle, Phase, ReviewTemplate
from perfcycle.evaluation import reliability
from perfcycle.evaluation.models import (
    FormStatus,
    RaterFlagSnapshot,
    Rating,
    ReviewForm,
    ReviewSource,
    TemplateCompetency,
)

BY_SOURCE = "by_source"
AMONG_PEERS = "among_peers"
BY_SOURCE_JUDGES: tuple[str, ...] = (ReviewSource.SELF, ReviewSource.MANAGER, ReviewSource.PEER)

# When a rater is flagged: the rules of ``reliability`` as they stand (one place for the
# analysis page and the calibration flags).
THRESHOLDS = reliability.FlagThresholds()

MATRIX_LABELS: dict[str, Promise] = {
    BY_SOURCE: gettext_lazy("by source (self, manager, mean of peers)"),
    AMONG_PEERS: gettext_lazy("among peers"),
}

# reliability.py explains in English; the pages say the same in the reader's language.
REASONS: dict[str, Promise] = {
    "At least 2 judges are needed.": gettext_lazy("At least 2 judges are needed."),
    "At least 2 targets rated by every judge are needed.": gettext_lazy(
        "At least 2 people rated by every judge are needed."
    ),
    "All ratings are equal: there is no variance.": gettext_lazy(
        "All ratings are equal: there is no variance."
    ),
    "The denominator is not positive, so the form is undefined.": gettext_lazy(
        "The denominator is not positive, so this form is undefined."
    ),
    "The value is too large to represent.": gettext_lazy("The value is too large to represent."),
}


def reason_text(reason: str | None) -> str:
    """A reason from ``reliability.py`` in the active language."""
    if not reason:
        return ""
    return str(REASONS.get(reason, reason))


@dataclass(frozen=True)
class CycleRating:
    form_id: int
    reviewer_id: int
    reviewer_name: str
    reviewee_id: int
    source: str
    item_id: int
    value: int


def submitted_ratings(cycle: Cycle) -> list[CycleRating]:
    """Every rating on a submitted form of ``cycle`` (one query)."""
    rows = (
        Rating.objects.filter(form__cycle=cycle, form__status=FormStatus.SUBMITTED)
        .order_by("form__reviewee_id", "form__reviewer_id", "form_id", "item_id")
        .values_list(
            "form_id",
            "form__reviewer_id",
            "form__reviewer__name",
            "form__reviewee_id",
            "form__source",
            "item_id",
            "value",
        )
    )
    return [CycleRating(*row) for row in rows]


# --- Matrices ---------------------------------------------------------------------------

# A cell: (reviewee, source, reviewer, value).
Cell = tuple[int, str, int, Fraction]


def by_source_matrix(cells: Iterable[Cell]) -> list[list[Fraction | None]]:
    """Reviewees × (self, manager, mean of peers); None where a source is missing. Several
    forms of one source (two managers) count as their mean."""
    values: dict[int, dict[str, list[Fraction]]] = defaultdict(lambda: defaultdict(list))
    for reviewee, source, _reviewer, value in cells:
        if source in BY_SOURCE_JUDGES:
            values[reviewee][source].append(value)
    return [
        [
            sum(found, Fraction(0)) / len(found) if (found := by_source.get(s)) else None
            for s in BY_SOURCE_JUDGES
        ]
        for _reviewee, by_source in sorted(values.items())
    ]


def among_peers_matrix(cells: Iterable[Cell]) -> list[list[Fraction | None]]:
    """Reviewees × peer slots 1..k, k the smallest peer count of anyone with at least two
    peers; each reviewee's first k peers by reviewer id fill the slots. People with
    fewer than two peers stay in as incomplete rows (reported as dropped)."""
    peers: dict[int, dict[int, Fraction]] = defaultdict(dict)
    for reviewee, source, reviewer, value in cells:
        if source == ReviewSource.PEER:
            peers[reviewee][reviewer] = value
    counts = [len(p) for p in peers.values() if len(p) >= 2]
    if not counts:
        return []
    k = min(counts)
    matrix: list[list[Fraction | None]] = []
    for _reviewee, by_reviewer in sorted(peers.items()):
        row: list[Fraction | None] = [by_reviewer[r] for r in sorted(by_reviewer)[:k]]
        matrix.append(row + [None] * (k - len(row)))
    return matrix


@dataclass(frozen=True)
class IccRow:
    """One ICC analysis: what was rated (a competency or the whole template) and how the
    matrix was laid out."""

    scope: str  # "item" or "template"
    item_id: int | None
    label: str
    matrix: str
    result: reliability.IccResult

    @property
    def matrix_label(self) -> str:
        return str(MATRIX_LABELS[self.matrix])

    @property
    def reason(self) -> str:
        return reason_text(self.result.reason)

    @property
    def values(self) -> list[tuple[str, float | None, str]]:
        """(form, value, why it is missing) for the six forms."""
        return [
            (form, value, reason_text(self.result.form_reasons.get(form)))
            for form, value in self.result.as_dict().items()
        ]


def _icc_rows(scope_name: str, item_id: int | None, label: str, cells: list[Cell]) -> list[IccRow]:
    return [
        IccRow(
            scope_name,
            item_id,
            label,
            BY_SOURCE,
            reliability.intraclass_correlation(by_source_matrix(cells)),
        ),
        IccRow(
            scope_name,
            item_id,
            label,
            AMONG_PEERS,
            reliability.intraclass_correlation(among_peers_matrix(cells)),
        ),
    ]


def form_scores(ratings: Iterable[CycleRating], weights: dict[int, Decimal]) -> list[Cell]:
    """Each form's competency-weighted mean rating (a plain mean if its weights are 0)."""
    forms: dict[int, list[CycleRating]] = defaultdict(list)
    for r in ratings:
        forms[r.form_id].append(r)
    cells: list[Cell] = []
    for rows in forms.values():
        total_weight = sum((Fraction(weights.get(r.item_id, 0)) for r in rows), Fraction(0))
        if total_weight > 0:
            value = (
                sum((Fraction(weights.get(r.item_id, 0)) * r.value for r in rows), Fraction(0))
                / total_weight
            )
        else:
            value = Fraction(sum(r.value for r in rows), len(rows))
        first = rows[0]
        cells.append((first.reviewee_id, first.source, first.reviewer_id, value))
    return cells


# --- The whole analysis -----------------------------------------------------------------


@dataclass(frozen=True)
class RaterRow:
    reviewer_id: int
    name: str
    profile: reliability.RaterProfile

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS.get(f, f)) for f in self.profile.flags]


FLAG_LABELS: dict[str, Promise] = {
    reliability.LENIENT: gettext_lazy("lenient"),
    reliability.HARSH: gettext_lazy("harsh"),
    reliability.CENTRAL_TENDENCY: gettext_lazy("central tendency"),
}


@dataclass
class CycleReliability:
    cycle: Cycle
    template: ReviewTemplate | None
    ratings: int
    items: list[IccRow]
    template_rows: list[IccRow]
    raters: reliability.RaterAnalysis | None
    rater_rows: list[RaterRow]

    @property
    def icc_rows(self) -> list[IccRow]:
        return [*self.items, *self.template_rows]


def cycle_reliability(cycle: Cycle) -> CycleReliability:
    """ICC per competency and per template, and rater profiles, from the submitted ratings
    of ``cycle`` (3 queries: the template, its competencies, the ratings)."""
    template = cycle.template
    if template is None:
        return CycleReliability(cycle, None, 0, [], [], None, [])
    items = list(TemplateCompetency.objects.filter(template=template).select_related("competency"))
    ratings = submitted_ratings(cycle)
    by_item: dict[int, list[Cell]] = defaultdict(list)
    for r in ratings:
        by_item[r.item_id].append((r.reviewee_id, r.source, r.reviewer_id, Fraction(r.value)))
    item_rows = [
        row
        for item in items
        for row in _icc_rows("item", item.pk, item.competency.name, by_item.get(item.pk, []))
    ]
    weights = {item.pk: item.weight for item in items}
    template_rows = _icc_rows("template", None, template.name, form_scores(ratings, weights))

    others = [r for r in ratings if r.source != ReviewSource.SELF]
    analysis = reliability.rater_profiles(
        [(r.reviewer_id, r.reviewee_id, r.item_id, r.value) for r in others],
        scale_min=template.rating_min,
        scale_max=template.rating_max,
        thresholds=THRESHOLDS,
    )
    names = {r.reviewer_id: r.reviewer_name for r in others}
    profiles = analysis.raters if analysis else []
    # The most unusual raters first; those without a reference (nobody else rated their
    # people) last.
    rater_rows = sorted(
        (RaterRow(int(p.rater), names[int(p.rater)], p) for p in profiles),  # type: ignore[call-overload]
        key=lambda row: (
            row.profile.z is None,
            -abs(row.profile.z or 0.0),
            row.name,
        ),
    )
    return CycleReliability(
        cycle=cycle,
        template=template,
        ratings=len(ratings),
        items=item_rows,
        template_rows=template_rows,
        raters=analysis,
        rater_rows=rater_rows,
    )


# --- Rater flags for calibration --------------------------------------------------------

# How long a submission may take to commit, with room for clocks that differ.
WINDOW = dt.timedelta(hours=1)


def rater_pair_sums(cycle: Cycle, central: list[int]) -> list[tuple[int, int, int, int, int, int]]:
    """Every submitted rating of someone else (self-reviews aside) added up per reviewer
    and reviewee: (reviewer, reviewee, count, total, squares, central). One query."""
    value = Cast("value", IntegerField())
    central_count = (
        Count("pk", filter=Q(value__in=central))
        if central
        else Value(0, output_field=IntegerField())
    )
    return list(
        Rating.objects.filter(form__cycle=cycle, form__status=FormStatus.SUBMITTED)
        .exclude(form__source=ReviewSource.SELF)
        .order_by()
        .values("form__reviewer_id", "form__reviewee_id")
        .annotate(
            n=Count("pk"), total=Sum(value), squares=Sum(value * value), central=central_count
        )
        .values_list("form__reviewer_id", "form__reviewee_id", "n", "total", "squares", "central")
    )


def cycle_rater_profiles(
    cycle: Cycle, thresholds: reliability.FlagThresholds | None = None
) -> reliability.RaterAnalysis | None:
    """The rater profiles of ``cycle_reliability`` (the same figures and flags), added up
    in the database: one query, whatever the number of ratings."""
    thresholds = thresholds or THRESHOLDS
    template = cycle.template
    if template is None:
        return None
    central = reliability.central_values(template.rating_min, template.rating_max, thresholds)
    return reliability.rater_profiles_from_sums(
        rater_pair_sums(cycle, central), thresholds=thresholds
    )


def _rules(cycle: Cycle) -> dict[str, Any]:
    template = cycle.template
    return {
        "template": template.pk if template else None,
        "scale": [template.rating_min, template.rating_max] if template else None,
        "baseline": "ratees",
        "thresholds": {k: float(v) for k, v in vars(THRESHOLDS).items()},
    }


def _submitted(cycle_id: Any) -> Any:
    return ReviewForm.objects.filter(cycle_id=cycle_id, status=FormStatus.SUBMITTED).order_by()


def _unpack(stored: dict[str, list[int]]) -> dict[int, tuple[str, ...]]:
    flags: dict[int, tuple[str, ...]] = defaultdict(tuple)
    for flag in (reliability.LENIENT, reliability.HARSH, reliability.CENTRAL_TENDENCY):
        for reviewer_id in stored.get(flag, []):
            flags[reviewer_id] += (flag,)
    return dict(flags)


def rater_flags(cycle: Cycle) -> dict[int, tuple[str, ...]]:
    """Reviewer id → their flags (lenient, harsh, central tendency) in ``cycle``, for the
    flagged reviewers only: from the stored snapshot while nothing was submitted since
    it was computed (one query), else recomputed and stored (two queries more).
    Derived data: the snapshot is written here, even on a page's GET, and not audited."""
    rules = _rules(cycle)
    now = timezone.now()
    start = now - WINDOW
    stored = RaterFlagSnapshot.objects.filter(cycle=OuterRef("pk"))
    stored_start = Subquery(
        RaterFlagSnapshot.objects.filter(cycle=OuterRef(OuterRef("pk"))).values("window_start")
    )

    def since(moment: Any) -> Any:
        return _submitted(OuterRef("pk")).filter(submitted_at__gte=moment).values("cycle_id")

    def count(forms: Any) -> Any:
        return Coalesce(Subquery(forms.annotate(n=Count("pk")).values("n")), 0)

    def latest(forms: Any) -> Any:
        return Subquery(forms.annotate(at=Max("submitted_at")).values("at"))

    unstamped = count(
        _submitted(OuterRef("pk")).filter(submitted_at__isnull=True).values("cycle_id")
    )
    # One query: the stored snapshot, what was submitted in its window, and what was
    # submitted in a new window (the one a recomputation would store; counted before the
    # ratings are read, so a form submitted in between only costs one more recomputation).
    found = (
        Cycle.objects.filter(pk=cycle.pk)
        .annotate(
            stored_forms=Subquery(stored.values("window_forms")),
            stored_latest=Subquery(stored.values("window_latest")),
            stored_rules=Subquery(stored.values("rules")),
            stored_flags=Subquery(stored.values("flags")),
            seen_forms=count(since(stored_start)) + unstamped,
            seen_latest=latest(since(stored_start)),
            new_forms=count(since(start)) + unstamped,
            new_latest=latest(since(start)),
        )
        .values(
            "stored_forms",
            "stored_latest",
            "stored_rules",
            "stored_flags",
            "seen_forms",
            "seen_latest",
            "new_forms",
            "new_latest",
        )
        .get()
    )
    if (
        found["stored_forms"] is not None
        and found["stored_rules"] == rules
        and found["stored_forms"] == found["seen_forms"]
        and found["stored_latest"] == found["seen_latest"]
    ):
        return _unpack(found["stored_flags"] or {})
    analysis = cycle_rater_profiles(cycle, THRESHOLDS)
    flagged: dict[str, list[int]] = defaultdict(list)
    for profile in analysis.raters if analysis else []:
        for flag in profile.flags:
            flagged[flag].append(int(profile.rater))  # type: ignore[call-overload]
    fresh = RaterFlagSnapshot(
        cycle=cycle,
        window_start=start,
        window_forms=found["new_forms"],
        window_latest=found["new_latest"],
        rules=rules,
        flags={flag: sorted(ids) for flag, ids in flagged.items()},
        ratings=analysis.count if analysis else 0,
        computed_at=now,
    )
    # One statement, whoever else is storing the same snapshot at the same time.
    RaterFlagSnapshot.objects.bulk_create(
        [fresh],
        update_conflicts=True,
        unique_fields=["cycle"],
        update_fields=[
            "window_start",
            "window_forms",
            "window_latest",
            "rules",
            "flags",
            "ratings",
            "computed_at",
        ],
    )
    return _unpack(fresh.flags)


# --- Normalisation ----------------------------------------------------------------------


@transaction.atomic
def normalisation_set(*, actor: Any, cycle: Cycle, on: bool) -> Cycle:
    """Switch per-rater normalisation of ``cycle``'s ratings on or off (audited with before
    and after). Not once the cycle is closed: its results are final."""
    if cycle.phase == Phase.CLOSED:
        raise DomainError(
            _("This cycle is closed; its scores can no longer change."), code="cycle_closed"
        )
    if cycle.normalise_ratings == on:
        return cycle
    before = snapshot(cycle, ["normalise_ratings"])
    cycle.normalise_ratings = on
    cycle.save_versioned(expected_version=None, update_fields=["normalise_ratings"])
    audit_change(actor=actor, instance=cycle, before=before)
    return cycle


@dataclass(frozen=True)
class BeforeAfter:
    """A person's result without and with normalised ratings."""

    employee_id: int
    name: str
    raw_score: Decimal | None
    raw_grade: str
    normalised_score: Decimal | None
    normalised_grade: str

    @property
    def delta(self) -> Decimal | None:
        if self.raw_score is None or self.normalised_score is None:
            return None
        return self.normalised_score - self.raw_score

    @property
    def grade_changed(self) -> bool:
        return self.raw_grade != self.normalised_grade


def _scores_module() -> Any:
    """The scoring service (``evaluation/scores.py``), or None while it does not exist."""
    try:
        return importlib.import_module("perfcycle.evaluation.scores")
    except ModuleNotFoundError:
        return None


def normalise_min_ratees() -> int | None:
    """How many people a rater must have rated to be normalised (the scoring rule)."""
    scores = _scores_module()
    return getattr(scores, "NORMALISE_MIN_RATEES", None) if scores is not None else None


def scores_before_after(cycle: Cycle) -> list[BeforeAfter] | None:
    """Everyone's overall score and grade without and with normalisation, by name; None
    when scores cannot be computed (no scoring service or no template)."""
    scores = _scores_module()
    if scores is None or not hasattr(scores, "cycle_scores") or cycle.template_id is None:
        return None
    try:
        raw = scores.cycle_scores(cycle, normalise=False)
        normalised = scores.cycle_scores(cycle, normalise=True)
    except DomainError:
        return None
    rows = []
    for employee_id in raw.keys() | normalised.keys():
        before, after = raw.get(employee_id), normalised.get(employee_id)
        person = before or after
        rows.append(
            BeforeAfter(
                employee_id=employee_id,
                name=person.employee_name,
                raw_score=before.overall_score if before else None,
                raw_grade=before.grade if before else "",
                normalised_score=after.overall_score if after else None,
                normalised_grade=after.grade if after else "",
            )
        )
    rows.sort(key=lambda r: (r.name, r.employee_id))
    return rows

"""Rater reliability and bias: intraclass correlation, rater flags, per-rater normalisation.

Pure Python: no database access, no third-party dependency. Callers (selectors, pages,
the API) fetch the ratings and pass plain values in; everything here returns frozen
dataclasses. ``docs/rater-reliability.md`` explains the same rules for HR.

Intraclass correlation (Shrout & Fleiss 1979)
=============================================

Shrout, P. E. & Fleiss, J. L. (1979). "Intraclass correlations: uses in assessing rater
reliability". Psychological Bulletin 86(2), 420–428.

The input is an ``n`` targets × ``k`` judges matrix ``x[i][j]`` (target ``i`` rated by
judge ``j``). The two-way analysis of variance gives four mean squares::

    BMS = between-targets mean square   = k · Σ_i (mean_i − grand)² / (n − 1)
    WMS = within-target mean square     = Σ_i Σ_j (x_ij − mean_i)² / (n(k − 1))
    JMS = between-judges mean square    = n · Σ_j (mean_j − grand)² / (k − 1)
    EMS = residual (error) mean square  = (SS_within − SS_judges) / ((n − 1)(k − 1))

The six forms, exactly as in the paper (single ratings first, then the reliability of
the mean of the k judges' ratings)::

    ICC(1,1) = (BMS − WMS) / (BMS + (k − 1)·WMS)
    ICC(2,1) = (BMS − EMS) / (BMS + (k − 1)·EMS + k·(JMS − EMS)/n)
    ICC(3,1) = (BMS − EMS) / (BMS + (k − 1)·EMS)
    ICC(1,k) = (BMS − WMS) / BMS
    ICC(2,k) = (BMS − EMS) / (BMS + (JMS − EMS)/n)
    ICC(3,k) = (BMS − EMS) / BMS

What each form means:

* **Case 1** — each target is rated by a *different* set of k judges drawn at random
  from a larger population (one-way random model). Judge effects cannot be separated
  from error, so only BMS and WMS are used. In a 360 review, where every employee has
  their own peers, this is the honest form.
* **Case 2** — a random sample of k judges, *each* of whom rates *every* target
  (two-way random model). Absolute agreement: systematic differences between judges
  (JMS) count against reliability, so the result generalises to other judges.
* **Case 3** — every target is rated by the *same fixed* k judges, the only judges of
  interest (two-way mixed model). Consistency: a judge who is uniformly harsher than the
  others does not lower the value.
* ``(x,1)`` is the reliability of a single judge's rating; ``(x,k)`` the reliability of
  the mean of the k judges (the Spearman–Brown step-up of the single form).

Worked example (the paper's Table 2, 6 targets × 4 judges)::

    target  J1  J2  J3  J4
       1     9   2   5   8
       2     6   1   3   2
       3     8   4   6   8
       4     7   1   2   6
       5    10   5   6   9
       6     6   2   4   7

gives BMS = 11.24 (df 5), WMS = 6.26 (df 18), JMS = 32.49 (df 3), EMS = 1.02 (df 15)
and ICC(1,1) = .17, ICC(2,1) = .29, ICC(3,1) = .71, ICC(1,4) = .44,
ICC(2,4) = .62, ICC(3,4) = .91 (Table 4). The tests reproduce all ten figures.

Rules for awkward input:

* **Missing ratings** (``None``): complete cases only — a target is used only if all k
  judges rated it. ``IccResult.dropped_targets`` says how many rows were left out.
* **Degenerate input**: fewer than 2 complete targets, fewer than 2 judges, or no
  variance at all (every rating equal) gives every form ``None`` and a ``reason``.
* A single form whose denominator is not positive (e.g. ICC(1,k) when BMS = 0), or whose
  value is too large for a float (a denominator a hair above zero), is
  ``None`` with its own entry in ``IccResult.form_reasons``; the other forms stand.
  Inside these rules every value is ≤ 1 (it can be negative: less agreement than chance).
* Arithmetic is exact (``fractions.Fraction``); values are returned as ``float``.

Rater leniency, harshness and central tendency
==============================================

Ratings come as ``(rater, ratee, item, value)`` rows on a scale ``[scale_min,
scale_max]``. Per rater: count, mean, standard deviation (population form, dividing by
N, as for the population itself), and ``z`` = (rater mean − reference mean) / population
SD, where the population is every rating passed in and the reference mean is either

* ``baseline="ratees"`` (default): the mean of the *other* raters' ratings of the same
  ratees — a rater is compared with colleagues who rated the same people, so a rater of
  a strong team is not called lenient; ``z`` is ``None`` if nobody else rated them;
* ``baseline="all"``: the mean of all ratings.

Flags (only for raters with at least ``min_ratings`` ratings, default 5):

* ``"lenient"`` when ``z ≥ lenient_z`` (default +0.5 population SD);
* ``"harsh"`` when ``z ≤ −harsh_z`` (default 0.5);
* ``"central tendency"`` when the rater's SD < ``central_sd_fraction`` × population SD
  (default 0.5) *and* at least ``central_share`` (default 0.8) of the rater's ratings
  lie within ``central_band`` (default 1) scale points of the scale midpoint.

The same profiles from sums
---------------------------

``rater_profiles_from_sums`` gives exactly the same profiles (the same floats) from
whole-number ratings summed per rater and ratee — how many, their total, the total of
their squares and how many lie within the central band (``central_values``) — so that a
database can add up millions of ratings and pass in one row per rater and ratee. The
means are the same ``float(total) / count`` as ``statistics.fmean``, and the spreads the
same correctly rounded square root of the exact variance as ``statistics.pstdev``.

Per-rater normalisation
=======================

Each rating is replaced by ``population mean + z × population SD``, with
``z = (value − rater mean) / rater SD`` (``z = 0`` when the rater's SD is 0), clamped
to the scale. Raters with fewer than ``min_ratings`` ratings keep their raw values
(normalising one or two ratings would erase them). Without clamping, every normalised
rater's mean equals the population mean, so HR can compare results before and after.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal

Number = int | float | Decimal | Fraction

FORMS = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")

LENIENT = "lenient"
HARSH = "harsh"
CENTRAL_TENDENCY = "central tendency"


# --- Intraclass correlation -------------------------------------------------------------


@dataclass(frozen=True)
class MeanSquares:
    """The two-way ANOVA mean squares of a complete n × k matrix."""

    n: int
    k: int
    bms: float
    wms: float
    jms: float
    ems: float

    @property
    def df_between(self) -> int:
        return self.n - 1

    @property
    def df_within(self) -> int:
        return self.n * (self.k - 1)

    @property
    def df_judges(self) -> int:
        return self.k - 1

    @property
    def df_error(self) -> int:
        return (self.n - 1) * (self.k - 1)


@dataclass(frozen=True)
class IccResult:
    """The six ICC forms; a form is ``None`` when it cannot be computed (see reasons)."""

    n_targets: int
    n_judges: int
    dropped_targets: int
    mean_squares: MeanSquares | None
    icc_1_1: float | None
    icc_2_1: float | None
    icc_3_1: float | None
    icc_1_k: float | None
    icc_2_k: float | None
    icc_3_k: float | None
    reason: str | None = None
    form_reasons: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float | None]:
        """The six values keyed by the names in ``FORMS``."""
        values = (self.icc_1_1, self.icc_2_1, self.icc_3_1, self.icc_1_k, self.icc_2_k)
        return dict(zip(FORMS, (*values, self.icc_3_k), strict=True))


def _exact(value: Number) -> Fraction:
    if isinstance(value, bool):
        raise ValueError("A rating must be a number, not a boolean.")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"A rating must be finite, got {value!r}.")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"A rating must be finite, got {value!r}.")
    if not isinstance(value, int | float | Decimal | Fraction):
        raise ValueError(f"A rating must be a number, got {value!r}.")
    return Fraction(value)


def _float(value: Fraction) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _degenerate(n: int, k: int, dropped: int, reason: str) -> IccResult:
    return IccResult(
        n_targets=n,
        n_judges=k,
        dropped_targets=dropped,
        mean_squares=None,
        icc_1_1=None,
        icc_2_1=None,
        icc_3_1=None,
        icc_1_k=None,
        icc_2_k=None,
        icc_3_k=None,
        reason=reason,
    )


def intraclass_correlation(matrix: Sequence[Sequence[Number | None]]) -> IccResult:
    """The six Shrout & Fleiss ICC forms of an n targets × k judges matrix.

    Rows are targets, columns judges; ``None`` marks a missing rating. Only complete rows
    are used (``dropped_targets`` counts the others). Raises ``ValueError`` for ragged
    rows or a value that is not a finite number.
    """
    rows = [list(row) for row in matrix]
    k = len(rows[0]) if rows else 0
    if any(len(row) != k for row in rows):
        raise ValueError("Every target must have one cell per judge (use None when missing).")
    complete = [[_exact(v) for v in row] for row in rows if all(v is not None for v in row)]
    n = len(complete)
    dropped = len(rows) - n
    if k < 2:
        return _degenerate(n, k, dropped, "At least 2 judges are needed.")
    if n < 2:
        return _degenerate(n, k, dropped, "At least 2 targets rated by every judge are needed.")

    grand = sum((sum(row) for row in complete), Fraction(0)) / (n * k)
    target_means = [sum(row, Fraction(0)) / k for row in complete]
    judge_means = [sum((row[j] for row in complete), Fraction(0)) / n for j in range(k)]
    ss_total = sum(((v - grand) ** 2 for row in complete for v in row), Fraction(0))
    if ss_total == 0:
        return _degenerate(n, k, dropped, "All ratings are equal: there is no variance.")
    ss_between = k * sum(((m - grand) ** 2 for m in target_means), Fraction(0))
    ss_judges = n * sum(((m - grand) ** 2 for m in judge_means), Fraction(0))
    ss_within = ss_total - ss_between
    ss_error = ss_within - ss_judges

    bms = ss_between / (n - 1)
    wms = ss_within / (n * (k - 1))
    jms = ss_judges / (k - 1)
    ems = ss_error / ((n - 1) * (k - 1))

    form_reasons: dict[str, str] = {}

    def ratio(form: str, numerator: Fraction, denominator: Fraction) -> float | None:
        if denominator <= 0:
            form_reasons[form] = "The denominator is not positive, so the form is undefined."
            return None
        try:
            return float(numerator / denominator)
        except OverflowError:  # a near-zero positive denominator; the value means nothing
            form_reasons[form] = "The value is too large to represent."
            return None

    return IccResult(
        n_targets=n,
        n_judges=k,
        dropped_targets=dropped,
        mean_squares=MeanSquares(
            n=n, k=k, bms=_float(bms), wms=_float(wms), jms=_float(jms), ems=_float(ems)
        ),
        icc_1_1=ratio("ICC(1,1)", bms - wms, bms + (k - 1) * wms),
        icc_2_1=ratio("ICC(2,1)", bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
        icc_3_1=ratio("ICC(3,1)", bms - ems, bms + (k - 1) * ems),
        icc_1_k=ratio("ICC(1,k)", bms - wms, bms),
        icc_2_k=ratio("ICC(2,k)", bms - ems, bms + (jms - ems) / n),
        icc_3_k=ratio("ICC(3,k)", bms - ems, bms),
        form_reasons=form_reasons,
    )


@dataclass(frozen=True)
class RatingMatrix:
    """Cells pivoted into targets × judges, ready for ``intraclass_correlation``."""

    targets: list[Hashable]
    judges: list[Hashable]
    matrix: list[list[Number | None]]


def rating_matrix(cells: Iterable[tuple[Hashable, Hashable, Number]]) -> RatingMatrix:
    """Pivot ``(target, judge, value)`` cells into a matrix, ``None`` where missing.

    Targets and judges keep the order of first appearance. A second value for the same
    target and judge raises ``ValueError``.
    """
    values: dict[tuple[Hashable, Hashable], Number] = {}
    targets: dict[Hashable, None] = {}
    judges: dict[Hashable, None] = {}
    for target, judge, value in cells:
        if (target, judge) in values:
            raise ValueError(f"Judge {judge!r} rated target {target!r} twice.")
        values[(target, judge)] = value
        targets.setdefault(target)
        judges.setdefault(judge)
    return RatingMatrix(
        targets=list(targets),
        judges=list(judges),
        matrix=[[values.get((t, j)) for j in judges] for t in targets],
    )


# --- Rater leniency, harshness and central tendency -------------------------------------


@dataclass(frozen=True)
class Rating:
    rater: Hashable
    ratee: Hashable
    item: Hashable
    value: float


@dataclass(frozen=True)
class FlagThresholds:
    """When a rater is flagged; see the module docstring for the rules."""

    lenient_z: float = 0.5
    harsh_z: float = 0.5
    central_sd_fraction: float = 0.5
    central_band: float = 1.0
    central_share: float = 0.8
    min_ratings: int = 5


@dataclass(frozen=True)
class RaterProfile:
    rater: Hashable
    count: int
    mean: float
    sd: float
    reference_mean: float | None
    z: float | None
    central_share: float
    flags: tuple[str, ...]


@dataclass(frozen=True)
class RaterAnalysis:
    count: int
    population_mean: float
    population_sd: float
    baseline: str
    thresholds: FlagThresholds
    raters: list[RaterProfile]


@dataclass(frozen=True)
class NormalisedRating:
    rater: Hashable
    ratee: Hashable
    item: Hashable
    value: float
    normalised: float
    clamped: bool
    rater_normalised: bool


def _ratings(
    rows: Iterable[Rating | tuple[Hashable, Hashable, Hashable, Number]],
    scale_min: float,
    scale_max: float,
) -> list[Rating]:
    if not scale_min < scale_max:
        raise ValueError("The scale minimum must be below its maximum.")
    ratings = []
    for row in rows:
        rater, ratee, item, raw = (
            (row.rater, row.ratee, row.item, row.value) if isinstance(row, Rating) else row
        )
        value = float(_exact(raw))
        if not scale_min <= value <= scale_max:
            raise ValueError(f"Rating {value} is outside the scale {scale_min}–{scale_max}.")
        ratings.append(Rating(rater=rater, ratee=ratee, item=item, value=value))
    return ratings


def _flags(
    count: int,
    z: float | None,
    sd: float,
    share: float,
    pop_sd: float,
    thresholds: FlagThresholds,
) -> tuple[str, ...]:
    """The flags a rater with these figures gets (the rules in the module docstring)."""
    flags: list[str] = []
    if count >= thresholds.min_ratings:
        if z is not None and z >= thresholds.lenient_z:
            flags.append(LENIENT)
        if z is not None and z <= -thresholds.harsh_z:
            flags.append(HARSH)
        if (
            pop_sd > 0
            and sd < thresholds.central_sd_fraction * pop_sd
            and share >= thresholds.central_share
        ):
            flags.append(CENTRAL_TENDENCY)
    return tuple(flags)


def rater_profiles(
    ratings: Iterable[Rating | tuple[Hashable, Hashable, Hashable, Number]],
    *,
    scale_min: float,
    scale_max: float,
    baseline: Literal["ratees", "all"] = "ratees",
    thresholds: FlagThresholds | None = None,
) -> RaterAnalysis | None:
    """Per-rater mean, spread and flags against the population; ``None`` if no ratings."""
    thresholds = thresholds or FlagThresholds()
    if baseline not in ("ratees", "all"):
        raise ValueError(f"Unknown baseline {baseline!r}.")
    rows = _ratings(ratings, scale_min, scale_max)
    if not rows:
        return None
    values = [r.value for r in rows]
    pop_mean = statistics.fmean(values)
    pop_sd = statistics.pstdev(values)
    midpoint = (scale_min + scale_max) / 2

    by_rater: dict[Hashable, list[Rating]] = defaultdict(list)
    by_ratee: dict[Hashable, list[Rating]] = defaultdict(list)
    for r in rows:
        by_rater[r.rater].append(r)
        by_ratee[r.ratee].append(r)

    profiles = []
    for rater, own in by_rater.items():
        own_values = [r.value for r in own]
        mean = statistics.fmean(own_values)
        sd = statistics.pstdev(own_values)
        if baseline == "all":
            reference: float | None = pop_mean
        else:
            others = [
                r.value
                for ratee in dict.fromkeys(r.ratee for r in own)  # ordered: reproducible sums
                for r in by_ratee[ratee]
                if r.rater != rater
            ]
            reference = statistics.fmean(others) if others else None
        z = (mean - reference) / pop_sd if reference is not None and pop_sd > 0 else None
        share = sum(abs(v - midpoint) <= thresholds.central_band for v in own_values) / len(
            own_values
        )
        profiles.append(
            RaterProfile(
                rater=rater,
                count=len(own),
                mean=mean,
                sd=sd,
                reference_mean=reference,
                z=z,
                central_share=share,
                flags=_flags(len(own), z, sd, share, pop_sd, thresholds),
            )
        )
    return RaterAnalysis(
        count=len(rows),
        population_mean=pop_mean,
        population_sd=pop_sd,
        baseline=baseline,
        thresholds=thresholds,
        raters=profiles,
    )


def normalise_ratings(
    ratings: Iterable[Rating | tuple[Hashable, Hashable, Hashable, Number]],
    *,
    scale_min: float,
    scale_max: float,
    min_ratings: int = 5,
    eligible_raters: Iterable[Hashable] | None = None,
) -> list[NormalisedRating]:
    """Per-rater z-score normalisation onto the population mean and spread, clamped.

    Returns one row per input rating, in input order, with the raw and the normalised
    value side by side. Only raters with at least ``min_ratings`` ratings (and, when
    ``eligible_raters`` is given, among them) are normalised; the others pass through.
    """
    rows = _ratings(ratings, scale_min, scale_max)
    if not rows:
        return []
    values = [r.value for r in rows]
    pop_mean = statistics.fmean(values)
    pop_sd = statistics.pstdev(values)
    by_rater: dict[Hashable, list[float]] = defaultdict(list)
    for r in rows:
        by_rater[r.rater].append(r.value)
    allowed = None if eligible_raters is None else set(eligible_raters)
    stats = {
        rater: (
            statistics.fmean(vs),
            statistics.pstdev(vs),
            len(vs) >= min_ratings and (allowed is None or rater in allowed),
        )
        for rater, vs in by_rater.items()
    }

    result = []
    for r in rows:
        mean, sd, eligible = stats[r.rater]
        if eligible:
            z = (r.value - mean) / sd if sd > 0 else 0.0
            target = pop_mean + z * pop_sd
            normalised = min(max(target, scale_min), scale_max)
            clamped = normalised != target
        else:
            normalised, clamped = r.value, False
        result.append(
            NormalisedRating(
                rater=r.rater,
                ratee=r.ratee,
                item=r.item,
                value=r.value,
                normalised=normalised,
                clamped=clamped,
                rater_normalised=eligible,
            )
        )
    return result


# --- The same profiles from sums ----------------------------------------------------------


@dataclass(frozen=True)
class PairSums:
    """One rater's whole-number ratings of one ratee, added up."""

    rater: Hashable
    ratee: Hashable
    count: int
    total: int  # the sum of the ratings
    squares: int  # the sum of their squares
    central: int  # how many are among ``central_values``


def central_values(
    scale_min: int, scale_max: int, thresholds: FlagThresholds | None = None
) -> list[int]:
    """The whole-number ratings of the scale that count as central for the
    central-tendency rule (within ``central_band`` points of the midpoint)."""
    thresholds = thresholds or FlagThresholds()
    midpoint = (scale_min + scale_max) / 2
    return [
        v
        for v in range(math.ceil(scale_min), math.floor(scale_max) + 1)
        if abs(float(v) - midpoint) <= thresholds.central_band
    ]


def _sqrt_of_fraction(value: Fraction) -> float:
    """The square root of a non-negative fraction, correctly rounded to a float — the
    rounding ``statistics.pstdev`` applies to the exact variance (round to odd on a wide
    integer square root, then one rounding to float; https://bugs.python.org/msg407078)."""
    n, m = value.numerator, value.denominator
    q = (n.bit_length() - m.bit_length() - _SQRT_BITS) // 2
    if q >= 0:
        root, scale = _isqrt_round_to_odd(n, m << 2 * q) << q, 1
    else:
        root, scale = _isqrt_round_to_odd(n << -2 * q, m), 1 << -q
    return root / scale


_SQRT_BITS = 2 * 53 + 3  # twice a double's significand, and three guard bits


def _isqrt_round_to_odd(n: int, m: int) -> int:
    a = math.isqrt(n // m)
    return a | (a * a * m != n)


def _spread(count: int, total: int, squares: int) -> float:
    """The population standard deviation of ``count`` whole numbers from their sums."""
    return _sqrt_of_fraction(Fraction(count * squares - total * total, count * count))


def rater_profiles_from_sums(
    pairs: Iterable[PairSums | tuple[Hashable, Hashable, int, int, int, int]],
    *,
    baseline: Literal["ratees", "all"] = "ratees",
    thresholds: FlagThresholds | None = None,
) -> RaterAnalysis | None:
    """``rater_profiles`` of whole-number ratings from their sums per rater and ratee
    (``central`` counted with ``central_values`` of the same scale and thresholds): the
    same profiles, the same floats. ``None`` if there are no ratings."""
    thresholds = thresholds or FlagThresholds()
    if baseline not in ("ratees", "all"):
        raise ValueError(f"Unknown baseline {baseline!r}.")
    merged: dict[tuple[Hashable, Hashable], list[int]] = {}
    for pair in pairs:
        p = pair if isinstance(pair, PairSums) else PairSums(*pair)
        sums = merged.setdefault((p.rater, p.ratee), [0, 0, 0, 0])
        for i, value in enumerate((p.count, p.total, p.squares, p.central)):
            sums[i] += value
    rows = [PairSums(rater, ratee, *sums) for (rater, ratee), sums in merged.items() if sums[0]]
    if not rows:
        return None
    count = sum(p.count for p in rows)
    total = sum(p.total for p in rows)
    pop_mean = float(total) / count
    pop_sd = _spread(count, total, sum(p.squares for p in rows))

    by_rater: dict[Hashable, list[PairSums]] = defaultdict(list)
    ratee_count: dict[Hashable, int] = defaultdict(int)
    ratee_total: dict[Hashable, int] = defaultdict(int)
    for p in rows:
        by_rater[p.rater].append(p)
        ratee_count[p.ratee] += p.count
        ratee_total[p.ratee] += p.total

    profiles = []
    for rater, own in by_rater.items():
        n = sum(p.count for p in own)
        own_total = sum(p.total for p in own)
        mean = float(own_total) / n
        sd = _spread(n, own_total, sum(p.squares for p in own))
        if baseline == "all":
            reference: float | None = pop_mean
        else:
            # Everyone else's ratings of this rater's ratees: each ratee's sums less
            # this rater's row for them.
            others = sum(ratee_count[p.ratee] - p.count for p in own)
            others_total = sum(ratee_total[p.ratee] - p.total for p in own)
            reference = float(others_total) / others if others else None
        z = (mean - reference) / pop_sd if reference is not None and pop_sd > 0 else None
        share = sum(p.central for p in own) / n
        profiles.append(
            RaterProfile(
                rater=rater,
                count=n,
                mean=mean,
                sd=sd,
                reference_mean=reference,
                z=z,
                central_share=share,
                flags=_flags(n, z, sd, share, pop_sd, thresholds),
            )
        )
    return RaterAnalysis(
        count=count,
        population_mean=pop_mean,
        population_sd=pop_sd,
        baseline=baseline,
        thresholds=thresholds,
        raters=profiles,
    )

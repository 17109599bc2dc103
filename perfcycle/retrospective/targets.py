"""Target-difficulty analysis: was each indicator's target too hard or too easy?

The rules — which indicators are analysed, how attainment, the shares and the flags are
computed, and how a next-cycle target is proposed — are written out in
docs/target-analysis.md; this module implements exactly that document, and a change to
one is a change to the other.

Set-based: a cycle is analysed in a fixed number of queries (goals, indicators, verdict
counts, earlier cycles' goals, settings) whatever the number of people; the arithmetic
afterwards is pure Python on ``Decimal``. Attainment comes from the planning stage's
``scoring.attainment``, the same function every score uses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from perfcycle.cycles.models import Cycle
from perfcycle.planning.models import Goal, Indicator, OwnerType
from perfcycle.planning.scoring import Direction, Standard, attainment
from perfcycle.retrospective.models import (
    DEFAULT_ANONYMITY_MINIMUM,
    GoalVerdict,
    RetroSettings,
    Verdict,
)

MIN_HOLDERS = 3
HISTORY_CYCLES = 3
TOO_HARD_MEDIAN = Decimal(80)
TOO_EASY_MEDIAN = Decimal(120)
BELOW_THRESHOLD_SHARE = Decimal(60)
ABOVE_STRETCH_SHARE = Decimal(50)
TOO_HARD_PERCENTILE = Decimal(60)
# Persistent miss: in this cycle and every earlier cycle of the history held by at least
# MIN_HOLDERS people (PERSISTENT_CYCLES cycles at least), at least this share missed.
PERSISTENT_MISS_SHARE = Decimal(50)
PERSISTENT_CYCLES = 2
# Per-cycle history fields used by the rules but not shown.
INTERNAL = ("actuals", "with_actual", "missed")
TOO_EASY_PERCENTILE = Decimal(75)
HISTOGRAM_BINS = tuple(range(0, 160, 20))  # 0–20, …, 140–160, then 160+ together

FLAG_TOO_HIGH = "too_high"
FLAG_TOO_LOW = "too_low"
PLACES = Decimal("0.01")
HUNDRED = Decimal(100)


def q(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def median(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[Decimal], p: Decimal) -> Decimal | None:
    """The ``p``-th percentile with linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (Decimal(len(ordered) - 1) * p) / HUNDRED
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def sensible_round(value: Decimal, *, integral: bool) -> Decimal:
    """Two significant figures (14.3 → 14, 153 → 150, 5 230 000 → 5 200 000); whole
    numbers at least when the indicator is counted in whole numbers."""
    if value == 0:
        return Decimal(0)
    exponent = value.copy_abs().adjusted() - 1
    unit = Decimal(1).scaleb(exponent)
    if integral and unit < 1:
        unit = Decimal(1)
    rounded = (value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit
    # Written out plainly (150, not 1.5E+2).
    return rounded.quantize(Decimal(1) if unit >= 1 else unit)


def _share(part: int, whole: int) -> Decimal | None:
    return q(Decimal(part) * HUNDRED / whole) if whole else None


@dataclass
class Holder:
    target: Decimal
    actual: Decimal | None
    attainment: Decimal | None
    below_threshold: bool | None
    above_stretch: bool | None


@dataclass
class IndicatorAnalysis:
    indicator_id: int
    code: str
    name: str
    unit: str
    direction: str
    holders: int
    with_actual: int
    current_target: Decimal
    attainments: list[Decimal]
    median_attainment: Decimal | None
    below_threshold_share: Decimal | None
    above_stretch_share: Decimal | None
    verdicts_total: int
    verdicts_shown: bool
    verdict_counts: dict[str, int]
    verdict_shares: dict[str, Decimal]
    history: list[dict[str, Any]]
    histogram: list[tuple[str, int]]
    missed: int = 0  # holders with an actual worse than their target
    current_threshold: Decimal | None = None
    # The cycles of a persistent miss (this one last), with holders, missed and actuals.
    persistent: list[dict[str, Any]] = field(default_factory=list)
    flag: str = ""
    flag_reasons: list[str] = field(default_factory=list)
    proposed_target: Decimal | None = None
    reasoning: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Analysis:
    cycle: Cycle
    anonymity_minimum: int
    indicators: list[IndicatorAnalysis]
    not_analysed: list[dict[str, Any]]

    @property
    def flagged(self) -> list[IndicatorAnalysis]:
        return [a for a in self.indicators if a.flag]


def anonymity_minimum(cycle: Cycle) -> int:
    found = RetroSettings.objects.filter(cycle=cycle).values_list("anonymity_minimum", flat=True)
    return next(iter(found), DEFAULT_ANONYMITY_MINIMUM)


def _worse(direction: str, actual: Decimal, bound: Decimal) -> bool:
    return actual > bound if direction == Direction.LOWER else actual < bound


def _better(direction: str, actual: Decimal, bound: Decimal) -> bool:
    return actual < bound if direction == Direction.LOWER else actual > bound


def _histogram(attainments: list[Decimal]) -> list[tuple[str, int]]:
    counts = [0] * (len(HISTOGRAM_BINS) + 1)
    for a in attainments:
        index = min(max(int(a // 20), 0), len(HISTOGRAM_BINS))
        counts[index] += 1
    labels = [f"{low}–{low + 20}%" for low in HISTOGRAM_BINS] + [f"≥{HISTOGRAM_BINS[-1] + 20}%"]
    return list(zip(labels, counts, strict=True))


def analyse(cycle: Cycle) -> Analysis:
    """Every indicator held by at least ``MIN_HOLDERS`` people in ``cycle``, with its
    attainment, shares, verdicts, history, flag and proposal (see the module docstring)."""
    minimum = anonymity_minimum(cycle)
    rows = list(
        Goal.objects.filter(
            cycle=cycle,
            owner_type=OwnerType.EMPLOYEE,
            indicator__isnull=False,
            target__isnull=False,
        ).values(
            "indicator_id",
            "direction",
            "baseline",
            "target",
            "threshold",
            "stretch",
            "current_value",
        )
    )
    by_indicator: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_indicator[row["indicator_id"]].append(row)
    indicators = {
        i.pk: i for i in Indicator.objects.filter(pk__in=list(by_indicator)).order_by("code")
    }
    analysed_ids = [pk for pk, goals in by_indicator.items() if len(goals) >= MIN_HOLDERS]
    not_analysed = [
        {
            "indicator_id": pk,
            "code": indicators[pk].code,
            "name": indicators[pk].name,
            "holders": len(goals),
        }
        for pk, goals in sorted(by_indicator.items(), key=lambda kv: indicators[kv[0]].code)
        if len(goals) < MIN_HOLDERS
    ]
    verdicts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        GoalVerdict.objects.filter(response__cycle=cycle, goal__indicator_id__in=analysed_ids)
        .values("goal__indicator_id", "verdict")
        .annotate(n=Count("pk"))
    ):
        verdicts[row["goal__indicator_id"]][row["verdict"]] = row["n"]
    history = _history(cycle, analysed_ids)
    results = [
        _analyse_one(
            indicators[pk],
            by_indicator[pk],
            verdicts.get(pk, {}),
            history.get(pk, []),
            minimum,
            cycle.name,
        )
        for pk in sorted(analysed_ids, key=lambda pk: indicators[pk].code)
    ]
    return Analysis(
        cycle=cycle, anonymity_minimum=minimum, indicators=results, not_analysed=not_analysed
    )


def _history(cycle: Cycle, indicator_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Median actual and target of each indicator in the latest earlier cycles (one query)."""
    if not indicator_ids:
        return {}
    rows = Goal.objects.filter(
        owner_type=OwnerType.EMPLOYEE,
        indicator_id__in=indicator_ids,
        cycle__start_date__lt=cycle.start_date,
    ).values(
        "indicator_id",
        "cycle_id",
        "cycle__name",
        "cycle__start_date",
        "direction",
        "target",
        "current_value",
    )
    grouped: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        entry = grouped[row["indicator_id"]].setdefault(
            row["cycle_id"],
            {
                "cycle": row["cycle__name"],
                "start": row["cycle__start_date"],
                "targets": [],
                "actuals": [],
                "missed": 0,
            },
        )
        if row["target"] is not None:
            entry["targets"].append(row["target"])
        if row["current_value"] is not None:
            entry["actuals"].append(row["current_value"])
            if row["target"] is not None and _worse(
                row["direction"], row["current_value"], row["target"]
            ):
                entry["missed"] += 1
    result: dict[int, list[dict[str, Any]]] = {}
    for pk, cycles in grouped.items():
        latest = sorted(cycles.values(), key=lambda e: e["start"], reverse=True)[:HISTORY_CYCLES]
        result[pk] = [
            {
                "cycle": e["cycle"],
                "holders": max(len(e["targets"]), len(e["actuals"])),
                "median_target": _opt(median(e["targets"])),
                "median_actual": _opt(median(e["actuals"])),
                "with_actual": len(e["actuals"]),
                "missed": e["missed"],
                "actuals": e["actuals"],
            }
            for e in reversed(latest)
        ]
    return result


def _opt(value: Decimal | None) -> Decimal | None:
    return None if value is None else q(value)


def _analyse_one(
    indicator: Indicator,
    goals: list[dict[str, Any]],
    verdicts: dict[str, int],
    history: list[dict[str, Any]],
    minimum: int,
    cycle_name: str = "",
) -> IndicatorAnalysis:
    direction = indicator.direction
    holders: list[Holder] = []
    for g in goals:
        actual = g["current_value"]
        att = None
        below = above = None
        if actual is not None:
            att = attainment(
                Standard(target=g["target"], direction=g["direction"], baseline=g["baseline"]),
                actual,
            )
            if g["threshold"] is not None:
                below = _worse(g["direction"], actual, g["threshold"])
            if g["stretch"] is not None:
                above = _better(g["direction"], actual, g["stretch"])
        holders.append(Holder(g["target"], actual, att, below, above))
    attainments = [h.attainment for h in holders if h.attainment is not None]
    with_threshold = [h.below_threshold for h in holders if h.below_threshold is not None]
    with_stretch = [h.above_stretch for h in holders if h.above_stretch is not None]
    total = sum(verdicts.values())
    shown = total >= minimum
    counts = {v.value: verdicts.get(v.value, 0) for v in Verdict} if shown else {}
    shares = {k: _share(n, total) or Decimal(0) for k, n in counts.items()}
    current_target = q(median([h.target for h in holders]) or Decimal(0))
    thresholds = [g["threshold"] for g in goals if g["threshold"] is not None]
    item = IndicatorAnalysis(
        indicator_id=indicator.pk,
        code=indicator.code,
        name=indicator.name,
        unit=indicator.unit,
        direction=direction,
        holders=len(holders),
        with_actual=len(attainments),
        current_target=current_target,
        attainments=attainments,
        median_attainment=_opt(median(attainments)),
        below_threshold_share=_share(sum(with_threshold), len(with_threshold)),
        above_stretch_share=_share(sum(with_stretch), len(with_stretch)),
        verdicts_total=total,
        verdicts_shown=shown,
        verdict_counts=counts,
        verdict_shares=shares,
        history=[{k: v for k, v in h.items() if k not in INTERNAL} for h in history],
        histogram=_histogram(attainments),
        missed=sum(
            1 for h in holders if h.actual is not None and _worse(direction, h.actual, h.target)
        ),
        current_threshold=_opt(median(thresholds)),
    )
    actuals = [h.actual for h in holders if h.actual is not None]
    _flag(item, minimum)
    if item.flag:
        earlier = [a for h in history for a in h["actuals"]]
        _propose(item, actuals, earlier, [h.target for h in holders])
    elif _persistent_miss(item, history, actuals, minimum, cycle_name):
        _propose_persistent(item, [h.target for h in holders])
    return item


def _flag(item: IndicatorAnalysis, minimum: int) -> None:
    """The flag rules of docs/target-analysis.md, with the reasons in words."""
    if item.with_actual < MIN_HOLDERS or item.median_attainment is None:
        return
    med = item.median_attainment
    enough_verdicts = item.verdicts_total >= minimum
    half_say_high = enough_verdicts and 2 * item.verdict_counts.get(Verdict.TOO_HIGH, 0) >= (
        item.verdicts_total
    )
    half_say_low = enough_verdicts and 2 * item.verdict_counts.get(Verdict.TOO_LOW, 0) >= (
        item.verdicts_total
    )
    below = item.below_threshold_share
    above = item.above_stretch_share
    if med < TOO_HARD_MEDIAN:
        reasons = []
        if half_say_high:
            reasons.append(
                _("%(n)s of %(total)s answers say the target was too high.")
                % {"n": item.verdict_counts[Verdict.TOO_HIGH], "total": item.verdicts_total}
            )
        if below is not None and below >= BELOW_THRESHOLD_SHARE:
            reasons.append(
                _("%(share)s%% of holders ended below the threshold.") % {"share": below}
            )
        if reasons:
            item.flag = FLAG_TOO_HIGH
            item.flag_reasons = [
                _("Median attainment %(median)s%% is below %(limit)s%%.")
                % {"median": med, "limit": TOO_HARD_MEDIAN},
                *reasons,
            ]
            return
    if med >= TOO_EASY_MEDIAN:
        item.flag = FLAG_TOO_LOW
        item.flag_reasons = [
            _("Median attainment %(median)s%% is at least %(limit)s%%.")
            % {"median": med, "limit": TOO_EASY_MEDIAN}
        ]
    elif above is not None and above >= ABOVE_STRETCH_SHARE and half_say_low:
        item.flag = FLAG_TOO_LOW
        item.flag_reasons = [
            _("%(share)s%% of holders beat the stretch.") % {"share": above},
            _("%(n)s of %(total)s answers say the target was too low.")
            % {"n": item.verdict_counts[Verdict.TOO_LOW], "total": item.verdicts_total},
        ]


def _propose(
    item: IndicatorAnalysis,
    actuals: list[Decimal],
    earlier: list[Decimal],
    targets: list[Decimal],
) -> None:
    """The proposal formula of docs/target-analysis.md: a percentile of this cycle's
    actuals (mirrored for lower-is-better), rounded, held by a floor from history."""
    lower = item.direction == Direction.LOWER
    integral = all(v == v.to_integral_value() for v in [*actuals, *targets])
    p = TOO_HARD_PERCENTILE if item.flag == FLAG_TOO_HIGH else TOO_EASY_PERCENTILE
    used_p = HUNDRED - p if lower else p
    raw = percentile(actuals, used_p)
    assert raw is not None  # flagged indicators have actuals
    proposed = sensible_round(raw, integral=integral)
    steps = [
        _("The %(p)sth percentile of this cycle's %(n)s actuals is %(raw)s; rounded: %(value)s.")
        % {"p": used_p, "n": len(actuals), "raw": q(raw), "value": proposed}
    ]
    guard: Decimal | None = None
    if item.flag == FLAG_TOO_HIGH:
        guard = median(earlier)
        if guard is not None:
            guard = sensible_round(guard, integral=integral)
            if (proposed > guard) if lower else (proposed < guard):
                proposed = guard
                steps.append(
                    _(
                        "Held at %(guard)s, the median actual of the last cycles: a target "
                        "should not ask for less than people already achieved."
                    )
                    % {"guard": guard}
                )
    else:
        guard = item.current_target
        if (proposed > guard) if lower else (proposed < guard):
            proposed = guard
            steps.append(
                _("Held at the current target %(guard)s: an easy target is never eased.")
                % {"guard": guard}
            )
    item.proposed_target = proposed
    intro = (
        _("Most holders missed the target of %(target)s.")
        if item.flag == FLAG_TOO_HIGH
        else _("Most holders beat the target of %(target)s easily.")
    ) % {"target": item.current_target}
    item.reasoning = " ".join([intro, *item.flag_reasons, *steps])
    item.evidence = {
        "rules": "docs/target-analysis.md",
        "flag": item.flag,
        "holders": item.holders,
        "with_actual": item.with_actual,
        "current_target": str(item.current_target),
        "median_attainment": str(item.median_attainment),
        "below_threshold_share": _s(item.below_threshold_share),
        "above_stretch_share": _s(item.above_stretch_share),
        "verdicts_total": item.verdicts_total if item.verdicts_shown else None,
        "verdict_counts": item.verdict_counts,
        "percentile": str(used_p),
        "percentile_value": str(q(raw)),
        "history_median_actual": _s(None if not earlier else q(median(earlier) or Decimal(0))),
        "history": [
            {
                "cycle": h["cycle"],
                "median_target": _s(h["median_target"]),
                "median_actual": _s(h["median_actual"]),
            }
            for h in item.history
        ],
        "proposed_target": str(proposed),
    }


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _missed_most(missed: int, with_actual: int) -> bool:
    return with_actual > 0 and Decimal(missed) * HUNDRED / with_actual >= PERSISTENT_MISS_SHARE


def _persistent_miss(
    item: IndicatorAnalysis,
    history: list[dict[str, Any]],
    actuals: list[Decimal],
    minimum: int,
    cycle_name: str,
) -> bool:
    """The persistent-miss rule of docs/target-analysis.md: most holders missed in this
    cycle and in every earlier cycle of the history held by at least ``MIN_HOLDERS``
    people, and the verdicts (when enough) do not disagree. Sets the flag and reasons."""
    if item.with_actual < MIN_HOLDERS or not _missed_most(item.missed, item.with_actual):
        return False
    earlier = [h for h in history if h["with_actual"] >= MIN_HOLDERS]
    if len(earlier) + 1 < PERSISTENT_CYCLES:
        return False
    if not all(_missed_most(h["missed"], h["with_actual"]) for h in earlier):
        return False
    enough_verdicts = item.verdicts_total >= minimum
    says_high = item.verdict_counts.get(Verdict.TOO_HIGH, 0) if enough_verdicts else 0
    if enough_verdicts and 2 * says_high < item.verdicts_total:
        return False
    cycles = [
        {
            "cycle": h["cycle"],
            "holders": h["with_actual"],
            "missed": h["missed"],
            "median_actual": h["median_actual"],
            "actuals": h["actuals"],
        }
        for h in earlier
    ]
    cycles.append(
        {
            "cycle": cycle_name,
            "holders": item.with_actual,
            "missed": item.missed,
            "median_actual": _opt(median(actuals)),
            "actuals": actuals,
        }
    )
    item.persistent = cycles
    item.flag = FLAG_TOO_HIGH
    item.flag_reasons = [
        _("In each of %(n)s cycles most holders missed the target: %(cycles)s.")
        % {
            "n": len(cycles),
            "cycles": "; ".join(
                _("%(cycle)s %(missed)s of %(holders)s")
                % {"cycle": c["cycle"], "missed": c["missed"], "holders": c["holders"]}
                for c in cycles
            ),
        }
    ]
    if enough_verdicts:
        item.flag_reasons.append(
            _("%(n)s of %(total)s answers say the target was too high.")
            % {"n": says_high, "total": item.verdicts_total}
        )
    return True


def _propose_persistent(item: IndicatorAnalysis, targets: list[Decimal]) -> None:
    """The persistent-miss proposal: the median of the holders' actuals over the cycles
    of the miss, rounded, never less demanding than the threshold."""
    lower = item.direction == Direction.LOWER
    pooled = [a for c in item.persistent for a in c["actuals"]]
    integral = all(v == v.to_integral_value() for v in [*pooled, *targets])
    raw = median(pooled)
    assert raw is not None  # every cycle of the miss has actuals
    proposed = sensible_round(raw, integral=integral)
    steps = [
        _(
            "The median of the holders' %(n)s actuals over %(cycles)s is %(raw)s; "
            "rounded: %(value)s."
        )
        % {
            "n": len(pooled),
            "cycles": ", ".join(c["cycle"] for c in item.persistent),
            "raw": q(raw),
            "value": proposed,
        }
    ]
    floor = item.current_threshold
    if floor is not None:
        floor = sensible_round(floor, integral=integral)
        if (proposed > floor) if lower else (proposed < floor):
            proposed = floor
            steps.append(
                _("Held at the threshold %(floor)s: a target is never easier than it.")
                % {"floor": floor}
            )
    item.proposed_target = proposed
    intro = _("Most holders missed the target of %(target)s cycle after cycle.") % {
        "target": item.current_target
    }
    item.reasoning = " ".join([intro, *item.flag_reasons, *steps])
    item.evidence = {
        "rules": "docs/target-analysis.md",
        "rule": "persistent_miss",
        "flag": item.flag,
        "holders": item.holders,
        "with_actual": item.with_actual,
        "current_target": str(item.current_target),
        "median_attainment": str(item.median_attainment),
        "below_threshold_share": _s(item.below_threshold_share),
        "above_stretch_share": _s(item.above_stretch_share),
        "verdicts_total": item.verdicts_total if item.verdicts_shown else None,
        "verdict_counts": item.verdict_counts,
        "cycles": [
            {
                "cycle": c["cycle"],
                "holders": c["holders"],
                "missed": c["missed"],
                "median_actual": _s(c["median_actual"]),
            }
            for c in item.persistent
        ],
        "pooled_median_actual": str(q(raw)),
        "threshold": _s(item.current_threshold),
        "history": [
            {
                "cycle": h["cycle"],
                "median_target": _s(h["median_target"]),
                "median_actual": _s(h["median_actual"]),
            }
            for h in item.history
        ],
        "proposed_target": str(proposed),
    }

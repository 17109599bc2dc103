"""Scoring rules, fixed at planning time and used everywhere a goal is scored.

The what-if preview on the planning pages, the API's preview endpoint, the evaluation
stage's real scores and the exports all call ``score`` here, so a rule means the same
thing wherever it is shown. Pure functions on ``Decimal``; no database access.

Attainment (达成率) is how far the actual went toward the target, in percent:

- higher is better: ``actual ÷ target``, or with a baseline
  ``(actual − baseline) ÷ (target − baseline)``;
- lower is better (反向指标): ``(2 × target − actual) ÷ target`` (100 % at the target,
  falling linearly to 0 % at twice the target), or with a baseline
  ``(baseline − actual) ÷ (baseline − target)``.

Rules turn that into points (0–100 at the target, more for beating it):

- ``linear``: points = attainment, clamped to [floor, cap] (e.g. 0–120);
- ``threshold_stretch``: below the threshold → floor; at the threshold → threshold
  points (e.g. 60); at the target → 100; at the stretch → cap; straight lines between;
- ``banded``: a table of (attainment from %, points), the highest band reached counts,
  none reached → floor;
- ``binary``: the target is met (≥ for higher, ≤ for lower is better) → 100, else floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

ZERO = Decimal(0)
HUNDRED = Decimal(100)
# Raise when a change here changes any goal's points: points the database keeps for an
# earlier version are then scored again (``Goal.cached_rules``).
RULES_VERSION = 1
PLACES = Decimal("0.01")


class Direction(models.TextChoices):
    HIGHER = "higher", _("higher is better")
    LOWER = "lower", _("lower is better")


class RuleType(models.TextChoices):
    LINEAR = "linear", _("linear (actual ÷ target)")
    THRESHOLD_STRETCH = "threshold_stretch", _("threshold → target → stretch")
    BANDED = "banded", _("banded table")
    BINARY = "binary", _("met or not met")


class Aggregation(models.TextChoices):
    SUM = "sum", _("sum of periods")
    AVERAGE = "average", _("average of periods")
    LAST = "last", _("latest period")
    MIN = "min", _("lowest period")
    MAX = "max", _("highest period")


def q(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


class Standard(NamedTuple):
    """The measurable standard of a goal."""

    target: Decimal
    direction: str = Direction.HIGHER
    baseline: Decimal | None = None
    threshold: Decimal | None = None
    stretch: Decimal | None = None


@dataclass(frozen=True)
class Rule:
    type: str = RuleType.LINEAR
    floor: Decimal = ZERO
    cap: Decimal = Decimal(120)
    threshold_points: Decimal = Decimal(60)
    # (attainment from %, points), any order.
    bands: tuple[tuple[Decimal, Decimal], ...] = ()


class Score(NamedTuple):
    points: Decimal
    attainment: Decimal | None
    steps: tuple[str, ...] = ()


_LOWER = Direction.LOWER.value  # a plain str: comparing with the enum member is slower


def _lower(standard: Standard) -> bool:
    return standard.direction == _LOWER


def attainment(standard: Standard, actual: Decimal) -> Decimal | None:
    """Attainment in percent, or None when it is undefined (e.g. a zero target)."""
    target, baseline = standard.target, standard.baseline
    if baseline is not None and baseline != target:
        if _lower(standard):
            ratio = (baseline - actual) / (baseline - target)
        else:
            ratio = (actual - baseline) / (target - baseline)
    elif _lower(standard):
        if target == 0:
            return HUNDRED if actual <= 0 else ZERO
        ratio = (2 * target - actual) / target
    else:
        if target == 0:
            return None
        ratio = actual / target
    return q(ratio * HUNDRED)


def _clamp(points: Decimal, rule: Rule) -> Decimal:
    return q(max(rule.floor, min(rule.cap, points)))


def _position(standard: Standard, value: Decimal) -> Decimal:
    """Values mapped so that "better" is always "larger"."""
    return -value if _lower(standard) else value


def _interpolate(x: Decimal, x0: Decimal, y0: Decimal, x1: Decimal, y1: Decimal) -> Decimal:
    if x1 == x0:
        return y1
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


# What decided a goal's points, in words: (text, the names of its values). Written out
# only when the explanation is asked for; the points never depend on it.
ATTAINMENT_TEXT = gettext_noop("attainment=%(attainment)s%%")
STEP_TEXT: dict[str, tuple[str, tuple[str, ...]]] = {
    "met": (gettext_noop("met → %(points)s"), ("points",)),
    "not_met": (gettext_noop("not met → %(points)s"), ("points",)),
    "below": (gettext_noop("below threshold → %(points)s"), ("points",)),
    "to_target": (gettext_noop("between threshold and target → %(points)s"), ("points",)),
    "to_stretch": (gettext_noop("between target and stretch → %(points)s"), ("points",)),
    "beyond": (gettext_noop("at or beyond stretch → %(points)s"), ("points",)),
    "undefined": (gettext_noop("attainment undefined (zero target)"), ()),
    "band": (gettext_noop("band ≥%(low)s%% → %(points)s"), ("low", "points")),
    "no_band": (gettext_noop("no band reached → %(points)s"), ("points",)),
    "clamped": (
        gettext_noop("clamped to [%(floor)s, %(cap)s] → %(points)s"),
        ("floor", "cap", "points"),
    ),
}


def _evaluate(
    rule: Rule, standard: Standard, actual: Decimal
) -> tuple[Decimal, Decimal | None, str, tuple[object, ...]]:
    """(points, attainment, the step that decided the points, its values)."""
    att = attainment(standard, actual)
    if rule.type == RuleType.BINARY:
        met = actual <= standard.target if _lower(standard) else actual >= standard.target
        points = HUNDRED if met else rule.floor
        return q(points), att, "met" if met else "not_met", (points,)
    if rule.type == RuleType.THRESHOLD_STRETCH:
        a = _position(standard, actual)
        t = _position(standard, standard.target)
        th = _position(standard, standard.threshold) if standard.threshold is not None else t
        st = _position(standard, standard.stretch) if standard.stretch is not None else t
        if a < th:
            points, step, shown = rule.floor, "below", rule.floor
        elif a < t:
            points = _interpolate(a, th, rule.threshold_points, t, HUNDRED)
            step, shown = "to_target", q(points)
        elif a < st:
            points = _interpolate(a, t, HUNDRED, st, rule.cap)
            step, shown = "to_stretch", q(points)
        else:
            points = rule.cap if st > t else HUNDRED
            step, shown = "beyond", points
        return _clamp(points, rule), att, step, (shown,)
    if att is None:
        return q(rule.floor), None, "undefined", ()
    if rule.type == RuleType.BANDED:
        for low, points in sorted(rule.bands, key=lambda b: b[0], reverse=True):
            if att >= low:
                return _clamp(Decimal(points), rule), att, "band", (low, points)
        return q(rule.floor), att, "no_band", (rule.floor,)
    result = _clamp(att, rule)
    if result != att:
        return result, att, "clamped", (rule.floor, rule.cap, result)
    return result, att, "", ()


def points(rule: Rule, standard: Standard, actual: Decimal) -> tuple[Decimal, Decimal | None]:
    """(points, attainment) of ``actual`` under ``rule``: what ``score`` gives, without
    the steps (for scoring a whole cycle at once)."""
    found = _evaluate(rule, standard, actual if isinstance(actual, Decimal) else Decimal(actual))
    return found[0], found[1]


def score(rule: Rule, standard: Standard, actual: Decimal, *, explain: bool = True) -> Score:
    """Points earned by ``actual`` under ``rule``, with the steps that produced them
    (``explain=False`` leaves the steps out: the same points, for scoring a whole cycle
    at once)."""
    if not isinstance(actual, Decimal):
        actual = Decimal(actual)
    points, att, step, values = _evaluate(rule, standard, actual)
    if not explain:
        return Score(points, att)
    steps = []
    if att is not None:
        steps.append(gettext(ATTAINMENT_TEXT) % {"attainment": att})
    if step:
        text, names = STEP_TEXT[step]
        steps.append(gettext(text) % dict(zip(names, values, strict=True)))
    return Score(points, att, tuple(steps))


# The rules whose result depends on the order of the periods; the others (sums, averages,
# least and greatest, all exact in Decimal) need not order them.
ORDERED_AGGREGATIONS = frozenset({Aggregation.LAST})


def combine(values: Sequence[Decimal], how: str) -> Decimal | None:
    """The cycle's actual from per-period values, by the goal's rule for combining periods."""
    if not values:
        return None
    if how == Aggregation.SUM:
        return sum(values, ZERO)
    if how == Aggregation.AVERAGE:
        return sum(values, ZERO) / len(values)
    if how == Aggregation.LAST:
        return values[-1]
    if how == Aggregation.MIN:
        return min(values)
    if how == Aggregation.MAX:
        return max(values)
    raise ValueError(f"unknown aggregation {how!r}")


def check_standard(standard: Standard, rule: Rule) -> dict[str, str]:
    """Problems with a standard and rule, by field; empty when consistent."""
    problems: dict[str, str] = {}
    better = (lambda a, b: a < b) if _lower(standard) else (lambda a, b: a > b)
    if standard.threshold is not None and better(standard.threshold, standard.target):
        problems["threshold"] = str(
            _(
                "The threshold must not be better than the target (for lower-is-better, not below it)."
            )
            if _lower(standard)
            else _("The threshold must not be above the target.")
        )
    if standard.stretch is not None and better(standard.target, standard.stretch):
        problems["stretch"] = str(_("The stretch must be at least as good as the target."))
    if rule.floor > rule.cap:
        problems["rule_cap"] = str(_("The cap must not be below the floor."))
    if rule.cap < HUNDRED and rule.type != RuleType.BINARY:
        problems["rule_cap"] = str(
            _("The cap must be at least 100 points (the score at the target).")
        )
    if rule.type == RuleType.THRESHOLD_STRETCH:
        if standard.threshold is None:
            problems["threshold"] = str(_("This rule needs a threshold."))
        if not (rule.floor <= rule.threshold_points <= HUNDRED):
            problems["threshold_points"] = str(
                _("Points at the threshold must lie between the floor and 100.")
            )
    if rule.type == RuleType.BANDED:
        if not rule.bands:
            problems["bands"] = str(_("A banded rule needs at least one band."))
        elif len({b[0] for b in rule.bands}) != len(rule.bands):
            problems["bands"] = str(_("Two bands start at the same attainment."))
    return problems

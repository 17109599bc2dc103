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
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ZERO = Decimal(0)
HUNDRED = Decimal(100)
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


@dataclass(frozen=True)
class Standard:
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


@dataclass(frozen=True)
class Score:
    points: Decimal
    attainment: Decimal | None
    steps: tuple[str, ...] = field(default_factory=tuple)


def _lower(standard: Standard) -> bool:
    return standard.direction == Direction.LOWER


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


def score(rule: Rule, standard: Standard, actual: Decimal) -> Score:
    """Points earned by ``actual`` under ``rule``, with the steps that produced them."""
    actual = Decimal(actual)
    att = attainment(standard, actual)
    steps: list[str] = []
    if att is not None:
        steps.append(gettext("attainment=%(attainment)s%%") % {"attainment": att})
    if rule.type == RuleType.BINARY:
        met = actual <= standard.target if _lower(standard) else actual >= standard.target
        points = HUNDRED if met else rule.floor
        steps.append(
            (gettext("met → %(points)s") if met else gettext("not met → %(points)s"))
            % {"points": points}
        )
        return Score(q(points), att, tuple(steps))
    if rule.type == RuleType.THRESHOLD_STRETCH:
        a = _position(standard, actual)
        t = _position(standard, standard.target)
        th = _position(standard, standard.threshold) if standard.threshold is not None else t
        st = _position(standard, standard.stretch) if standard.stretch is not None else t
        if a < th:
            points = rule.floor
            steps.append(gettext("below threshold → %(points)s") % {"points": points})
        elif a < t:
            points = _interpolate(a, th, rule.threshold_points, t, HUNDRED)
            steps.append(
                gettext("between threshold and target → %(points)s") % {"points": q(points)}
            )
        elif a < st:
            points = _interpolate(a, t, HUNDRED, st, rule.cap)
            steps.append(gettext("between target and stretch → %(points)s") % {"points": q(points)})
        else:
            points = rule.cap if st > t else HUNDRED
            steps.append(gettext("at or beyond stretch → %(points)s") % {"points": points})
        result = _clamp(points, rule)
        return Score(result, att, tuple(steps))
    if att is None:
        return Score(q(rule.floor), None, (gettext("attainment undefined (zero target)"),))
    if rule.type == RuleType.BANDED:
        for low, points in sorted(rule.bands, key=lambda b: b[0], reverse=True):
            if att >= low:
                steps.append(
                    gettext("band ≥%(low)s%% → %(points)s") % {"low": low, "points": points}
                )
                return Score(_clamp(Decimal(points), rule), att, tuple(steps))
        steps.append(gettext("no band reached → %(points)s") % {"points": rule.floor})
        return Score(q(rule.floor), att, tuple(steps))
    result = _clamp(att, rule)
    if result != att:
        steps.append(
            gettext("clamped to [%(floor)s, %(cap)s] → %(points)s")
            % {"floor": rule.floor, "cap": rule.cap, "points": result}
        )
    return Score(result, att, tuple(steps))


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

"""Scoring rules in words and in numbers, for people (以终为始: everyone can read how
they will be judged). The numbers come from ``scoring.score``, the same code that scores
for real, so the words and the points cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from perfcycle.planning.scoring import Direction, Rule, RuleType, Score, Standard, score


def number(value: Decimal | int | None) -> str:
    """A decimal without trailing zeros, with thousands separators: 5,000,000 / 0.95."""
    if value is None:
        return "—"
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):,f}"
    return f"{value.normalize():,f}"


def _with_unit(value: Decimal | None, unit: str) -> str:
    text = number(value)
    return f"{text} {unit}".strip() if value is not None else text


def attainment_text(standard: Standard) -> str:
    lower = standard.direction == Direction.LOWER
    if standard.baseline is not None and standard.baseline != standard.target:
        if lower:
            return _("Attainment = (baseline − actual) ÷ (baseline − target).")
        return _("Attainment = (actual − baseline) ÷ (target − baseline).")
    if lower:
        return _(
            "Attainment = (2 × target − actual) ÷ target: full at the target, none at twice "
            "the target."
        )
    return _("Attainment = actual ÷ target.")


def describe_rule(
    rule: Rule, standard: Standard | None, unit: str = "", *, milestone: bool = False
) -> list[str]:
    """Sentences that explain how points are earned (a milestone goal: done or not)."""
    lines: list[str] = []
    floor, cap = number(rule.floor), number(rule.cap)
    if rule.type == RuleType.BINARY:
        if milestone:
            lines.append(
                _("Done by the due date: 100 points; otherwise %(floor)s points.")
                % {"floor": floor}
            )
        elif standard is None:
            lines.append(
                _("Target met: 100 points; otherwise %(floor)s points.") % {"floor": floor}
            )
        else:
            sign = "≤" if standard.direction == Direction.LOWER else "≥"
            lines.append(
                _("Actual %(sign)s %(target)s: 100 points; otherwise %(floor)s points.")
                % {"sign": sign, "target": _with_unit(standard.target, unit), "floor": floor}
            )
        return lines
    if standard is not None:
        lines.append(attainment_text(standard))
    if rule.type == RuleType.LINEAR:
        lines.append(
            _("Points = attainment in percent, at least %(floor)s and at most %(cap)s.")
            % {"floor": floor, "cap": cap}
        )
    elif rule.type == RuleType.THRESHOLD_STRETCH:
        if standard is None:
            lines.append(
                _(
                    "Below the threshold: %(floor)s points; at the threshold: %(points)s; at the "
                    "target: 100; at the stretch: %(cap)s; straight lines in between."
                )
                % {"floor": floor, "points": number(rule.threshold_points), "cap": cap}
            )
        else:
            lines.append(
                _(
                    "Below the threshold %(threshold)s: %(floor)s points; at the threshold: "
                    "%(points)s; at the target %(target)s: 100; at the stretch %(stretch)s: "
                    "%(cap)s; straight lines in between."
                )
                % {
                    "threshold": _with_unit(standard.threshold, unit),
                    "floor": floor,
                    "points": number(rule.threshold_points),
                    "target": _with_unit(standard.target, unit),
                    "stretch": _with_unit(standard.stretch, unit)
                    if standard.stretch is not None
                    else _("(none: the target)"),
                    "cap": cap if standard.stretch is not None else "100",
                }
            )
    elif rule.type == RuleType.BANDED:
        bands = sorted(rule.bands, key=lambda b: b[0], reverse=True)
        parts = [
            _("attainment ≥ %(low)s%%: %(points)s points")
            % {"low": number(low), "points": number(p)}
            for low, p in bands
        ]
        parts.append(_("below that: %(floor)s points") % {"floor": floor})
        lines.append("; ".join(str(p) for p in parts) + ".")
    return lines


@dataclass
class Example:
    label: str
    actual: Decimal
    result: Score


def examples(rule: Rule, standard: Standard | None) -> list[Example]:
    """Points at the standard's own values (threshold, baseline, target, stretch)."""
    if standard is None:
        return []
    points: list[tuple[str, Decimal | None]] = [
        (_("Baseline"), standard.baseline),
        (_("Threshold"), standard.threshold),
        (_("Target"), standard.target),
        (_("Stretch"), standard.stretch),
    ]
    seen: set[Decimal] = set()
    found: list[Example] = []
    for label, value in points:
        if value is None or value in seen:
            continue
        seen.add(value)
        found.append(Example(str(label), value, score(rule, standard, value)))
    return found


def what_if(rule: Rule, standard: Standard | None, actual: Any) -> Score | None:
    if standard is None or actual is None:
        return None
    return score(rule, standard, Decimal(actual))

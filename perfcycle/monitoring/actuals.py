"""Writing actuals: one value typed in, or many from a file or an API batch.

A value is never overwritten. Recording a value for a period that already has a
different current value adds a new revision (the old row stays, no longer current);
recording the same value again changes nothing. After every write the touched goals'
``current_value`` is recomputed from their current period values by the goal's rule
for combining periods (``planning.scoring.combine``), set-based: one query reads every
touched goal's values, one bulk update writes them. Each multi-row write is one
transaction with its audit events.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import AuditEntry, audit_record_many, to_json_value
from perfcycle.core.errors import ValidationFailed
from perfcycle.imports.values import CellError, parse_decimal
from perfcycle.monitoring.models import Actual, ActualSource
from perfcycle.monitoring.periods import Period, check_period, parse_period
from perfcycle.planning.models import Goal, GoalKind
from perfcycle.planning.scoring import combine

PLACES = Decimal("0.0001")
LIMIT = Decimal(10) ** 14  # AMOUNT: 18 digits, 4 after the point


class Outcome:
    CREATED = "created"
    REVISED = "revised"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ActualItem:
    """One checked value, ready to be written."""

    goal: Goal
    period: Period
    value: Decimal
    note: str = ""


@dataclass(frozen=True)
class Written:
    item: ActualItem
    outcome: str
    actual: Actual


# Checking input -------------------------------------------------------------------------


def clean_value(goal: Goal, raw: Any) -> Decimal:
    """A value for ``goal`` from text or a number; ``CellError`` says what is wrong."""
    value: Decimal | None
    if raw.__class__ is str:  # a file's cell: a plain number reads as it is
        try:
            value = Decimal(raw)
        except InvalidOperation:  # "1,234.5", blank, not a number: parse_decimal says which
            value = parse_decimal(raw)
    elif isinstance(raw, Decimal | int) and not isinstance(raw, bool):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(str(raw))
    else:
        value = parse_decimal(str(raw if raw is not None else ""))
    if value is None:
        raise CellError(_("A value is required."))
    if not value.is_finite():
        raise CellError(_("“%(value)s” is not a number.") % {"value": raw})
    try:
        value = value.quantize(PLACES, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than a decimal holds: e.g. 1e400000
        raise CellError(_("%(value)s is too large.") % {"value": raw}) from None
    if abs(value) >= LIMIT:
        raise CellError(_("%(value)s is too large.") % {"value": raw})
    if value < 0 and not goal.allow_negative:
        raise CellError(
            _("%(value)s is negative; this goal's values (%(unit)s) cannot be.")
            % {"value": raw, "unit": goal.unit or _("no unit")}
        )
    return value


def clean_values(goals: Sequence[Goal], raws: Sequence[str]) -> list[Decimal] | None:
    """A file's column of values, each as ``clean_value(goal, raw)`` reads it, when every
    cell is a plain number that passes (finite, within the limit, negative only where its
    goal allows); None as soon as any is not — blank, "1,234.5", a word, too large —
    and ``clean_value`` then says which. Each step is one pass over the column instead
    of a call per cell."""
    try:
        values = [value.quantize(PLACES, rounding=ROUND_HALF_UP) for value in map(Decimal, raws)]
    except InvalidOperation:  # not a number, or more digits than a decimal holds
        return None
    if not values:
        return values
    if not all(map(Decimal.is_finite, values)):
        return None
    low, high = min(values), max(values)
    if high >= LIMIT or low <= -LIMIT:
        return None
    if low < 0 and any(
        value < 0 and not goal.allow_negative for goal, value in zip(goals, values, strict=True)
    ):
        return None
    return values


def check_goal(goal: Goal) -> None:
    """``CellError`` when ``goal`` takes no actuals. It reads the goal's kind and its cycle
    only: a file's import checks one goal of each kind (``monitoring.imports._fast``)."""
    if goal.kind != GoalKind.KPI:
        raise CellError(
            _("“%(goal)s” is not a quantitative KPI; it takes no actuals.") % {"goal": goal.title}
        )
    if goal.cycle.is_closed:
        raise CellError(_("The cycle of “%(goal)s” is closed.") % {"goal": goal.title})


def clean_period(goal: Goal, raw: str, *, today: dt.date | None = None) -> Period:
    """The period ``raw`` names for ``goal``. It reads the goal's measurement period and
    its cycle only: a file's import parses each distinct text once per measurement period
    (``monitoring.imports._fast``)."""
    cycle = goal.cycle
    period = parse_period(
        raw, goal.measurement_period, cycle_start=cycle.start_date, cycle_end=cycle.end_date
    )
    check_period(
        period,
        cycle_start=cycle.start_date,
        cycle_end=cycle.end_date,
        today=today or timezone.localdate(),
    )
    return period


def clean_item(
    goal: Goal, *, period: str, value: Any, note: str = "", today: dt.date | None = None
) -> tuple[ActualItem | None, dict[str, str]]:
    """A checked item, or the problems by field (``goal``, ``period``, ``value``, ``note``)."""
    problems: dict[str, str] = {}
    try:
        check_goal(goal)
    except CellError as exc:
        return None, {"goal": str(exc)}
    cleaned_period = cleaned_value = None
    try:
        cleaned_period = clean_period(goal, period, today=today)
    except CellError as exc:
        problems["period"] = str(exc)
    try:
        cleaned_value = clean_value(goal, value)
    except CellError as exc:
        problems["value"] = str(exc)
    note = (note or "").strip()
    if len(note) > 500:
        problems["note"] = _("Longer than %(max)d characters.") % {"max": 500}
    if problems or cleaned_period is None or cleaned_value is None:
        return None, problems
    return ActualItem(goal, cleaned_period, cleaned_value, note), {}


# Writing -------------------------------------------------------------------------------


def _audit_actual(actual: Actual) -> dict[str, Any]:
    return {
        "goal": actual.goal_id,
        "period": actual.period,
        "value": to_json_value(actual.value),
        "revision": actual.revision,
        "source": actual.source,
        "note": actual.note,
        "batch": actual.batch,
    }


def goals_recompute(goal_ids: Iterable[int]) -> list[AuditEntry]:
    """Recompute ``current_value`` of the goals from their current period values.

    One query for the goals (locked), one for all their current values, one bulk update.
    Returns the audit entries of the goals whose value changed.
    """
    ids = sorted(set(goal_ids))
    if not ids:
        return []
    goals = list(Goal.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    values: dict[int, list[Decimal]] = defaultdict(list)
    for goal_id, value in (
        Actual.objects.current()
        .filter(goal_id__in=ids)
        .order_by("goal_id", "period_start", "period")
        .values_list("goal_id", "value")
    ):
        values[goal_id].append(value)
    changed: list[Goal] = []
    entries: list[AuditEntry] = []
    for goal in goals:
        combined = combine(values.get(goal.pk, []), goal.aggregation)
        if combined is not None:
            combined = combined.quantize(PLACES, rounding=ROUND_HALF_UP)
        if combined != goal.current_value:
            entries.append(
                AuditEntry(
                    action=AuditAction.UPDATE,
                    instance=goal,
                    before={"current_value": to_json_value(goal.current_value)},
                    after={"current_value": to_json_value(combined)},
                )
            )
            goal.current_value = combined
            changed.append(goal)
    Goal.objects.bulk_update(changed, ["current_value"], batch_size=1000)
    return entries


def actuals_write(
    *,
    actor: Any,
    items: Sequence[ActualItem],
    source: str,
    batch: str = "",
) -> list[Written]:
    """Write checked items in one transaction: new rows or revisions, equal values skipped.

    The same goal and period twice in ``items`` is refused (callers name the rows first).
    """
    seen: set[tuple[int, str]] = set()
    for item in items:
        key = (item.goal.pk, item.period.key)
        if key in seen:
            raise ValidationFailed(
                _("%(goal)s, %(period)s appears twice.")
                % {"goal": item.goal.title, "period": item.period.key},
                code="duplicate",
            )
        seen.add(key)
    if not items:
        return []
    user = actor if getattr(actor, "pk", None) else None
    now = timezone.now()
    goal_ids = {goal_id for goal_id, _period in seen}
    with transaction.atomic():
        # Lock the goals first: writers of the same goal take turns, so revisions and
        # the recomputed value never race.
        list(Goal.objects.select_for_update().filter(pk__in=goal_ids).order_by("pk").values("pk"))
        current = {
            (a.goal_id, a.period): a
            for a in Actual.objects.current().filter(
                goal_id__in=goal_ids, period__in={p for _g, p in seen}
            )
        }
        retired: list[int] = []
        new: list[tuple[ActualItem, str, Actual]] = []
        done: list[Written] = []
        for item in items:
            old = current.get((item.goal.pk, item.period.key))
            if old is not None and old.value == item.value:
                done.append(Written(item, Outcome.UNCHANGED, old))
                continue
            if old is not None:
                retired.append(old.pk)
            actual = Actual(
                goal=item.goal,
                period=item.period.key,
                period_start=item.period.start,
                value=item.value,
                note=item.note,
                source=source,
                entered_by=user,
                entered_at=now,
                revision=old.revision + 1 if old is not None else 1,
                is_current=True,
                batch=batch[:80],
            )
            new.append((item, Outcome.REVISED if old else Outcome.CREATED, actual))
        if retired:
            Actual.objects.filter(pk__in=retired).update(is_current=False)
        Actual.objects.bulk_create([a for _i, _o, a in new], batch_size=1000)
        done.extend(Written(i, o, a) for i, o, a in new)
        entries = [
            AuditEntry(action=AuditAction.CREATE, instance=a, after=_audit_actual(a))
            for _i, _o, a in new
        ]
        entries += goals_recompute({a.goal_id for _i, _o, a in new})
        audit_record_many(actor=actor, entries=entries)
    return done


def actual_record(
    *,
    actor: Any,
    goal: Goal,
    period: str,
    value: Any,
    note: str = "",
    source: str = ActualSource.TYPED,
    today: dt.date | None = None,
) -> Written:
    """Record one value of ``goal`` for ``period`` (text as typed: ``2026-10``, ``2026-W43``,
    ``2026-Q4``, ``cycle`` or a date). Bad input raises ``ValidationFailed`` by field."""
    item, problems = clean_item(goal, period=period, value=value, note=note, today=today)
    if item is None:
        first = next(iter(problems.values()))
        raise ValidationFailed(first, details={"fields": {k: [v] for k, v in problems.items()}})
    (written,) = actuals_write(actor=actor, items=[item], source=source)
    goal.refresh_from_db(fields=["current_value"])
    return written


def actual_history(goal: Goal) -> list[Actual]:
    """Every value of the goal, newest period first, each period's revisions newest first."""
    return list(
        Actual.objects.filter(goal=goal)
        .select_related("entered_by")
        .order_by("-period_start", "period", "-revision")
    )

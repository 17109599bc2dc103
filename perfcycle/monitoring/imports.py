"""Actuals from a spreadsheet (CSV UTF-8/BOM/GBK or XLSX) or an API batch, into one cycle.

Rows name their goal by employee number and indicator code (an employee's goal), or
by the goal's reference (``goal_ref``, for department and company goals). Both paths
are all-or-nothing: every row is checked first (number, period within the cycle and
already started, known employee, indicator and goal, the same goal and period twice,
a negative value the goal forbids) and any bad row rejects the whole file or batch,
naming each bad row. Equal values are skipped, so importing the same file twice
changes nothing; a different value becomes a new revision.

An API batch carries an idempotency key: the same key with the same payload answers
the stored response and writes nothing; the same key with another payload is a
conflict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from itertools import islice, repeat
from operator import attrgetter
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.audit.context import audit_context
from perfcycle.core.batch import without_gc
from perfcycle.core.errors import Conflict, ValidationFailed
from perfcycle.cycles.models import Cycle
from perfcycle.imports.bulk import AnyOf, insert_rows, more_memory, stream_rows, update_rows
from perfcycle.imports.reports import Changes, ImportReport, RowReader, record_import
from perfcycle.imports.tables import RowError, read_table, rejected
from perfcycle.imports.values import CellError, parse_text
from perfcycle.monitoring.actuals import (
    PLACES,
    ActualItem,
    Outcome,
    actuals_write,
    check_goal,
    clean_item,
    clean_period,
    clean_value,
    clean_values,
)
from perfcycle.monitoring.models import Actual, ActualBatch, ActualSource
from perfcycle.monitoring.periods import Period
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal, Indicator
from perfcycle.planning.scoring import ORDERED_AGGREGATIONS, combine
from perfcycle.planning.triggers import STAMP_BUMP

KIND = "actuals"
NOTE_MAX = 500
ACTUAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "employee_number": ("工号", "员工工号", "employee_no", "emp_no"),
    "indicator_code": ("指标编码", "指标代码", "indicator"),
    "period": ("期间", "统计期间", "月份"),
    "value": ("实际值", "实际", "actual"),
    "note": ("备注", "说明"),
    "goal_ref": ("目标编号", "goal", "reference"),
}


class Row(NamedTuple):
    """One row or batch item before its goal is known; ``line`` names it in errors."""

    line: int
    employee_number: str = ""
    indicator_code: str = ""
    goal_ref: str = ""
    period: str = ""
    value: Any = None
    note: str = ""


@dataclass
class Checked:
    items: list[tuple[Row, ActualItem]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class GoalFacts(NamedTuple):
    """What checking and writing a row needs to know of its goal, read for every goal of
    a file in one query. It has the attributes ``monitoring.actuals``' checks read
    (``check_goal``, ``clean_period``, ``clean_value``), so the rules stay there."""

    pk: int
    cycle: Cycle
    title: str
    kind: str
    measurement_period: str
    allow_negative: bool
    unit: str
    indicator_code: str | None  # when it is one of the file's indicators
    aggregation: str
    current_value: Decimal | None


class Value(NamedTuple):
    """One checked row, ready to be written."""

    row: Row
    goal: GoalFacts
    period: Period
    value: Decimal
    note: str


def _goal_problem(goal: GoalFacts) -> str | None:
    try:
        check_goal(goal)  # type: ignore[arg-type]  # has the fields it reads
    except CellError as exc:
        return str(exc)
    return None


@dataclass
class Lookup:
    """What a file's rows refer to, read in a fixed number of queries: employees and
    indicators by their codes, and the cycle's goals by reference and by (employee,
    indicator): ``by_pair`` holds a pair's goal, ``several`` the pairs with more than one
    (a row must then name its goal by reference)."""

    cycle: Cycle
    employees: dict[str, int]
    indicators: dict[str, int]
    by_ref: dict[str, GoalFacts]
    by_pair: dict[tuple[int, int], GoalFacts]
    several: set[tuple[int, int]]
    goal_ids: list[int]


def _named(cells: Iterable[str | None]) -> set[str]:
    """The distinct texts of ``cells``, without blanks (or cells too long to read)."""
    return set(cells) - {"", None}  # type: ignore[operator]


def _referred(rows: Sequence[Row]) -> tuple[set[str], set[str], set[str]]:
    """The employee numbers, indicator codes and goal references that ``rows`` name."""
    return (
        _named(r.employee_number for r in rows),
        _named(r.indicator_code for r in rows),
        _named(r.goal_ref for r in rows),
    )


def _lookup(
    cycle: Cycle, numbers: set[str], codes: set[str], refs: set[str], *, lock: bool = False
) -> Lookup:
    """Read what rows naming ``numbers``, ``codes`` and ``refs`` refer to. With ``lock``
    (inside a transaction, before writing) the goals are locked as they are read, as
    ``actuals_write`` locks them: writers of a goal take turns."""
    employees = dict(
        Employee.objects.filter(AnyOf(F("employee_number"), numbers))
        .order_by()
        .values_list("employee_number", "pk")
    )
    indicators = dict(Indicator.objects.filter(code__in=codes).values_list("code", "pk"))
    fresh = Cycle.objects.get(pk=cycle.pk)  # as the goals' own cycle would be read
    code_of = {pk: code for code, pk in indicators.items()}
    by_ref: dict[str, GoalFacts] = {}
    by_pair: dict[tuple[int, int], GoalFacts] = {}
    several: set[tuple[int, int]] = set()
    goal_ids: list[int] = []
    goals = Goal.objects.select_for_update() if lock else Goal.objects.all()
    for (
        pk,
        ref,
        employee_id,
        indicator_id,
        title,
        kind,
        how,
        negative,
        unit,
        rule,
        value,
    ) in stream_rows(
        goals.filter(cycle=cycle)
        .filter(
            Q(AnyOf(F("ref"), refs))
            | Q(
                AnyOf(F("employee_id"), employees.values(), integers=True),
                indicator_id__in=indicators.values(),
            )
        )
        .order_by("pk")
        .values_list(
            "pk",
            "ref",
            "employee_id",
            "indicator_id",
            "title",
            "kind",
            "measurement_period",
            "allow_negative",
            "unit",
            "aggregation",
            "current_value",
        )
    ):
        # A goal whose indicator is none of the file's is measured by none of them: its
        # code need not be read to tell that a row's code does not match it.
        goal = GoalFacts(
            pk, fresh, title, kind, how, negative, unit, code_of.get(indicator_id), rule, value
        )
        goal_ids.append(pk)
        if ref:
            by_ref[ref] = goal
        if employee_id and indicator_id:
            pair = (employee_id, indicator_id)
            if pair in by_pair:
                several.add(pair)
            else:
                by_pair[pair] = goal
    return Lookup(fresh, employees, indicators, by_ref, by_pair, several, goal_ids)


def _checked(
    lookup: Lookup, rows: Sequence[Row], errors: list[RowError], *, today: dt.date | None
) -> Iterator[Value]:
    """Each row whose goal, period and value all pass, as it is checked; every problem
    goes to ``errors``. A row that does not pass is checked again by ``clean_item``,
    which names its problems as it always has. Goal checks are made once per goal and
    period checks once per distinct text, since they depend on nothing else (the cycle
    and today are the same for every row)."""
    cycle, employees, indicators = lookup.cycle, lookup.employees, lookup.indicators
    by_pair, several = lookup.by_pair, lookup.several
    today = today or timezone.localdate()
    goal_problems: dict[int, str | None] = {}
    periods: dict[tuple[str, str], Period | None] = {}
    seen: dict[tuple[int, str], int] = {}
    for row in rows:
        # The usual row (a known person's goal by indicator) is found here; any other
        # goes through _find_goal, which also names what is wrong with it.
        found = None
        if not row.goal_ref:
            employee_id = employees.get(row.employee_number)
            indicator_id = indicators.get(row.indicator_code)
            if employee_id is not None and indicator_id is not None:
                pair = (employee_id, indicator_id)
                found = None if pair in several else by_pair.get(pair)
        if found is not None:
            goal = found
        else:
            goal = _find_goal(row, cycle, lookup, errors)
            if goal is None:
                continue
        problem = goal_problems.get(goal.pk, False)
        if problem is False:
            problem = goal_problems[goal.pk] = _goal_problem(goal)
        key = (goal.measurement_period, row.period)
        period = periods.get(key, False)
        if period is False:
            try:
                period = clean_period(goal, row.period, today=today)  # type: ignore[arg-type]
            except CellError:
                period = None
            periods[key] = period
        value = None
        if period is not None and problem is None:
            try:
                value = clean_value(goal, row.value)  # type: ignore[arg-type]
            except CellError:
                value = None
        note = row.note.strip() if row.note else ""
        if period is None or value is None or len(note) > NOTE_MAX:
            _name_problems(row, goal, errors, today)
            continue
        seen_key = (goal.pk, period.key)
        line = seen.setdefault(seen_key, row.line)
        if line != row.line:
            errors.append(
                RowError(
                    row.line,
                    "period",
                    _("%(goal)s, %(period)s already appears on line %(line)d.")
                    % {"goal": goal.title, "period": period.key, "line": line},
                )
            )
            continue
        yield Value(row, goal, period, value, note)


def _check(
    cycle: Cycle, rows: Sequence[Row], *, today: dt.date | None
) -> tuple[list[Value], list[RowError]]:
    """Resolve and check every row in a fixed number of queries; collect every problem."""
    errors: list[RowError] = []
    values = list(_checked(_lookup(cycle, *_referred(rows)), rows, errors, today=today))
    return values, errors


def _name_problems(row: Row, goal: GoalFacts, errors: list[RowError], today: dt.date) -> None:
    """The problems of a row that did not pass, each in its column, from ``clean_item``."""
    _item, problems = clean_item(
        goal,  # type: ignore[arg-type]  # has the fields it reads
        period=row.period,
        value=row.value,
        note=row.note,
        today=today,
    )
    for column, message in problems.items():
        column = "goal_ref" if column == "goal" and row.goal_ref else column
        if column == "goal":
            column = "indicator_code"
        errors.append(RowError(row.line, column, message))


def check_rows(cycle: Cycle, rows: Sequence[Row], *, today: dt.date | None = None) -> Checked:
    """Resolve and check every row in a fixed number of queries; collect every problem.
    The items carry their goals, ready for ``actuals_write``."""
    values, errors = _check(cycle, rows, today=today)
    goals = Goal.objects.select_related("cycle", "indicator").in_bulk(
        list({v.goal.pk for v in values})
    )
    return Checked(
        items=[(v.row, ActualItem(goals[v.goal.pk], v.period, v.value, v.note)) for v in values],
        errors=errors,
    )


def _find_goal(row: Row, cycle: Cycle, lookup: Lookup, errors: list[RowError]) -> GoalFacts | None:
    employees, indicators = lookup.employees, lookup.indicators
    by_ref, by_pair = lookup.by_ref, lookup.by_pair
    if row.goal_ref:
        goal = by_ref.get(row.goal_ref)
        if goal is None:
            errors.append(
                RowError(
                    row.line,
                    "goal_ref",
                    _("No goal %(ref)s in %(cycle)s.") % {"ref": row.goal_ref, "cycle": cycle.name},
                )
            )
        elif row.indicator_code and goal.indicator_code != row.indicator_code:
            errors.append(
                RowError(
                    row.line,
                    "indicator_code",
                    _("Goal %(ref)s is not measured by indicator %(code)s.")
                    % {"ref": row.goal_ref, "code": row.indicator_code},
                )
            )
            return None
        return goal
    ok = True
    if not row.employee_number:
        errors.append(
            RowError(row.line, "employee_number", _("Give an employee number or a goal reference."))
        )
        ok = False
    elif row.employee_number not in employees:
        errors.append(
            RowError(
                row.line,
                "employee_number",
                _("Unknown employee %(number)s.") % {"number": row.employee_number},
            )
        )
        ok = False
    if not row.indicator_code:
        errors.append(RowError(row.line, "indicator_code", _("This value is required.")))
        ok = False
    elif row.indicator_code not in indicators:
        errors.append(
            RowError(
                row.line,
                "indicator_code",
                _("Unknown indicator %(code)s.") % {"code": row.indicator_code},
            )
        )
        ok = False
    if not ok:
        return None
    pair = (employees[row.employee_number], indicators[row.indicator_code])
    found = by_pair.get(pair)
    if found is None or pair in lookup.several:
        message = (
            _("%(number)s has no goal with indicator %(code)s in %(cycle)s.")
            if found is None
            else _(
                "%(number)s has several goals with indicator %(code)s in %(cycle)s; use goal_ref."
            )
        )
        errors.append(
            RowError(
                row.line,
                "indicator_code",
                message
                % {"number": row.employee_number, "code": row.indicator_code, "cycle": cycle.name},
            )
        )
        return None
    return found


class File(NamedTuple):
    """A file's rows, column by column, in the order of ``Row``'s fields."""

    lines: list[int]
    employee_number: list[str]
    indicator_code: list[str]
    goal_ref: list[str]
    period: list[str]
    value: list[str]
    note: list[str]

    def rows(self) -> list[Row]:
        return list(map(Row, *self))


class Chunk(NamedTuple):
    """Checked rows, in file order, a column each: what ``_write`` needs."""

    goals: list[GoalFacts]
    periods: list[Period]
    values: list[Decimal]
    notes: list[str]


CHUNK_ROWS = 50_000
_PK = attrgetter("pk")
_HOW = attrgetter("measurement_period")
_KIND = attrgetter("kind")
_KEY = attrgetter("key")
_START = attrgetter("start")


def _chunks(values: Iterable[Value]) -> Iterator[Chunk]:
    """``values`` (checked one row at a time) as chunks."""
    it = iter(values)
    while piece := list(islice(it, CHUNK_ROWS)):
        yield Chunk(
            [v.goal for v in piece],
            [v.period for v in piece],
            [v.value for v in piece],
            [v.note for v in piece],
        )


def _checked_file(
    lookup: Lookup, file: File, errors: list[RowError], *, today: dt.date | None
) -> Iterator[Chunk]:
    """The file's rows checked ``CHUNK_ROWS`` at a time, column by column: each rule runs
    over a whole column (``_fast``) rather than once per cell, and the rows are written
    while the next chunk is checked. A chunk with any row that does not pass — or
    anything the column checks leave to the row checks (a goal reference, a pair with
    several goals) — sends the whole file through ``_checked``, which checks row by row
    and names every problem; chunks already yielded are not yielded again."""
    today = today or timezone.localdate()
    seen: dict[tuple[int, str], int] = {}
    periods: dict[tuple[str, str], Period | None] = {}
    for start in range(0, len(file.lines), CHUNK_ROWS):
        chunk = _fast(lookup, file, slice(start, start + CHUNK_ROWS), seen, periods, today)
        if chunk is None:
            named = {e.line for e in errors}  # a cell too long: named already, once
            rows = [row for row in file.rows() if row.line not in named]
            values = list(_checked(lookup, rows, errors, today=today))
            if not errors:  # all pass after all: the rest, as checked row by row
                yield from _chunks(values[start:])
            return
        yield chunk


def _fast(
    lookup: Lookup,
    file: File,
    piece: slice,
    seen: dict[tuple[int, str], int],
    periods: dict[tuple[str, str], Period | None],
    today: dt.date,
) -> Chunk | None:
    """The rows ``piece`` of ``file`` checked a column at a time by the same rules as
    ``_checked`` (goal found by employee and indicator, ``check_goal`` once per kind of
    goal, ``clean_period`` once per distinct text, ``clean_values`` over the column, each
    goal and period once in the file); None when any row does not pass them all."""
    if any(file.goal_ref[piece]):
        return None
    employees, indicators, several = lookup.employees.get, lookup.indicators.get, lookup.several
    pairs = list(
        zip(
            map(employees, file.employee_number[piece]),
            map(indicators, file.indicator_code[piece]),
            strict=True,
        )
    )
    goals = list(map(lookup.by_pair.get, pairs))
    if None in goals or (several and not several.isdisjoint(pairs)):
        return None
    # check_goal reads a goal's kind and its cycle, and every goal here is of one cycle.
    if any(
        _goal_problem(goal) for goal in dict(zip(map(_KIND, goals), goals, strict=True)).values()
    ):
        return None
    keys = list(zip(map(_HOW, goals), file.period[piece], strict=True))
    new = set(keys).difference(periods)
    if new:
        # clean_period reads a goal's measurement period and its cycle only.
        example = dict(zip(map(_HOW, goals), goals, strict=True))
        for how, text in new:
            try:
                periods[how, text] = clean_period(example[how], text, today=today)  # type: ignore[arg-type]
            except CellError:
                periods[how, text] = None
    found = list(map(periods.__getitem__, keys))
    if None in found:
        return None
    values = clean_values(goals, file.value[piece])  # type: ignore[arg-type]
    if values is None:
        return None
    marks = list(zip(map(_PK, goals), map(_KEY, found), strict=True))
    before = len(seen)
    seen.update(zip(marks, file.lines[piece], strict=True))
    if len(seen) != before + len(marks):  # a goal and period twice
        return None
    return Chunk(goals, found, values, file.note[piece])


def _report(kind: str, file: File, dry_run: bool, outcomes: list[str]) -> ImportReport:
    """What the import did (or would do), from each row's outcome in file order; each
    row's change is made when it is read (``Changes``)."""
    report = ImportReport(kind, len(file.lines), dry_run)
    counts = Counter(outcomes)
    report.created, report.updated = counts[Outcome.CREATED], counts[Outcome.REVISED]
    report.unchanged = counts[Outcome.UNCHANGED]
    actions = {Outcome.CREATED: "create", Outcome.REVISED: "update"}

    def change(index: int) -> dict[str, Any]:
        ref, number, code = (
            file.goal_ref[index],
            file.employee_number[index],
            file.indicator_code[index],
        )
        return {
            "line": file.lines[index],
            "key": f"{ref or f'{number} {code}'} {file.period[index]}".strip(),
            "action": actions[outcomes[index]],
            "fields": ["value"],
        }

    unchanged = Outcome.UNCHANGED
    report.changes = Changes(
        [index for index, outcome in enumerate(outcomes) if outcome != unchanged], change
    )
    return report


Current = dict[int, dict[str, tuple[int | None, Decimal, int, dt.date]]]


# A file naming more goals than this reads its cycle's current actuals through a join on
# the cycle rather than a list of the goals' ids: a whole cycle of 500,000 goals (1,500,000
# actuals) in ~2.5 s instead of ~4.4 s. The goals not named are read too; nothing uses them.
# The join is bounded by the named goals' lowest and highest ids (a cycle's goals are
# mostly made together, so their ids are close): the index on the actuals' goal is read
# over that range only, not the whole table with every other cycle's actuals (the first
# import of a new cycle of 500,000 goals beside one with 1,500,000 actuals: 650 ms → 1 ms).
CURRENT_BY_CYCLE = 50_000


def _current(lookup: Lookup) -> Current:
    """Every current actual of the goals ``lookup`` found (and, for a file naming most of
    a cycle, of its other goals): goal → period → (id, value, revision, first day), in
    one query."""
    current: Current = {}
    actuals = Actual.objects.current()
    if len(lookup.goal_ids) > CURRENT_BY_CYCLE:
        actuals = actuals.filter(
            goal__cycle=lookup.cycle,
            goal_id__gte=min(lookup.goal_ids),
            goal_id__lte=max(lookup.goal_ids),
        )
    else:
        actuals = actuals.filter(AnyOf(F("goal_id"), lookup.goal_ids, integers=True))
    for pk, goal_id, period, value, revision, start in actuals.order_by().values_list(
        "pk", "goal_id", "period", "value", "revision", "period_start"
    ):
        current.setdefault(goal_id, {})[period] = (pk, value, revision, start)
    return current


def _preview(lookup: Lookup, chunks: Iterable[Chunk]) -> list[str]:
    """What writing ``chunks`` would do, row by row, without writing (one query)."""
    current = _current(lookup)
    outcomes = []
    for chunk in chunks:
        for goal, period, value in zip(chunk.goals, chunk.periods, chunk.values, strict=True):
            old = current.get(goal.pk, {}).get(period.key)
            if old is None:
                outcomes.append(Outcome.CREATED)
            else:
                outcomes.append(Outcome.UNCHANGED if old[1] == value else Outcome.REVISED)
    return outcomes


ACTUAL_NAMES = ["goal_id", "period", "period_start", "value", "note", "revision"]


def _write(
    *, actor: Any, lookup: Lookup, chunks: Iterable[Chunk], errors: list[RowError], batch: str
) -> list[str]:
    """Write a file's checked rows, as ``actuals_write`` would, in bulk statements: a
    different value becomes a new revision (the old row stays, no longer current), an
    equal one is skipped, and the goals' current values are recomputed. The goals were
    locked when they were read (``_lookup(lock=True)``, same transaction). Returns each
    row's outcome, in file order.

    ``chunks`` are written as they are checked (``_checked_file``): new periods stream
    into one ``COPY`` while the rest of the file is still being checked, so the
    database works on one core while the check runs on the other. Once any row has a
    problem nothing more is sent; the caller rejects the file and its transaction takes
    back what was written. New revisions wait until the rows they replace are retired
    (one current row per goal and period). The import's summary event is its audit
    trail: each row written says who entered it, when, and from which file (``batch``)."""
    user_id = actor.pk if getattr(actor, "pk", None) else None
    now = timezone.now()
    current = _current(lookup)
    outcomes: list[str] = []
    retired: list[int] = []
    revisions: list[tuple[Any, ...]] = []
    goals: dict[int, GoalFacts] = {}
    created, revised, unchanged = Outcome.CREATED, Outcome.REVISED, Outcome.UNCHANGED
    # Each period's first day as the text the database stores, made once per period: a
    # date would be formatted again on every row (by SQLite's adapter, or for COPY).
    start_texts: dict[str, str] = {}
    had = frozenset(current)  # the goals with a value before the file

    def all_new(chunk: Chunk, pks: list[int]) -> Iterator[tuple[Any, ...]]:
        """A chunk none of whose goals had a value: every row is a new period (a goal and
        period appear once in a file), taken a column at a time."""
        keys = list(map(_KEY, chunk.periods))
        for key, period in dict(zip(keys, chunk.periods, strict=True)).items():
            start_texts.setdefault(key, str(period.start))
        for pk, key, value, start in zip(
            pks, keys, chunk.values, map(_START, chunk.periods), strict=True
        ):
            periods = current.get(pk)
            if periods is None:
                periods = current[pk] = {}
            periods[key] = (None, value, 1, start)
        goals.update(zip(pks, chunk.goals, strict=True))
        outcomes.extend(repeat(created, len(pks)))
        if not errors:
            starts = map(start_texts.__getitem__, keys)
            yield from zip(pks, keys, starts, chunk.values, chunk.notes, repeat(1))

    def new_periods() -> Iterator[tuple[Any, ...]]:
        for chunk in chunks:
            pks = list(map(_PK, chunk.goals))
            if had.isdisjoint(pks):
                yield from all_new(chunk, pks)
                continue
            for goal, period, value, note in zip(*chunk, strict=True):
                pk, key = goal.pk, period.key
                periods = current.get(pk)
                if periods is None:
                    periods = current[pk] = {}
                old = periods.get(key)
                if old is not None and old[1] == value:
                    outcomes.append(unchanged)
                    continue
                revision = old[2] + 1 if old is not None else 1
                periods[key] = (None, value, revision, period.start)
                goals[pk] = goal
                start = start_texts.get(key) or start_texts.setdefault(key, str(period.start))
                row = (pk, key, start, value, note, revision)
                if old is None:
                    outcomes.append(created)
                    if not errors:
                        yield row
                    continue
                outcomes.append(revised)
                if old[0] is not None:
                    retired.append(old[0])
                revisions.append(row)
        # Every row is checked and none has a problem: the goals' new current values are
        # worked out here, while the server is still writing the rows queued before
        # (``insert_rows(queued=True)``), not after it has finished.
        if not errors:
            changed.extend(_changed(goals, current))

    changed: list[tuple[int, Decimal | None]] = []
    constants = {
        "source": ActualSource.IMPORTED,
        "entered_by_id": user_id,
        "entered_at": now,
        "is_current": True,
        "batch": batch[:80],
    }
    insert_rows(Actual, ACTUAL_NAMES, new_periods(), constants=constants, now=now, queued=True)
    if errors:
        return outcomes
    if retired:
        Actual.objects.filter(AnyOf(F("pk"), retired, integers=True)).update(is_current=False)
    insert_rows(Actual, ACTUAL_NAMES, revisions, constants=constants, now=now)
    # The goals' scoring stamp is bumped here rather than by the trigger, row by row.
    update_rows(Goal, ["id", "current_value"], changed, expressions=STAMP_BUMP)
    return outcomes


def _changed(goals: dict[int, GoalFacts], current: Current) -> list[tuple[int, Decimal | None]]:
    """(id, new ``current_value``) of each of ``goals`` whose value changes, in id order:
    its current period values (``current``, as written) combined by its rule as
    ``actuals.goals_recompute`` does (periods in order of their first day, quantized)."""
    changed = []
    for goal_id in sorted(goals):
        facts = goals[goal_id]
        periods = current[goal_id]
        # The usual goal early in a cycle, or one whose rule needs no order: as they are.
        if len(periods) == 1 or facts.aggregation not in ORDERED_AGGREGATIONS:
            values = [value for _pk, value, _r, _start in periods.values()]
        elif len(periods) == 2:
            (first, (_p, a, _r, a_start)), (second, (_q, b, _s, b_start)) = periods.items()
            values = [a, b] if (a_start, first) <= (b_start, second) else [b, a]
        else:
            values = [
                value
                for _start, _period, value in sorted(
                    (start, period, value) for period, (_pk, value, _r, start) in periods.items()
                )
            ]
        combined = combine(values, facts.aggregation)
        if combined is not None:
            combined = combined.quantize(PLACES, rounding=ROUND_HALF_UP)
        if combined != facts.current_value:
            changed.append((goal_id, combined))
    return changed


# The file's columns, in the order of ``Row``'s fields after ``line``, and the longest
# text each takes (period and value have none of their own: their parsers judge them).
_FILE_LIMITS: dict[str, int | None] = {
    "employee_number": 32,
    "indicator_code": 40,
    "goal_ref": 64,
    "period": None,
    "value": None,
    "note": NOTE_MAX,
}
_PARSERS = {
    name: partial(parse_text, max_length=limit)
    for name, limit in _FILE_LIMITS.items()
    if limit is not None
}


def _too_long(file: File) -> bool:
    return any(
        limit is not None and max(map(len, column), default=0) > limit
        for column, limit in zip(file[1:], _FILE_LIMITS.values(), strict=True)
    )


def _parsed_row(line: int, *cells: str, errors: list[RowError]) -> Row:
    """A row of a file with a cell too long somewhere: ``parse_text`` names it."""
    named = dict(zip(_FILE_LIMITS, cells, strict=True))
    reader = RowReader(line, named, errors)
    return Row(
        line,
        *(
            reader.get(name, _PARSERS[name]) if name in _PARSERS else cell
            for name, cell in named.items()
        ),
    )


@without_gc()
def actuals_import(
    *,
    actor: Any,
    cycle: Cycle,
    data: bytes,
    filename: str = "",
    dry_run: bool = False,
    today: dt.date | None = None,
) -> ImportReport:
    """Import a file of actuals into ``cycle``: all rows or none."""
    table = read_table(
        data, filename=filename, columns=ACTUAL_COLUMNS, required=["period", "value"]
    )
    if "goal_ref" not in table.columns and not {"employee_number", "indicator_code"} <= set(
        table.columns
    ):
        raise ValidationFailed(
            _("The file's header row has problems."),
            code="bad_header",
            details={
                "errors": [
                    RowError(
                        1,
                        "employee_number",
                        _("Give employee_number and indicator_code columns, or goal_ref."),
                    ).as_dict()
                ]
            },
        )
    errors: list[RowError] = []
    file = File(table.lines, *(table.column(name) for name in _FILE_LIMITS))
    table.release()  # the columns hold what is needed now
    if _too_long(file):  # the parsers name each such cell, and the file is refused below
        file = File(
            *zip(
                *(_parsed_row(*cells, errors=errors) for cells in zip(*file, strict=True)),
                strict=True,
            )
        )
    referred = (_named(file.employee_number), _named(file.indicator_code), _named(file.goal_ref))
    if dry_run:
        lookup = _lookup(cycle, *referred)
        problems = list(errors)
        outcomes = _preview(lookup, _checked_file(lookup, file, problems, today=today))
        if problems:
            raise rejected(problems, rows=len(file.lines))
        report = _report(KIND, file, True, outcomes)
    else:
        with transaction.atomic(), audit_context(source="import"):
            more_memory()
            lookup = _lookup(cycle, *referred, lock=True)
            problems = list(errors)  # a row too long stops the writing at once
            outcomes = _write(
                actor=actor,
                lookup=lookup,
                chunks=_checked_file(lookup, file, problems, today=today),
                errors=problems,
                batch=f"file:{filename}",
            )
            if problems:
                raise rejected(problems, rows=len(file.lines))
            report = _report(KIND, file, False, outcomes)
            report.file_format, report.encoding = table.format, table.encoding
            record_import(actor, KIND, filename, data, report, cycle=cycle.pk)
    report.file_format, report.encoding = table.format, table.encoding
    return report


# API batches ------------------------------------------------------------------------------


def payload_digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def batch_errors(errors: Sequence[RowError]) -> list[dict[str, Any]]:
    """Row errors of a batch, by item index (rows are numbered from 0 in a batch)."""
    return [
        {"index": e.line, "field": e.column, "message": e.message}
        for e in sorted(errors, key=lambda e: (e.line, e.column))
    ]


def actuals_batch(
    *,
    actor: Any,
    cycle: Cycle,
    key: str,
    items: Sequence[dict[str, Any]],
    today: dt.date | None = None,
) -> tuple[int, dict[str, Any]]:
    """Write a batch of items once per idempotency key: (status, response body).

    A retry with the same key and payload answers the stored response and writes
    nothing; the same key with a different payload raises ``Conflict``. A batch with
    any bad item raises ``ValidationFailed`` listing each by index, and is not kept
    under its key, so the corrected batch may reuse it.
    """
    key = key.strip()
    if not key or len(key) > 120:
        raise ValidationFailed(
            _("Send an Idempotency-Key header of 1 to 120 characters."), code="idempotency_key"
        )
    digest = payload_digest({"cycle": cycle.pk, "items": list(items)})
    stored = ActualBatch.objects.filter(user=actor, key=key).first()
    if stored is not None:
        return _replay(stored, digest)
    rows = [
        Row(
            line=index,
            employee_number=str(item.get("employee_number") or "").strip(),
            indicator_code=str(item.get("indicator_code") or "").strip(),
            goal_ref=str(item.get("goal_ref") or "").strip(),
            period=str(item.get("period") or ""),
            value=item.get("value"),
            note=str(item.get("note") or ""),
        )
        for index, item in enumerate(items)
    ]
    checked = check_rows(cycle, rows, today=today)
    if checked.errors:
        raise ValidationFailed(
            _("%(count)d problem(s) in the batch; nothing was written.")
            % {"count": len(checked.errors)},
            code="batch_rejected",
            details={"errors": batch_errors(checked.errors)},
        )
    try:
        with transaction.atomic():
            record = ActualBatch.objects.create(
                user=actor, key=key, payload_sha256=digest, response={}
            )
            written = actuals_write(
                actor=actor,
                items=[i for _r, i in checked.items],
                source=ActualSource.API,
                batch=f"api:{key}"[:80],
            )
            body = {
                "key": key,
                "cycle_id": cycle.pk,
                "created": sum(w.outcome == Outcome.CREATED for w in written),
                "revised": sum(w.outcome == Outcome.REVISED for w in written),
                "unchanged": sum(w.outcome == Outcome.UNCHANGED for w in written),
                "items": [
                    {
                        "index": row.line,
                        "goal_id": w.item.goal.pk,
                        "period": w.item.period.key,
                        "outcome": w.outcome,
                        "actual_id": w.actual.pk,
                        "revision": w.actual.revision,
                    }
                    for (row, _i), w in zip(checked.items, written, strict=True)
                ],
            }
            record.response = {"status": 201, "body": body}
            record.save(update_fields=["response"])
    except IntegrityError:
        # The same key arrived twice at once; the other request won.
        stored = ActualBatch.objects.filter(user=actor, key=key).first()
        if stored is None:
            raise
        return _replay(stored, digest)
    return 201, body


def _replay(stored: ActualBatch, digest: str) -> tuple[int, dict[str, Any]]:
    if stored.payload_sha256 != digest:
        raise Conflict(
            _("This Idempotency-Key was already used with a different payload."),
            code="idempotency_conflict",
        )
    return int(stored.response.get("status", 200)), stored.response.get("body", {})

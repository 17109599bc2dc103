"""What the scoring service reads, in a fixed number of set-based queries whatever the
cycle's size: the participants, their goals (with key results and overrides), the mean
rating per person × source × competency and the review forms per person × source.

Nothing here scores anything: ``evaluation.scores`` does the arithmetic. The rows come
back as plain tuples rather than model instances, because a 100,000-person cycle has half
a million goals and six million ratings, and building an object for each costs more than
the database takes to read them.

Ratings: one query groups the submitted ratings by person and source and returns each
group's ``item:value`` pairs as one string (``group_concat`` / ``string_agg``), so that
the database reads and groups the rating rows once, in the same pass as a plain
``GROUP BY`` of the same rows, and Python only splits short strings. The means are kept
as whole hundredths (``mean_h = round_half_up(100 × total ÷ n)``), which is exactly the
two-place mean the breakdown shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, models
from django.db.models import Count, QuerySet

from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.evaluation import reliability
from perfcycle.evaluation.models import FormStatus, GoalScoreOverride, Rating, ReviewForm
from perfcycle.imports.bulk import among
from perfcycle.planning.models import Goal, GoalKind, KeyResult, OwnerType
from perfcycle.planning.scoring import RULES_VERSION, RuleType

# Only raters of at least this many people are normalised: one person's ratings say
# nothing about how lenient their rater is.
NORMALISE_MIN_RATEES = 3


def half_up(num: int, den: int) -> int:
    """``num ÷ den`` rounded to a whole number, halves away from zero (``ROUND_HALF_UP``),
    exactly: the scoring service keeps every two-place value as whole hundredths."""
    if den < 0:
        num, den = -num, -den
    if num >= 0:
        return (2 * num + den) // (2 * den)
    return -((-2 * num + den) // (2 * den))


def hundredths(value: Decimal) -> int:
    """A two-place decimal (weights, points) as whole hundredths."""
    return int(value.scaleb(2))


_DECIMALS: dict[int, Decimal] = {}


def decimal(value_h: int) -> Decimal:
    """Whole hundredths back to a two-place ``Decimal`` (``345`` → ``3.45``). Scores take
    few distinct values (0.00–100.00 and a little beyond), each made once per process."""
    found = _DECIMALS.get(value_h)
    if found is None:
        found = Decimal(value_h).scaleb(-2)
        if len(_DECIMALS) < 100_000:
            _DECIMALS[value_h] = found
    return found


@dataclass(frozen=True, slots=True)
class Person:
    employee_id: int
    name: str
    number: str
    department: str


def people(cycle: Cycle, ids: Sequence[int] | None) -> list[Person]:
    """The cycle's participants (or those among ``ids``), by name."""
    rows = CycleParticipant.objects.filter(cycle=cycle)
    if ids is not None:
        rows = rows.filter(employee_id__in=ids)
    return [
        Person(emp_id, name, number, department or "")
        for emp_id, name, number, department in rows.order_by(
            "employee__name", "employee_id"
        ).values_list(
            "employee_id", "employee__name", "employee__employee_number", "department__name"
        )
    ]


# --- Goals --------------------------------------------------------------------------------

GOAL_FIELDS = (
    "id",
    "employee_id",
    "title",
    "kind",
    "weight",
    "unit",
    "target",
    "current_value",
    "direction",
    "baseline",
    "threshold",
    "stretch",
    "rule_type",
    "rule_floor",
    "rule_cap",
    "threshold_points",
    "done_at",
    "due_date",
    "score_override__points",
    "score_override__reason",
    "score_override__by__username",
    "score_override__by__first_name",
    "score_override__by__last_name",
    "inputs_stamp",
)


class GoalRow(NamedTuple):
    """A goal as the scoring service needs it (a tuple: half a million of them are read
    for a large cycle). The field names are the model's, so that ``Goal.rule`` and
    ``Goal.standard`` build its rule and standard from it."""

    pk: int
    employee_id: int
    title: str
    kind: str
    weight: Decimal
    unit: str
    target: Decimal | None
    current_value: Decimal | None
    direction: str
    baseline: Decimal | None
    threshold: Decimal | None
    stretch: Decimal | None
    rule_type: str
    rule_floor: Decimal
    rule_cap: Decimal
    threshold_points: Decimal
    done_at: Any
    due_date: Any
    override_points: Decimal | None
    override_reason: str | None
    override_username: str | None
    override_first_name: str | None
    override_last_name: str | None
    inputs_stamp: int
    bands: tuple[tuple[Any, Any], ...] | None = None  # read only for banded rules
    key_results: tuple[KeyResultRow, ...] = ()

    rule = Goal.rule
    standard = Goal.standard

    @property
    def rule_key(self) -> tuple[Any, ...]:
        return (self.rule_type, self.rule_floor, self.rule_cap, self.threshold_points, self.bands)

    @property
    def override_by(self) -> str:
        name = f"{self.override_first_name or ''} {self.override_last_name or ''}".strip()
        return name or self.override_username or ""


@dataclass(slots=True)
class KeyResultRow:
    title: str
    weight: Decimal
    target: Decimal
    direction: str
    baseline: Decimal | None
    current_value: Decimal | None

    standard = KeyResult.standard


def _field(model: type[models.Model], lookup: str) -> models.Field:
    *path, name = lookup.split("__")
    for step in path:
        model = model._meta.get_field(step).related_model  # type: ignore[assignment]
    return model._meta.get_field("id" if name == "pk" else name)  # type: ignore[return-value]


def _sqlite_reader(field: models.Field) -> Callable[[Any], Any] | None:
    """How one column's SQLite value becomes what the ORM would give (``None``: as is)."""
    if isinstance(field, models.DecimalField):
        exponent = Decimal(1).scaleb(-field.decimal_places)

        def read_decimal(value: Any) -> Decimal | None:
            if value is None:
                return None
            exact = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
            return exact.quantize(exponent)

        return read_decimal
    if isinstance(field, models.DateTimeField):
        return lambda value: connection.ops.convert_datetimefield_value(value, None, connection)
    if isinstance(field, models.DateField):
        return lambda value: connection.ops.convert_datefield_value(value, None, connection)
    return None


def values_rows(queryset: QuerySet[Any], fields: Sequence[str]) -> list[tuple[Any, ...]]:
    """``queryset.values_list(*fields)`` without the ORM's per-value conversion, which
    costs more than the query on half a million rows: PostgreSQL's driver already gives
    ``Decimal``, ``date`` and aware ``datetime``; SQLite's numbers and dates are
    converted here, only in the columns that need it, exactly as the ORM would."""
    sql, params = queryset.values_list(*fields).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor != "sqlite":
        return rows
    readers = [_sqlite_reader(_field(queryset.model, name)) for name in fields]
    converted = [(i, read) for i, read in enumerate(readers) if read is not None]
    if not converted:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i, read in converted:
            values[i] = read(values[i])
        out.append(tuple(values))
    return out


def _goal_rows(cycle: Cycle, ids: Sequence[int] | None) -> QuerySet[Goal]:
    rows = Goal.objects.filter(cycle=cycle, owner_type=OwnerType.EMPLOYEE)
    if ids is not None:
        rows = rows.filter(employee_id__in=among(ids, integers=True))
    return rows


# A goal as scoring a whole cycle first reads it, a plain tuple (half a million of them):
# (id, employee id, weight in hundredths, the points the database keeps in hundredths or
# None, 1 if those points are valid for the current rules of a KPI goal else 0 — then the
# points must be worked out from the goal's inputs —, and the title of a kept goal
# without points, for its message, else None).
GoalWeight = tuple[int, int, int, int | None, int, str | None]


def goal_weights(cycle: Cycle, ids: Sequence[int] | None) -> dict[int, list[GoalWeight]]:
    """Each person's goals in creation order, with the points kept in the goal rows
    (``Goal.cached_points``, valid for ``RULES_VERSION``): one narrow query."""
    weight_h = "CAST(ROUND(weight * 100) AS BIGINT)"
    points_h = "CAST(ROUND(cached_points * 100) AS BIGINT)"
    kept = f"kind = '{GoalKind.KPI.value}' AND cached_rules = %s"
    title = f"CASE WHEN {kept} AND cached_points IS NULL THEN title END"
    kept = f"CASE WHEN {kept} THEN 1 ELSE 0 END"
    sql, params = (
        _goal_rows(cycle, ids)
        .order_by("id")
        .values_list("id", "employee_id")
        .query.sql_with_params()
    )
    head, tail = sql.split(" FROM ", 1)
    sql = f"{head}, {weight_h}, {points_h}, {kept}, {title} FROM {tail}"
    by_person: dict[int, list[GoalWeight]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [RULES_VERSION, RULES_VERSION, *params])
        for row in cursor.fetchall():
            by_person[row[1]].append(row)
    return by_person


def goal_overrides(cycle: Cycle, ids: Sequence[int] | None) -> dict[int, Decimal]:
    """Goal id → the points a manager set instead of the rule's."""
    rows = GoalScoreOverride.objects.filter(goal__cycle=cycle, goal__owner_type=OwnerType.EMPLOYEE)
    if ids is not None:
        rows = rows.filter(goal__employee_id__in=among(ids, integers=True))
    return dict(rows.values_list("goal_id", "points"))


def goals(
    cycle: Cycle, ids: Sequence[int] | None, *, goal_ids: Sequence[int] | None = None
) -> dict[int, list[GoalRow]]:
    """Each person's goals in the cycle (only ``goal_ids`` when given), in creation order:
    one query, and one each for the bands of banded rules and the key results of OKRs when
    there are any."""
    rows = _goal_rows(cycle, ids)
    if goal_ids is not None:
        rows = rows.filter(pk__in=among(goal_ids, integers=True))
    by_person: dict[int, list[GoalRow]] = defaultdict(list)
    # goal id → (the person's list, position in it), for the few goals completed below
    later: dict[int, tuple[list[GoalRow], int]] = {}
    banded = okr = False
    # By id (the primary key's order, no sort): each person's goals in creation order.
    for values in values_rows(rows.order_by("id"), GOAL_FIELDS):
        goal = GoalRow(*values)
        own = by_person[goal.employee_id]
        if goal.kind == GoalKind.OKR or goal.rule_type == RuleType.BANDED:
            later[goal.pk] = (own, len(own))
            okr = okr or goal.kind == GoalKind.OKR
            banded = banded or goal.rule_type == RuleType.BANDED
        own.append(goal)

    def complete(goal_id: int, **changes: Any) -> None:
        own, position = later[goal_id]
        own[position] = own[position]._replace(**changes)

    if banded:
        for goal_id, bands in rows.filter(rule_type=RuleType.BANDED).values_list("id", "bands"):
            if goal_id in later:
                complete(goal_id, bands=tuple(tuple(band) for band in bands or ()))
    if okr:
        krs = KeyResult.objects.filter(goal__cycle=cycle, goal__kind=GoalKind.OKR)
        if ids is not None:
            krs = krs.filter(goal__employee_id__in=ids)
        found: dict[int, list[KeyResultRow]] = defaultdict(list)
        for goal_id, *values in krs.order_by("goal_id", "position", "id").values_list(
            "goal_id", "title", "weight", "target", "direction", "baseline", "current_value"
        ):
            found[goal_id].append(KeyResultRow(*values))
        for goal_id, key_results in found.items():
            if goal_id in later:
                complete(goal_id, key_results=tuple(key_results))
    return by_person


# --- Ratings and forms --------------------------------------------------------------------

# A competency's ratings from one source are read as one number: Σ(value + PACK) =
# total + PACK × count (values are small and a source has far fewer than PACK raters).
PACK = 1 << 20


class SourceRatings:
    """One person's ratings from one source: per competency the two-place mean (in
    hundredths) and the number of ratings, and the source's score."""

    __slots__ = ("_items", "_layout", "_means", "_packed", "score_h")

    def __init__(
        self,
        items: Sequence[int] = (),
        packed: Sequence[int | None] = (),
        means: dict[int, tuple[int, int]] | None = None,
        score_h: int | None = None,
        layout: _Layout | None = None,
    ) -> None:
        # ``packed``: per competency total + PACK × count, or with a ``layout`` its sums.
        self._items, self._packed, self._means, self._layout = items, packed, means, layout
        # Σ(weight × mean) ÷ Σ weights of the rated competencies (the plain mean when
        # their weights total 0), in hundredths; None when nothing is rated.
        self.score_h = score_h

    def means(self) -> dict[int, tuple[int, int]]:
        """Competency → (mean in hundredths, ratings), for the competencies rated."""
        if self._means is None and self._layout is not None:
            layout, found = self._layout, {}
            bits, per_sum, width = layout.value_bits, layout.per_sum, layout.width
            value_mask, count_mask = (1 << bits) - 1, (1 << layout.count_bits) - 1
            for i, item in enumerate(self._items):
                field = self._packed[i // per_sum] >> (i % per_sum * width)
                total, n = field & value_mask, (field >> bits) & count_mask
                if n:
                    found[item] = (half_up(100 * total, n), n)
            self._means = found
        if self._means is None:
            found = {}
            for item, packed in zip(self._items, self._packed, strict=True):
                if packed:
                    n, total = divmod(packed, PACK)
                    found[item] = (half_up(100 * total, n), n)
            self._means = found
        return self._means


def source_score_h(means: dict[int, tuple[int, int]], weights_h: dict[int, int]) -> int | None:
    """A source's score from its competency means, in hundredths (what the SQL of
    ``rating_means`` computes for the plain ratings)."""
    rated = [(weights_h[item], mean) for item, (mean, _n) in means.items() if item in weights_h]
    if not rated:
        return None
    den = sum(w for w, _m in rated)
    if den:
        return half_up(sum(w * m for w, m in rated), den)
    return half_up(sum(m for _w, m in rated), len(rated))


Means = dict[tuple[int, str], SourceRatings]


@dataclass(frozen=True)
class _Layout:
    """SQLite: several competencies' ratings summed in one integer. Each rating adds
    ``(value + 2^value_bits) << (position × width)``: per competency, its total in the low
    ``value_bits`` and its count above, which cannot carry into the next competency while
    every group has at most ``forms`` forms (one rating per competency each) and no value
    above ``top`` — both checked, the second in the same query."""

    forms: int
    top: int

    @property
    def value_bits(self) -> int:
        return (self.forms * self.top).bit_length()

    @property
    def count_bits(self) -> int:
        return self.forms.bit_length()

    @property
    def width(self) -> int:
        return self.value_bits + self.count_bits

    @property
    def per_sum(self) -> int:
        return 62 // self.width


def _layout(items: int, top: int, forms: int) -> _Layout | None:
    """How to pack the ratings on SQLite (``forms``: the most submitted forms any person
    has from one source), or None to sum each competency apart."""
    if connection.vendor != "sqlite" or items < 2:
        return None
    # Twice the count read a moment before: room for forms submitted in between.
    layout = _Layout(forms=2 * max(forms, 1), top=max(top, 1))
    if layout.per_sum < 2 or -(-items // layout.per_sum) > items // 2:
        return None
    return layout


def _packed_sql(
    weights_h: dict[int, int], ids: Sequence[int] | None, layout: _Layout | None = None
) -> tuple[str, list[int]]:
    """Per reviewee and source: each competency's packed sum, and the source score's
    numerator Σ(weight × mean), denominator Σ weight, Σ mean and the number of rated
    competencies, with mean = round_half_up(100 × total ÷ n) in whole hundredths. With a
    ``layout`` (SQLite) the competencies are summed several to an integer and unpacked
    per group; the last column is then the group's highest value, to check the layout."""
    rating, form = Rating._meta.db_table, ReviewForm._meta.db_table
    items = list(weights_h)
    packed = [f"p{i}" for i in range(len(items))]
    means = [
        f"((200 * ({p} %% {PACK}) + {p} / {PACK}) / NULLIF(2 * ({p} / {PACK}), 0))" for p in packed
    ]
    rated = [f"CASE WHEN {m} IS NULL THEN 0 ELSE 1 END" for m in means]
    num = " + ".join(
        f"COALESCE({weights_h[item]} * {m}, 0)" for item, m in zip(items, means, strict=True)
    )
    den = " + ".join(f"{weights_h[item]} * {r}" for item, r in zip(items, rated, strict=True))
    among = f" AND f.reviewee_id IN ({', '.join(['%s'] * len(ids))})" if ids is not None else ""
    grouped = (
        f"FROM {rating} r JOIN {form} f ON f.id = r.form_id "
        f"WHERE f.cycle_id = %s AND f.status = %s{among} GROUP BY f.reviewee_id, f.source"
    )
    if layout is None:
        if connection.vendor == "postgresql":
            column = f"SUM(r.value + {PACK}) FILTER (WHERE r.item_id = %s)"
        else:
            column = f"SUM((r.item_id = %s) * (r.value + {PACK}))"
        inner = ", ".join(f"{column} AS {p}" for p in packed)
        source = f"(SELECT f.reviewee_id AS e, f.source AS s, {inner} {grouped})"
    else:
        return _layout_sql(weights_h, items, grouped, layout), items
    sql = (
        f"SELECT e, s, {', '.join(packed)}, {num}, {den}, "  # noqa: S608 - generated from integers
        f"{' + '.join(f'COALESCE({m}, 0)' for m in means)}, {' + '.join(rated)} "
        f"FROM {source} x"
    )
    return sql, items


def _layout_sql(weights_h: dict[int, int], items: list[int], grouped: str, layout: _Layout) -> str:
    """Per reviewee and source: the packed sums (``_Layout``), the source score's parts as
    in ``_packed_sql`` and the group's highest value. Each step is materialised, so that
    SQLite unpacks every sum and works out every mean once per group, not once per use."""
    width, bits, k = layout.width, layout.value_bits, layout.per_sum
    value_mask, count_mask = (1 << bits) - 1, (1 << layout.count_bits) - 1
    sums, parts = [], []
    for start in range(0, len(items), k):
        part = items[start : start + k]
        x = f"x{len(sums)}"
        whens = " ".join(
            f"WHEN {int(item)} THEN (r.value + {1 << bits}) << {j * width}"
            for j, item in enumerate(part)
        )
        sums.append(f"SUM(CASE r.item_id {whens} ELSE 0 END) AS {x}")
        parts += [
            f"({x} >> {j * width}) & {value_mask} AS t{start + j}, "
            f"({x} >> {j * width + bits}) & {count_mask} AS n{start + j}"
            for j in range(len(part))
        ]
    xs = ", ".join(f"x{i}" for i in range(len(sums)))
    means = [f"(200 * t{i} + n{i}) / NULLIF(2 * n{i}, 0) AS m{i}" for i in range(len(items))]
    weighted = [(weights_h[item], f"m{i}") for i, item in enumerate(items)]
    num = " + ".join(f"COALESCE({w} * {m}, 0)" for w, m in weighted)
    den = " + ".join(f"{w} * ({m} IS NOT NULL)" for w, m in weighted)
    plain = " + ".join(f"COALESCE({m}, 0)" for _w, m in weighted)
    rated = " + ".join(f"({m} IS NOT NULL)" for _w, m in weighted)
    return (
        f"WITH g AS MATERIALIZED (SELECT f.reviewee_id AS e, f.source AS s, "  # noqa: S608
        f"{', '.join(sums)}, MAX(r.value) AS top {grouped}), "
        f"u AS MATERIALIZED (SELECT e, s, top, {xs}, {', '.join(parts)} FROM g), "
        f"m AS MATERIALIZED (SELECT e, s, top, {xs}, {', '.join(means)} FROM u) "
        f"SELECT e, s, {xs}, {num}, {den}, {plain}, {rated}, top FROM m"
    )


def rating_means(
    cycle: Cycle,
    weights_h: dict[int, int],
    ids: Sequence[int] | None,
    *,
    normalise: bool,
    top: int | None = None,
    forms: int = 0,
) -> Means:
    """(reviewee, source) → their ratings of the template's competencies (``weights_h``:
    competency → weight in hundredths) from submitted forms, and the source score. One
    pass over the ratings, grouped by person and source as a plain ``GROUP BY`` would,
    with one packed sum per competency (on SQLite, for a whole cycle, several competencies
    to a sum when ratings up to ``top`` from at most ``forms`` forms per person and
    source fit: ``_Layout``; ``None``: never); the score is worked out in the
    same query. With ``normalise``, each rater's ratings are z-normalised first
    (``reliability.normalise_ratings``), which needs every rating of the cycle."""
    if normalise:
        return _normalised_means(cycle, weights_h, ids)
    if (ids is not None and not ids) or not weights_h:
        return {}
    layout = None
    if ids is None and top is not None:
        layout = _layout(len(weights_h), top, forms)
    sql, items = _packed_sql(weights_h, ids, layout)
    params = [cycle.pk, FormStatus.SUBMITTED, *(ids or ())]
    with connection.cursor() as cursor:
        cursor.execute(sql, params if layout else [*items, *params])
        rows = cursor.fetchall()
    width = len(items)
    if layout is not None:
        if any(row[-1] > layout.top for row in rows):
            # A rating above the scale's top: sum each competency apart instead.
            return rating_means(cycle, weights_h, ids, normalise=False, top=None)
        rows = [row[:-1] for row in rows]
        width = -(-len(items) // layout.per_sum)
    found: Means = {}
    for row in rows:
        num, den, plain, rated = row[2 + width :]
        if not rated:
            score = None
        elif den:
            score = half_up(int(num), int(den))
        else:
            score = half_up(int(plain), int(rated))
        found[(row[0], row[1])] = SourceRatings(
            items, row[2 : 2 + width], score_h=score, layout=layout
        )
    return found


def _normalised_means(cycle: Cycle, weights_h: dict[int, int], ids: Sequence[int] | None) -> Means:
    template = cycle.template
    rows = list(
        Rating.objects.filter(form__cycle=cycle, form__status=FormStatus.SUBMITTED)
        .values_list("form__reviewer_id", "form__reviewee_id", "form__source", "item_id", "value")
        .order_by("id")
    )
    ratees: dict[int, set[int]] = defaultdict(set)
    for reviewer, reviewee, *_rest in rows:
        ratees[reviewer].add(reviewee)
    eligible = {r for r, found in ratees.items() if len(found) >= NORMALISE_MIN_RATEES}
    normalised = reliability.normalise_ratings(
        [
            (reviewer, (reviewee, source), item, value)
            for reviewer, reviewee, source, item, value in rows
        ],
        scale_min=template.rating_min,
        scale_max=template.rating_max,
        eligible_raters=eligible,
    )
    wanted = set(ids) if ids is not None else None
    # Each normalised rating to six places, in millionths; the mean of those to two.
    sums: dict[tuple[int, str], dict[int, list[int]]] = defaultdict(dict)
    for row in normalised:
        reviewee, source = row.ratee
        if wanted is not None and reviewee not in wanted:
            continue
        micro = int(Decimal(str(round(row.normalised, 6))).scaleb(6))
        entry = sums[(reviewee, source)].setdefault(row.item, [0, 0])
        entry[0] += micro
        entry[1] += 1
    found: Means = {}
    for key, items in sums.items():
        means = {item: (half_up(total, n * 10_000), n) for item, (total, n) in items.items()}
        found[key] = SourceRatings(means=means, score_h=source_score_h(means, weights_h))
    return found


def most_forms(cycle: Cycle) -> int:
    """The most forms anyone in ``cycle`` has submitted about them from one source (what
    ``rating_means`` packs its sums by), counted by the database alone."""
    grouped = (
        ReviewForm.objects.filter(cycle=cycle, status=FormStatus.SUBMITTED)
        .values("reviewee_id", "source")
        .annotate(n=Count("id"))
        .order_by()
        .values("n")
    )
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(n) FROM ({sql}) x", params)  # noqa: S608 - Django's SQL
        (found,) = cursor.fetchone()
    return found or 0


def form_counts(
    cycle: Cycle, ids: Sequence[int] | None
) -> tuple[dict[int, dict[str, int]], dict[int, dict[str, int]]]:
    """Per reviewee and source: submitted forms, and forms assigned but not submitted."""
    forms = ReviewForm.objects.filter(cycle=cycle).active()
    if ids is not None:
        forms = forms.filter(reviewee_id__in=ids)
    submitted: dict[int, dict[str, int]] = defaultdict(dict)
    pending: dict[int, dict[str, int]] = defaultdict(dict)
    # On a raw cursor: integers and texts need none of the ORM's per-value conversion
    # (300,000 groups for a cycle of 100,000 people).
    sql, params = (
        forms.values_list("reviewee_id", "source", "status")
        .annotate(n=Count("id"))
        .order_by()
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    done = FormStatus.SUBMITTED
    for reviewee, source, status, n in rows:
        target = (submitted if status == done else pending)[reviewee]
        target[source] = target.get(source, 0) + n
    return submitted, pending

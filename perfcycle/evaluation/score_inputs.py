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
from perfcycle.evaluation.models import FormStatus, Rating, ReviewForm
from perfcycle.planning.models import Goal, GoalKind, KeyResult, OwnerType
from perfcycle.planning.scoring import RuleType

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


def decimal(value_h: int) -> Decimal:
    """Whole hundredths back to a two-place ``Decimal`` (``345`` → ``3.45``)."""
    return Decimal(value_h).scaleb(-2)


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


def goals(cycle: Cycle, ids: Sequence[int] | None) -> dict[int, list[GoalRow]]:
    """Each person's goals in the cycle, in creation order (one query, and one each for
    the bands of banded rules and the key results of OKRs when there are any)."""
    rows = Goal.objects.filter(cycle=cycle, owner_type=OwnerType.EMPLOYEE)
    if ids is not None:
        rows = rows.filter(employee_id__in=ids)
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

    __slots__ = ("_items", "_means", "_packed", "score_h")

    def __init__(
        self,
        items: Sequence[int] = (),
        packed: Sequence[int | None] = (),
        means: dict[int, tuple[int, int]] | None = None,
        score_h: int | None = None,
    ) -> None:
        self._items, self._packed, self._means = items, packed, means
        # Σ(weight × mean) ÷ Σ weights of the rated competencies (the plain mean when
        # their weights total 0), in hundredths; None when nothing is rated.
        self.score_h = score_h

    def means(self) -> dict[int, tuple[int, int]]:
        """Competency → (mean in hundredths, ratings), for the competencies rated."""
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


def _packed_sql(weights_h: dict[int, int], ids: Sequence[int] | None) -> tuple[str, list[int]]:
    """Per reviewee and source: each competency's packed sum, and the source score's
    numerator Σ(weight × mean), denominator Σ weight, Σ mean and the number of rated
    competencies, with mean = round_half_up(100 × total ÷ n) in whole hundredths."""
    rating, form = Rating._meta.db_table, ReviewForm._meta.db_table
    if connection.vendor == "postgresql":
        column = f"SUM(r.value + {PACK}) FILTER (WHERE r.item_id = %s)"
    else:
        column = f"SUM((r.item_id = %s) * (r.value + {PACK}))"
    items = list(weights_h)
    packed = [f"p{i}" for i in range(len(items))]
    means = [
        f"((200 * ({p} %% {PACK}) + {p} / {PACK}) / NULLIF(2 * ({p} / {PACK}), 0))" for p in packed
    ]
    rated = [f"COALESCE(SIGN({m}), 0)" for m in means]
    num = " + ".join(
        f"COALESCE({weights_h[item]} * {m}, 0)" for item, m in zip(items, means, strict=True)
    )
    den = " + ".join(f"{weights_h[item]} * {r}" for item, r in zip(items, rated, strict=True))
    among = f" AND f.reviewee_id IN ({', '.join(['%s'] * len(ids))})" if ids is not None else ""
    inner = ", ".join(f"{column} AS {p}" for p in packed)
    sql = (
        f"SELECT e, s, {', '.join(packed)}, {num}, {den}, "  # noqa: S608 - generated from integers
        f"{' + '.join(f'COALESCE({m}, 0)' for m in means)}, {' + '.join(rated)} "
        f"FROM (SELECT f.reviewee_id AS e, f.source AS s, {inner} "
        f"FROM {rating} r JOIN {form} f ON f.id = r.form_id "
        f"WHERE f.cycle_id = %s AND f.status = %s{among} "
        f"GROUP BY f.reviewee_id, f.source) x"
    )
    return sql, items


def rating_means(
    cycle: Cycle, weights_h: dict[int, int], ids: Sequence[int] | None, *, normalise: bool
) -> Means:
    """(reviewee, source) → their ratings of the template's competencies (``weights_h``:
    competency → weight in hundredths) from submitted forms, and the source score. One
    pass over the ratings, grouped by person and source as a plain ``GROUP BY`` would,
    with one packed sum per competency; the score is worked out in the same query. With
    ``normalise``, each rater's ratings are z-normalised first
    (``reliability.normalise_ratings``), which needs every rating of the cycle."""
    if normalise:
        return _normalised_means(cycle, weights_h, ids)
    if (ids is not None and not ids) or not weights_h:
        return {}
    sql, items = _packed_sql(weights_h, ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*items, cycle.pk, FormStatus.SUBMITTED, *(ids or ())])
        rows = cursor.fetchall()
    width = len(items)
    found: Means = {}
    for row in rows:
        num, den, plain, rated = row[2 + width :]
        if not rated:
            score = None
        elif den:
            score = half_up(int(num), int(den))
        else:
            score = half_up(int(plain), int(rated))
        found[(row[0], row[1])] = SourceRatings(items, row[2 : 2 + width], score_h=score)
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


def form_counts(
    cycle: Cycle, ids: Sequence[int] | None
) -> tuple[dict[int, dict[str, int]], dict[int, dict[str, int]]]:
    """Per reviewee and source: submitted forms, and forms assigned but not submitted."""
    forms = ReviewForm.objects.filter(cycle=cycle).active()
    if ids is not None:
        forms = forms.filter(reviewee_id__in=ids)
    submitted: dict[int, dict[str, int]] = defaultdict(dict)
    pending: dict[int, dict[str, int]] = defaultdict(dict)
    for reviewee, source, status, n in (
        forms.values_list("reviewee_id", "source", "status").annotate(n=Count("id")).order_by()
    ):
        target = (submitted if status == FormStatus.SUBMITTED else pending)[reviewee]
        target[source] = target.get(source, 0) + n
    return submitted, pending

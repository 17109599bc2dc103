"""Set-based reads and writes of many rows: one query per lookup whatever the number of
keys, ids known before the rows are written, rows written without model instances."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perfcycle.core.batch import without_gc
from perfcycle.imports import bulk
from perfcycle.monitoring.models import Actual
from perfcycle.org.models import Department, Employee
from perfcycle.planning.models import Goal
from tests.factories import EmployeeFactory, GoalFactory


def _among(field: str, keys: list, integers: bool = False) -> Q:  # type: ignore[type-arg]
    return Q(**{f"{field}__in": bulk.among(keys, integers=integers)})


def _any_of(field: str, keys: list, integers: bool = False) -> Q:  # type: ignore[type-arg]
    return Q(bulk.AnyOf(F(field), keys, integers=integers))


@pytest.mark.parametrize("how", [_among, _any_of])
@pytest.mark.parametrize("count", [3, bulk.PLAIN_IN_LIMIT + 1, 40_000])
def test_among_and_any_of_find_any_number_of_keys_in_one_query(
    db: None, count: int, how: Callable[..., Q]
) -> None:
    # 40,000 keys: more than SQLite's 32,766 parameters, were they passed one by one.
    people = [EmployeeFactory(employee_number=f"K{n}") for n in range(3)]
    numbers = [f"K{n}" for n in range(count)]
    ids = [p.pk for p in people] + list(range(10**9, 10**9 + count))
    with CaptureQueriesContext(connection) as queries:
        by_number = set(
            Employee.objects.filter(how("employee_number", numbers)).values_list(
                "employee_number", flat=True
            )
        )
        by_id = set(Employee.objects.filter(how("pk", ids, True)).values_list("pk", flat=True))
    assert by_number == {"K0", "K1", "K2"}
    assert by_id == {p.pk for p in people}
    assert len(queries) == 2
    if connection.vendor == "postgresql" and how is _any_of:  # one array, planned by its size
        assert all("= ANY(" in q["sql"] for q in queries.captured_queries)


def test_among_of_nothing_matches_nothing(db: None) -> None:
    EmployeeFactory()
    assert not Employee.objects.filter(employee_number__in=bulk.among([])).exists()


def test_reserved_ids_are_fresh_and_rows_made_after_them_come_later(db: None) -> None:
    first = EmployeeFactory()
    ids = bulk.reserve_ids(Employee, 3)
    assert len(set(ids)) == 3 and min(ids) > first.pk
    bulk.insert_rows(
        Employee,
        ["id", "employee_number", "name", "path"],
        [(pk, f"R{pk}", "Reserved", f"/{pk}/") for pk in ids],
    )
    assert EmployeeFactory().pk > max(ids)
    assert bulk.reserve_ids(Employee, 0) == []


def test_insert_rows_writes_values_and_defaults(db: None) -> None:
    dept = Department.objects.create(code="D", name="Dept", path="/1/")
    now = timezone.now()
    (pk,) = bulk.reserve_ids(Employee, 1)
    count = bulk.insert_rows(
        Employee,
        ["id", "employee_number", "name", "hire_date", "department_id", "path"],
        [(pk, "B1", "Bulk Person", dt.date(2020, 2, 29), dept.pk, f"/{pk}/")],
        now=now,
    )
    assert count == 1
    person = Employee.objects.get(pk=pk)
    assert (person.employee_number, person.name, person.hire_date) == (
        "B1",
        "Bulk Person",
        dt.date(2020, 2, 29),
    )
    assert (person.email, person.status, person.version, person.left_on) == ("", "active", 1, None)
    assert person.department == dept and person.path == f"/{pk}/"
    assert person.created_at == now and person.updated_at == now


def test_insert_rows_without_ids_takes_them_from_the_sequence(db: None, company) -> None:
    goal = GoalFactory(employee=company.direct)
    bulk.insert_rows(
        Actual,
        ["goal_id", "period", "period_start", "value"],
        [(goal.pk, "2026-01", dt.date(2026, 1, 1), Decimal("1.5"))],
        constants={"source": "imported", "entered_at": timezone.now()},
    )
    bulk.insert_rows(
        Actual,
        ["goal_id", "period", "period_start", "value"],
        [(goal.pk, "2026-02", dt.date(2026, 2, 1), Decimal("2.25"))],
        constants={"source": "imported", "entered_at": timezone.now()},
    )
    rows = list(Actual.objects.filter(goal=goal).order_by("pk").values_list("period", "value"))
    assert rows == [("2026-01", Decimal("1.5")), ("2026-02", Decimal("2.25"))]
    # The ORM still finds a free id afterwards.
    Actual.objects.create(
        goal=goal,
        period="2026-03",
        period_start=dt.date(2026, 3, 1),
        value=1,
        source="typed",
        entered_at=timezone.now(),
    )


@pytest.mark.parametrize("many", [False, True], ids=["few rows", "many rows"])
def test_update_rows_sets_columns_by_primary_key(
    db: None, company, many: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if many:  # as if the rows were more than a batch: SQLite's temporary-table route
        monkeypatch.setattr(bulk, "SQLITE_BATCH", 1)
    goals = [GoalFactory(employee=company.direct) for _n in range(3)]
    stamps = dict(Goal.objects.values_list("pk", "inputs_stamp"))
    later = timezone.now() + dt.timedelta(hours=1)
    count = bulk.update_rows(
        Goal,
        ["id", "current_value", "updated_at"],
        [(goals[0].pk, Decimal("12.5"), later), (goals[2].pk, None, later)],
        expressions={"inputs_stamp": "inputs_stamp + 1"},
    )
    assert count == 2
    values = dict(Goal.objects.values_list("pk", "current_value"))
    assert values == {goals[0].pk: Decimal("12.5"), goals[1].pk: None, goals[2].pk: None}
    assert Goal.objects.get(pk=goals[0].pk).updated_at == later
    assert Goal.objects.get(pk=goals[1].pk).updated_at == goals[1].updated_at
    assert dict(Goal.objects.values_list("pk", "inputs_stamp")) == {
        goals[0].pk: stamps[goals[0].pk] + 1,
        goals[1].pk: stamps[goals[1].pk],
        goals[2].pk: stamps[goals[2].pk] + 1,
    }
    assert bulk.update_rows(Goal, ["id", "current_value"], []) == 0
    with pytest.raises(ValueError):
        bulk.update_rows(Goal, ["current_value", "id"], [(1, 1)])


def test_the_collector_rests_during_imports_and_comes_back_after_the_last() -> None:
    assert gc.isenabled()
    with without_gc():
        assert not gc.isenabled()
        with without_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer import is still running
    assert gc.isenabled()
    gc.disable()
    try:
        with without_gc():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


@pytest.mark.parametrize("many", [False, True], ids=["few rows", "many rows"])
def test_update_rows_of_numbers_only(
    db: None, company, many: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Numbers only take PostgreSQL's shortcut (COPY's text written directly): values,
    nulls and negative or very small decimals arrive exactly."""
    if many:
        monkeypatch.setattr(bulk, "SQLITE_BATCH", 1)
    goals = [GoalFactory(employee=company.direct) for _n in range(4)]
    wanted = [Decimal("-12.5"), None, Decimal("0.0001"), Decimal("1E+3")]
    assert (
        bulk.update_rows(
            Goal, ["id", "current_value"], [(g.pk, v) for g, v in zip(goals, wanted, strict=True)]
        )
        == 4
    )
    stored = dict(Goal.objects.values_list("pk", "current_value"))
    assert [stored[g.pk] for g in goals] == [Decimal("-12.5"), None, Decimal("0.0001"), 1000]


def test_fetch_rows_reads_as_iterating_the_queryset_does(db: None, company) -> None:
    goals = [
        GoalFactory(employee=company.direct, allow_negative=negative, current_value=value)
        for negative, value in ((True, Decimal("-1.2500")), (False, None), (False, Decimal(0)))
    ]
    queryset = (
        Goal.objects.filter(pk__in=[g.pk for g in goals])
        .order_by("pk")
        .values_list("pk", "allow_negative", "current_value", "title", "employee_id")
    )
    fetched = bulk.fetch_rows(queryset)
    assert fetched == list(queryset)
    assert [(type(row[1]), type(row[2])) for row in fetched] == [
        (bool, Decimal),
        (bool, type(None)),
        (bool, Decimal),
    ]
    assert bulk.fetch_rows(queryset.filter(pk__in=[])) == []
    assert bulk.fetch_rows(queryset.filter(pk=-1)) == []


def test_any_of_nothing_is_false_and_it_combines_like_any_filter(db: None) -> None:
    a, b = EmployeeFactory(employee_number="A1"), EmployeeFactory(employee_number="B1")
    people = Employee.objects.order_by("pk")
    assert not people.filter(bulk.AnyOf(F("pk"), [], integers=True)).exists()
    assert list(people.filter(Q(bulk.AnyOf(F("pk"), [])) | Q(employee_number="B1"))) == [b]
    assert list(people.filter(Q(bulk.AnyOf(F("employee_number"), ["A1", "x'); --"])))) == [a]
    assert list(people.exclude(bulk.AnyOf(F("pk"), [a.pk], integers=True))) == [b]
    assert people.filter(bulk.AnyOf(F("pk"), [b.pk], integers=True)).update(name="Updated") == 1
    assert Employee.objects.get(pk=b.pk).name == "Updated"


def test_stream_rows_reads_what_fetch_rows_reads_and_is_counted(db: None, company) -> None:
    goals = [GoalFactory(employee=company.direct, current_value=Decimal(n)) for n in range(7)]
    queryset = (
        Goal.objects.filter(pk__in=[g.pk for g in goals])
        .order_by("pk")
        .values_list("pk", "allow_negative", "current_value", "title")
    )
    seen: list[str] = []

    def spy(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(spy):
        streamed = list(bulk.stream_rows(queryset, size=2))  # four chunks
    assert streamed == bulk.fetch_rows(queryset) == list(queryset)
    assert len(queries) == 1 and len(seen) == 1 and "planning_goal" in seen[0]
    assert list(bulk.stream_rows(queryset.filter(pk__in=[]))) == []
    # Left after its first rows, the stream lets the connection go on.
    rows = bulk.stream_rows(queryset, size=2)
    assert next(rows) == streamed[0]
    rows.close()
    assert Goal.objects.filter(pk=goals[-1].pk).exists()


def test_queued_insert_writes_every_row_and_runs_the_rows_own_end_inside(db: None, company) -> None:
    goal = GoalFactory(employee=company.direct)
    done: list[bool] = []

    def rows():  # type: ignore[no-untyped-def]
        for month in range(1, 13):
            yield (goal.pk, f"2026-{month:02d}", dt.date(2026, month, 1), Decimal(month))
        done.append(True)  # what follows the last row, run before the insert returns

    count = bulk.insert_rows(
        Actual,
        ["goal_id", "period", "period_start", "value"],
        rows(),
        constants={"source": "imported", "entered_at": timezone.now()},
        queued=True,
    )
    assert count == 12 and len(done) == 1
    assert list(
        Actual.objects.filter(goal=goal).order_by("period_start").values_list("value", flat=True)
    ) == [Decimal(m) for m in range(1, 13)]


def test_a_queued_insert_that_fails_midway_writes_nothing(db: None, company) -> None:
    goal = GoalFactory(employee=company.direct)

    def rows():  # type: ignore[no-untyped-def]
        yield (goal.pk, "2026-01", dt.date(2026, 1, 1), Decimal(1))
        raise ValueError("a bad row")

    with pytest.raises(ValueError, match="a bad row"), transaction.atomic():
        bulk.insert_rows(
            Actual,
            ["goal_id", "period", "period_start", "value"],
            rows(),
            constants={"source": "imported", "entered_at": timezone.now()},
            queued=True,
        )
    assert not Actual.objects.filter(goal=goal).exists()


ACTUAL_COLUMNS = ["goal_id", "period", "period_start", "value", "note", "revision"]
AWKWARD_NOTES = ["", '它\'s, "quoted"', "tab\there\nnew line\\", "emoji 🙂 𠮷", "x" * 500, "%s %%"]


def _stored(goal: Goal) -> list[tuple]:  # type: ignore[type-arg]
    fields = ["period", "period_start", "value", "note", "revision", "source", "batch"]
    fields += ["entered_at", "entered_by_id", "is_current"]
    return list(Actual.objects.filter(goal=goal).order_by("period").values_list(*fields))


@pytest.mark.parametrize("as_json", [True, False], ids=["one-statement-a-batch", "row-by-row"])
def test_a_queued_insert_stores_exactly_what_the_plain_insert_stores(
    db: None, company, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    # Several batches, every kind of value the rows carry, constants written into the
    # statement (a batch name with a quote and a comma); on SQLite, also a batch JSON
    # cannot hold, which the writer binds row by row.
    monkeypatch.setattr("perfcycle.core.bulk.SQLITE_BATCH", 4)
    if not as_json:

        def refuse(_rows: object) -> str:
            raise TypeError("not JSON")

        monkeypatch.setattr("perfcycle.core.bulk._to_json", refuse)
    plain, queued = GoalFactory(employee=company.direct), GoalFactory(employee=company.direct)
    now = timezone.now()
    constants = {"source": "imported", "entered_at": now, "batch": "it's, a batch"}

    def rows(goal: Goal) -> list[tuple]:  # type: ignore[type-arg]
        return [
            (
                goal.pk,
                f"2026-{month:02d}",
                dt.date(2026, month, 1),
                Decimal(f"{month * 12345}.{month:02d}") * (-1 if month % 3 else 1),
                AWKWARD_NOTES[month % len(AWKWARD_NOTES)],
                month,
            )
            for month in range(1, 12)
        ]

    written = [
        bulk.insert_rows(Actual, ACTUAL_COLUMNS, rows(goal), constants=constants, queued=q)
        for goal, q in ((plain, False), (queued, True))
    ]
    assert written == [11, 11]
    assert _stored(queued) == _stored(plain)
    assert len(_stored(plain)) == 11 and _stored(plain)[4][3] == AWKWARD_NOTES[5 % 6]
    assert {row[2] for row in _stored(plain)} >= {Decimal("-12345.01"), Decimal("37035.03")}


def test_a_queued_insert_breaking_a_constraint_raises_it_and_writes_nothing(
    db: None, company, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("perfcycle.core.bulk.SQLITE_BATCH", 2)
    goal = GoalFactory(employee=company.direct)
    rows = [(goal.pk, f"2026-{m:02d}", dt.date(2026, m, 1), Decimal(m)) for m in (1, 2, 3, 4)]
    rows.append(rows[1])  # the same goal and period current twice, in a later batch

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_rows(
            Actual,
            ["goal_id", "period", "period_start", "value"],
            iter(rows),
            constants={"source": "imported", "entered_at": timezone.now()},
            queued=True,
        )
    assert not Actual.objects.filter(goal=goal).exists()

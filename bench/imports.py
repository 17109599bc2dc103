"""Importing employees and actuals from CSV, against the raw insert of the same rows.

``import_figures(employees, actuals, log=print)`` makes deterministic files (seed 1): a
department tree and a reporting tree from ``perfcycle.synth.org`` (numbers ``IMP-…``,
department codes ``IMP…``, so they never meet a synthetic company's ``SYN-…``), a GBK
CSV of the people with Chinese headers in shuffled order (reports before their managers
as often as after), and a UTF-8 CSV of monthly actuals of five KPI goals per person.

Employees: each side runs in its own transaction, rolled back at the end.

- **floor**: the departments (through their import, untimed), then the employee rows,
  parsed values and paths computed beforehand, through ``core.bulk.insert_rows``
  (COPY on PostgreSQL, ``executemany`` on SQLite).
- **import**: the departments likewise, then ``employees_import`` on the file (read,
  check, write, audit) — its dry-run preview first, timed apart, as HR previews before
  confirming — and the same file again, which must change nothing (timed apart).

Actuals are imported into goals made before the import, as in real use: the company,
a cycle and five KPI goals per person are written (raw, without audit events) and
committed first, and deleted again at the end. Then, each in a transaction rolled back:

- **floor**: the actual rows, goal ids known, through ``insert_rows``;
- **import**: ``actuals_import`` on the file (read, check, write, recompute each goal's
  current value, audit), after its preview, and again (nothing changes).

On PostgreSQL foreign keys are checked at commit, which a rolled-back transaction never
reaches; the checks a step queued are run right after it, untimed, on both sides alike.
Tables are vacuumed between the sides, so neither wades through the other's dead rows.
Besides wall time each side's CPU time is reported (this process, plus the PostgreSQL
backend's when the server runs on this machine): on a shared machine it is the steadier
measure. Best on a fresh empty database: the employee import reads every employee there.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bench.cases import Figure, Rollback
from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditEvent
from perfcycle.core import bulk
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.monitoring.imports import actuals_import
from perfcycle.monitoring.models import Actual, ActualSource
from perfcycle.org.imports import departments_import, employees_import
from perfcycle.org.models import Department, Employee, EmployeeStatus, child_path
from perfcycle.planning.models import Goal, GoalKind, Indicator, MeasurementPeriod, OwnerType
from perfcycle.synth.build import last_quarter
from perfcycle.synth.org import DIVISIONS, Org, build_org, person_name

SEED = 1
PREFIX = "IMP-"
DEPARTMENT_PREFIX = "IMP"
HR_LOGIN = "bench-imports-hr"
GOALS_PER_PERSON = 5
INDICATORS = (
    ("IMP_REVENUE", "Revenue", "CNY", 600_000),
    ("IMP_CLIENTS", "New customers", "customers", 45),
    ("IMP_OUTPUT", "Units produced", "units", 15_000),
    ("IMP_TICKETS", "Tickets resolved", "tickets", 600),
    ("IMP_TRAINING", "Training hours", "hours", 24),
)
RATIO_TARGET = 3.0
RATE_TARGET = 50_000
# Runs of each side (floor, import); the fastest of each counts.
REPEATS = 2
TARGET = "≤ 3× and ≥ 50,000 rows/s"
EMPLOYEE_HEADER = "工号,姓名,邮箱,职位,职位族,职级,入职日期,上级工号,部门编码,状态,离职日期"
ACTUAL_HEADER = "工号,指标编码,期间,实际值"
GOAL_COLUMNS = ["id", "cycle_id", "employee_id", "indicator_id", "title", "weight", "target"]
GOAL_COLUMNS += ["unit", "due_date"]
EMPLOYEE_NAMES = ["id", "employee_number", "name", "email", "job_title", "job_family", "level"]
EMPLOYEE_NAMES += ["hire_date", "manager_id", "department_id", "status", "left_on", "path"]

Say = Callable[[str], None]


# --- The files -------------------------------------------------------------------------


@dataclass
class Person:
    number: str
    name: str
    email: str
    job_title: str
    job_family: str
    level: str
    hire_date: dt.date
    manager: int  # index, -1 for the top
    department: int  # index into the departments
    left_on: dt.date | None


@dataclass
class World:
    """The rows both sides write, and the files the import reads."""

    org: Org
    people: list[Person]
    department_codes: list[str]
    departments_csv: bytes
    employees_csv: bytes
    quarter: tuple[str, dt.date, dt.date]
    months: list[tuple[str, dt.date]]
    # (person, indicator index, month index, value) in file order
    actuals: list[tuple[int, int, int, Decimal]] = field(default_factory=list)
    actuals_csv: bytes = b""


def _code(code: str) -> str:
    return DEPARTMENT_PREFIX + code.removeprefix("SYN")


def make_world(employees: int, actuals: int, *, today: dt.date | None = None) -> World:
    """The company and its files; the same sizes always give the same bytes."""
    streams = lambda name: random.Random(f"{SEED}:imports:{name}")  # noqa: E731
    org = build_org(employees, streams("org"))
    codes = [_code(d.code) for d in org.departments]
    lines = ["部门编码,部门名称,上级部门编码"]
    for d, code in zip(org.departments, codes, strict=True):
        parent = codes[d.parent] if d.parent is not None else ""
        lines.append(f"{code},{d.name},{parent}")
    departments_csv = ("\r\n".join(lines) + "\r\n").encode("gbk")

    rng = streams("people")
    quarter = last_quarter(today or timezone.localdate())
    start = quarter[1]
    people = []
    for p in range(org.size):
        leader = bool(org.reports[p])
        family = DIVISIONS[org.division[p]][1] if org.division[p] >= 0 else "management"
        hired = start - dt.timedelta(days=rng.randint(120, 6000))
        # One in fifty individual contributors has left, some time after joining.
        left = None if leader or rng.random() >= 0.02 else hired + dt.timedelta(days=90)
        people.append(
            Person(
                number=f"{PREFIX}{p + 1:06d}",
                name=person_name(p, rng),
                email=f"imp{p + 1:06d}@example.com",
                job_title="经理" if leader else "专员",
                job_family=family,
                level=f"M{max(1, 5 - org.depth[p])}" if leader else f"P{rng.randint(1, 5)}",
                hire_date=hired,
                manager=org.manager[p],
                department=org.department[p],
                left_on=left,
            )
        )
    order = list(range(org.size))
    streams("order").shuffle(order)
    lines = [EMPLOYEE_HEADER]
    for p in order:
        e = people[p]
        manager = people[e.manager].number if e.manager >= 0 else ""
        status, left = ("离职", e.left_on.isoformat()) if e.left_on else ("在职", "")
        lines.append(
            f"{e.number},{e.name},{e.email},{e.job_title},{e.job_family},{e.level},"
            f"{e.hire_date.isoformat()},{manager},{codes[e.department]},{status},{left}"
        )
    employees_csv = ("\r\n".join(lines) + "\r\n").encode("gbk")

    months = []
    day = quarter[1]
    while day <= quarter[2]:
        months.append((f"{day.year:04d}-{day.month:02d}", day))
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    world = World(org, people, codes, departments_csv, employees_csv, quarter, months)
    _actuals(world, actuals, streams("actuals"))
    return world


def _actuals(world: World, count: int, rng: random.Random) -> None:
    """``count`` monthly values: month by month, each person's five goals."""
    per_month = len(world.people) * GOALS_PER_PERSON
    if count > per_month * len(world.months):
        raise ValueError(
            f"At most {per_month * len(world.months):,} actuals for {len(world.people):,} people."
        )
    lines = [ACTUAL_HEADER]
    rows = world.actuals
    for k, (key, _start) in enumerate(world.months):
        for p, person in enumerate(world.people):
            for g, (code, _name, _unit, typical) in enumerate(INDICATORS):
                if len(rows) == count:
                    break
                value = Decimal(round(typical / 3 * rng.uniform(0.6, 1.3) * 100)).scaleb(-2)
                rows.append((p, g, k, value))
                lines.append(f"{person.number},{code},{key},{value}")
    world.actuals_csv = ("\n".join(lines) + "\n").encode()


# --- Set-up (untimed) -----------------------------------------------------------------


def _hr() -> User:
    return User.objects.create(username=f"{HR_LOGIN}-{time.time_ns()}", is_hr_admin=True)


def _employee_rows(world: World, department_ids: dict[str, int]) -> list[tuple[Any, ...]]:
    """The people as rows of ``EMPLOYEE_NAMES``, ids from the first free one."""
    first = bulk.next_id(Employee)
    paths: list[str] = []
    rows = []
    for p, e in enumerate(world.people):
        boss = e.manager
        paths.append(child_path(paths[boss] if boss >= 0 else "", first + p))
        rows.append(
            (first + p, e.number, e.name, e.email, e.job_title, e.job_family, e.level,
             e.hire_date, first + boss if boss >= 0 else None,
             department_ids[world.department_codes[e.department]],
             EmployeeStatus.LEFT if e.left_on else EmployeeStatus.ACTIVE, e.left_on, paths[p])
        )  # fmt: skip
    return rows


@dataclass
class Company:
    """What the actuals are imported into, committed before and deleted after."""

    hr: User
    cycle: Cycle
    goal_ids: dict[tuple[int, int], int]  # (person, indicator) -> goal id
    indicator_codes: list[str]  # the ones made here
    departments: tuple[int, int]  # first and last id
    employees: tuple[int, int]


def _company(world: World) -> Company:
    """Departments, people, a cycle in progress and five KPI goals per person, written
    raw (no audit events, so that all of it can be deleted again) and committed."""
    now = timezone.now()
    with transaction.atomic():
        hr = _hr()
        first_department = bulk.next_id(Department)
        ids = {code: first_department + i for i, code in enumerate(world.department_codes)}
        paths: list[str] = []
        rows = []
        for i, (d, code) in enumerate(
            zip(world.org.departments, world.department_codes, strict=True)
        ):
            parent = world.department_codes[d.parent] if d.parent is not None else None
            paths.append(child_path(paths[d.parent] if d.parent is not None else "", ids[code]))
            rows.append((ids[code], code, d.name, ids[parent] if parent else None, paths[i]))
        bulk.insert_rows(Department, ["id", "code", "name", "parent_id", "path"], rows, now=now)
        people = _employee_rows(world, ids)
        bulk.insert_rows(Employee, EMPLOYEE_NAMES, people, now=now)
        name, start, end = world.quarter
        cycle = Cycle.objects.create(
            name=f"Import benchmark {name} {time.time_ns()}",
            period_type="quarter",
            start_date=start,
            end_date=end,
            phase=Phase.IN_PROGRESS,
        )
        have = set(
            Indicator.objects.filter(code__in=[c for c, *_r in INDICATORS]).values_list(
                "code", flat=True
            )
        )
        made = [code for code, *_r in INDICATORS if code not in have]
        Indicator.objects.bulk_create(
            [
                Indicator(code=code, name=title, unit=unit, data_source="benchmark")
                for code, title, unit, _t in INDICATORS
                if code in made
            ]
        )
        indicators = dict(
            Indicator.objects.filter(code__in=[c for c, *_r in INDICATORS]).values_list(
                "code", "pk"
            )
        )
        employee_ids = dict(
            Employee.objects.filter(employee_number__startswith=PREFIX).values_list(
                "employee_number", "pk"
            )
        )
        first = bulk.next_id(Goal)
        goal_ids: dict[tuple[int, int], int] = {}
        rows = []
        for p, person in enumerate(world.people):
            for g, (code, title, unit, typical) in enumerate(INDICATORS):
                goal_id = first + len(rows)
                goal_ids[(p, g)] = goal_id
                rows.append(
                    (goal_id, cycle.pk, employee_ids[person.number], indicators[code], title,
                     Decimal(20), Decimal(typical), unit, end)
                )  # fmt: skip
        bulk.insert_rows(
            Goal,
            GOAL_COLUMNS,
            rows,
            now=now,
            constants={
                "owner_type": OwnerType.EMPLOYEE,
                "kind": GoalKind.KPI,
                "measurement_period": MeasurementPeriod.MONTH,
                "data_source": "benchmark",
            },
        )
        bulk.reset_sequences([Department, Employee, Goal])
    _vacuum()
    return Company(
        hr, cycle, goal_ids, made, (first_department, first_department + len(ids) - 1),
        (people[0][0], people[-1][0]),
    )  # fmt: skip


def _remove(company: Company) -> None:
    """Delete what ``_company`` made (raw deletes: nothing else refers to it)."""
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:

        def delete(model: Any, where: str, params: list[Any]) -> None:
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)} WHERE {where}", params)  # noqa: S608

        delete(Goal, "cycle_id = %s", [company.cycle.pk])
        delete(Cycle, "id = %s", [company.cycle.pk])
        delete(Indicator, "code = ANY(%s)" if connection.vendor == "postgresql" else
               "code IN (SELECT value FROM json_each(%s))",
               [company.indicator_codes if connection.vendor == "postgresql" else json.dumps(company.indicator_codes)])  # fmt: skip
        delete(
            Employee,
            "id BETWEEN %s AND %s AND employee_number LIKE %s",
            [*company.employees, f"{PREFIX}%"],
        )
        delete(Department, "id BETWEEN %s AND %s AND code LIKE %s",
               [*company.departments, f"{DEPARTMENT_PREFIX}%"])  # fmt: skip
        delete(User, "id = %s", [company.hr.pk])
    _vacuum()


# --- Timing helpers --------------------------------------------------------------------


@contextmanager
def _counted() -> Iterator[list[int]]:
    """Counts the statements run inside (cheaply: no SQL kept)."""
    count = [0]

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def _checked() -> None:
    """PostgreSQL: run the foreign-key checks queued for commit now (untimed)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _cpu() -> float:
    """CPU seconds so far of this process, plus its PostgreSQL backend's when the server
    runs here (NaN when it does not)."""
    seconds = time.process_time()
    if connection.vendor != "postgresql":
        return seconds
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return seconds + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timing:
    seconds: float
    cpu: float
    queries: int
    value: Any = None

    def __str__(self) -> str:
        return f"{self.seconds:.2f} s (CPU {self.cpu:.2f} s), {self.queries} queries"


def _timed(run: Callable[[], Any]) -> Timing:
    with _counted() as count:
        cpu = _cpu()
        start = time.perf_counter()
        value = run()
        seconds = time.perf_counter() - start
        cpu = _cpu() - cpu
    _checked()
    return Timing(seconds, cpu, count[0], value)


def _let_go(out: dict[str, Timing]) -> None:
    """Drop the reports once checked: a report of 100,000 rows keeps the file's columns
    alive, and the next run of either side would work in a process holding them (the
    employee import's preview took 0.75 s in a process's first run, 1.2 s in the next)."""
    for timing in out.values():
        timing.value = None


def _vacuum() -> None:
    """PostgreSQL: clear rolled-back and deleted rows, fresh statistics (outside any
    transaction); SQLite: fresh statistics."""
    if connection.in_atomic_block:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
            return
        for model in (Department, Employee, Goal, Actual, AuditEvent, Indicator, Cycle):
            cursor.execute(f"VACUUM ANALYZE {quote(model._meta.db_table)}")


# --- The two sides ---------------------------------------------------------------------

Profile = Callable[[str, Callable[[], Any]], Any]


def _run(profile: Profile | None, name: str, call: Callable[[], Any]) -> Any:
    return profile(name, call) if profile else call()


def _employees_floor(world: World) -> Timing:
    try:
        with transaction.atomic():
            hr = _hr()
            departments_import(actor=hr, data=world.departments_csv, filename="departments.csv")
            _checked()
            department_ids = dict(Department.objects.values_list("code", "pk"))
            rows = _employee_rows(world, department_ids)
            now = timezone.now()
            timing = _timed(lambda: bulk.insert_rows(Employee, EMPLOYEE_NAMES, rows, now=now))
            raise Rollback
    except Rollback:
        pass
    return timing


def _employees_import(world: World, profile: Profile | None) -> dict[str, Timing]:
    data = world.employees_csv
    out: dict[str, Timing] = {}
    try:
        with transaction.atomic():
            hr = _hr()
            out["departments"] = _timed(
                lambda: departments_import(
                    actor=hr, data=world.departments_csv, filename="departments.csv"
                )
            )
            out["preview"] = _timed(
                lambda: employees_import(
                    actor=hr, data=data, filename="employees.csv", dry_run=True
                )
            )
            out["import"] = _timed(
                lambda: _run(
                    profile,
                    "employees",
                    lambda: employees_import(actor=hr, data=data, filename="employees.csv"),
                )
            )
            report = out["import"].value
            if report.created != len(world.people):
                raise RuntimeError(f"employees: {report.as_dict() | {'changes': '…'}}")
            out["again"] = _timed(
                lambda: employees_import(actor=hr, data=data, filename="employees.csv")
            )
            if out["again"].value.unchanged != len(world.people):
                raise RuntimeError("employees: the second import changed something")
            _let_go(out)
            raise Rollback
    except Rollback:
        pass
    return out


def _actuals_floor(world: World, company: Company) -> Timing:
    try:
        with transaction.atomic():
            entered = timezone.now()
            rows = [
                (company.goal_ids[(p, g)], world.months[k][0], world.months[k][1], value,
                 entered, company.hr.pk)
                for p, g, k, value in world.actuals
            ]  # fmt: skip
            timing = _timed(
                lambda: bulk.insert_rows(
                    Actual,
                    ["goal_id", "period", "period_start", "value", "entered_at", "entered_by_id"],
                    rows,
                    now=entered,
                    constants={"source": ActualSource.IMPORTED, "batch": "file:actuals.csv"},
                )
            )
            raise Rollback
    except Rollback:
        pass
    return timing


def _actuals_import(world: World, company: Company, profile: Profile | None) -> dict[str, Timing]:
    data, hr, cycle = world.actuals_csv, company.hr, company.cycle
    out: dict[str, Timing] = {}

    def run(dry_run: bool = False) -> Any:
        return actuals_import(
            actor=hr, cycle=cycle, data=data, filename="actuals.csv", dry_run=dry_run
        )

    try:
        with transaction.atomic():
            out["preview"] = _timed(lambda: run(dry_run=True))
            out["import"] = _timed(lambda: _run(profile, "actuals", run))
            if out["import"].value.created != len(world.actuals):
                raise RuntimeError(f"actuals: {out['import'].value.as_dict() | {'changes': '…'}}")
            out["again"] = _timed(run)
            if out["again"].value.unchanged != len(world.actuals):
                raise RuntimeError("actuals: the second import changed something")
            out["audit"] = Timing(0, 0, AuditEvent.objects.filter(actor=hr).count())
            _let_go(out)
            raise Rollback
    except Rollback:
        pass
    return out


def _figure(name: str, rows: int, app: Timing, floor: Timing, notes: list[str]) -> Figure:
    rate = rows / app.seconds if app.seconds else float("inf")
    floor_rate = rows / floor.seconds if floor.seconds else float("inf")
    ratio = app.seconds / floor.seconds if floor.seconds else float("inf")
    cpu = app.cpu / floor.cpu if floor.cpu else float("nan")
    ratio_met, rate_met = ratio <= RATIO_TARGET, rate >= RATE_TARGET
    # The two targets meet only where the raw insert itself writes 150,000 rows/s; below
    # that the rate asks for less than 3×, and below 50,000 rows/s for less than 1×.
    needed = floor_rate / RATE_TARGET
    why = (
        f"rate: the raw insert itself writes {floor_rate:,.0f} rows/s here, below "
        f"{RATE_TARGET:,}: no import that writes these rows can reach it on this machine"
        if needed < 1
        else f"rate: {RATE_TARGET:,} rows/s here asks for {needed:.2f}× the raw insert "
        f"(which writes {floor_rate:,.0f} rows/s), below the {RATIO_TARGET:g}× target"
    )
    return Figure(
        name,
        app.seconds,
        floor.seconds,
        "s",
        TARGET,
        ratio_met and rate_met,
        [
            f"{rate:,.0f} rows/s (floor {floor_rate:,.0f} rows/s); CPU {app.cpu:.1f} s "
            f"against {floor.cpu:.1f} s ({cpu:.1f}×); {app.queries} queries",
            *([] if rate_met else [why]),
            *notes,
        ],
        result=""
        if ratio_met == rate_met
        else ("ratio PASS, rate MISS" if ratio_met else "ratio MISS, rate PASS"),
    )


def import_figures(
    employees: int,
    actuals: int,
    *,
    log: Say | None = None,
    profile: Profile | None = None,
    repeats: int = REPEATS,
) -> list[Figure]:
    """Import ``employees`` people and ``actuals`` values from CSV, and the same rows
    through the raw bulk insert, each side ``repeats`` times (the best counts); the
    database is left as it was. ``profile(name, call)``, if given, runs each timed import
    (e.g. under cProfile)."""
    say = log or (lambda _text: None)
    if Employee.objects.filter(employee_number__startswith=PREFIX).exists():
        raise RuntimeError(
            f"Employees numbered {PREFIX}… are already here (an interrupted run?): use a fresh "
            "database."
        )
    start = time.perf_counter()
    world = make_world(employees, actuals)
    existing = Employee.objects.count()
    say(
        f"Import benchmark: {len(world.people):,} employees ({len(world.employees_csv) / 1e6:.1f}"
        f" MB), {len(world.actuals):,} actuals ({len(world.actuals_csv) / 1e6:.1f} MB), "
        f"{len(world.department_codes):,} departments; files made in "
        f"{time.perf_counter() - start:.1f} s"
    )
    # Each side `repeats` times, the two sides taking turns; the fastest run of each
    # counts (as scoring counts its best), so a moment's noise on a shared machine does
    # not decide a ratio.
    emp_floors: list[Timing] = []
    emp_runs: list[dict[str, Timing]] = []
    for _run in range(repeats):
        _vacuum()
        emp_floors.append(_employees_floor(world))
        say(f"  floor: {len(world.people):,} employees in {emp_floors[-1]}")
        _vacuum()
        emp_runs.append(_employees_import(world, profile))
        say(
            f"  import: {len(world.people):,} employees in {emp_runs[-1]['import']} "
            f"(preview {emp_runs[-1]['preview']})"
        )
    emp_floor = min(emp_floors, key=lambda t: t.seconds)
    emp = min(emp_runs, key=lambda run: run["import"].seconds)
    _vacuum()
    company = _company(world)
    act_floors: list[Timing] = []
    act_runs: list[dict[str, Timing]] = []
    try:
        for _run in range(repeats):
            act_floors.append(_actuals_floor(world, company))
            say(f"  floor: {len(world.actuals):,} actuals in {act_floors[-1]}")
            _vacuum()
            act_runs.append(_actuals_import(world, company, profile))
            say(
                f"  import: {len(world.actuals):,} actuals in {act_runs[-1]['import']} "
                f"(preview {act_runs[-1]['preview']})"
            )
            _vacuum()
    finally:
        _vacuum()
        _remove(company)
    act_floor = min(act_floors, key=lambda t: t.seconds)
    act = min(act_runs, key=lambda run: run["import"].seconds)
    n_emp, n_act = len(world.people), len(world.actuals)
    common = [f"{existing:,} employees in the database before"] if existing else []
    best = f"best of {repeats} runs of each side, taking turns" if repeats > 1 else "one run"
    both = Timing(
        emp["import"].seconds + act["import"].seconds,
        emp["import"].cpu + act["import"].cpu,
        emp["import"].queries + act["import"].queries,
    )
    both_floor = Timing(emp_floor.seconds + act_floor.seconds, emp_floor.cpu + act_floor.cpu, 0)
    return [
        _figure(
            f"Importing {n_emp:,} employees from CSV",
            n_emp,
            emp["import"],
            emp_floor,
            [
                f"GBK, Chinese headers, {len(world.employees_csv) / 1e6:.1f} MB, rows shuffled "
                "(reports before their managers as often as after)",
                f"preview (dry run) {emp['preview']}",
                f"the same file again (all unchanged) {emp['again']}",
                f"departments first ({len(world.department_codes):,}, through their import) "
                f"{emp['departments']}",
                "floor: the same rows with ids and paths computed beforehand, raw bulk insert "
                "(COPY / executemany)",
                best,
                *common,
            ],
        ),
        _figure(
            f"Importing {n_act:,} actuals from CSV",
            n_act,
            act["import"],
            act_floor,
            [
                f"UTF-8, {len(world.actuals_csv) / 1e6:.1f} MB, {GOALS_PER_PERSON} monthly KPI "
                f"goals per person; each goal's current value recomputed",
                f"preview (dry run) {act['preview']}",
                f"the same file again (all unchanged) {act['again']}",
                f"audit events written by the three runs: {act['audit'].queries}",
                "floor: the same rows with goal ids known, raw bulk insert (COPY / executemany)",
                best,
            ],
        ),
        _figure("Importing employees and actuals (together)", n_emp + n_act, both, both_floor, []),
    ]

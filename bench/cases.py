"""The benchmarks. Each returns a ``Figure``: the measured time, its floor measured just
before on the same data, and the target. Writes made only to be measured (a fresh
cycle, its forms, a calibration session) happen in a transaction that is rolled back,
so a benchmark leaves the database as it found it; the one lasting write is
``prepare_results`` (stored scores and calibration results, as HR would press the
buttons), which the pages and the export need."""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import json
import os
import pstats
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from perfcycle.accounts.models import User
from perfcycle.calibration.models import Result
from perfcycle.calibration.results import results_prepare
from perfcycle.calibration.sessions import session_create
from perfcycle.core import bulk
from perfcycle.core.warm import warm_process
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.cycles.services import cycle_create
from perfcycle.evaluation.assignment import assignment_generate
from perfcycle.evaluation.models import FormStatus, Rating, ReviewForm, ScoreResult
from perfcycle.evaluation.results import scores_store
from perfcycle.evaluation.scores import cycle_scores
from perfcycle.org.models import Department
from perfcycle.synth.build import HR_LOGIN, MANAGER_LOGIN, NUMBER_PREFIX

PAGE_TARGET_MS = 500.0
SESSION_SIZE = 2000


@dataclass
class Figure:
    name: str
    measured: float
    floor: float
    unit: str  # "s", "ms" or "MB"
    target: str  # in words, e.g. "≤ 5×"
    passed: bool
    notes: list[str] = field(default_factory=list)
    # The result in words when a plain PASS / MISS would say too little.
    result: str = ""

    @property
    def ratio(self) -> float:
        return self.measured / self.floor if self.floor else float("inf")


class Rollback(Exception):
    """Raised to leave a measuring transaction without keeping its writes."""


def best_of(repeats: int, run: Callable[[], Any]) -> float:
    times = []
    for _i in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def synth_cycle() -> Cycle:
    """The synthetic company's cycle (the one with the most participants)."""
    cycle = (
        Cycle.objects.filter(name__startswith="Synthetic ")
        .annotate(n=Count("participants"))
        .order_by("-n", "pk")
        .first()
    )
    if cycle is None:
        raise SystemExit("No synthetic company here: build one with --employees N.")
    return cycle


def hr_user() -> User:
    return User.objects.get(username=HR_LOGIN)


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# --- 1. Scoring ------------------------------------------------------------------------


def floor_sql(cycle: Cycle) -> str:
    rating, form = _table(Rating), _table(ReviewForm)
    return (
        f"SELECT f.reviewee_id, f.source, AVG(r.value), COUNT(*) "  # noqa: S608
        f"FROM {rating} r JOIN {form} f ON f.id = r.form_id "
        f"WHERE f.cycle_id = %s AND f.status = %s GROUP BY f.reviewee_id, f.source"
    )


def bench_scoring(cycle: Cycle, *, repeats: int, profile: Path | None) -> Figure:
    sql = floor_sql(cycle)

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [cycle.pk, FormStatus.SUBMITTED])
            cursor.fetchall()

    floor()  # warm the cache for both
    floor_s = best_of(repeats, floor)
    with CaptureQueriesContext(connection) as queries:
        people = len(cycle_scores(cycle))
    measured = best_of(repeats, lambda: cycle_scores(cycle))
    notes = [f"{people:,} people, {len(queries)} queries; best of {repeats}"]
    if profile is not None:
        _profiled(profile, lambda: cycle_scores(cycle))
        notes.append(f"profile: {profile.name}")
    ratio = measured / floor_s
    return Figure("Scoring a whole cycle", measured, floor_s, "s", "≤ 5×", ratio <= 5, notes)


# --- 2. Creating the review forms ------------------------------------------------------


def _fresh_cycle(source: Cycle, hr: User) -> Cycle:
    """A new draft cycle over the same participants (copied in one INSERT … SELECT)."""
    cycle = cycle_create(
        actor=hr,
        name=f"Bench {source.pk} {time.time_ns()}",
        period_type=source.period_type,
        start_date=source.start_date,
        end_date=source.end_date,
        template=source.template,
        grade_scale=source.grade_scale,
    )
    fields = [f for f in CycleParticipant._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    select = ", ".join(
        "%s" if f.attname == "cycle_id" else connection.ops.quote_name(f.column) for f in fields
    )
    table = _table(CycleParticipant)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {select} FROM {table} "  # noqa: S608
            f"WHERE cycle_id = %s",
            [cycle.pk, source.pk],
        )
    return cycle


def _profiled(profile: Path | None, run: Callable[[], Any]) -> Any:
    """``run()``, under cProfile when ``profile`` names a file (plus a ``.txt`` top 25)."""
    if profile is None:
        return run()
    profiler = cProfile.Profile()
    value = profiler.runcall(run)
    profiler.dump_stats(profile)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    profile.with_suffix(".txt").write_text(out.getvalue())
    return value


def bench_assignment(
    source: Cycle, hr: User, employees: int, *, profile: Path | None = None
) -> Figure:
    created = 0

    def app() -> float:
        nonlocal created
        try:
            with transaction.atomic():
                cycle = _fresh_cycle(source, hr)
                start = time.perf_counter()
                report = _profiled(profile, lambda: assignment_generate(actor=hr, cycle=cycle))
                seconds = time.perf_counter() - start
                created = report.total_created
                raise Rollback
        except Rollback:
            pass
        return seconds

    def floor(count: int) -> float:
        pattern = list(
            ReviewForm.objects.filter(cycle=source)
            .order_by("pk")
            .values_list("reviewee_id", "reviewer_id", "source")[:count]
        )
        try:
            with transaction.atomic():
                cycle = _fresh_cycle(source, hr)
                first = bulk.next_id(ReviewForm)
                now = dt.datetime.now(dt.UTC)
                start = time.perf_counter()
                bulk.insert_rows(
                    ReviewForm,
                    ["id", "cycle_id", "reviewee_id", "reviewer_id", "source"],
                    ((first + i, cycle.pk, e, r, s) for i, (e, r, s) in enumerate(pattern)),
                    now=now,
                    constants={"status": FormStatus.OPEN},
                )
                seconds = time.perf_counter() - start
                raise Rollback
        except Rollback:
            pass
        return seconds

    measured = app()
    floor_s = floor(created)
    limit = 60.0 * employees / 100_000
    return Figure(
        "Creating the review forms of a cycle",
        measured,
        floor_s,
        "s",
        f"< {limit:.1f} s (60 s × N/100,000)",
        measured < limit,
        [
            f"{created:,} forms (+ one summary audit event) for {employees:,} people",
            *([f"profile: {profile.name}"] if profile else []),
            "floor: the same number of form rows, raw bulk insert (COPY / executemany)",
        ],
    )


# --- Results for calibration (lasting) -------------------------------------------------


def prepare_results(cycle: Cycle, hr: User) -> list[str]:
    """Store scores and prepare calibration results once, if the cycle has none yet."""
    notes = []
    if not ScoreResult.objects.filter(cycle=cycle).exists():
        start = time.perf_counter()
        scores_store(actor=hr, cycle=cycle)
        notes.append(f"scores_store: {time.perf_counter() - start:.1f} s")
    if not Result.objects.filter(cycle=cycle).exists():
        start = time.perf_counter()
        results_prepare(actor=hr, cycle=cycle)
        notes.append(f"results_prepare: {time.perf_counter() - start:.1f} s")
    return notes


def settle() -> float:
    """Vacuum and analyze the database, as autovacuum does after a burst of writes: the
    benchmarks before roll back millions of rows (two cycles' review forms, imports), and
    the pages and the HTTP load should read the tables as a running server keeps them,
    not the suite's own dead rows (a cycle's 600,000 forms counted past 1,200,000 dead
    ones, without a visibility map: 160 ms instead of ~40). Returns the seconds taken."""
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return time.perf_counter() - start


# --- 3. Pages --------------------------------------------------------------------------


def _department_near(cycle: Cycle, size: int) -> tuple[Department, int]:
    """The department whose subtree holds the number of results closest to ``size``."""
    counts = dict(
        Result.objects.filter(cycle=cycle)
        .values_list("department__path")
        .annotate(n=Count("pk"))
        .values_list("department__path", "n")
    )
    best: tuple[int, Department, int] | None = None
    for dept in Department.objects.all().only("pk", "path", "name"):
        n = sum(c for p, c in counts.items() if p and p.startswith(dept.path))
        if best is None or abs(n - size) < best[0]:
            best = (abs(n - size), dept, n)
    assert best is not None
    return best[1], best[2]


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _measure(client: Client, url: str, requests: int) -> tuple[float, int]:
    response = client.get(url)  # warm up
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    count = len(queries)  # now: the log is cleared by the next request
    samples = []
    for _i in range(requests):
        start = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - start)
    return _p95(samples) * 1000, count


def bench_pages(cycle: Cycle, hr: User, requests: int) -> list[Figure]:
    figures: list[Figure] = []
    try:
        with transaction.atomic():
            dept, people = _department_near(cycle, SESSION_SIZE)
            session = session_create(
                actor=hr,
                cycle=cycle,
                name="Bench session",
                scope="department",
                department=dept,
                calibrators=[hr.employee],
            )
            # As a server worker serves them: warmed as perfcycle.wsgi warms it, what is
            # alive by then out of the garbage collector's reach.
            warm_process()
            anonymous, as_hr, as_manager = Client(), Client(), Client()
            as_hr.force_login(hr)
            as_manager.force_login(User.objects.get(username=MANAGER_LOGIN))
            floor_ms, floor_queries = _measure(anonymous, "/login/", requests)
            pages = [
                ("Calibration distribution (whole company)", as_hr, distribution_url(cycle)),
                (
                    f"Calibration session ({people:,} people)",
                    as_hr,
                    f"/calibrate/sessions/{session.pk}/",
                ),
                (f"9-box ({people:,} people)", as_hr, f"/calibrate/sessions/{session.pk}/ninebox/"),
                ("Manager's team goals page", as_manager, "/plan/team/"),
                ("Manager's team progress page", as_manager, "/monitor/team/"),
                ("Team goals page, whole company (HR)", as_hr, "/plan/team/"),
                ("Cycle dashboard (HR home)", as_hr, "/"),
            ]
            for name, client, url in pages:
                try:
                    p95, count = _measure(client, url, requests)
                except Exception as exc:  # a page that fails is reported, not fatal
                    figures.append(
                        Figure(
                            name,
                            float("nan"),
                            floor_ms,
                            "ms",
                            "p95 < 500 ms",
                            False,
                            [f"{url}: {exc}"],
                        )
                    )
                    continue
                figures.append(
                    Figure(
                        name,
                        p95,
                        floor_ms,
                        "ms",
                        f"p95 < {PAGE_TARGET_MS:.0f} ms",
                        p95 < PAGE_TARGET_MS,
                        [
                            f"{url}: {count} queries; {requests} requests; floor /login/ "
                            f"({floor_queries} queries)"
                        ],
                    )
                )
            raise Rollback
    except Rollback:
        pass
    return figures


def distribution_url(cycle: Cycle) -> str:
    return f"/calibrate/cycles/{cycle.pk}/distribution/"


# --- 4. Export -------------------------------------------------------------------------


def _child(mode: str, cycle: Cycle) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.export_child", mode, str(cycle.pk)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_export(cycle: Cycle, employees: int) -> list[Figure]:
    base = _child("baseline", cycle)
    floor = _child("floor", cycle)
    app = _child("app", cycle)
    limit = 500.0 * employees / 100_000
    app_mem = app["peak_mb"] - base["peak_mb"]
    floor_mem = max(floor["peak_mb"] - base["peak_mb"], 0.1)
    rows = f"{app['rows']:,} rows, {app['bytes'] / 1e6:.1f} MB file"
    return [
        Figure(
            "Exporting results to XLSX: time",
            app["seconds"],
            floor["seconds"],
            "s",
            "(no target; ratio)",
            True,
            [rows, "floor: raw cursor → openpyxl write_only"],
        ),
        Figure(
            "Exporting results to XLSX: peak memory",
            app_mem,
            floor_mem,
            "MB",
            f"< {limit:.0f} MB (500 MB × N/100,000)",
            app_mem < limit,
            [
                f"above a bare Django process ({base['peak_mb']:.0f} MB); "
                f"absolute peak {app['peak_mb']:.0f} MB"
            ],
        ),
    ]


def synthetic_people() -> int:
    from perfcycle.org.models import Employee

    return Employee.objects.filter(employee_number__startswith=NUMBER_PREFIX).count()

"""Build the synthetic company: ``synth_build(employees=N, seed=S)``.

Deterministic: every random choice comes from ``random.Random`` streams derived from
the seed, and database ids are chosen here (first free id onwards), so the same size
and seed on an empty database give the same rows. The reference data (grade scale,
360 template, competencies, indicators, cycle) goes through the ordinary services; the
bulk (people, participants, goals, actuals, forms, ratings) is written with
``core.bulk.insert_rows`` in one transaction, with one summary audit event instead of one
per row. Paths are computed here exactly as ``org.services`` would: parent path + id.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record
from perfcycle.core.bulk import (
    analyze,
    foreign_keys_checked_at_end,
    insert_rows,
    next_id,
    reset_sequences,
)
from perfcycle.cycles.models import Cycle, CycleParticipant, Phase, ReviewTemplate
from perfcycle.cycles.services import (
    cycle_create,
    default_rating_labels,
    grade_scale_default,
    review_template_create,
)
from perfcycle.demo import DEMO_PASSWORD
from perfcycle.evaluation.models import FormStatus, Rating, ReviewForm, ReviewSource
from perfcycle.evaluation.templates import (
    template_anchors_set,
    template_competency_add,
    template_question_add,
)
from perfcycle.monitoring.models import Actual, ActualSource, Competency
from perfcycle.org.models import Department, Employee, child_path
from perfcycle.planning.models import Goal, GoalKind, GoalSheet, Indicator, OwnerType, SheetStatus
from perfcycle.planning.scoring import Aggregation, Direction, combine
from perfcycle.synth.org import DIVISIONS, Org, build_org, person_name, pick_peers

NUMBER_PREFIX = "SYN-"
TEMPLATE_NAME = "Synthetic 360"
HR_LOGIN, MANAGER_LOGIN, EMPLOYEE_LOGIN = "synth-hr", "synth-manager", "synth-employee"
GOALS_PER_PERSON = 5
GOAL_WEIGHTS = ((30, 25, 20, 15, 10), (20, 20, 20, 20, 20), (40, 20, 20, 10, 10))
PLACES = Decimal("0.0001")

COMPETENCIES = (
    ("SYN_TEAMWORK", "Teamwork"),
    ("SYN_PROBLEMS", "Problem solving"),
    ("SYN_OWNERSHIP", "Ownership"),
    ("SYN_INNOVATION", "Innovation"),
    ("SYN_CUSTOMER", "Customer focus"),
    ("SYN_QUALITY", "Quality"),
    ("SYN_COMMUNICATION", "Communication"),
    ("SYN_LEARNING", "Learning"),
    ("SYN_PLANNING", "Planning"),
    ("SYN_INTEGRITY", "Integrity"),
)
ANCHORS = (
    "Falls well short; needs close guidance.",
    "Sometimes meets the standard.",
    "Meets the standard reliably.",
    "Often goes beyond the standard and helps others.",
    "Sets the standard others follow.",
)
# code, name, job family ("" for everyone), unit, direction, aggregation, typical target
INDICATORS = (
    ("SYN_REVENUE", "Sales revenue", "sales", "CNY", "higher", "sum", 600_000),
    ("SYN_NEW_CLIENTS", "New customers", "sales", "customers", "higher", "sum", 45),
    ("SYN_OUTPUT", "Units produced", "production", "units", "higher", "sum", 15_000),
    ("SYN_PASS_RATE", "First-pass yield", "production", "%", "higher", "average", 97),
    ("SYN_DEFECTS", "Defects", "production", "ppm", "lower", "average", 400),
    ("SYN_DELIVERED", "Stories delivered", "engineering", "stories", "higher", "sum", 40),
    ("SYN_LEAD_TIME", "Lead time", "engineering", "days", "lower", "average", 6),
    ("SYN_CSAT", "Customer satisfaction", "service", "%", "higher", "average", 92),
    ("SYN_TICKETS", "Tickets resolved", "service", "tickets", "higher", "sum", 600),
    ("SYN_CLOSE_DAYS", "Days to close the books", "finance", "days", "lower", "average", 5),
    ("SYN_LEADS", "Qualified leads", "marketing", "leads", "higher", "sum", 300),
    ("SYN_HIRES", "Positions filled", "hr", "hires", "higher", "sum", 12),
    ("SYN_ON_TIME", "On-time delivery", "operations", "%", "higher", "average", 95),
    ("SYN_PROFIT", "Operating profit", "management", "CNY k", "higher", "sum", 90_000),
    ("SYN_TRAINING", "Training hours", "", "hours", "higher", "sum", 24),
    ("SYN_PROJECTS", "Improvement projects completed", "", "projects", "higher", "sum", 3),
    ("SYN_BUDGET", "Spend within budget", "", "%", "higher", "average", 100),
    ("SYN_ATTENDANCE", "Attendance", "", "%", "higher", "average", 98),
)


class SynthError(Exception):
    """The database is not in a state the synthetic company can be built in."""


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)
    cycle_id: int | None = None


def _streams(seed: int) -> Callable[[str], random.Random]:
    return lambda name: random.Random(f"{seed}:{name}")


def last_quarter(today: dt.date) -> tuple[str, dt.date, dt.date]:
    """The last quarter that ended before ``today``."""
    first_month = 3 * ((today.month - 1) // 3) + 1
    end = dt.date(today.year, first_month, 1) - dt.timedelta(days=1)
    start = dt.date(end.year, end.month - 2, 1)
    return f"{end.year}-Q{(end.month - 1) // 3 + 1}", start, end


def check_database(*, fresh: bool, force: bool) -> None:
    if Employee.objects.filter(employee_number__startswith=NUMBER_PREFIX).exists():
        raise SynthError("This database already has a synthetic company.")
    if fresh and not force and Employee.objects.exists():
        raise SynthError("This database already has employees; add --force to build anyway.")


def _reference(hr: User | None, quarter: str, start: dt.date, end: dt.date, tag: str) -> Cycle:
    """Grade scale, competencies, the 360 template, indicators and the cycle (services)."""
    have = set(Competency.objects.filter(code__startswith="SYN_").values_list("code", flat=True))
    Competency.objects.bulk_create(
        [Competency(code=c, name=n) for c, n in COMPETENCIES if c not in have]
    )
    template = ReviewTemplate.objects.filter(name=TEMPLATE_NAME).first()
    if template is None:
        template = review_template_create(
            actor=hr,
            name=TEMPLATE_NAME,
            description="Goals 70 %, competencies 30 %; manager 60, peers 20, self 10, reports 10.",
            rating_labels=default_rating_labels(1, 5),
        )
        competencies = {c.code: c for c in Competency.objects.filter(code__startswith="SYN_")}
        for code, _name in COMPETENCIES:
            item = template_competency_add(
                actor=hr, template=template, competency=competencies[code], weight=10
            )
            template_anchors_set(actor=hr, item=item, anchors=dict(enumerate(ANCHORS, start=1)))
        template_question_add(actor=hr, template=template, text="What went best this quarter?")
        template_question_add(actor=hr, template=template, text="What should change next?")
        template_question_add(
            actor=hr,
            template=template,
            text="What should your manager keep doing or change?",
            sources=[ReviewSource.REPORT],
        )
    have = set(Indicator.objects.filter(code__startswith="SYN_").values_list("code", flat=True))
    Indicator.objects.bulk_create(
        [
            Indicator(
                code=code,
                name=name,
                job_family=family,
                unit=unit,
                direction=direction,
                aggregation=how,
                data_source="synthetic",
            )
            for code, name, family, unit, direction, how, _t in INDICATORS
            if code not in have
        ]
    )
    return cycle_create(
        actor=hr,
        name=f"Synthetic {quarter} ({tag})",
        period_type="quarter",
        start_date=start,
        end_date=end,
        template=template,
        grade_scale=grade_scale_default(actor=hr),
    )


def _monthly(rng: random.Random, target: int, how: str, lower: bool, perf: float) -> list[int]:
    """Three monthly values in hundredths, scattered around what ``perf`` earns."""
    share = target / 3 if how == Aggregation.SUM else target
    factor = 0.25 + 0.17 * perf  # 3.5 → 84 % of the target, 4.9 → 108 %
    if lower:
        factor = 1 / factor
    return [round(share * factor * rng.uniform(0.85, 1.15) * 100) for _m in range(3)]


def synth_build(
    *,
    employees: int,
    seed: int,
    today: dt.date | None = None,
    fresh: bool = False,
    force: bool = False,
    log: Callable[[str], None] | None = None,
) -> Report:
    """Build a company of ``employees`` people with one cycle in calibration."""
    if employees < 10:
        raise SynthError("The synthetic company needs at least 10 employees.")
    check_database(fresh=fresh, force=force)
    say = log or (lambda _text: None)
    report = Report()
    clock = [time.perf_counter()]

    def phase(name: str, count: int | None = None) -> None:
        now_ = time.perf_counter()
        report.timings.append((name, now_ - clock[0]))
        extra = f" ({count:,} rows, {count / max(now_ - clock[0], 1e-9):,.0f}/s)" if count else ""
        say(f"  {name}: {now_ - clock[0]:.2f} s{extra}")
        clock[0] = now_

    stream = _streams(seed)
    today = today or timezone.localdate()
    quarter, start, end = last_quarter(today)
    with transaction.atomic():
        _build(employees, seed, stream, quarter, start, end, report, phase)
    phase("commit")
    report.timings.append(("total", sum(t for _n, t in report.timings)))
    return report


def _build(
    n: int,
    seed: int,
    stream: Callable[[str], random.Random],
    quarter: str,
    start: dt.date,
    end: dt.date,
    report: Report,
    phase: Callable[..., None],
) -> None:
    now = timezone.now()
    org: Org = build_org(n, stream("org"))
    peers = pick_peers(org, stream("peers"))
    phase("plan organisation")

    # Logins: a few people only, sharing one precomputed hash.
    hr_index = org.departments[1].head  # head of the first division: Human Resources
    leads = [p for p in range(1, org.size) if org.reports[p] and p != hr_index]
    lead = next((p for p in leads if org.depth[p] >= 2), leads[0] if leads else 0)
    member = org.reports[lead][0]
    password = make_password(DEMO_PASSWORD)
    users = {}
    for index, username in ((hr_index, HR_LOGIN), (lead, MANAGER_LOGIN), (member, EMPLOYEE_LOGIN)):
        users[index] = User.objects.create(
            username=username, password=password, is_hr_admin=username == HR_LOGIN
        )
    hr = next(u for u in users.values() if u.username == HR_LOGIN)
    cycle = _reference(hr, quarter, start, end, f"seed {seed}, {n:,} people")
    report.cycle_id = cycle.pk
    phase("reference data")

    bulk = [Department, Employee, CycleParticipant, GoalSheet, Goal, Actual, ReviewForm, Rating]
    with foreign_keys_checked_at_end(bulk):
        _bulk(org, peers, cycle, users, start, end, stream, now, report, phase)
    phase("foreign keys validated")
    analyze(bulk)
    phase("analyze")
    Cycle.objects.filter(pk=cycle.pk).update(
        phase=Phase.CALIBRATION, opened_at=dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC)
    )
    reset_sequences([Department, Employee, GoalSheet, Goal, ReviewForm])
    audit_record(
        actor=hr,
        action=AuditAction.IMPORT,
        instance=cycle,
        reason="synthetic company",
        after={"seed": seed, **report.counts},
    )
    phase("finish")


def _bulk(
    org: Org,
    peers: list[list[int]],
    cycle: Cycle,
    users: dict[int, User],
    start: dt.date,
    end: dt.date,
    stream: Callable[[str], random.Random],
    now: dt.datetime,
    report: Report,
    phase: Callable[..., None],
) -> None:
    # Departments and people, with paths computed as the org services do.
    dept0 = next_id(Department)
    emp0 = next_id(Employee)
    dept_paths: list[str] = []
    rows_d = []
    for i, d in enumerate(org.departments):
        parent_path = dept_paths[d.parent] if d.parent is not None else ""
        dept_paths.append(child_path(parent_path, dept0 + i))
        parent_id = dept0 + d.parent if d.parent is not None else None
        rows_d.append((dept0 + i, d.code, d.name, parent_id, emp0 + d.head, dept_paths[i]))
    count = insert_rows(
        Department, ["id", "code", "name", "parent_id", "head_id", "path"], rows_d, now=now
    )
    phase("departments", count)

    rng = stream("people")
    paths: list[str] = []
    rows_e = []
    for p in range(org.size):
        boss = org.manager[p]
        paths.append(child_path(paths[boss] if boss >= 0 else "", emp0 + p))
        family = DIVISIONS[org.division[p]][1] if org.division[p] >= 0 else "management"
        level = f"M{max(1, 5 - org.depth[p])}" if org.reports[p] else f"P{rng.randint(1, 5)}"
        hired = start - dt.timedelta(days=rng.randint(120, 6000))
        rows_e.append(
            (
                emp0 + p,
                f"{NUMBER_PREFIX}{p + 1:06d}",
                person_name(p, rng),
                f"syn{p + 1:06d}@synth.example.com",
                "Manager" if org.reports[p] else "Specialist",
                family,
                level,
                hired,
                emp0 + boss if boss >= 0 else None,
                dept0 + org.department[p],
                users[p].pk if p in users else None,
                paths[p],
            )
        )
    names = ["id", "employee_number", "name", "email", "job_title", "job_family", "level"]
    names += ["hire_date", "manager_id", "department_id", "user_id", "path"]
    count = insert_rows(Employee, names, rows_e, now=now)
    del rows_e
    phase("employees", count)

    count = insert_rows(
        CycleParticipant,
        ["cycle_id", "employee_id", "department_id", "manager_id"],
        (
            (cycle.pk, emp0 + p, dept0 + org.department[p], emp0 + org.manager[p] if p else None)
            for p in range(org.size)
        ),
        now=now,
    )
    phase("participants", count)

    # Goal sheets, goals (current value combined as monitoring does) and actuals.
    sheet0 = next_id(GoalSheet)
    agreed = dt.datetime.combine(start + dt.timedelta(days=7), dt.time(10), tzinfo=dt.UTC)
    count = insert_rows(
        GoalSheet,
        ["id", "cycle_id", "employee_id"],
        ((sheet0 + p, cycle.pk, emp0 + p) for p in range(org.size)),
        now=now,
        constants={
            "status": SheetStatus.ACKNOWLEDGED,
            "proposed_at": agreed,
            "approved_at": agreed,
            "acknowledged_at": agreed,
        },
    )
    phase("goal sheets", count)

    indicators = {i.code: i for i in Indicator.objects.filter(code__startswith="SYN_")}
    spec = {row[0]: row for row in INDICATORS}
    general = [code for code, _n, family, *_r in INDICATORS if not family]
    by_family: dict[str, list[str]] = {}
    for code, _n, family, *_r in INDICATORS:
        if family:
            by_family.setdefault(family, []).append(code)
    rng = stream("goals")
    perf_rng = stream("performance")
    perf = [min(4.9, max(1.5, perf_rng.gauss(3.5, 0.6))) for _p in range(org.size)]
    goal0 = next_id(Goal)
    months = [(dt.date(start.year, start.month + k, 1)) for k in range(3)]
    goals: list[tuple[int, str, int, list[int]]] = []  # person, indicator, target, values
    for p in range(org.size):
        family = DIVISIONS[org.division[p]][1] if org.division[p] >= 0 else "management"
        pool = by_family.get(family, [])
        chosen = rng.sample(pool, min(2, len(pool)))
        chosen += rng.sample(general, GOALS_PER_PERSON - len(chosen))
        for code in chosen:
            _c, _n, _f, _u, direction, how, typical = spec[code]
            target = max(1, round(typical * rng.uniform(0.8, 1.2)))
            values = _monthly(rng, target, how, direction == Direction.LOWER, perf[p])
            goals.append((p, code, target, values))
    due = end

    def goal_rows() -> Iterator[tuple[Any, ...]]:
        for g, (p, code, target, values) in enumerate(goals):
            weights = GOAL_WEIGHTS[p % len(GOAL_WEIGHTS)]
            ind = indicators[code]
            decimals = [Decimal(v).scaleb(-2) for v in values]
            current = combine(decimals, ind.aggregation).quantize(PLACES, rounding=ROUND_HALF_UP)
            yield (
                goal0 + g, cycle.pk, emp0 + p, sheet0 + p, ind.pk, ind.name,
                Decimal(weights[g % GOALS_PER_PERSON]), Decimal(target), current,
                ind.unit, ind.direction, ind.aggregation, due,
            )  # fmt: skip

    names = ["id", "cycle_id", "employee_id", "sheet_id", "indicator_id", "title", "weight"]
    names += ["target", "current_value", "unit", "direction", "aggregation", "due_date"]
    count = insert_rows(
        Goal,
        names,
        goal_rows(),
        now=now,
        constants={
            "owner_type": OwnerType.EMPLOYEE,
            "kind": GoalKind.KPI,
            "data_source": "synthetic",
        },
    )
    phase("goals", count)

    keys = [(f"{m.year:04d}-{m.month:02d}", m) for m in months]
    entered = [
        dt.datetime.combine((m.replace(day=28) + dt.timedelta(days=7)), dt.time(9), tzinfo=dt.UTC)
        for m in months
    ]

    def actual_rows() -> Iterator[tuple[Any, ...]]:
        for g, (_p, _code, _target, values) in enumerate(goals):
            for k, value in enumerate(values):
                yield (goal0 + g, keys[k][0], keys[k][1], Decimal(value).scaleb(-2), entered[k])

    count = insert_rows(
        Actual,
        ["goal_id", "period", "period_start", "value", "entered_at"],
        actual_rows(),
        now=now,
        constants={"source": ActualSource.IMPORTED, "batch": "synth"},
    )
    phase("actuals", count)

    # 360 forms: self, manager, three peers, and upward from each direct report.
    forms: list[tuple[int, int, str]] = []  # reviewee, reviewer, source
    for p in range(org.size):
        forms.append((p, p, ReviewSource.SELF))
        if org.manager[p] >= 0:
            forms.append((p, org.manager[p], ReviewSource.MANAGER))
        forms.extend((p, peer, ReviewSource.PEER) for peer in peers[p])
        forms.extend((p, r, ReviewSource.REPORT) for r in org.reports[p])
    form0 = next_id(ReviewForm)
    rng = stream("submitted")
    base = dt.datetime.combine(end, dt.time(9), tzinfo=dt.UTC)
    count = insert_rows(
        ReviewForm,
        ["id", "cycle_id", "reviewee_id", "reviewer_id", "source", "submitted_at"],
        (
            (
                form0 + f,
                cycle.pk,
                emp0 + a,
                emp0 + b,
                s,
                base + dt.timedelta(minutes=rng.randrange(30000)),
            )
            for f, (a, b, s) in enumerate(forms)
        ),
        now=now,
        constants={"status": FormStatus.SUBMITTED},
    )
    phase("review forms", count)

    items = list(
        cycle.template.competencies.order_by("position", "id").values_list("pk", flat=True)
    )
    rng = stream("ratings")
    lenience = [rng.gauss(0, 0.25) for _p in range(org.size)]

    def rating_rows() -> Iterator[tuple[int, int, int]]:
        uniform = rng.uniform
        for f, (a, b, s) in enumerate(forms):
            centre = perf[a] + lenience[b] + (0.4 if s == ReviewSource.SELF else 0.0)
            form_id = form0 + f
            for item in items:
                value = round(centre + uniform(-0.7, 0.7))
                yield (form_id, item, 1 if value < 1 else 5 if value > 5 else value)

    count = insert_rows(Rating, ["form_id", "item_id", "value"], rating_rows(), now=now)
    phase("ratings", count)

    report.counts = {
        "departments": len(org.departments),
        "employees": org.size,
        "goals": org.size * GOALS_PER_PERSON,
        "actuals": org.size * GOALS_PER_PERSON * 3,
        "review_forms": len(forms),
        "ratings": count,
    }

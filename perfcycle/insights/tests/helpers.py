"""Building cycles with stored results directly, so the numbers can be checked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

from django.utils import timezone

from perfcycle.calibration.models import Result
from perfcycle.cycles.models import Cycle, CycleParticipant, GradeScale
from perfcycle.cycles.services import grade_scale_default
from perfcycle.evaluation.models import ScoreResult
from perfcycle.org.models import Employee
from tests.factories import CycleFactory


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def quarter(name: str, year: int, q: int, scale: GradeScale | None = None, **kw: Any) -> Cycle:
    start = dt.date(year, 3 * q - 2, 1)
    end = (dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)) - dt.timedelta(days=1)
    cycle = CycleFactory(name=name, start_date=start, end_date=end, phase="closed", **kw)
    Cycle.objects.filter(pk=cycle.pk).update(grade_scale=scale or grade_scale_default())
    cycle.refresh_from_db()
    return cycle


def join(cycle: Cycle, people: list[Employee]) -> None:
    CycleParticipant.objects.bulk_create(
        [
            CycleParticipant(
                cycle=cycle, employee=e, department_id=e.department_id, manager_id=e.manager_id
            )
            for e in people
        ],
        ignore_conflicts=True,
    )


def result(
    cycle: Cycle,
    employee: Employee,
    score: str,
    grade: str,
    *,
    goals: str | None = None,
    attainments: tuple[str | None, ...] = (),
    released: bool = True,
    computed_grade: str | None = None,
) -> Result:
    ScoreResult.objects.create(
        cycle=cycle,
        employee=employee,
        overall_score=D(score),
        goals_score=D(goals) if goals else None,
        grade=computed_grade or grade,
        computed_at=timezone.now(),
        breakdown={"goals": [{"goal_id": i, "attainment": a} for i, a in enumerate(attainments)]},
    )
    return Result.objects.create(
        cycle=cycle,
        employee=employee,
        department_id=employee.department_id,
        computed_score=D(score),
        computed_grade=computed_grade or grade,
        score=D(score),
        grade=grade,
        released_at=at(cycle.end_date + dt.timedelta(days=20)) if released else None,
    )

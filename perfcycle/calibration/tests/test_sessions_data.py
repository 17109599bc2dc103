"""A cycle in calibration with prepared results, a guideline and a lenient peer, shared by
the session tests and the API tests (no tests here).

    sales:  Mia Manager A · Dan Direct B · Ivy Indirect B  (+ ``extra`` people, grade C)
    other:  Sam Stranger C
    root:   Top S

Lenny Lenient (a peer) rates Dan, Ivy, Sam and Mia 5/5; two fair peers rate 2–3.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

from django.utils import timezone

from perfcycle.calibration.distribution import settings_set
from perfcycle.calibration.models import CalibrationSession, Result
from perfcycle.calibration.results import results_prepare
from perfcycle.calibration.sessions import session_create
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import grade_scale_default, review_template_create
from perfcycle.evaluation.models import (
    FormStatus,
    Rating,
    ReviewForm,
    ScoreResult,
    TemplateCompetency,
)
from perfcycle.monitoring.models import Competency
from perfcycle.org.models import Employee
from tests.factories import CycleFactory, EmployeeFactory

GRADES = {"manager": "A", "direct": "B", "indirect": "B", "stranger": "C", "top": "S"}
SCORES = {"S": D(96), "A": D(88), "B": D(75), "C": D(65), "D": D(40)}


@dataclass
class World:
    cycle: Cycle
    session: CalibrationSession  # the sales department, calibrated by Sam Stranger
    lenient: Employee
    extra: list[Employee]

    def result(self, employee: Employee) -> Result:
        return Result.objects.get(cycle=self.cycle, employee=employee)


def _rate(cycle, reviewee, reviewer, source, values, items):
    form = ReviewForm.objects.create(
        cycle=cycle,
        reviewee=reviewee,
        reviewer=reviewer,
        source=source,
        status=FormStatus.SUBMITTED,
    )
    Rating.objects.bulk_create(
        [Rating(form=form, item=item, value=v) for item, v in zip(items, values, strict=True)]
    )


def session_world(company, *, extra: int = 0, strict: bool = True, ratings: bool = True) -> World:
    template = review_template_create(actor=None, name="Calibration template")
    items = [
        TemplateCompetency.objects.create(
            template=template,
            competency=Competency.objects.create(code=f"C{i}", name=f"Competency {i}"),
            weight=D(50),
            position=i,
        )
        for i in range(2)
    ]
    more = [
        EmployeeFactory(name=f"Extra {i:03d}", manager=company.manager, department=company.sales)
        for i in range(extra)
    ]
    people = [company.top, company.manager, company.direct, company.indirect, company.stranger]
    cycle = CycleFactory(phase=Phase.CALIBRATION, participants=[*people, *more])
    Cycle.objects.filter(pk=cycle.pk).update(
        template=template, grade_scale=grade_scale_default(actor=company.hr)
    )
    cycle.refresh_from_db()
    grades = {getattr(company, name).pk: grade for name, grade in GRADES.items()}
    grades.update({e.pk: "C" for e in more})
    ScoreResult.objects.bulk_create(
        [
            ScoreResult(
                cycle=cycle,
                employee_id=pk,
                overall_score=SCORES[grade],
                grade=grade,
                complete=True,
                computed_at=timezone.now(),
            )
            for pk, grade in grades.items()
        ]
    )
    results_prepare(actor=company.hr, cycle=cycle)
    settings_set(
        actor=company.hr,
        cycle=cycle,
        shares={"S": 10, "A": 20, "B": 50, "C": 15, "D": 5},
        tolerance=D(5),
        strict=strict,
    )
    lenient = EmployeeFactory(name="Lenny Lenient")
    if ratings:
        fair = [EmployeeFactory(name=f"Fair {i}") for i in range(2)]
        for i, person in enumerate(
            [company.direct, company.indirect, company.stranger, company.manager]
        ):
            _rate(cycle, person, lenient, "peer", [5, 5], items)
            _rate(cycle, person, fair[0], "peer", [2 + i % 2, 3], items)
            _rate(cycle, person, fair[1], "peer", [3, 2 + i % 2], items)
    session = session_create(
        actor=company.hr,
        cycle=cycle,
        name="Sales",
        scope="department",
        department=company.sales,
        calibrators=[company.stranger],
    )
    return World(cycle=cycle, session=session, lenient=lenient, extra=more)

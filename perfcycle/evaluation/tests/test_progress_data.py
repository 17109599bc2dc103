"""A cycle in the 360 phase with forms in every state, shared by the progress, reminder
and API tests (no tests here: only builders).

Deadlines: self-review passed 5 days ago, 360 due tomorrow, manager review in 20 days.

    form                         reviewer  status      late?
    self  Dan Direct             direct    submitted
    self  Ivy Indirect           indirect  open        overdue, phase over
    peer  → Dan Direct           stranger  open        due soon (anonymous)
    peer  → Dan Direct           hr_person submitted
    peer  → Dan Direct           top       draft       due soon (anonymous)
    peer  → Ivy Indirect         stranger  draft       due soon (anonymous)
    report → Mia Manager         direct    open        due soon (about the manager)
    manager → Dan Direct         manager   open        not yet due
    self  Sam Stranger           stranger  open        overdue, phase over
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

from django.utils import timezone

from perfcycle.cycles.models import Cycle, CycleDeadline, Phase
from perfcycle.cycles.services import review_template_create
from perfcycle.evaluation.models import FormStatus, ReviewForm, TemplateCompetency
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory, DepartmentFactory, EmployeeFactory


@dataclass
class ProgressSetup:
    cycle: Cycle
    today: dt.date
    forms: dict[str, ReviewForm]


def progress_cycle(company, *, phase: str = Phase.REVIEW_360) -> ProgressSetup:
    c = company
    template = review_template_create(actor=c.hr, name="T", anonymity_min=2)
    comm = Competency.objects.create(code="COMM", name="Communication")
    TemplateCompetency.objects.create(template=template, competency=comm, weight=D(100))
    today = timezone.localdate()
    people = [c.top, c.hr_person, c.manager, c.direct, c.indirect, c.stranger]
    cycle = CycleFactory(
        start_date=today - dt.timedelta(days=90),
        end_date=today - dt.timedelta(days=1),
        phase=phase,
        participants=people,
    )
    Cycle.objects.filter(pk=cycle.pk).update(template=template)
    cycle.refresh_from_db()
    for p, days in (
        (Phase.SELF_REVIEW, -5),
        (Phase.REVIEW_360, 1),
        (Phase.MANAGER_REVIEW, 20),
    ):
        CycleDeadline.objects.create(cycle=cycle, phase=p, due_date=today + dt.timedelta(days=days))
    spec = {
        "self_direct": (c.direct, c.direct, "self", FormStatus.SUBMITTED),
        "self_indirect": (c.indirect, c.indirect, "self", FormStatus.OPEN),
        "peer_direct_stranger": (c.direct, c.stranger, "peer", FormStatus.OPEN),
        "peer_direct_hr": (c.direct, c.hr_person, "peer", FormStatus.SUBMITTED),
        "peer_direct_top": (c.direct, c.top, "peer", FormStatus.DRAFT),
        "peer_indirect_stranger": (c.indirect, c.stranger, "peer", FormStatus.DRAFT),
        "report_manager_direct": (c.manager, c.direct, "report", FormStatus.OPEN),
        "manager_direct": (c.direct, c.manager, "manager", FormStatus.OPEN),
        "self_stranger": (c.stranger, c.stranger, "self", FormStatus.OPEN),
    }
    forms = {
        key: ReviewForm.objects.create(
            cycle=cycle, reviewee=reviewee, reviewer=reviewer, source=source, status=status
        )
        for key, (reviewee, reviewer, source, status) in spec.items()
    }
    return ProgressSetup(cycle=cycle, today=today, forms=forms)


def grow(company, setup: ProgressSetup, size: int) -> None:
    """Add ``size`` people under the manager in a new department, each with a self form
    and a peer form in assorted states (to check that query counts do not grow)."""
    department = DepartmentFactory(name=f"Extra {size}", parent=company.root)
    states = [FormStatus.OPEN, FormStatus.DRAFT, FormStatus.SUBMITTED]
    people = [
        EmployeeFactory(name=f"Extra {i}", manager=company.manager, department=department)
        for i in range(size)
    ]
    rows = []
    for i, person in enumerate(people):
        rows.append(
            ReviewForm(
                cycle=setup.cycle,
                reviewee=person,
                reviewer=person,
                source="self",
                status=states[i % 3],
            )
        )
        rows.append(
            ReviewForm(
                cycle=setup.cycle,
                reviewee=person,
                reviewer=people[(i + 1) % size],
                source="peer",
                status=states[(i + 1) % 3],
            )
        )
    ReviewForm.objects.bulk_create(rows)

from __future__ import annotations

import datetime as dt

import pytest

from perfcycle.cycles.models import Phase
from perfcycle.cycles.services import (
    cycle_create,
    cycle_set_participants,
    cycle_transition,
    grade_scale_default,
    review_template_default,
)


@pytest.fixture
def cycle(company):
    """An open quarter with everyone in the company taking part."""
    cycle = cycle_create(
        actor=company.hr,
        name="2026 Q1",
        period_type="quarter",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 3, 31),
        template=review_template_default(),
        grade_scale=grade_scale_default(),
    )
    cycle_set_participants(actor=company.hr, cycle=cycle, department_ids=[company.root.pk])
    return cycle_transition(actor=company.hr, cycle=cycle, to_phase=Phase.PLANNING)

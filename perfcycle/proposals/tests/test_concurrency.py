"""Ten approvals at once never pass a salary round's budget (PostgreSQL: the round row
lock serialises them; SQLite has one writer and no row locks, nothing to race)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import connection, connections

from perfcycle.core.errors import DomainError
from perfcycle.proposals import services
from perfcycle.proposals.models import Proposal, ProposalStatus
from perfcycle.proposals.tests.conftest import JUSTIFICATION, add_result, build_world, make_round
from perfcycle.rewards.models import Compensation
from perfcycle.rewards.services import compensation_set
from tests.factories import EmployeeFactory


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks (select_for_update) are PostgreSQL's"
)
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_approvals_stay_within_the_budget(company):
    world = build_world(company)
    people = [
        EmployeeFactory(
            employee_number=f"R{i:03}",
            name=f"R{i:03}",
            manager=company.direct,
            department=company.sales,
            hire_date=dt.date(2020, 1, 1),
        )
        for i in range(10)
    ]
    for person in people:
        add_result(world.q2, person, "A")
        compensation_set(actor=company.hr, employee=person, base_monthly=D(10000))
    # Each asks +10 % = 1000 a month; the budget takes five.
    salary_round = make_round(company, world, increase_budget=D(5000))
    proposals = [
        services.proposal_nominate(
            actor=company.user("direct"),
            round=salary_round,
            employee=person,
            justification=JUSTIFICATION,
            increase_pct=D(10),
        )
        for person in people
    ]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(proposals))

    def approve(proposal: Proposal) -> None:
        try:
            barrier.wait()
            services.proposal_approve(
                actor=company.hr, proposal=proposal, effective_on=dt.date(2026, 8, 1)
            )
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(p,)) for p in proposals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 5, outcomes
    assert set(outcomes) <= {"ok", "over_budget"}
    assert services.round_budget_used(salary_round) == D(5000)
    approved = Proposal.objects.filter(round=salary_round, status=ProposalStatus.APPROVED)
    assert approved.count() == 5
    raised = Compensation.objects.filter(employee__in=people, base_monthly=D(11000))
    assert raised.count() == 5

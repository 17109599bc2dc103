"""The demo's proposals: a promotion round with the sales manager's submitted
nomination of an S- or A-graded salesperson, and a salary round whose eligible people
wait for nominations."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from perfcycle.accounts.models import User
from perfcycle.calibration.models import Result
from perfcycle.demo import demo_load
from perfcycle.proposals import selectors
from perfcycle.proposals.models import Proposal, ProposalRound, RoundKind


@pytest.fixture
def demo(db):
    demo_load(stdout=io.StringIO(), until="proposals")


def test_the_demo_rounds(demo):
    promotion = ProposalRound.objects.get(kind=RoundKind.PROMOTION)
    assert (promotion.min_grade, promotion.cycles_considered, promotion.min_tenure_months) == (
        "A",
        1,
        12,
    )
    p = Proposal.objects.get()
    assert p.round == promotion and p.status == "submitted" and p.eligible
    assert p.nominated_by.user.username == "manager"
    assert Result.objects.get(cycle=promotion.cycle, employee=p.employee).grade in ("S", "A")
    assert len(p.justification) >= 30 and p.proposed_level
    salary = ProposalRound.objects.get(kind=RoundKind.SALARY)
    assert not salary.proposals.exists()
    assert selectors.candidates(User.objects.get(username="hr"), salary)


def test_the_demo_pages(demo):
    p = Proposal.objects.get()
    for login in ("hr", "manager"):
        client = Client()
        client.force_login(User.objects.get(username=login))
        for url in (
            "/reward/proposals/",
            f"/reward/proposals/rounds/{p.round_id}/",
            f"/reward/proposals/{p.pk}/",
        ):
            assert client.get(url).status_code == 200, (login, url)
    employee = Client()
    employee.force_login(User.objects.get(username="employee"))
    assert employee.get(f"/reward/proposals/{p.pk}/").status_code == 404

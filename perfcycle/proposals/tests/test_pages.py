"""The proposal pages: GET and POST each, who sees what, constant queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.proposals import services
from perfcycle.proposals.models import Proposal, ProposalRound, ProposalStatus
from perfcycle.proposals.tests.conftest import JUSTIFICATION, add_result
from perfcycle.rewards.models import Compensation
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def _nominate(company, round, who="indirect", by="direct"):
    return services.proposal_nominate(
        actor=company.user(by),
        round=round,
        employee=getattr(company, who),
        justification=JUSTIFICATION,
        increase_pct=D(10),
    )


def test_rounds_page_and_creating_a_round(company, world, as_user):
    hr = as_user(company.hr)
    assert hr.get(reverse("proposals:rounds")).status_code == 200
    response = hr.post(
        reverse("proposals:rounds"),
        {
            "cycle": world.q2.pk,
            "kind": "promotion",
            "name": "Q2 promotions",
            "min_grade": "Z",
            "cycles_considered": 1,
            "min_tenure_months": 12,
        },
    )
    assert response.status_code == 200 and "Unknown grade Z" in response.content.decode()
    response = hr.post(
        reverse("proposals:rounds"),
        {
            "cycle": world.q2.pk,
            "kind": "promotion",
            "name": "Q2 promotions",
            "min_grade": "a",
            "cycles_considered": 1,
            "min_tenure_months": 12,
        },
    )
    round = ProposalRound.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/rounds/{round.pk}/")
    assert round.min_grade == "A"
    # A manager sees the open round but may not create one.
    manager = as_user(company.user("manager"))
    assert "Q2 promotions" in manager.get(reverse("proposals:rounds")).content.decode()
    assert manager.post(reverse("proposals:rounds"), {"name": "x"}).status_code == 403
    # An employee without reports sees no rounds.
    assert (
        as_user(company.user("indirect"))
        .get(reverse("proposals:round", args=[round.pk]))
        .status_code
        == 404
    )


def test_round_page_lists_the_eligible_not_nominated(company, salary_round, as_user):
    url = reverse("proposals:round", args=[salary_round.pk])
    body = as_user(company.user("manager")).get(url).content.decode()
    assert "Ivy Indirect" in body  # eligible in the manager's line
    assert "Sam Stranger" not in body  # not in their line
    assert "used of" not in body  # budget is HR's
    hr_body = as_user(company.hr).get(url).content.decode()
    assert "Sam Stranger" in hr_body and "0 used of 3000.00" in hr_body
    _nominate(company, salary_round)
    body = as_user(company.user("manager")).get(url).content.decode()
    assert body.count("Ivy Indirect") == 1  # now in the proposals table only
    assert "Nobody eligible is waiting" in body
    filtered = as_user(company.hr).get(url + "?status=approved").content.decode()
    assert "No proposals." in filtered


def test_round_edit_and_close(company, salary_round, as_user):
    hr = as_user(company.hr)
    url = reverse("proposals:round_edit", args=[salary_round.pk])
    assert hr.get(url).status_code == 200
    data = {
        "version": 1,
        "name": "Renamed",
        "min_grade": "B",
        "cycles_considered": 1,
        "min_tenure_months": 0,
        "max_increase_pct": "12",
        "increase_budget": "5000",
        "nominations_close_on": "",
    }
    assert hr.post(url, data).status_code == 302
    salary_round.refresh_from_db()
    assert salary_round.name == "Renamed" and salary_round.version == 2
    stale = hr.post(url, {**data, "name": "Stale"})
    assert stale.status_code == 200 and "Somebody else changed" in stale.content.decode()
    assert hr.post(url, {"version": 2, "close": "1"}).status_code == 302
    salary_round.refresh_from_db()
    assert salary_round.status == "closed"
    assert as_user(company.user("manager")).get(url).status_code == 404


def test_nominate_page(company, salary_round, as_user):
    url = reverse("proposals:nominate", args=[salary_round.pk, company.indirect.pk])
    direct = as_user(company.user("direct"))
    body = direct.get(url).content.decode()
    assert "grade S in 2026 Q2" in body and "Engineer" in body
    assert "10000" not in body  # managers do not see pay
    assert "10000" in as_user(company.hr).get(url).content.decode()
    short = direct.post(url, {"justification": "Too short", "increase_pct": "10"})
    assert short.status_code == 200 and "at least 30 characters" in short.content.decode()
    response = direct.post(url, {"justification": JUSTIFICATION, "increase_pct": "10"})
    p = Proposal.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{p.pk}/")
    # A manager from another line may not even see the person.
    stranger_url = reverse("proposals:nominate", args=[salary_round.pk, company.stranger.pk])
    assert direct.get(stranger_url).status_code == 404
    assert direct.post(stranger_url, {"justification": JUSTIFICATION}).status_code == 404


def test_nominating_someone_not_eligible_asks_for_an_exception(company, salary_round, as_user):
    url = reverse("proposals:nominate", args=[salary_round.pk, company.direct.pk])
    client = as_user(company.user("manager"))
    body = client.get(url).content.decode()
    assert "Not eligible" in body and "Exception reason" in body
    response = client.post(url, {"justification": JUSTIFICATION, "increase_pct": "5"})
    assert "exception reason" in response.content.decode()


def test_proposal_page_and_each_action(company, salary_round, as_user):
    p = _nominate(company, salary_round)
    url = reverse("proposals:proposal", args=[p.pk])

    def act(user, name, data):
        return as_user(user).post(reverse("proposals:proposal_action", args=[p.pk, name]), data)

    manager_body = as_user(company.user("manager")).get(url).content.decode()
    assert "Endorse" in manager_body and JUSTIFICATION in manager_body
    assert "10000" not in manager_body
    assert as_user(company.user("indirect")).get(url).status_code == 404
    assert as_user(company.user("stranger")).get(url).status_code == 404
    act(company.user("manager"), "return", {"return-version": 1, "return-reason": "Lower it, 8%."})
    p.refresh_from_db()
    assert p.status == ProposalStatus.RETURNED
    assert "Edit and resubmit" in as_user(company.user("direct")).get(url).content.decode()
    act(
        company.user("direct"),
        "edit",
        {"version": p.version, "justification": JUSTIFICATION, "increase_pct": "8"},
    )
    p.refresh_from_db()
    assert p.status == ProposalStatus.SUBMITTED and p.increase_pct == D(8)
    act(company.user("manager"), "endorse", {"endorse-version": p.version, "endorse-note": "Yes"})
    p.refresh_from_db()
    assert p.status == ProposalStatus.ENDORSED
    response = act(
        company.hr, "approve", {"approve-version": p.version, "approve-effective_on": "2026-08-01"}
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == ProposalStatus.APPROVED and p.effective_on == dt.date(2026, 8, 1)
    assert Compensation.objects.get(employee=company.indirect).base_monthly == D("10800.00")
    # The employee now sees it, on its page and in "My proposals".
    employee = as_user(company.user("indirect"))
    assert employee.get(url).status_code == 200
    assert "My proposals" in employee.get(reverse("proposals:rounds")).content.decode()
    assert JUSTIFICATION not in employee.get(url).content.decode()


def test_reject_withdraw_and_refusals_on_pages(company, salary_round, as_user):
    p = _nominate(company, salary_round)
    url = reverse("proposals:proposal_action", args=[p.pk, "reject"])
    response = as_user(company.hr).post(
        url, {"reject-version": 1, "reject-reason": "no"}, follow=True
    )
    assert "at least 10 characters" in response.content.decode()
    assert (
        as_user(company.user("direct"))
        .post(url, {"reject-version": 1, "reject-reason": "Not this time, sorry."})
        .status_code
        == 403
    )
    withdraw = reverse("proposals:proposal_action", args=[p.pk, "withdraw"])
    as_user(company.user("direct")).post(withdraw, {"version": 1})
    p.refresh_from_db()
    assert p.status == ProposalStatus.WITHDRAWN
    assert (
        as_user(company.hr)
        .post(reverse("proposals:proposal_action", args=[p.pk, "nope"]))
        .status_code
        == 404
    )


def test_stale_action_shows_a_message(company, salary_round, as_user):
    p = _nominate(company, salary_round)
    services.proposal_endorse(actor=company.user("manager"), proposal=p)
    response = as_user(company.hr).post(
        reverse("proposals:proposal_action", args=[p.pk, "reject"]),
        {"reject-version": 1, "reject-reason": "Not this time, sorry."},
        follow=True,
    )
    assert "Somebody else changed" in response.content.decode()


def _grow(company, world, round, n):
    for _ in range(n):
        person = EmployeeFactory(manager=company.manager, department=company.sales)
        add_result(world.q2, person, "A")
        services.proposal_nominate(
            actor=company.hr,
            round=round,
            employee=person,
            justification=JUSTIFICATION,
            increase_pct=D(5),
        ) if _ % 2 else None


def test_round_page_queries_are_constant(company, world, salary_round, as_user):
    client = as_user(company.user("manager"))
    url = reverse("proposals:round", args=[salary_round.pk])
    _grow(company, world, salary_round, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(company, world, salary_round, 8)
    with CaptureQueriesContext(connection) as large:
        body = client.get(url).content.decode()
    assert body.count("/nominate/") > 3
    assert len(large) == len(small)

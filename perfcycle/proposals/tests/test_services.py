"""Rounds and proposals through the services: each step, each refusal, and the effect
of an approval on the pay or the title and level on record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.org.models import Employee
from perfcycle.proposals import services
from perfcycle.proposals.models import Proposal, ProposalRound, ProposalStatus, RoundKind
from perfcycle.proposals.tests.conftest import JUSTIFICATION, make_round
from perfcycle.rewards.models import Compensation

pytestmark = pytest.mark.django_db
EFFECTIVE = dt.date(2026, 8, 1)


def nominate(company, round, who="indirect", by="direct", **kwargs):
    values = {"justification": JUSTIFICATION}
    if round.kind == RoundKind.SALARY:
        values["increase_pct"] = D(10)
    else:
        values.update(proposed_title="Senior Engineer", proposed_level="P4")
    values.update(kwargs)
    return services.proposal_nominate(
        actor=company.user(by), round=round, employee=getattr(company, who), **values
    )


# Rounds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_grade": "X"}, "min_grade"),
        ({"cycles_considered": 0}, "cycles_considered"),
        ({"min_tenure_months": -1}, "min_tenure_months"),
        ({"max_increase_pct": D(-5)}, "max_increase_pct"),
        ({"increase_budget": D(-1)}, "increase_budget"),
    ],
)
def test_round_validation(company, world, changes, field):
    with pytest.raises(ValidationFailed) as exc:
        make_round(company, world, **changes)
    assert field in exc.value.details["fields"]
    assert not ProposalRound.objects.exists()


def test_unknown_grade_says_which_grades_exist(company, world):
    with pytest.raises(ValidationFailed, match=r"Unknown grade X: choose one of S, A, B, C, D"):
        make_round(company, world, min_grade="X")


def test_only_hr_manages_rounds(company, world, salary_round):
    with pytest.raises(Forbidden):
        services.round_create(
            actor=company.user("manager"), cycle=world.q2, kind="promotion", name="x", min_grade="A"
        )
    with pytest.raises(Forbidden):
        services.round_close(actor=company.user("manager"), round=salary_round)


def test_round_update_is_audited_and_versioned(company, salary_round):
    services.round_update(
        actor=company.hr, round=salary_round, expected_version=1, max_increase_pct=D(12)
    )
    assert salary_round.version == 2 and salary_round.max_increase_pct == D(12)
    assert AuditEvent.objects.filter(object_type__icontains="proposalround").count() == 2
    with pytest.raises(Conflict):
        services.round_update(
            actor=company.hr, round=ProposalRound.objects.get(), expected_version=1, name="Old"
        )


# Nominating -----------------------------------------------------------------------------


def test_nominate_snapshots_pay_eligibility_and_computes_the_new_base(company, salary_round):
    p = nominate(company, salary_round, increase_pct=D("7.5"))
    assert p.status == ProposalStatus.SUBMITTED and p.eligible
    assert p.nominated_by == company.direct
    assert p.current_base == D(10000) and p.proposed_base == D("10750.00")
    assert p.eligibility["grades"][0]["grade"] == "S"
    assert AuditEvent.objects.filter(object_type__icontains="proposal", action="create").exists()


def test_promotion_snapshots_title_and_level(company, promotion_round):
    p = nominate(company, promotion_round)
    assert (p.current_title, p.current_level) == ("Engineer", "P3")
    assert (p.proposed_title, p.proposed_level) == ("Senior Engineer", "P4")
    assert p.increase_pct is None
    with pytest.raises(ValidationFailed, match="Give the proposed level"):
        nominate(company, promotion_round, who="stranger", by="hr_person", proposed_level="")


def test_short_justification_is_refused(company, salary_round):
    with pytest.raises(ValidationFailed, match="at least 30 characters"):
        nominate(company, salary_round, justification="Good work this quarter.")


def test_ineligible_needs_an_exception_reason(company, salary_round):
    with pytest.raises(ValidationFailed, match="not eligible") as exc:
        nominate(company, salary_round, who="direct", by="manager")
    assert "exception_reason" in exc.value.details["fields"]
    with pytest.raises(ValidationFailed):
        nominate(company, salary_round, who="direct", by="manager", exception_reason="too short")
    p = nominate(
        company,
        salary_round,
        who="direct",
        by="manager",
        exception_reason="Took over the biggest account mid-quarter; B reflects the handover.",
    )
    assert not p.eligible and p.eligibility["reasons"]


def test_one_live_proposal_per_person(company, salary_round):
    first = nominate(company, salary_round)
    with pytest.raises(DomainError, match="already has a proposal") as exc:
        nominate(company, salary_round, by="manager")
    assert exc.value.code == "duplicate_proposal"
    # The database says the same.
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.create(
            round=salary_round, employee=company.indirect, justification=JUSTIFICATION
        )
    services.proposal_withdraw(actor=company.user("direct"), proposal=first)
    again = nominate(company, salary_round, by="manager")
    assert again.status == ProposalStatus.SUBMITTED


def test_closed_round_and_closed_nominations(company, salary_round):
    services.round_update(
        actor=company.hr, round=salary_round, nominations_close_on=dt.date(2020, 1, 1)
    )
    with pytest.raises(DomainError, match="Nominations closed on 2020-01-01"):
        nominate(company, salary_round)
    services.round_update(actor=company.hr, round=salary_round, nominations_close_on=None)
    services.round_close(actor=company.hr, round=salary_round)
    with pytest.raises(DomainError, match="round is closed"):
        nominate(company, salary_round)


def test_over_the_maximum_increase(company, salary_round):
    with pytest.raises(ValidationFailed, match="at most 15") as exc:
        nominate(company, salary_round, increase_pct=D("15.01"))
    assert exc.value.code == "over_max_increase"
    with pytest.raises(ValidationFailed, match="above 0"):
        nominate(company, salary_round, increase_pct=D(0))


def test_a_stranger_manager_may_not_nominate(company, salary_round):
    with pytest.raises(Forbidden):
        nominate(company, salary_round, by="stranger")


# Steps ----------------------------------------------------------------------------------


def test_submit_endorse_approve_raises_the_pay(company, salary_round):
    p = nominate(company, salary_round)  # direct nominates indirect
    with pytest.raises(Forbidden, match="manager above"):  # the direct manager
        services.proposal_endorse(actor=company.user("direct"), proposal=p)
    with pytest.raises(Forbidden):  # HR only decides
        services.proposal_approve(actor=company.user("manager"), proposal=p, effective_on=EFFECTIVE)
    services.proposal_endorse(actor=company.user("manager"), proposal=p, note="Agreed.")
    assert p.status == ProposalStatus.ENDORSED and p.endorsed_by == company.user("manager")
    with pytest.raises(ValidationFailed):
        services.proposal_approve(actor=company.hr, proposal=p, effective_on=None)
    services.proposal_approve(actor=company.hr, proposal=p, effective_on=EFFECTIVE)
    p.refresh_from_db()
    assert p.status == ProposalStatus.APPROVED and not p.decided_without_endorsement
    comp = Compensation.objects.get(employee=company.indirect)
    assert comp.base_monthly == D("11000.00") and comp.target_bonus_months == D(2)
    assert AuditEvent.objects.filter(
        object_type__icontains="compensation", action="update"
    ).exists()
    with pytest.raises(DomainError, match="already approved"):
        services.proposal_approve(actor=company.hr, proposal=p, effective_on=EFFECTIVE)


def test_the_nominator_may_not_endorse_their_own_nomination(company, promotion_round):
    p = nominate(company, promotion_round, by="manager")  # an indirect manager of indirect
    with pytest.raises(Forbidden, match="own nomination"):
        services.proposal_endorse(actor=company.user("manager"), proposal=p)
    services.proposal_endorse(actor=company.user("top"), proposal=p)
    assert p.status == ProposalStatus.ENDORSED


def test_hr_may_decide_without_endorsement(company, promotion_round):
    p = nominate(company, promotion_round)
    services.proposal_approve(actor=company.hr, proposal=p, effective_on=EFFECTIVE)
    assert p.decided_without_endorsement
    person = Employee.objects.get(pk=company.indirect.pk)
    assert (person.job_title, person.level) == ("Senior Engineer", "P4")


def test_return_edit_resubmit(company, salary_round):
    p = nominate(company, salary_round)
    with pytest.raises(ValidationFailed):
        services.proposal_return(actor=company.user("manager"), proposal=p, reason="no")
    services.proposal_return(
        actor=company.user("manager"), proposal=p, reason="Propose 8% to fit the budget."
    )
    assert p.status == ProposalStatus.RETURNED
    with pytest.raises(DomainError, match="Only a submitted proposal"):
        services.proposal_endorse(actor=company.user("manager"), proposal=p)
    with pytest.raises(Forbidden):
        services.proposal_update(actor=company.user("manager"), proposal=p, increase_pct=D(8))
    services.proposal_update(actor=company.user("direct"), proposal=p, increase_pct=D(8))
    assert p.proposed_base == D("10800.00")
    services.proposal_resubmit(actor=company.user("direct"), proposal=p)
    assert p.status == ProposalStatus.SUBMITTED
    with pytest.raises(DomainError):
        services.proposal_update(actor=company.user("direct"), proposal=p, increase_pct=D(9))


def test_reject_needs_a_reason_and_withdraw_only_before_a_decision(company, salary_round):
    p = nominate(company, salary_round)
    with pytest.raises(ValidationFailed, match="at least 10"):
        services.proposal_reject(actor=company.hr, proposal=p, reason="No.")
    with pytest.raises(Forbidden):
        services.proposal_withdraw(actor=company.user("manager"), proposal=p)
    services.proposal_reject(actor=company.hr, proposal=p, reason="Budget goes to the new team.")
    assert p.status == ProposalStatus.REJECTED and p.decision_note
    with pytest.raises(DomainError, match="cannot be withdrawn"):
        services.proposal_withdraw(actor=company.user("direct"), proposal=p)
    # A rejected proposal does not block a new one.
    assert nominate(company, salary_round, by="manager").status == ProposalStatus.SUBMITTED


def test_no_pay_on_record_is_refused_at_approval(company, salary_round):
    p = nominate(
        company,
        salary_round,
        who="manager",
        by="hr_person",
    )
    assert p.current_base is None and p.proposed_base is None
    with pytest.raises(DomainError, match="no pay on record") as exc:
        services.proposal_approve(actor=company.hr, proposal=p, effective_on=EFFECTIVE)
    assert exc.value.code == "no_compensation"
    assert Proposal.objects.get(pk=p.pk).status == ProposalStatus.SUBMITTED


def test_the_budget_holds_over_approvals(company, salary_round):
    # Budget 3000 a month: indirect +1000 (10%), stranger +1800 (15%), then 1 more is over.
    first = nominate(company, salary_round)
    second = nominate(company, salary_round, who="stranger", by="hr_person", increase_pct=D(15))
    services.proposal_approve(actor=company.hr, proposal=first, effective_on=EFFECTIVE)
    services.proposal_approve(actor=company.hr, proposal=second, effective_on=EFFECTIVE)
    assert services.round_budget_used(salary_round) == D(2800)
    services.round_update(actor=company.hr, round=salary_round, min_grade="B")
    third = nominate(company, salary_round, who="direct", by="manager", increase_pct=D(2))
    with pytest.raises(DomainError, match="pass the round's budget") as exc:
        services.proposal_approve(actor=company.hr, proposal=third, effective_on=EFFECTIVE)
    assert exc.value.code == "over_budget"
    assert Compensation.objects.get(employee=company.direct).base_monthly == D(20000)


def test_a_stale_version_is_a_conflict(company, salary_round):
    p = nominate(company, salary_round)
    services.proposal_endorse(actor=company.user("manager"), proposal=p)
    stale = Proposal.objects.get(pk=p.pk)
    with pytest.raises(Conflict):
        services.proposal_reject(
            actor=company.hr, proposal=stale, reason="Not this time round.", expected_version=1
        )


def test_visibility(company, salary_round):
    p = nominate(company, salary_round)
    assert list(services.visible_proposals(company.user("manager"))) == [p]
    assert list(services.visible_proposals(company.user("indirect"))) == []
    assert list(services.visible_proposals(company.user("stranger"))) == []
    services.proposal_approve(actor=company.hr, proposal=p, effective_on=EFFECTIVE)
    assert list(services.visible_proposals(company.user("indirect"))) == [p]

"""Salary review and promotion proposals (调薪与晋升提名), following a cycle's released
results.

HR opens a *round* for a cycle with its eligibility rules (a minimum grade held in the
last N cycles with results, a minimum tenure) and, for salary reviews, a cap on the
increase and an optional monthly budget. Managers nominate people with a justification
(someone not eligible only with an exception reason); a manager above the nominator
endorses; HR approves or rejects. A proposal runs submitted → endorsed → approved |
rejected, may be returned to the nominator (who edits and resubmits) or withdrawn by them
before a decision.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfcycle.core.models import JSONField, VersionedModel
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Employee

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 6, "decimal_places": 2}
MIN_JUSTIFICATION = 30
MIN_EXCEPTION_REASON = 20
MIN_REJECT_REASON = 10
MIN_RETURN_REASON = 10


class RoundKind(models.TextChoices):
    SALARY = "salary_review", _("salary review")
    PROMOTION = "promotion", _("promotion")


class RoundStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class ProposalRound(VersionedModel):
    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, related_name="proposal_rounds", verbose_name=_("cycle")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RoundKind.choices)
    name = models.CharField(_("name"), max_length=120)
    min_grade = models.CharField(
        _("minimum grade"),
        max_length=8,
        help_text=_("A grade of the cycle's scale; that grade or better qualifies."),
    )
    cycles_considered = models.PositiveSmallIntegerField(
        _("cycles considered"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("The grade must be held in each of the last N cycles with results."),
    )
    min_tenure_months = models.PositiveSmallIntegerField(_("minimum tenure (months)"), default=0)
    max_increase_pct = models.DecimalField(
        _("maximum increase %"),
        default=Decimal(15),
        validators=[MinValueValidator(Decimal("0.01"))],
        **PERCENT,
    )
    increase_budget = models.DecimalField(
        _("monthly increase budget"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("The approved increases' monthly amounts may not exceed it."),
        **MONEY,
    )
    nominations_close_on = models.DateField(_("nominations close on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("proposal round")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "name"], name="proposal_round_unique_name"),
            models.CheckConstraint(
                condition=models.Q(cycles_considered__gte=1),
                name="proposal_round_cycles_at_least_one",
            ),
            models.CheckConstraint(
                condition=models.Q(increase_budget__isnull=True) | models.Q(increase_budget__gte=0),
                name="proposal_round_budget_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_salary(self) -> bool:
        return self.kind == RoundKind.SALARY

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    ENDORSED = "endorsed", _("endorsed")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    RETURNED = "returned", _("returned")
    WITHDRAWN = "withdrawn", _("withdrawn")


# A live proposal blocks another one for the same person in the round.
LIVE_STATUSES = (
    ProposalStatus.SUBMITTED,
    ProposalStatus.ENDORSED,
    ProposalStatus.RETURNED,
    ProposalStatus.APPROVED,
)
# Waiting for a decision.
PENDING_STATUSES = (ProposalStatus.SUBMITTED, ProposalStatus.ENDORSED)


class Proposal(VersionedModel):
    round = models.ForeignKey(
        ProposalRound, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("round")
    )
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("employee")
    )
    nominated_by = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("nominated by"),
    )
    justification = models.TextField(_("justification"))
    eligible = models.BooleanField(_("eligible"), default=False)
    eligibility = JSONField(_("eligibility"), default=dict, blank=True)
    exception_reason = models.TextField(_("exception reason"), blank=True)
    current_base = models.DecimalField(
        _("current base monthly pay"), null=True, blank=True, **MONEY
    )
    increase_pct = models.DecimalField(_("increase %"), null=True, blank=True, **PERCENT)
    proposed_base = models.DecimalField(
        _("proposed base monthly pay"), null=True, blank=True, **MONEY
    )
    current_title = models.CharField(_("current title"), max_length=120, blank=True)
    current_level = models.CharField(_("current level"), max_length=32, blank=True)
    proposed_title = models.CharField(_("proposed title"), max_length=120, blank=True)
    proposed_level = models.CharField(_("proposed level"), max_length=32, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ProposalStatus.choices,
        default=ProposalStatus.SUBMITTED,
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    return_reason = models.TextField(_("reason for returning"), blank=True)
    endorsed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    endorsed_at = models.DateTimeField(_("endorsed"), null=True, blank=True)
    endorse_note = models.TextField(_("endorsement note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_without_endorsement = models.BooleanField(
        _("decided without endorsement"), default=False
    )
    effective_on = models.DateField(_("effective on"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposal")
        ordering = ["round", "employee__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "employee"],
                condition=models.Q(status__in=[s.value for s in LIVE_STATUSES]),
                name="proposal_one_live_per_person",
            ),
            models.CheckConstraint(
                condition=models.Q(increase_pct__isnull=True) | models.Q(increase_pct__gt=0),
                name="proposal_increase_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round}: {self.employee}"

    @property
    def increase_amount(self) -> Decimal | None:
        if self.proposed_base is None or self.current_base is None:
            return None
        return self.proposed_base - self.current_base

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATUSES

    def policy_subject(self) -> Employee:
        return self.employee

    def policy_members(self) -> list[Employee]:
        """Once approved, the proposal is its employee's to see."""
        return [self.employee] if self.status == ProposalStatus.APPROVED else []

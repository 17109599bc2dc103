"""Closing the loop (循环改进): the cycle retrospective and the next cycle's targets.

At the close HR opens a retrospective; each participant answers once — three 1–5
ratings, a free comment and, for each of their own goals, whether its target was too
low, about right or too high. Answers are only ever shown in aggregate, and only for
groups of at least the anonymity minimum. The target-difficulty analysis
(``targets.py``, rules in docs/target-analysis.md) proposes next-cycle targets per
indicator; HR approves or rejects them. Nothing is applied automatically: the roll-over
reads ``selectors.approved_targets``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfcycle.core.models import JSONField, TimeStampedModel, VersionedModel
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Employee
from perfcycle.planning.models import AMOUNT, Goal, Indicator

RATING = [MinValueValidator(1), MaxValueValidator(5)]
DEFAULT_ANONYMITY_MINIMUM = 3


class RetroSettings(VersionedModel):
    """The cycle's retrospective: open from ``opened_at`` until the end of ``closes_on``."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="retro_settings")
    opened_at = models.DateTimeField(_("opened"))
    closes_on = models.DateField(_("closes on"))
    anonymity_minimum = models.PositiveSmallIntegerField(
        _("anonymity minimum"),
        default=DEFAULT_ANONYMITY_MINIMUM,
        validators=[MinValueValidator(2)],
        help_text=_("A group's answers are shown only once at least this many have answered."),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("retrospective")

    def __str__(self) -> str:
        return f"{self.cycle}: {self.closes_on}"


class RetroResponse(TimeStampedModel):
    """One participant's answer. Never shown on its own: only in aggregates."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="retro_responses")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    clarity = models.PositiveSmallIntegerField(_("clarity of goals"), validators=RATING)
    fairness = models.PositiveSmallIntegerField(_("fairness of evaluation"), validators=RATING)
    coaching = models.PositiveSmallIntegerField(_("usefulness of coaching"), validators=RATING)
    comment = models.TextField(_("comment"), blank=True, max_length=4000)
    submitted_at = models.DateTimeField(_("submitted"))

    class Meta:
        verbose_name = _("retrospective answer")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "employee"], name="retro_response_unique"),
            models.CheckConstraint(
                condition=models.Q(clarity__gte=1, clarity__lte=5)
                & models.Q(fairness__gte=1, fairness__lte=5)
                & models.Q(coaching__gte=1, coaching__lte=5),
                name="retro_response_ratings_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.employee_id}"

    def policy_subject(self) -> Employee:
        return self.employee


class Verdict(models.TextChoices):
    TOO_LOW = "too_low", _("too low (too easy)")
    ABOUT_RIGHT = "about_right", _("about right")
    TOO_HIGH = "too_high", _("too high (too hard)")


class GoalVerdict(models.Model):
    """What a participant thought of one of their own goals' target."""

    response = models.ForeignKey(RetroResponse, on_delete=models.CASCADE, related_name="verdicts")
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="+")
    verdict = models.CharField(_("target was"), max_length=12, choices=Verdict.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "goal"], name="goal_verdict_unique")
        ]

    def __str__(self) -> str:
        return f"{self.goal_id}: {self.verdict}"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class TargetProposal(VersionedModel):
    """A proposed next-cycle target for one indicator, from this cycle's evidence."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="target_proposals")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    flag = models.CharField(_("flag"), max_length=12, blank=True)
    current_target = models.DecimalField(_("current target"), **AMOUNT)
    proposed_target = models.DecimalField(_("proposed target"), **AMOUNT)
    reasoning = models.TextField(_("reasoning"))
    evidence = JSONField(_("evidence"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    approved_target = models.DecimalField(_("approved target"), null=True, blank=True, **AMOUNT)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("target proposal")
        ordering = ["cycle", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "indicator"], name="target_proposal_unique_indicator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.indicator_id} → {self.proposed_target}"


class RollOver(TimeStampedModel):
    """A closed cycle rolled over into the next one; once per source cycle.

    ``report`` keeps what was done (participants, goals with old → new targets, carried
    action items and plans) as it was at the time."""

    source = models.OneToOneField(
        Cycle, on_delete=models.PROTECT, related_name="rolled_over_into", verbose_name=_("from")
    )
    target = models.OneToOneField(
        Cycle, on_delete=models.PROTECT, related_name="rolled_over_from", verbose_name=_("into")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    report = JSONField(_("report"), default=dict)

    class Meta:
        verbose_name = _("roll-over")

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"

"""Reward (激励): pay on record, bonus plans that turn final grades into amounts within a
budget (绩效系数), the lines a manager may adjust within a band, and what each person
says motivates them.

Money is always ``Decimal``. A plan goes draft → computed → approved; computing writes
one ``BonusLine`` per person with every factor it used, so each amount explains itself.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from perfcycle.core.models import JSONField, TimeStampedModel, VersionedModel
from perfcycle.cycles.models import Cycle
from perfcycle.monitoring.models import Course
from perfcycle.org.models import Department, Employee

MONEY = {"max_digits": 14, "decimal_places": 2}
FACTOR = {"max_digits": 12, "decimal_places": 6}
NON_NEGATIVE = [MinValueValidator(Decimal(0))]


class Compensation(VersionedModel):
    """A person's pay on record: base monthly pay and a target bonus, either an amount or
    a number of months of base pay."""

    employee = models.OneToOneField(
        Employee, on_delete=models.CASCADE, related_name="compensation", verbose_name=_("employee")
    )
    base_monthly = models.DecimalField(_("base monthly pay"), validators=NON_NEGATIVE, **MONEY)
    target_bonus_amount = models.DecimalField(
        _("target bonus amount"), null=True, blank=True, validators=NON_NEGATIVE, **MONEY
    )
    target_bonus_months = models.DecimalField(
        _("target bonus (months of base pay)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")

    class Meta:
        verbose_name = _("compensation")

    def __str__(self) -> str:
        return f"{self.employee}: {self.base_monthly} {self.currency}"

    def policy_subject(self) -> Employee:
        return self.employee

    @property
    def target(self) -> Decimal | None:
        """The target bonus: the amount if set, else months × base pay."""
        if self.target_bonus_amount is not None:
            return self.target_bonus_amount
        if self.target_bonus_months is not None:
            return self.target_bonus_months * self.base_monthly
        return None


class Method(models.TextChoices):
    TARGET = "target", _("target bonus × coefficients, scaled to the budget")
    POOL = "pool", _("department pools shared by base pay × coefficient")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    COMPUTED = "computed", pgettext_lazy("bonus plan status", "computed")
    APPROVED = "approved", _("approved")


class TrainingRule(models.TextChoices):
    """How required training bears on a bonus: not at all, as a condition of eligibility,
    or as a factor for those who completed it."""

    NONE = "none", _("training does not count")
    CONDITION = "condition", _("required training is a condition of the bonus")
    FACTOR = "factor", _("completing required training multiplies the bonus")


class BonusPlan(VersionedModel):
    """A cycle's bonus plan: the budget, the method, the coefficient per grade (绩效系数)
    and how far managers may adjust a computed amount."""

    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, related_name="bonus_plans", verbose_name=_("cycle")
    )
    name = models.CharField(_("name"), max_length=120)
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    budget = models.DecimalField(_("budget"), validators=NON_NEGATIVE, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    rounding_unit = models.DecimalField(
        _("rounding unit"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.01"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Amounts are rounded to multiples of this (0.01, 1, 100 …)."),
    )
    grade_coefficients = JSONField(
        _("coefficient per grade"),
        default=dict,
        help_text=_('For example {"S": "1.5", "A": "1.2", "B": "1.0", "C": "0.5", "D": "0"}.'),
    )
    adjustment_band = models.DecimalField(
        _("adjustment band %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(10),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    training_rule = models.CharField(
        _("training rule"), max_length=10, choices=TrainingRule.choices, default=TrainingRule.NONE
    )
    required_courses = models.ManyToManyField(
        Course, blank=True, related_name="+", verbose_name=_("required courses")
    )
    training_factor = models.DecimalField(
        _("training factor"),
        max_digits=6,
        decimal_places=3,
        default=Decimal(1),
        help_text=_("Applied to people who completed every required course, e.g. 1.05."),
    )
    training_deadline = models.DateField(
        _("training completed by"),
        null=True,
        blank=True,
        help_text=_("Optional: only courses completed on or before this date count."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    remainder = models.DecimalField(_("remainder not allocated"), default=Decimal(0), **MONEY)
    excluded = JSONField(_("people left out"), default=list, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("bonus plan")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "name"], name="bonus_plan_unique_name"),
            models.CheckConstraint(
                condition=models.Q(budget__gte=0), name="bonus_plan_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(training_factor__gt=0),
                name="bonus_plan_training_factor_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlanDepartment(models.Model):
    """A department's coefficient in a plan and, for the pool method, its pool."""

    plan = models.ForeignKey(BonusPlan, on_delete=models.CASCADE, related_name="departments")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    coefficient = models.DecimalField(
        _("department coefficient"),
        max_digits=6,
        decimal_places=3,
        default=Decimal(1),
        validators=NON_NEGATIVE,
    )
    pool = models.DecimalField(_("pool"), null=True, blank=True, validators=NON_NEGATIVE, **MONEY)

    class Meta:
        verbose_name = _("plan department")
        constraints = [
            models.UniqueConstraint(fields=["plan", "department"], name="plan_department_unique")
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.department_id} × {self.coefficient}"


class BonusLine(VersionedModel):
    """One person's bonus in a plan, with every factor that made it."""

    plan = models.ForeignKey(BonusPlan, on_delete=models.CASCADE, related_name="lines")
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="bonus_lines", verbose_name=_("employee")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    grade = models.CharField(_("grade"), max_length=8)
    base = models.DecimalField(_("base monthly pay"), **MONEY)
    target = models.DecimalField(_("target bonus"), null=True, blank=True, **MONEY)
    grade_coefficient = models.DecimalField(_("grade coefficient"), **FACTOR)
    department_coefficient = models.DecimalField(_("department coefficient"), **FACTOR)
    training_factor = models.DecimalField(_("training factor"), null=True, blank=True, **FACTOR)
    training_met = models.BooleanField(_("required training completed"), null=True, blank=True)
    raw_amount = models.DecimalField(_("amount before scaling"), max_digits=20, decimal_places=6)
    scale_factor = models.DecimalField(_("scale factor"), max_digits=16, decimal_places=10)
    amount = models.DecimalField(_("computed amount"), **MONEY)
    adjustment = models.DecimalField(_("adjustment"), default=Decimal(0), **MONEY)
    reason = models.TextField(_("reason for the adjustment"), blank=True)
    final_amount = models.DecimalField(_("final amount"), **MONEY)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("bonus line")
        ordering = ["plan", "employee__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "employee"], name="bonus_line_unique_person"),
            models.CheckConstraint(
                condition=models.Q(final_amount__gte=0), name="bonus_line_final_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.employee} {self.final_amount}"

    def policy_subject(self) -> Employee:
        return self.employee

    def policy_members(self) -> list[Employee]:
        """The person sees their own line once the plan is approved, never before."""
        return [self.employee] if self.plan.status == PlanStatus.APPROVED else []

    @property
    def band_limit(self) -> Decimal:
        """The most the amount may move either way."""
        return (self.amount * self.plan.adjustment_band / Decimal(100)).quantize(Decimal("0.01"))


class Motivator(models.TextChoices):
    BONUS = "bonus", _("bonus")
    PROMOTION = "promotion", _("promotion")
    LEARNING = "learning", _("learning and training")
    RECOGNITION = "recognition", _("recognition")
    FLEXIBLE = "flexible", _("flexible work")
    CHALLENGE = "challenge", _("challenging projects")


class MotivationProfile(TimeStampedModel):
    """What motivates a person, most important first: all six motivators, in order."""

    employee = models.OneToOneField(
        Employee, on_delete=models.CASCADE, related_name="motivation", verbose_name=_("employee")
    )
    motivators = JSONField(_("motivators, most important first"), default=list)

    class Meta:
        verbose_name = _("motivation profile")

    def __str__(self) -> str:
        return f"{self.employee}: {', '.join(self.motivators)}"

    def policy_subject(self) -> Employee:
        return self.employee

    @property
    def labels(self) -> list[str]:
        names = dict(Motivator.choices)
        return [str(names.get(code, code)) for code in self.motivators]

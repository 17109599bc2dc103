"""Goals with measurable standards and scoring rules, the indicator library, action
plans, and the agreement between manager and employee (双方确认).

A goal belongs to a cycle and an owner: the company, a department, or an employee. A
``parent`` links it into the cascade. An employee's goals in a cycle form a *goal
sheet*, which moves draft → proposed → approved → acknowledged as a whole; every
acknowledgement keeps a snapshot of exactly what was acknowledged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfcycle.core.models import JSONField, TimeStampedModel, VersionedModel
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Department, Employee
from perfcycle.planning.scoring import Aggregation, Direction, Rule, RuleType, Standard

AMOUNT = {"max_digits": 18, "decimal_places": 4}
POINTS = {"max_digits": 6, "decimal_places": 2}


class MeasurementPeriod(models.TextChoices):
    WEEK = "week", _("weekly")
    MONTH = "month", _("monthly")
    QUARTER = "quarter", _("quarterly")
    CYCLE = "cycle", _("once for the cycle")


class ScoringFields(models.Model):
    """The measurable standard and scoring rule shared by indicators and goals."""

    unit = models.CharField(_("unit"), max_length=32, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    measurement_period = models.CharField(
        _("measurement period"),
        max_length=8,
        choices=MeasurementPeriod.choices,
        default=MeasurementPeriod.MONTH,
    )
    aggregation = models.CharField(
        _("periods combine by"), max_length=8, choices=Aggregation.choices, default=Aggregation.SUM
    )
    calculation_method = models.TextField(_("how it is calculated"), blank=True)
    quality_conditions = models.TextField(_("quality conditions"), blank=True)
    data_source = models.CharField(_("data source"), max_length=200, blank=True)
    allow_negative = models.BooleanField(_("negative values allowed"), default=False)
    rule_type = models.CharField(
        _("scoring rule"), max_length=20, choices=RuleType.choices, default=RuleType.LINEAR
    )
    rule_floor = models.DecimalField(_("lowest score"), default=Decimal(0), **POINTS)
    rule_cap = models.DecimalField(_("highest score"), default=Decimal(120), **POINTS)
    threshold_points = models.DecimalField(
        _("score at the threshold"), default=Decimal(60), **POINTS
    )
    bands = JSONField(
        _("score bands"),
        default=list,
        blank=True,
        help_text=_("Pairs of [attainment from %, points], e.g. [[100, 100], [80, 80], [60, 60]]."),
    )

    class Meta:
        abstract = True

    def rule(self) -> Rule:
        return Rule(
            type=self.rule_type,
            floor=self.rule_floor,
            cap=self.rule_cap,
            threshold_points=self.threshold_points,
            bands=tuple(
                (Decimal(str(low)), Decimal(str(points))) for low, points in self.bands or ()
            ),
        )


class Indicator(ScoringFields, VersionedModel):
    """A reusable KPI definition (指标库), typically per job family."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    job_family = models.CharField(_("job family"), max_length=64, blank=True, db_index=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["job_family", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class SheetStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PROPOSED = "proposed", _("proposed")
    APPROVED = "approved", _("approved, awaiting acknowledgement")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")


class GoalSheetQuerySet(models.QuerySet):
    def awaiting_acknowledgement(self) -> GoalSheetQuerySet:
        return self.filter(status=SheetStatus.APPROVED)

    def awaiting_approval(self) -> GoalSheetQuerySet:
        return self.filter(status=SheetStatus.PROPOSED)


class GoalSheet(VersionedModel):
    """One employee's goals in one cycle, agreed as a whole."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="goal_sheets")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="goal_sheets")
    status = models.CharField(
        _("agreement"), max_length=16, choices=SheetStatus.choices, default=SheetStatus.DRAFT
    )
    proposed_at = models.DateTimeField(_("proposed"), null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    objects = GoalSheetQuerySet.as_manager()

    class Meta:
        verbose_name = _("goal sheet")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "employee"], name="goal_sheet_unique")
        ]
        indexes = [models.Index(fields=["cycle", "status"], name="goal_sheet_status")]

    def __str__(self) -> str:
        return f"{self.cycle} · {self.employee}"

    def policy_subject(self) -> Employee:
        return self.employee


class Acknowledgement(models.Model):
    """An employee's confirmation of their goals, with exactly what they saw."""

    sheet = models.ForeignKey(GoalSheet, on_delete=models.CASCADE, related_name="acknowledgements")
    acknowledged_at = models.DateTimeField(_("acknowledged"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sheet_version = models.PositiveIntegerField()
    snapshot = JSONField()

    class Meta:
        ordering = ["-acknowledged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sheet} @ {self.acknowledged_at:%Y-%m-%d}"


class OwnerType(models.TextChoices):
    COMPANY = "company", _("company")
    DEPARTMENT = "department", _("department")
    EMPLOYEE = "employee", _("employee")


class GoalKind(models.TextChoices):
    KPI = "kpi", _("quantitative KPI")
    OKR = "okr", _("OKR")
    MILESTONE = "milestone", _("milestone / task")
    QUALITATIVE = "qualitative", _("qualitative")


class GoalQuerySet(models.QuerySet):
    def for_employee(self, employee: Employee) -> GoalQuerySet:
        return self.filter(owner_type=OwnerType.EMPLOYEE, employee=employee)

    def awaiting_acknowledgement(self) -> GoalQuerySet:
        return self.filter(sheet__status=SheetStatus.APPROVED)


class Goal(ScoringFields, VersionedModel):
    # No index of its own: the indexes below all start with the cycle.
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="goals", db_index=False)
    owner_type = models.CharField(_("owner"), max_length=12, choices=OwnerType.choices)
    employee = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("employee"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("department"),
    )
    sheet = models.ForeignKey(
        GoalSheet, on_delete=models.CASCADE, null=True, blank=True, related_name="goals"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("aligned to"),
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("indicator"),
    )
    ref = models.CharField(
        _("reference"),
        max_length=64,
        blank=True,
        help_text=_("Optional key, unique in the cycle, used by imports and integrations."),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=12, choices=GoalKind.choices, default=GoalKind.KPI
    )
    weight = models.DecimalField(
        _("weight %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    baseline = models.DecimalField(_("baseline"), null=True, blank=True, **AMOUNT)
    target = models.DecimalField(_("target"), null=True, blank=True, **AMOUNT)
    threshold = models.DecimalField(
        _("threshold (minimum acceptable)"), null=True, blank=True, **AMOUNT
    )
    stretch = models.DecimalField(_("stretch"), null=True, blank=True, **AMOUNT)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    current_value = models.DecimalField(
        _("current value"),
        null=True,
        blank=True,
        **AMOUNT,
        help_text=_("The cycle's actual so far, combined from period values by the goal's rule."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A KPI goal's points under its rule, kept by the scoring service
    # (``evaluation.goal_points``) so that scoring a whole cycle need not read and score every
    # input again. Valid only while ``cached_rules`` equals ``planning.scoring.RULES_VERSION``:
    # the database itself (a trigger, migration 0003) clears ``cached_rules`` and bumps
    # ``inputs_stamp`` whenever a scoring input of the row changes, whoever writes it.
    cached_points = models.DecimalField(null=True, blank=True, editable=False, **POINTS)
    cached_rules = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    inputs_stamp = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    objects = GoalQuerySet.as_manager()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["cycle", "owner_type", "id"]
        indexes = [
            models.Index(fields=["cycle", "employee"], name="goal_cycle_employee"),
            models.Index(fields=["cycle", "indicator"], name="goal_cycle_indicator"),
            # The default order: a cycle's goal lists page without sorting every goal.
            models.Index(fields=["cycle", "owner_type", "id"], name="goal_cycle_owner_type"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(owner_type="company", employee__isnull=True, department__isnull=True)
                    | models.Q(
                        owner_type="department", employee__isnull=True, department__isnull=False
                    )
                    | models.Q(
                        owner_type="employee", employee__isnull=False, department__isnull=True
                    )
                ),
                name="goal_owner_matches_type",
            ),
            models.UniqueConstraint(
                fields=["cycle", "ref"],
                condition=~models.Q(ref=""),
                name="goal_ref_unique_in_cycle",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def policy_subject(self) -> Employee | None:
        if self.owner_type == OwnerType.EMPLOYEE:
            return self.employee
        if self.owner_type == OwnerType.DEPARTMENT and self.department is not None:
            return self.department.head
        return None

    def policy_public(self) -> bool:
        """Company and department goals are visible to everyone: that is the alignment."""
        return self.owner_type != OwnerType.EMPLOYEE

    @property
    def owner_label(self) -> str:
        if self.owner_type == OwnerType.EMPLOYEE and self.employee is not None:
            return self.employee.name
        if self.owner_type == OwnerType.DEPARTMENT and self.department is not None:
            return self.department.name
        return str(_("Company"))

    def standard(self) -> Standard | None:
        if self.target is None:
            return None
        return Standard(
            target=self.target,
            direction=self.direction,
            baseline=self.baseline,
            threshold=self.threshold,
            stretch=self.stretch,
        )

    def material_values(self) -> dict[str, Any]:
        """What an acknowledgement covers: a change to any of these needs a new one."""
        from perfcycle.audit.services import to_json_value

        return {name: to_json_value(getattr(self, name)) for name in MATERIAL_FIELDS}


MATERIAL_FIELDS = (
    "title",
    "kind",
    "weight",
    "unit",
    "baseline",
    "target",
    "threshold",
    "stretch",
    "direction",
    "measurement_period",
    "aggregation",
    "calculation_method",
    "quality_conditions",
    "data_source",
    "rule_type",
    "rule_floor",
    "rule_cap",
    "threshold_points",
    "bands",
    "due_date",
)


class KeyResult(TimeStampedModel):
    """A measurable key result of an OKR goal."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(_("key result"), max_length=200)
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    baseline = models.DecimalField(_("baseline"), null=True, blank=True, **AMOUNT)
    target = models.DecimalField(_("target"), **AMOUNT)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    weight = models.DecimalField(_("weight %"), max_digits=5, decimal_places=2, default=Decimal(0))
    current_value = models.DecimalField(_("current value"), null=True, blank=True, **AMOUNT)
    confidence = models.PositiveSmallIntegerField(
        _("confidence"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(10)],
        help_text=_("0–10, from the latest check-in."),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["goal", "position", "id"]

    def __str__(self) -> str:
        return self.title

    def standard(self) -> Standard:
        return Standard(target=self.target, direction=self.direction, baseline=self.baseline)


class Milestone(TimeStampedModel):
    """A step of a goal's action plan (行动计划 / 里程碑)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    owner = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due date"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["goal", "due_date", "id"]

    def __str__(self) -> str:
        return self.title


class GoalComment(TimeStampedModel):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:50]

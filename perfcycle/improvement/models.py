"""Improvement plans (绩效改进计划, PIP): for people whose result is at the bottom of the
scale, or whom a manager puts on a plan at any time.

A plan has goals (what must improve and how it is measured), the support the company
gives (coaching, resources), linked training (from the monitoring stage's catalogue)
and review dates; it runs proposed → active → completed | extended | not_met. The plan
is the record of what the company did to help: a bottom grade alone is not grounds for
dismissal under Chinese labour law, and the product offers no termination action.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfcycle.calibration.models import Result
from perfcycle.core.models import JSONField, TimeStampedModel, VersionedModel
from perfcycle.cycles.models import Cycle
from perfcycle.monitoring.models import TrainingAssignment
from perfcycle.org.models import Employee

DEFAULT_TRIGGER_GRADES = ["D"]


class ImprovementSettings(VersionedModel):
    """Which final grades of a cycle lead to a proposed plan."""

    cycle = models.OneToOneField(
        Cycle, on_delete=models.CASCADE, related_name="improvement_settings"
    )
    trigger_grades = JSONField(
        _("grades that lead to a plan"),
        default=list,
        blank=True,
        help_text=_("For example D; by default the lowest grade of the cycle's scale."),
    )

    class Meta:
        verbose_name = _("improvement settings")

    def __str__(self) -> str:
        return f"{self.cycle}: {self.trigger_grades}"


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    ACTIVE = "active", _("active")
    EXTENDED = "extended", _("extended")
    COMPLETED = "completed", _("completed")
    NOT_MET = "not_met", _("not met")


# A plan is still running (editable, reviewed) in these statuses.
OPEN_STATUSES = (PlanStatus.PROPOSED, PlanStatus.ACTIVE, PlanStatus.EXTENDED)
# Outcomes a plan may be closed with; "extended" keeps it running with a new end date.
OUTCOMES = (PlanStatus.COMPLETED, PlanStatus.EXTENDED, PlanStatus.NOT_MET)


class ImprovementPlanQuerySet(models.QuerySet):
    def open(self) -> ImprovementPlanQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class ImprovementPlan(VersionedModel):
    cycle = models.ForeignKey(
        Cycle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="improvement_plans",
        verbose_name=_("cycle"),
    )
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="improvement_plans"
    )
    manager = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("manager"),
    )
    result = models.ForeignKey(
        Result, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.PROPOSED
    )
    reason = models.TextField(_("reason"), blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome_reason = models.TextField(_("outcome reason"), blank=True)
    carried_into = models.ForeignKey(
        Cycle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("goals carried into"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ImprovementPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("improvement plan")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "employee"],
                condition=models.Q(cycle__isnull=False),
                name="improvement_plan_one_per_cycle",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="improvement_plan_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee}: {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def policy_subject(self) -> Employee:
        return self.employee

    def policy_members(self) -> list[Employee]:
        """Once activated, the plan is its employee's to see."""
        return [] if self.status == PlanStatus.PROPOSED else [self.employee]


class PlanGoal(TimeStampedModel):
    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="goals")
    description = models.TextField(_("what must improve"))
    measure = models.CharField(_("measure / target"), max_length=300, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan goal")
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.description[:60]


class SupportKind(models.TextChoices):
    COACHING = "coaching", _("coaching")
    RESOURCE = "resource", _("resources")
    MENTOR = "mentor", _("mentor")
    OTHER = "other", _("other")


class PlanSupport(TimeStampedModel):
    """What the company provides to help."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="support")
    kind = models.CharField(_("kind"), max_length=12, choices=SupportKind.choices)
    description = models.TextField(_("description"))
    provided_on = models.DateField(_("provided on"), null=True, blank=True)

    class Meta:
        verbose_name = _("support")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description[:40]}"


class PlanTraining(TimeStampedModel):
    """A training assignment (monitoring stage) given as part of the plan."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="training")
    assignment = models.ForeignKey(TrainingAssignment, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("plan training")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "assignment"], name="plan_training_unique_assignment"
            )
        ]

    def __str__(self) -> str:
        return str(self.assignment)


class Progress(models.TextChoices):
    ON_TRACK = "on_track", _("on track")
    SOME = "some", _("some progress")
    OFF_TRACK = "off_track", _("off track")


class PlanReview(TimeStampedModel):
    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="reviews")
    scheduled_for = models.DateField(_("review date"))
    held_on = models.DateField(_("held on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    progress = models.CharField(_("progress"), max_length=12, choices=Progress.choices, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("plan review")
        ordering = ["scheduled_for", "pk"]

    def __str__(self) -> str:
        return f"{self.plan}: {self.scheduled_for}"

"""The cycle: one period of the loop, with its phases, deadlines, participants, and the
rules it will be judged by (review template and grade scale), fixed when it opens.

The phase state machine lives in ``phases.py``; this module holds the data.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfcycle.core.models import JSONField, TimeStampedModel, VersionedModel
from perfcycle.org.models import Department, Employee

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class PeriodType(models.TextChoices):
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")
    HALF_YEAR = "half_year", _("half-year")
    YEAR = "year", _("year")
    CUSTOM = "custom", _("custom")


class Phase(models.TextChoices):
    DRAFT = "draft", _("draft")
    PLANNING = "planning", _("planning")
    IN_PROGRESS = "in_progress", _("in progress")
    SELF_REVIEW = "self_review", _("self-review")
    REVIEW_360 = "review_360", _("360 review")
    MANAGER_REVIEW = "manager_review", _("manager review")
    CALIBRATION = "calibration", _("calibration")
    RESULTS = "results", _("results")
    CLOSED = "closed", _("closed")


class GradeScale(VersionedModel):
    """Maps an overall score to a grade (S/A/B/C/D by default, or the company's own)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("grade scale")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def grade_for(self, score: Decimal | None) -> GradeBand | None:
        """The band whose floor is the highest one at or below ``score``."""
        if score is None:
            return None
        for band in self.bands.all():  # ordered by min_score descending
            if score >= band.min_score:
                return band
        return None


class GradeBand(models.Model):
    scale = models.ForeignKey(GradeScale, on_delete=models.CASCADE, related_name="bands")
    code = models.CharField(_("grade"), max_length=8)
    label = models.CharField(_("label"), max_length=60, blank=True)
    min_score = models.DecimalField(_("from score"), max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["scale", "-min_score"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "code"], name="grade_band_unique_code"),
            models.UniqueConstraint(fields=["scale", "min_score"], name="grade_band_unique_floor"),
        ]

    def __str__(self) -> str:
        return self.code


class ReviewTemplate(VersionedModel):
    """How people in a cycle will be evaluated: the rating scale and the weights.

    Section weights split the overall score between goals and competencies; source
    weights split competency ratings between self, manager, peers, reports and the
    skip-level manager. Both sets total 100. The evaluation stage adds competencies
    and questions to a template.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    rating_min = models.PositiveSmallIntegerField(_("lowest rating"), default=1)
    rating_max = models.PositiveSmallIntegerField(_("highest rating"), default=5)
    rating_labels = JSONField(_("rating labels"), default=dict, blank=True)
    goals_weight = models.DecimalField(
        _("goals weight %"), max_digits=5, decimal_places=2, default=Decimal(70), validators=PERCENT
    )
    competencies_weight = models.DecimalField(
        _("competencies weight %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(30),
        validators=PERCENT,
    )
    self_weight = models.DecimalField(
        _("self weight %"), max_digits=5, decimal_places=2, default=Decimal(10), validators=PERCENT
    )
    manager_weight = models.DecimalField(
        _("manager weight %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(60),
        validators=PERCENT,
    )
    peer_weight = models.DecimalField(
        _("peers weight %"), max_digits=5, decimal_places=2, default=Decimal(20), validators=PERCENT
    )
    report_weight = models.DecimalField(
        _("reports weight %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(10),
        validators=PERCENT,
    )
    skip_weight = models.DecimalField(
        _("skip-level weight %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=PERCENT,
    )
    peer_min = models.PositiveSmallIntegerField(_("fewest peers"), default=3)
    peer_max = models.PositiveSmallIntegerField(_("most peers"), default=5)
    anonymity_min = models.PositiveSmallIntegerField(
        _("anonymity minimum"),
        default=3,
        validators=[MinValueValidator(2)],
        help_text=_("Peer answers are shown only once at least this many peers have answered."),
    )

    class Meta:
        verbose_name = _("review template")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def source_weights(self) -> dict[str, Decimal]:
        return {
            "self": self.self_weight,
            "manager": self.manager_weight,
            "peer": self.peer_weight,
            "report": self.report_weight,
            "skip": self.skip_weight,
        }


class CycleQuerySet(models.QuerySet):
    def open(self) -> CycleQuerySet:
        return self.exclude(phase__in=[Phase.DRAFT, Phase.CLOSED])

    def current(self) -> Cycle | None:
        return self.open().order_by("-start_date").first()


class Cycle(VersionedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    period_type = models.CharField(_("period"), max_length=16, choices=PeriodType.choices)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices, default=Phase.DRAFT)
    template = models.ForeignKey(
        ReviewTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cycles",
        verbose_name=_("review template"),
    )
    grade_scale = models.ForeignKey(
        GradeScale,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cycles",
        verbose_name=_("grade scale"),
    )
    participant_rule = JSONField(_("participants rule"), default=dict, blank=True)
    normalise_ratings = models.BooleanField(
        _("normalise ratings per rater"),
        default=False,
        help_text=_(
            "Score competencies from z-normalised ratings, so that lenient and harsh raters "
            "weigh the same."
        ),
    )
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = CycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gt=models.F("start_date")),
                name="cycle_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.phase not in (Phase.DRAFT, Phase.CLOSED)

    @property
    def is_closed(self) -> bool:
        return self.phase == Phase.CLOSED


class CycleDeadline(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="deadlines")
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    due_date = models.DateField(_("deadline"))

    class Meta:
        ordering = ["cycle", "due_date"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "phase"], name="cycle_deadline_unique_phase")
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.phase} {self.due_date}"


class CycleParticipant(TimeStampedModel):
    """Someone taking part in a cycle, with their department and manager as they were
    when they joined it (so later moves do not rewrite history)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="participants")
    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="cycle_participations"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    manager = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "employee"], name="cycle_participant_unique")
        ]
        indexes = [models.Index(fields=["cycle", "manager"], name="cycle_participant_manager")]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.employee}"

    def policy_subject(self) -> Employee:
        return self.employee

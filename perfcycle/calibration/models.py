"""Calibrate and feed back (校准与反馈): the distribution guideline, calibration sessions,
each person's final result (calibrated, released, acknowledged), the feedback talk and
appeals.

A ``Result`` starts from the evaluation stage's stored score and grade; calibration
changes its grade only with a written reason (an ``Adjustment``, also in the audit
trail); HR releases results; then the employee sees theirs, the manager records the
feedback talk, and the employee acknowledges or appeals within the window.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfcycle.core.models import JSONField, TimeStampedModel, VersionedModel
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Department, Employee
from perfcycle.planning.models import POINTS

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class CalibrationSettings(VersionedModel):
    """A cycle's distribution guideline (强制分布) and its feedback rules."""

    cycle = models.OneToOneField(
        Cycle, on_delete=models.CASCADE, related_name="calibration_settings"
    )
    shares = JSONField(
        _("target share per grade %"),
        default=dict,
        blank=True,
        help_text=_("For example S 10, A 20, B 50, C 15, D 5; the shares total 100."),
    )
    tolerance = models.DecimalField(
        _("tolerance (percentage points)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(5),
        validators=PERCENT,
    )
    strict = models.BooleanField(
        _("strict"),
        default=False,
        help_text=_(
            "Strict: a session cannot be signed off and results cannot be released while a "
            "group is outside the tolerance. Advisory: a warning only."
        ),
    )
    appeal_window_days = models.PositiveSmallIntegerField(
        _("appeal window (working days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    appeal_decision_days = models.PositiveSmallIntegerField(
        _("days to decide an appeal (working days)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )

    class Meta:
        verbose_name = _("calibration settings")

    def __str__(self) -> str:
        return f"{self.cycle}: {self.shares}"


class Potential(models.TextChoices):
    LOW = "low", _("low potential")
    MEDIUM = "medium", _("medium potential")
    HIGH = "high", _("high potential")


class Result(VersionedModel):
    """A person's final result for a cycle: the computed score and grade, as calibrated,
    released and acknowledged. Visible to the person only once released."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="results")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="results")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    computed_score = models.DecimalField(_("computed score"), null=True, blank=True, **POINTS)
    computed_grade = models.CharField(_("computed grade"), max_length=8, blank=True)
    score = models.DecimalField(_("final score"), null=True, blank=True, **POINTS)
    grade = models.CharField(_("final grade"), max_length=8, blank=True)
    potential = models.CharField(
        _("potential"), max_length=8, choices=Potential.choices, blank=True
    )
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        verbose_name = _("result")
        ordering = ["cycle", "employee__name"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "employee"], name="result_unique_person")
        ]
        # With the grade, the distribution's count per department and grade reads the
        # index alone.
        indexes = [
            models.Index(fields=["cycle", "department", "grade"], name="result_cycle_dept_grade")
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.employee} {self.grade}"

    @property
    def adjusted(self) -> bool:
        return self.grade != self.computed_grade or self.score != self.computed_score

    def policy_subject(self) -> Employee:
        return self.employee

    def policy_members(self) -> list[Employee]:
        """Once released, the result is its employee's to see."""
        return [self.employee] if self.released_at else []


class SessionScope(models.TextChoices):
    COMPANY = "company", _("the whole company")
    DEPARTMENT = "department", _("a department")
    LEVEL = "level", _("a job level")


class SessionStatus(models.TextChoices):
    OPEN = "open", _("open")
    LOCKED = "locked", _("locked")
    SIGNED_OFF = "signed_off", _("signed off")


class CalibrationSession(VersionedModel):
    """A calibration meeting (校准会): the people in scope, their calibrators, and the
    grade changes made, until it is locked and signed off."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="calibration_sessions")
    name = models.CharField(_("name"), max_length=120)
    scope = models.CharField(_("scope"), max_length=12, choices=SessionScope.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    level = models.CharField(_("job level"), max_length=32, blank=True)
    calibrators = models.ManyToManyField(
        Employee, related_name="calibration_sessions", verbose_name=_("calibrators")
    )
    members = models.ManyToManyField(
        Result, related_name="sessions", through="SessionMember", verbose_name=_("people")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.OPEN
    )
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("calibration session")
        ordering = ["cycle", "name"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "name"], name="session_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def policy_members(self) -> list[Employee]:
        return list(self.calibrators.all())


class SessionMember(models.Model):
    session = models.ForeignKey(CalibrationSession, on_delete=models.CASCADE)
    result = models.ForeignKey(Result, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "result"], name="session_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.session}: {self.result}"


class Adjustment(models.Model):
    """One change to a result — grade, score or potential — with the written reason; made
    in a calibration session or by deciding an appeal."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="adjustments")
    session = models.ForeignKey(
        CalibrationSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="adjustments",
    )
    appeal = models.ForeignKey(
        "Appeal", on_delete=models.SET_NULL, null=True, blank=True, related_name="adjustments"
    )
    field = models.CharField(_("what"), max_length=12)
    before = models.CharField(_("before"), max_length=32, blank=True)
    after = models.CharField(_("after"), max_length=32, blank=True)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["result", "at", "id"]

    def __str__(self) -> str:
        return f"{self.result}: {self.field} {self.before} → {self.after}"


class FeedbackTalk(VersionedModel):
    """The feedback talk (绩效面谈) as the manager recorded it, with the employee's own
    comments."""

    result = models.OneToOneField(Result, on_delete=models.CASCADE, related_name="talk")
    manager = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("held on"))
    strengths = models.TextField(_("strengths"))
    improvements = models.TextField(_("to improve"))
    next_steps = models.TextField(_("agreed next steps"))
    employee_comments = models.TextField(_("employee's comments"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("feedback talk")

    def __str__(self) -> str:
        return f"{self.result}: {self.held_on}"

    def policy_subject(self) -> Employee:
        return self.result.employee


class AppealStatus(models.TextChoices):
    FILED = "filed", _("filed")
    UNDER_REVIEW = "under_review", _("under review")
    UPHELD = "upheld", _("upheld")
    REJECTED = "rejected", _("rejected")


class Appeal(VersionedModel):
    """An employee's appeal (申诉) against their released result."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="appeals")
    reason = models.TextField(_("reason"))
    talk_held = models.BooleanField(_("the feedback talk took place"))
    status = models.CharField(
        _("status"), max_length=14, choices=AppealStatus.choices, default=AppealStatus.FILED
    )
    due_on = models.DateField(_("decision due"))
    skip_level = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skip-level manager"),
    )
    committee = models.ManyToManyField(
        Employee, blank=True, related_name="appeal_committees", verbose_name=_("appeal committee")
    )
    decision = models.TextField(_("decision and reason"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("appeal")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.result}: {self.status}"

    def policy_subject(self) -> Employee:
        return self.result.employee

    def policy_members(self) -> list[Employee]:
        members = list(self.committee.all())
        if self.skip_level is not None:
            members.append(self.skip_level)
        return members


class AppealAttachment(TimeStampedModel):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="appeals/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    content_type = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.name

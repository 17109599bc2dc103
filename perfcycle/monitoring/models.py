"""Coach and monitor (辅导与监控): actuals with history, check-ins, observations,
feedback and praise, competencies and training.

Actuals are never overwritten: a correction is a new version of the same goal and
period, and the earlier one stays in the history. Observations are stored with their
cycle, goal and competency so that the evaluation stage can show them beside the
review form with one query.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfcycle.core.models import JSONField, TimeStampedModel, VersionedModel
from perfcycle.cycles.models import Cycle
from perfcycle.org.models import Employee
from perfcycle.planning.models import AMOUNT, Goal


class ActualSource(models.TextChoices):
    TYPED = "typed", _("typed in")
    IMPORTED = "imported", _("imported")
    API = "api", _("API")


class ActualQuerySet(models.QuerySet):
    def current(self) -> ActualQuerySet:
        return self.filter(is_current=True)


class Actual(models.Model):
    """One value of a goal for one period, as entered at one time."""

    # No index of its own: the constraints' indexes below start with the goal.
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="actuals", db_index=False)
    period = models.CharField(
        _("period"), max_length=16, help_text=_("2026-10, 2026-W43, 2026-Q4 or cycle")
    )
    period_start = models.DateField(_("period start"))
    value = models.DecimalField(_("value"), **AMOUNT)
    note = models.CharField(_("note"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=ActualSource.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered"))
    revision = models.PositiveIntegerField(_("revision"), default=1)
    is_current = models.BooleanField(default=True)
    batch = models.CharField(
        max_length=80, blank=True, help_text=_("Import file or API batch it came with.")
    )

    objects = ActualQuerySet.as_manager()

    class Meta:
        verbose_name = _("actual")
        verbose_name_plural = _("actuals")
        ordering = ["goal", "period_start", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "period"],
                condition=models.Q(is_current=True),
                name="actual_one_current_per_period",
            ),
            models.UniqueConstraint(
                fields=["goal", "period", "revision"], name="actual_revision_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["goal", "is_current", "period_start"], name="actual_current")
        ]

    def __str__(self) -> str:
        return f"{self.goal} {self.period}: {self.value}"

    def policy_subject(self) -> Employee | None:
        return self.goal.policy_subject()

    def policy_public(self) -> bool:
        return self.goal.policy_public()


class ActualBatch(models.Model):
    """An API batch, remembered by its idempotency key so that a retry changes nothing."""

    key = models.CharField(max_length=120)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    payload_sha256 = models.CharField(max_length=64)
    response = JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="actual_batch_key_unique")
        ]

    def __str__(self) -> str:
        return self.key


class Competency(VersionedModel):
    """A skill or behaviour (e.g. customer communication) that observations, training and
    reviews refer to."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    job_family = models.CharField(_("job family"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("competency")
        verbose_name_plural = _("competencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CheckInStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    SCHEDULED = "scheduled", _("scheduled")
    DONE = "done", _("held")
    CANCELLED = "cancelled", _("cancelled")


class CheckIn(VersionedModel):
    """A coaching conversation (辅导 / 1:1) between a manager and one report."""

    cycle = models.ForeignKey(
        Cycle, on_delete=models.CASCADE, related_name="checkins", null=True, blank=True
    )
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="checkins")
    manager = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="+")
    scheduled_for = models.DateTimeField(_("when"))
    status = models.CharField(
        _("status"), max_length=10, choices=CheckInStatus.choices, default=CheckInStatus.SCHEDULED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    shared_notes = models.TextField(_("shared notes"), blank=True)
    private_notes = models.TextField(
        _("private notes"), blank=True, help_text=_("Only the manager (and HR) can read these.")
    )
    held_at = models.DateTimeField(_("held"), null=True, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-scheduled_for"]
        indexes = [models.Index(fields=["employee", "scheduled_for"], name="checkin_employee_when")]

    def __str__(self) -> str:
        return f"{self.employee} {self.scheduled_for:%Y-%m-%d}"

    def policy_subject(self) -> Employee:
        return self.employee


class AgendaItem(TimeStampedModel):
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="agenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(_("topic"), max_length=500)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text


class GoalCheckIn(TimeStampedModel):
    """What was said about one goal at a check-in: a comment and a confidence (0–10)."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="goal_notes")
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="checkin_notes")
    comment = models.TextField(_("progress comment"), blank=True)
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkin", "goal"], name="goal_checkin_unique")
        ]

    def __str__(self) -> str:
        return f"{self.checkin}: {self.goal}"


class ActionItem(TimeStampedModel):
    """Something agreed at a check-in; it carries over to the next one until done."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="action_items")
    checkin = models.ForeignKey(
        CheckIn, on_delete=models.SET_NULL, null=True, blank=True, related_name="action_items"
    )
    owner = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        related_name="owned_action_items",
        verbose_name=_("owner"),
    )
    text = models.CharField(_("action"), max_length=500)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["done_at", "due_date", "id"]
        indexes = [models.Index(fields=["employee", "done_at"], name="action_item_open")]

    def __str__(self) -> str:
        return self.text

    def policy_subject(self) -> Employee:
        return self.employee


class ObservationKind(models.TextChoices):
    POSITIVE = "positive", _("positive")
    IMPROVEMENT = "improvement", _("needs improvement")


class ObservationVisibility(models.TextChoices):
    PRIVATE = "private", _("private to managers")
    SHARED = "shared", _("shared with the employee")


class Observation(TimeStampedModel):
    """A critical incident (关键事件) about a person, dated and tagged."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="observations")
    cycle = models.ForeignKey(
        Cycle, on_delete=models.SET_NULL, null=True, blank=True, related_name="observations"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=ObservationKind.choices)
    text = models.TextField(_("what happened"))
    goal = models.ForeignKey(
        Goal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="observations",
        verbose_name=_("goal"),
    )
    competency = models.ForeignKey(
        Competency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="observations",
        verbose_name=_("competency"),
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=8,
        choices=ObservationVisibility.choices,
        default=ObservationVisibility.PRIVATE,
    )

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["employee", "cycle"], name="observation_employee_cycle")]

    def __str__(self) -> str:
        return self.text[:60]

    def policy_subject(self) -> Employee:
        return self.employee


class FeedbackKind(models.TextChoices):
    PRAISE = "praise", _("praise")
    FEEDBACK = "feedback", _("feedback")


class FeedbackVisibility(models.TextChoices):
    PRIVATE = "private", _("only the person")
    MANAGER = "manager", _("the person and their manager")
    PUBLIC = "public", _("everyone")


class Feedback(TimeStampedModel):
    """Feedback or praise from one colleague to another."""

    giver = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="feedback_given")
    receiver = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="feedback_received"
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=FeedbackKind.choices, default=FeedbackKind.PRAISE
    )
    text = models.TextField(_("message"))
    visibility = models.CharField(
        _("who can see it"), max_length=8, choices=FeedbackVisibility.choices
    )
    competency = models.ForeignKey(
        Competency, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["receiver", "created_at"], name="feedback_receiver")]

    def __str__(self) -> str:
        return self.text[:60]


class Course(VersionedModel):
    """A course or resource in the training catalogue, tagged by competency."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    provider = models.CharField(_("provider"), max_length=120, blank=True)
    link = models.CharField(_("where to find it"), max_length=300, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1, null=True, blank=True)
    competencies = models.ManyToManyField(
        Competency, related_name="courses", blank=True, verbose_name=_("competencies")
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class TrainingStatus(models.TextChoices):
    ASSIGNED = "assigned", _("assigned")
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")


class TrainingAssignment(VersionedModel):
    """A course recommended to a person, tracked to completion."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="training")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="assignments")
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("why"), blank=True)
    observation = models.ForeignKey(
        Observation, on_delete=models.SET_NULL, null=True, blank=True, related_name="training"
    )
    checkin = models.ForeignKey(
        CheckIn, on_delete=models.SET_NULL, null=True, blank=True, related_name="training"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=TrainingStatus.choices, default=TrainingStatus.ASSIGNED
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    started_on = models.DateField(_("started"), null=True, blank=True)
    completed_on = models.DateField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("training")
        ordering = ["status", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "course"],
                condition=~models.Q(status="completed"),
                name="training_one_open_per_course",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee}: {self.course}"

    def policy_subject(self) -> Employee:
        return self.employee

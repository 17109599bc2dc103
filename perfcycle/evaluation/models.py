"""Evaluate (评估): what a review template asks, who reviews whom, the forms and their
answers, goal-score overrides, and the computed results.

A review template (``cycles.ReviewTemplate``: rating scale, section and source weights,
anonymity minimum) gets its competencies with behavioural anchors and its open
questions here. Each reviewer–reviewee–source triple of a cycle is one ``ReviewForm``;
a form belongs to its reviewer alone until it is submitted, and peer forms reach others
only as aggregates above the anonymity minimum.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfcycle.core.models import JSONField, TimeStampedModel, VersionedModel
from perfcycle.cycles.models import Cycle, ReviewTemplate
from perfcycle.monitoring.models import Competency
from perfcycle.org.models import Employee
from perfcycle.planning.models import POINTS, Goal


class ReviewSource(models.TextChoices):
    SELF = "self", _("self-review")
    MANAGER = "manager", _("manager")
    SKIP = "skip", _("skip-level manager")
    PEER = "peer", _("peer")
    REPORT = "report", _("direct report (upward)")


class TemplateCompetency(models.Model):
    """A competency rated with a template, with its weight among the template's competencies."""

    template = models.ForeignKey(
        ReviewTemplate, on_delete=models.CASCADE, related_name="competencies"
    )
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(_("weight %"), max_digits=5, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "competency"], name="template_competency_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template}: {self.competency}"


class BehaviouralAnchor(models.Model):
    """What a rating of a competency looks like in behaviour (行为锚定)."""

    item = models.ForeignKey(TemplateCompetency, on_delete=models.CASCADE, related_name="anchors")
    rating = models.PositiveSmallIntegerField(_("rating"))
    description = models.TextField(_("behaviour"))

    class Meta:
        ordering = ["item", "rating"]
        constraints = [
            models.UniqueConstraint(fields=["item", "rating"], name="anchor_unique_rating")
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.rating}"


class TemplateQuestion(models.Model):
    """An open question of a template, asked of some sources (all when ``sources`` is empty)."""

    template = models.ForeignKey(ReviewTemplate, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=500)
    sources = JSONField(_("asked of"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template", "position", "id"]

    def __str__(self) -> str:
        return self.text


class FormStatus(models.TextChoices):
    NOMINATED = "nominated", _("nominated, awaiting the manager's approval")
    OPEN = "open", _("not started")
    DRAFT = "draft", _("in progress")
    SUBMITTED = "submitted", _("submitted")
    DECLINED = "declined", _("declined")


class ReviewFormQuerySet(models.QuerySet):
    def active(self) -> ReviewFormQuerySet:
        return self.exclude(status__in=[FormStatus.NOMINATED, FormStatus.DECLINED])

    def submitted(self) -> ReviewFormQuerySet:
        return self.filter(status=FormStatus.SUBMITTED)


class ReviewForm(VersionedModel):
    """One reviewer's review of one person in one cycle, from one source."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="review_forms")
    reviewee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="reviews_received"
    )
    reviewer = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="reviews_given")
    source = models.CharField(_("source"), max_length=8, choices=ReviewSource.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=FormStatus.choices, default=FormStatus.OPEN
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    objects = ReviewFormQuerySet.as_manager()

    class Meta:
        verbose_name = _("review form")
        verbose_name_plural = _("review forms")
        ordering = ["cycle", "reviewee", "source", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "reviewee", "reviewer", "source"], name="review_form_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["cycle", "reviewer", "status"], name="review_form_reviewer"),
            models.Index(fields=["cycle", "reviewee", "source"], name="review_form_reviewee"),
            # What was submitted since the rater flags were computed (analysis.rater_flags);
            # the status last, so that lists by reviewee keep review_form_reviewee.
            models.Index(fields=["cycle", "submitted_at", "status"], name="review_form_submitted"),
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.reviewer} → {self.reviewee} ({self.source})"

    def policy_subject(self) -> Employee:
        return self.reviewee

    def policy_author(self) -> Employee:
        return self.reviewer


class Rating(models.Model):
    form = models.ForeignKey(ReviewForm, on_delete=models.CASCADE, related_name="ratings")
    item = models.ForeignKey(TemplateCompetency, on_delete=models.PROTECT, related_name="ratings")
    value = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form", "item"], name="rating_unique_item")]

    def __str__(self) -> str:
        return f"{self.form}: {self.item} = {self.value}"


class Answer(models.Model):
    form = models.ForeignKey(ReviewForm, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(TemplateQuestion, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField(_("answer"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["form", "question"], name="answer_unique_question")
        ]

    def __str__(self) -> str:
        return self.text[:50]


class GoalScoreOverride(TimeStampedModel):
    """A manager's score for a goal instead of the rule's, with the written reason."""

    goal = models.OneToOneField(Goal, on_delete=models.CASCADE, related_name="score_override")
    points = models.DecimalField(_("points"), **POINTS)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.goal}: {self.points}"


class ScoreResult(models.Model):
    """A person's stored result for a cycle, as the scoring service last computed it.

    ``breakdown`` keeps every input, weight and rule that produced the numbers (the
    same structure the breakdown page shows), so a stored score explains itself even
    after later changes to actuals or ratings. Calibration starts from these rows.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="score_results")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="score_results")
    goals_score = models.DecimalField(_("goals score"), null=True, blank=True, **POINTS)
    competencies_score = models.DecimalField(
        _("competencies score"), null=True, blank=True, **POINTS
    )
    overall_score = models.DecimalField(_("overall score"), null=True, blank=True, **POINTS)
    grade = models.CharField(_("grade"), max_length=8, blank=True)
    complete = models.BooleanField(_("complete"), default=False)
    normalised = models.BooleanField(_("normalised ratings"), default=False)
    breakdown = JSONField(_("breakdown"), default=dict)
    computed_at = models.DateTimeField(_("computed"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("score result")
        ordering = ["cycle", "employee"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "employee"], name="score_result_unique")
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.employee} {self.overall_score} {self.grade}"

    def policy_subject(self) -> Employee:
        return self.employee


class RaterFlagSnapshot(models.Model):
    """A cycle's rater flags (lenient, harsh, central tendency) as last computed from all
    its submitted ratings, kept so that calibration pages do not recompute them on every
    request. Derived data that ``analysis.rater_flags`` rebuilds whenever a form was
    submitted since (see there); not business data, so not audited."""

    cycle = models.OneToOneField(
        Cycle, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # Forms submitted since ``window_start`` (or without a time): how many, the latest.
    window_start = models.DateTimeField()
    window_forms = models.PositiveIntegerField()
    window_latest = models.DateTimeField(null=True, blank=True)
    rules = JSONField(default=dict)  # the scale and thresholds used
    flags = JSONField(default=dict)  # flag → ids of the reviewers it applies to
    ratings = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rater flag snapshot")

    def __str__(self) -> str:
        return f"{self.cycle_id}: {self.ratings} ratings at {self.computed_at:%Y-%m-%d %H:%M}"


class ScoreRunStatus(models.TextChoices):
    QUEUED = "queued", _("waiting to start")
    RUNNING = "running", _("computing")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ScoreRun(models.Model):
    """One press of “Compute and store results”: the whole cycle is computed and stored in
    the background (``evaluation.score_runs``), since at 100,000 people it takes minutes;
    the page and the API follow its progress here."""

    ACTIVE = (ScoreRunStatus.QUEUED, ScoreRunStatus.RUNNING)

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="score_runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=ScoreRunStatus.choices, default=ScoreRunStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("people"), default=0)
    done = models.PositiveIntegerField(_("people stored"), default=0)
    report = JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("score run")
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one run of a cycle waits or works at a time.
            models.UniqueConstraint(
                fields=["cycle"],
                condition=models.Q(status__in=["queued", "running"]),
                name="score_run_one_active_per_cycle",
            )
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id}: {self.status} {self.done}/{self.total}"

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE

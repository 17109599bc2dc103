"""Uploaded files kept between a dry-run preview and the confirmed import."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfcycle.core.models import JSONField


class ImportKind(models.TextChoices):
    DEPARTMENTS = "departments", _("departments")
    EMPLOYEES = "employees", _("employees")
    GOALS = "goals", _("goals")
    ACTUALS = "actuals", _("actuals")


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("previewed")
    REJECTED = "rejected", _("rejected")
    APPLIED = "applied", _("applied")


class ImportFile(models.Model):
    kind = models.CharField(_("kind"), max_length=32)
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    report = JSONField(default=dict)

    class Meta:
        verbose_name = _("imported file")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.filename

    @staticmethod
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

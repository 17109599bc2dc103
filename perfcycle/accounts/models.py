"""User accounts and API tokens.

A user is a login; the person behind it is an ``org.Employee`` linked one-to-one. The HR
admin role is a flag on the user; the manager role follows from the reporting lines.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "pc_"


class User(AbstractUser):
    is_hr_admin = models.BooleanField(
        _("HR admin"),
        default=False,
        help_text=_("HR admins run cycles and see everything in the company."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: follow the browser's language."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        employee = getattr(self, "employee", None)
        if employee is not None:
            return employee.name
        return self.get_full_name() or self.username


def hash_token(raw: str) -> str:
    """The stored form of a token: a SHA-256 digest, so a database leak reveals no token."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A bearer token for integrations; it acts with its user's permissions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)


class SignInFailure(models.Model):
    """A failed sign-in, kept for the sign-in throttle (``perfcycle.accounts.throttle``).

    Rows older than twice the lockout period no longer count and are deleted as new
    failures come in; the audit trail keeps the lasting record.
    """

    at = models.DateTimeField(default=timezone.now)
    username = models.CharField(max_length=150)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"], name="signin_failure_name_at"),
            models.Index(fields=["ip_address", "at"], name="signin_failure_ip_at"),
            models.Index(fields=["at"], name="signin_failure_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username or '-'} @ {self.ip_address or '-'} {self.at:%Y-%m-%d %H:%M:%S}"

"""The audit trail: an append-only record of every change to business data.

Rows are only ever inserted. The model refuses ``save`` of an existing row and ``delete``;
its queryset refuses ``update`` and ``delete``; and the database itself refuses UPDATE
(both engines) and DELETE (PostgreSQL) through triggers made by the migration.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

_DECIMAL_TEXT = re.compile(r"^-?\d+\.\d*0$")


def _readable(value: Any) -> Any:
    """Stored decimals as people write them: ``"20.0000"`` → ``"20"``, ``"98.50"`` → ``"98.5"``."""
    if isinstance(value, str) and _DECIMAL_TEXT.match(value):
        return value.rstrip("0").rstrip(".")
    return value


class AuditImmutable(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    IMPORT = "import", _("imported")
    LOGIN = "login", _("signed in")
    LOGIN_FAILED = "login_failed", _("sign-in failed")
    LOGOUT = "logout", _("signed out")
    ACCESS_DENIED = "access_denied", _("access denied")
    BACKUP = "backup", _("backed up")
    RESTORE = "restore", _("restored")


class AuditSource(models.TextChoices):
    WEB = "web", _("pages")
    API = "api", _("API")
    IMPORT = "import", _("import")
    COMMAND = "command", _("command line")
    SYSTEM = "system", _("system")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditImmutable("Audit events cannot be changed.")

    def delete(self) -> NoReturn:
        raise AuditImmutable("Audit events cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutable("Audit events cannot be changed.")

    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
        db_constraint=False,
    )
    actor_label = models.CharField(_("who"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    source = models.CharField(_("source"), max_length=16, choices=AuditSource.choices)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_idx"),
            # The newest events first (the default order): the trail's first page and the
            # dashboard's recent changes read a few rows, not the whole trail.
            models.Index(fields=["-at", "-id"], name="audit_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise AuditImmutable("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutable("Audit events cannot be deleted.")

    @property
    def who(self) -> str:
        """The actor as shown on pages: their login, or a translated word for nobody."""
        if self.actor_id is not None:
            return self.actor_label
        if self.actor_label == "anonymous":
            return str(_("visitor (not signed in)"))
        return str(_("system"))

    @property
    def changed_fields(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for every field whose value differs."""
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [
            (k, _readable(before.get(k)), _readable(after.get(k)))
            for k in keys
            if before.get(k) != after.get(k)
        ]

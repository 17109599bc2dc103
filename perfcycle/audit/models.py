"""The audit trail: an append-only record of every change to business data.

Rows are only ever inserted. The model refuses ``save`` of an existing row and ``delete``;
its queryset refuses ``update`` and ``delete``; and the database itself refuses UPDATE
(both engines) and DELETE (PostgreSQL) through triggers made by the migration.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, NoReturn

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from perfcycle.core.models import JSONField

_DECIMAL_TEXT = re.compile(r"^-?\d+\.\d*0$")


def _readable(value: Any) -> Any:
    """Stored decimals as people write them: ``"20.0000"`` → ``"20"``, ``"98.50"`` → ``"98.5"``."""
    if isinstance(value, str) and _DECIMAL_TEXT.match(value):
        return value.rstrip("0").rstrip(".")
    return value


def _field(object_type: str, name: str) -> models.Field | None:
    """The model field an audited ``name`` stands for (``manager_id`` → ``manager``)."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return None
    for candidate in (name, name.removesuffix("_id")):
        try:
            field = model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
        return field if isinstance(field, models.Field) else None
    return None


def _shown(field: models.Field | None, value: Any) -> Any:
    """A stored value as the pages show it: a choice's label, yes/no, a decimal trimmed."""
    if field is not None and field.choices and value is not None:
        labels = {str(k): v for k, v in field.flatchoices}
        if str(value) in labels:
            return labels[str(value)]
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return _readable(value)


class FieldChange(NamedTuple):
    """One changed field of an event: its code name, its label (``None`` for a value that
    is not a field of the model, such as a list of deadlines) and the two values."""

    name: str
    label: Any
    before: Any
    after: Any


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
    before = JSONField(_("before"), null=True, blank=True)
    after = JSONField(_("after"), null=True, blank=True)
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
    def changed_fields(self) -> list[FieldChange]:
        """Every field whose value differs, with its label and values as pages show them
        (a choice's label, not its stored code)."""
        before = self.before or {}
        after = self.after or {}
        changes = []
        for k in sorted(set(before) | set(after)):
            if before.get(k) == after.get(k):
                continue
            field = _field(self.object_type, k)
            # A label only where the model gives a translatable one; Django's made-up
            # names ("end date" from ``end_date``) would be English on Chinese pages.
            label = (
                field.verbose_name
                if field is not None and isinstance(field.verbose_name, Promise)
                else None
            )
            changes.append(
                FieldChange(k, label, _shown(field, before.get(k)), _shown(field, after.get(k)))
            )
        return changes

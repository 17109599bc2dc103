"""Base models every stage builds on: timestamps and a version for optimistic locking."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from perfcycle.core.errors import Conflict


class JSONField(models.JSONField):
    """Django's ``JSONField``, with each value its own parameter in ``bulk_create``.

    On PostgreSQL Django 5.2 inserts a batch as ``UNNEST`` of one array per column; a
    ``jsonb[]`` array is written as text in which psycopg escapes every quote of every
    document with a regular expression, which cost more than the rest of storing a
    cycle's results (10,000 breakdowns of 5.5 kB: 7.7 s against 3.3 s this way).
    Having a placeholder makes Django use ``VALUES`` rows instead. The column is the
    same, so migrations see Django's field.
    """

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A model edited by people: each save bumps ``version``; a stale save is a conflict."""

    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True

    def save_versioned(self, *, expected_version: int | None, update_fields: list[str]) -> None:
        """Save ``update_fields`` only if nobody saved since ``expected_version`` was read.

        The check and the write are one conditional UPDATE, so two concurrent saves of
        the same version cannot both succeed.
        """
        from django.utils import timezone

        expected = self.version if expected_version is None else expected_version
        values: dict[str, Any] = {name: getattr(self, name) for name in update_fields}
        values["version"] = expected + 1
        values["updated_at"] = timezone.now()
        manager = type(self)._base_manager
        updated = manager.filter(pk=self.pk, version=expected).update(**values)
        if updated != 1:
            raise Conflict(
                _("Somebody else changed this record in the meantime. Reload it and try again."),
                details={"expected_version": expected},
            )
        self.version = expected + 1
        self.updated_at = values["updated_at"]

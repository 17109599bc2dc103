"""Writing the audit trail. Every service that changes business data calls one of these.

``snapshot`` turns a model instance into JSON-safe values so that "before" and "after"
can be stored and compared; ``audit_record`` stores one event; ``audit_record_many``
stores many in one statement (imports).
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone

from perfcycle.audit import context
from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.core.bulk import analyze_large_write

# Fields never copied into the audit trail.
SECRET_FIELDS = frozenset({"password", "digest"})
IGNORED_FIELDS = frozenset({"created_at", "updated_at", "path", "last_login"})


def to_json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json_value(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audited values of ``instance``: concrete fields, foreign keys as ids."""
    data: dict[str, Any] = {}
    wanted = set(fields) if fields is not None else None
    for field in instance._meta.concrete_fields:
        name = field.name
        if name in SECRET_FIELDS or name in IGNORED_FIELDS:
            continue
        if wanted is not None and name not in wanted:
            continue
        if field.is_relation:
            data[name] = getattr(instance, field.attname)
        else:
            data[name] = to_json_value(getattr(instance, field.attname))
    return data


def _actor_label(actor: Any, source: str) -> str:
    if actor is None:
        # Nobody signed in: a visitor when it came over the web, the system otherwise.
        return "anonymous" if source in {"web", "api"} else "system"
    return getattr(actor, "username", "") or str(actor)


@dataclass(frozen=True)
class AuditEntry:
    """One change to record, for ``audit_record_many``."""

    action: str
    instance: models.Model | None = None
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str = ""


def _build(actor: Any, entry: AuditEntry, at: dt.datetime) -> AuditEvent:
    ctx = context.current()
    object_type = entry.object_type
    object_id = entry.object_id
    object_repr = entry.object_repr
    if entry.instance is not None:
        object_type = object_type or entry.instance._meta.label_lower
        object_id = object_id or str(entry.instance.pk)
        object_repr = object_repr or str(entry.instance)
    return AuditEvent(
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_actor_label(actor, ctx.source),
        action=entry.action,
        source=ctx.source,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        before=entry.before,
        after=entry.after,
        reason=entry.reason,
        request_id=ctx.request_id,
        ip_address=ctx.ip_address,
    )


def audit_record(
    *,
    actor: Any,
    action: str,
    instance: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Record one event. Call it inside the transaction that makes the change."""
    entry = AuditEntry(
        action=action,
        instance=instance,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=before,
        after=after,
        reason=reason,
    )
    event = _build(actor, entry, timezone.now())
    event.save()
    return event


def audit_record_many(*, actor: Any, entries: Sequence[AuditEntry]) -> int:
    """Record many events in one statement (same time, same request)."""
    if not entries:
        return 0
    at = timezone.now()
    AuditEvent.objects.bulk_create([_build(actor, e, at) for e in entries], batch_size=1000)
    # Thousands of events at one instant: without fresh statistics the planner expects
    # few rows per time and reads all of them to find the newest (the dashboard's recent
    # changes: 44 ms instead of 0.03 after a cycle's results were stored).
    analyze_large_write([AuditEvent], len(entries))
    return len(entries)


def audit_change(
    *,
    actor: Any,
    instance: models.Model,
    before: dict[str, Any],
    reason: str = "",
) -> AuditEvent | None:
    """Record an update of ``instance`` from ``before``; nothing if nothing changed."""
    after = snapshot(instance, before.keys())
    if after == before:
        return None
    changed = {k for k in after if after[k] != before.get(k)}
    return audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=instance,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        reason=reason,
    )

"""Validation helpers every service uses, so that errors look the same everywhere."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from perfcycle.core.errors import ValidationFailed


def field_error(field: str, message: str, code: str = "validation_failed") -> ValidationFailed:
    """A validation error about one field."""
    return ValidationFailed(message, code=code, details={"fields": {field: [message]}})


def as_validation_failed(exc: ValidationError) -> ValidationFailed:
    """Django's ValidationError as our error, messages by field."""
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return ValidationFailed(
        _("Please correct the errors below."),
        details={"fields": {k: [str(m) for m in v] for k, v in fields.items()}},
    )


def full_clean(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """``instance.full_clean()`` raising ``ValidationFailed`` instead of Django's error."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=True)
    except ValidationError as exc:
        raise as_validation_failed(exc) from exc


def reject_unknown(values: dict[str, Any] | Any, allowed: tuple[str, ...] | set[str]) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )

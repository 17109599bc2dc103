"""Showing service errors on the form that caused them."""

from __future__ import annotations

from django import forms

from perfcycle.core.errors import DomainError


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Attach ``exc`` to ``form``: field errors to their fields, the rest to the form.

    A form whose fields are named differently from the service's arguments maps them
    with a ``domain_field_names`` attribute (service name -> form field name).
    """
    fields = (exc.details or {}).get("fields") if isinstance(exc.details, dict) else None
    renamed: dict[str, str] = getattr(form, "domain_field_names", {})
    placed = False
    if fields:
        for name, messages in fields.items():
            name = renamed.get(name, name)
            target = name if name in form.fields else None
            for message in messages or [exc.message]:
                form.add_error(target, message)
                placed = True
    if not placed:
        form.add_error(None, exc.message)

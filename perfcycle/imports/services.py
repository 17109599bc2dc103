"""The two-step import every stage's pages use: keep the uploaded file with the result of
a dry run, then apply it on confirmation.

A stage passes a ``run(data, filename, dry_run)`` callable that calls its own importer;
``context`` (e.g. the cycle) is kept with the report so the confirmation runs the same
import. A file that no longer passes when confirmed (the data changed meanwhile) is
marked rejected with every problem, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from perfcycle.core.errors import DomainError
from perfcycle.imports.models import ImportFile, ImportStatus
from perfcycle.imports.reports import ImportReport

Runner = Callable[[bytes, str, bool], ImportReport]


def _rejected(exc: DomainError) -> dict[str, Any]:
    details = exc.details if isinstance(exc.details, dict) else {}
    return {"message": exc.message, "errors": details.get("errors", [])}


def import_file_check(
    *,
    actor: Any,
    kind: str,
    filename: str,
    data: bytes,
    run: Runner,
    context: dict[str, Any] | None = None,
) -> ImportFile:
    """Store an uploaded file with its dry-run report (or every problem found in it)."""
    context = context or {}
    stored = ImportFile(
        kind=kind,
        filename=filename[:255],
        content=data,
        sha256=ImportFile.digest(data),
        uploaded_by=actor,
    )
    try:
        stored.report = {**run(data, filename, True).as_stored(), **context}
    except DomainError as exc:
        stored.status = ImportStatus.REJECTED
        stored.report = {**_rejected(exc), **context}
    stored.save()
    return stored


def import_file_apply(
    *, stored: ImportFile, run: Runner, context_keys: tuple[str, ...] = ()
) -> ImportReport:
    """Import a previewed file for real. Raises ``DomainError`` if it is not pending or no
    longer passes; the stored file then says why."""
    if stored.status != ImportStatus.PREVIEWED:
        raise DomainError(_("This file has already been dealt with."), code="import_not_pending")
    context = {key: (stored.report or {}).get(key) for key in context_keys}
    try:
        report = run(bytes(stored.content), stored.filename, False)
    except DomainError as exc:
        stored.status = ImportStatus.REJECTED
        stored.report = {**_rejected(exc), **context}
        stored.save(update_fields=["status", "report"])
        raise
    stored.status = ImportStatus.APPLIED
    stored.report = {**report.as_stored(), **context}
    stored.save(update_fields=["status", "report"])
    return report

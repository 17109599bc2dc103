"""Errors raised by services; pages and the API turn them into messages and error bodies.

Every error has a stable machine ``code``, a translated human ``message`` and optional
``details`` (for example, the list of bad rows of an import).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the business was broken; nothing was written."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.details = details


class ValidationFailed(DomainError):
    """Input did not pass validation; ``details`` says which field or row and why."""

    code = "validation_failed"
    status = 422


class Conflict(DomainError):
    """A stale edit: somebody else changed the object since it was read."""

    code = "conflict"
    status = 409


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it exists."""

    code = "not_found"
    status = 404


class Forbidden(DomainError):
    """The caller may see the object but not do this to it."""

    code = "forbidden"
    status = 403

"""Per-request facts the audit trail records (source, request id, address).

Set by ``AuditContextMiddleware`` for pages, by the API authentication for the API, and
by commands; services never have to pass them along.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class AuditContext:
    source: str = "system"
    request_id: str = ""
    ip_address: str | None = None


_current: ContextVar[AuditContext] = ContextVar(
    "perfcycle_audit_context",
    default=AuditContext(),  # noqa: B039 - frozen, so safe to share
)


def current() -> AuditContext:
    return _current.get()


@contextlib.contextmanager
def audit_context(**changes: str | None) -> Iterator[AuditContext]:
    """Run a block with some audit facts changed, e.g. ``audit_context(source="import")``."""
    token = _current.set(replace(_current.get(), **changes))
    try:
        yield _current.get()
    finally:
        _current.reset(token)

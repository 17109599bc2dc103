"""Reports may read from a read replica; everything else uses the primary.

Only code inside ``reading_from_replica()`` reads from the replica, and only when one is
configured (``DATABASE_REPLICA_URL`` sets ``PERFCYCLE_REPORT_DATABASE``): a blanket
"reads to the replica" rule would send a page's reads that follow its own writes to a
copy that may lag behind. Writes always go to the primary, whatever the block or the
database an object was read from. Inside a transaction on the primary, reads stay there
too, so that a transaction sees its own writes.

Use it around read-only reports that tolerate a replica's lag of a few seconds (trends,
process health, exports of closed cycles)::

    @reading_from_replica()
    def department_trend(request, department_id): ...

    with reading_from_replica():
        workbook = results_xlsx(cycle)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_reading: ContextVar[bool] = ContextVar("perfcycle_reading_from_replica", default=False)


def replica_alias() -> str | None:
    """The replica's database alias, or None when reports read from the primary."""
    alias = getattr(settings, "PERFCYCLE_REPORT_DATABASE", None)
    return alias if alias and alias in settings.DATABASES else None


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Reads inside go to the replica when one is configured (also a decorator)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


class ReportReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reads in ``reading_from_replica()`` blocks to the replica."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not _reading.get():
            return None
        alias = replica_alias()
        if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return alias

    def db_for_write(self, model: type, **hints: Any) -> str:
        # Explicit: without it Django would write an object back where it was read from.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the same rows as the primary.
        same = {DEFAULT_DB_ALIAS, replica_alias()}
        return True if {obj1._state.db, obj2._state.db} <= same else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica follows the primary; migrations run on the primary only.
        return False if db == replica_alias() else None

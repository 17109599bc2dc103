"""Keeping each KPI goal's points in its row (``Goal.cached_points``).

Scoring a whole cycle reads half a million goals at 100,000 people; working out each
goal's points from its target, actual, direction, thresholds and rule costs more than the
rest of scoring together. The points are a pure function of those inputs, so the scoring
service keeps what it worked out in the goal row and reads it back next time, together
with the rules' version (``planning.scoring.RULES_VERSION``).

The database keeps the cache honest, not the code that writes goals: a trigger (planning
migration 0003) clears ``cached_rules`` and bumps ``inputs_stamp`` whenever any scoring
input of a row changes — through a form, the API, an import's bulk update or raw SQL. The
write here is conditional on the stamp read with the inputs, so points worked out from
inputs that changed meanwhile are never kept. Keeping them is an optimisation only: when
it cannot be written (a locked SQLite file, a read-only connection), scoring is unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from django.db import DatabaseError, connection, transaction

from perfcycle.planning.models import Goal
from perfcycle.planning.scoring import RULES_VERSION

log = logging.getLogger(__name__)
BATCH = 20_000


def goal_points_keep(found: Sequence[tuple[int, int, Decimal | None]]) -> int:
    """Keep ``(goal id, inputs_stamp read with its inputs, rule points)`` in the goal rows
    whose stamp is still the one read; returns how many were written."""
    if not found:
        return 0
    table = connection.ops.quote_name(Goal._meta.db_table)
    written = 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for start in range(0, len(found), BATCH):
                chunk = found[start : start + BATCH]
                if connection.vendor == "postgresql":
                    cursor.execute(
                        f"UPDATE {table} AS g SET cached_points = v.points, "  # noqa: S608
                        "cached_rules = %s FROM (SELECT unnest(%s::bigint[]) AS id, "
                        "unnest(%s::bigint[]) AS stamp, unnest(%s::numeric[]) AS points) v "
                        "WHERE g.id = v.id AND g.inputs_stamp = v.stamp",
                        [
                            RULES_VERSION,
                            [pk for pk, _s, _p in chunk],
                            [stamp for _pk, stamp, _p in chunk],
                            [points for _pk, _s, points in chunk],
                        ],
                    )
                    written += cursor.rowcount
                else:
                    cursor.executemany(
                        f"UPDATE {table} SET cached_points = %s, cached_rules = %s "  # noqa: S608
                        "WHERE id = %s AND inputs_stamp = %s",
                        [
                            (None if points is None else str(points), RULES_VERSION, pk, stamp)
                            for pk, stamp, points in chunk
                        ],
                    )
                    written += max(cursor.rowcount, 0)
    except DatabaseError:
        log.warning("Goal points could not be kept; they will be worked out again.", exc_info=True)
        return 0
    return written

"""The database trigger that keeps ``Goal.cached_points`` honest (see
``perfcycle.evaluation.goal_points``): whenever a scoring input of a goal changes, by the
ORM, a bulk update or raw SQL, it clears ``cached_rules`` and bumps ``inputs_stamp``.

A writer that changes many goals at once may bump the stamp itself (``STAMP_BUMP``, in the
same UPDATE): the trigger then leaves the row alone, which saves a function call per row
(a third of the time of updating 100,000 goals' current values on PostgreSQL). Its
condition tests the stamp first, so such a row costs one comparison, not twelve.

Migrations call ``goal_trigger_create``. SQLite drops a table's triggers when a migration
rebuilds the table (most field changes do), so a migration that alters ``planning_goal``
must call it again afterwards; ``evaluation/tests/test_goal_points_cache.py`` fails if
the trigger is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# What a KPI goal's points depend on (``evaluation.scores._goal_points``).
GOAL_INPUTS = [
    "kind", "target", "current_value", "direction", "baseline", "threshold", "stretch",
    "rule_type", "rule_floor", "rule_cap", "threshold_points", "bands",
]  # fmt: skip

# Column -> SQL expression over the row's own columns: what the trigger would do.
STAMP_BUMP = {"inputs_stamp": "inputs_stamp + 1", "cached_rules": "NULL"}

PG_CREATE = """
CREATE OR REPLACE FUNCTION planning_goal_inputs_changed() RETURNS trigger AS $$
BEGIN
    NEW.inputs_stamp := OLD.inputs_stamp + 1;
    NEW.cached_rules := NULL;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS planning_goal_inputs_changed ON planning_goal;
CREATE TRIGGER planning_goal_inputs_changed BEFORE UPDATE ON planning_goal FOR EACH ROW
    WHEN (OLD.inputs_stamp = NEW.inputs_stamp AND ({changed}))
    EXECUTE FUNCTION planning_goal_inputs_changed();
""".format(changed=" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in GOAL_INPUTS))
PG_DROP = """
DROP TRIGGER IF EXISTS planning_goal_inputs_changed ON planning_goal;
DROP FUNCTION IF EXISTS planning_goal_inputs_changed();
"""
SQLITE_CREATE = """
CREATE TRIGGER planning_goal_inputs_changed AFTER UPDATE ON planning_goal FOR EACH ROW
WHEN OLD.inputs_stamp = NEW.inputs_stamp AND ({changed})
BEGIN
    UPDATE planning_goal SET inputs_stamp = OLD.inputs_stamp + 1, cached_rules = NULL
    WHERE id = NEW.id;
END;
""".format(changed=" OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in GOAL_INPUTS))  # noqa: S608 (column names)
SQLITE_DROP = "DROP TRIGGER IF EXISTS planning_goal_inputs_changed;"


def goal_trigger_create(apps: Any, schema_editor: Any) -> None:
    """(Re)create the trigger: a ``RunPython`` operation."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
        schema_editor.execute(SQLITE_CREATE)


# Free room left on each page of goals (PostgreSQL). An import of a month's actuals
# rewrites the current value of every goal of the cycle in one transaction, so a page
# must hold a second version of each of its rows: the old versions cannot be pruned
# before the transaction ends. A goal row is about 230 bytes; at 50% a page keeps 17 and
# has room for 18 more. At 70% (migration 0005) a page kept 25 with room for 10, and the
# other 15 updates left the page: a new row elsewhere and an entry in each of the
# eleven indexes, three times the cost of an update in place.
GOAL_FILLFACTOR = 50


def goal_fillfactor(percent: int | None) -> Callable[[Any, Any], None]:
    """A ``RunPython`` function that sets the goals table's fillfactor to ``percent``
    (``None``: PostgreSQL's default) on PostgreSQL. Pages written before keep their fill
    until ``VACUUM FULL planning_goal``."""

    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        if percent is None:
            schema_editor.execute("ALTER TABLE planning_goal RESET (fillfactor)")
        else:
            schema_editor.execute(f"ALTER TABLE planning_goal SET (fillfactor = {int(percent)})")

    return run


def goal_trigger_drop(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)

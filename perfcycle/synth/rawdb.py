"""The bulk-row helpers moved to ``perfcycle.core.bulk`` (the review-form generation in
``evaluation`` uses them too, and ``evaluation`` comes before ``synth``); these names
stay for the benchmarks that import them from here."""

from __future__ import annotations

from perfcycle.core.bulk import (
    analyze,
    foreign_keys_checked_at_end,
    insert_rows,
    next_id,
    reset_sequences,
)

__all__ = ["analyze", "foreign_keys_checked_at_end", "insert_rows", "next_id", "reset_sequences"]

"""The cycle's phase state machine, the one place that says which phase may follow which.

draft → planning → in progress → self-review → 360 → manager review → calibration →
results → closed. The 360 phase may be skipped (self-review → manager review) when the
template gathers no peer or upward reviews. Two steps back are allowed for real-world
corrections: in progress → planning (goals must be reworked) and results → calibration
(an upheld appeal needs re-calibration). Closed is final.
"""

from __future__ import annotations

import datetime as dt

from perfcycle.cycles.models import Phase

ORDER: tuple[Phase, ...] = (
    Phase.DRAFT,
    Phase.PLANNING,
    Phase.IN_PROGRESS,
    Phase.SELF_REVIEW,
    Phase.REVIEW_360,
    Phase.MANAGER_REVIEW,
    Phase.CALIBRATION,
    Phase.RESULTS,
    Phase.CLOSED,
)

TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    Phase.DRAFT: frozenset({Phase.PLANNING}),
    Phase.PLANNING: frozenset({Phase.IN_PROGRESS}),
    Phase.IN_PROGRESS: frozenset({Phase.SELF_REVIEW, Phase.PLANNING}),
    Phase.SELF_REVIEW: frozenset({Phase.REVIEW_360, Phase.MANAGER_REVIEW}),
    Phase.REVIEW_360: frozenset({Phase.MANAGER_REVIEW}),
    Phase.MANAGER_REVIEW: frozenset({Phase.CALIBRATION}),
    Phase.CALIBRATION: frozenset({Phase.RESULTS}),
    Phase.RESULTS: frozenset({Phase.CLOSED, Phase.CALIBRATION}),
    Phase.CLOSED: frozenset(),
}

BACKWARD: frozenset[tuple[Phase, Phase]] = frozenset(
    {(Phase.IN_PROGRESS, Phase.PLANNING), (Phase.RESULTS, Phase.CALIBRATION)}
)

# Phases in which goals may still be created or changed.
GOALS_EDITABLE: frozenset[Phase] = frozenset({Phase.DRAFT, Phase.PLANNING, Phase.IN_PROGRESS})

# Default deadlines, in days after the cycle's end (planning: after its start).
_DEFAULT_OFFSETS: dict[Phase, int] = {
    Phase.SELF_REVIEW: 7,
    Phase.REVIEW_360: 14,
    Phase.MANAGER_REVIEW: 21,
    Phase.CALIBRATION: 28,
    Phase.RESULTS: 35,
}


def allowed_next(phase: str) -> list[Phase]:
    """Phases reachable from ``phase``, forward ones first."""
    current = Phase(phase)
    return sorted(
        TRANSITIONS[current],
        key=lambda p: (p in {b for a, b in BACKWARD if a == current}, ORDER.index(p)),
    )


def is_allowed(current: str, target: str) -> bool:
    return Phase(target) in TRANSITIONS[Phase(current)]


def is_backward(current: str, target: str) -> bool:
    return (Phase(current), Phase(target)) in BACKWARD


def default_deadlines(start: dt.date, end: dt.date) -> dict[Phase, dt.date]:
    length = (end - start).days
    deadlines = {
        Phase.PLANNING: start + dt.timedelta(days=max(3, min(14, length // 6))),
        Phase.IN_PROGRESS: end,
    }
    for phase, days in _DEFAULT_OFFSETS.items():
        deadlines[phase] = end + dt.timedelta(days=days)
    return deadlines

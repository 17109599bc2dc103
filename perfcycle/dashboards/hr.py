"""HR's cards: one per open cycle, with the phase's to-dos counted company-wide, review
completion per department, the grade distribution and process health's weakest joint.

Each count is one ``GROUP BY`` over all open cycles of that phase, so the number of
queries does not grow with the company (a few more per cycle in calibration or results).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from perfcycle.calibration import distribution
from perfcycle.calibration.models import (
    Appeal,
    CalibrationSession,
    Result,
    SessionStatus,
)
from perfcycle.cycles.models import Cycle, CycleParticipant, Phase
from perfcycle.dashboards.selectors import (
    OPEN_APPEALS,
    REVIEW_PHASES,
    Todo,
    open_cycles,
    phase_deadlines,
)
from perfcycle.evaluation.models import FormStatus, ReviewForm
from perfcycle.evaluation.progress import PENDING, Tally
from perfcycle.evaluation.reviews import PHASE_FOR_SOURCE
from perfcycle.improvement.models import ImprovementPlan
from perfcycle.improvement.services import trigger_grades
from perfcycle.insights.health import health
from perfcycle.insights.reach import Reach
from perfcycle.planning.models import GoalSheet, SheetStatus
from perfcycle.proposals.models import Proposal, ProposalStatus
from perfcycle.retrospective.models import RetroSettings
from perfcycle.rewards.models import BonusPlan
from perfcycle.rewards.models import PlanStatus as BonusStatus


@dataclass
class CycleCard:
    """HR's card of one open cycle: phase, next deadline, the phase's to-dos."""

    cycle: Cycle
    next_deadline: dt.date | None = None
    todos: list[Todo] = field(default_factory=list)
    review: Tally | None = None
    departments: list[tuple[str, Tally]] = field(default_factory=list)
    late_reviewers: int = 0
    weakest: str = ""
    # Drawn by the view: completion bars (overall, per department), grade distribution.
    review_bar: Any = None
    department_bars: list[tuple[str, Tally, Any]] = field(default_factory=list)
    distribution: Any = None


# --- HR -----------------------------------------------------------------------------------


def hr_cards(*, today: dt.date | None = None) -> list[CycleCard]:
    """One card per open cycle with the phase's to-dos counted company-wide."""
    today = today or timezone.localdate()
    cycles = open_cycles()
    if not cycles:
        return []
    ids = [c.pk for c in cycles]
    cards = {c.pk: CycleCard(cycle=c) for c in cycles}
    upcoming: dict[int, dt.date] = {}
    for (cycle_id, phase), due in phase_deadlines(ids).items():
        if cards[cycle_id].cycle.phase == phase:
            cards[cycle_id].next_deadline = due
        elif due >= today:
            upcoming[cycle_id] = min(due, upcoming.get(cycle_id, due))
    for pk, card in cards.items():
        if card.next_deadline is None:
            card.next_deadline = upcoming.get(pk)

    def add(cycle_id: int, label: str, count: int, url: str, note: str = "") -> None:
        if count:
            cards[cycle_id].todos.append(Todo(label, count, url, note))

    by_phase: dict[str, list[int]] = defaultdict(list)
    for c in cycles:
        by_phase[c.phase].append(c.pk)
        if c.phase == Phase.DRAFT:
            add(c.pk, _("Open the cycle"), 1, reverse("cycles:detail", args=[c.pk]))

    early = by_phase[Phase.PLANNING] + by_phase[Phase.IN_PROGRESS]
    if early:
        acknowledged = GoalSheet.objects.filter(
            cycle=OuterRef("cycle"), employee=OuterRef("employee"), status=SheetStatus.ACKNOWLEDGED
        )
        for row in (
            CycleParticipant.objects.filter(cycle_id__in=early)
            .exclude(Exists(acknowledged))
            .values("cycle_id")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            add(
                row["cycle_id"],
                _("Participants without acknowledged goals"),
                row["n"],
                reverse("planning:team"),
            )

    reviewing = [pk for pk in ids if cards[pk].cycle.phase in REVIEW_PHASES]
    if reviewing:
        _review_counts(cards, reviewing, today)

    calibrating = by_phase[Phase.CALIBRATION]
    if calibrating:
        for row in (
            CalibrationSession.objects.filter(cycle_id__in=calibrating)
            .values("cycle_id")
            .annotate(
                open=Count("pk", filter=Q(status=SessionStatus.OPEN)),
                locked=Count("pk", filter=Q(status=SessionStatus.LOCKED)),
            )
            .order_by()
        ):
            url = reverse("calibration:sessions", args=[row["cycle_id"]])
            add(row["cycle_id"], _("Calibration sessions still open"), row["open"], url)
            add(row["cycle_id"], _("Locked sessions to sign off"), row["locked"], url)

    if calibrating or by_phase[Phase.RESULTS]:
        for row in (
            Result.objects.filter(cycle_id__in=calibrating + by_phase[Phase.RESULTS])
            .values("cycle_id")
            .annotate(
                unreleased=Count("pk", filter=Q(released_at__isnull=True)),
                no_talk=Count("pk", filter=Q(released_at__isnull=False, talk__isnull=True)),
            )
            .order_by()
        ):
            pk = row["cycle_id"]
            add(
                pk,
                _("Results not released"),
                row["unreleased"],
                reverse("calibration:release", args=[pk]),
            )
            if cards[pk].cycle.phase == Phase.RESULTS:
                add(pk, _("Feedback talks not held"), row["no_talk"], reverse("calibration:home"))

    results_phase = by_phase[Phase.RESULTS]
    if results_phase:
        _results_counts(cards, results_phase)
    return [cards[pk] for pk in ids]


def _review_counts(cards: dict[int, CycleCard], ids: list[int], today: dt.date) -> None:
    """Completion and late reviewers of the cycles in a review phase (three queries)."""
    forms = ReviewForm.objects.filter(cycle_id__in=ids).active().order_by()
    aggregates = {
        "submitted": Count("pk", filter=Q(status=FormStatus.SUBMITTED)),
        "draft": Count("pk", filter=Q(status=FormStatus.DRAFT)),
        "open": Count("pk", filter=Q(status=FormStatus.OPEN)),
    }
    for row in forms.values("cycle_id").annotate(**aggregates):
        cards[row["cycle_id"]].review = Tally(row["submitted"], row["draft"], row["open"])
    for row in (
        forms.values("cycle_id", "reviewee__department__name")
        .annotate(**aggregates)
        .order_by("reviewee__department__name")
    ):
        cards[row["cycle_id"]].departments.append(
            (
                row["reviewee__department__name"] or _("No department"),
                Tally(row["submitted"], row["draft"], row["open"]),
            )
        )
    # Late: forms of the current phase's sources, not submitted, deadline passed.
    current = Q(pk__in=[])
    for pk in ids:
        card = cards[pk]
        if card.next_deadline is None or card.next_deadline >= today:
            continue
        sources = [s for s, p in PHASE_FOR_SOURCE.items() if p == card.cycle.phase]
        current |= Q(cycle_id=pk, source__in=sources)
    for row in (
        forms.filter(current, status__in=PENDING)
        .values("cycle_id")
        .annotate(n=Count("reviewer_id", distinct=True))
    ):
        cards[row["cycle_id"]].late_reviewers = row["n"]
    for pk in ids:
        card = cards[pk]
        url = reverse("evaluation:progress", args=[pk])
        if card.review is not None:
            pending = card.review.in_progress + card.review.not_started
            add_note = _("%(percent)s%% submitted") % {"percent": card.review.percent_done}
            if pending:
                card.todos.append(Todo(_("Review forms not submitted"), pending, url, add_note))
        if card.late_reviewers:
            card.todos.append(Todo(_("Reviewers past the deadline"), card.late_reviewers, url))


def _results_counts(cards: dict[int, CycleCard], ids: list[int]) -> None:
    """Appeals, bonus plans, proposals, retrospective and improvement plans of cycles in
    the results phase."""
    for row in (
        Appeal.objects.filter(result__cycle_id__in=ids, status__in=OPEN_APPEALS)
        .values("result__cycle_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        cards[row["result__cycle_id"]].todos.append(
            Todo(_("Appeals waiting for a decision"), row["n"], reverse("calibration:appeals"))
        )
    for row in (
        BonusPlan.objects.filter(cycle_id__in=ids, status=BonusStatus.COMPUTED)
        .values("cycle_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        cards[row["cycle_id"]].todos.append(
            Todo(_("Bonus plans to approve"), row["n"], reverse("rewards:plans"))
        )
    for row in (
        Proposal.objects.filter(
            round__cycle_id__in=ids,
            status__in=(ProposalStatus.SUBMITTED, ProposalStatus.ENDORSED),
        )
        .values("round__cycle_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        cards[row["round__cycle_id"]].todos.append(
            Todo(_("Proposals to decide"), row["n"], reverse("proposals:rounds"))
        )
    opened = set(RetroSettings.objects.filter(cycle_id__in=ids).values_list("cycle_id", flat=True))
    planned = set(
        ImprovementPlan.objects.filter(cycle_id__in=ids).values_list("cycle_id", "employee_id")
    )
    released = list(
        Result.objects.filter(cycle_id__in=ids, released_at__isnull=False).values_list(
            "cycle_id", "employee_id", "grade"
        )
    )
    for pk in ids:
        card = cards[pk]
        if pk not in opened:
            card.todos.append(Todo(_("Open the retrospective"), 1, reverse("retrospective:home")))
        grades = set(trigger_grades(card.cycle))
        count = sum(1 for c, e, g in released if c == pk and g in grades and (c, e) not in planned)
        if count:
            card.todos.append(
                Todo(
                    _("Improvement plans to propose"),
                    count,
                    reverse("improvement:home") + f"?cycle={pk}",
                    ", ".join(sorted(grades)),
                )
            )


def distribution_check(cycle: Cycle) -> distribution.DistributionCheck:
    """The cycle's final grades against the guideline, everyone together (the calibration
    stage's check; counted with one ``GROUP BY``)."""
    return distribution.overall_check(
        cycle, Result.objects.filter(cycle=cycle), label=_("Everyone shown")
    )


# Process health reads every form, result and reminder of the cycles — seconds for a
# company of 100,000 — so HR's home keeps its sentences a while (per cycle and phase,
# language and day); the process health page itself always computes afresh.
WEAKEST_JOINT_SECONDS = 15 * 60


def weakest_joints(cycles: list[Cycle]) -> dict[int, str]:
    """Process health's weakest joint per cycle, company-wide (nine queries in all, none
    while the sentences computed in the last ``WEAKEST_JOINT_SECONDS`` are kept)."""
    started = [c for c in cycles if c.phase != Phase.DRAFT]
    if not started:
        return {}
    key = "dashboards:weakest:{}:{}:{}".format(
        get_language(),
        timezone.localdate().isoformat(),
        ",".join(f"{c.pk}.{c.phase}" for c in started),
    )
    found = cache.get(key)
    if found is None:
        found = {
            h.cycle_id: h.weak[0].sentence
            for h in health(reach=Reach(everyone=True), cycles=started)
            if h.weak
        }
        cache.set(key, found, WEAKEST_JOINT_SECONDS)
    return found

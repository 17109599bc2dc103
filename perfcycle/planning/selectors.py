"""Reads of the plan stage: progress, the alignment tree, goal sheets for a team.

Each selector issues a fixed number of queries whatever the number of goals or people.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from perfcycle.access.policy import Action, scope
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.org.models import Employee
from perfcycle.planning.models import (
    Goal,
    GoalKind,
    GoalSheet,
    KeyResult,
    Milestone,
    OwnerType,
    SheetStatus,
)
from perfcycle.planning.scoring import attainment

HUNDRED = Decimal(100)
ZERO = Decimal(0)


def _clamp(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return max(ZERO, min(HUNDRED, value))


def goal_progress(goal: Goal) -> Decimal | None:
    """Progress toward the goal in percent (0–100), from what is known so far.

    KPI: attainment of the current value; OKR: weighted key-result attainment;
    milestone: done, else the share of its action plan done; qualitative: the share of
    its action plan done. Uses prefetched ``key_results`` and ``milestones``.
    """
    if goal.kind == GoalKind.KPI:
        standard = goal.standard()
        if standard is None or goal.current_value is None:
            return None
        return _clamp(attainment(standard, goal.current_value))
    if goal.kind == GoalKind.OKR:
        results = list(goal.key_results.all())
        scored = [
            (kr, _clamp(attainment(kr.standard(), kr.current_value)))
            for kr in results
            if kr.current_value is not None
        ]
        if not scored:
            return None
        total_weight = sum((kr.weight for kr, _p in scored), ZERO)
        if total_weight:
            return (
                sum((kr.weight * (p or ZERO) for kr, p in scored), ZERO) / total_weight
            ).quantize(Decimal("0.01"))
        return (sum((p or ZERO for _kr, p in scored), ZERO) / len(scored)).quantize(Decimal("0.01"))
    if goal.kind == GoalKind.MILESTONE and goal.done_at is not None:
        return HUNDRED
    milestones = list(goal.milestones.all())
    if milestones:
        done = sum(1 for m in milestones if m.done_at is not None)
        return (Decimal(done) * HUNDRED / len(milestones)).quantize(Decimal("0.01"))
    return ZERO if goal.kind == GoalKind.MILESTONE else None


@dataclass
class GoalNode:
    goal: Goal
    progress: Decimal | None
    children: list[GoalNode] = field(default_factory=list)
    rollup: Decimal | None = None
    # Personal goals aligned to this one that are counted in its rollup but not listed
    # (a large company's tree lists its company and department goals only): their
    # weights and progress.
    unlisted: list[tuple[Decimal, Decimal | None]] = field(default_factory=list)

    @property
    def shown_progress(self) -> Decimal | None:
        return self.rollup if self.children or self.unlisted else self.progress


ALIGNMENT_LISTED = 1_000
"""Personal goals the alignment tree lists one by one. Beyond this many (HR, or the head
of a large line) it lists the company and department goals, each with the number of
personal goals aligned to it, still counted in its rolled-up progress: HR's tree of a
100,000-person company was 500,000 goals, 164 MB of page and minutes to make; 1,840
goals listed take 0.8 s."""


@dataclass
class Alignment:
    roots: list[GoalNode]
    personal: int  # the personal goals the user may see, up to one more than are listed
    listed: bool  # whether they are in the tree one by one
    limit: int  # how many would be


def with_plan_details(qs: QuerySet[Goal]) -> QuerySet[Goal]:
    return qs.select_related(
        "employee", "department", "indicator", "sheet", "parent"
    ).prefetch_related(
        Prefetch("key_results", queryset=KeyResult.objects.order_by("position", "id")),
        Prefetch(
            "milestones",
            queryset=Milestone.objects.select_related("owner").order_by("due_date", "id"),
        ),
    )


def visible_goals(user: Any, cycle: Cycle) -> QuerySet[Goal]:
    return scope(
        user,
        Action.GOAL_VIEW,
        Goal.objects.filter(cycle=cycle),
        subject="employee__",
        # As a list, not "not an employee's": the goals table's (cycle, owner type) index
        # can then find them, beside the team's goals, without reading the cycle's goals.
        public=Q(owner_type__in=[OwnerType.COMPANY, OwnerType.DEPARTMENT]),
    )


def _rollup(node: GoalNode) -> Decimal | None:
    if not node.children and not node.unlisted:
        return node.progress
    values = [(child.goal.weight, _rollup(child)) for child in node.children] + node.unlisted
    known = [(w, p) for w, p in values if p is not None]
    if not known:
        node.rollup = None
        return node.progress
    total = sum((w for w, _p in known), ZERO)
    if total:
        node.rollup = (sum((w * p for w, p in known), ZERO) / total).quantize(Decimal("0.01"))
    else:
        node.rollup = (sum((p for _w, p in known), ZERO) / len(known)).quantize(Decimal("0.01"))
    return node.rollup


def alignment_tree(user: Any, cycle: Cycle, *, listed: int | None = None) -> Alignment:
    """Company → department → person goals the user may see, with progress rolled up by
    weights. A goal whose parent is hidden from the user appears as a root. With more
    than ``listed`` personal goals, those are counted under their parents, not listed."""
    listed = ALIGNMENT_LISTED if listed is None else listed
    visible = visible_goals(user, cycle)
    personal = visible.filter(owner_type=OwnerType.EMPLOYEE)
    # Counted only as far as it tells (a whole company's count takes 90 ms).
    count = personal.order_by()[: listed + 1].count()
    shown = (  # as a list: the (cycle, owner type) index finds them
        visible
        if count <= listed
        else visible.filter(owner_type__in=[OwnerType.COMPANY, OwnerType.DEPARTMENT])
    )
    goals = list(with_plan_details(shown).order_by("owner_type", "id"))
    nodes = {g.pk: GoalNode(g, goal_progress(g)) for g in goals}
    roots: list[GoalNode] = []
    for goal in goals:
        parent = nodes.get(goal.parent_id) if goal.parent_id else None
        (parent.children if parent else roots).append(nodes[goal.pk])
    if count > listed and nodes:
        # The listed goals as a subquery, not their ids: a company may have more
        # department goals than a statement takes parameters (SQLite: 32,766).
        below = personal.filter(parent_id__in=shown.order_by().values("pk"))
        for goal in _progress_goals(below):
            parent = nodes.get(goal.parent_id)  # type: ignore[arg-type]
            if parent is not None:  # (not a goal aligned to one made since it was read)
                parent.unlisted.append((goal.weight, goal_progress(goal)))
    order = {OwnerType.COMPANY: 0, OwnerType.DEPARTMENT: 1, OwnerType.EMPLOYEE: 2}
    for node in nodes.values():
        node.children.sort(key=lambda n: (order[n.goal.owner_type], n.goal.owner_label, n.goal.pk))
    roots.sort(key=lambda n: (order[n.goal.owner_type], n.goal.owner_label, n.goal.pk))
    for root in roots:
        _rollup(root)
    return Alignment(roots, count, count <= listed, listed)


class Loaded(tuple):  # type: ignore[type-arg]
    """Rows read beforehand, read like a prefetched relation (``.all()``): what
    ``goal_progress`` reads of a goal read without its model's prefetching."""

    def all(self) -> Loaded:
        return self


NOTHING = Loaded()  # what a KPI goal has: shared, and a tuple cannot be added to


def _progress_goals(goals: QuerySet[Goal]) -> list[Goal]:
    """``goals`` with what ``goal_progress`` reads and nothing more: their key results and
    milestones in two queries (of the goals that are not KPIs), by subquery rather than
    a list of ids however many goals there are."""
    found = list(
        goals.order_by().only(
            "pk", "parent_id", "weight", "kind", "target", "direction", "baseline",
            "threshold", "stretch", "current_value", "done_at",
        )
    )  # fmt: skip
    others = goals.exclude(kind=GoalKind.KPI).values("pk")
    key_results: dict[int, list[KeyResult]] = defaultdict(list)
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    if any(g.kind != GoalKind.KPI for g in found):
        for kr in KeyResult.objects.filter(goal__in=others).order_by("goal_id", "position", "id"):
            key_results[kr.goal_id].append(kr)
        for m in Milestone.objects.filter(goal__in=others).order_by("goal_id", "due_date", "id"):
            milestones[m.goal_id].append(m)
    for goal in found:
        goal._prefetched_objects_cache = {
            "key_results": Loaded(key_results.get(goal.pk, NOTHING)),
            "milestones": Loaded(milestones.get(goal.pk, NOTHING)),
        }
    return found


def employee_goals(cycle: Cycle, employee: Employee) -> list[tuple[Goal, Decimal | None]]:
    goals = with_plan_details(Goal.objects.filter(cycle=cycle, employee=employee)).order_by("id")
    return [(g, goal_progress(g)) for g in goals]


@dataclass
class SheetRow:
    employee: Employee
    status: str
    goal_count: int
    weight_total: Decimal
    sheet: GoalSheet | None


def team_participants(user: Any, cycle: Cycle, *, status: str = "") -> QuerySet[CycleParticipant]:
    """The participants of ``cycle`` the user may see, by name, narrowed in SQL to those
    whose agreement is at ``status`` (someone without a sheet is a draft). Paginate it,
    then turn a page into rows with ``sheet_rows``: a page costs the same whether the
    user sees ten people or the whole company."""
    participants = scope(
        user,
        Action.SHEET_VIEW,
        CycleParticipant.objects.filter(cycle=cycle),
        subject="employee__",
    )
    if status == SheetStatus.DRAFT:
        participants = participants.exclude(
            employee_id__in=GoalSheet.objects.filter(cycle=cycle)
            .exclude(status=SheetStatus.DRAFT)
            .values("employee_id")
        )
    elif status:
        participants = participants.filter(
            employee_id__in=GoalSheet.objects.filter(cycle=cycle, status=status).values(
                "employee_id"
            )
        )
    return participants.select_related("employee", "employee__department").order_by(
        "employee__name", "employee_id"
    )


def sheet_rows(cycle: Cycle, participants: list[CycleParticipant]) -> list[SheetRow]:
    """Each of ``participants`` (a page of ``team_participants``) with their agreement
    status, goal count and weight total, in one query."""
    sheets = {
        s.employee_id: s
        for s in GoalSheet.objects.filter(
            cycle=cycle, employee_id__in=[p.employee_id for p in participants]
        ).annotate(
            goal_count=Count("goals"),
            weight_total=Coalesce(Sum("goals__weight"), Value(ZERO), output_field=DecimalField()),
        )
    }
    rows = []
    for participant in participants:
        sheet = sheets.get(participant.employee_id)
        rows.append(
            SheetRow(
                employee=participant.employee,
                status=sheet.status if sheet else SheetStatus.DRAFT,
                goal_count=sheet.goal_count if sheet else 0,
                weight_total=sheet.weight_total if sheet else ZERO,
                sheet=sheet,
            )
        )
    return rows


def sheet_status_counts(user: Any, cycle: Cycle) -> dict[str, int]:
    """How many of the participants the user may see are at each agreement status (two
    queries, counted in the database)."""
    participants = team_participants(user, cycle).order_by()
    total = participants.count()
    counts = dict.fromkeys(SheetStatus.values, 0)
    counts.update(
        GoalSheet.objects.filter(cycle=cycle, employee_id__in=participants.values("employee_id"))
        .exclude(status=SheetStatus.DRAFT)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    counts[SheetStatus.DRAFT] = total - sum(counts.values())
    return counts

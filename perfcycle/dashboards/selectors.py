"""What each role must do now, and how the cycle is going: the reads behind the home page.

The dashboards come last in the import order, so they read every stage through its own
selectors and rules (pace, review progress, result states, the distribution check,
process health) rather than restating them. Every list is one ``GROUP BY`` or one
filtered query for all the reader's open cycles together: the page issues the same number
of queries whatever the size of the team or the company.

A to-do is a sentence, a count and the page where it is done. Who sees what:

- an employee: their own forms, sheets, results (released only), plans and profile;
- a manager: people in their reporting line only (``path`` below theirs), even when they
  are HR as well — HR's company-wide view is its own section;
- HR: every open cycle, counted, never listing names (``hr.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.calibration import feedback
from perfcycle.calibration.models import (
    Appeal,
    AppealStatus,
    FeedbackTalk,
    Result,
)
from perfcycle.cycles.models import Cycle, CycleDeadline, Phase
from perfcycle.evaluation.models import FormStatus, ReviewForm, ReviewSource
from perfcycle.evaluation.progress import PENDING, Tally, progress_forms
from perfcycle.evaluation.reviews import PHASE_FOR_SOURCE
from perfcycle.improvement.models import ImprovementPlan, PlanReview
from perfcycle.improvement.models import PlanStatus as ImprovementStatus
from perfcycle.monitoring.models import ActionItem, Actual, CheckIn, CheckInStatus
from perfcycle.monitoring.pace import my_pace, team_pace
from perfcycle.notifications.improvement import REVIEW_DAYS
from perfcycle.notifications.reminders import last_complete_month
from perfcycle.org.models import Employee, EmployeeStatus
from perfcycle.planning.models import Goal, GoalSheet, MeasurementPeriod, OwnerType, SheetStatus
from perfcycle.proposals.models import Proposal, ProposalRound, ProposalStatus, RoundStatus
from perfcycle.proposals.selectors import candidates
from perfcycle.retrospective.models import RetroResponse, RetroSettings
from perfcycle.rewards.models import BonusLine, MotivationProfile
from perfcycle.rewards.models import PlanStatus as BonusStatus

# Check-ins shown as "coming up" this far ahead.
CHECKIN_AHEAD = dt.timedelta(days=7)
# Open forms of these sources are the manager's to write; the others the employee's.
MANAGER_SOURCES = frozenset({ReviewSource.MANAGER, ReviewSource.SKIP})
REVIEW_PHASES = frozenset({Phase.SELF_REVIEW, Phase.REVIEW_360, Phase.MANAGER_REVIEW})
OPEN_APPEALS = (AppealStatus.FILED, AppealStatus.UNDER_REVIEW)


@dataclass(frozen=True)
class Todo:
    """One thing to do: what, how many, where, and an optional note (a deadline)."""

    label: str
    count: int
    url: str
    note: str = ""


def _date(value: dt.date | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


# --- Cycles -------------------------------------------------------------------------------


def open_cycles() -> list[Cycle]:
    """Every cycle not closed (drafts included: HR must open them), newest first."""
    return list(
        Cycle.objects.exclude(phase=Phase.CLOSED)
        .select_related("grade_scale")
        .order_by("-start_date", "name")
    )


def my_cycles(employee: Employee) -> list[Cycle]:
    """The open cycles ``employee`` takes part in, newest first."""
    return list(
        Cycle.objects.open()
        .filter(participants__employee=employee)
        .select_related("grade_scale")
        .order_by("-start_date", "name")
    )


def phase_deadlines(cycle_ids: list[int]) -> dict[tuple[int, str], dt.date]:
    return {
        (c, p): d
        for c, p, d in CycleDeadline.objects.filter(cycle_id__in=cycle_ids).values_list(
            "cycle_id", "phase", "due_date"
        )
    }


def _forms_to_write(
    me: Employee, cycles: list[Cycle], deadlines: dict[tuple[int, str], dt.date]
) -> dict[bool, list[Todo]]:
    """My review forms not submitted, of the source the cycle's phase is collecting,
    by cycle and source; split into the manager's (True) and the employee's (False)."""
    by_id = {c.pk: c for c in cycles}
    rows = (
        ReviewForm.objects.filter(reviewer=me, cycle_id__in=list(by_id), status__in=PENDING)
        .values("cycle_id", "source")
        .annotate(n=Count("pk"))
        .order_by("cycle_id", "source")
    )
    labels = {
        ReviewSource.SELF: _("Write your self-review"),
        ReviewSource.PEER: _("Write peer reviews"),
        ReviewSource.REPORT: _("Write upward reviews of your manager"),
        ReviewSource.SKIP: _("Write skip-level reviews"),
        ReviewSource.MANAGER: _("Write manager reviews of your team"),
    }
    out: dict[bool, list[Todo]] = {True: [], False: []}
    url = reverse("evaluation:my_reviews")
    for row in rows:
        cycle = by_id[row["cycle_id"]]
        phase = PHASE_FOR_SOURCE[row["source"]]
        if cycle.phase != phase:
            continue
        due = deadlines.get((cycle.pk, phase))
        note = _("%(cycle)s, due %(date)s") % {"cycle": cycle.name, "date": _date(due)}
        out[row["source"] in MANAGER_SOURCES].append(
            Todo(labels[ReviewSource(row["source"])], row["n"], url, note if due else cycle.name)
        )
    return out


# --- Employee -----------------------------------------------------------------------------


@dataclass
class EmployeeDashboard:
    todos: list[Todo]
    cycle: Cycle | None = None
    pace: Any = None  # monitoring.pace.PersonPace of the newest cycle under way
    latest: Result | None = None


def employee_dashboard(
    user: Any, me: Employee, *, today: dt.date | None = None, now: dt.datetime | None = None
) -> tuple[EmployeeDashboard, dict[bool, list[Todo]]]:
    """The employee's to-dos and progress; also returns the review forms split by role
    (the manager's share is shown in the manager section)."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    cycles = my_cycles(me)
    ids = [c.pk for c in cycles]
    deadlines = phase_deadlines(ids) if ids else {}
    todos: list[Todo] = []

    sheets = list(
        GoalSheet.objects.awaiting_acknowledgement()
        .filter(employee=me, cycle_id__in=ids)
        .values_list("cycle__name", flat=True)
    )
    if sheets:
        todos.append(
            Todo(
                _("Acknowledge your goals"),
                len(sheets),
                reverse("planning:home"),
                ", ".join(sheets),
            )
        )

    period, start, end = last_complete_month(today)
    missing = (
        Goal.objects.filter(
            cycle_id__in=ids,
            cycle__phase=Phase.IN_PROGRESS,
            cycle__start_date__lte=end,
            cycle__end_date__gte=start,
            owner_type=OwnerType.EMPLOYEE,
            employee=me,
            measurement_period=MeasurementPeriod.MONTH,
            done_at__isnull=True,
        )
        .exclude(Exists(Actual.objects.current().filter(goal=OuterRef("pk"), period=period)))
        .count()
    )
    if missing:
        todos.append(
            Todo(
                _("Record last month's actuals"),
                missing,
                reverse("monitoring:home"),
                _("for %(period)s") % {"period": period},
            )
        )

    checkins = CheckIn.objects.filter(
        employee=me,
        status=CheckInStatus.SCHEDULED,
        scheduled_for__gte=now,
        scheduled_for__lt=now + CHECKIN_AHEAD,
    ).aggregate(n=Count("pk"))["n"]
    if checkins:
        todos.append(
            Todo(
                _("Prepare for your check-ins this week"), checkins, reverse("monitoring:checkins")
            )
        )
    items = ActionItem.objects.filter(owner=me, done_at__isnull=True).aggregate(
        n=Count("pk"), late=Count("pk", filter=Q(due_date__lt=today))
    )
    if items["n"]:
        note = _("%(n)s overdue") % {"n": items["late"]} if items["late"] else ""
        todos.append(
            Todo(_("Finish your action items"), items["n"], reverse("monitoring:checkins"), note)
        )

    forms = _forms_to_write(me, cycles, deadlines)
    todos.extend(forms[False])

    results = list(
        Result.objects.filter(employee=me, released_at__isnull=False)
        .select_related("cycle", "talk")
        .annotate(
            open_appeal=Exists(
                Appeal.objects.filter(result=OuterRef("pk"), status__in=OPEN_APPEALS)
            )
        )
        .order_by("-released_at", "-pk")
    )
    windows = feedback.window_days_by_cycle({r.cycle_id for r in results}) if results else {}
    for r in results:
        state = feedback.result_state(
            r, today=today, open_appeal=r.open_appeal, window_days=windows[r.cycle_id]
        )
        if state == feedback.WAITING:
            closes = feedback.window_closes_on(r, window_days=windows[r.cycle_id])
            todos.append(
                Todo(
                    _("Read and acknowledge your result"),
                    1,
                    reverse("calibration:my_result", args=[r.pk]),
                    _("%(cycle)s, until %(date)s") % {"cycle": r.cycle.name, "date": _date(closes)},
                )
            )
        talk = r.talk if _has_talk(r) else None
        if talk is not None and not talk.employee_comments and state == feedback.WAITING:
            todos.append(
                Todo(
                    _("Add your comments on the feedback talk"),
                    1,
                    reverse("calibration:talk", args=[r.pk]),
                    r.cycle.name,
                )
            )

    retros = list(
        RetroSettings.objects.filter(
            cycle__participants__employee=me, opened_at__lte=now, closes_on__gte=today
        )
        .exclude(Exists(RetroResponse.objects.filter(cycle=OuterRef("cycle"), employee=me)))
        .values_list("cycle_id", "cycle__name", "closes_on")
    )
    for cycle_id, name, closes in retros:
        todos.append(
            Todo(
                _("Answer the retrospective"),
                1,
                reverse("retrospective:answer", args=[cycle_id]),
                _("%(cycle)s, until %(date)s") % {"cycle": name, "date": _date(closes)},
            )
        )

    for plan_id in ImprovementPlan.objects.filter(
        employee=me,
        status__in=(ImprovementStatus.ACTIVE, ImprovementStatus.EXTENDED),
        acknowledged_at__isnull=True,
    ).values_list("pk", flat=True):
        todos.append(
            Todo(
                _("Acknowledge your improvement plan"),
                1,
                reverse("improvement:plan", args=[plan_id]),
            )
        )

    if not MotivationProfile.objects.filter(employee=me).exclude(motivators=[]).exists():
        todos.append(
            Todo(_("Say what motivates you"), 1, reverse("rewards:motivation"), _("not filled in"))
        )

    board = EmployeeDashboard(todos=todos, latest=results[0] if results else None)
    under_way = [c for c in cycles if c.phase not in (Phase.DRAFT, Phase.PLANNING)]
    if under_way or cycles:
        board.cycle = (under_way or cycles)[0]
        board.pace = my_pace(board.cycle, me, as_of=today)
    return board, forms


def _has_talk(result: Result) -> bool:
    try:
        return result.talk is not None
    except FeedbackTalk.DoesNotExist:
        return False


# --- Manager ------------------------------------------------------------------------------


# Beyond this many people in a manager's reporting line, the home page's pace covers the
# people reporting to them directly (the whole line is on the team's progress page, a
# hundred at a time): a head of 3,000 people would otherwise wait for 15,000 goals' pace.
HOME_LINE_LIMIT = 500


@dataclass
class ManagerDashboard:
    todos: list[Todo]
    cycle: Cycle | None = None
    pace_rows: list[Any] = field(default_factory=list)
    review: Tally | None = None
    line_size: int = 0  # active people in the manager's reporting line
    direct_only: bool = False  # pace_rows cover the direct reports only (a large line)


def _line(me: Employee, prefix: str = "") -> Q:
    """People in ``me``'s reporting line (not ``me``), through ``prefix``."""
    return Q(**{f"{prefix}path__startswith": me.path}) & ~Q(**{f"{prefix}pk": me.pk})


def manager_dashboard(
    user: Any,
    me: Employee,
    manager_forms: list[Todo],
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ManagerDashboard:
    """A manager's to-dos about the people in their line, and their team's pace."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    cycles = [c for c in open_cycles() if c.phase != Phase.DRAFT]
    ids = [c.pk for c in cycles]
    todos: list[Todo] = []
    # Direct reports as a subquery: the forms and results are then found by person (a
    # join from every row of the cycle to its person scans the whole cycle).
    reports = Employee.objects.filter(manager=me).values("pk")

    proposed = (
        GoalSheet.objects.awaiting_approval()
        .filter(cycle_id__in=ids, employee__manager=me, employee__status=EmployeeStatus.ACTIVE)
        .count()
    )
    if proposed:
        todos.append(
            Todo(
                _("Approve your team's goal sheets"),
                proposed,
                reverse("planning:team") + f"?status={SheetStatus.PROPOSED}",
            )
        )

    checkins = CheckIn.objects.filter(manager=me).aggregate(
        due=Count(
            "pk",
            filter=Q(
                status=CheckInStatus.SCHEDULED,
                scheduled_for__gte=now,
                scheduled_for__lt=now + CHECKIN_AHEAD,
            ),
        ),
        requested=Count("pk", filter=Q(status=CheckInStatus.REQUESTED)),
    )
    if checkins["requested"]:
        todos.append(
            Todo(
                _("Confirm check-ins your team requested"),
                checkins["requested"],
                reverse("monitoring:checkins"),
            )
        )
    if checkins["due"]:
        todos.append(
            Todo(_("Hold check-ins this week"), checkins["due"], reverse("monitoring:checkins"))
        )

    todos.extend(manager_forms)

    nominations = (
        ReviewForm.objects.filter(
            cycle_id__in=ids, status=FormStatus.NOMINATED, reviewee_id__in=reports
        )
        .values("cycle_id")
        .annotate(n=Count("pk"))
        .order_by("cycle_id")
    )
    for row in nominations:
        todos.append(
            Todo(
                _("Approve peer nominations"),
                row["n"],
                reverse("evaluation:peers", args=[row["cycle_id"]]),
            )
        )

    talks = (
        Result.objects.filter(cycle_id__in=ids, released_at__isnull=False, employee_id__in=reports)
        .exclude(Exists(FeedbackTalk.objects.filter(result=OuterRef("pk"))))
        .count()
    )
    if talks:
        todos.append(Todo(_("Hold feedback talks"), talks, reverse("calibration:home")))

    appeals = (
        Appeal.objects.filter(status__in=OPEN_APPEALS)
        .filter(Q(skip_level=me) | Q(committee=me))
        .values("pk")
        .distinct()
        .count()
    )
    if appeals:
        todos.append(
            Todo(_("Review appeals routed to you"), appeals, reverse("calibration:appeals"))
        )

    lines = (
        BonusLine.objects.filter(plan__status=BonusStatus.COMPUTED)
        .filter(_line(me, "employee__"))
        .values("plan_id", "plan__name")
        .annotate(n=Count("pk"))
        .order_by("plan_id")
    )
    for row in lines:
        todos.append(
            Todo(
                _("Check and adjust your team's bonus lines"),
                row["n"],
                reverse("rewards:plan", args=[row["plan_id"]]),
                row["plan__name"],
            )
        )

    endorse = (
        Proposal.objects.filter(status=ProposalStatus.SUBMITTED, round__status=RoundStatus.OPEN)
        .filter(_line(me, "employee__"))
        .exclude(employee__manager=me)
        .exclude(nominated_by=me)
        .values("round_id", "round__name")
        .annotate(n=Count("pk"))
        .order_by("round_id")
    )
    for row in endorse:
        todos.append(
            Todo(
                _("Endorse proposals"),
                row["n"],
                reverse("proposals:round", args=[row["round_id"]]),
                row["round__name"],
            )
        )
    todos.extend(_not_nominated(user, me))

    reviews = (
        PlanReview.objects.filter(
            held_on__isnull=True,
            scheduled_for__lte=today + dt.timedelta(days=REVIEW_DAYS),
            plan__manager=me,
            plan__status__in=(ImprovementStatus.ACTIVE, ImprovementStatus.EXTENDED),
        )
        .values("plan_id", "plan__employee__name")
        .annotate(n=Count("pk"))
        .order_by("plan_id")
    )
    for row in reviews:
        todos.append(
            Todo(
                _("Hold improvement plan reviews"),
                row["n"],
                reverse("improvement:plan", args=[row["plan_id"]]),
                row["plan__employee__name"],
            )
        )

    board = ManagerDashboard(todos=todos)
    board.line_size = Employee.objects.active().subtree(me).count()
    board.direct_only = board.line_size > HOME_LINE_LIMIT
    team_cycles = [c for c in cycles if c.phase != Phase.PLANNING] or cycles
    if team_cycles:
        cycle = team_cycles[0]
        board.cycle = cycle
        board.pace_rows = team_pace(user, cycle, manager=me, direct=board.direct_only, as_of=today)
        behind = [r for r in board.pace_rows if r.status in ("at_risk", "off_track")]
        if behind:
            todos.insert(
                0,
                Todo(
                    _("Coach your direct reports behind pace")
                    if board.direct_only
                    else _("Coach team members behind pace"),
                    len(behind),
                    reverse("monitoring:team"),
                    ", ".join(r.employee.name for r in behind[:5]),
                ),
            )
        # The line's people first (one indexed scan), then their forms by reviewee: a
        # join from every form of the cycle to its reviewee's path takes seconds.
        row = (
            progress_forms(user, cycle)
            .filter(reviewee_id__in=Employee.objects.filter(_line(me)).values("pk"))
            .aggregate(
                submitted=Count("pk", filter=Q(status=FormStatus.SUBMITTED)),
                draft=Count("pk", filter=Q(status=FormStatus.DRAFT)),
                open=Count("pk", filter=Q(status=FormStatus.OPEN)),
            )
        )
        tally = Tally(row["submitted"], row["draft"], row["open"])
        board.review = tally if tally.total else None
    return board


def _not_nominated(user: Any, me: Employee) -> list[Todo]:
    """Eligible people of my line nobody has nominated, per open round of an open cycle
    (the proposals stage decides who is eligible)."""
    rounds = (
        ProposalRound.objects.filter(status=RoundStatus.OPEN)
        .exclude(cycle__phase__in=[Phase.DRAFT, Phase.CLOSED])
        .select_related("cycle", "cycle__grade_scale")
    )
    todos = []
    for round in rounds:
        found = [
            c
            for c in candidates(user, round)
            if c.employee.path.startswith(me.path) and c.employee.pk != me.pk
        ]
        if found:
            todos.append(
                Todo(
                    _("Consider nominating eligible people"),
                    len(found),
                    reverse("proposals:round", args=[round.pk]),
                    round.name,
                )
            )
    return todos


def percent(tally: Tally | None) -> Decimal | None:
    if tally is None or not tally.total:
        return None
    return Decimal(tally.submitted * 100) / tally.total


def team_queryset(me: Employee) -> QuerySet[Employee]:
    return Employee.objects.active().direct_reports(me).select_related("department")

"""The reminder rules: who should be reminded of what today.

Each rule is a couple of set-based queries (never one per person) returning drafts for
``services.notify``; each draft has a stable ``dedupe_key`` so a daily run reminds once:

================  =====================================================  =====================
rule              when                                                    who
================  =====================================================  =====================
check-in due      a scheduled check-in starts within the next 24 hours    employee and manager
actual missing    a monthly goal in a cycle in progress has no current   goal owner and their
                  actual for the last complete month                     manager
deadline          a phase deadline is 0–3 days away while the cycle is   see ``AUDIENCE``
                  in that phase
action overdue    an open action item is past its due date                its owner
goals waiting     a goal sheet is approved (employee acknowledges) or    employee / manager
                  proposed (manager approves) in an open cycle
reviews due       review forms not submitted whose phase deadline is     their reviewer
                  0–2 days away while the cycle is in that phase          (``reviews.py``)
appeals due       an open appeal is due within 2 working days, or is     HR and the appeal's
                  overdue (once per appeal per day)                       members (``appeals.py``)
plan reviews due  an active improvement plan's review is 0–3 days away    employee and manager
                  (once per review per day)                               (``improvement.py``)
================  =====================================================  =====================
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from perfcycle.accounts.models import User
from perfcycle.cycles.models import CycleDeadline, CycleParticipant, Phase
from perfcycle.monitoring.models import ActionItem, Actual, CheckIn, CheckInStatus
from perfcycle.notifications.appeals import appeals_due
from perfcycle.notifications.improvement import plan_reviews_due
from perfcycle.notifications.models import NotificationKind
from perfcycle.notifications.reviews import review_forms_due
from perfcycle.notifications.services import NotificationDraft
from perfcycle.org.models import EmployeeStatus
from perfcycle.planning.models import Goal, GoalSheet, MeasurementPeriod, OwnerType, SheetStatus

DEADLINE_DAYS = 3
CHECKIN_WINDOW = dt.timedelta(hours=24)

# Who hears about a phase deadline: the people who have work to do in that phase.
PARTICIPANTS, MANAGERS, HR = "participants", "managers", "hr"
AUDIENCE: dict[str, str] = {
    Phase.PLANNING: PARTICIPANTS,  # set and agree goals
    Phase.IN_PROGRESS: PARTICIPANTS,  # record the last actuals
    Phase.SELF_REVIEW: PARTICIPANTS,
    Phase.REVIEW_360: PARTICIPANTS,
    Phase.MANAGER_REVIEW: MANAGERS,
    Phase.CALIBRATION: HR,
    Phase.RESULTS: HR,
}


def _url(name: str, *args: object) -> str:
    """The page's path, or no link when that page does not exist (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def last_complete_month(today: dt.date) -> tuple[str, dt.date, dt.date]:
    """The month before ``today``'s: its period code (``2026-10``), first and last day."""
    end = today.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    return f"{start:%Y-%m}", start, end


def checkins_due(*, now: dt.datetime) -> list[NotificationDraft]:
    """Scheduled check-ins starting within the next 24 hours: the employee and manager."""
    rows = CheckIn.objects.filter(
        status=CheckInStatus.SCHEDULED,
        scheduled_for__gte=now,
        scheduled_for__lt=now + CHECKIN_WINDOW,
    ).values(
        "pk",
        "scheduled_for",
        "employee__name",
        "employee__user_id",
        "manager__name",
        "manager__user_id",
    )
    drafts = []
    for row in rows:
        key = f"checkin-due:{row['pk']}:{row['scheduled_for'].timestamp():.0f}"
        url = _url("monitoring:checkin", row["pk"])
        for user_id, other in (
            (row["employee__user_id"], row["manager__name"]),
            (row["manager__user_id"], row["employee__name"]),
        ):
            if user_id is None:
                continue
            drafts.append(
                NotificationDraft(
                    user_id=user_id,
                    kind=NotificationKind.CHECKIN_DUE,
                    dedupe_key=key,
                    title=_("Check-in with %(name)s soon"),
                    body=_("Your check-in with %(name)s is scheduled for %(when)s."),
                    params={"name": other, "when": _when(row["scheduled_for"])},
                    url=url,
                )
            )
    return drafts


def _when(value: dt.datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def actuals_missing(*, today: dt.date) -> list[NotificationDraft]:
    """Monthly goals in cycles in progress without a current actual for last month."""
    period, start, end = last_complete_month(today)
    rows = (
        Goal.objects.filter(
            cycle__phase=Phase.IN_PROGRESS,
            cycle__start_date__lte=end,
            cycle__end_date__gte=start,
            owner_type=OwnerType.EMPLOYEE,
            measurement_period=MeasurementPeriod.MONTH,
            employee__status=EmployeeStatus.ACTIVE,
            done_at__isnull=True,
        )
        .exclude(
            Exists(Actual.objects.current().filter(goal=OuterRef("pk"), period=period)),
        )
        .values("pk", "title", "employee__name", "employee__user_id", "employee__manager__user_id")
    )
    drafts = []
    for row in rows:
        key = f"actual-missing:{row['pk']}:{period}"
        url = _url("planning:goal", row["pk"])
        params = {"goal": row["title"], "period": period, "name": row["employee__name"]}
        if row["employee__user_id"] is not None:
            drafts.append(
                NotificationDraft(
                    user_id=row["employee__user_id"],
                    kind=NotificationKind.ACTUAL_MISSING,
                    dedupe_key=key,
                    title=_("No actual for %(period)s: %(goal)s"),
                    body=_("Please record the value of “%(goal)s” for %(period)s."),
                    params=params,
                    url=url,
                )
            )
        if row["employee__manager__user_id"] is not None:
            drafts.append(
                NotificationDraft(
                    user_id=row["employee__manager__user_id"],
                    kind=NotificationKind.ACTUAL_MISSING,
                    dedupe_key=key,
                    title=_("%(name)s has no actual for %(period)s: %(goal)s"),
                    body=_("The value of “%(goal)s” for %(period)s has not been recorded yet."),
                    params=params,
                    url=url,
                )
            )
    return drafts


def deadlines_approaching(*, today: dt.date) -> list[NotificationDraft]:
    """Deadlines of the cycle's current phase within ``DEADLINE_DAYS`` days, to the people
    with work in that phase (``AUDIENCE``)."""
    deadlines = list(
        CycleDeadline.objects.filter(
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=DEADLINE_DAYS),
            cycle__phase=F("phase"),
            phase__in=list(AUDIENCE),
        ).values("pk", "cycle_id", "cycle__name", "phase", "due_date")
    )
    if not deadlines:
        return []
    cycle_ids = {d["cycle_id"] for d in deadlines}
    audiences = {AUDIENCE[d["phase"]] for d in deadlines}
    people: dict[tuple[str, int], set[int]] = {}
    if audiences & {PARTICIPANTS, MANAGERS}:
        rows = CycleParticipant.objects.filter(
            cycle_id__in=cycle_ids, employee__status=EmployeeStatus.ACTIVE
        ).values_list("cycle_id", "employee__user_id", "manager__user_id")
        for cycle_id, employee_user, manager_user in rows:
            if employee_user is not None:
                people.setdefault((PARTICIPANTS, cycle_id), set()).add(employee_user)
            if manager_user is not None:
                people.setdefault((MANAGERS, cycle_id), set()).add(manager_user)
    hr_ids: set[int] = set()
    if HR in audiences:
        hr_ids = set(
            User.objects.filter(is_hr_admin=True, is_active=True).values_list("pk", flat=True)
        )
    drafts = []
    for d in deadlines:
        audience = AUDIENCE[d["phase"]]
        users = hr_ids if audience == HR else people.get((audience, d["cycle_id"]), set())
        for user_id in sorted(users):
            drafts.append(
                NotificationDraft(
                    user_id=user_id,
                    kind=NotificationKind.DEADLINE,
                    dedupe_key=f"deadline:{d['pk']}:{d['due_date']:%Y-%m-%d}",
                    title=_("%(cycle)s: %(phase)s ends on %(date)s"),
                    body=_("The %(phase)s phase of %(cycle)s ends on %(date)s."),
                    params={
                        "cycle": d["cycle__name"],
                        "phase": Phase(d["phase"]).label,
                        "date": f"{d['due_date']:%Y-%m-%d}",
                    },
                    url=_url("cycles:detail", d["cycle_id"]),
                )
            )
    return drafts


def action_items_overdue(*, today: dt.date) -> list[NotificationDraft]:
    """Open action items past their due date: to their owner, once."""
    rows = ActionItem.objects.filter(
        done_at__isnull=True,
        due_date__lt=today,
        owner__user__isnull=False,
        owner__status=EmployeeStatus.ACTIVE,
    ).values("pk", "text", "due_date", "owner__user_id", "checkin_id")
    return [
        NotificationDraft(
            user_id=row["owner__user_id"],
            kind=NotificationKind.ACTION_OVERDUE,
            dedupe_key=f"action-overdue:{row['pk']}",
            title=_("Overdue: %(action)s"),
            body=_("This action item was due on %(date)s."),
            params={"action": row["text"][:200], "date": f"{row['due_date']:%Y-%m-%d}"},
            url=_url("monitoring:checkin", row["checkin_id"]) if row["checkin_id"] else "",
        )
        for row in rows
    ]


def _stamp(value: dt.datetime | None) -> str:
    return f"{value:%Y%m%d%H%M%S}" if value else "-"


def goal_sheets_waiting(*, today: dt.date) -> list[NotificationDraft]:
    """Approved sheets wait for the employee's acknowledgement, proposed ones for the
    manager's approval; once each time the sheet is approved or proposed."""
    rows = (
        GoalSheet.objects.filter(
            Q(status=SheetStatus.APPROVED) | Q(status=SheetStatus.PROPOSED),
            employee__status=EmployeeStatus.ACTIVE,
        )
        .exclude(cycle__phase__in=[Phase.DRAFT, Phase.CLOSED])
        .values(
            "pk",
            "status",
            "proposed_at",
            "approved_at",
            "cycle__name",
            "employee_id",
            "employee__name",
            "employee__user_id",
            "employee__manager__user_id",
        )
    )
    drafts = []
    for row in rows:
        params = {"cycle": row["cycle__name"], "name": row["employee__name"]}
        if row["status"] == SheetStatus.APPROVED and row["employee__user_id"] is not None:
            drafts.append(
                NotificationDraft(
                    user_id=row["employee__user_id"],
                    kind=NotificationKind.SHEET_ACKNOWLEDGE,
                    dedupe_key=f"sheet-acknowledge:{row['pk']}:{_stamp(row['approved_at'])}",
                    title=_("Please acknowledge your goals for %(cycle)s"),
                    body=_("Your manager approved your goals; read and acknowledge them."),
                    params=params,
                    url=_url("planning:home"),
                )
            )
        elif row["status"] == SheetStatus.PROPOSED and row["employee__manager__user_id"]:
            drafts.append(
                NotificationDraft(
                    user_id=row["employee__manager__user_id"],
                    kind=NotificationKind.SHEET_APPROVE,
                    dedupe_key=f"sheet-approve:{row['pk']}:{_stamp(row['proposed_at'])}",
                    title=_("%(name)s's goals for %(cycle)s wait for your approval"),
                    body=_("Review the proposed goals, then approve or return them."),
                    params=params,
                    url=_url("planning:person", row["employee_id"]),
                )
            )
    return drafts


def all_reminders(*, today: dt.date, now: dt.datetime) -> list[NotificationDraft]:
    """Every rule's drafts for ``today`` (check-ins from ``now``)."""
    return [
        *checkins_due(now=now),
        *actuals_missing(today=today),
        *deadlines_approaching(today=today),
        *action_items_overdue(today=today),
        *goal_sheets_waiting(today=today),
        *review_forms_due(today=today),
        *appeals_due(today=today),
        *plan_reviews_due(today=today),
    ]

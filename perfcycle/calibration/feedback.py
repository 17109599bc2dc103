"""Feeding a released result back: who sees which results, the acknowledgement window,
the feedback talk (绩效面谈) the manager records with the employee's own comments, and
the employee's acknowledgement.

The window: the employee acknowledges or appeals within
``CalibrationSettings.appeal_window_days`` working days after the result was released
(``workdays.add_working_days``); after that the result counts as accepted and an appeal
is refused. The one place that says whether the window is open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perfcycle.access.policy import Action, acting_employee, is_hr, may, scope
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record, snapshot
from perfcycle.calibration.distribution import settings_for
from perfcycle.calibration.models import (
    Appeal,
    AppealStatus,
    CalibrationSettings,
    FeedbackTalk,
    Result,
)
from perfcycle.calibration.workdays import add_working_days
from perfcycle.core.errors import DomainError, Forbidden
from perfcycle.core.validation import field_error, full_clean

OPEN_APPEAL = (AppealStatus.FILED, AppealStatus.UNDER_REVIEW)
TALK_FIELDS = ("held_on", "strengths", "improvements", "next_steps")

# What the employee has done with a released result.
NOT_RELEASED, WAITING, ACKNOWLEDGED, APPEALED, ACCEPTED = (
    "not_released",
    "waiting",
    "acknowledged",
    "appealed",
    "accepted",
)
STATE_LABELS = {
    NOT_RELEASED: gettext_lazy("not released"),
    WAITING: gettext_lazy("waiting for acknowledgement"),
    ACKNOWLEDGED: gettext_lazy("acknowledged"),
    APPEALED: gettext_lazy("appealed"),
    ACCEPTED: gettext_lazy("accepted (the window has passed)"),
}


# --- Reading ----------------------------------------------------------------------------


def visible_results(user: Any) -> QuerySet[Result]:
    """The results ``user`` may see: HR all, managers their line's (released or not),
    the employee their own once released."""
    base = Result.objects.all()
    if is_hr(user):
        return base
    managed = scope(user, Action.RESULT_VIEW, base, subject="employee__")
    me = acting_employee(user)
    mine = Q(employee=me, released_at__isnull=False) if me is not None else Q(pk__in=[])
    return base.filter(Q(pk__in=managed.values("pk")) | mine)


def with_appeal_counts(results: QuerySet[Result]) -> QuerySet[Result]:
    """``results`` with ``open_appeals`` and ``appeal_count`` per result, each a subquery
    worked out only for the rows a page returns (a join and ``GROUP BY`` would count the
    appeals of a whole cycle before its first page: 0.7 s at 100,000 results)."""

    def count(appeals: QuerySet[Appeal]) -> Coalesce:
        per_result = appeals.filter(result=OuterRef("pk")).order_by().values("result")
        return Coalesce(Subquery(per_result.annotate(n=Count("pk")).values("n")), 0)

    return results.annotate(
        open_appeals=count(Appeal.objects.filter(status__in=OPEN_APPEAL)),
        appeal_count=count(Appeal.objects.all()),
    )


def window_closes_on(result: Result, *, window_days: int | None = None) -> dt.date | None:
    """The last working day to acknowledge or appeal; None before release. Lists pass
    ``window_days`` (the cycle's ``appeal_window_days``) to spare a query per row."""
    if result.released_at is None:
        return None
    days = settings_for(result.cycle).appeal_window_days if window_days is None else window_days
    return add_working_days(timezone.localdate(result.released_at), days)


def window_open(
    result: Result, *, today: dt.date | None = None, window_days: int | None = None
) -> bool:
    closes = window_closes_on(result, window_days=window_days)
    return closes is not None and (today or timezone.localdate()) <= closes


def has_open_appeal(result: Result) -> bool:
    return result.appeals.filter(status__in=OPEN_APPEAL).exists()


def result_state(
    result: Result,
    *,
    today: dt.date | None = None,
    open_appeal: bool | None = None,
    window_days: int | None = None,
) -> str:
    """``not_released``, ``acknowledged``, ``appealed`` (an appeal is open), ``accepted``
    (the window passed without either) or ``waiting``. Lists pass ``open_appeal`` and
    ``window_days`` they read in bulk."""
    if result.released_at is None:
        return NOT_RELEASED
    if result.acknowledged_at is not None:
        return ACKNOWLEDGED
    if has_open_appeal(result) if open_appeal is None else open_appeal:
        return APPEALED
    if not window_open(result, today=today, window_days=window_days):
        return ACCEPTED
    return WAITING


def window_days_by_cycle(cycle_ids: set[int]) -> dict[int, int]:
    """Each cycle's appeal window (the default where no settings were saved)."""
    default = CalibrationSettings._meta.get_field("appeal_window_days").default
    saved = dict(
        CalibrationSettings.objects.filter(cycle_id__in=cycle_ids).values_list(
            "cycle_id", "appeal_window_days"
        )
    )
    return {pk: saved.get(pk, default) for pk in cycle_ids}


def talk_of(result: Result) -> FeedbackTalk | None:
    return FeedbackTalk.objects.filter(result=result).select_related("manager").first()


# --- Writing ----------------------------------------------------------------------------


def _require_released(result: Result) -> None:
    if result.released_at is None:
        raise DomainError(_("This result has not been released yet."), code="not_released")


def _locked(result: Result) -> Result:
    """Re-read ``result`` under a row lock and refresh the caller's copy."""
    fresh = Result.objects.select_for_update().select_related("cycle").get(pk=result.pk)
    for name in ("released_at", "acknowledged_at", "grade", "score", "version"):
        setattr(result, name, getattr(fresh, name))
    return fresh


@transaction.atomic
def talk_record(
    *,
    actor: Any,
    result: Result,
    held_on: dt.date,
    strengths: str,
    improvements: str,
    next_steps: str,
    expected_version: int | None = None,
) -> FeedbackTalk:
    """Record (or correct) the feedback talk: the person's managers or HR, once the result
    is released. The acting employee is recorded as the manager who held it (HR without
    an employee record records it for the direct manager). A stale ``expected_version``
    is a conflict; audited."""
    if not may(actor, Action.TALK_RECORD, result):
        raise Forbidden(_("Only the person's managers and HR record the feedback talk."))
    _require_released(_locked(result))
    if held_on > timezone.localdate():
        raise field_error("held_on", _("The talk cannot be recorded before it is held."))
    manager = acting_employee(actor) or result.employee.manager
    if manager is None:
        raise DomainError(_("Nobody can be recorded as the manager."), code="no_manager")
    values = {
        "held_on": held_on,
        "strengths": (strengths or "").strip(),
        "improvements": (improvements or "").strip(),
        "next_steps": (next_steps or "").strip(),
    }
    talk = FeedbackTalk.objects.select_for_update().filter(result=result).first()
    if talk is None:
        talk = FeedbackTalk(result=result, manager=manager, recorded_by=actor, **values)
        full_clean(talk)
        talk.save()
        audit_record(actor=actor, action=AuditAction.CREATE, instance=talk, after=snapshot(talk))
        return talk
    before = snapshot(talk)
    for name, value in values.items():
        setattr(talk, name, value)
    talk.manager, talk.recorded_by = manager, actor
    full_clean(talk)
    talk.save_versioned(
        expected_version=expected_version,
        update_fields=[*TALK_FIELDS, "manager", "recorded_by"],
    )
    audit_record(
        actor=actor, action=AuditAction.UPDATE, instance=talk, before=before, after=snapshot(talk)
    )
    return talk


@transaction.atomic
def talk_comment(
    *, actor: Any, result: Result, comments: str, expected_version: int | None
) -> FeedbackTalk:
    """The employee's own comments on the recorded talk; a stale version is a conflict."""
    if not may(actor, Action.TALK_COMMENT, result):
        raise Forbidden(_("Only the employee comments on their feedback talk."))
    _require_released(_locked(result))
    talk = FeedbackTalk.objects.select_for_update().filter(result=result).first()
    if talk is None:
        raise DomainError(_("The feedback talk has not been recorded yet."), code="no_talk")
    before = snapshot(talk, ["employee_comments"])
    talk.employee_comments = (comments or "").strip()
    full_clean(talk)
    talk.save_versioned(expected_version=expected_version, update_fields=["employee_comments"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=talk,
        before=before,
        after=snapshot(talk, ["employee_comments"]),
    )
    return talk


@transaction.atomic
def result_acknowledge(*, actor: Any, result: Result) -> Result:
    """The employee acknowledges their released result — not while an appeal of theirs is
    open, and once only (``already_acknowledged``); audited."""
    if not may(actor, Action.RESULT_ACKNOWLEDGE, result):
        raise Forbidden(_("Only the employee acknowledges their result."))
    fresh = _locked(result)
    _require_released(fresh)
    if fresh.acknowledged_at is not None:
        raise DomainError(
            _("You have already acknowledged this result."), code="already_acknowledged"
        )
    if has_open_appeal(fresh):
        raise DomainError(
            _("Your appeal is still open: the result is acknowledged once it is decided."),
            code="appeal_open",
        )
    result.acknowledged_at = timezone.now()
    result.save_versioned(expected_version=None, update_fields=["acknowledged_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=result,
        before={"acknowledged_at": None},
        after=snapshot(result, ["acknowledged_at"]),
    )
    return result

"""Appeals (申诉): the employee files one against their released result within the
window, with a reason and a few attachments; HR routes it to the skip-level manager
and/or a committee; HR or those members decide it — upheld changes the grade or score
(an ``Adjustment`` per change) and releases the result again, rejected keeps it, and
either way the written reason reaches the employee. Every step is audited; the
notifications stage hears of filing, routing and deciding by task name, after commit.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, acting_employee, is_hr, may, scope
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record, snapshot
from perfcycle.calibration.distribution import grade_codes, settings_for
from perfcycle.calibration.feedback import OPEN_APPEAL, window_open
from perfcycle.calibration.models import (
    Adjustment,
    Appeal,
    AppealAttachment,
    AppealStatus,
    Result,
)
from perfcycle.calibration.workdays import add_working_days
from perfcycle.core.errors import DomainError, Forbidden, ValidationFailed
from perfcycle.core.later import enqueue_on_commit
from perfcycle.core.validation import field_error
from perfcycle.org.models import Employee

NOTIFY_TASK = "perfcycle.notifications.appeals.notify_appeal"
MAX_FILES = 5
MAX_FILE_SIZE = 10 * 1024 * 1024
ALLOWED_EXTENSIONS = frozenset({"pdf", "png", "jpg", "jpeg", "docx", "xlsx", "txt"})
DECISION_MIN_LENGTH = 10
OUTCOMES = (AppealStatus.UPHELD, AppealStatus.REJECTED)


# --- Reading ----------------------------------------------------------------------------


def visible_appeals(user: Any) -> QuerySet[Appeal]:
    """HR: every appeal; an employee: their own; the skip-level manager and committee
    members: those routed to them."""
    base = Appeal.objects.all()
    if is_hr(user):
        return base
    me = acting_employee(user)
    if me is None:
        return base.none()
    scoped = scope(user, Action.APPEAL_VIEW, base, subject="result__employee__", member="committee")
    return base.filter(Q(pk__in=scoped.values("pk")) | Q(skip_level=me))


def appeal_details(queryset: QuerySet[Appeal]) -> QuerySet[Appeal]:
    return queryset.select_related(
        "result__cycle", "result__employee", "skip_level", "decided_by"
    ).prefetch_related("committee", "attachments")


def is_open(appeal: Appeal) -> bool:
    return appeal.status in OPEN_APPEAL


# --- Filing -----------------------------------------------------------------------------


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def safe_name(name: str) -> str:
    """A file name fit to store and show: no folders, no odd characters."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    cleaned = get_valid_filename(base) if base.strip(". ") else ""
    if not cleaned:
        cleaned = "attachment"
    stem, ext = os.path.splitext(cleaned)
    return f"{stem[: 190 - len(ext)]}{ext}"


def check_attachments(files: Sequence[UploadedFile]) -> None:
    """At most ``MAX_FILES`` files of the allowed types, each at most ``MAX_FILE_SIZE``;
    every problem named, by file."""
    problems = []
    if len(files) > MAX_FILES:
        problems.append(_("Attach at most %(n)d files.") % {"n": MAX_FILES})
    for upload in files:
        name = upload.name or ""
        if _extension(name) not in ALLOWED_EXTENSIONS:
            problems.append(
                _("“%(name)s” is not an allowed type (PDF, PNG, JPG, DOCX, XLSX or TXT).")
                % {"name": name}
            )
        if (upload.size or 0) > MAX_FILE_SIZE:
            problems.append(
                _("“%(name)s” is larger than %(mb)d MB.")
                % {"name": name, "mb": MAX_FILE_SIZE // (1024 * 1024)}
            )
    if problems:
        raise ValidationFailed(
            " ".join(problems), code="bad_attachment", details={"fields": {"files": problems}}
        )


@transaction.atomic
def appeal_file(
    *,
    actor: Any,
    result: Result,
    reason: str,
    talk_held: bool,
    attachments: Iterable[UploadedFile] = (),
) -> Appeal:
    """File an appeal against one's own released result: within the window, one open
    appeal at a time, not after acknowledging; a written reason; attachments checked.
    Decision due ``appeal_decision_days`` working days from today; audited; HR told."""
    files = list(attachments)
    if not may(actor, Action.APPEAL_FILE, result):
        raise Forbidden(_("Only the employee appeals their own result."))
    fresh = Result.objects.select_for_update().select_related("cycle").get(pk=result.pk)
    if fresh.released_at is None:
        raise DomainError(_("This result has not been released yet."), code="not_released")
    if fresh.acknowledged_at is not None:
        raise DomainError(
            _("You have acknowledged this result, so it can no longer be appealed."),
            code="already_acknowledged",
        )
    if fresh.appeals.filter(status__in=OPEN_APPEAL).exists():
        raise DomainError(
            _("You already have an open appeal against this result."), code="appeal_open"
        )
    if not window_open(fresh):
        raise DomainError(
            _("The appeal window has closed: the result counts as accepted."),
            code="appeal_window_closed",
        )
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why you appeal."))
    check_attachments(files)
    today = timezone.localdate()
    appeal = Appeal.objects.create(
        result=fresh,
        reason=reason,
        talk_held=bool(talk_held),
        due_on=add_working_days(today, settings_for(fresh.cycle).appeal_decision_days),
    )
    stored = []
    for upload in files:
        name = safe_name(upload.name or "")
        attachment = AppealAttachment(
            appeal=appeal,
            name=name,
            size=upload.size or 0,
            content_type=(getattr(upload, "content_type", "") or "")[:100],
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        stored.append({"name": name, "size": attachment.size})
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=appeal,
        after={**snapshot(appeal), "attachments": stored},
    )
    enqueue_on_commit(NOTIFY_TASK, appeal.pk)
    return appeal


# --- Routing and deciding ---------------------------------------------------------------


def skip_level_of(employee: Employee) -> Employee | None:
    """The employee's manager's manager, if any."""
    manager = employee.manager
    return manager.manager if manager is not None else None


@transaction.atomic
def appeal_route(
    *,
    actor: Any,
    appeal: Appeal,
    skip_level: bool,
    committee: Iterable[Employee] = (),
    expected_version: int | None = None,
) -> Appeal:
    """HR puts an open appeal under review, with the skip-level manager and/or a
    committee as its reviewers (they may then see and decide it); audited."""
    if not is_hr(actor):
        raise Forbidden(_("Only HR routes appeals."))
    if not is_open(appeal):
        raise DomainError(_("This appeal has been decided already."), code="already_decided")
    employee = appeal.result.employee
    members = list({e.pk: e for e in committee}.values())
    if any(m.pk == employee.pk for m in members):
        raise field_error("committee", _("Nobody sits on the committee of their own appeal."))
    chosen = skip_level_of(employee) if skip_level else None
    if skip_level and chosen is None:
        raise field_error("skip_level", _("This person has no skip-level manager."))
    before = {**snapshot(appeal), "committee": sorted(m.pk for m in appeal.committee.all())}
    appeal.status = AppealStatus.UNDER_REVIEW
    appeal.skip_level = chosen
    appeal.save_versioned(expected_version=expected_version, update_fields=["status", "skip_level"])
    appeal.committee.set(members)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=appeal,
        before=before,
        after={**snapshot(appeal), "committee": sorted(m.pk for m in members)},
    )
    enqueue_on_commit(NOTIFY_TASK, appeal.pk)
    return appeal


def _score(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        score = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise field_error("score", _("Enter a number.")) from exc
    if not Decimal(0) <= score <= Decimal(999):
        raise field_error("score", _("Enter a score between 0 and 999."))
    return score


@transaction.atomic
def appeal_decide(
    *,
    actor: Any,
    appeal: Appeal,
    outcome: str,
    decision: str,
    grade: str | None = None,
    score: Any = None,
    expected_version: int | None,
) -> Appeal:
    """Decide an open appeal (HR or its members). ``upheld`` must change the grade or the
    score: each change is an ``Adjustment`` with the decision as its reason, and the
    result is released again; ``rejected`` keeps it. The written decision (at least
    ``DECISION_MIN_LENGTH`` characters) is what the employee reads; audited."""
    if not may(actor, Action.APPEAL_DECIDE, appeal):
        raise Forbidden(_("Only HR and the appeal's reviewers decide it."))
    if not is_open(appeal):
        raise DomainError(_("This appeal has been decided already."), code="already_decided")
    if outcome not in OUTCOMES:
        raise field_error("outcome", _("Choose upheld or rejected."))
    decision = (decision or "").strip()
    if len(decision) < DECISION_MIN_LENGTH:
        raise field_error(
            "decision",
            _("Write the decision and its reason (at least %(n)d characters).")
            % {"n": DECISION_MIN_LENGTH},
        )
    result = Result.objects.select_for_update().select_related("cycle").get(pk=appeal.result_id)
    before_appeal = snapshot(appeal)
    changes: list[tuple[str, str, str]] = []
    if outcome == AppealStatus.UPHELD:
        new_grade = (grade or "").strip()
        new_score = _score(score)
        if new_grade and new_grade not in grade_codes(result.cycle):
            raise field_error(
                "grade", _("“%(code)s” is not a grade of this cycle.") % {"code": new_grade}
            )
        if new_grade and new_grade != result.grade:
            changes.append(("grade", result.grade, new_grade))
        if new_score is not None and new_score != result.score:
            changes.append(
                ("score", "" if result.score is None else str(result.score), str(new_score))
            )
        if not changes:
            raise field_error(
                "grade", _("An upheld appeal changes the grade or the score: enter the new one.")
            )
    now = timezone.now()
    appeal.status = outcome
    appeal.decision = decision
    appeal.decided_at = now
    appeal.decided_by = actor
    appeal.save_versioned(
        expected_version=expected_version,
        update_fields=["status", "decision", "decided_at", "decided_by"],
    )
    if changes:
        before_result = snapshot(result, ["grade", "score", "released_at"])
        Adjustment.objects.bulk_create(
            [
                Adjustment(
                    result=result,
                    appeal=appeal,
                    field=name,
                    before=old,
                    after=new,
                    reason=decision,
                    by=actor,
                )
                for name, old, new in changes
            ]
        )
        for name, _old, new in changes:
            setattr(result, name, Decimal(new) if name == "score" else new)
        result.released_at = now
        result.released_by = actor
        result.save_versioned(
            expected_version=None, update_fields=["grade", "score", "released_at", "released_by"]
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=result,
            before=before_result,
            after=snapshot(result, ["grade", "score", "released_at"]),
            reason=decision,
        )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=appeal,
        before=before_appeal,
        after=snapshot(appeal),
        reason=decision,
    )
    enqueue_on_commit(NOTIFY_TASK, appeal.pk)
    return appeal


def due_soon(appeals: QuerySet[Appeal], *, today: dt.date, days: int) -> QuerySet[Appeal]:
    """Open appeals due within ``days`` working days of ``today`` (or overdue)."""
    return appeals.filter(status__in=OPEN_APPEAL, due_on__lte=add_working_days(today, days))

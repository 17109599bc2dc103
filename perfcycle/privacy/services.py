"""Personal data (个人信息): a copy of everything about a person, and erasure of a departed
person's personal data — both audited.

``personal_data_export`` answers the right of access (PIPL art. 45, GDPR art. 15): HR for
anyone, a person for themselves. ``personal_data_erase`` answers the right to deletion
(PIPL art. 47, GDPR art. 17) for someone who has left: in one transaction their name,
contact details and login become a pseudonym, and the free text written about them is
replaced by a marker, while every number the company's statistics are made of (scores,
grades, ratings, goal values, bonus amounts) stays, so department and cycle aggregates
do not move.

The audit trail is not rewritten. Its events are append-only in the database itself
(``audit/migrations/0002``: both engines refuse UPDATE, PostgreSQL also DELETE), because
the trail is the evidence of who decided what — a record the company must keep (PIPL
art. 47 para. 2, GDPR art. 17(3)(b) and (e)). Earlier events therefore keep the name in
``object_repr``/``before``/``after``; the erasure event itself names only which fields
and how many rows were erased, never their content.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, acting_employee, may
from perfcycle.accounts.models import ApiToken, User
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record
from perfcycle.calibration.models import Adjustment, Appeal, AppealAttachment, FeedbackTalk
from perfcycle.core.errors import DomainError, Forbidden
from perfcycle.core.models import VersionedModel
from perfcycle.core.validation import field_error
from perfcycle.evaluation.models import Answer, GoalScoreOverride, Rating, ReviewForm, ScoreResult
from perfcycle.improvement.models import ImprovementPlan, PlanGoal, PlanReview, PlanSupport
from perfcycle.monitoring.models import (
    ActionItem,
    Actual,
    AgendaItem,
    CheckIn,
    Feedback,
    GoalCheckIn,
    Observation,
    TrainingAssignment,
)
from perfcycle.notifications.models import Notification
from perfcycle.org.models import Employee, EmployeeStatus
from perfcycle.planning.models import Goal, GoalComment, OwnerType
from perfcycle.privacy import archive
from perfcycle.privacy.selectors import personal_data
from perfcycle.proposals.models import Proposal
from perfcycle.retrospective.models import RetroResponse, RollOver
from perfcycle.rewards.models import BonusLine, BonusPlan

# Stored as written, in both languages: whoever reads it later, in whichever language.
PSEUDONYM = "Former employee #{id} / 已离职员工 #{id}"
ERASED_NUMBER = "erased-{id}"
ERASED_LOGIN = "erased-{id}"
MARKER = "[erased / 已删除]"
# In the erasure's audit event: a field was erased; its old value is not kept.
REDACTED = "[redacted]"
MIN_REASON = 10

EMPLOYEE_ERASED = ("name", "email", "job_title", "hire_date", "employee_number")
USER_ERASED = ("username", "first_name", "last_name", "email", "language", "last_login")


# --- Export ------------------------------------------------------------------------------


@transaction.atomic
def personal_data_export(*, actor: Any, employee: Employee) -> bytes:
    """Everything about ``employee`` as a ZIP (``data.json``, ``data.xlsx``,
    ``README.txt``); the export is audited with how many rows each section held."""
    if not may(actor, Action.PERSONAL_DATA_EXPORT, employee):
        raise Forbidden(_("Only HR and the person themselves may export personal data."))
    me = acting_employee(actor)
    requested_by = "self" if me is not None and me.pk == employee.pk else "hr"
    data = personal_data(employee)
    blob = archive.as_zip(data, requested_by=requested_by)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="privacy.export",
        object_id=str(employee.pk),
        object_repr=str(data.employee),
        after={
            "employee_id": employee.pk,
            "requested_by": requested_by,
            "rows": {key: n for key, n in data.counts().items() if n},
            "bytes": len(blob),
        },
        reason=_("Personal data export (right of access)."),
    )
    return blob


def export_filename(employee: Employee) -> str:
    return f"personal-data-{employee.pk}-{timezone.localdate():%Y%m%d}.zip"


# --- Erasure -----------------------------------------------------------------------------


def is_erased(employee: Employee) -> bool:
    return employee.name == PSEUDONYM.format(id=employee.pk)


def _versioned(model: type[models.Model]) -> dict[str, Any]:
    """A bulk update of people-edited rows still bumps their version (a stale edit of one
    of them afterwards is a conflict, not a silent overwrite)."""
    if issubclass(model, VersionedModel):
        return {"version": F("version") + 1, "updated_at": Now()}
    return {}


def _mark(queryset: models.QuerySet, fields: Sequence[str]) -> int:
    """Replace the non-empty ``fields`` of ``queryset``'s rows by the marker; one UPDATE.
    Returns how many rows held text."""
    has_text = Q()
    for name in fields:
        has_text |= ~Q(**{name: ""}) & ~Q(**{name: MARKER})
    changes: dict[str, Any] = {
        name: models.Case(
            models.When(**{name: ""}, then=Value("")),
            default=Value(MARKER),
            output_field=models.TextField(),
        )
        for name in fields
    }
    return queryset.filter(has_text).update(**changes, **_versioned(queryset.model))


def _free_text(employee: Employee) -> list[tuple[models.QuerySet, tuple[str, ...]]]:
    """Every free text written about ``employee`` (or by them about themselves): the
    rows and their text fields. Numbers, dates and choices stay."""
    goals = Goal.objects.filter(owner_type=OwnerType.EMPLOYEE, employee=employee)
    about_forms = ReviewForm.objects.filter(reviewee=employee)
    plans = ImprovementPlan.objects.filter(employee=employee)
    return [
        (goals, ("description",)),
        (GoalComment.objects.filter(goal__in=goals), ("body",)),
        (Actual.objects.filter(goal__in=goals), ("note",)),
        (CheckIn.objects.filter(employee=employee), ("shared_notes", "private_notes")),
        (AgendaItem.objects.filter(checkin__employee=employee), ("text",)),
        (GoalCheckIn.objects.filter(checkin__employee=employee), ("comment",)),
        (ActionItem.objects.filter(employee=employee), ("text",)),
        (Observation.objects.filter(employee=employee), ("text",)),
        (Feedback.objects.filter(receiver=employee), ("text",)),
        (TrainingAssignment.objects.filter(employee=employee), ("reason",)),
        (about_forms, ("summary",)),
        (Rating.objects.filter(form__in=about_forms), ("comment",)),
        (Answer.objects.filter(form__in=about_forms), ("text",)),
        (GoalScoreOverride.objects.filter(goal__in=goals), ("reason",)),
        (Adjustment.objects.filter(result__employee=employee), ("reason",)),
        (
            FeedbackTalk.objects.filter(result__employee=employee),
            ("strengths", "improvements", "next_steps", "employee_comments"),
        ),
        (Appeal.objects.filter(result__employee=employee), ("reason", "decision")),
        (BonusLine.objects.filter(employee=employee), ("reason",)),
        (
            Proposal.objects.filter(employee=employee),
            (
                "justification",
                "exception_reason",
                "return_reason",
                "endorse_note",
                "decision_note",
                "current_title",
                "proposed_title",
            ),
        ),
        (plans, ("reason", "outcome_reason")),
        (PlanGoal.objects.filter(plan__in=plans), ("description", "measure")),
        (PlanSupport.objects.filter(plan__in=plans), ("description",)),
        (PlanReview.objects.filter(plan__in=plans), ("notes",)),
        (RetroResponse.objects.filter(employee=employee), ("comment",)),
    ]


def _scrub_copies(employee: Employee, name: str, number: str) -> dict[str, int]:
    """Names kept in JSON on shared rows: the stored score breakdowns, bonus plans'
    people left out, roll-over reports. Read and written in bulk (a few rows per cycle)."""
    pk = employee.pk
    done: dict[str, int] = {}
    scores = list(ScoreResult.objects.filter(employee=employee).only("pk", "breakdown"))
    for row in scores:
        row.breakdown = {
            **(row.breakdown or {}),
            **{
                k: v
                for k, v in (("employee_name", name), ("employee_number", number))
                if k in (row.breakdown or {})
            },
        }
    ScoreResult.objects.bulk_update(scores, ["breakdown"])
    done["evaluation.scoreresult.breakdown"] = len(scores)

    plans = []
    for plan in BonusPlan.objects.exclude(excluded=[]).only("pk", "excluded"):
        entries = plan.excluded or []
        if any(isinstance(e, dict) and e.get("employee_id") == pk for e in entries):
            plan.excluded = [
                {**e, "name": name} if isinstance(e, dict) and e.get("employee_id") == pk else e
                for e in entries
            ]
            plans.append(plan)
    BonusPlan.objects.bulk_update(plans, ["excluded"])
    done["rewards.bonusplan.excluded"] = len(plans)

    goal_ids = set(
        Goal.objects.filter(owner_type=OwnerType.EMPLOYEE, employee=employee).values_list(
            "pk", flat=True
        )
    )
    reports = []
    for roll in RollOver.objects.only("pk", "report"):
        report = roll.report or {}
        changed = False
        for key in ("joining", "leaving"):
            for entry in report.get(key) or []:
                if isinstance(entry, dict) and entry.get("id") == pk:
                    entry["name"] = name
                    changed = True
        for entry in report.get("goals") or []:
            if isinstance(entry, dict) and entry.get("source_goal_id") in goal_ids:
                entry["owner"] = name
                changed = True
        for entry in report.get("action_items") or []:
            if isinstance(entry, dict) and entry.get("employee_id") == pk and entry.get("text"):
                entry["text"] = MARKER
                changed = True
        if changed:
            roll.report = report
            reports.append(roll)
    RollOver.objects.bulk_update(reports, ["report"])
    done["retrospective.rollover.report"] = len(reports)
    return {k: n for k, n in done.items() if n}


def _remove_attachments(employee: Employee) -> int:
    """Appeal attachments are the person's own documents: removed, files after commit."""
    attachments = list(AppealAttachment.objects.filter(appeal__result__employee=employee))
    if not attachments:
        return 0
    files = [(a.file.storage, a.file.name) for a in attachments if a.file]
    AppealAttachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()

    def remove_files() -> None:
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(remove_files)
    return len(attachments)


def _erase_login(user: User) -> tuple[dict[str, Any], dict[str, Any]]:
    """The login: a pseudonymous name, no email, no usable password, deactivated, no
    rights; its API tokens revoked. Returns the audit's before (personal values
    redacted) and after."""
    before: dict[str, Any] = dict.fromkeys((*USER_ERASED, "password"), REDACTED)
    before.update(is_active=user.is_active, is_hr_admin=user.is_hr_admin)
    user.username = ERASED_LOGIN.format(id=user.pk)
    user.first_name = ""
    user.last_name = ""
    user.email = ""
    user.language = ""
    user.last_login = None
    user.is_active = False
    user.is_hr_admin = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save()
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    after = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "language": "",
        "last_login": None,
        "password": "unusable",
        "is_active": False,
        "is_hr_admin": False,
    }
    return before, after


@transaction.atomic
def personal_data_erase(*, actor: Any, employee: Employee, reason: str) -> Employee:
    """Erase the personal data of ``employee``, who has left, keeping the numbers.

    Name, contact details, job title, hire date and employee number become a pseudonym
    or empty; the login is renamed, deactivated and loses its password and email; free
    text about the person becomes ``MARKER``; their notifications are deleted and their
    appeal attachments removed. Scores, grades, ratings, goal values, pay and bonus
    amounts, departments and reporting lines stay, so every aggregate is unchanged.
    Audited on the employee and the login with the fields erased, never their values.
    """
    if not may(actor, Action.PERSONAL_DATA_ERASE, employee):
        raise Forbidden(_("Only HR may erase personal data."))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise field_error(
            "reason",
            _("Give a reason of at least %(n)d characters.") % {"n": MIN_REASON},
        )
    employee = (
        Employee.objects.select_for_update(of=("self",)).select_related("user").get(pk=employee.pk)
    )
    if employee.status != EmployeeStatus.LEFT:
        raise DomainError(
            _(
                "Personal data is erased only for someone who has left the company; "
                "%(name)s is still active."
            )
            % {"name": employee.name},
            code="employee_active",
        )
    if is_erased(employee):
        raise DomainError(
            _("This person's personal data has already been erased."), code="already_erased"
        )
    name = PSEUDONYM.format(id=employee.pk)
    number = ERASED_NUMBER.format(id=employee.pk)
    new_values: dict[str, Any] = {
        "name": name,
        "email": "",
        "job_title": "",
        "hire_date": None,
        "employee_number": number,
    }
    erased_fields = [
        f for f in EMPLOYEE_ERASED if getattr(employee, f) not in ("", None) or f == "name"
    ]
    Employee.objects.filter(pk=employee.pk).update(**new_values, **_versioned(Employee))
    rows: dict[str, dict[str, Any]] = {}
    for queryset, fields in _free_text(employee):
        count = _mark(queryset, fields)
        if count:
            rows[queryset.model._meta.label_lower] = {"fields": list(fields), "rows": count}
    removed = 0
    if employee.user_id is not None:
        removed = Notification.objects.filter(user_id=employee.user_id).delete()[0]
    if removed:
        rows["notifications.notification"] = {"deleted": removed}
    attachments = _remove_attachments(employee)
    if attachments:
        rows["calibration.appealattachment"] = {"deleted": attachments}
    copies = _scrub_copies(employee, name, number)
    employee.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=employee,
        before=dict.fromkeys(erased_fields, REDACTED),
        after={
            **{f: new_values[f] for f in erased_fields},
            "erased": rows,
            "names_replaced": copies,
        },
        reason=_("Personal data erased: %(reason)s") % {"reason": reason},
    )
    if employee.user is not None:
        user = employee.user
        before, after = _erase_login(user)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=user,
            before=before,
            after=after,
            reason=_("Personal data erased: %(reason)s") % {"reason": reason},
        )
    return employee

"""Releasing results (发布结果): HR releases a department (with its sub-departments) or the
whole company once calibration is done. The one place that says when results may be
released: the cycle is in calibration or results, every calibration session covering
those people is signed off, and — in strict mode — the released group is within the
distribution guideline. Releasing the whole company moves the cycle to the results
phase; the people are told once the release commits."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, may
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import AuditEntry, audit_record, audit_record_many
from perfcycle.calibration import distribution
from perfcycle.calibration.models import CalibrationSession, Result, SessionStatus
from perfcycle.core.errors import DomainError, Forbidden
from perfcycle.core.later import enqueue_on_commit
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import cycle_transition
from perfcycle.org.models import Department

RELEASE_PHASES = (Phase.CALIBRATION, Phase.RESULTS)
NOTIFY_TASK = "perfcycle.notifications.results.notify_results_released"


@dataclass(frozen=True)
class ReleaseReport:
    released: int
    already: int
    department_id: int | None
    phase: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def release_group(cycle: Cycle, department: Department | None = None) -> QuerySet[Result]:
    """The results a release covers: a department and its sub-departments (by the
    department path), or everyone in the cycle."""
    group = Result.objects.filter(cycle=cycle)
    if department is not None:
        group = group.filter(department__path__startswith=department.path)
    return group


def open_sessions(cycle: Cycle, group: QuerySet[Result]) -> list[str]:
    """Names of the calibration sessions covering someone in ``group`` that are not
    signed off yet."""
    return list(
        CalibrationSession.objects.filter(cycle=cycle, sessionmember__result__in=group)
        .exclude(status=SessionStatus.SIGNED_OFF)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )


def release_problems(cycle: Cycle, department: Department | None = None) -> list[str]:
    """Why the group may not be released now (empty when it may): the phase, unsigned
    sessions and, in strict mode, the guideline. The page shows these before HR clicks."""
    problems = []
    if cycle.phase not in RELEASE_PHASES:
        problems.append(_("Results are released during calibration and the results phase."))
    group = release_group(cycle, department)
    sessions = open_sessions(cycle, group)
    if sessions:
        problems.append(
            _("These calibration sessions are not signed off yet: %(names)s.")
            % {"names": ", ".join(sessions)}
        )
    settings = distribution.settings_for(cycle)
    if settings.strict and settings.shares:
        result = distribution.check(
            settings,
            distribution.grade_codes(cycle),
            group.values_list("grade", flat=True),
        )
        if result.off:
            problems.append(
                _(
                    "The guideline is strict and these results are outside it: %(grades)s. "
                    "Calibrate them first."
                )
                % {"grades": distribution.off_message(result)}
            )
    return problems


@transaction.atomic
def results_release(
    *, actor: Any, cycle: Cycle, department: Department | None = None
) -> ReleaseReport:
    """Release the results of ``department`` (and its sub-departments), or of everyone:
    one bulk UPDATE, a summary audit event on the cycle and one event per result; the
    people are notified after commit. Company-wide in calibration moves the cycle to the
    results phase."""
    if not may(actor, Action.RESULT_RELEASE):
        raise Forbidden(_("Only HR releases results."))
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.phase not in RELEASE_PHASES:
        raise DomainError(
            _("Results are released during calibration and the results phase."),
            code="wrong_phase",
        )
    group = release_group(cycle, department)
    if not group.exists():
        raise DomainError(
            _("There are no results to release here: prepare them from the stored scores."),
            code="no_results",
        )
    sessions = open_sessions(cycle, group)
    if sessions:
        raise DomainError(
            _("These calibration sessions are not signed off yet: %(names)s.")
            % {"names": ", ".join(sessions)},
            code="sessions_open",
            details={"sessions": sessions},
        )
    settings = distribution.settings_for(cycle)
    if settings.strict and settings.shares:
        result = distribution.check(
            settings, distribution.grade_codes(cycle), group.values_list("grade", flat=True)
        )
        if result.off:
            raise DomainError(
                _(
                    "The guideline is strict and these results are outside it: %(grades)s. "
                    "Calibrate them first."
                )
                % {"grades": distribution.off_message(result)},
                code="off_guideline",
                details={"grades": [row.code for row in result.off]},
            )
    pending = list(
        group.filter(released_at__isnull=True).values_list("pk", "employee__name", "grade")
    )
    move = department is None and cycle.phase == Phase.CALIBRATION
    if not pending and not move:
        raise DomainError(_("These results are already released."), code="already_released")
    now = timezone.now()
    ids = [pk for pk, _name, _grade in pending]
    Result.objects.filter(pk__in=ids).update(
        released_at=now, released_by=actor, version=F("version") + 1, updated_at=now
    )
    already = group.count() - len(ids)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=cycle,
        after={
            "results_released": len(ids),
            "department": department.pk if department else None,
            "released_at": now.isoformat(),
        },
    )
    audit_record_many(
        actor=actor,
        entries=[
            AuditEntry(
                action=AuditAction.UPDATE,
                object_type="calibration.result",
                object_id=str(pk),
                object_repr=f"{cycle}: {name} {grade}",
                before={"released_at": None},
                after={"released_at": now.isoformat(), "released_by": actor.pk},
            )
            for pk, name, grade in pending
        ],
    )
    if move:
        cycle_transition(actor=actor, cycle=cycle, to_phase=Phase.RESULTS)
    if ids:
        enqueue_on_commit(NOTIFY_TASK, cycle.pk)
    return ReleaseReport(
        released=len(ids),
        already=already,
        department_id=department.pk if department else None,
        phase=cycle.phase,
    )

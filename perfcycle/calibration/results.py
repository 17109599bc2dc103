"""Final results: made from the evaluation stage's stored scores, then calibrated,
released and acknowledged. The one place that says what a result starts from."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, may
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import AuditEntry, audit_record, audit_record_many, to_json_value
from perfcycle.calibration.models import Adjustment, Result
from perfcycle.core.bulk import analyze_large_write
from perfcycle.core.errors import DomainError, Forbidden
from perfcycle.cycles.models import Cycle, CycleParticipant, Phase
from perfcycle.evaluation.models import ScoreResult
from perfcycle.imports.bulk import AnyOf
from perfcycle.org.models import Employee

# Results may be prepared (again) while the cycle is reviewed or calibrated.
PREPARE_PHASES = (Phase.MANAGER_REVIEW, Phase.CALIBRATION)


@dataclass(frozen=True)
class PrepareReport:
    created: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@transaction.atomic
def results_prepare(*, actor: Any, cycle: Cycle) -> PrepareReport:
    """A ``Result`` for everyone with a stored score (``evaluation.results.scores_store``).

    New people start at their computed score and grade. For people already there the
    computed values follow the latest stored scores; their final grade and score follow
    too unless calibration or an appeal has changed them (an adjustment is never undone
    by recomputing). Set-based: four queries and two bulk writes."""
    if not may(actor, Action.SESSION_MANAGE):
        raise Forbidden(_("Only HR prepares the results for calibration."))
    if cycle.phase not in PREPARE_PHASES:
        raise DomainError(
            _("Results are prepared during manager review and calibration."), code="wrong_phase"
        )
    stored = {
        row["employee_id"]: row
        for row in ScoreResult.objects.filter(cycle=cycle).values(
            "employee_id", "overall_score", "grade"
        )
    }
    if not stored:
        raise DomainError(
            _("No scores are stored for this cycle yet: store the results on the scores page."),
            code="no_scores",
        )
    departments = dict(
        CycleParticipant.objects.filter(cycle=cycle).values_list("employee_id", "department_id")
    )
    # Locked (PostgreSQL) before the adjustments are read: a grade changed in a session
    # while this runs is either seen here as adjusted or waits and then finds a newer
    # version, never overwritten with the computed grade.
    existing = {
        r.employee_id: r
        for r in Result.objects.select_for_update().filter(cycle=cycle).order_by("pk")
    }
    adjusted = set(
        Adjustment.objects.filter(result__cycle=cycle).values_list("result_id", flat=True)
    )
    new_rows, changed = [], []
    befores: dict[int, dict[str, Any]] = {}
    unchanged = 0
    for emp_id, row in stored.items():
        result = existing.get(emp_id)
        if result is None:
            new_rows.append(
                Result(
                    cycle=cycle,
                    employee_id=emp_id,
                    department_id=departments.get(emp_id),
                    computed_score=row["overall_score"],
                    computed_grade=row["grade"],
                    score=row["overall_score"],
                    grade=row["grade"],
                )
            )
            continue
        if (result.computed_score, result.computed_grade) == (row["overall_score"], row["grade"]):
            unchanged += 1
            continue
        untouched = result.pk not in adjusted
        befores[result.pk] = _values(result)
        result.computed_score, result.computed_grade = row["overall_score"], row["grade"]
        if untouched:
            result.score, result.grade = row["overall_score"], row["grade"]
        result.version += 1
        changed.append(result)
    Result.objects.bulk_create(new_rows, batch_size=1000)
    Result.objects.bulk_update(
        changed, ["computed_score", "computed_grade", "score", "grade", "version"], batch_size=1000
    )
    if new_rows and new_rows[0].pk is None:  # a backend that does not return ids
        ids = dict(Result.objects.filter(cycle=cycle).values_list("employee_id", "id"))
        for result in new_rows:
            result.pk = ids[result.employee_id]
    report = PrepareReport(len(new_rows), len(changed), unchanged)
    analyze_large_write([Result], len(new_rows) + len(changed))
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=cycle,
        after={"results_prepared": report.as_dict()},
    )
    # Each result too: the grade a person starts calibration with, and each change of it
    # (named from one query, not one per result).
    names = dict(
        Employee.objects.filter(
            AnyOf(F("pk"), [r.employee_id for r in (*new_rows, *changed)], integers=True)
        ).values_list("pk", "name")
    )

    def entry(result: Result, action: str, before: dict[str, Any] | None) -> AuditEntry:
        return AuditEntry(
            action=action,
            instance=result,
            object_repr=f"{cycle}: {names.get(result.employee_id, '')} {result.grade}",
            before=before,
            after=_values(result),
        )

    audit_record_many(
        actor=actor,
        entries=[entry(r, AuditAction.CREATE, None) for r in new_rows]
        + [entry(r, AuditAction.UPDATE, befores[r.pk]) for r in changed],
    )
    return report


def _values(result: Result) -> dict[str, Any]:
    return to_json_value(
        {
            "computed_score": result.computed_score,
            "computed_grade": result.computed_grade,
            "score": result.score,
            "grade": result.grade,
        }
    )

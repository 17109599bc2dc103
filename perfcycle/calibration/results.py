"""Final results: made from the evaluation stage's stored scores, then calibrated,
released and acknowledged. The one place that says what a result starts from."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from perfcycle.access.policy import Action, may
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record
from perfcycle.calibration.models import Adjustment, Result
from perfcycle.core.errors import DomainError, Forbidden
from perfcycle.cycles.models import Cycle, CycleParticipant, Phase
from perfcycle.evaluation.models import ScoreResult

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
    existing = {r.employee_id: r for r in Result.objects.filter(cycle=cycle)}
    adjusted = set(
        Adjustment.objects.filter(result__cycle=cycle).values_list("result_id", flat=True)
    )
    new_rows, changed = [], []
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
        result.computed_score, result.computed_grade = row["overall_score"], row["grade"]
        if untouched:
            result.score, result.grade = row["overall_score"], row["grade"]
        result.version += 1
        changed.append(result)
    Result.objects.bulk_create(new_rows, batch_size=1000)
    Result.objects.bulk_update(
        changed, ["computed_score", "computed_grade", "score", "grade", "version"], batch_size=1000
    )
    report = PrepareReport(len(new_rows), len(changed), unchanged)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=cycle,
        after={"results_prepared": report.as_dict()},
    )
    return report

"""“Compute and store results” in the background.

Storing a whole cycle's results (``results.scores_store``) takes minutes at 100,000
people: longer than a web request may last. Pressing the button (or the API) records a
``ScoreRun`` and enqueues ``score_run_task``; with the embedded default the task runs at
once, in production on ``perfcycle db_worker``. The scores page follows the run until it
is done. At most one run of a cycle waits or works at a time (a database constraint).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from perfcycle.access.policy import Action, may
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record
from perfcycle.core.errors import Conflict, DomainError, Forbidden
from perfcycle.cycles.models import Cycle, CycleParticipant
from perfcycle.evaluation.models import ScoreRun, ScoreRunStatus
from perfcycle.evaluation.results import scores_store, store_allowed

log = logging.getLogger(__name__)
# A run still waiting or working after this long is taken as abandoned (a worker that
# died): it no longer blocks a new one.
ABANDONED_AFTER = dt.timedelta(hours=3)


def score_run_start(*, actor: Any, cycle: Cycle) -> ScoreRun:
    """Record a run of ``scores_store`` for ``cycle`` and enqueue it (HR only); refused
    while another run of the cycle waits or works."""
    if not may(actor, Action.SCORE_COMPUTE):
        raise Forbidden(_("Only HR computes the cycle's results."))
    store_allowed(cycle)
    now = timezone.now()
    try:
        with transaction.atomic():
            ScoreRun.objects.filter(
                cycle=cycle, status__in=ScoreRun.ACTIVE, created_at__lt=now - ABANDONED_AFTER
            ).update(
                status=ScoreRunStatus.FAILED,
                finished_at=now,
                error=_("Abandoned: it did not finish within %(hours)d hours.")
                % {"hours": ABANDONED_AFTER.total_seconds() // 3600},
            )
            run = ScoreRun.objects.create(
                cycle=cycle,
                requested_by=actor,
                total=CycleParticipant.objects.filter(cycle=cycle).count(),
            )
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                instance=run,
                after={"cycle": cycle.pk, "people": run.total},
            )
    except IntegrityError:
        raise Conflict(
            _("The results of this cycle are being computed already; wait until that is done."),
            code="run_active",
        ) from None
    # Enqueued once the run is recorded: the embedded default runs it here and now; the
    # database backend keeps it for ``perfcycle db_worker``.
    score_run_task.enqueue(run.pk)
    run.refresh_from_db()
    return run


def score_run_latest(cycle: Cycle) -> ScoreRun | None:
    return ScoreRun.objects.filter(cycle=cycle).first()


@task()
def score_run_task(run_id: int) -> dict[str, Any]:
    """Run a recorded ``ScoreRun``: store the cycle's results and keep the report, or the
    reason it failed."""
    claimed = ScoreRun.objects.filter(pk=run_id, status=ScoreRunStatus.QUEUED).update(
        status=ScoreRunStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return {}
    run = ScoreRun.objects.select_related("cycle", "requested_by").get(pk=run_id)
    try:
        report = scores_store(actor=run.requested_by, cycle=run.cycle)
    except DomainError as exc:
        _finish(run_id, ScoreRunStatus.FAILED, error=exc.message)
        return {"error": exc.message}
    except Exception as exc:
        log.exception("Score run %s failed", run_id)
        _finish(run_id, ScoreRunStatus.FAILED, error=_("It failed: %(error)s") % {"error": exc})
        raise
    result = report.as_dict()
    _finish(run_id, ScoreRunStatus.DONE, report=result)
    return result


def _finish(
    run_id: int, status: str, *, report: dict[str, Any] | None = None, error: str = ""
) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": timezone.now(), "error": error}
    if report is not None:
        values["report"] = report
        values["done"] = sum(report.values())
    ScoreRun.objects.filter(pk=run_id).update(**values)

"""“Compute and store results” runs in the background: one run per cycle at a time, its
progress on the page, failures kept with their reason."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import Conflict, DomainError, Forbidden
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.evaluation import score_runs
from perfcycle.evaluation.models import ScoreResult, ScoreRun, ScoreRunStatus
from perfcycle.evaluation.tests.test_score_pages import rated  # noqa: F401 - fixture
from perfcycle.evaluation.tests.test_scores import world  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_a_run_stores_every_result_and_keeps_its_report(company, rated):  # noqa: F811
    cycle = rated["cycle"]
    run = score_runs.score_run_start(actor=company.hr, cycle=cycle)
    assert run.status == ScoreRunStatus.DONE  # the embedded backend runs it at once
    assert (run.total, run.done) == (6, 6)
    assert run.report == {"created": 6, "updated": 0, "unchanged": 0}
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert ScoreResult.objects.filter(cycle=cycle).count() == 6
    assert AuditEvent.objects.filter(
        object_type="evaluation.scorerun", object_id=str(run.pk)
    ).exists()
    again = score_runs.score_run_start(actor=company.hr, cycle=cycle)
    assert again.report == {"created": 0, "updated": 0, "unchanged": 6}
    assert score_runs.score_run_latest(cycle) == again


def test_only_hr_and_only_in_the_right_phase(company, rated):  # noqa: F811
    cycle = rated["cycle"]
    with pytest.raises(Forbidden):
        score_runs.score_run_start(actor=company.user("manager"), cycle=cycle)
    Cycle.objects.filter(pk=cycle.pk).update(phase=Phase.PLANNING)
    cycle.refresh_from_db()
    with pytest.raises(DomainError) as error:
        score_runs.score_run_start(actor=company.hr, cycle=cycle)
    assert error.value.code == "wrong_phase"
    assert not ScoreRun.objects.exists()


def test_one_run_at_a_time_and_an_abandoned_one_gives_way(company, rated):  # noqa: F811
    cycle = rated["cycle"]
    with mock.patch.object(score_runs, "score_run_task"):  # a worker not started
        waiting = score_runs.score_run_start(actor=company.hr, cycle=cycle)
        assert waiting.status == ScoreRunStatus.QUEUED
        with pytest.raises(Conflict):
            score_runs.score_run_start(actor=company.hr, cycle=cycle)
        ScoreRun.objects.filter(pk=waiting.pk).update(
            created_at=timezone.now() - score_runs.ABANDONED_AFTER - dt.timedelta(minutes=1)
        )
        score_runs.score_run_start(actor=company.hr, cycle=cycle)
    waiting.refresh_from_db()
    assert waiting.status == ScoreRunStatus.FAILED and "Abandoned" in waiting.error


def test_a_failure_is_kept_with_its_reason(company, rated):  # noqa: F811
    cycle = rated["cycle"]
    with mock.patch.object(score_runs, "scores_store", side_effect=DomainError("No can do")):
        run = score_runs.score_run_start(actor=company.hr, cycle=cycle)
    assert run.status == ScoreRunStatus.FAILED and run.error == "No can do"
    assert not ScoreResult.objects.filter(cycle=cycle).exists()
    # The page says so, and the button is back.


def test_the_page_follows_a_run_until_it_is_done(company, rated, as_user):  # noqa: F811
    cycle = rated["cycle"]
    hr = as_user(company.hr)
    url = f"/evaluate/cycles/{cycle.pk}/scores/"
    with mock.patch.object(score_runs, "score_run_task"):
        response = hr.post(f"/evaluate/cycles/{cycle.pk}/scores/store/")
    assert response.status_code == 302
    page = hr.get(url).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in page
    assert "Computing the results of 6 people is waiting to start" in page
    assert "Compute and store results</button>" not in page  # no second press meanwhile
    ScoreRun.objects.filter(cycle=cycle).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    assert "is the task worker (perfcycle db_worker) running?" in hr.get(url).content.decode()
    score_runs.score_run_task.call(ScoreRun.objects.get(cycle=cycle).pk)
    page = hr.get(url).content.decode()
    assert "http-equiv" not in page and "Compute and store results</button>" in page
    assert ScoreResult.objects.filter(cycle=cycle).count() == 6

"""Releasing results: per department (with sub-departments) or company-wide, one bulk
update audited per result, the phase move, refusals (wrong phase, unsigned sessions,
strict guideline), the release page, and the notifications after commit."""

from __future__ import annotations

import pytest

from perfcycle.audit.models import AuditEvent
from perfcycle.calibration.models import (
    CalibrationSession,
    Result,
    SessionMember,
    SessionScope,
    SessionStatus,
)
from perfcycle.calibration.release import release_problems, results_release
from perfcycle.calibration.tests.test_distribution import SABCD, build
from perfcycle.core.errors import DomainError, Forbidden
from perfcycle.cycles.models import Phase
from perfcycle.notifications.models import Notification
from perfcycle.notifications.results import notify_results_released


def test_release_a_department_and_its_sub_departments(company, django_capture_on_commit_callbacks):
    cycle, results = build(company)
    with django_capture_on_commit_callbacks(execute=True):
        report = results_release(actor=company.hr, cycle=cycle, department=company.sales)
    # manager, direct and indirect are in sales; the stranger (other) is not.
    assert report.released == 3 and report.already == 0
    released = set(
        Result.objects.filter(cycle=cycle, released_at__isnull=False).values_list(
            "employee_id", flat=True
        )
    )
    assert released == {company.manager.pk, company.direct.pk, company.indirect.pk}
    row = Result.objects.get(pk=results["direct"].pk)
    assert row.released_by == company.hr and row.version == results["direct"].version + 1
    per_result = AuditEvent.objects.filter(object_type="calibration.result")
    assert per_result.count() == 3
    assert per_result.first().before == {"released_at": None}
    summary = AuditEvent.objects.get(object_type="cycles.cycle", after__results_released=3)
    assert summary.after["department"] == company.sales.pk
    cycle.refresh_from_db()
    assert cycle.phase == Phase.CALIBRATION  # a department does not move the cycle
    # The employees with a login were told, in their language, once.
    told = Notification.objects.filter(kind="result_released")
    assert set(told.values_list("user__employee__name", flat=True)) == {
        "Mia Manager",
        "Dan Direct",
        "Ivy Indirect",
    }
    assert "is released" in told.first().title
    assert notify_results_released.call(cycle.pk)["created"] == 0


def test_company_wide_moves_the_cycle_to_results(company, django_capture_on_commit_callbacks):
    cycle, _r = build(company)
    with django_capture_on_commit_callbacks(execute=True):
        results_release(actor=company.hr, cycle=cycle, department=company.sales)
        report = results_release(actor=company.hr, cycle=cycle)
    assert report.released == 1 and report.already == 3 and report.phase == Phase.RESULTS
    cycle.refresh_from_db()
    assert cycle.phase == Phase.RESULTS
    with pytest.raises(DomainError) as exc:
        results_release(actor=company.hr, cycle=cycle)
    assert exc.value.code == "already_released"
    assert Notification.objects.filter(kind="result_released").count() == 4


def test_notifications_follow_the_users_language(company, django_capture_on_commit_callbacks):
    user = company.user("direct")
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    cycle, _r = build(company)
    with django_capture_on_commit_callbacks(execute=True):
        results_release(actor=company.hr, cycle=cycle, department=company.sales)
    mine = Notification.objects.get(user=user, kind="result_released")
    assert cycle.name in mine.title
    assert mine.dedupe_key.startswith(
        f"result-released:{Result.objects.get(employee=company.direct).pk}:"
    )


def test_only_hr_and_only_in_calibration_or_results(company):
    cycle, _r = build(company, phase=Phase.MANAGER_REVIEW)
    with pytest.raises(Forbidden):
        results_release(actor=company.user("manager"), cycle=cycle)
    with pytest.raises(DomainError) as exc:
        results_release(actor=company.hr, cycle=cycle)
    assert exc.value.code == "wrong_phase"
    assert not Result.objects.filter(released_at__isnull=False).exists()


def test_unsigned_sessions_block_their_people(company):
    cycle, results = build(company)
    session = CalibrationSession.objects.create(
        cycle=cycle, name="Sales round", scope=SessionScope.DEPARTMENT, department=company.sales
    )
    SessionMember.objects.create(session=session, result=results["direct"])
    with pytest.raises(DomainError) as exc:
        results_release(actor=company.hr, cycle=cycle, department=company.sales)
    assert exc.value.code == "sessions_open" and "Sales round" in exc.value.message
    assert any("Sales round" in p for p in release_problems(cycle, company.sales))
    # Other people are not covered by the session: their department may go.
    assert results_release(actor=company.hr, cycle=cycle, department=company.other).released == 1
    CalibrationSession.objects.filter(pk=session.pk).update(status=SessionStatus.LOCKED)
    with pytest.raises(DomainError):
        results_release(actor=company.hr, cycle=cycle, department=company.sales)
    CalibrationSession.objects.filter(pk=session.pk).update(status=SessionStatus.SIGNED_OFF)
    assert results_release(actor=company.hr, cycle=cycle, department=company.sales).released == 3


def test_strict_guideline_refuses_a_group_off_it(company):
    cycle, _r = build(company, shares=SABCD, strict=True)
    with pytest.raises(DomainError) as exc:
        results_release(actor=company.hr, cycle=cycle)
    assert exc.value.code == "off_guideline"
    assert "S: 25% against 10%" in exc.value.message
    assert exc.value.details["grades"] == ["S", "C"]  # A 25 % and D 0 % are within ±5
    # Advisory: a warning on the page, the release goes ahead.
    advisory, _r2 = build(company, shares=SABCD)
    assert results_release(actor=company.hr, cycle=advisory).released == 4


def test_release_page(company, as_user, django_capture_on_commit_callbacks):
    cycle, _r = build(company, shares=SABCD, strict=True)
    url = f"/calibrate/cycles/{cycle.pk}/release/"
    hr = as_user(company.hr)
    page = hr.get(url)
    assert page.status_code == 200 and "outside it" in page.content.decode()
    assert "Sales" in page.content.decode()
    refused = hr.post(url, {"department": ""}, follow=True)
    assert "outside it" in refused.content.decode()
    assert not Result.objects.filter(released_at__isnull=False).exists()
    # The stranger's department alone (B only: 100 % against 50 %) is off too: a strict
    # guideline judges each released group.
    hr.post(url, {"department": str(company.other.pk)})
    assert not Result.objects.filter(released_at__isnull=False).exists()
    from perfcycle.calibration.models import CalibrationSettings

    CalibrationSettings.objects.filter(cycle=cycle).update(strict=False)
    with django_capture_on_commit_callbacks(execute=True):
        got = hr.post(url, {"department": str(company.other.pk)}, follow=True)
    assert got.status_code == 200 and "1 results released" in got.content.decode()
    assert Result.objects.get(released_at__isnull=False).employee == company.stranger
    for name in ("manager", "direct", "stranger"):
        assert as_user(company.user(name)).get(url).status_code == 403

"""The distribution guideline and the distribution page: settings (shares total 100,
known grades, presets, versions), the page per reader (HR everyone, a manager their
line, employees refused), warnings, preparing results and a constant number of queries."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perfcycle.audit.models import AuditEvent
from perfcycle.calibration import distribution
from perfcycle.calibration.models import CalibrationSettings, Result
from perfcycle.core.errors import Conflict, Forbidden, ValidationFailed
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.cycles.services import grade_scale_default
from perfcycle.org.models import Department
from tests.factories import CycleFactory, DepartmentFactory, EmployeeFactory


def build(company, *, phase=Phase.CALIBRATION, grades=None, shares=None, strict=False):
    """A cycle with the S/A/B/C/D scale and a result for each of direct, indirect (sales)
    and stranger (other)."""
    people = [company.manager, company.direct, company.indirect, company.stranger]
    cycle = CycleFactory(phase=phase, participants=people)
    Cycle.objects.filter(pk=cycle.pk).update(grade_scale=grade_scale_default(actor=company.hr))
    cycle.refresh_from_db()
    grades = grades or {"direct": "A", "indirect": "B", "stranger": "B", "manager": "S"}
    results = {}
    for name, grade in grades.items():
        person = getattr(company, name)
        results[name] = Result.objects.create(
            cycle=cycle,
            employee=person,
            department=person.department,
            computed_score=D(80),
            computed_grade=grade,
            score=D(80),
            grade=grade,
        )
    if shares is not None:
        distribution.settings_set(actor=company.hr, cycle=cycle, shares=shares, strict=strict)
    return cycle, results


SABCD = {"S": 10, "A": 20, "B": 50, "C": 15, "D": 5}


def test_settings_need_shares_totalling_100_and_known_grades(company):
    cycle, _r = build(company)
    with pytest.raises(ValidationFailed) as exc:
        distribution.settings_set(actor=company.hr, cycle=cycle, shares={"S": 10, "A": 20})
    assert "total 100" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        distribution.settings_set(actor=company.hr, cycle=cycle, shares={"X": 100})
    assert "not a grade" in exc.value.message
    with pytest.raises(Forbidden):
        distribution.settings_set(actor=company.user("manager"), cycle=cycle, shares=SABCD)
    saved = distribution.settings_set(actor=company.hr, cycle=cycle, shares=SABCD, tolerance=3)
    assert saved.shares["B"] == "50" and saved.tolerance == 3
    assert AuditEvent.objects.filter(object_type="calibration.calibrationsettings").exists()
    with pytest.raises(Conflict):
        distribution.settings_set(
            actor=company.hr, cycle=cycle, expected_version=saved.version - 1, strict=True
        )


def test_presets_fit_the_grades():
    five = distribution.presets(["S", "A", "B", "C", "D"])
    assert [p.key for p in five] == ["sabcd", "classic"]
    assert five[0].shares == {"S": 10, "A": 20, "B": 50, "C": 15, "D": 5}
    assert all(sum(p.shares.values()) == 100 for p in five)
    three = distribution.presets(["Top", "Mid", "Low"])
    assert three[0].shares == {"Top": 20, "Mid": 70, "Low": 10}
    assert distribution.presets(["X", "Y"]) == []


def test_settings_page_saves_and_reports_bad_input(company, as_user):
    cycle, _r = build(company)
    url = f"/calibrate/cycles/{cycle.pk}/settings/"
    hr = as_user(company.hr)
    page = hr.get(url + "?preset=sabcd")
    assert page.status_code == 200 and 'name="share_S" value="10"' in page.content.decode()
    form = {
        "share_S": "10",
        "share_A": "20",
        "share_B": "50",
        "share_C": "10",
        "share_D": "5",
        "tolerance": "5",
        "appeal_window_days": "7",
        "appeal_decision_days": "10",
    }
    bad = hr.post(url, form)
    assert bad.status_code == 422 and "total 100" in bad.content.decode()
    assert not CalibrationSettings.objects.filter(cycle=cycle).exists()
    form["share_C"] = "15"
    form["strict"] = "on"
    ok = hr.post(url, form)
    assert ok.status_code == 302
    saved = CalibrationSettings.objects.get(cycle=cycle)
    assert saved.strict and saved.shares["C"] == "15"
    assert as_user(company.user("manager")).get(url).status_code == 403
    assert as_user(company.user("direct")).post(url, form).status_code == 403


def test_page_for_hr_shows_every_department_with_warnings(company, as_user):
    cycle, _r = build(company, shares=SABCD)
    page = as_user(company.hr).get(f"/calibrate/cycles/{cycle.pk}/distribution/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Whole company" in text and "Sales" in text and "Other" in text
    assert "chart-distribution" in text
    assert "Off the guideline" in text  # 4 people: S 25 % against 10 % ± 5
    assert f"/evaluation/cycles/{cycle.pk}/scores/" in text or "scores" in text
    assert "Prepare results from stored scores" in text


def test_a_manager_sees_their_line_only(company, as_user):
    cycle, _r = build(company, shares=SABCD)
    page = as_user(company.user("manager")).get(f"/calibrate/cycles/{cycle.pk}/distribution/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Your reporting line" in text and "Sales" in text
    assert "Other" not in text  # the stranger's department
    assert "Prepare results" not in text
    found = distribution.overview(
        cycle,
        distribution_results(company.user("manager"), cycle),
    )
    assert found.overall.total == 2  # direct and indirect


def distribution_results(user, cycle):
    from perfcycle.calibration.views.distribution import visible_results

    return visible_results(user, cycle)


def test_employees_and_strangers_are_refused(company, as_user):
    cycle, _r = build(company)
    for name in ("indirect", "stranger"):
        got = as_user(company.user(name)).get(f"/calibrate/cycles/{cycle.pk}/distribution/")
        assert got.status_code == 403


def test_check_marks_the_grades_off():
    settings = CalibrationSettings(shares=SABCD, tolerance=D(5))
    result = distribution.check(settings, list(SABCD), ["S", "S", "B", "B"])
    assert [r.code for r in result.off] == ["S", "A", "C"]
    assert "S: 50% against 10% ±5" in distribution.off_message(result)


def test_prepare_button(company, as_user):
    cycle, _r = build(company)
    response = as_user(company.hr).post(f"/calibrate/cycles/{cycle.pk}/distribution/prepare/")
    assert response.status_code == 302  # no stored scores: an error message, nothing written
    assert (
        as_user(company.user("manager"))
        .post(f"/calibrate/cycles/{cycle.pk}/distribution/prepare/")
        .status_code
        == 403
    )


@pytest.mark.parametrize("who", ["hr_person", "manager"])
def test_queries_do_not_grow(company, as_user, django_assert_num_queries, who):
    cycle, _r = build(company, shares=SABCD)
    client = as_user(company.user(who))
    url = f"/calibrate/cycles/{cycle.pk}/distribution/"
    client.get(url)  # warm caches (sessions, translations)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    extra = DepartmentFactory(name="Extra", parent=company.sales)
    for n in range(12):
        e = EmployeeFactory(manager=company.direct, department=extra)
        Result.objects.create(cycle=cycle, employee=e, department=extra, grade="BC"[n % 2])
    assert Department.objects.filter(name="Extra").exists()
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_departments_come_a_page_at_a_time_after_everyone(company, as_user, monkeypatch):
    from perfcycle.calibration.views import distribution as page_module

    cycle, _r = build(company, shares=SABCD)
    monkeypatch.setattr(page_module, "DEPARTMENTS_PER_PAGE", 1)
    client = as_user(company.hr)
    url = f"/calibrate/cycles/{cycle.pk}/distribution/"
    first = client.get(url).content.decode()
    second = client.get(url + "?page=2").content.decode()
    for text in (first, second):
        assert "Whole company" in text and "Page" in text and text.count("<h2>") == 2
    assert "<h2>Sales " in first and "<h2>Other " not in first  # departments by path
    assert "<h2>Other " in second and "<h2>Sales " not in second
    # The warnings still name every department off the guideline, whatever the page.
    warnings = first.split('role="alert"><strong>')[1].split("</div>")[0]
    assert "Other" in warnings and "Sales" in warnings


def test_counts_per_department_are_the_check_of_each_group(company):
    cycle, _r = build(company, shares=SABCD)
    results = Result.objects.filter(cycle=cycle)
    found = distribution.overview(cycle, results)
    settings = distribution.settings_for(cycle)
    codes = distribution.grade_codes(cycle)
    for pk, check in found.departments:
        grades = list(results.filter(department_id=pk).values_list("grade", flat=True))
        expected = distribution.check(settings, codes, grades, label=check.label)
        assert check == expected
    assert found.overall == distribution.check(
        settings, codes, list(results.values_list("grade", flat=True)), label="Everyone shown"
    )
    overall = distribution.overall_check(cycle, results, label="Everyone shown")
    assert overall == found.overall

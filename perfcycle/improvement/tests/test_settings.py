"""Which grades lead to an improvement plan: HR chooses per cycle on the page and over the
API; every grade must be on the cycle's scale, at least one, never all; stale edits
conflict; the choice is audited and drives proposing."""

from __future__ import annotations

import pytest

from perfcycle.audit.models import AuditEvent
from perfcycle.calibration.models import Result
from perfcycle.calibration.tests.test_feedback import build_world
from perfcycle.core.errors import Conflict, Forbidden, ValidationFailed
from perfcycle.improvement import services
from perfcycle.improvement.models import ImprovementPlan, ImprovementSettings


@pytest.fixture
def world(company):
    world = build_world(company)
    Result.objects.filter(pk=world.indirect.pk).update(grade="C")
    return world


def test_the_lowest_grade_is_the_default_until_hr_chooses(company, world):
    assert services.trigger_grades(world.cycle) == ["D"]
    assert services.plans_propose(actor=company.hr, cycle=world.cycle).created == 0
    services.settings_set(actor=company.hr, cycle=world.cycle, grades=["D", "C", " "])
    saved = ImprovementSettings.objects.get(cycle=world.cycle)
    assert saved.trigger_grades == ["C", "D"]  # in the scale's order, blanks dropped
    assert services.plans_propose(actor=company.hr, cycle=world.cycle).created == 1
    assert ImprovementPlan.objects.get().employee == company.indirect
    event = AuditEvent.objects.filter(object_type__icontains="improvementsettings").get()
    assert event.after["trigger_grades"] == ["C", "D"]


@pytest.mark.parametrize(
    ("grades", "code"),
    [(["X"], "unknown_grade"), ([], "required"), (["S", "A", "B", "C", "D"], "every_grade")],
)
def test_bad_choices_are_refused_and_nothing_saved(company, world, grades, code):
    with pytest.raises(ValidationFailed) as exc:
        services.settings_set(actor=company.hr, cycle=world.cycle, grades=grades)
    assert exc.value.code == code
    assert not ImprovementSettings.objects.exists()


def test_only_hr_and_a_stale_version_conflicts(company, world):
    with pytest.raises(Forbidden):
        services.settings_set(actor=company.user("manager"), cycle=world.cycle, grades=["D"])
    saved = services.settings_set(actor=company.hr, cycle=world.cycle, grades=["D"])
    services.settings_set(
        actor=company.hr, cycle=world.cycle, grades=["C"], expected_version=saved.version
    )
    with pytest.raises(Conflict):
        services.settings_set(
            actor=company.hr, cycle=world.cycle, grades=["B"], expected_version=saved.version
        )
    assert ImprovementSettings.objects.get().trigger_grades == ["C"]


def test_the_page_shows_and_saves_the_choice(company, world, as_user):
    hr = as_user(company.hr)
    page = hr.get(f"/improve/?cycle={world.cycle.pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="grades" value="D" checked' in body
    assert 'name="grades" value="C">' in body
    response = hr.post(f"/improve/cycles/{world.cycle.pk}/settings/", {"grades": ["C", "D"]})
    assert response.status_code == 302
    assert ImprovementSettings.objects.get().trigger_grades == ["C", "D"]
    bad = hr.post(f"/improve/cycles/{world.cycle.pk}/settings/", {"grades": ["Q"]}, follow=True)
    assert "Q" in bad.content.decode() and ImprovementSettings.objects.get().trigger_grades == [
        "C",
        "D",
    ]
    manager = as_user(company.user("manager"))
    assert (
        manager.post(f"/improve/cycles/{world.cycle.pk}/settings/", {"grades": ["C"]}).status_code
        == 403
    )
    assert 'name="grades"' not in manager.get(f"/improve/?cycle={world.cycle.pk}").content.decode()


def test_the_api_reads_and_writes_the_choice(company, world, as_user):
    url = f"/api/v1/cycles/{world.cycle.pk}/improvement-settings"
    hr = as_user(company.hr)
    first = hr.get(url).json()
    assert first["grades"] == ["D"] and first["is_default"] and first["scale"][0] == "S"
    put = hr.put(url, {"grades": ["C", "D"]}, content_type="application/json")
    assert put.status_code == 200 and put.json()["grades"] == ["C", "D"]
    version = put.json()["version"]
    stale = hr.put(url, {"grades": ["D"], "version": version - 1}, content_type="application/json")
    assert stale.status_code == 409
    bad = hr.put(url, {"grades": ["Z"]}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_grade"
    assert as_user(company.user("manager")).get(url).status_code == 403

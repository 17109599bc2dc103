"""Cycle administration pages: everyone reads the cycle and its scoring rules (以终为始),
HR creates and edits it, chooses participants and moves it through its phases; bad
input and illegal steps come back as clear errors with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from perfcycle.audit.models import AuditEvent
from perfcycle.cycles import services
from perfcycle.cycles.models import Cycle, CycleDeadline, CycleParticipant, Phase
from tests.pages import assert_phone_ready


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def draft(company) -> Cycle:
    return services.cycle_create(
        actor=company.hr,
        name="2026 Q1",
        period_type="quarter",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 3, 31),
        template=services.review_template_default(),
        grade_scale=services.grade_scale_default(),
    )


@pytest.fixture
def planning(company, draft) -> Cycle:
    services.cycle_set_participants(actor=company.hr, cycle=draft, department_ids=[company.root.pk])
    return services.cycle_transition(actor=company.hr, cycle=draft, to_phase=Phase.PLANNING)


def cycle_post(**changes) -> dict:
    data = {
        "name": "2026 Q2",
        "period_type": "quarter",
        "start_date": "2026-04-01",
        "end_date": "2026-06-30",
        "template": services.review_template_default().pk,
        "grade_scale": services.grade_scale_default().pk,
    }
    data.update(changes)
    return data


# Reading ---------------------------------------------------------------------------------


def test_pages_need_a_sign_in(company, client, draft):
    for url in ("/cycles/", f"/cycles/{draft.pk}/", "/cycles/new/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_everyone_sees_the_cycle_and_how_they_will_be_judged(company, as_user, planning):
    stranger = as_user(company.user("stranger"))
    listing = stranger.get("/cycles/")
    assert listing.status_code == 200
    assert "2026 Q1" in text(listing)
    assert "New cycle" not in text(listing)

    page = stranger.get(f"/cycles/{planning.pk}/")
    body = text(page)
    assert page.status_code == 200
    # The template's weights and the grade scale's bands are visible from day one.
    assert "How everyone in this cycle will be judged" in body
    assert "Standard 360" in body
    assert "70%" in body and "30%" in body  # goals / competencies
    assert "60%" in body  # the manager's share of competency ratings
    for grade in ("S", "A", "B", "C", "D"):
        assert f"<strong>{grade}</strong>" in body
    assert "≥ 95" in body and "85 – &lt; 95" in body
    # Deadlines of every phase, the current one marked.
    assert 'aria-current="step"' in body
    assert body.count("by 2026") >= 7
    # No editing for a non-HR user: neither buttons nor pages.
    assert "Move to" not in body and f"/cycles/{planning.pk}/edit/" not in body
    assert stranger.get(f"/cycles/{planning.pk}/edit/").status_code == 403
    assert stranger.get(f"/cycles/{planning.pk}/participants/").status_code == 403
    assert stranger.get("/cycles/new/").status_code == 403
    response = stranger.post(f"/cycles/{planning.pk}/phase/", {"to_phase": "in_progress"})
    assert response.status_code == 403
    assert Cycle.objects.get(pk=planning.pk).phase == Phase.PLANNING


def test_an_unknown_cycle_is_not_found(company, as_user):
    assert as_user(company.hr).get("/cycles/999999/").status_code == 404


def test_every_cycle_page_is_phone_ready(company, as_user, planning):
    hr = as_user(company.hr)
    for url in (
        "/cycles/",
        "/cycles/new/",
        f"/cycles/{planning.pk}/",
        f"/cycles/{planning.pk}/edit/",
        f"/cycles/{planning.pk}/participants/",
    ):
        response = hr.get(url)
        assert response.status_code == 200, url
        assert_phone_ready(text(response))


# Create and edit ---------------------------------------------------------------------------


def test_the_new_cycle_form_offers_the_default_template_and_grade_scale(company, as_user):
    response = as_user(company.hr).get("/cycles/new/")
    form = response.context["form"]
    assert form.initial["template"] == services.review_template_default().pk
    assert form.initial["grade_scale"] == services.grade_scale_default().pk
    assert "Standard 360" in text(response) and "S/A/B/C/D" in text(response)


def test_hr_creates_a_cycle_with_deadlines(company, as_user):
    response = as_user(company.hr).post(
        "/cycles/new/", cycle_post(deadline_planning="2026-04-10", deadline_results="2026-08-15")
    )
    cycle = Cycle.objects.get(name="2026 Q2")
    assert response.status_code == 302
    assert response["Location"] == f"/cycles/{cycle.pk}/participants/"
    assert cycle.phase == Phase.DRAFT
    deadlines = {d.phase: d.due_date for d in cycle.deadlines.all()}
    assert deadlines["planning"] == dt.date(2026, 4, 10)
    assert deadlines["results"] == dt.date(2026, 8, 15)
    assert deadlines["self_review"] == dt.date(2026, 7, 7)  # the default for the rest
    assert AuditEvent.objects.for_object(cycle).filter(action="create").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": "2026-03-01"}, "end_date", "The cycle must end after it starts."),
        (
            {"deadline_self_review": "2026-07-20", "deadline_review_360": "2026-07-10"},
            "deadline_review_360",
            "deadline comes before the previous phase",
        ),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_bad_cycle_input_is_shown_and_nothing_is_written(company, as_user, changes, field, message):
    response = as_user(company.hr).post("/cycles/new/", cycle_post(**changes))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors
    assert message.split("“")[0] in text(response)
    assert not Cycle.objects.filter(name="2026 Q2").exists()
    assert not CycleDeadline.objects.exists()


def test_a_duplicate_name_is_a_clear_error(company, as_user, draft):
    response = as_user(company.hr).post("/cycles/new/", cycle_post(name="2026 Q1"))
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert Cycle.objects.count() == 1


def test_hr_edits_a_draft_cycle(company, as_user, draft):
    hr = as_user(company.hr)
    form = hr.get(f"/cycles/{draft.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(name="2026 Q1 (sales)", deadline_planning="2026-01-20")
    response = hr.post(f"/cycles/{draft.pk}/edit/", data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.name == "2026 Q1 (sales)"
    assert draft.version == 2
    assert draft.deadlines.get(phase="planning").due_date == dt.date(2026, 1, 20)


def test_a_stale_edit_is_refused(company, as_user, draft):
    hr = as_user(company.hr)
    data = cycle_post(name="Renamed", version=1)
    services.cycle_update(actor=company.hr, cycle=draft, expected_version=1, name="Someone else")
    response = hr.post(f"/cycles/{draft.pk}/edit/", data)
    assert response.status_code == 200
    assert "Somebody else changed this record" in text(response)
    assert Cycle.objects.get(pk=draft.pk).name == "Someone else"


def test_the_scoring_rules_are_locked_once_the_cycle_opens(company, as_user, planning):
    other = services.review_template_create(
        actor=company.hr,
        name="Managers only",
        self_weight=0,
        manager_weight=100,
        peer_weight=0,
        report_weight=0,
    )
    hr = as_user(company.hr)
    form = hr.get(f"/cycles/{planning.pk}/edit/").context["form"]
    assert form.fields["template"].disabled and form.fields["grade_scale"].disabled
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(template=other.pk, name="2026 Q1 renamed")
    response = hr.post(f"/cycles/{planning.pk}/edit/", data)
    assert response.status_code == 302
    planning.refresh_from_db()
    assert planning.name == "2026 Q1 renamed"
    assert planning.template.name == "Standard 360"  # the posted template was ignored


# Participants ---------------------------------------------------------------------------------


def test_participants_by_department_with_preview_and_counts(company, as_user, draft):
    hr = as_user(company.hr)
    url = f"/cycles/{draft.pk}/participants/"
    preview = hr.post(url, {"departments": [company.sales.pk], "preview": "1"})
    assert preview.status_code == 200
    assert preview.context["preview"]["joining"] == 3
    assert "3 people selected: 3 would join, 0 would leave." in text(preview)
    assert not CycleParticipant.objects.exists()  # a preview writes nothing

    saved = hr.post(url, {"departments": [company.sales.pk]}, follow=True)
    assert "3 people take part: 3 joined, 0 left." in messages_of(saved)
    assert set(draft.participants.values_list("employee__name", flat=True)) == {
        "Mia Manager",
        "Dan Direct",
        "Ivy Indirect",
    }
    # Narrow to a list of numbers: two leave.
    saved = hr.post(url, {"employee_numbers": "C011, C020"}, follow=True)
    assert "2 people take part: 1 joined, 2 left." in messages_of(saved)
    assert "Sam Stranger" in text(saved)


def test_participants_by_job_family_and_hire_date(company, as_user, draft):
    from perfcycle.org.models import Employee

    Employee.objects.filter(pk=company.direct.pk).update(
        job_family="sales", hire_date=dt.date(2025, 12, 1)
    )
    Employee.objects.filter(pk=company.manager.pk).update(
        job_family="sales", hire_date=dt.date(2020, 1, 1)
    )
    hr = as_user(company.hr)
    response = hr.post(
        f"/cycles/{draft.pk}/participants/",
        {"job_families": ["sales"], "hired_on_or_before": "2025-10-01"},
    )
    assert response.status_code == 302
    assert list(draft.participants.values_list("employee__name", flat=True)) == ["Mia Manager"]


def test_unknown_employee_numbers_are_named(company, as_user, draft):
    hr = as_user(company.hr)
    url = f"/cycles/{draft.pk}/participants/"
    for extra in ({}, {"preview": "1"}):
        response = hr.post(url, {"employee_numbers": "C011 NOPE1", **extra})
        assert response.status_code == 200
        assert "Unknown employee numbers: NOPE1" in text(response)
    assert not CycleParticipant.objects.exists()
    response = hr.post(url, {})
    assert "Choose at least one way to select participants." in text(response)


# Phases --------------------------------------------------------------------------------------


def test_the_phase_buttons_follow_the_state_machine(company, as_user, planning):
    hr = as_user(company.hr)
    body = text(hr.get(f"/cycles/{planning.pk}/"))
    assert "Move to in progress" in body
    assert "Move to closed" not in body and "Go back" not in body
    response = hr.post(
        f"/cycles/{planning.pk}/phase/",
        {"to_phase": "in_progress", "version": planning.version},
        follow=True,
    )
    assert "The cycle is now in the in progress phase." in messages_of(response)
    body = text(response)
    assert "Move to self-review" in body and "Go back to planning" in body
    assert "Why go back to planning?" in body


def test_opening_an_incomplete_cycle_is_a_clear_error(company, as_user, draft):
    response = as_user(company.hr).post(
        f"/cycles/{draft.pk}/phase/", {"to_phase": "planning"}, follow=True
    )
    assert messages_of(response) == ["Before it opens, the cycle needs participants."]
    assert Cycle.objects.get(pk=draft.pk).phase == Phase.DRAFT


def test_an_illegal_transition_is_a_clear_error(company, as_user, planning):
    hr = as_user(company.hr)
    response = hr.post(f"/cycles/{planning.pk}/phase/", {"to_phase": "closed"}, follow=True)
    assert messages_of(response) == [
        "A cycle cannot go from planning to closed. Allowed next: in progress."
    ]
    assert Cycle.objects.get(pk=planning.pk).phase == Phase.PLANNING
    response = hr.post(f"/cycles/{planning.pk}/phase/", {"to_phase": "nonsense"}, follow=True)
    assert messages_of(response) == ["Unknown phase."]


def test_going_back_needs_a_reason(company, as_user, planning):
    hr = as_user(company.hr)
    services.cycle_transition(actor=company.hr, cycle=planning, to_phase=Phase.IN_PROGRESS)
    url = f"/cycles/{planning.pk}/phase/"
    response = hr.post(url, {"to_phase": "planning", "reason": "  "}, follow=True)
    assert messages_of(response) == ["Going back to an earlier phase needs a reason."]
    assert Cycle.objects.get(pk=planning.pk).phase == Phase.IN_PROGRESS
    response = hr.post(
        url, {"to_phase": "planning", "reason": "Targets were set too low"}, follow=True
    )
    assert Cycle.objects.get(pk=planning.pk).phase == Phase.PLANNING
    assert "Targets were set too low" in text(response)  # in the change history


def test_a_stale_phase_change_is_refused(company, as_user, planning):
    hr = as_user(company.hr)
    response = hr.post(
        f"/cycles/{planning.pk}/phase/", {"to_phase": "in_progress", "version": 1}, follow=True
    )
    assert "Somebody else changed this record" in messages_of(response)[0]
    assert Cycle.objects.get(pk=planning.pk).phase == Phase.PLANNING

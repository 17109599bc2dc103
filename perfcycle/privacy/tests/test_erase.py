"""Erasing a departed person's personal data: only once they have left, only by HR; the
name, contact details, login and free text go; every number stays, so department and
cycle aggregates are equal before and after; audited without the erased values."""

from __future__ import annotations

import json

import pytest
from django.core.files.storage import default_storage
from django.db.models import Avg, Count, Sum

from perfcycle.accounts.models import ApiToken, User
from perfcycle.audit.models import AuditEvent
from perfcycle.calibration.models import Appeal, AppealAttachment, FeedbackTalk, Result
from perfcycle.core.errors import DomainError, Forbidden, ValidationFailed
from perfcycle.evaluation.models import Rating, ReviewForm, ScoreResult
from perfcycle.monitoring.models import Actual, AgendaItem, CheckIn, Feedback, Observation
from perfcycle.notifications.models import Notification
from perfcycle.org.models import Employee, EmployeeStatus
from perfcycle.org.services import employee_update
from perfcycle.planning.models import Goal
from perfcycle.privacy.services import MARKER, personal_data_erase
from perfcycle.retrospective.models import RetroResponse
from perfcycle.rewards.models import BonusLine, BonusPlan

REASON = "Former employee's request of 2026-05-02"


def leave(world) -> Employee:
    employee_update(actor=world.company.hr, employee=world.person, status=EmployeeStatus.LEFT)
    world.person.refresh_from_db()
    return world.person


def aggregates() -> dict:
    """The numbers statistics are made of, per cycle and department."""

    def rows(queryset):
        return sorted(
            (tuple(sorted((k, str(v)) for k, v in row.items())) for row in queryset), key=str
        )

    return {
        "results": rows(
            Result.objects.values("cycle_id", "department_id", "grade").annotate(
                n=Count("pk"), score=Sum("score"), computed=Sum("computed_score")
            )
        ),
        "ratings": rows(
            Rating.objects.values("form__cycle_id", "form__source").annotate(
                n=Count("pk"), mean=Avg("value")
            )
        ),
        "scores": rows(
            ScoreResult.objects.values("cycle_id", "employee__department_id").annotate(
                overall=Sum("overall_score"), goals=Sum("goals_score")
            )
        ),
        "goals": rows(
            Goal.objects.values("cycle_id", "employee__department_id").annotate(
                target=Sum("target"), weight=Sum("weight"), n=Count("pk")
            )
        ),
        "actuals": rows(Actual.objects.values("goal__cycle_id").annotate(total=Sum("value"))),
        "bonus": rows(
            BonusLine.objects.values("plan_id", "department_id").annotate(
                total=Sum("final_amount"), n=Count("pk")
            )
        ),
        "retro": rows(
            RetroResponse.objects.values("cycle_id").annotate(
                clarity=Avg("clarity"), fairness=Avg("fairness"), coaching=Avg("coaching")
            )
        ),
        "people": rows(Employee.objects.values("department_id", "status").annotate(n=Count("pk"))),
    }


def test_an_active_employee_is_not_erased(world):
    with pytest.raises(DomainError) as exc:
        personal_data_erase(actor=world.company.hr, employee=world.person, reason=REASON)
    assert exc.value.code == "employee_active"
    world.person.refresh_from_db()
    assert world.person.name == "Dan Direct"


def test_only_hr_erases_and_a_reason_is_needed(world):
    person = leave(world)
    for other in ("manager", "top", "stranger"):
        with pytest.raises(Forbidden):
            personal_data_erase(actor=world.company.user(other), employee=person, reason=REASON)
    with pytest.raises(ValidationFailed):
        personal_data_erase(actor=world.company.hr, employee=person, reason="  short ")
    person.refresh_from_db()
    assert person.name == "Dan Direct"


def test_erasure_scrubs_name_contact_login_and_free_text(world, django_capture_on_commit_callbacks):
    person = leave(world)
    old_user = User.objects.get(pk=person.user_id)
    attachment = AppealAttachment.objects.get()
    stored = attachment.file.name
    checkin_version = CheckIn.objects.get(employee=person).version
    assert default_storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        personal_data_erase(actor=world.company.hr, employee=person, reason=REASON)

    person.refresh_from_db()
    assert person.name == f"Former employee #{person.pk} / 已离职员工 #{person.pk}"
    assert person.email == "" and person.job_title == "" and person.hire_date is None
    assert person.employee_number == f"erased-{person.pk}"
    assert person.status == EmployeeStatus.LEFT
    assert person.department_id == world.company.sales.pk  # aggregates by department stay
    user = User.objects.get(pk=old_user.pk)
    assert user.username == f"erased-{user.pk}" and user.email == ""
    assert not user.is_active and not user.has_usable_password()
    assert not ApiToken.objects.active().filter(user=user).exists()

    # Free text about him is replaced by the marker; empty text stays empty.
    self_form = ReviewForm.objects.get(cycle=world.q1, reviewee=person, source="self")
    assert self_form.summary == MARKER
    assert set(Rating.objects.filter(form__reviewee=person).values_list("comment", flat=True)) == {
        MARKER
    }
    checkin = CheckIn.objects.get(employee=person)
    assert checkin.shared_notes == MARKER and checkin.private_notes == MARKER
    assert AgendaItem.objects.get(checkin=checkin).text == MARKER
    assert Observation.objects.get(employee=person).text == MARKER
    assert Feedback.objects.get(receiver=person).text == MARKER
    assert Appeal.objects.get(pk=world.appeal.pk).reason == MARKER
    assert FeedbackTalk.objects.get(pk=world.talk.pk).strengths == MARKER
    assert RetroResponse.objects.get(employee=person).comment == MARKER
    assert Actual.objects.filter(goal__employee=person).first().note == MARKER
    # What he wrote about others is theirs: it stays (under his pseudonym).
    assert (
        Observation.objects.get(employee=world.company.indirect).text == "Ivy fixed the invoice run"
    )
    assert Feedback.objects.get(giver=person).text == "Great demo, Ivy"
    # Copies of his name in stored breakdowns are replaced; his messages and files are gone.
    assert {s.breakdown["employee_name"] for s in ScoreResult.objects.filter(employee=person)} == {
        person.name
    }
    assert not Notification.objects.filter(user=user).exists()
    assert not AppealAttachment.objects.exists()
    assert not default_storage.exists(stored)
    # The rows people edit carry a new version (a stale edit is a conflict).
    assert checkin.version == checkin_version + 1


def test_aggregates_are_equal_before_and_after(world):
    person = leave(world)
    before = aggregates()
    personal_data_erase(actor=world.company.hr, employee=person, reason=REASON)
    assert aggregates() == before


def test_erasure_is_audited_without_the_erased_values(world):
    person = leave(world)
    old = {
        "name": person.name,
        "email": person.email,
        "number": person.employee_number,
        "login": person.user.username,
    }
    marker = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    personal_data_erase(actor=world.company.hr, employee=person, reason=REASON)
    events = list(AuditEvent.objects.filter(id__gt=marker).order_by("id"))
    on_person = next(e for e in events if e.object_type == "org.employee")
    on_login = next(e for e in events if e.object_type == "accounts.user")
    assert on_person.actor == world.company.hr
    assert REASON in on_person.reason
    assert set(on_person.before) == {"name", "email", "job_title", "hire_date", "employee_number"}
    assert set(on_person.before.values()) == {"[redacted]"}
    assert on_person.after["erased"]["monitoring.observation"] == {"fields": ["text"], "rows": 1}
    assert on_person.after["erased"]["notifications.notification"] == {"deleted": 1}
    assert on_login.after["username"] == f"erased-{person.user_id}"
    # Nothing of what was erased is written into the trail by the erasure itself.
    written = json.dumps(
        [[e.object_repr, e.before, e.after, e.reason, e.actor_label] for e in events],
        ensure_ascii=False,
    )
    for value in (*old.values(), "MY-SELF-COMMENT", "sick leave", "worried about his visa"):
        assert value not in written, value


def test_erasure_runs_once(world):
    person = leave(world)
    personal_data_erase(actor=world.company.hr, employee=person, reason=REASON)
    with pytest.raises(DomainError) as exc:
        personal_data_erase(actor=world.company.hr, employee=person, reason=REASON)
    assert exc.value.code == "already_erased"


def test_bonus_plans_people_left_out_lose_the_name(world):
    person = leave(world)
    plan = BonusPlan.objects.get(name="Q1 bonus")
    plan.excluded = [{"employee_id": person.pk, "name": "Dan Direct", "reason": "no_target"}]
    plan.save(update_fields=["excluded"])
    personal_data_erase(actor=world.company.hr, employee=person, reason=REASON)
    plan.refresh_from_db()
    assert plan.excluded[0]["name"].startswith("Former employee #")
    assert plan.excluded[0]["reason"] == "no_target"


def test_someone_without_a_login_is_erased_too(company):
    import datetime as dt

    from tests.factories import EmployeeFactory

    gone = EmployeeFactory(
        name="Lars Leftover", status=EmployeeStatus.LEFT, left_on=dt.date(2025, 12, 31)
    )
    personal_data_erase(actor=company.hr, employee=gone, reason=REASON)
    gone.refresh_from_db()
    assert gone.name.startswith("Former employee #") and gone.user_id is None
    assert not AuditEvent.objects.filter(object_type="accounts.user").exists()
    assert AuditEvent.objects.get(object_type="org.employee").before["name"] == "[redacted]"

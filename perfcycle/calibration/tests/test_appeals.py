"""Appeals: filing within the window with checked attachments, routing to the skip-level
manager and a committee, deciding (upheld changes the result with an adjustment and
re-releases it; rejected keeps it with a written reason), audit and notifications."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from perfcycle.audit.models import AuditEvent
from perfcycle.calibration import appeals, feedback
from perfcycle.calibration.models import Adjustment, Appeal, AppealStatus, CalibrationSettings
from perfcycle.calibration.tests.test_feedback import build_world, release
from perfcycle.calibration.workdays import add_working_days
from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.notifications.models import Notification


@pytest.fixture
def world(company):
    return build_world(company)


def pdf(name: str = "evidence.pdf", size: int = 100) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF" + b"x" * size, content_type="application/pdf")


def file_one(company, world, **kwargs):
    return appeals.appeal_file(
        actor=company.user("direct"),
        result=world.direct,
        reason=kwargs.pop("reason", "The big deal in March was not counted."),
        talk_held=kwargs.pop("talk_held", True),
        **kwargs,
    )


# --- Filing ------------------------------------------------------------------------------


def test_file_an_appeal_with_attachments(company, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appeal = file_one(
            company, world, attachments=[pdf("../../My Deal: March.pdf"), pdf("notes.txt")]
        )
    assert appeal.status == AppealStatus.FILED
    assert appeal.due_on == add_working_days(timezone.localdate(), 10)
    names = sorted(a.name for a in appeal.attachments.all())
    assert names == ["My_Deal_March.pdf", "notes.txt"]
    assert AuditEvent.objects.filter(object_type__icontains="appeal").exists()
    # HR hears of it, with the name; nobody else does.
    note = Notification.objects.get()
    assert note.user == company.hr and "Dan Direct" in note.title
    assert feedback.result_state(world.direct) == feedback.APPEALED


def test_the_decision_time_follows_the_settings(company, world):
    CalibrationSettings.objects.create(cycle=world.cycle, shares={}, appeal_decision_days=3)
    appeal = file_one(company, world)
    assert appeal.due_on == add_working_days(timezone.localdate(), 3)


def test_only_the_employee_appeals(company, world):
    for name in ("manager", "hr_person", "stranger"):
        with pytest.raises(Forbidden):
            appeals.appeal_file(
                actor=company.user(name), result=world.direct, reason="x", talk_held=False
            )


def test_a_reason_is_required(company, world):
    with pytest.raises(ValidationFailed) as exc:
        file_one(company, world, reason="   ")
    assert "reason" in exc.value.details["fields"]


def test_an_appeal_after_the_window_is_refused(company, world):
    release(world.direct, at=timezone.now() - dt.timedelta(days=20))
    with pytest.raises(DomainError) as exc:
        file_one(company, world)
    assert exc.value.code == "appeal_window_closed"


def test_not_before_release_nor_after_acknowledging(company, world):
    feedback.result_acknowledge(actor=company.user("direct"), result=world.direct)
    with pytest.raises(DomainError) as exc:
        file_one(company, world)
    assert exc.value.code == "already_acknowledged"
    world.indirect.__class__.objects.filter(pk=world.indirect.pk).update(released_at=None)
    world.indirect.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        appeals.appeal_file(
            actor=company.user("indirect"), result=world.indirect, reason="x", talk_held=False
        )
    assert exc.value.code == "not_released"


def test_one_open_appeal_at_a_time(company, world):
    file_one(company, world)
    with pytest.raises(DomainError) as exc:
        file_one(company, world)
    assert exc.value.code == "appeal_open"
    with pytest.raises(DomainError) as exc:
        feedback.result_acknowledge(actor=company.user("direct"), result=world.direct)
    assert exc.value.code == "appeal_open"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([pdf(size=10 * 1024 * 1024)], "larger than 10 MB"),
        ([pdf("payload.exe")], "not an allowed type"),
        ([pdf(f"f{n}.pdf") for n in range(6)], "at most 5 files"),
    ],
)
def test_bad_attachments_are_refused_clearly(company, world, files, message):
    with pytest.raises(ValidationFailed) as exc:
        file_one(company, world, attachments=files)
    assert exc.value.code == "bad_attachment"
    assert message in exc.value.message
    assert not Appeal.objects.exists()


# --- Routing -----------------------------------------------------------------------------


def test_hr_routes_to_the_skip_level_and_a_committee(company, world):
    appeal = file_one(company, world)
    appeals.appeal_route(
        actor=company.hr, appeal=appeal, skip_level=True, committee=[company.stranger]
    )
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UNDER_REVIEW
    assert appeal.skip_level == company.top
    assert set(appeal.policy_members()) == {company.stranger, company.top}
    assert set(appeals.visible_appeals(company.user("stranger"))) == {appeal}
    assert set(appeals.visible_appeals(company.user("top"))) == {appeal}
    assert set(appeals.visible_appeals(company.user("manager"))) == set()
    assert set(appeals.visible_appeals(company.user("direct"))) == {appeal}


def test_routing_is_hr_only_and_not_to_the_appellant(company, world):
    appeal = file_one(company, world)
    with pytest.raises(Forbidden):
        appeals.appeal_route(
            actor=company.user("manager"), appeal=appeal, skip_level=True, committee=[]
        )
    with pytest.raises(ValidationFailed):
        appeals.appeal_route(
            actor=company.hr, appeal=appeal, skip_level=False, committee=[company.direct]
        )


# --- Deciding ----------------------------------------------------------------------------


def test_upheld_changes_the_grade_audited_and_released_again(
    company, world, django_capture_on_commit_callbacks
):
    appeal = file_one(company, world)
    released_before = world.direct.released_at
    with django_capture_on_commit_callbacks(execute=True):
        appeals.appeal_decide(
            actor=company.hr,
            appeal=appeal,
            outcome=AppealStatus.UPHELD,
            decision="The March deal counts: 92 points, grade A.",
            grade="A",
            score="92",
            expected_version=appeal.version,
        )
    world.direct.refresh_from_db()
    assert (world.direct.grade, world.direct.score) == ("A", D("92.00"))
    assert (world.direct.computed_grade, world.direct.computed_score) == ("B", D("85.00"))
    assert world.direct.released_at > released_before
    changes = {(a.field, a.before, a.after) for a in Adjustment.objects.filter(appeal=appeal)}
    assert changes == {("grade", "B", "A"), ("score", "85.00", "92.00")}
    assert AuditEvent.objects.filter(
        object_type__icontains="result", reason__icontains="March deal"
    ).exists()
    note = Notification.objects.get(user=company.user("direct"))
    assert "upheld" in note.title
    # The new release opens a new window: Dan may acknowledge the changed result.
    feedback.result_acknowledge(actor=company.user("direct"), result=world.direct)


def test_upheld_must_change_something(company, world):
    appeal = file_one(company, world)
    with pytest.raises(ValidationFailed) as exc:
        appeals.appeal_decide(
            actor=company.hr,
            appeal=appeal,
            outcome=AppealStatus.UPHELD,
            decision="Upheld but the same grade.",
            grade="B",
            expected_version=appeal.version,
        )
    assert "grade" in exc.value.details["fields"]
    with pytest.raises(ValidationFailed):
        appeals.appeal_decide(
            actor=company.hr,
            appeal=appeal,
            outcome=AppealStatus.UPHELD,
            decision="Upheld to a grade that does not exist.",
            grade="Z",
            expected_version=appeal.version,
        )


def test_rejected_needs_a_written_reason_the_employee_sees(company, world):
    appeal = file_one(company, world)
    with pytest.raises(ValidationFailed) as exc:
        appeals.appeal_decide(
            actor=company.hr,
            appeal=appeal,
            outcome=AppealStatus.REJECTED,
            decision="No.",
            expected_version=appeal.version,
        )
    assert "decision" in exc.value.details["fields"]
    appeals.appeal_decide(
        actor=company.hr,
        appeal=appeal,
        outcome=AppealStatus.REJECTED,
        decision="The March deal closed in April: it counts next quarter.",
        expected_version=appeal.version,
    )
    world.direct.refresh_from_db()
    assert world.direct.grade == "B" and not Adjustment.objects.exists()
    mine = appeals.visible_appeals(company.user("direct")).get()
    assert mine.status == AppealStatus.REJECTED and "next quarter" in mine.decision
    with pytest.raises(DomainError) as exc:
        appeals.appeal_decide(
            actor=company.hr,
            appeal=mine,
            outcome=AppealStatus.REJECTED,
            decision="Deciding it twice is refused.",
            expected_version=mine.version,
        )
    assert exc.value.code == "already_decided"


def test_a_committee_member_decides_a_non_member_manager_cannot(company, world):
    appeal = file_one(company, world)
    appeals.appeal_route(actor=company.hr, appeal=appeal, skip_level=False, committee=[company.top])
    appeal.refresh_from_db()
    with pytest.raises(Forbidden):
        appeals.appeal_decide(
            actor=company.user("manager"),
            appeal=appeal,
            outcome=AppealStatus.REJECTED,
            decision="The manager may not decide this.",
            expected_version=appeal.version,
        )
    appeals.appeal_decide(
        actor=company.user("top"),
        appeal=appeal,
        outcome=AppealStatus.REJECTED,
        decision="The committee keeps the grade.",
        expected_version=appeal.version,
    )
    appeal.refresh_from_db()
    assert appeal.decided_by == company.user("top")


def test_a_stale_decision_is_a_conflict(company, world):
    appeal = file_one(company, world)
    appeals.appeal_route(actor=company.hr, appeal=appeal, skip_level=True, committee=[])
    with pytest.raises(Conflict):
        appeals.appeal_decide(
            actor=company.hr,
            appeal=appeal,
            outcome=AppealStatus.REJECTED,
            decision="Decided on a stale page.",
            expected_version=1,
        )

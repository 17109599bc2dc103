"""Calibration session services: scope, grade and potential changes with a reason, the
locked session, concurrent changes, lock / unlock / sign-off in strict mode, audit, rater
notes and the 9-box placement."""

from __future__ import annotations

import pytest

from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.calibration import sessions
from perfcycle.calibration.models import (
    Adjustment,
    CalibrationSession,
    Result,
    SessionMember,
    SessionStatus,
)
from perfcycle.calibration.tests.test_sessions_data import session_world
from perfcycle.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from perfcycle.cycles.models import Cycle, Phase

REASON = "Delivered the Q1 launch alone."


@pytest.fixture
def world(company):
    return session_world(company)


def _members(session) -> set[str]:
    return set(
        SessionMember.objects.filter(session=session).values_list(
            "result__employee__name", flat=True
        )
    )


def test_scope_by_department_subtree_company_and_level(company, world):
    assert _members(world.session) == {"Mia Manager", "Dan Direct", "Ivy Indirect"}
    whole = sessions.session_create(
        actor=company.hr,
        cycle=world.cycle,
        name="Everyone",
        scope="company",
        calibrators=[company.top],
    )
    assert len(_members(whole)) == 5  # a person may be in several sessions
    company.direct.level = "M1"
    company.direct.save()
    by_level = sessions.session_create(
        actor=company.hr,
        cycle=world.cycle,
        name="M1",
        scope="level",
        level="M1",
        department=company.sales,  # ignored for a level scope
        calibrators=[company.top],
    )
    assert _members(by_level) == {"Dan Direct"} and by_level.department is None
    event = AuditEvent.objects.for_object(by_level).get()
    assert event.after["people"] == 1 and event.after["calibrators"] == [company.top.pk]


def test_create_refuses_an_empty_scope_non_hr_wrong_phase_and_no_calibrator(company, world):
    args = {"cycle": world.cycle, "name": "X", "calibrators": [company.top]}
    with pytest.raises(DomainError) as exc:
        sessions.session_create(actor=company.hr, scope="level", level="Z9", **args)
    assert exc.value.code == "empty_scope"
    with pytest.raises(Forbidden):
        sessions.session_create(actor=company.user("manager"), scope="company", **args)
    with pytest.raises(ValidationFailed):
        sessions.session_create(actor=company.hr, scope="department", **args)
    with pytest.raises(ValidationFailed):
        sessions.session_create(
            actor=company.hr, scope="company", cycle=world.cycle, name="Y", calibrators=[]
        )
    with pytest.raises(ValidationFailed):  # the name is taken in this cycle
        sessions.session_create(actor=company.hr, scope="company", **{**args, "name": "Sales"})
    Cycle.objects.filter(pk=world.cycle.pk).update(phase=Phase.RESULTS)
    world.cycle.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        sessions.session_create(actor=company.hr, scope="company", **args)
    assert exc.value.code == "wrong_phase"


def test_a_calibrator_changes_a_grade_with_reason_audited(company, world):
    result = world.result(company.direct)
    adjustment = sessions.grade_adjust(
        actor=company.user("stranger"),
        session=world.session,
        result=result,
        grade="A",
        reason=REASON,
        expected_version=result.version,
    )
    result.refresh_from_db()
    assert (result.grade, result.computed_grade, result.adjusted) == ("A", "B", True)
    assert (adjustment.field, adjustment.before, adjustment.after) == ("grade", "B", "A")
    assert adjustment.session == world.session and adjustment.by == company.user("stranger")
    event = AuditEvent.objects.for_object(result).get(action=AuditAction.UPDATE)
    assert event.before == {"grade": "B"}
    assert event.after == {"grade": "A", "session": world.session.pk}
    assert event.reason == REASON


def test_a_change_needs_a_reason_and_a_grade_of_the_cycle(company, world):
    result = world.result(company.direct)
    for reason in ("", "   ", "too short"):
        with pytest.raises(ValidationFailed) as exc:
            sessions.grade_adjust(
                actor=company.hr,
                session=world.session,
                result=result,
                grade="A",
                reason=reason,
                expected_version=result.version,
            )
        assert exc.value.code == "no_reason" and exc.value.status == 422
    with pytest.raises(ValidationFailed) as exc:
        sessions.grade_adjust(
            actor=company.hr,
            session=world.session,
            result=result,
            grade="Z",
            reason=REASON,
            expected_version=result.version,
        )
    assert exc.value.code == "unknown_grade"
    assert not Adjustment.objects.exists()
    assert Result.objects.get(pk=result.pk).grade == "B"


def test_only_hr_and_the_sessions_calibrators_change_and_only_its_people(company, world):
    result = world.result(company.direct)
    for name in ("manager", "direct", "top"):
        with pytest.raises(Forbidden):
            sessions.grade_adjust(
                actor=company.user(name),
                session=world.session,
                result=result,
                grade="A",
                reason=REASON,
                expected_version=result.version,
            )
    outsider = world.result(company.stranger)  # not in the sales session
    with pytest.raises(DomainError) as exc:
        sessions.grade_adjust(
            actor=company.hr,
            session=world.session,
            result=outsider,
            grade="A",
            reason=REASON,
            expected_version=outsider.version,
        )
    assert exc.value.code == "not_in_session"


def test_two_calibrators_changing_the_same_person_the_second_gets_a_conflict(company, world):
    first = world.result(company.direct)
    second = world.result(company.direct)  # read at the same time, same version
    sessions.grade_adjust(
        actor=company.user("stranger"),
        session=world.session,
        result=first,
        grade="A",
        reason=REASON,
        expected_version=first.version,
    )
    with pytest.raises(Conflict) as exc:
        sessions.grade_adjust(
            actor=company.hr,
            session=world.session,
            result=second,
            grade="C",
            reason="HR thinks otherwise, see notes.",
            expected_version=second.version,
        )
    assert exc.value.status == 409 and exc.value.details["grade"] == "A"
    assert Result.objects.get(pk=first.pk).grade == "A"
    assert Adjustment.objects.count() == 1


def test_potential_needs_a_reason_too(company, world):
    result = world.result(company.direct)
    with pytest.raises(ValidationFailed):
        sessions.potential_set(
            actor=company.hr,
            session=world.session,
            result=result,
            potential="high",
            reason="",
            expected_version=result.version,
        )
    with pytest.raises(ValidationFailed):
        sessions.potential_set(
            actor=company.hr,
            session=world.session,
            result=result,
            potential="huge",
            reason=REASON,
            expected_version=result.version,
        )
    sessions.potential_set(
        actor=company.hr,
        session=world.session,
        result=result,
        potential="high",
        reason=REASON,
        expected_version=result.version,
    )
    assert Result.objects.get(pk=result.pk).potential == "high"
    event = AuditEvent.objects.for_object(result).get(action=AuditAction.UPDATE)
    assert event.before == {"potential": ""} and event.after["potential"] == "high"


def test_locked_session_refuses_changes_until_unlocked_with_a_reason(company, world):
    session = world.session
    with pytest.raises(Forbidden):
        sessions.session_lock(actor=company.user("stranger"), session=session)
    sessions.session_lock(actor=company.hr, session=session)
    assert session.status == SessionStatus.LOCKED and session.locked_at
    result = world.result(company.direct)
    with pytest.raises(DomainError) as exc:
        sessions.grade_adjust(
            actor=company.hr,
            session=CalibrationSession.objects.get(pk=session.pk),
            result=result,
            grade="A",
            reason=REASON,
            expected_version=result.version,
        )
    assert exc.value.code == "session_locked" and exc.value.status == 400
    with pytest.raises(ValidationFailed):
        sessions.session_unlock(actor=company.hr, session=session, reason="")
    sessions.session_unlock(actor=company.hr, session=session, reason="One more change needed.")
    assert CalibrationSession.objects.get(pk=session.pk).status == SessionStatus.OPEN
    events = list(AuditEvent.objects.for_object(session).order_by("id"))
    assert [(e.before, e.after) for e in events[1:]] == [
        ({"status": "open"}, {"status": "locked"}),
        ({"status": "locked"}, {"status": "open"}),
    ]
    assert events[-1].reason == "One more change needed."


def test_sign_off_in_strict_mode_refused_while_off_the_guideline(company, world):
    session = world.session
    with pytest.raises(DomainError) as exc:
        sessions.session_sign_off(actor=company.user("stranger"), session=session)
    assert exc.value.code == "not_locked"
    sessions.session_lock(actor=company.hr, session=session)
    # Sales: A, B, B — A is 33.3 % against 20 %, B 66.7 % against 50 %, C and D missing.
    with pytest.raises(DomainError) as exc:
        sessions.session_sign_off(actor=company.user("stranger"), session=session)
    assert exc.value.code == "off_guideline"
    assert "A 33.3%" in exc.value.message and "target 20%" in exc.value.message
    assert set(exc.value.details["off"]) >= {"A", "B"}
    with pytest.raises(Forbidden):
        sessions.session_sign_off(actor=company.user("manager"), session=session)


def test_sign_off_in_advisory_mode_by_a_calibrator(company):
    world = session_world(company, strict=False, ratings=False)
    sessions.session_lock(actor=company.hr, session=world.session)
    done = sessions.session_sign_off(actor=company.user("stranger"), session=world.session)
    assert done.status == SessionStatus.SIGNED_OFF and done.signed_off_by == company.user(
        "stranger"
    )
    with pytest.raises(DomainError) as exc:
        sessions.session_unlock(actor=company.hr, session=done, reason="Reopen it please now.")
    assert exc.value.code == "signed_off"
    event = AuditEvent.objects.for_object(done).order_by("-id").first()
    assert event.after == {"status": "signed_off"}


def test_distribution_follows_each_change(company, world):
    check = sessions.session_distribution(world.session)
    assert {r.code: r.count for r in check.rows} == {"S": 0, "A": 1, "B": 2, "C": 0, "D": 0}
    result = world.result(company.indirect)
    sessions.grade_adjust(
        actor=company.hr,
        session=world.session,
        result=result,
        grade="C",
        reason=REASON,
        expected_version=result.version,
    )
    check = sessions.session_distribution(world.session)
    assert {r.code: r.count for r in check.rows}["C"] == 1


def test_rater_notes_name_peers_to_hr_only(company, world):
    for_hr = sessions.rater_notes(world.session, viewer=company.hr)
    notes = for_hr[company.direct.pk]
    lenient = [n for n in notes if n.flag == "lenient"]
    assert [(n.source, n.reviewer_name) for n in lenient] == [("peer", "Lenny Lenient")]
    assert "Lenny Lenient" in lenient[0].text
    assert company.stranger.pk not in for_hr  # not in this session
    for_calibrator = sessions.rater_notes(world.session, viewer=company.user("stranger"))
    notes = for_calibrator[company.direct.pk]
    assert notes and all(n.reviewer_id is None and n.reviewer_name == "" for n in notes)
    assert "rated by a lenient rater: a peer" in [n.text for n in notes]
    assert not any("Lenny" in n.text or "Fair" in n.text for n in notes)


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ("SABCD", {"S": "high", "A": "high", "B": "medium", "C": "low", "D": "low"}),
        ("ABC", {"A": "high", "B": "medium", "C": "low"}),
        ("ABCD", {"A": "high", "B": "medium", "C": "medium", "D": "low"}),
        ("AB", {"A": "high", "B": "low"}),
        ("A", {"A": "medium"}),
    ],
)
def test_performance_thirds_of_the_grade_scale(codes, expected):
    assert sessions.performance_levels(list(codes)) == expected


def test_ninebox_places_people_by_grade_and_potential(company, world):
    session = world.session
    for employee, potential in ((company.manager, "high"), (company.direct, "low")):
        result = world.result(employee)
        sessions.potential_set(
            actor=company.hr,
            session=session,
            result=result,
            potential=potential,
            reason=REASON,
            expected_version=result.version,
        )
    grid = sessions.ninebox(session)
    star = grid.box("high", "high")
    assert [r.employee.name for r in star.people] == ["Mia Manager"]
    assert star.kind.zh == "明星" and star.kind.label == "Star"
    assert [r.employee.name for r in grid.box("medium", "low").people] == ["Dan Direct"]
    assert [r.employee.name for r in grid.unrated] == ["Ivy Indirect"]
    assert sum(len(b.people) for b in grid.boxes) == 2
    assert [b.kind.label for b in grid.rows[1]] == [
        "Inconsistent player",
        "Core player",
        "High performer",
    ]


def test_nobody_calibrates_their_own_result(company):
    from decimal import Decimal

    from django.utils import timezone

    from perfcycle.calibration.models import Result
    from perfcycle.calibration.results import results_prepare
    from perfcycle.calibration.sessions import grade_adjust, session_create
    from perfcycle.core.errors import Forbidden
    from perfcycle.cycles.models import Cycle, Phase
    from perfcycle.cycles.services import grade_scale_default
    from perfcycle.evaluation.models import ScoreResult
    from tests.factories import CycleFactory

    cycle = CycleFactory(phase=Phase.CALIBRATION, participants=[company.manager, company.direct])
    Cycle.objects.filter(pk=cycle.pk).update(grade_scale=grade_scale_default(actor=company.hr))
    cycle.refresh_from_db()
    for person in (company.manager, company.direct):
        ScoreResult.objects.create(
            cycle=cycle,
            employee=person,
            overall_score=Decimal(90),
            grade="A",
            computed_at=timezone.now(),
        )
    results_prepare(actor=company.hr, cycle=cycle)
    session = session_create(
        actor=company.hr,
        cycle=cycle,
        name="Self-check",
        scope="company",
        calibrators=[company.manager],
    )
    own = Result.objects.get(cycle=cycle, employee=company.manager)
    with pytest.raises(Forbidden):
        grade_adjust(
            actor=company.user("manager"),
            session=session,
            result=own,
            grade="S",
            reason="I did very well this quarter",
            expected_version=own.version,
        )
    other = Result.objects.get(cycle=cycle, employee=company.direct)
    grade_adjust(
        actor=company.user("manager"),
        session=session,
        result=other,
        grade="B",
        reason="Compared with the rest of the team",
        expected_version=other.version,
    )

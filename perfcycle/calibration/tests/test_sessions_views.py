"""Calibration session pages: who may see them, inline changes with a reason, conflicts,
the locked session, lock / sign-off buttons, the 9-box, and a constant number of
queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.calibration import sessions
from perfcycle.calibration.models import Adjustment, CalibrationSession, Result, SessionStatus
from perfcycle.calibration.tests.test_sessions_data import session_world

REASON = "Delivered the Q1 launch alone."


@pytest.fixture
def world(company):
    return session_world(company)


def _url(name, world, **kwargs):
    return reverse(f"calibration:{name}", kwargs={"pk": world.session.pk, **kwargs})


def test_who_may_see_the_session_page(company, world, as_user):
    for name in ("hr_person", "stranger"):  # HR; a calibrator who manages nobody there
        response = as_user(company.user(name)).get(_url("session", world))
        assert response.status_code == 200
        assert "Dan Direct" in response.content.decode()
    for name in ("manager", "indirect"):  # a non-calibrator manager; an employee
        client = as_user(company.user(name))
        assert client.get(_url("session", world)).status_code == 404
        assert client.get(_url("session_ninebox", world)).status_code == 404
        result = world.result(company.direct)
        response = client.post(
            _url("session_adjust", world),
            {"result": result.pk, "grade": "A", "reason": REASON, "version": result.version},
        )
        assert response.status_code == 404
    assert not Adjustment.objects.exists()


def test_session_list_for_hr_and_calibrators(company, world, as_user):
    url = reverse("calibration:sessions", kwargs={"cycle_pk": world.cycle.pk})
    body = as_user(company.hr).get(url).content.decode()
    assert "Sales" in body and 'name="calibrators"' in body
    body = as_user(company.user("stranger")).get(url).content.decode()
    assert "Sales" in body and 'name="calibrators"' not in body
    assert as_user(company.user("manager")).get(url).status_code == 404
    response = as_user(company.user("stranger")).post(url, {"name": "Mine", "scope": "company"})
    assert response.status_code == 403


def test_hr_creates_a_session(company, world, as_user):
    url = reverse("calibration:sessions", kwargs={"cycle_pk": world.cycle.pk})
    response = as_user(company.hr).post(
        url, {"name": "Everyone", "scope": "company", "calibrators": [company.top.pk]}
    )
    session = CalibrationSession.objects.get(name="Everyone")
    assert response.status_code == 302 and response.url == reverse(
        "calibration:session", kwargs={"pk": session.pk}
    )
    assert session.members.count() == 5
    response = as_user(company.hr).post(
        url, {"name": "Nobody", "scope": "level", "level": "Z9", "calibrators": [company.top.pk]}
    )
    assert response.status_code == 400
    assert "Nobody with a result is in this scope" in response.content.decode()


def test_a_calibrator_changes_a_grade_inline_and_the_distribution_follows(company, world, as_user):
    client = as_user(company.user("stranger"))
    result = world.result(company.indirect)
    response = client.post(
        _url("session_adjust", world),
        {"result": result.pk, "grade": "C", "reason": REASON, "version": result.version},
    )
    assert response.status_code == 302
    assert response.url.endswith(f"#result-{result.pk}")
    assert Result.objects.get(pk=result.pk).grade == "C"
    response = client.get(_url("session", world))
    body = response.content.decode()
    rows = {r.row.code: r.row.count for r in map(_Row, response.context["distribution_rows"])}
    assert rows == {"S": 0, "A": 1, "B": 1, "C": 1, "D": 0}
    assert REASON in body and "B → C" in body
    assert "Ivy Indirect: grade changed to C." in body


class _Row:
    def __init__(self, item):
        self.row = item["row"]


def test_a_change_without_reason_rerenders_with_the_message(company, world, as_user):
    result = world.result(company.direct)
    response = as_user(company.hr).post(
        _url("session_adjust", world),
        {"result": result.pk, "grade": "A", "reason": "short", "version": result.version},
    )
    assert response.status_code == 422
    assert "at least 10 characters" in response.content.decode()
    assert Result.objects.get(pk=result.pk).grade == "B"


def test_a_stale_version_rerenders_with_a_conflict_and_the_current_value(company, world, as_user):
    result = world.result(company.direct)
    sessions.grade_adjust(
        actor=company.hr,
        session=world.session,
        result=world.result(company.direct),
        grade="S",
        reason=REASON,
        expected_version=result.version,
    )
    response = as_user(company.user("stranger")).post(
        _url("session_adjust", world),
        {
            "result": result.pk,
            "grade": "C",
            "reason": "My own reason here.",
            "version": result.version,
        },
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Somebody else changed Dan Direct in the meantime: the grade is now S." in body
    assert 'value="My own reason here."' in body
    assert Result.objects.get(pk=result.pk).grade == "S"


def test_potential_from_the_page(company, world, as_user):
    result = world.result(company.direct)
    response = as_user(company.user("stranger")).post(
        _url("session_potential", world),
        {"result": result.pk, "potential": "high", "reason": REASON, "version": result.version},
    )
    assert response.status_code == 302
    assert Result.objects.get(pk=result.pk).potential == "high"


def test_locked_session_has_no_change_forms_and_refuses_posts(company, world, as_user):
    hr = as_user(company.hr)
    assert hr.post(_url("session_lock", world)).status_code == 302
    assert CalibrationSession.objects.get(pk=world.session.pk).status == SessionStatus.LOCKED
    body = hr.get(_url("session", world)).content.decode()
    assert "session-change" not in body and "Sign off" in body
    result = world.result(company.direct)
    response = hr.post(
        _url("session_adjust", world),
        {"result": result.pk, "grade": "A", "reason": REASON, "version": result.version},
    )
    assert response.status_code == 400
    assert "This session is locked" in response.content.decode()
    # Strict guideline, off it: sign-off refused with the grades named.
    response = as_user(company.user("stranger")).post(_url("session_sign_off", world), follow=True)
    assert "strict and this session is outside it" in response.content.decode()
    assert CalibrationSession.objects.get(pk=world.session.pk).status == SessionStatus.LOCKED
    # A calibrator may not lock or unlock.
    client = as_user(company.user("stranger"))
    assert client.post(_url("session_unlock", world), {"reason": REASON}).status_code == 403
    response = hr.post(_url("session_unlock", world), {"reason": REASON})
    assert response.status_code == 302
    assert CalibrationSession.objects.get(pk=world.session.pk).status == SessionStatus.OPEN


def test_peer_reviewers_are_named_to_hr_only(company, world, as_user):
    hr_body = as_user(company.hr).get(_url("session", world)).content.decode()
    assert "rated by a lenient rater: Lenny Lenient (a peer)" in hr_body
    body = as_user(company.user("stranger")).get(_url("session", world)).content.decode()
    assert "rated by a lenient rater: a peer" in body
    assert "Lenny" not in body and "Fair 0" not in body


def test_ninebox_page(company, world, as_user):
    result = world.result(company.manager)
    sessions.potential_set(
        actor=company.hr,
        session=world.session,
        result=result,
        potential="high",
        reason=REASON,
        expected_version=result.version,
    )
    response = as_user(company.user("stranger")).get(_url("session_ninebox", world))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Star" in body and "<svg" in body
    star = response.context["grid"].box("high", "high")
    assert [r.employee.name for r in star.people] == ["Mia Manager"]
    assert "Potential not rated" in body and "Ivy Indirect" in body


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["session", "session_ninebox"])
def test_constant_queries_whatever_the_size(company, as_user, django_assert_num_queries, page):
    small = session_world(company, extra=1)
    client = as_user(company.user("stranger"))
    url = reverse(f"calibration:{page}", kwargs={"pk": small.session.pk})
    client.get(url)  # the first look stores the cycle's rater flags (two queries more)
    unchanged = _queries(client, url)
    result = small.result(company.direct)
    sessions.grade_adjust(
        actor=company.hr,
        session=small.session,
        result=result,
        grade="A",
        reason=REASON,
        expected_version=result.version,
    )
    count = _queries(client, url)
    # The session page reads its changes only when its people count some.
    assert count == unchanged + (page == "session")
    big = session_world_again(company, small, extra=12)
    url = reverse(f"calibration:{page}", kwargs={"pk": big.pk})
    with django_assert_num_queries(count):
        assert client.get(url).status_code == 200


def session_world_again(company, world, *, extra):
    """A second session in the same cycle with more people and adjustments."""
    from perfcycle.calibration.models import Result as R
    from perfcycle.calibration.models import SessionMember
    from tests.factories import EmployeeFactory

    more = [
        EmployeeFactory(name=f"More {i:03d}", manager=company.manager, department=company.sales)
        for i in range(extra)
    ]
    R.objects.bulk_create(
        [
            R(
                cycle=world.cycle,
                employee=e,
                department=company.sales,
                grade="C",
                computed_grade="C",
            )
            for e in more
        ]
    )
    session = sessions.session_create(
        actor=company.hr,
        cycle=world.cycle,
        name="Bigger",
        scope="company",
        calibrators=[company.stranger],
    )
    assert SessionMember.objects.filter(session=session).count() == 6 + extra
    for result in R.objects.filter(employee__in=more)[:3]:
        sessions.grade_adjust(
            actor=company.hr,
            session=session,
            result=result,
            grade="B",
            reason=REASON,
            expected_version=result.version,
        )
    return session

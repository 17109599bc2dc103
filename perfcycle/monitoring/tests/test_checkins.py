"""Check-ins: scheduling and requests, agenda, notes, goal confidence, action items."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import DomainError, Forbidden, ValidationFailed
from perfcycle.monitoring import checkins
from perfcycle.monitoring.coaching import open_action_items, visible_checkins
from perfcycle.monitoring.models import CheckInStatus
from perfcycle.monitoring.tests.conftest import soon
from perfcycle.planning.models import KeyResult
from tests.factories import GoalFactory


def test_manager_schedules_and_both_add_to_the_agenda(company):
    checkin = checkins.checkin_schedule(
        actor=company.user("manager"),
        employee=company.direct,
        scheduled_for=soon(),
        agenda=["Pipeline", " "],
    )
    assert checkin.status == CheckInStatus.SCHEDULED
    assert checkin.manager == company.manager
    checkins.agenda_item_add(actor=company.user("direct"), checkin=checkin, text="My training")
    assert [a.text for a in checkin.agenda.all()] == ["Pipeline", "My training"]
    with pytest.raises(ValidationFailed):
        checkins.agenda_item_add(actor=company.user("direct"), checkin=checkin, text="  ")


def test_skip_level_manager_is_the_manager_side(company):
    checkin = checkins.checkin_schedule(
        actor=company.user("manager"), employee=company.indirect, scheduled_for=soon()
    )
    assert checkin.manager == company.manager
    by_hr = checkins.checkin_schedule(
        actor=company.hr, employee=company.indirect, scheduled_for=soon()
    )
    assert by_hr.manager == company.direct


def test_employee_requests_and_manager_confirms(company):
    checkin = checkins.checkin_request(
        actor=company.user("direct"), employee=company.direct, topic="Career"
    )
    assert checkin.status == CheckInStatus.REQUESTED
    assert checkin.manager == company.manager
    with pytest.raises(Forbidden):
        checkins.checkin_confirm(
            actor=company.user("direct"), checkin=checkin, scheduled_for=soon()
        )
    when = soon(3)
    checkins.checkin_confirm(
        actor=company.user("manager"), checkin=checkin, scheduled_for=when, expected_version=1
    )
    checkin.refresh_from_db()
    assert checkin.status == CheckInStatus.SCHEDULED
    assert checkin.scheduled_for == when


def test_top_has_no_manager_to_request(company):
    with pytest.raises(ValidationFailed):
        checkins.checkin_request(actor=company.user("top"), employee=company.top)


def test_private_notes_only_by_managers_and_not_in_the_audit_trail(company):
    checkin = checkins.checkin_schedule(
        actor=company.user("manager"), employee=company.direct, scheduled_for=soon()
    )
    with pytest.raises(Forbidden):
        checkins.checkin_update_notes(
            actor=company.user("direct"), checkin=checkin, private_notes="peek"
        )
    checkins.checkin_update_notes(
        actor=company.user("direct"), checkin=checkin, shared_notes="We talked about Q2"
    )
    checkins.checkin_update_notes(
        actor=company.user("manager"), checkin=checkin, private_notes="Flight risk"
    )
    checkin.refresh_from_db()
    assert checkin.shared_notes == "We talked about Q2"
    assert checkin.private_notes == "Flight risk"
    trail = [str(e.before) + str(e.after) for e in AuditEvent.objects.for_object(checkin)]
    assert not any("Flight risk" in t for t in trail)


def test_goal_confidence_and_okr_key_results(company, cycle, goal):
    checkin = checkins.checkin_schedule(
        actor=company.user("manager"), employee=company.direct, scheduled_for=soon()
    )
    note = checkins.goal_checkin_record(
        actor=company.user("direct"), checkin=checkin, goal=goal, comment="On track", confidence=7
    )
    again = checkins.goal_checkin_record(
        actor=company.user("manager"), checkin=checkin, goal=goal, comment="Maybe", confidence=5
    )
    assert note.pk == again.pk and again.confidence == 5
    with pytest.raises(ValidationFailed):
        checkins.goal_checkin_record(
            actor=company.user("manager"), checkin=checkin, goal=goal, confidence=11
        )
    okr = GoalFactory(cycle=cycle, employee=company.direct, kind="okr", target=None, weight=0)
    KeyResult.objects.create(goal=okr, title="Churn", target=D(5))
    checkins.goal_checkin_record(
        actor=company.user("manager"), checkin=checkin, goal=okr, confidence=3
    )
    assert list(KeyResult.objects.filter(goal=okr).values_list("confidence", flat=True)) == [3]
    other = GoalFactory(cycle=cycle, employee=company.stranger)
    with pytest.raises(ValidationFailed):
        checkins.goal_checkin_record(actor=company.user("manager"), checkin=checkin, goal=other)


def test_action_items_carry_over_until_done(company):
    manager = company.user("manager")
    first = checkins.checkin_schedule(actor=manager, employee=company.direct, scheduled_for=soon())
    item = checkins.action_item_create(
        actor=manager, checkin=first, text="Call ACME", owner=company.direct
    )
    mine = checkins.action_item_create(
        actor=manager, checkin=first, text="Book budget", owner=company.manager
    )
    with pytest.raises(ValidationFailed):
        checkins.action_item_create(actor=manager, checkin=first, text="x", owner=company.stranger)
    checkins.checkin_mark_held(actor=manager, checkin=first)
    second = checkins.checkin_schedule(
        actor=manager, employee=company.direct, scheduled_for=soon(8)
    )
    carried = open_action_items(
        employee=company.direct, manager=company.manager, exclude_checkin=second
    )
    assert set(carried) == {item, mine}
    checkins.action_item_set_done(actor=company.user("direct"), item=item)
    assert list(open_action_items(employee=company.direct, manager=company.manager)) == [mine]
    assert AuditEvent.objects.for_object(item).filter(action="update").count() == 1
    # Another pair's items do not carry over here.
    assert not open_action_items(employee=company.indirect).exists()


def test_held_only_once_and_closed_check_ins_do_not_change(company):
    manager = company.user("manager")
    checkin = checkins.checkin_schedule(
        actor=manager, employee=company.direct, scheduled_for=soon()
    )
    checkins.checkin_mark_held(actor=manager, checkin=checkin)
    assert checkin.status == CheckInStatus.DONE and checkin.held_at
    with pytest.raises(DomainError):
        checkins.checkin_mark_held(actor=manager, checkin=checkin)
    with pytest.raises(DomainError):
        checkins.agenda_item_add(actor=manager, checkin=checkin, text="late")
    # Notes may still be written up after it was held.
    checkins.checkin_update_notes(actor=manager, checkin=checkin, shared_notes="Summary")


def test_who_sees_check_ins(company):
    checkin = checkins.checkin_schedule(
        actor=company.user("manager"), employee=company.direct, scheduled_for=soon()
    )
    for name in ("manager", "direct", "top", "hr_person"):
        assert checkin in visible_checkins(company.user(name)), name
    for name in ("stranger", "indirect"):
        assert checkin not in visible_checkins(company.user(name)), name


def test_the_list_comes_a_page_at_a_time(company, as_user, monkeypatch):
    from perfcycle.core import pages

    for person in (company.direct, company.indirect):
        checkins.checkin_schedule(
            actor=company.user("manager"), employee=person, scheduled_for=soon(), agenda=[]
        )
    monkeypatch.setattr(pages, "LIST_PAGE_SIZE", 1)
    client = as_user(company.user("manager"))
    seen = []
    for number in (1, 2):
        html = client.get("/monitor/checkins/", {"show": "open", "page": number}).content.decode()
        assert f"Page {number} of 2" in html
        seen += [p.name for p in (company.direct, company.indirect) if p.name in html]
        if number == 1:
            assert 'href="?show=open&amp;page=2"' in html  # the filter kept
    assert sorted(seen) == sorted([company.direct.name, company.indirect.name])

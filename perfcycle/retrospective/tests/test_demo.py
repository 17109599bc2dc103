"""The demo closes the loop: two closed history quarters built through the services,
last quarter's retrospective answered and its target proposals generated — then HR's
done-when path through the pages and the API: approve, close, roll over. Also the
``cycle_close`` service on its own."""

from __future__ import annotations

import datetime as dt
import io
import time
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from perfcycle.access.policy import Action
from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditEvent
from perfcycle.calibration.models import Result
from perfcycle.core.errors import DomainError, Forbidden
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.demo import demo_load
from perfcycle.evaluation.models import ScoreResult
from perfcycle.insights.health import health, visible_cycles
from perfcycle.insights.reach import reach_for
from perfcycle.insights.trends import person_trend
from perfcycle.org.models import Employee
from perfcycle.planning.models import Goal
from perfcycle.retrospective import services, targets
from perfcycle.retrospective.models import (
    ProposalStatus,
    RetroResponse,
    RetroSettings,
    RollOver,
    TargetProposal,
)

API = "/api/v1"
SALES = [f"E0{n}" for n in range(11, 21)]


@pytest.fixture
def demo(db):
    started = time.monotonic()
    demo_load(stdout=io.StringIO())
    print(f"demo load {time.monotonic() - started:.1f} s")
    return Cycle.objects.get(phase=Phase.RESULTS)


def login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def test_history_quarters_are_closed_with_released_stored_results(demo):
    history = list(Cycle.objects.filter(start_date__lt=demo.start_date).order_by("start_date"))
    assert len(history) == 2 and all(c.phase == Phase.CLOSED for c in history)
    assert history[1].end_date + dt.timedelta(days=1) == demo.start_date
    for cycle in history:
        stored = dict(
            ScoreResult.objects.filter(cycle=cycle).values_list("employee_id", "overall_score")
        )
        results = Result.objects.filter(cycle=cycle)
        assert results.count() == len(stored) == cycle.participants.count()
        assert all(r.released_at is not None for r in results)
        assert all(r.computed_score == stored[r.employee_id] for r in results)
        settings = RetroSettings.objects.get(cycle=cycle)
        assert settings.closes_on < timezone.localdate()  # their retrospectives are over
        assert RetroResponse.objects.filter(cycle=cycle).count() == 8


def test_trends_and_process_health_show_three_quarters(demo):
    hr = User.objects.get(username="hr")
    zhang = Employee.objects.get(employee_number="E011")
    points = person_trend(viewer=hr, employee=zhang).points
    assert len(points) == 3 and points[-1].cycle_id == demo.pk
    scores = [p.score for p in points]
    assert scores[0] < scores[1]  # trending up
    zhao = person_trend(viewer=hr, employee=Employee.objects.get(employee_number="E014"))
    assert [m.text for m in zhao.points[-1].training] == ["高效客户沟通"]
    assert zhao.points[-1].attainment > zhao.points[-2].attainment
    rows = health(reach=reach_for(hr, Action.PROCESS_HEALTH_VIEW), cycles=visible_cycles())
    names = [r.cycle_name for r in rows]
    assert len([r for r in rows if r.start_date <= demo.start_date]) == 3, names


def test_last_quarter_new_customers_is_flagged_with_a_proposal(demo):
    found = {a.code: a for a in targets.analyse(demo).indicators}
    customers = found["NEW_CUSTOMERS"]
    assert customers.flag == targets.FLAG_TOO_HIGH
    assert D(17) <= customers.proposed_target <= D(18)
    proposal = TargetProposal.objects.get(cycle=demo, indicator__code="NEW_CUSTOMERS")
    assert proposal.status == ProposalStatus.PROPOSED
    assert proposal.evidence["rule"] == "persistent_miss"
    cycles = [c["cycle"] for c in proposal.evidence["cycles"]]
    assert len(cycles) == 3 and cycles[-1] == demo.name
    for name in cycles:
        assert name in proposal.reasoning
    # Sales was mostly missed too, but the answers say it was about right.
    assert found["SALES_AMOUNT"].flag == ""
    assert not RetroResponse.objects.filter(cycle=demo, employee__employee_number="E011").exists()


def test_done_when_approve_close_roll_over_and_zhang_answers(demo, client):
    hr = login(client, "hr")
    proposal = TargetProposal.objects.get(cycle=demo, indicator__code="NEW_CUSTOMERS")
    response = hr.post(
        f"{API}/target-proposals/{proposal.pk}/approve",
        {"version": proposal.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    approved = D(response.json()["approved_target"])
    assert approved == proposal.proposed_target
    page = hr.get(reverse("retrospective:home"))
    assert reverse("retrospective:close", args=[demo.pk]).encode() in page.content
    response = hr.post(reverse("retrospective:close", args=[demo.pk]))
    assert response.status_code == 302
    demo.refresh_from_db()
    assert demo.phase == Phase.CLOSED
    assert RetroSettings.objects.filter(cycle=demo).count() == 1  # the one already open
    response = hr.post(f"{API}/cycles/{demo.pk}/roll-over", {}, content_type="application/json")
    assert response.status_code == 201, response.content
    new = RollOver.objects.get(source=demo).target
    assert new.phase == Phase.PLANNING
    assert new.start_date == dt.date(demo.start_date.year + 1, 1, 1)
    goals = Goal.objects.filter(cycle=new, indicator__code="NEW_CUSTOMERS")
    assert sorted(goals.values_list("employee__employee_number", flat=True)) == SALES
    assert {g.target for g in goals} == {approved}

    zhang = login(client, "employee")
    own = Goal.objects.filter(cycle=demo, employee__employee_number="E011")
    body = {"clarity": 3, "fairness": 4, "coaching": 4, "verdicts": {}}
    body["verdicts"] = {str(g.pk): "too_high" for g in own}
    response = zhang.post(
        f"{API}/cycles/{demo.pk}/retrospective/answers", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert RetroResponse.objects.filter(cycle=demo, employee__employee_number="E011").exists()


# cycle_close on its own ----------------------------------------------------------------


def test_cycle_close_opens_the_retrospective_in_one_audited_step(demo, client):
    hr = User.objects.get(username="hr")
    RetroSettings.objects.filter(cycle=demo).delete()
    with pytest.raises(Forbidden):
        services.cycle_close(actor=User.objects.get(username="manager"), cycle=demo)
    report = services.cycle_close(actor=hr, cycle=demo)
    demo.refresh_from_db()
    assert demo.phase == Phase.CLOSED and report.opened
    assert report.settings.closes_on == timezone.localdate() + dt.timedelta(days=14)
    assert AuditEvent.objects.filter(object_type="retrospective.retrosettings").exists()
    with pytest.raises(DomainError) as exc:
        services.cycle_close(actor=hr, cycle=demo)
    assert exc.value.code == "wrong_phase"


def test_close_api_wrong_phase_forbidden_and_stale(demo, client):
    url = f"{API}/cycles/{demo.pk}/close"
    manager = login(client, "manager")
    assert manager.post(url, {}, content_type="application/json").status_code == 403
    hr = login(client, "hr")
    stale = hr.post(url, {"version": demo.version - 1}, content_type="application/json")
    assert stale.status_code == 409
    demo.refresh_from_db()
    assert demo.phase == Phase.RESULTS
    ok = hr.post(url, {"version": demo.version}, content_type="application/json")
    assert ok.status_code == 200, ok.content
    data = ok.json()
    assert data["phase"] == "closed" and data["retrospective_opened"] is False
    again = hr.post(url, {}, content_type="application/json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "wrong_phase"


def test_the_history_quarters_messages_arrive_read(db, django_capture_on_commit_callbacks):
    """Sent on commit like every notification, the history quarters' messages are then
    marked read; last quarter's retrospective invitation stays new."""
    from perfcycle.notifications.models import Notification, NotificationKind

    with django_capture_on_commit_callbacks(execute=True):
        demo_load(stdout=io.StringIO())
    previous = Cycle.objects.get(phase=Phase.RESULTS)
    history = Cycle.objects.filter(start_date__lt=previous.start_date)
    mine = Notification.objects.filter(user__username="employee")
    old = mine.filter(
        kind__in=[NotificationKind.RESULT_RELEASED, NotificationKind.RETROSPECTIVE],
        url__contains=f"/{history[0].pk}/",
    )
    assert mine.filter(kind=NotificationKind.RETROSPECTIVE).count() == 3
    assert (
        not mine.filter(kind=NotificationKind.RETROSPECTIVE, read_at__isnull=True)
        .exclude(dedupe_key=f"retrospective-opened:{previous.pk}")
        .exists()
    )
    assert mine.get(dedupe_key=f"retrospective-opened:{previous.pk}").read_at is None
    unread_results = mine.filter(kind=NotificationKind.RESULT_RELEASED, read_at__isnull=True)
    assert unread_results.count() == 1  # last quarter's
    assert old.filter(read_at__isnull=True).count() == 0

"""Concurrent edits of the four things people edit side by side: a goal, a review form, a
calibration entry (a person's result in a calibration session) and a bonus line.

Each save carries the version its editor read; a save of an older version is a conflict
and writes nothing — no value, no version, no audit event. On PostgreSQL two threads,
each with its own connection, read the same version and save different changes at the
same moment: exactly one wins, the row holds exactly its change at the next version, and
only it is audited. On both databases a stale page post re-shows the form with a message
and what was typed, and a stale API call answers 409 with the version stored now.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import connection, connections
from django.urls import reverse

from perfcycle.audit.models import AuditAction, AuditEvent
from perfcycle.calibration import sessions
from perfcycle.calibration.models import Adjustment, Result
from perfcycle.calibration.tests.test_sessions_data import session_world
from perfcycle.core.errors import DomainError
from perfcycle.evaluation import reviews
from perfcycle.evaluation.models import FormStatus, Rating, ReviewForm
from perfcycle.evaluation.tests.test_form_pages import Setup, build, post_form
from perfcycle.planning import services as planning
from perfcycle.planning.models import Goal, OwnerType
from perfcycle.planning.tests.test_views import goal_post
from perfcycle.rewards import services as rewards
from perfcycle.rewards.models import BonusLine
from perfcycle.rewards.tests.conftest import build_world, make_plan
from tests.factories import planning_quarter

JSON = "application/json"
REASON = "Delivered the Q1 launch alone."

only_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads need concurrent writers: SQLite has one writer at a time and the test "
    "database is in memory, which other connections do not see",
)


# Helpers ---------------------------------------------------------------------------------


Edit = Callable[[Callable[[], Any]], Any]


def race(*edits: Edit) -> list[str]:
    """Run each edit in its own thread (its own connection). An edit reads, calls the
    ``ready`` it is given — every thread waits there until all have read — and saves.
    Returns "ok" or the error code of each edit, in order."""
    barrier = threading.Barrier(len(edits), timeout=30)
    outcomes: list[str] = ["not run"] * len(edits)

    def run(index: int, edit: Edit) -> None:
        try:
            edit(barrier.wait)
            outcomes[index] = "ok"
        except DomainError as exc:
            outcomes[index] = exc.code
        except BaseException as exc:  # reported, so the assertion shows it
            barrier.abort()
            outcomes[index] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, e)) for i, e in enumerate(edits)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def winner_of(outcomes: list[str]) -> int:
    """Exactly one save succeeded and the other was a conflict: the winner's index."""
    assert sorted(outcomes) == ["conflict", "ok"], outcomes
    return outcomes.index("ok")


def updates_of(instance: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type=instance._meta.label_lower,
            object_id=str(instance.pk),
            action=AuditAction.UPDATE,
        ).order_by("pk")
    )


def call(client: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(f"/api/v1{path}", body, content_type=JSON)


def conflict_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "conflict"
    return error


def page(response: Any) -> str:
    return response.content.decode()


# The four objects ------------------------------------------------------------------------


def direct_goal(company: Any) -> Goal:
    """Dan Direct's draft KPI: 20 new customers, weight 100."""
    return planning.goal_create(
        actor=company.hr,
        cycle=planning_quarter(company),
        owner_type=OwnerType.EMPLOYEE,
        employee=company.direct,
        title="New customers",
        weight=D(100),
        target=D(20),
    )


def direct_line(company: Any) -> BonusLine:
    """Dan Direct's line of a computed plan, with room in the budget either way."""
    world = build_world(company)
    plan = make_plan(company, world, budget=D(1000000))
    rewards.plan_compute(actor=company.hr, plan=plan)
    return BonusLine.objects.get(plan=plan, employee=company.direct)


def ratings_of(form: ReviewForm) -> dict[int, tuple[int, str]]:
    return {r.item_id: (r.value, r.comment) for r in Rating.objects.filter(form=form)}


# Threads on PostgreSQL --------------------------------------------------------------------


@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_people_save_one_goal_at_once(company):
    goal = direct_goal(company)
    start = goal.version
    editors = [(company.hr, D(25)), (company.user("manager"), D(30))]

    def edit(actor: Any, target: D) -> Edit:
        def save(ready: Callable[[], Any]) -> None:
            mine = Goal.objects.select_related("cycle", "sheet").get(pk=goal.pk)
            ready()
            planning.goal_update(
                actor=actor, goal=mine, expected_version=mine.version, target=target
            )

        return save

    outcomes = race(*(edit(actor, target) for actor, target in editors))
    winner, target = editors[winner_of(outcomes)]
    goal.refresh_from_db()
    assert (goal.target, goal.version) == (target, start + 1)
    assert goal.weight == D(100) and goal.title == "New customers"
    [event] = updates_of(goal)
    assert event.actor_id == winner.pk
    assert event.after == {"target": str(target)}


@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_goal_edit_and_a_weights_change_at_once_never_reuse_a_version(company):
    """The sheet's weights and a goal's own edit queue up on the sheet's row: whichever
    order they take, no version is handed out twice and each success is one audit event
    (the weights change used to write the version it had read plus one, whatever had
    been saved since)."""
    goal = direct_goal(company)
    start = goal.version
    sheet_id = goal.sheet_id

    def edit_goal(ready: Callable[[], Any]) -> None:
        mine = Goal.objects.select_related("cycle", "sheet").get(pk=goal.pk)
        ready()
        planning.goal_update(
            actor=company.hr, goal=mine, expected_version=mine.version, weight=D(60)
        )

    def set_weights(ready: Callable[[], Any]) -> None:
        sheet = Goal.objects.select_related("sheet__cycle").get(pk=goal.pk).sheet
        ready()
        planning.sheet_set_weights(
            actor=company.user("manager"),
            sheet=sheet,
            weights={goal.pk: D(70)},
            expected_version=sheet.version,
        )

    outcomes = race(edit_goal, set_weights)
    assert set(outcomes) <= {"ok", "conflict"} and "ok" in outcomes, outcomes
    successes = outcomes.count("ok")
    goal.refresh_from_db()
    assert goal.version == start + successes
    assert len(updates_of(goal)) == successes
    assert goal.sheet_id == sheet_id
    # The last success is what is stored: the weights change if it succeeded (it runs
    # second when both do, as the goal edit would otherwise have found a newer version).
    assert goal.weight == (D(70) if outcomes[1] == "ok" else D(60))


@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_tabs_save_one_review_form_at_once(company):
    s: Setup = build(company)
    start = s.form.version
    first, second = s.items
    drafts = [
        ({first.pk: 4, second.pk: 3}, {first.pk: "Tab one"}, "Summary one"),
        ({first.pk: 2, second.pk: 5}, {first.pk: "Tab two"}, "Summary two"),
    ]

    def edit(ratings: dict[int, int], comments: dict[int, str], summary: str) -> Edit:
        def save(ready: Callable[[], Any]) -> None:
            mine = ReviewForm.objects.select_related("cycle__template").get(pk=s.form.pk)
            ready()
            reviews.review_save(
                actor=company.user("stranger"),
                form=mine,
                expected_version=mine.version,
                ratings=ratings,
                comments=comments,
                summary=summary,
            )

        return save

    outcomes = race(*(edit(*d) for d in drafts))
    index = winner_of(outcomes)
    ratings, comments, summary = drafts[index]
    _lost_ratings, lost_comments, lost_summary = drafts[1 - index]
    form = ReviewForm.objects.get(pk=s.form.pk)
    assert (form.version, form.status, form.summary) == (start + 1, FormStatus.DRAFT, summary)
    assert ratings_of(form) == {
        first.pk: (ratings[first.pk], comments[first.pk]),
        second.pk: (ratings[second.pk], ""),
    }
    assert not Rating.objects.filter(comment=lost_comments[first.pk]).exists()
    assert not ReviewForm.objects.filter(summary=lost_summary).exists()
    [event] = updates_of(form)
    assert event.after == {"status": FormStatus.DRAFT, "version": start + 1}


@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_calibrators_change_one_result_at_once(company):
    world = session_world(company)
    result = world.result(company.direct)
    start, before = result.version, result.grade
    changes = [
        (company.hr, "A", "Led the launch of the new product line."),
        (company.user("stranger"), "C", "Missed the two biggest deadlines."),
    ]

    def edit(actor: Any, grade: str, reason: str) -> Edit:
        def save(ready: Callable[[], Any]) -> None:
            mine = Result.objects.get(pk=result.pk)
            ready()
            sessions.grade_adjust(
                actor=actor,
                session=world.session,
                result=mine,
                grade=grade,
                reason=reason,
                expected_version=mine.version,
            )

        return save

    outcomes = race(*(edit(*c) for c in changes))
    winner, grade, reason = changes[winner_of(outcomes)]
    result.refresh_from_db()
    assert (result.grade, result.version) == (grade, start + 1)
    [adjustment] = Adjustment.objects.filter(result=result)
    assert (adjustment.before, adjustment.after, adjustment.reason) == (before, grade, reason)
    assert adjustment.by_id == winner.pk
    [event] = updates_of(result)
    assert event.actor_id == winner.pk and event.reason == reason
    assert event.after == {"grade": grade, "session": world.session.pk}


@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_people_adjust_one_bonus_line_at_once(company):
    line = direct_line(company)
    start, amount = line.version, line.amount
    changes = [
        (company.hr, D(100), "A strong finish to the year."),
        (company.user("manager"), D(-200), "Slow start, missed targets."),
    ]

    def edit(actor: Any, delta: D, reason: str) -> Edit:
        def save(ready: Callable[[], Any]) -> None:
            mine = BonusLine.objects.select_related("plan").get(pk=line.pk)
            ready()
            rewards.line_adjust(
                actor=actor,
                line=mine,
                adjustment=delta,
                reason=reason,
                expected_version=mine.version,
            )

        return save

    outcomes = race(*(edit(*c) for c in changes))
    winner, delta, reason = changes[winner_of(outcomes)]
    line.refresh_from_db()
    assert (line.version, line.adjustment, line.reason) == (start + 1, delta, reason)
    assert line.final_amount == amount + delta and line.adjusted_by_id == winner.pk
    [event] = updates_of(line)
    assert event.actor_id == winner.pk and event.reason == reason


# A stale page post or API call, on both databases -------------------------------------------


def test_goal_page_stale_save_keeps_the_input_and_writes_nothing(company, as_user):
    goal = direct_goal(company)
    stale = Goal.objects.get(pk=goal.pk)
    planning.goal_update(actor=company.hr, goal=goal, expected_version=goal.version, target=D(25))
    events = AuditEvent.objects.count()
    response = as_user(company.user("manager")).post(
        f"/plan/goals/{goal.pk}/edit/",
        goal_post(stale, target="30", title="Customers won in Q1"),
    )
    body = page(response)
    assert response.status_code == 200 and 'class="errors"' in body
    assert "Somebody else changed this record in the meantime." in body
    assert 'value="Customers won in Q1"' in body and 'value="30"' in body
    assert f'name="version" value="{stale.version}"' in body  # saving again is refused too
    stored = Goal.objects.get(pk=goal.pk)
    assert (stored.target, stored.title, stored.version) == (D(25), "New customers", goal.version)
    assert AuditEvent.objects.count() == events


def test_goal_api_stale_patch_is_409_with_the_stored_version(company, as_user):
    goal = direct_goal(company)
    stale = goal.version
    planning.goal_update(actor=company.hr, goal=goal, expected_version=stale, target=D(25))
    events = AuditEvent.objects.count()
    response = call(
        as_user(company.user("manager")),
        "patch",
        f"/goals/{goal.pk}",
        {"version": stale, "target": 30, "title": "Customers won in Q1"},
    )
    assert conflict_of(response)["details"] == {"expected_version": stale, "version": stale + 1}
    stored = Goal.objects.get(pk=goal.pk)
    assert (stored.target, stored.title, stored.version) == (D(25), "New customers", stale + 1)
    assert AuditEvent.objects.count() == events


def test_a_stale_done_button_does_not_undo_another_persons_change(company, as_user):
    """The page's button sends the opposite of what it showed: from a stale page it would
    mark a milestone goal not done right after someone marked it done."""
    cycle = planning_quarter(company)
    goal = planning.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.EMPLOYEE,
        employee=company.direct,
        title="Launch the CRM",
        kind="milestone",
        weight=D(100),
        due_date=cycle.end_date,
    )
    stale = goal.version
    planning.goal_set_done(actor=company.hr, goal=goal, done=True, expected_version=stale)
    events = AuditEvent.objects.count()
    client = as_user(company.user("manager"))
    response = client.post(f"/plan/goals/{goal.pk}/done/", {"done": "0", "version": stale})
    assert response.status_code == 302
    assert Goal.objects.get(pk=goal.pk).done_at is not None
    assert AuditEvent.objects.count() == events
    api = call(client, "post", f"/goals/{goal.pk}/done", {"done": False, "version": stale})
    assert conflict_of(api)["details"] == {"expected_version": stale, "version": stale + 1}
    fresh = call(client, "post", f"/goals/{goal.pk}/done", {"done": False, "version": stale + 1})
    assert fresh.status_code == 200 and fresh.json()["version"] == stale + 2


def _saved_elsewhere(company: Any, s: Setup) -> tuple[int, dict[int, tuple[int, str]]]:
    """Another tab fills in the whole form first: the version the page had read, and the
    ratings saved (complete, so a stale submission fails on its version alone)."""
    stale = s.form.version
    reviews.review_save(
        actor=company.user("stranger"),
        form=ReviewForm.objects.get(pk=s.form.pk),
        expected_version=stale,
        ratings={s.items[0].pk: 5, s.items[1].pk: 4},
        comments={s.items[0].pk: "From the other tab"},
        answers={s.question.pk: "Answered in the other tab"},
    )
    return stale, ratings_of(s.form)


@pytest.mark.parametrize("step", ["form_save", "form_submit"])
def test_review_page_stale_save_or_submit_keeps_the_input_and_writes_nothing(
    company, as_user, step
):
    s = build(company)
    stale, saved = _saved_elsewhere(company, s)
    events = AuditEvent.objects.count()
    response = as_user(company.user("stranger")).post(
        reverse(f"evaluation:{step}", args=[s.form.pk]),
        post_form(s, stale, rating=2, comment="Typed in this tab"),
    )
    body = page(response)
    assert response.status_code == 409
    assert "Someone saved this review in the meantime" in body
    assert "Typed in this tab" in body and "From the other tab" in body
    form = ReviewForm.objects.get(pk=s.form.pk)
    assert (form.version, form.status) == (stale + 1, FormStatus.DRAFT)
    assert ratings_of(form) == saved
    assert AuditEvent.objects.count() == events


def test_review_api_stale_save_and_submit_are_409_with_the_stored_version(company, as_user):
    s = build(company)
    stale, saved = _saved_elsewhere(company, s)
    events = AuditEvent.objects.count()
    client = as_user(company.user("stranger"))
    body = {
        "version": stale,
        "ratings": {str(s.items[0].pk): 1, str(s.items[1].pk): 1},
        "comments": {str(s.items[0].pk): "Typed over the API"},
        "answers": {str(s.question.pk): "Anything"},
    }
    expected = {"expected_version": stale, "version": stale + 1}
    assert conflict_of(call(client, "put", f"/reviews/{s.form.pk}", body))["details"] == expected
    submitted = call(client, "post", f"/reviews/{s.form.pk}/submit", {"version": stale})
    assert conflict_of(submitted)["details"] == expected
    form = ReviewForm.objects.get(pk=s.form.pk)
    assert (form.version, form.status) == (stale + 1, FormStatus.DRAFT)
    assert ratings_of(form) == saved
    assert list(form.answers.values_list("text", flat=True)) == ["Answered in the other tab"]
    assert AuditEvent.objects.count() == events


def _result_changed_elsewhere(company: Any, world: Any) -> tuple[Result, int]:
    result = world.result(company.direct)
    stale = result.version
    sessions.grade_adjust(
        actor=company.hr,
        session=world.session,
        result=world.result(company.direct),
        grade="S",
        reason=REASON,
        expected_version=stale,
    )
    return result, stale


@pytest.mark.parametrize(
    ("what", "value", "version"),
    [
        ("grade", "C", "stale"),
        ("potential", "high", "stale"),
        ("grade", "C", "missing"),  # a post without a version is not taken as current
    ],
)
def test_calibration_page_stale_change_keeps_the_input_and_writes_nothing(
    company, as_user, what, value, version
):
    world = session_world(company)
    result, stale = _result_changed_elsewhere(company, world)
    events, adjustments = AuditEvent.objects.count(), Adjustment.objects.count()
    name = "session_adjust" if what == "grade" else "session_potential"
    data = {"result": result.pk, what: value, "reason": "My own reason here."}
    if version == "stale":
        data["version"] = stale
    response = as_user(company.user("stranger")).post(
        reverse(f"calibration:{name}", kwargs={"pk": world.session.pk}), data
    )
    body = page(response)
    assert response.status_code == 409
    assert "Somebody else changed Dan Direct in the meantime" in body
    assert 'value="My own reason here."' in body
    assert f'<option value="{value}" selected>' in body  # the choice made is kept
    stored = Result.objects.get(pk=result.pk)
    assert (stored.grade, stored.potential, stored.version) == ("S", "", stale + 1)
    assert Adjustment.objects.count() == adjustments
    assert AuditEvent.objects.count() == events


def test_calibration_api_stale_change_is_409_with_the_stored_version(company, as_user):
    world = session_world(company)
    result, stale = _result_changed_elsewhere(company, world)
    events, adjustments = AuditEvent.objects.count(), Adjustment.objects.count()
    client = as_user(company.user("stranger"))
    base = f"/calibration-sessions/{world.session.pk}"
    for path, change in (("adjustments", {"grade": "C"}), ("potential", {"potential": "high"})):
        body = {"result_id": result.pk, "reason": REASON, "version": stale, **change}
        details = conflict_of(call(client, "post", f"{base}/{path}", body))["details"]
        assert (details["expected_version"], details["version"]) == (stale, stale + 1)
    stored = Result.objects.get(pk=result.pk)
    assert (stored.grade, stored.potential, stored.version) == ("S", "", stale + 1)
    assert Adjustment.objects.count() == adjustments
    assert AuditEvent.objects.count() == events


def _line_adjusted_elsewhere(company: Any) -> tuple[BonusLine, int]:
    line = direct_line(company)
    stale = line.version
    rewards.line_adjust(
        actor=company.hr,
        line=BonusLine.objects.get(pk=line.pk),
        adjustment=D(100),
        reason="A strong finish to the year.",
        expected_version=stale,
    )
    return line, stale


def test_bonus_page_stale_adjustment_keeps_the_input_and_writes_nothing(company, as_user):
    line, stale = _line_adjusted_elsewhere(company)
    events = AuditEvent.objects.count()
    manager = as_user(company.user("manager"))
    prefix = f"line{line.pk}-"
    url = reverse("rewards:line_adjust", args=[line.pk])
    typed = {
        prefix + "version": stale,
        prefix + "adjustment": "-250.00",
        prefix + "reason": "Typed by the manager.",
    }
    response = manager.post(url, typed)
    body = page(response)
    assert response.status_code == 409
    assert "Dan Direct: somebody else adjusted this bonus in the meantime; it is now 100.00" in body
    assert 'value="-250.00"' in body and "Typed by the manager." in body
    stored = BonusLine.objects.get(pk=line.pk)
    assert (stored.version, stored.adjustment, stored.reason) == (
        stale + 1,
        D(100),
        "A strong finish to the year.",
    )
    assert AuditEvent.objects.count() == events
    # The form now carries the version just shown: saving it again is a decision made
    # knowing the other change, and goes through.
    assert f'name="{prefix}version" value="{stale + 1}"' in body
    again = manager.post(url, {**typed, prefix + "version": stale + 1})
    assert again.status_code == 302
    assert BonusLine.objects.get(pk=line.pk).adjustment == D(-250)


def test_bonus_api_stale_adjustment_is_409_with_the_stored_version(company, as_user):
    line, stale = _line_adjusted_elsewhere(company)
    events = AuditEvent.objects.count()
    body = {"adjustment": "-250", "reason": "Typed by the manager.", "version": stale}
    response = call(
        as_user(company.user("manager")), "post", f"/bonus-lines/{line.pk}/adjust", body
    )
    assert conflict_of(response)["details"] == {"expected_version": stale, "version": stale + 1}
    stored = BonusLine.objects.get(pk=line.pk)
    assert (stored.version, stored.adjustment) == (stale + 1, D(100))
    assert AuditEvent.objects.count() == events

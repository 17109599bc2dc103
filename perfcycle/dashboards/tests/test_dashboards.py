"""Each role's to-dos and charts on the home page, their links, privacy, and a constant
number of queries whatever the size of the team or the company."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perfcycle.calibration.models import FeedbackTalk, Result
from perfcycle.cycles.models import CycleDeadline, CycleParticipant, Phase
from perfcycle.evaluation.models import FormStatus, ReviewForm
from perfcycle.planning import services as planning
from perfcycle.planning.models import GoalSheet, SheetStatus
from perfcycle.rewards.models import MotivationProfile
from tests.factories import CycleFactory, EmployeeFactory, GoalFactory


def page(as_user, user) -> str:
    response = as_user(user).get("/")
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, heading_id: str) -> str:
    """The HTML of the section labelled by ``heading_id``."""
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


def sheet_of(cycle, employee) -> GoalSheet:
    return GoalSheet.objects.get(cycle=cycle, employee=employee)


def set_status(sheet: GoalSheet, status: str) -> None:
    GoalSheet.objects.filter(pk=sheet.pk).update(status=status)


# --- Employee -----------------------------------------------------------------------------


def test_employee_acknowledges_goals_and_the_todo_goes(company, as_user):
    cycle = CycleFactory(phase=Phase.PLANNING, participants=[company.direct])
    GoalFactory(cycle=cycle, employee=company.direct)
    sheet = sheet_of(cycle, company.direct)
    set_status(sheet, SheetStatus.APPROVED)
    user = company.user("direct")

    mine = section(page(as_user, user), "my-todos")
    assert '<a href="/plan/">Acknowledge your goals</a>' in mine
    assert cycle.name in mine

    sheet.refresh_from_db()
    planning.sheet_acknowledge(actor=user, sheet=sheet, expected_version=sheet.version)
    assert "Acknowledge your goals" not in page(as_user, user)


def test_employee_reviews_to_write_with_their_deadline(company, as_user):
    cycle = CycleFactory(phase=Phase.SELF_REVIEW, participants=[company.direct])
    CycleDeadline.objects.create(
        cycle=cycle, phase=Phase.SELF_REVIEW, due_date=dt.date(2026, 4, 10)
    )
    ReviewForm.objects.create(
        cycle=cycle, reviewee=company.direct, reviewer=company.direct, source="self"
    )
    # A peer form waits for the 360 phase: not asked for yet.
    ReviewForm.objects.create(
        cycle=cycle, reviewee=company.stranger, reviewer=company.direct, source="peer"
    )
    mine = section(page(as_user, company.user("direct")), "my-todos")
    assert '<a href="/evaluate/reviews/">Write your self-review</a>' in mine
    assert "due 2026-04-10" in mine
    assert "Write peer reviews" not in mine


def test_employee_with_nothing_to_do_is_told_so(company, as_user):
    MotivationProfile.objects.create(
        employee=company.stranger,
        motivators=["bonus", "promotion", "learning", "recognition", "flexible", "challenge"],
    )
    mine = section(page(as_user, company.user("stranger")), "my-todos")
    assert "Nothing to do right now." in mine
    assert "Say what motivates you" not in mine


def test_motivation_profile_not_filled_is_a_todo(company, as_user):
    mine = section(page(as_user, company.user("stranger")), "my-todos")
    assert '<a href="/reward/motivation/">Say what motivates you</a>' in mine


def test_unreleased_grade_is_never_shown_and_released_one_asks_for_acknowledgement(
    company, as_user
):
    cycle = CycleFactory(phase=Phase.CALIBRATION, participants=[company.direct])
    result = Result.objects.create(
        cycle=cycle, employee=company.direct, grade="S", computed_grade="S", score=D(99)
    )
    html = page(as_user, company.user("direct"))
    assert ">S</span>" not in html
    assert f"/calibrate/results/{result.pk}/" not in html
    assert "Latest released grade" in html

    Result.objects.filter(pk=result.pk).update(released_at=timezone.now())
    FeedbackTalk.objects.create(
        result=result,
        manager=company.manager,
        held_on=timezone.localdate(),
        strengths="a",
        improvements="b",
        next_steps="c",
        recorded_by=company.user("manager"),
    )
    html = page(as_user, company.user("direct"))
    mine = section(html, "my-todos")
    assert f'<a href="/calibrate/results/{result.pk}/">Read and acknowledge your result</a>' in mine
    assert f'<a href="/calibrate/results/{result.pk}/talk/">' in mine
    assert '<span class="badge">S</span>' in section(html, "my-progress")


def test_employee_progress_chart_has_an_accessible_title_and_expected_mark(company, as_user):
    cycle = CycleFactory(
        phase=Phase.IN_PROGRESS,
        participants=[company.direct],
        start_date=timezone.localdate() - dt.timedelta(days=30),
        end_date=timezone.localdate() + dt.timedelta(days=60),
    )
    goal = GoalFactory(cycle=cycle, employee=company.direct, title="New customers")
    type(goal).objects.filter(pk=goal.pk).update(current_value=D(5))
    progress = section(page(as_user, company.user("direct")), "my-progress")
    assert "<svg" in progress
    assert "<title>New customers: progress" in progress
    assert 'class="chart-marker"' in progress
    assert f'href="/monitor/goals/{goal.pk}/"' in progress


# --- Manager ------------------------------------------------------------------------------


def test_manager_approves_proposed_sheets_of_their_reports_only(company, as_user):
    cycle = CycleFactory(
        phase=Phase.PLANNING, participants=[company.indirect, company.stranger, company.direct]
    )
    for person in (company.indirect, company.stranger, company.direct):
        GoalFactory(cycle=cycle, employee=person)
        set_status(sheet_of(cycle, person), SheetStatus.PROPOSED)

    dan = section(page(as_user, company.user("direct")), "team-todos")
    assert '<a href="/plan/team/?status=proposed">Approve your team&#x27;s goal sheets</a>' in dan
    assert 'aria-label="1 item">1</span>' in dan

    mia = section(page(as_user, company.user("manager")), "team-todos")
    assert "Approve your team" in mia  # Dan's sheet
    assert 'aria-label="1 item">1</span>' in mia


def test_manager_sees_only_their_line_behind_pace(company, as_user):
    today = timezone.localdate()
    cycle = CycleFactory(
        phase=Phase.IN_PROGRESS,
        participants=[company.direct, company.indirect, company.stranger],
        start_date=today - dt.timedelta(days=60),
        end_date=today + dt.timedelta(days=30),
    )
    for person in (company.direct, company.indirect, company.stranger):
        goal = GoalFactory(cycle=cycle, employee=person, title=f"Sales of {person.name}")
        type(goal).objects.filter(pk=goal.pk).update(current_value=D(1))  # far behind
    html = page(as_user, company.user("manager"))
    todos = section(html, "team-todos")
    assert '<a href="/monitor/team/">Coach team members behind pace</a>' in todos
    assert "Dan Direct" in todos and "Ivy Indirect" in todos
    team = section(html, "team-progress")
    assert "<title>Your team: goal status per person</title>" in team
    assert "off track: <strong>2</strong>" in team
    assert "Sam Stranger" not in html


def test_a_large_line_shows_the_people_most_behind_in_the_heatmap(company, as_user, settings):
    from perfcycle.dashboards import views

    today = timezone.localdate()
    team = [EmployeeFactory(manager=company.manager, name=f"Member {n:02d}") for n in range(5)]
    cycle = CycleFactory(
        phase=Phase.IN_PROGRESS,
        participants=[company.direct, *team],
        start_date=today - dt.timedelta(days=60),
        end_date=today + dt.timedelta(days=30),
    )
    for n, person in enumerate([company.direct, *team]):
        goal = GoalFactory(cycle=cycle, employee=person, title="Sales")
        type(goal).objects.filter(pk=goal.pk).update(current_value=D(n + 1))
    views.HOME_HEATMAP_ROWS, before = 3, views.HOME_HEATMAP_ROWS
    try:
        html = section(page(as_user, company.user("manager")), "team-progress")
    finally:
        views.HOME_HEATMAP_ROWS = before
    assert "off track: <strong>6</strong>" in html  # everyone counted
    assert "Dan Direct" in html and "Member 00" in html and "Member 01" in html
    assert "Member 04" not in html  # the least behind are on the team page only
    assert "The 3 people most behind are shown; 3 more are on the team" in html


def test_a_line_beyond_the_limit_shows_the_direct_reports_pace(company, as_user, monkeypatch):
    from perfcycle.dashboards import selectors

    today = timezone.localdate()
    cycle = CycleFactory(
        phase=Phase.IN_PROGRESS,
        participants=[company.direct, company.indirect],
        start_date=today - dt.timedelta(days=60),
        end_date=today + dt.timedelta(days=30),
    )
    for person in (company.direct, company.indirect):
        goal = GoalFactory(cycle=cycle, employee=person, title="Sales")
        type(goal).objects.filter(pk=goal.pk).update(current_value=D(1))  # far behind
    manager = company.user("manager")
    whole = section(page(as_user, manager), "team-progress")
    assert "off track: <strong>2</strong>" in whole and "direct-only" not in whole

    monkeypatch.setattr(selectors, "HOME_LINE_LIMIT", 1)  # Mia's line: Dan and Ivy
    html = page(as_user, manager)
    team = section(html, "team-progress")
    assert "off track: <strong>1</strong>" in team  # Dan only: Ivy reports to Dan
    assert "Dan Direct" in team and "Ivy Indirect" not in team
    assert "Your line has 2 people; the pace here is of the people reporting to you" in team
    number = company.manager.employee_number
    assert f'href="/monitor/team/?manager={number}">Everyone in your line</a>' in team
    assert "Coach your direct reports behind pace" in section(html, "team-todos")
    assert "2 people in your reporting line" in section(html, "team-list")


def test_manager_feedback_talks_and_review_completion(company, as_user):
    cycle = CycleFactory(phase=Phase.RESULTS, participants=[company.direct, company.stranger])
    for person in (company.direct, company.stranger):
        Result.objects.create(
            cycle=cycle, employee=person, grade="B", computed_grade="B", released_at=timezone.now()
        )
        ReviewForm.objects.create(
            cycle=cycle,
            reviewee=person,
            reviewer=company.top,
            source="skip",
            status=FormStatus.SUBMITTED,
        )
    ReviewForm.objects.create(
        cycle=cycle, reviewee=company.direct, reviewer=company.manager, source="manager"
    )
    html = page(as_user, company.user("manager"))
    todos = section(html, "team-todos")
    assert '<a href="/calibrate/">Hold feedback talks</a>' in todos
    assert 'aria-label="1 item">1</span>' in todos  # Dan's, not Sam's
    team = section(html, "team-progress")
    assert "1 of 2 reviews submitted" in team
    assert "<svg" in team


# --- HR -----------------------------------------------------------------------------------


def test_hr_planning_card_counts_participants_without_acknowledged_goals(company, as_user):
    cycle = CycleFactory(
        phase=Phase.PLANNING, participants=[company.direct, company.indirect, company.stranger]
    )
    CycleDeadline.objects.create(cycle=cycle, phase=Phase.PLANNING, due_date=dt.date(2026, 1, 20))
    GoalFactory(cycle=cycle, employee=company.direct)
    set_status(sheet_of(cycle, company.direct), SheetStatus.ACKNOWLEDGED)
    card = section(page(as_user, company.hr), f"cycle-{cycle.pk}")
    assert "Next deadline: 2026-01-20" in card
    assert '<a href="/plan/team/">Participants without acknowledged goals</a>' in card
    assert 'aria-label="2 items">2</span>' in card


def test_hr_review_card_shows_completion_by_department(company, as_user):
    cycle = CycleFactory(phase=Phase.SELF_REVIEW, participants=[company.direct, company.stranger])
    CycleDeadline.objects.create(
        cycle=cycle, phase=Phase.SELF_REVIEW, due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    ReviewForm.objects.create(
        cycle=cycle, reviewee=company.direct, reviewer=company.direct, source="self"
    )
    ReviewForm.objects.create(
        cycle=cycle,
        reviewee=company.stranger,
        reviewer=company.stranger,
        source="self",
        status=FormStatus.SUBMITTED,
    )
    card = section(page(as_user, company.hr), f"cycle-{cycle.pk}")
    assert f'<a href="/evaluate/cycles/{cycle.pk}/progress/">Review forms not submitted</a>' in card
    assert "50% submitted" in card
    assert "Reviewers past the deadline" in card
    assert "<title>Sales: 0 of 1 reviews submitted</title>" in card
    assert "<title>Other: 1 of 1 reviews submitted</title>" in card


def test_hr_results_card_and_grade_distribution(company, as_user):
    cycle = CycleFactory(phase=Phase.RESULTS, participants=[company.direct, company.stranger])
    for person, grade in ((company.direct, "B"), (company.stranger, "D")):
        Result.objects.create(
            cycle=cycle,
            employee=person,
            department=person.department,
            grade=grade,
            computed_grade=grade,
            released_at=timezone.now(),
        )
    card = section(page(as_user, company.hr), f"cycle-{cycle.pk}")
    assert "Feedback talks not held" in card
    assert 'aria-label="2 items">2</span>' in card
    assert '<a href="/improve/loop/">Open the retrospective</a>' in card
    assert "share per grade against the guideline</title>" in card


def test_a_manager_who_is_hr_sees_each_section(company, as_user):
    html = page(as_user, company.user("manager"))
    assert "Cycles under way" not in html
    company.manager.user.is_hr_admin = True
    company.manager.user.save()
    html = page(as_user, company.user("manager"))
    for heading in ("my-todos", "team-todos"):
        section(html, heading)
    assert "Cycles under way" in html


# --- Constant queries ---------------------------------------------------------------------


def grow(company, cycle, start: int, n: int) -> None:
    """``n`` more people under Mia (and one more level under the first of them), each
    taking part with a goal behind pace, a sheet waiting, a self form, a released result
    and a check-in coming up."""
    from perfcycle.monitoring.models import CheckIn, CheckInStatus

    people = []
    for i in range(start, start + n):
        person = EmployeeFactory(
            name=f"Extra {i}",
            manager=company.manager if i % 2 == 0 or not people else people[0],
            department=company.sales,
            login=f"x{i}",
        )
        people.append(person)
    CycleParticipant.objects.bulk_create(
        [
            CycleParticipant(cycle=cycle, employee=p, department=p.department, manager=p.manager)
            for p in people
        ]
    )
    for person in people:
        goal = GoalFactory(cycle=cycle, employee=person)
        type(goal).objects.filter(pk=goal.pk).update(current_value=D(1))
        set_status(sheet_of(cycle, person), SheetStatus.PROPOSED)
        ReviewForm.objects.create(cycle=cycle, reviewee=person, reviewer=person, source="self")
        ReviewForm.objects.create(
            cycle=cycle, reviewee=person, reviewer=company.manager, source="manager"
        )
        Result.objects.create(
            cycle=cycle,
            employee=person,
            department=person.department,
            grade="C",
            computed_grade="C",
            released_at=timezone.now(),
        )
        CheckIn.objects.create(
            employee=person,
            manager=company.manager,
            status=CheckInStatus.SCHEDULED,
            scheduled_for=timezone.now() + dt.timedelta(days=1),
            requested_by=company.user("manager"),
        )


def count_queries(as_user, user) -> tuple[int, str]:
    client = as_user(user)
    client.get("/")  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize(
    "phase", [Phase.PLANNING, Phase.IN_PROGRESS, Phase.SELF_REVIEW, Phase.RESULTS]
)
@pytest.mark.parametrize("who", ["hr_person", "manager", "direct"])
def test_queries_do_not_grow_with_the_company(company, as_user, phase, who):
    today = timezone.localdate()
    cycle = CycleFactory(
        phase=phase,
        participants=[company.manager, company.direct, company.indirect],
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=60),
    )
    CycleDeadline.objects.create(cycle=cycle, phase=phase, due_date=today - dt.timedelta(days=1))
    for person in (company.manager, company.direct, company.indirect):
        GoalFactory(cycle=cycle, employee=person)
    grow(company, cycle, 0, 2)
    small, _html = count_queries(as_user, company.user(who))
    grow(company, cycle, 2, 12)
    large, html_large = count_queries(as_user, company.user(who))
    assert large == small
    if who == "manager" and phase != Phase.PLANNING:
        assert "Extra 13" in html_large  # the bigger team is really on the page

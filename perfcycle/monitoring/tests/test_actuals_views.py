from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from perfcycle.cycles.models import CycleParticipant
from perfcycle.monitoring import pace
from perfcycle.monitoring.actuals import actual_record
from perfcycle.monitoring.models import Actual
from perfcycle.monitoring.tests import actuals_fixtures as fx
from tests.factories import EmployeeFactory, GoalFactory

month_key = fx.month_key
run_cycle = fx.run_cycle
new_customers = fx.new_customers
sales_goal = fx.sales_goal


def test_my_progress_shows_bar_chart_and_history(company, run_cycle, sales_goal, as_user):
    actual_record(
        actor=company.direct.user, goal=sales_goal, period=month_key(run_cycle, 0), value=9
    )
    actual_record(
        actor=company.manager.user, goal=sales_goal, period=month_key(run_cycle, 0), value=8
    )
    page = as_user(company.direct.user).get(f"/monitor/?cycle={run_cycle.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "New customers" in html and 'role="img"' in html
    assert "chart-target" in html and "chart-bar" in html
    assert "corrected" in html and "manager" in html  # revision 1 by direct, corrected by manager


def test_enter_a_value_on_the_page(company, run_cycle, sales_goal, as_user):
    client = as_user(company.direct.user)
    response = client.post(
        f"/monitor/goals/{sales_goal.pk}/actuals/",
        {"period": month_key(run_cycle, 1), "value": "7", "note": "typed"},
    )
    assert response.status_code == 302
    actual = Actual.objects.get()
    assert (actual.value, actual.source, actual.entered_by) == (
        Decimal(7),
        "typed",
        company.direct.user,
    )
    client.post(f"/monitor/goals/{sales_goal.pk}/actuals/", {"period": "never", "value": "x"})
    assert Actual.objects.count() == 1


def test_a_stranger_cannot_see_or_enter(company, run_cycle, sales_goal, as_user):
    client = as_user(company.stranger.user)
    assert client.get(f"/monitor/people/{company.direct.pk}/").status_code == 404
    response = client.post(
        f"/monitor/goals/{sales_goal.pk}/actuals/",
        {"period": month_key(run_cycle, 0), "value": "1"},
    )
    assert response.status_code == 404
    assert not Actual.objects.exists()


def test_manager_sees_a_report_and_the_team(company, run_cycle, sales_goal, as_user):
    actual_record(actor=company.hr, goal=sales_goal, period=month_key(run_cycle, 0), value=1)
    client = as_user(company.manager.user)
    assert client.get(f"/monitor/people/{company.direct.pk}/").status_code == 200
    page = client.get(f"/monitor/team/?cycle={run_cycle.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Dan Direct" in html and "Sam Stranger" not in html
    assert "Off track" in html  # 1 of 60 new customers half-way through
    assert as_user(company.indirect.user).get("/monitor/team/").status_code == 403


def _team_of(company, cycle, indicator, size: int) -> None:
    people = [
        EmployeeFactory(manager=company.manager, department=company.sales) for _ in range(size)
    ]
    CycleParticipant.objects.bulk_create(
        [
            CycleParticipant(
                cycle=cycle, employee=p, department_id=p.department_id, manager_id=p.manager_id
            )
            for p in people
        ]
    )
    for n, person in enumerate(people):
        goal = GoalFactory(cycle=cycle, employee=person, indicator=indicator, target=60, weight=100)
        Actual.objects.create(
            goal=goal,
            period=month_key(cycle, 0),
            period_start=cycle.start_date,
            value=n,
            source="typed",
            entered_at=cycle.start_date.isoformat() + "T00:00:00Z",
        )


def _team_page_queries(client, cycle) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/monitor/team/?cycle={cycle.pk}")
    assert page.status_code == 200
    return len(queries), page.content.decode()


def test_team_page_query_count_is_constant(company, run_cycle, new_customers, as_user):
    client = as_user(company.manager.user)
    client.get(f"/monitor/team/?cycle={run_cycle.pk}")  # warm up (session, content types)
    _team_of(company, run_cycle, new_customers, 10)
    for_ten, html = _team_page_queries(client, run_cycle)
    assert html.count('class="chart-cell') >= 10
    _team_of(company, run_cycle, new_customers, 90)
    for_hundred, html = _team_page_queries(client, run_cycle)
    # A page of TEAM_PAGE_SIZE (100) people, and a pager to the rest.
    assert html.count('<td class="person">') == 100
    assert 'class="pager"' in html
    assert for_ten == for_hundred
    # session, user, employee, role checks, cycle, cycle list, participants, goals, key
    # results, milestones (+ whatever the site chrome asks, e.g. unread notifications)
    assert for_hundred <= 14


def test_team_page_shows_a_page_at_a_time_most_behind_first(
    company, run_cycle, new_customers, as_user, monkeypatch
):
    """The pages follow the risk order of the whole team; the chips count everyone and
    filter by status; the chart shows the page's people."""
    monkeypatch.setattr("perfcycle.monitoring.actuals_views.TEAM_PAGE_SIZE", 4)
    _team_of(company, run_cycle, new_customers, 10)
    client = as_user(company.manager.user)
    everyone = pace.team_pace(company.manager.user, run_cycle)
    counts = pace.status_counts(everyone)
    shown = []
    for number in (1, 2, 3):
        response = client.get(f"/monitor/team/?cycle={run_cycle.pk}&page={number}")
        assert response.context["total"] == len(everyone)
        assert response.context["counts"] == counts
        html = response.content.decode()
        names = [row.employee.name for row in response.context["page"]]
        assert len(names) == min(4, len(everyone) - 4 * (number - 1))
        assert html.count('<td class="person">') == len(names)
        shown += [row.employee.pk for row in response.context["page"]]
    assert shown == [row.employee.pk for row in everyone]
    for status, n in counts.items():
        response = client.get(f"/monitor/team/?cycle={run_cycle.pk}&status={status}")
        assert response.context["page"].paginator.count == n
        assert {row.status for row in response.context["page"]} <= {status}
    assert client.get(f"/monitor/team/?cycle={run_cycle.pk}&status=nonsense").context[
        "page"
    ].paginator.count == len(everyone)


def test_team_page_narrows_to_a_line(company, run_cycle, new_customers, as_user):
    """HR sees the whole company, or one manager's line by employee number; a number
    HR cannot resolve is said so and the whole company shown."""
    _team_of(company, run_cycle, new_customers, 3)
    hr = as_user(company.hr)
    everyone = hr.get(f"/monitor/team/?cycle={run_cycle.pk}").context["total"]
    number = company.manager.employee_number
    line = hr.get(f"/monitor/team/?cycle={run_cycle.pk}&manager={number}")
    below = pace.team_pace(company.hr, run_cycle, manager=company.manager)
    assert line.context["total"] == len(below) < everyone
    assert {row.employee.pk for row in line.context["page"]} == {r.employee.pk for r in below}
    assert f"manager={number}&amp;status=" in line.content.decode()  # the chips keep the line
    unknown = hr.get(f"/monitor/team/?cycle={run_cycle.pk}&manager=NOPE-1", follow=True)
    assert unknown.context["total"] == everyone
    assert "Unknown employee NOPE-1." in unknown.content.decode()


def test_heatmap_is_valid_xml(company, run_cycle, sales_goal, as_user):
    page = as_user(company.hr).get(f"/monitor/team/?cycle={run_cycle.pk}").content.decode()
    start = page.index("<svg")
    end = page.index("</svg>", start) + len("</svg>")
    root = ET.fromstring(page[start:end])
    assert root.get("role") == "img"


def test_my_progress_query_count_does_not_grow_with_goals(company, run_cycle, as_user):
    client = as_user(company.direct.user)

    def add_goal_with_history(n: int) -> None:
        goal = GoalFactory(cycle=run_cycle, employee=company.direct, target=10, weight=10)
        for value in (n, n + 1):
            actual_record(actor=company.hr, goal=goal, period=month_key(run_cycle, 0), value=value)

    add_goal_with_history(1)
    client.get(f"/monitor/?cycle={run_cycle.pk}")
    with CaptureQueriesContext(connection) as one:
        client.get(f"/monitor/?cycle={run_cycle.pk}")
    for n in range(2, 7):
        add_goal_with_history(n)
    with CaptureQueriesContext(connection) as six:
        page = client.get(f"/monitor/?cycle={run_cycle.pk}")
    assert page.content.decode().count('class="chart chart-actuals"') == 6
    assert len(one) == len(six)

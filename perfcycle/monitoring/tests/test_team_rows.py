"""Team pace without model instances gives what pace from full goals gives — KPIs, OKRs
with key results and confidence, milestones, qualitative goals — and the team table's
rows, written in Python, are the markup the template wrote (kept here as reference)."""

from __future__ import annotations

import datetime as dt

from django.template import engines

from perfcycle.monitoring import pace
from perfcycle.monitoring.actuals import actual_record
from perfcycle.monitoring.tests import actuals_fixtures as fx
from perfcycle.monitoring.views import team_rows
from perfcycle.planning.models import Goal, KeyResult, Milestone
from tests.factories import GoalFactory

run_cycle = fx.run_cycle
new_customers = fx.new_customers
month_key = fx.month_key

REFERENCE = """{% load i18n planning_tags %}{% for row in rows %}<tr>
    <td class="person"><a href="{% url 'monitoring:person' row.employee.pk %}?cycle={{ cycle.pk }}">{{ row.employee.name }}</a> <span class="muted">{{ row.employee.employee_number }}</span></td>
    <td data-label="{% translate "Department" %}">{{ row.employee.department.name|default:"—" }}</td>
    <td data-label="{% translate "Status" %}"><span class="status status-{{ row.status }}">{{ row.status_label|capfirst }}</span></td>
    <td data-label="{% translate "Progress" %}">{% if row.actual is not None %}{{ row.actual|pct }}{% else %}—{% endif %}</td>
    <td data-label="{% translate "Expected" %}">{{ row.expected|pct }}</td>
    <td data-label="{% translate "Goals" %}">{% for g in row.goals %}<span class="status status-{{ g.status }}" title="{{ g.status_label }}">{{ g.goal.title }}</span>{% if g.confidence is not None %} <span class="muted">{% translate "confidence" %} {{ g.confidence }}/10</span>{% endif %}{% if not forloop.last %} {% endif %}{% endfor %}</td>
  </tr>{% empty %}<tr><td colspan="6" class="muted">{% translate "Nobody here." %}</td></tr>{% endfor %}"""


def _goals(company, cycle, indicator):
    kpi = GoalFactory(
        cycle=cycle, employee=company.direct, indicator=indicator, target=100, title="A & <b>"
    )
    actual_record(actor=company.hr, goal=kpi, period=month_key(cycle, 0), value=40)
    GoalFactory(cycle=cycle, employee=company.direct, target=10, aggregation="last")
    okr = GoalFactory(cycle=cycle, employee=company.indirect, kind="okr", target=None)
    KeyResult.objects.create(goal=okr, title="K1", target=10, current_value=5, confidence=7)
    KeyResult.objects.create(goal=okr, title="K2", target=10, current_value=2, confidence=4)
    done = GoalFactory(cycle=cycle, employee=company.indirect, kind="milestone", target=None)
    Milestone.objects.create(goal=done, title="M", due_date=cycle.end_date)
    steps = GoalFactory(cycle=cycle, employee=company.manager, kind="qualitative", target=None)
    Milestone.objects.create(
        goal=steps, title="S1", due_date=cycle.end_date, done_at=dt.datetime.now(dt.UTC)
    )
    Milestone.objects.create(goal=steps, title="S2", due_date=cycle.end_date)


def _full(user, cycle, day):
    """Team pace the way it was computed before: full goals, prefetched details."""
    participants = list(pace.team_participants(user, cycle))
    goals = pace.with_pace_details(
        Goal.objects.filter(
            cycle=cycle,
            owner_type="employee",
            employee_id__in=[p.employee_id for p in participants],
        )
    ).order_by("employee_id", "id")
    by_person = {}
    for goal in goals:
        by_person.setdefault(goal.employee_id, []).append(pace.goal_pace(goal, as_of=day))
    rows = [pace.person_pace(p.employee, by_person.get(p.employee_id, [])) for p in participants]
    rows.sort(key=pace.PersonPace.risk_key)
    return rows


def _shape(rows):
    return [
        (
            r.employee.pk,
            r.status,
            r.expected,
            r.actual,
            [
                (g.goal.pk, g.goal.title, g.expected, g.actual, g.status, g.confidence)
                for g in r.goals
            ],
        )
        for r in rows
    ]


def test_team_pace_is_the_pace_of_the_full_goals(company, run_cycle, new_customers):
    _goals(company, run_cycle, new_customers)
    day = run_cycle.start_date + dt.timedelta(days=20)
    for user in (company.hr, company.manager.user):
        found = pace.team_pace(user, run_cycle, as_of=day)
        assert _shape(found) == _shape(_full(user, run_cycle, day))
        assert any(g.confidence == 4 for r in found for g in r.goals)
    columns = {pace.goal_column(g.goal) for r in found for g in r.goals}
    assert new_customers.name in columns  # an indicator's name heads its column


def test_rows_are_the_template_rows(company, run_cycle, new_customers):
    _goals(company, run_cycle, new_customers)
    company.indirect.department = None
    company.indirect.save()
    rows = pace.team_pace(company.hr, run_cycle)
    for shown in (rows, []):
        ours = str(team_rows.pace_rows(shown, run_cycle))
        theirs = (
            engines["django"].from_string(REFERENCE).render({"rows": shown, "cycle": run_cycle})
        )
        assert ours == theirs
    html = str(team_rows.pace_rows(rows, run_cycle))
    assert "A &amp; &lt;b&gt;" in html and "confidence 4/10" in html and "Nobody" not in html

"""The session page's people rows, written in Python for speed, are the markup the template
wrote (the template is kept here as the reference), and its rater flags are those of the
full rater analysis — also after a new submission."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone

from perfcycle.calibration import sessions
from perfcycle.calibration.models import Potential
from perfcycle.calibration.tests.test_sessions_data import session_world
from perfcycle.calibration.views import session_rows
from perfcycle.evaluation.analysis import cycle_reliability
from perfcycle.evaluation.models import (
    FormStatus,
    Rating,
    ReviewForm,
    ReviewSource,
    TemplateCompetency,
)
from tests.factories import EmployeeFactory

REASON = "Delivered the Q1 launch alone."

# The rows as calibration/session.html wrote them before they moved to Python.
REFERENCE = """{% load i18n planning_tags %}{% for r, notes in rows %}<tr id="result-{{ r.pk }}"{% if change_error and change_error.result_id == r.pk %} class="has-error"{% endif %}>
    <td class="person"><strong>{{ r.employee.name }}</strong> <span class="muted">{{ r.employee.employee_number }}</span></td>
    <td data-label="{% translate "Department" %}">{{ r.department.name|default:"—" }}</td>
    <td data-label="{% translate "Computed" %}">{{ r.computed_score|num }} {{ r.computed_grade|default:"—" }}</td>
    <td data-label="{% translate "Final grade" %}"><strong class="badge{% if r.grade != r.computed_grade %} warn{% endif %}">{{ r.grade|default:"—" }}</strong></td>
    <td data-label="{% translate "Potential" %}">{{ r.get_potential_display|default:"—" }}</td>
    <td data-label="{% translate "Rater flags" %}">{% for note in notes %}<span class="rater-flag badge">{{ note.text }}</span> {% empty %}<span class="muted">—</span>{% endfor %}</td>
    <td data-label="{% translate "Changes" context "number of adjustments" %}">{{ r.changes }}</td>
    {% if may_adjust %}<td data-label="{% translate "Change" %}"><form method="post" action="{% url 'calibration:session_adjust' session.pk %}" class="session-change">{% csrf_token %}
      <input type="hidden" name="result" value="{{ r.pk }}"><input type="hidden" name="version" value="{{ r.version }}">
      <label class="sr-only" for="grade-{{ r.pk }}">{% translate "Final grade" %}</label>
      <select name="grade" id="grade-{{ r.pk }}">{% for code in codes %}<option value="{{ code }}"{% if change_error and change_error.result_id == r.pk and change_error.grade %}{% if change_error.grade == code %} selected{% endif %}{% elif code == r.grade %} selected{% endif %}>{{ code }}</option>{% endfor %}</select>
      <label class="sr-only" for="potential-{{ r.pk }}">{% translate "Potential" %}</label>
      <select name="potential" id="potential-{{ r.pk }}"><option value="">—</option>{% for value, text in potentials %}<option value="{{ value }}"{% if value == r.potential %} selected{% endif %}>{{ text }}</option>{% endfor %}</select>
      <label class="sr-only" for="reason-{{ r.pk }}">{% translate "Reason" %}</label>
      <input name="reason" id="reason-{{ r.pk }}" placeholder="{% translate 'Reason' %}" value="{% if change_error and change_error.result_id == r.pk %}{{ change_error.reason }}{% endif %}">
      <button type="submit">{% translate "Change grade" %}</button>
      <button type="submit" formaction="{% url 'calibration:session_potential' session.pk %}">{% translate "Set potential" %}</button>
      {% if change_error and change_error.result_id == r.pk %}<p class="error" role="alert">{{ change_error.message }}</p>{% endif %}
    </form></td>{% endif %}
  </tr>{% empty %}<tr><td colspan="8" class="muted">{% translate "Nobody here." %}</td></tr>{% endfor %}"""

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def world(company):
    return session_world(company)


def _both(company, world, viewer, *, may_adjust, change_error=None, empty=False):
    request = RequestFactory().get("/")
    request.user = viewer
    results = [] if empty else list(sessions.session_results(world.session))
    notes = sessions.rater_notes(world.session, viewer=viewer)
    rows = [(r, notes.get(r.employee_id, [])) for r in results]
    codes = ["S", "A", "B", "C", "D"]
    ours = session_rows.people_rows(
        request,
        world.session,
        rows,
        may_adjust=may_adjust,
        codes=codes,
        potentials=Potential.choices,
        change_error=change_error,
    )
    theirs = (
        engines["django"]
        .from_string(REFERENCE)
        .render(
            {
                "rows": rows,
                "session": world.session,
                "may_adjust": may_adjust,
                "codes": codes,
                "potentials": Potential.choices,
                "change_error": change_error,
            },
            request,
        )
    )
    return CSRF.sub("", str(ours)), CSRF.sub("", theirs)


def test_rows_are_the_template_rows(company, world):
    result = world.result(company.direct)
    sessions.grade_adjust(
        actor=company.hr,
        session=world.session,
        result=result,
        grade="S",
        reason=REASON,
        expected_version=result.version,
    )
    result.refresh_from_db()
    sessions.potential_set(
        actor=company.hr,
        session=world.session,
        result=result,
        potential="high",
        reason=REASON,
        expected_version=result.version,
    )
    for viewer in (company.hr, company.user("stranger")):
        for may_adjust in (True, False):
            ours, theirs = _both(company, world, viewer, may_adjust=may_adjust)
            assert ours == theirs
            assert "rated by a lenient rater" in ours
    error = {
        "result_id": result.pk,
        "message": "Somebody <else> changed it & more",
        "grade": "C",
        "reason": 'A "quoted" reason',
    }
    ours, theirs = _both(company, world, company.hr, may_adjust=True, change_error=error)
    assert ours == theirs and 'class="has-error"' in ours and "&lt;else&gt;" in ours
    ours, theirs = _both(company, world, company.hr, may_adjust=True, empty=True)
    assert ours == theirs and "Nobody here." in ours


def test_notes_show_the_flags_of_the_full_analysis(company, world):
    _assert_notes_match_the_analysis(company, world)


def test_a_new_submission_shows_on_the_page(company, world, as_user):
    client = as_user(company.hr)
    url = f"/calibrate/sessions/{world.session.pk}/"
    assert "harsh rater: Harry Harsh" not in client.get(url).content.decode()
    harsh = EmployeeFactory(name="Harry Harsh")
    items = list(TemplateCompetency.objects.filter(template=world.cycle.template))
    for person in (company.direct, company.indirect, company.manager, company.stranger):
        form = ReviewForm.objects.create(
            cycle=world.cycle,
            reviewee=person,
            reviewer=harsh,
            source=ReviewSource.PEER,
            status=FormStatus.SUBMITTED,
            submitted_at=timezone.now(),
        )
        Rating.objects.bulk_create([Rating(form=form, item=item, value=1) for item in items])
    body = client.get(url).content.decode()
    assert "rated by a harsh rater: Harry Harsh (a peer)" in body
    _assert_notes_match_the_analysis(company, world)


def _assert_notes_match_the_analysis(company, world):
    """The notes as rater_notes computed them before the stored flags: every flag of the
    full analysis, for each submitted reviewer (self aside) of the session's people."""
    analysis = cycle_reliability(world.cycle)
    flags = {row.reviewer_id: row.profile.flags for row in analysis.rater_rows}
    members = {r.employee_id for r in sessions.session_results(world.session)}
    expected: dict[int, list[tuple[str, str, str]]] = {}
    for form in (
        ReviewForm.objects.filter(
            cycle=world.cycle, status=FormStatus.SUBMITTED, reviewee_id__in=members
        )
        .exclude(source=ReviewSource.SELF)
        .select_related("reviewer")
        .order_by("reviewee_id", "source", "reviewer__name", "pk")
    ):
        for flag in flags.get(form.reviewer_id, ()):
            expected.setdefault(form.reviewee_id, []).append(
                (flag, form.source, form.reviewer.name)
            )
    found = sessions.rater_notes(world.session, viewer=company.hr)
    assert {
        pk: [(n.flag, n.source, n.reviewer_name) for n in notes] for pk, notes in found.items()
    } == expected
    assert expected  # the world has flagged reviewers

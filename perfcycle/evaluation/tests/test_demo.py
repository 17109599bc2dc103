"""The demo's last quarter reaches evaluation: reviews filled, a harsh and a lenient peer
flagged, every score stored and traceable, peers anonymous on the manager's pages."""

from __future__ import annotations

import io

import pytest

from perfcycle.accounts.models import User
from perfcycle.cycles.models import Cycle, Phase
from perfcycle.demo import demo_load
from perfcycle.evaluation import reliability
from perfcycle.evaluation.models import FormStatus, Rating, ReviewForm, ScoreResult
from perfcycle.evaluation.scores import cycle_scores
from perfcycle.org.models import Employee


@pytest.fixture
def quarter(db):
    demo_load(stdout=io.StringIO(), until="evaluate")
    return Cycle.objects.select_related("template", "grade_scale").get(phase=Phase.MANAGER_REVIEW)


def test_most_reviews_are_in_and_some_are_still_open(quarter):
    forms = ReviewForm.objects.filter(cycle=quarter).active()
    submitted = forms.filter(status=FormStatus.SUBMITTED).count()
    assert submitted >= 0.9 * forms.count()
    assert forms.exclude(status=FormStatus.SUBMITTED).exists()
    for source in ("self", "peer", "manager", "report"):
        assert forms.filter(source=source, status=FormStatus.SUBMITTED).exists(), source


def test_a_harsh_and_a_lenient_peer_are_flagged(quarter):
    rows = Rating.objects.filter(
        form__cycle=quarter, form__status=FormStatus.SUBMITTED
    ).values_list("form__reviewer__employee_number", "form__reviewee_id", "item_id", "value")
    analysis = reliability.rater_profiles(list(rows), scale_min=1, scale_max=5)
    flags = {p.rater: p.flags for p in analysis.raters}
    assert reliability.HARSH in flags["E015"]
    assert reliability.LENIENT in flags["E016"]


def test_every_participant_has_a_stored_score_and_grade_that_the_service_reproduces(quarter):
    stored = {r.employee_id: r for r in ScoreResult.objects.filter(cycle=quarter)}
    assert len(stored) == quarter.participants.count()
    live = cycle_scores(quarter)
    for emp_id, row in stored.items():
        assert row.grade, row
        assert (row.overall_score, row.grade) == (live[emp_id].overall_score, live[emp_id].grade)
    assert len({r.grade for r in stored.values()}) >= 3  # something for calibration to do


def test_the_breakdown_traces_the_demo_employee_without_naming_peers(quarter, client):
    zhang = Employee.objects.get(employee_number="E011")
    client.force_login(User.objects.get(username="manager"))
    page = client.get(f"/evaluate/cycles/{quarter.pk}/people/{zhang.pk}/score/")
    assert page.status_code == 200
    html = page.content.decode()
    score = cycle_scores(quarter, employee_ids=[zhang.pk])[zhang.pk]
    assert score.overall_formula() in html and score.goals_formula() in html
    peers = Employee.objects.filter(
        reviews_given__cycle=quarter, reviews_given__reviewee=zhang, reviews_given__source="peer"
    )
    assert peers.exists()
    for peer in peers:
        assert peer.name not in html

"""The evaluate front page shows each person the pages they may use, at a fixed cost."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from perfcycle.cycles.models import Phase
from tests.factories import CycleFactory


def test_each_role_sees_its_pages(company, as_user):
    cycle = CycleFactory(phase=Phase.REVIEW_360, participants=[company.stranger, company.manager])
    hr = as_user(company.hr).get("/evaluate/").content.decode()
    for url in ("progress", "scores", "assignment", "reliability", "normalisation"):
        assert f"/evaluate/cycles/{cycle.pk}/{url}/" in hr, url
    assert "/evaluate/templates/" in hr and "/evaluate/grade-scales/" in hr
    employee = as_user(company.user("stranger")).get("/evaluate/").content.decode()
    assert f"/evaluate/cycles/{cycle.pk}/peers/" in employee
    assert "/evaluate/reviews/" in employee
    for url in ("progress", "scores", "assignment", "reliability"):
        assert f"/evaluate/cycles/{cycle.pk}/{url}/" not in employee, url
    manager = as_user(company.user("manager")).get("/evaluate/").content.decode()
    assert f"/evaluate/cycles/{cycle.pk}/progress/" in manager
    assert f"/evaluate/cycles/{cycle.pk}/assignment/" not in manager


def test_queries_do_not_grow_with_cycles(company, as_user):
    client = as_user(company.user("manager"))
    CycleFactory(phase=Phase.SELF_REVIEW, participants=[company.manager])
    client.get("/evaluate/")
    with CaptureQueriesContext(connection) as one:
        client.get("/evaluate/")
    for phase in (Phase.REVIEW_360, Phase.MANAGER_REVIEW, Phase.IN_PROGRESS):
        CycleFactory(phase=phase, participants=[company.manager])
    with CaptureQueriesContext(connection) as four:
        client.get("/evaluate/")
    assert len(four.captured_queries) == len(one.captured_queries)

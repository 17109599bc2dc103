"""Calibrate → results home: HR's list is the whole company, so it is a page at a time,
each row with its appeals counted (open and all) for that page only."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perfcycle.calibration.models import Appeal, AppealStatus, Result
from perfcycle.calibration.tests.test_distribution import build
from perfcycle.calibration.views import results as views
from tests.factories import EmployeeFactory


def _appeal(result: Result, status: str) -> None:
    Appeal.objects.create(
        result=result, reason="x", talk_held=True, due_on=dt.date(2026, 5, 1), status=status
    )


def test_hr_pages_through_every_result_with_its_appeals(company, as_user, monkeypatch):
    cycle, results = build(company)
    Result.objects.filter(cycle=cycle).update(released_at=timezone.now())
    _appeal(results["direct"], AppealStatus.FILED)
    _appeal(results["direct"], AppealStatus.REJECTED)
    _appeal(results["stranger"], AppealStatus.REJECTED)
    monkeypatch.setattr(views, "RESULTS_PAGE_SIZE", 2)
    client = as_user(company.hr)
    names = []
    for number in (1, 2):
        html = client.get("/calibrate/", {"cycle": cycle.pk, "page": number}).content.decode()
        assert f"Page {number} of 2" in html
        names += [r.employee.name for r in results.values() if r.employee.name in html]
        if number == 1:
            assert f'href="?cycle={cycle.pk}&amp;page=2"' in html
    assert sorted(names) == sorted(r.employee.name for r in results.values())  # each once

    def row(name: str) -> str:
        for number in (1, 2):
            html = client.get("/calibrate/", {"page": number}).content.decode()
            if name in html:
                return html[html.index(name) :].split("</tr>")[0]
        raise AssertionError(name)

    direct, stranger = row(company.direct.name), row(company.stranger.name)
    assert "appealed <span" in direct and "(2 appeals)" in direct  # one open, one decided
    assert "appealed" not in stranger and "(1 appeal)" in stranger  # decided only


def test_the_page_costs_the_same_queries_for_more_people(company, as_user, monkeypatch):
    cycle, _results = build(company)
    client = as_user(company.hr)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/calibrate/").status_code == 200
        return len(queries)

    before = count()
    for _n in range(30):
        person = EmployeeFactory(manager=company.manager, department=company.sales)
        result = Result.objects.create(cycle=cycle, employee=person, grade="B")
        _appeal(result, AppealStatus.FILED)
    assert count() == before

"""Every refused request leaves one line on ``perfcycle.access`` with who, what and why.

``tests/test_url_permissions.py`` checks that every refusal of every page and API
operation is logged once; here, what the line says.
"""

from __future__ import annotations

import logging

import pytest

from tests.factories import CycleFactory, GoalFactory

LOGGER = "perfcycle.access"


def _lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER]


@pytest.fixture
def goal(company):
    return GoalFactory(employee=company.direct, cycle=CycleFactory())


def test_a_hidden_object_names_the_action_and_the_object(company, as_user, goal, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    stranger = company.user("stranger")
    response = as_user(stranger).get(f"/plan/goals/{goal.pk}/")
    assert response.status_code == 404
    [line] = _lines(caplog)
    assert line.levelno == logging.WARNING
    assert (line.status, line.method, line.path) == (404, "GET", f"/plan/goals/{goal.pk}/")
    assert line.user_id == stranger.pk
    assert line.action == "planning.goal.view"
    assert line.object == f"planning.goal:{goal.pk}"
    assert line.request_id == response["X-Request-ID"]
    message = line.getMessage()
    assert f"user={stranger.pk}" in message and "action=planning.goal.view" in message


def test_a_forbidden_page_and_api_call(company, as_user, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    client = as_user(company.user("manager"))
    assert client.get("/org/people/new/").status_code == 403
    response = client.patch(
        f"/api/v1/employees/{company.direct.pk}",
        {"version": company.direct.version, "job_title": "Boss"},
        content_type="application/json",
    )
    assert response.status_code == 403
    page, api = _lines(caplog)
    assert (page.status, page.path, page.action) == (403, "/org/people/new/", "org.employee.create")
    assert (api.status, api.method, api.action) == (403, "PATCH", "org.employee.change")
    assert api.object == f"org.employee:{company.direct.pk}"
    assert page.levelno == api.levelno == logging.WARNING


def test_a_refusal_the_policy_did_not_make_is_logged_too(company, as_user, client, caplog):
    """An unknown address, a call without credentials: one line each, at INFO."""
    caplog.set_level(logging.INFO, logger=LOGGER)
    assert as_user(company.hr).get("/plan/goals/999999/").status_code == 404
    assert client.get("/api/v1/employees").status_code == 401
    missing, anonymous = _lines(caplog)
    assert (missing.status, missing.user_id, missing.action) == (404, company.hr.pk, "-")
    assert (anonymous.status, anonymous.user_id, anonymous.action) == (401, None, "-")
    assert missing.levelno == anonymous.levelno == logging.INFO


def test_allowed_requests_and_sign_in_redirects_log_nothing(company, as_user, client, goal, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    assert as_user(company.user("direct")).get(f"/plan/goals/{goal.pk}/").status_code == 200
    assert client.get(f"/plan/goals/{goal.pk}/").status_code == 302
    assert not _lines(caplog)

"""The demo company's home pages, as HR, a manager and an employee (a smoke test)."""

from __future__ import annotations

import io

import pytest

from perfcycle.accounts.models import User
from perfcycle.demo import demo_load


@pytest.fixture
def demo(db):
    demo_load(stdout=io.StringIO())


def _page(as_user, username: str) -> str:
    response = as_user(User.objects.get(username=username)).get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_demo_home_pages(demo, as_user):
    hr = _page(as_user, "hr")
    assert "Cycles under way" in hr
    assert "Feedback talks not held" in hr  # the Q3 cycle shows its results
    assert "share per grade against the guideline</title>" in hr
    assert "The weakest joint is" in hr

    manager = _page(as_user, "manager")
    assert 'id="team-todos"' in manager
    assert "Coach team members behind pace" in manager
    assert "<title>Your team: goal status per person</title>" in manager

    employee = _page(as_user, "employee")
    assert "Your to-dos" in employee
    assert "Read and acknowledge your result" in employee
    assert "expected by now" in employee
    assert 'id="team-todos"' not in employee


def test_every_demo_login_gets_a_home_page(demo, as_user):
    for user in User.objects.order_by("pk"):
        assert as_user(user).get("/").status_code == 200, user.username

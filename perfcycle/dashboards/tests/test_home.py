"""The home page as it was before the dashboards (still true): who you are, your team,
the company and recent changes for HR, the navigation."""

from __future__ import annotations

from perfcycle.org import services
from tests.factories import EmployeeFactory, UserFactory
from tests.pages import assert_phone_ready


def text(response) -> str:
    return response.content.decode()


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_employee_sees_themselves_only(company, as_user):
    response = as_user(company.user("stranger")).get("/")
    page = text(response)
    assert response.status_code == 200
    assert "Welcome, Sam Stranger" in page
    assert f'href="/org/people/{company.stranger.pk}/"' in page
    assert f'href="/org/departments/{company.other.pk}/"' in page
    assert "Top" in page  # their manager
    assert "Your team" not in page
    assert "Active employees" not in page
    assert "/admin/audit/" not in page
    assert_phone_ready(page)


def test_manager_sees_their_team(company, as_user):
    page = text(as_user(company.user("manager")).get("/"))
    assert "Your team" in page
    assert "2 people in your reporting line." in page
    assert f'href="/org/people/{company.direct.pk}/"' in page
    # Only direct reports are listed; the indirect one is counted.
    assert f'href="/org/people/{company.indirect.pk}/"' not in page
    assert "Recent changes" not in page


def test_a_manager_whose_reports_all_left_is_no_longer_a_manager(company, as_user):
    services.employee_update(
        actor=company.hr, employee=company.indirect, expected_version=1, status="left"
    )
    page = text(as_user(company.user("direct")).get("/"))
    assert "Your team" not in page


def test_hr_sees_the_company_and_recent_changes(company, as_user):
    services.department_update(
        actor=company.hr, department=company.sales, expected_version=1, name="Sales Team"
    )
    EmployeeFactory(status="left", left_on="2024-01-01")
    response = as_user(company.hr).get("/")
    page = text(response)
    assert response.context["summary"] == {
        "active": 6,
        "left": 1,
        "managers": 3,  # top, manager, direct
        "departments": 3,
    }
    assert "Recent changes" in page
    assert "Sales Team" in page
    assert 'href="/admin/audit/"' in page
    assert 'href="/org/import/"' in page
    assert "No cycle is open." in page
    assert_phone_ready(page)


def test_a_login_without_an_employee_record_still_gets_a_page(db, as_user):
    admin = UserFactory(username="root", is_superuser=True)
    response = as_user(admin).get("/")
    assert response.status_code == 200
    assert "Welcome" in text(response)
    assert "Recent changes" in text(response)  # a superuser counts as HR
    assert "Your to-dos" not in text(response)


def test_navigation_shows_the_loop_and_only_allowed_sections(company, as_user):
    page = text(as_user(company.user("stranger")).get("/"))
    nav = page.split('aria-label="Stages"')[1].split("</nav>")[0]
    stages = ("Plan", "Monitor", "Evaluate", "Calibrate", "Reward", "Improve", "Organisation")
    # Built or not yet built (a label without a link), every stage shows, in loop order.
    positions = [nav.find(f">{stage}</") for stage in stages]
    assert -1 not in positions
    assert positions == sorted(positions)
    assert 'href="/org/"' in page
    assert 'href="/admin/audit/"' not in page.split("</nav>")[0]
    hr_nav = text(as_user(company.hr).get("/")).split("</nav>")[0]
    assert 'href="/admin/audit/"' in hr_nav


def test_navigation_is_not_hidden_in_a_closed_disclosure(company, as_user):
    # A closed <details> hides its content whatever the CSS says, so on a wide screen
    # the stages would be invisible. The stages must be a plain, always-rendered list.
    page = text(as_user(company.hr).get("/org/"))
    header = page.split("</header>")[0]
    assert "<details" not in header
    assert 'aria-current="page"' in header

"""Plan stage pages, read as the people who use them: a manager assigns "new customers
≥ 20 a month" to the whole sales team in one step, the employee proposes and
acknowledges, a later change to the target asks for a new acknowledgement and shows
what changed; every bad input is a clear error on the page with nothing half-written;
the team page and the alignment tree cost the same number of queries for 10 and 100
people."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.test.utils import CaptureQueriesContext

from perfcycle.cycles.models import Cycle, CycleParticipant, Phase
from perfcycle.cycles.services import cycle_create
from perfcycle.imports.models import ImportFile, ImportStatus
from perfcycle.org.models import Employee
from perfcycle.planning import services
from perfcycle.planning.models import (
    Goal,
    GoalComment,
    GoalKind,
    GoalSheet,
    Indicator,
    KeyResult,
    Milestone,
    OwnerType,
    SheetStatus,
)
from perfcycle.planning.scoring import RuleType
from tests.factories import EmployeeFactory
from tests.pages import assert_phone_ready


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def new_customers(company) -> Indicator:
    return services.indicator_create(
        actor=company.hr,
        code="NEW_CUSTOMERS",
        name="New customers",
        job_family="sales",
        unit="customers",
        measurement_period="month",
        aggregation="average",
        data_source="CRM",
        calculation_method="New signed accounts per month",
    )


def kpi(company, cycle, employee, **values) -> Goal:
    values.setdefault("title", "New customers")
    values.setdefault("weight", D(100))
    values.setdefault("target", D(20))
    values.setdefault("unit", "customers")
    return services.goal_create(
        actor=company.hr, cycle=cycle, owner_type=OwnerType.EMPLOYEE, employee=employee, **values
    )


def cascade(company, cycle) -> tuple[Goal, Goal]:
    top = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.COMPANY,
        title="Sales 5,000,000",
        weight=D(100),
        target=D(5_000_000),
        unit="CNY",
    )
    dept = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.DEPARTMENT,
        department=company.sales,
        title="Sales department 5,000,000",
        weight=D(100),
        target=D(5_000_000),
        unit="CNY",
        parent=top,
    )
    return top, dept


def goal_post(goal: Goal | None = None, **changes) -> dict:
    """The goal form as a browser posts it (the fields a KPI shows)."""
    data = {
        "title": "New customers",
        "kind": "kpi",
        "weight": "100",
        "parent": "",
        "indicator": "",
        "due_date": "",
        "description": "",
        "ref": "",
        "unit": "customers",
        "baseline": "",
        "target": "20",
        "threshold": "",
        "stretch": "",
        "direction": "higher",
        "measurement_period": "month",
        "aggregation": "sum",
        "calculation_method": "",
        "quality_conditions": "",
        "data_source": "",
        "rule_type": "linear",
        "rule_floor": "0",
        "rule_cap": "120",
        "threshold_points": "60",
        "bands": "",
    }
    if goal is not None:
        for name in data:
            value = getattr(goal, name if name not in ("parent", "indicator") else f"{name}_id")
            if name == "bands":
                value = ", ".join(f"{a}:{b}" for a, b in value)
            data[name] = "" if value is None else str(value)
        data["allow_negative"] = "on" if goal.allow_negative else ""
        data["version"] = goal.version
    data.update({k: str(v) for k, v in changes.items()})
    return {k: v for k, v in data.items() if k != "allow_negative" or v}


def assign_query(cycle, **changes) -> dict:
    data = {
        "cycle": cycle.pk,
        "department": "",
        "job_family": "",
        "title": "",
        "target": "20",
        "threshold": "",
        "stretch": "",
        "baseline": "",
        "weight": "100",
        "parent": "",
    }
    data.update(changes)
    return data


def confirm_post(page, overrides: dict | None = None, leave_out=()) -> dict:
    """Step two of the assign page: the common values plus one row per person."""
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["confirm"] = "1"
    for row in page.context["rows"]:
        pk = row["employee"].pk
        if row["employee"] not in leave_out and not row["locked"]:
            data[f"include_{pk}"] = "1"
        data[f"target_{pk}"] = str(row["target"])
        data[f"weight_{pk}"] = str(row["weight"])
    for employee, values in (overrides or {}).items():
        for name, value in values.items():
            data[f"{name}_{employee.pk}"] = value
    return data


# The whole flow of the Done-when ------------------------------------------------------------


def test_assign_to_the_sales_team_acknowledge_then_a_change_needs_a_new_acknowledgement(
    company, as_user, cycle, new_customers
):
    manager = as_user(company.user("manager"))
    # The manager finds the indicator in the library and assigns it to Sales in one step.
    library = manager.get("/plan/indicators/")
    assert f"/plan/indicators/{new_customers.pk}/assign/" in text(library)
    page = manager.get(
        f"/plan/indicators/{new_customers.pk}/assign/",
        assign_query(cycle, department=company.sales.pk),
    )
    assert page.status_code == 200
    people = [row["employee"] for row in page.context["rows"]]
    assert set(people) == {company.manager, company.direct, company.indirect}
    assert_phone_ready(text(page))
    # Ivy is new: her target is lower. The manager's own goals come from the CEO.
    response = manager.post(
        f"/plan/indicators/{new_customers.pk}/assign/",
        confirm_post(
            page, overrides={company.indirect: {"target": "15"}}, leave_out=[company.manager]
        ),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/plan/team/?cycle={cycle.pk}"
    assert messages_of(response) == [
        "“New customers” assigned: 2 goals created, 0 updated, 0 unchanged."
    ]
    goals = {g.employee: g for g in Goal.objects.filter(indicator=new_customers)}
    assert set(goals) == {company.direct, company.indirect}
    assert goals[company.direct].target == 20 and goals[company.indirect].target == 15
    assert goals[company.direct].unit == "customers"  # the indicator's defaults
    assert goals[company.direct].measurement_period == "month"

    # Dan sees his goal with its standard and rule, and proposes it.
    dan = as_user(company.user("direct"))
    mine = dan.get(f"/plan/?cycle={cycle.pk}")
    body = text(mine)
    assert "New customers" in body and "CRM" in body and "New signed accounts per month" in body
    assert "Attainment = actual ÷ target." in body
    assert "Propose for approval" in body and "I understand and acknowledge" not in body
    sheet = GoalSheet.objects.get(cycle=cycle, employee=company.direct)
    response = dan.post(
        f"/plan/sheets/{sheet.pk}/propose/", {"version": sheet.version}, follow=True
    )
    assert messages_of(response) == ["The goals were proposed for approval."]
    assert GoalSheet.objects.get(pk=sheet.pk).status == SheetStatus.PROPOSED
    # He cannot approve his own goals: no button, and the step itself is refused.
    assert f"/plan/sheets/{sheet.pk}/approve/" not in text(response)
    assert dan.post(f"/plan/sheets/{sheet.pk}/approve/").status_code == 403

    # The manager approves from the team page.
    team = manager.get(f"/plan/team/?cycle={cycle.pk}&status=proposed")
    assert [r.employee for r in team.context["page"]] == [company.direct]
    assert f"/plan/sheets/{sheet.pk}/approve/" in text(team)
    manager.post(f"/plan/sheets/{sheet.pk}/approve/", {"version": 2})
    assert GoalSheet.objects.get(pk=sheet.pk).status == SheetStatus.APPROVED

    # Dan acknowledges.
    body = text(dan.get(f"/plan/?cycle={cycle.pk}"))
    assert "I understand and acknowledge these goals" in body
    response = dan.post(f"/plan/sheets/{sheet.pk}/acknowledge/", {"version": 3}, follow=True)
    assert messages_of(response) == ["You acknowledged your goals."]
    assert "Acknowledgement history" in text(response)
    assert GoalSheet.objects.get(pk=sheet.pk).status == SheetStatus.ACKNOWLEDGED

    # The manager raises the target: Dan must acknowledge again, and sees the change.
    goal = goals[company.direct]
    goal.refresh_from_db()
    response = manager.post(
        f"/plan/goals/{goal.pk}/edit/", goal_post(goal, target="25"), follow=True
    )
    assert messages_of(response)[-2:] == [
        "Goal saved.",
        "The goals had been acknowledged; Dan Direct is asked to acknowledge the change.",
    ]
    assert GoalSheet.objects.get(pk=sheet.pk).status == SheetStatus.APPROVED
    body = text(dan.get(f"/plan/?cycle={cycle.pk}"))
    assert "Changed since the last acknowledgement" in body
    assert "Target <del>20</del> → <ins>25</ins>" in body
    assert "I understand and acknowledge these goals" in body
    dan.post(f"/plan/sheets/{sheet.pk}/acknowledge/")
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.ACKNOWLEDGED
    assert sheet.acknowledgements.count() == 2
    body = text(dan.get(f"/plan/?cycle={cycle.pk}"))
    assert "Changed since the last acknowledgement" not in body
    # The goal page keeps the change history.
    history = text(manager.get(f"/plan/goals/{goal.pk}/"))
    assert "Change history" in history and "<ins>25</ins>" in history


def test_an_unchanged_resubmission_does_not_ask_for_a_new_acknowledgement(company, as_user, cycle):
    goal = kpi(company, cycle, company.direct)
    sheet = goal.sheet
    services.sheet_propose(actor=company.user("direct"), sheet=sheet)
    services.sheet_approve(actor=company.user("manager"), sheet=sheet)
    services.sheet_acknowledge(actor=company.user("direct"), sheet=sheet)
    goal.refresh_from_db()
    manager = as_user(company.user("manager"))
    response = manager.post(
        f"/plan/goals/{goal.pk}/edit/", goal_post(goal, description="Focus on SMB")
    )
    assert response.status_code == 302
    assert GoalSheet.objects.get(pk=sheet.pk).status == SheetStatus.ACKNOWLEDGED


# Bad input: clear errors, nothing half-written ------------------------------------------------


def test_weights_not_100_cannot_be_proposed(company, as_user, cycle):
    kpi(company, cycle, company.direct, weight=D(60))
    dan = as_user(company.user("direct"))
    body = text(dan.get(f"/plan/?cycle={cycle.pk}"))
    assert "Weights must total 100% before the goals are proposed." in body
    sheet = GoalSheet.objects.get(employee=company.direct)
    response = dan.post(f"/plan/sheets/{sheet.pk}/propose/", follow=True)
    assert messages_of(response) == ["Goal weights must total 100%; they total 60.00%."]
    assert GoalSheet.objects.get(pk=sheet.pk).status == SheetStatus.DRAFT


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"target": ""}, "target", "A quantitative KPI needs a target."),
        ({"threshold": "25"}, "threshold", "The threshold must not be above the target."),
        ({"stretch": "10"}, "stretch", "The stretch must be at least as good as the target."),
        ({"rule_type": "banded"}, "bands", "A banded rule needs at least one band."),
        ({"bands": "100 points"}, "bands", "Write each band as attainment:points"),
        ({"weight": "120"}, "weight", "less than or equal to 100"),
        ({"title": "", "indicator": ""}, "title", "Give the goal a title, or choose an indicator."),
        ({"kind": "milestone", "target": ""}, "due_date", "A milestone needs a due date."),
        ({"due_date": "2027-01-01"}, "due_date", "The due date must fall within the cycle."),
    ],
)
def test_bad_goal_input_is_shown_on_the_form(company, as_user, cycle, changes, field, message):
    dan = as_user(company.user("direct"))
    url = f"/plan/goals/new/?cycle={cycle.pk}&employee={company.direct.pk}"
    response = dan.post(url, goal_post(**changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message.split("“")[0] in text(response).replace("&#x27;", "'")
    assert not Goal.objects.exists()
    assert not GoalSheet.objects.filter(goals__isnull=False).exists()


def test_editing_in_a_closed_cycle_is_refused(company, as_user, cycle):
    goal = kpi(company, cycle, company.direct)
    Cycle.objects.filter(pk=cycle.pk).update(phase=Phase.CLOSED)
    manager = as_user(company.user("manager"))
    page = text(manager.get(f"/plan/goals/{goal.pk}/"))
    assert "goals can no longer change" in page
    assert f"/plan/goals/{goal.pk}/edit/" not in page
    response = manager.post(f"/plan/goals/{goal.pk}/edit/", goal_post(goal, target="30"))
    assert response.status_code == 200
    assert "can no longer change: it is in the closed phase" in text(response)
    goal.refresh_from_db()
    assert goal.target == 20 and goal.version == 1
    for url in (f"/plan/goals/{goal.pk}/delete/", f"/plan/goals/{goal.pk}/milestones/"):
        manager.post(url, {"milestone-title": "x", "milestone-due_date": "2026-02-01"})
    assert Goal.objects.filter(pk=goal.pk).exists()
    assert not Milestone.objects.exists()


def test_an_employee_cannot_see_or_edit_someone_elses_goal(company, as_user, cycle):
    goal = kpi(company, cycle, company.stranger)
    dan = as_user(company.user("direct"))
    for url in (
        f"/plan/goals/{goal.pk}/",
        f"/plan/goals/{goal.pk}/edit/",
        f"/plan/goals/{goal.pk}/delete/",
        f"/plan/people/{company.stranger.pk}/",
    ):
        assert dan.get(url).status_code == 404, url
    assert dan.post(f"/plan/goals/{goal.pk}/edit/", goal_post(goal, target="1")).status_code == 404
    assert dan.post(f"/plan/goals/{goal.pk}/delete/").status_code == 404
    assert dan.post(f"/plan/goals/{goal.pk}/comments/", {"body": "hi"}).status_code == 404
    sheet = goal.sheet
    assert dan.post(f"/plan/sheets/{sheet.pk}/propose/").status_code == 404
    response = dan.get(f"/plan/goals/new/?cycle={cycle.pk}&employee={company.stranger.pk}")
    assert response.status_code == 404
    goal.refresh_from_db()
    assert goal.target == 20 and not GoalComment.objects.exists()
    # Nor his manager's: a report is not above their manager.
    mine = kpi(company, cycle, company.manager)
    assert dan.get(f"/plan/goals/{mine.pk}/edit/").status_code == 404


def test_a_parent_goal_from_another_cycle_is_refused(company, as_user, cycle, new_customers):
    other = cycle_create(
        actor=company.hr,
        name="2025 Q4",
        period_type="quarter",
        start_date=dt.date(2025, 10, 1),
        end_date=dt.date(2025, 12, 31),
    )
    Cycle.objects.filter(pk=other.pk).update(phase=Phase.PLANNING)
    foreign = services.goal_create(
        actor=company.hr,
        cycle=other,
        owner_type=OwnerType.COMPANY,
        title="Old target",
        weight=D(100),
        target=D(1),
    )
    _top, dept = cascade(company, cycle)
    manager = as_user(company.user("manager"))
    # The goal form offers only goals of the same cycle...
    url = f"/plan/goals/new/?cycle={cycle.pk}&employee={company.direct.pk}"
    choices = list(manager.get(url).context["form"].fields["parent"].queryset)
    assert dept in choices and foreign not in choices
    response = manager.post(url, goal_post(parent=foreign.pk))
    assert "Select a valid choice" in " ".join(response.context["form"].errors["parent"])
    assert not Goal.objects.filter(employee=company.direct).exists()
    # ...and the assignment page, which lists goals of every open cycle, refuses it.
    query = assign_query(cycle, department=company.sales.pk, parent=foreign.pk)
    page = manager.get(f"/plan/indicators/{new_customers.pk}/assign/", query)
    response = manager.post(f"/plan/indicators/{new_customers.pk}/assign/", confirm_post(page))
    assert response.status_code == 200
    assert "A goal can only align to a goal of the same cycle." in text(response)
    assert not Goal.objects.filter(indicator=new_customers).exists()


def test_an_assignment_with_one_bad_row_writes_nothing(company, as_user, cycle, new_customers):
    manager = as_user(company.user("manager"))
    url = f"/plan/indicators/{new_customers.pk}/assign/"
    page = manager.get(url, assign_query(cycle, department=company.sales.pk, threshold="16"))
    response = manager.post(url, confirm_post(page, overrides={company.indirect: {"target": "15"}}))
    assert response.status_code == 200
    body = text(response)
    assert "1 assignment(s) are not valid; nothing was assigned." in body
    row = next(r for r in response.context["rows"] if r["employee"] == company.indirect)
    assert row["errors"] == [
        "Threshold (minimum acceptable): The threshold must not be above the target."
    ]
    assert 'value="15"' in body  # the override the manager typed is kept
    response = manager.post(url, confirm_post(page, overrides={company.direct: {"weight": "x"}}))
    assert "Some rows need correcting; nothing was assigned." in text(response)
    assert not Goal.objects.exists()


# Pages and who sees what ------------------------------------------------------------------


def test_pages_need_a_sign_in(company, client, cycle):
    for url in ("/plan/", "/plan/team/", "/plan/alignment/", "/plan/indicators/", "/plan/import/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next=")


def test_the_plan_stage_is_in_the_navigation(company, as_user, cycle):
    response = as_user(company.user("direct")).get("/plan/")
    item = next(i for i in response.context["nav_items"] if i["key"] == "plan")
    assert item["url"] == "/plan/" and item["active"]


def test_every_plan_page_is_phone_ready(company, as_user, cycle, new_customers):
    top, dept = cascade(company, cycle)
    goal = kpi(
        company,
        cycle,
        company.direct,
        parent=dept,
        threshold=D(15),
        stretch=D(30),
        rule_type=RuleType.THRESHOLD_STRETCH,
    )
    okr = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.EMPLOYEE,
        employee=company.indirect,
        title="Launch the partner programme",
        kind=GoalKind.OKR,
        weight=D(100),
    )
    services.key_result_create(actor=company.hr, goal=okr, title="Partners signed", target=D(5))
    services.milestone_create(
        actor=company.hr, goal=goal, title="Call list", due_date=dt.date(2026, 1, 15)
    )
    stored = ImportFile.objects.create(
        kind="goals",
        filename="g.csv",
        content=b"",
        sha256="0",
        uploaded_by=company.hr,
        status=ImportStatus.REJECTED,
        report={
            "message": "Bad",
            "errors": [{"line": 2, "column": "weight", "message": "Empty"}],
            "cycle_id": cycle.pk,
        },
    )
    hr = as_user(company.hr)
    urls = [
        "/plan/",
        f"/plan/people/{company.direct.pk}/?cycle={cycle.pk}",
        "/plan/team/",
        "/plan/alignment/",
        f"/plan/goals/{goal.pk}/?actual=18",
        f"/plan/goals/{okr.pk}/",
        f"/plan/goals/{top.pk}/",
        f"/plan/goals/{goal.pk}/edit/",
        f"/plan/goals/{goal.pk}/delete/",
        f"/plan/goals/new/?cycle={cycle.pk}&employee={company.direct.pk}&indicator={new_customers.pk}",
        f"/plan/goals/new/?cycle={cycle.pk}&owner=department",
        f"/plan/goals/new/?cycle={cycle.pk}&owner=company",
        "/plan/indicators/",
        "/plan/indicators/new/",
        f"/plan/indicators/{new_customers.pk}/edit/",
        f"/plan/indicators/{new_customers.pk}/assign/",
        f"/plan/indicators/{new_customers.pk}/assign/?{'&'.join(f'{k}={v}' for k, v in assign_query(cycle, department=company.sales.pk).items())}",
        "/plan/import/",
        f"/plan/import/{stored.pk}/",
    ]
    tables = 0
    for url in urls:
        response = hr.get(url)
        assert response.status_code == 200, url
        tables += assert_phone_ready(text(response)).tables
    assert tables >= 6


def test_my_goals_without_an_employee_record_or_a_cycle(company, as_user, cycle):
    from tests.factories import UserFactory

    response = as_user(UserFactory(username="auditor")).get("/plan/")
    assert response.status_code == 200
    assert "not linked to an employee record" in text(response)
    Cycle.objects.all().delete()
    response = as_user(company.user("direct")).get("/plan/")
    assert "There is no cycle yet." in text(response)
    assert as_user(company.user("direct")).get("/plan/?cycle=99999").status_code == 404


def test_the_goal_page_shows_the_what_if_score(company, as_user, cycle):
    goal = kpi(company, cycle, company.direct)
    dan = as_user(company.user("direct"))
    response = dan.get(f"/plan/goals/{goal.pk}/", {"actual": "18"})
    body = text(response)
    assert response.context["what_if"].points == D("90.00")
    assert (
        "An actual of 18 customers would earn <strong>90 points</strong> (attainment 90%)." in body
    )
    # The standard's own values, scored by the same rule.
    assert [(e.label, e.result.points) for e in response.context["examples"]] == [
        ("Target", D("100.00"))
    ]
    response = dan.get(f"/plan/goals/{goal.pk}/", {"actual": "30"})
    assert response.context["what_if"].points == D("120.00")  # capped
    response = dan.get(f"/plan/goals/{goal.pk}/", {"actual": "lots"})
    assert response.context["what_if"] is None
    assert "Enter a number." in text(response)


def test_the_what_if_follows_a_threshold_and_stretch_rule(company, as_user, cycle):
    goal = kpi(
        company,
        cycle,
        company.direct,
        threshold=D(15),
        stretch=D(30),
        rule_type=RuleType.THRESHOLD_STRETCH,
    )
    dan = as_user(company.user("direct"))
    response = dan.get(f"/plan/goals/{goal.pk}/", {"actual": "25"})
    assert response.context["what_if"].points == D("110.00")
    assert [e.result.points for e in response.context["examples"]] == [D(60), D(100), D(120)]
    assert "Below the threshold 15 customers: 0 points" in text(response)


def test_the_indicator_picker_fills_in_the_defaults(company, as_user, cycle, new_customers):
    dan = as_user(company.user("direct"))
    url = f"/plan/goals/new/?cycle={cycle.pk}&employee={company.direct.pk}&indicator={new_customers.pk}"
    form = dan.get(url).context["form"]
    assert form.initial["title"] == "New customers"
    assert form.initial["unit"] == "customers"
    assert form.initial["measurement_period"] == "month"
    assert form.initial["aggregation"] == "average"
    assert form.initial["indicator"] == new_customers.pk
    assert form.initial["weight"] == 100  # what is left of 100 %
    response = dan.post(url, goal_post(indicator=new_customers.pk, title="", aggregation="average"))
    goal = Goal.objects.get()
    assert response["Location"] == f"/plan/goals/{goal.pk}/"
    assert goal.title == "New customers" and goal.indicator == new_customers
    assert goal.created_by == company.user("direct")


def test_the_parent_picker_offers_visible_goals_of_the_cycle_only(company, as_user, cycle):
    top, dept = cascade(company, cycle)
    managers = kpi(company, cycle, company.manager)
    strangers = kpi(company, cycle, company.stranger)
    dan = as_user(company.user("direct"))
    choices = list(
        dan.get(f"/plan/goals/new/?cycle={cycle.pk}").context["form"].fields["parent"].queryset
    )
    # Dan may not see his manager's personal goal; his manager does.
    assert choices == [top, dept]
    manager = as_user(company.user("manager"))
    choices = list(
        manager.get(f"/plan/goals/new/?cycle={cycle.pk}&employee={company.indirect.pk}")
        .context["form"]
        .fields["parent"]
        .queryset
    )
    assert managers in choices and strangers not in choices and top in choices


def test_a_non_kpi_goal_keeps_no_target(company, as_user, cycle):
    dan = as_user(company.user("direct"))
    url = f"/plan/goals/new/?cycle={cycle.pk}&employee={company.direct.pk}"
    dan.post(
        url, goal_post(kind="okr", title="Open the Hangzhou market", target="20", threshold="25")
    )
    goal = Goal.objects.get()
    assert goal.kind == GoalKind.OKR and goal.target is None and goal.threshold is None


def test_milestones_key_results_and_comments(company, as_user, cycle):
    goal = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.EMPLOYEE,
        employee=company.direct,
        title="Open the Hangzhou market",
        kind=GoalKind.OKR,
        weight=D(100),
    )
    dan = as_user(company.user("direct"))
    url = f"/plan/goals/{goal.pk}/"
    response = dan.post(
        f"{url}milestones/",
        {"milestone-title": "Hire two reps", "milestone-due_date": "2026-02-15"},
        follow=True,
    )
    assert messages_of(response) == ["Milestone added."]
    milestone = Milestone.objects.get()
    assert milestone.owner == company.direct
    # A due date outside the cycle is shown on the form; nothing is written.
    response = dan.post(
        f"{url}milestones/", {"milestone-title": "Late", "milestone-due_date": "2026-05-01"}
    )
    assert "The due date must fall within the cycle." in text(response)
    assert Milestone.objects.count() == 1
    dan.post(f"/plan/milestones/{milestone.pk}/done/", {"done": "1"})
    milestone.refresh_from_db()
    assert milestone.done_at is not None
    assert '<li class="done">' in text(dan.get(url))
    response = dan.post(f"/plan/milestones/{milestone.pk}/done/", {"done": "0", "next": "sheet"})
    assert response["Location"] == f"/plan/?cycle={cycle.pk}"
    assert Milestone.objects.get().done_at is None

    response = dan.post(
        f"{url}key-results/",
        {
            "kr-title": "Partners signed",
            "kr-target": "5",
            "kr-direction": "higher",
            "kr-weight": "50",
        },
        follow=True,
    )
    assert messages_of(response) == ["Key result added."]
    assert KeyResult.objects.get().target == 5
    response = dan.post(f"{url}key-results/", {"kr-title": "No target", "kr-direction": "higher"})
    assert response.context["key_result_form"].errors["target"]
    assert KeyResult.objects.count() == 1

    dan.post(f"{url}comments/", {"body": "Should we include Ningbo?"})
    manager = as_user(company.user("manager"))
    response = manager.post(f"{url}comments/", {"body": "Yes, from February."}, follow=True)
    assert "Should we include Ningbo?" in text(response) and "Yes, from February." in text(response)
    response = manager.post(f"{url}comments/", {"body": "   "})
    assert response.context["comment_form"].errors
    assert GoalComment.objects.count() == 2
    # A stranger sees neither the goal nor its comments.
    assert as_user(company.user("stranger")).get(url).status_code == 404


def test_a_milestone_goal_is_marked_done(company, as_user, cycle):
    goal = services.goal_create(
        actor=company.hr,
        cycle=cycle,
        owner_type=OwnerType.EMPLOYEE,
        employee=company.direct,
        title="Price list ready",
        kind=GoalKind.MILESTONE,
        weight=D(100),
        due_date=dt.date(2026, 1, 31),
    )
    dan = as_user(company.user("direct"))
    body = text(dan.get(f"/plan/goals/{goal.pk}/"))
    assert "Done by the due date: 100 points; otherwise 0 points." in body
    dan.post(f"/plan/goals/{goal.pk}/done/", {"done": "1"})
    goal.refresh_from_db()
    assert goal.done_at is not None
    assert dan.get(f"/plan/goals/{goal.pk}/").context["progress"] == 100


def test_deleting_a_goal(company, as_user, cycle):
    goal = kpi(company, cycle, company.direct)
    dan = as_user(company.user("direct"))
    assert "Delete “New customers”?" in text(dan.get(f"/plan/goals/{goal.pk}/delete/"))
    response = dan.post(f"/plan/goals/{goal.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == f"/plan/?cycle={cycle.pk}"
    assert messages_of(response) == ["Goal deleted."]
    assert not Goal.objects.exists()


def test_an_employee_cannot_change_proposed_goals(company, as_user, cycle):
    goal = kpi(company, cycle, company.direct)
    services.sheet_propose(actor=company.user("direct"), sheet=goal.sheet)
    goal.refresh_from_db()
    dan = as_user(company.user("direct"))
    response = dan.post(f"/plan/goals/{goal.pk}/edit/", goal_post(goal, target="10"))
    assert "ask your manager to return them to draft" in text(response)
    assert Goal.objects.get().target == 20
    # The manager returns them with a reason; then Dan can change them again.
    manager = as_user(company.user("manager"))
    sheet = goal.sheet
    response = manager.post(f"/plan/sheets/{sheet.pk}/return/", {"reason": ""}, follow=True)
    assert messages_of(response) == ["Say why the goals go back to draft."]
    manager.post(f"/plan/sheets/{sheet.pk}/return/", {"reason": "Target too low for Q1"})
    assert GoalSheet.objects.get().status == SheetStatus.DRAFT
    goal.refresh_from_db()
    response = dan.post(f"/plan/goals/{goal.pk}/edit/", goal_post(goal, target="22"))
    assert response.status_code == 302
    assert Goal.objects.get().target == 22


def test_agreed_goals_are_read_only_for_the_employee(company, as_user, cycle):
    goal = kpi(company, cycle, company.direct)
    milestone = services.milestone_create(
        actor=company.hr, goal=goal, title="Call list", due_date=dt.date(2026, 1, 15)
    )
    services.sheet_propose(actor=company.user("direct"), sheet=goal.sheet)
    dan = as_user(company.user("direct"))
    body = text(dan.get(f"/plan/?cycle={cycle.pk}"))
    assert "Your goals are proposed; ask your manager to return them to draft" in body
    assert f"/plan/goals/{goal.pk}/edit/" not in body and "Add a goal" not in body
    assert f"/plan/milestones/{milestone.pk}/done/" in body  # the action plan stays open
    body = text(dan.get(f"/plan/goals/{goal.pk}/"))
    assert (
        f"/plan/goals/{goal.pk}/edit/" not in body and f"/plan/goals/{goal.pk}/delete/" not in body
    )
    # The manager may still change them (and the employee then acknowledges again).
    body = text(as_user(company.user("manager")).get(f"/plan/goals/{goal.pk}/"))
    assert f"/plan/goals/{goal.pk}/edit/" in body and f"/plan/goals/{goal.pk}/delete/" not in body


def test_only_the_employee_acknowledges(company, as_user, cycle):
    goal = kpi(company, cycle, company.direct)
    services.sheet_propose(actor=company.user("direct"), sheet=goal.sheet)
    services.sheet_approve(actor=company.user("manager"), sheet=goal.sheet)
    manager = as_user(company.user("manager"))
    body = text(manager.get(f"/plan/people/{company.direct.pk}/?cycle={cycle.pk}"))
    assert "I understand and acknowledge these goals" not in body
    assert "Return to draft" in body
    assert manager.post(f"/plan/sheets/{goal.sheet.pk}/acknowledge/").status_code == 403
    assert GoalSheet.objects.get().status == SheetStatus.APPROVED


def test_the_team_page_reads_one_page_and_counts_everyone(company, as_user, cycle, monkeypatch):
    """The team page is paginated in the database: a page holds TEAM_PAGE_SIZE people,
    by name, the counts and the total are everyone's, and a status filter narrows the
    pages (a draft is someone with a draft sheet or none)."""
    monkeypatch.setattr("perfcycle.planning.views.sheets.TEAM_PAGE_SIZE", 2)
    kpi(company, cycle, company.direct, weight=D(80))
    goal = kpi(company, cycle, company.indirect)
    services.sheet_propose(actor=company.user("indirect"), sheet=goal.sheet)
    hr = as_user(company.hr)
    everyone = sorted(
        CycleParticipant.objects.filter(cycle=cycle).select_related("employee"),
        key=lambda p: (p.employee.name, p.employee_id),
    )
    seen = []
    for number in (1, 2, 3):
        response = hr.get(f"/plan/team/?cycle={cycle.pk}&page={number}")
        assert response.context["total"] == len(everyone) == 6
        assert {v: n for v, _label, n in response.context["statuses"]} == {
            **dict.fromkeys(SheetStatus.values, 0),
            SheetStatus.DRAFT: 5,
            SheetStatus.PROPOSED: 1,
        }
        page = list(response.context["page"])
        assert len(page) == 2
        seen += [row.employee for row in page]
    assert seen == [p.employee for p in everyone]
    # Only the page's people are read: the participants' query asks for a page.
    with CaptureQueriesContext(connection) as queries:
        hr.get(f"/plan/team/?cycle={cycle.pk}&page=2")
    read = [q["sql"] for q in queries if 'FROM "cycles_cycleparticipant"' in q["sql"]]
    assert read and all("COUNT(" in sql or "LIMIT 2" in sql for sql in read)
    assert "Page 3 of 3" in text(hr.get(f"/plan/team/?cycle={cycle.pk}&page=3"))
    drafts = hr.get(f"/plan/team/?cycle={cycle.pk}&status=draft")
    assert drafts.context["page"].paginator.count == 5
    assert company.indirect not in {r.employee for r in drafts.context["page"]}
    proposed = hr.get(f"/plan/team/?cycle={cycle.pk}&status=proposed")
    assert [(r.employee, r.goal_count) for r in proposed.context["page"]] == [(company.indirect, 1)]


def test_the_team_page_lists_the_people_one_may_see(company, as_user, cycle):
    kpi(company, cycle, company.direct, weight=D(80))
    goal = kpi(company, cycle, company.indirect)
    services.sheet_propose(actor=company.user("indirect"), sheet=goal.sheet)
    manager = as_user(company.user("manager"))
    response = manager.get(f"/plan/team/?cycle={cycle.pk}")
    rows = {r.employee: r for r in response.context["page"]}
    assert set(rows) == {company.manager, company.direct, company.indirect}
    assert rows[company.direct].weight_total == 80 and rows[company.direct].goal_count == 1
    assert rows[company.indirect].status == SheetStatus.PROPOSED
    body = text(response)
    assert f"/plan/people/{company.direct.pk}/?cycle={cycle.pk}" in body
    assert "Proposed: 1" in body
    response = manager.get(f"/plan/team/?cycle={cycle.pk}&status=draft")
    assert {r.employee for r in response.context["page"]} == {company.manager, company.direct}
    # Dan sees himself and Ivy; the stranger only himself; HR everyone in the cycle.
    dan = as_user(company.user("direct")).get(f"/plan/team/?cycle={cycle.pk}")
    assert {r.employee for r in dan.context["page"]} == {company.direct, company.indirect}
    sam = as_user(company.user("stranger")).get(f"/plan/team/?cycle={cycle.pk}")
    assert [r.employee for r in sam.context["page"]] == [company.stranger]
    hr = as_user(company.hr).get(f"/plan/team/?cycle={cycle.pk}")
    assert hr.context["total"] == 6
    # A manager can open a report's goals and add one.
    page = manager.get(f"/plan/people/{company.direct.pk}/?cycle={cycle.pk}")
    assert f"/plan/goals/new/?cycle={cycle.pk}&amp;employee={company.direct.pk}" in text(page)


def test_the_alignment_tree_shows_the_cascade_with_rolled_up_progress(company, as_user, cycle):
    top, dept = cascade(company, cycle)
    dan_goal = kpi(company, cycle, company.direct, parent=dept)
    ivy_goal = kpi(company, cycle, company.indirect, parent=dept)
    Goal.objects.filter(pk=dan_goal.pk).update(current_value=D(10))  # 50 %
    Goal.objects.filter(pk=ivy_goal.pk).update(current_value=D(20))  # 100 %
    manager = as_user(company.user("manager"))
    response = manager.get(f"/plan/alignment/?cycle={cycle.pk}")
    roots = response.context["roots"]
    assert [n.goal for n in roots] == [top]
    assert [n.goal for n in roots[0].children] == [dept]
    assert {n.goal for n in roots[0].children[0].children} == {dan_goal, ivy_goal}
    assert roots[0].shown_progress == 75
    body = text(response)
    assert "Sales 5,000,000" in body and "(rolled up)" in body and "Dan Direct" in body
    # A stranger sees the company and department goals, not the people's.
    response = as_user(company.user("stranger")).get(f"/plan/alignment/?cycle={cycle.pk}")
    body = text(response)
    assert "Sales department 5,000,000" in body and "Dan Direct" not in body
    assert "Add a company goal" not in body
    goal_page = text(as_user(company.user("stranger")).get(f"/plan/goals/{dept.pk}/"))
    assert "and 2 personal goals you cannot see" in goal_page


def test_a_large_alignment_tree_counts_personal_goals_under_their_parents(
    company, as_user, cycle, monkeypatch
):
    """Beyond ALIGNMENT_LISTED personal goals the tree lists the company and department
    goals only; the personal goals aligned to each are counted, and its progress rolls
    up from them exactly as when they are listed."""
    top, dept = cascade(company, cycle)
    dan_goal = kpi(company, cycle, company.direct, parent=dept)
    ivy_goal = kpi(company, cycle, company.indirect, parent=dept)
    kpi(company, cycle, company.manager)  # aligned to nothing
    Goal.objects.filter(pk=dan_goal.pk).update(current_value=D(10))  # 50 %
    Goal.objects.filter(pk=ivy_goal.pk).update(current_value=D(20))  # 100 %
    hr = as_user(company.hr)
    listed = hr.get(f"/plan/alignment/?cycle={cycle.pk}")
    assert listed.context["alignment"].listed
    monkeypatch.setattr("perfcycle.planning.selectors.ALIGNMENT_LISTED", 2)
    response = hr.get(f"/plan/alignment/?cycle={cycle.pk}")
    alignment = response.context["alignment"]
    assert (alignment.personal, alignment.listed) == (3, False)
    (root,) = alignment.roots
    assert root.goal == top and [n.goal for n in root.children] == [dept]
    assert root.children[0].children == [] and len(root.children[0].unlisted) == 2
    assert root.shown_progress == listed.context["roots"][0].shown_progress == 75
    body = text(response)
    assert "2 personal goals aligned" in body and "Dan Direct" not in body
    assert "You see more than 2 personal goals" in body


def test_hr_adds_company_and_department_goals(company, as_user, cycle):
    hr = as_user(company.hr)
    assert "Add a company goal" in text(hr.get(f"/plan/alignment/?cycle={cycle.pk}"))
    response = hr.post(
        f"/plan/goals/new/?cycle={cycle.pk}&owner=company",
        goal_post(title="Sales 5,000,000", target="5000000", unit="CNY", aggregation="sum"),
    )
    top = Goal.objects.get()
    assert response["Location"] == f"/plan/goals/{top.pk}/"
    assert top.owner_type == OwnerType.COMPANY
    response = hr.post(
        f"/plan/goals/new/?cycle={cycle.pk}&owner=department",
        {
            **goal_post(title="Sales department", target="5000000", parent=top.pk),
            "department": company.sales.pk,
        },
    )
    dept = Goal.objects.get(owner_type=OwnerType.DEPARTMENT)
    assert dept.department == company.sales and dept.parent == top
    # Without a department the form says so.
    response = hr.post(f"/plan/goals/new/?cycle={cycle.pk}&owner=department", goal_post())
    assert response.context["department_form"].errors["department"]
    # An employee may create neither.
    dan = as_user(company.user("direct"))
    assert dan.get(f"/plan/goals/new/?cycle={cycle.pk}&owner=company").status_code == 403
    assert dan.get(f"/plan/goals/new/?cycle={cycle.pk}&owner=department").status_code == 403


# Indicator library --------------------------------------------------------------------------


def test_the_library_by_job_family(company, as_user, new_customers):
    services.indicator_create(
        actor=company.hr, code="OUTPUT", name="Units produced", job_family="production"
    )
    dan = as_user(company.user("direct"))
    response = dan.get("/plan/indicators/?family=sales")
    assert list(response.context["indicators"]) == [new_customers]
    body = text(response)
    # Dan manages Ivy, so he may assign indicators to his team, but not edit the library.
    assert "New indicator" not in body and "/edit/" not in body and "/assign/" in body
    stranger = as_user(company.user("stranger"))
    assert "/assign/" not in text(stranger.get("/plan/indicators/"))
    assert stranger.get(f"/plan/indicators/{new_customers.pk}/assign/").status_code == 403
    assert dan.get("/plan/indicators/new/").status_code == 403
    assert dan.get(f"/plan/indicators/{new_customers.pk}/edit/").status_code == 403
    assert (
        len(as_user(company.user("stranger")).get("/plan/indicators/").context["indicators"]) == 2
    )


def test_hr_creates_and_edits_an_indicator(company, as_user):
    hr = as_user(company.hr)
    data = {
        "code": "SAT",
        "name": "Customer satisfaction",
        "job_family": "service",
        "description": "",
        "is_active": "on",
        "unit": "%",
        "direction": "higher",
        "measurement_period": "quarter",
        "aggregation": "average",
        "calculation_method": "",
        "quality_conditions": "",
        "data_source": "Survey",
        "rule_type": "banded",
        "rule_floor": "0",
        "rule_cap": "120",
        "threshold_points": "60",
        "bands": "100:100, 90:80, 80:60",
    }
    response = hr.post("/plan/indicators/new/", data)
    assert response.status_code == 302
    indicator = Indicator.objects.get(code="SAT")
    assert indicator.bands == [[100, 100], [90, 80], [80, 60]]
    form = hr.get(f"/plan/indicators/{indicator.pk}/edit/").context["form"]
    assert form["bands"].value() == "100:100, 90:80, 80:60"
    # A cap below 100 is refused on edit as on create, with nothing written.
    response = hr.post(
        f"/plan/indicators/{indicator.pk}/edit/", {**data, "rule_cap": "90", "version": 1}
    )
    assert "The cap must be at least 100 points" in text(response)
    assert Indicator.objects.get().rule_cap == 120
    response = hr.post(
        f"/plan/indicators/{indicator.pk}/edit/", {**data, "name": "CSAT", "version": 1}
    )
    assert response.status_code == 302
    assert Indicator.objects.get().name == "CSAT"


def test_a_manager_assigns_within_their_own_team_only(company, as_user, cycle, new_customers):
    manager = as_user(company.user("manager"))
    url = f"/plan/indicators/{new_customers.pk}/assign/"
    page = manager.get(url, assign_query(cycle, department=company.other.pk))
    assert page.context["rows"] == []
    assert "Nobody you may assign goals to matches." in text(page)
    # Posting someone outside the team is ignored: only the offered people can be assigned.
    page = manager.get(url, assign_query(cycle, department=company.sales.pk))
    data = confirm_post(page)
    data[f"include_{company.stranger.pk}"] = "1"
    data[f"target_{company.stranger.pk}"] = "20"
    data[f"weight_{company.stranger.pk}"] = "100"
    manager.post(url, data)
    assert not Goal.objects.filter(employee=company.stranger).exists()
    assert Goal.objects.filter(indicator=new_customers).count() == 3
    # HR may assign to anyone, e.g. a whole job family across departments.
    Employee.objects.filter(pk__in=[company.stranger.pk, company.direct.pk]).update(
        job_family="sales"
    )
    hr = as_user(company.hr)
    page = hr.get(url, assign_query(cycle, job_family="sales"))
    assert {r["employee"] for r in page.context["rows"]} == {company.stranger, company.direct}


def test_an_assignment_skips_agreed_goals_and_updates_existing_ones(
    company, as_user, cycle, new_customers
):
    services.indicator_assign(
        actor=company.hr,
        cycle=cycle,
        indicator=new_customers,
        target=D(20),
        weight=D(100),
        assignees=[company.direct, company.indirect],
    )
    sheet = GoalSheet.objects.get(employee=company.indirect)
    services.sheet_propose(actor=company.user("indirect"), sheet=sheet)
    manager = as_user(company.user("manager"))
    url = f"/plan/indicators/{new_customers.pk}/assign/"
    page = manager.get(url, assign_query(cycle, department=company.sales.pk, target="22"))
    rows = {r["employee"]: r for r in page.context["rows"]}
    assert rows[company.indirect]["locked"] and rows[company.direct]["has_goal"]
    response = manager.post(url, confirm_post(page, leave_out=[company.manager]), follow=True)
    assert messages_of(response) == [
        "“New customers” assigned: 0 goals created, 1 updated, 0 unchanged."
    ]
    assert Goal.objects.get(employee=company.direct).target == 22
    assert Goal.objects.get(employee=company.indirect).target == 20


def test_nobody_chosen_and_no_group_are_clear_errors(company, as_user, cycle, new_customers):
    manager = as_user(company.user("manager"))
    url = f"/plan/indicators/{new_customers.pk}/assign/"
    response = manager.get(url, assign_query(cycle))
    assert "Choose a department, a job family, or both." in text(response)
    page = manager.get(url, assign_query(cycle, department=company.sales.pk))
    response = manager.post(
        url, confirm_post(page, leave_out=[company.manager, company.direct, company.indirect])
    )
    assert "Choose at least one person." in text(response)
    response = manager.get(url, assign_query(cycle, department=company.sales.pk, target=""))
    assert response.context["form"].errors["target"]
    assert not Goal.objects.exists()


# Goals import ---------------------------------------------------------------------------------

GOALS_CSV = (
    "ref,owner_type,department_code,employee_number,parent_ref,title,kind,weight,target,unit\n"
    "CO-1,company,,,,Sales 5000000,kpi,100,5000000,CNY\n"
    "SA-1,department,SALES,,CO-1,Sales department 5000000,kpi,100,5000000,CNY\n"
    "P-1,employee,,C011,SA-1,New customers,kpi,100,20,customers\n"
)


def test_goals_import_previews_then_imports(company, as_user, cycle):
    hr = as_user(company.hr)
    upload = SimpleUploadedFile("goals.csv", GOALS_CSV.encode(), content_type="text/csv")
    response = hr.post("/plan/import/", {"cycle": cycle.pk, "file": upload})
    stored = ImportFile.objects.get()
    assert response["Location"] == f"/plan/import/{stored.pk}/"
    assert stored.status == ImportStatus.PREVIEWED
    assert not Goal.objects.exists()
    preview = hr.get(f"/plan/import/{stored.pk}/")
    assert preview.context["report"]["created"] == 3
    assert "Import now" in text(preview)
    response = hr.post(f"/plan/import/{stored.pk}/", follow=True)
    assert messages_of(response) == ["Imported: 3 created, 0 updated, 0 unchanged."]
    assert Goal.objects.get(ref="P-1").parent.ref == "SA-1"


def test_a_bad_goals_file_names_every_bad_row(company, as_user, cycle):
    bad = (
        GOALS_CSV.replace(
            "P-1,employee,,C011,SA-1,New customers,kpi,100,20",
            "P-1,employee,,C011,SA-1,New customers,kpi,100,",
        )
        + "P-2,employee,,NOPE,,X,kpi,100,5,x\n"
    )
    hr = as_user(company.hr)
    hr.post(
        "/plan/import/", {"cycle": cycle.pk, "file": SimpleUploadedFile("bad.csv", bad.encode())}
    )
    stored = ImportFile.objects.get()
    assert stored.status == ImportStatus.REJECTED
    response = hr.get(f"/plan/import/{stored.pk}/")
    lines = {e["line"] for e in response.context["report"]["errors"]}
    assert lines == {4, 5}
    assert "Upload a corrected file" in text(response)
    assert not Goal.objects.exists()


def test_only_hr_imports_goals(company, as_user, cycle):
    manager = as_user(company.user("manager"))
    assert manager.get("/plan/import/").status_code == 403
    upload = SimpleUploadedFile("goals.csv", GOALS_CSV.encode())
    assert manager.post("/plan/import/", {"cycle": cycle.pk, "file": upload}).status_code == 403


# Query counts ---------------------------------------------------------------------------------

SMALL, LARGE, SLACK = 10, 100, 2


def grow_team(company, cycle, total: int, dept_goal: Goal) -> None:
    """Give the manager ``total`` reports in Sales, each in the cycle with a goal sheet, a
    KPI aligned to the department goal (with a milestone) and an OKR (with key results)."""
    have = Employee.objects.filter(manager=company.manager).count()
    created = Employee.objects.bulk_create(
        EmployeeFactory.build_batch(total - have, manager=company.manager, department=company.sales)
    )
    Employee.objects.filter(pk__in=[e.pk for e in created]).update(
        path=Concat(Value(company.manager.path), Cast(F("pk"), CharField()), Value("/"))
    )
    CycleParticipant.objects.bulk_create(
        [
            CycleParticipant(
                cycle=cycle, employee=e, department=company.sales, manager=company.manager
            )
            for e in created
        ]
    )
    statuses = list(SheetStatus.values)
    sheets = GoalSheet.objects.bulk_create(
        [GoalSheet(cycle=cycle, employee=e, status=statuses[i % 4]) for i, e in enumerate(created)]
    )
    goals = Goal.objects.bulk_create(
        [
            Goal(
                cycle=cycle,
                owner_type=OwnerType.EMPLOYEE,
                employee=s.employee,
                sheet=s,
                parent=dept_goal,
                title="New customers",
                weight=D(60),
                target=D(20),
                current_value=D(i % 25),
            )
            for i, s in enumerate(sheets)
        ]
        + [
            Goal(
                cycle=cycle,
                owner_type=OwnerType.EMPLOYEE,
                employee=s.employee,
                sheet=s,
                parent=dept_goal,
                title="Partner programme",
                kind=GoalKind.OKR,
                weight=D(40),
            )
            for s in sheets
        ]
    )
    Milestone.objects.bulk_create(
        [
            Milestone(goal=g, title="Call list", due_date=dt.date(2026, 1, 15), owner=g.employee)
            for g in goals
            if g.kind == GoalKind.KPI
        ]
    )
    KeyResult.objects.bulk_create(
        [
            KeyResult(goal=g, title="Partners", target=D(5), current_value=D(2))
            for g in goals
            if g.kind == GoalKind.OKR
        ]
    )


@pytest.mark.parametrize("viewer", ["manager", "hr_person"])
@pytest.mark.parametrize("page", ["team", "alignment"])
def test_team_and_alignment_queries_do_not_grow_with_the_team(
    company, as_user, cycle, django_assert_max_num_queries, viewer, page
):
    _top, dept = cascade(company, cycle)
    client = as_user(company.user(viewer))
    url = f"/plan/{page}/?cycle={cycle.pk}"
    grow_team(company, cycle, SMALL, dept)
    client.get(url)  # warm up
    with django_assert_max_num_queries(20) as small:
        response = client.get(url)
    assert response.status_code == 200
    grow_team(company, cycle, LARGE, dept)
    with django_assert_max_num_queries(len(small) + SLACK) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert len(large) >= len(small) - SLACK
    if page == "team":
        assert response.context["total"] >= LARGE
    else:
        # Everyone but Dan was grown: two goals each under the department goal.
        assert len(response.context["roots"][0].children[0].children) == 2 * (LARGE - 1)
    print(f"{page} as {viewer}: {len(small)} queries for {SMALL} people, {len(large)} for {LARGE}")

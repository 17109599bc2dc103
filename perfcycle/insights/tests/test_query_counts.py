"""Every trend and health page (and API call) issues the same number of queries for 5
people in 2 cycles as for 40 people in 3."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.accounts.models import User
from perfcycle.calibration.models import Appeal
from perfcycle.cycles.models import Cycle
from perfcycle.evaluation.models import FormStatus, ReviewForm
from perfcycle.improvement.models import ImprovementPlan, PlanStatus
from perfcycle.insights.tests.helpers import at, join, quarter, result
from perfcycle.monitoring.models import CheckIn, CheckInStatus, Course, TrainingAssignment
from perfcycle.notifications.models import Notification
from perfcycle.planning.models import GoalSheet
from tests.factories import EmployeeFactory


def populate(company, people: int, cycles: int, prefix: str) -> None:
    team = [
        EmployeeFactory(manager=company.manager, department=company.sales, login=f"{prefix}{i}")
        for i in range(people)
    ]
    course = Course.objects.create(code="C1", title="Course")
    hr = User.objects.get(pk=company.hr.pk)
    for q in range(1, cycles + 1):
        c = quarter(f"Q{q}", 2025, q)
        join(c, team)
        for i, e in enumerate(team):
            r = result(c, e, str(50 + i), "B", attainments=("90", "110"))
            GoalSheet.objects.create(cycle=c, employee=e, acknowledged_at=at(c.start_date))
            CheckIn.objects.create(
                cycle=c,
                employee=e,
                manager=company.manager,
                scheduled_for=at(c.start_date),
                held_at=at(c.start_date),
                status=CheckInStatus.DONE,
                requested_by=hr,
            )
            ReviewForm.objects.create(
                cycle=c,
                reviewee=e,
                reviewer=e,
                source="self",
                status=FormStatus.SUBMITTED,
                submitted_at=at(c.end_date),
            )
            if i % 3 == 0:
                Appeal.objects.create(result=r, reason="x", talk_held=True, due_on=c.end_date)
                ImprovementPlan.objects.create(cycle=c, employee=e, status=PlanStatus.NOT_MET)
                TrainingAssignment.objects.create(
                    employee=e,
                    course=course,
                    recommended_by=hr,
                    status="completed",
                    completed_on=c.start_date + dt.timedelta(days=5),
                )
            Notification.objects.create(
                user=e.user, kind="checkin_due", title="t", dedupe_key=f"checkin-due:{i}:{q}"
            )


def counts(company, client, hr_client) -> dict[str, int]:
    member = company.sales.members.exclude(pk=company.manager.pk).order_by("-pk").first()
    urls = {
        "home": (client, reverse("insights:home")),
        "hr_home": (hr_client, reverse("insights:home")),
        "person": (client, reverse("insights:person", args=[member.pk])),
        "department": (client, reverse("insights:department", args=[company.sales.pk])),
        "hr_department": (hr_client, reverse("insights:department", args=[company.root.pk])),
        "health": (client, reverse("insights:health")),
        "hr_health": (hr_client, reverse("insights:health")),
        "api_person": (client, f"/api/v1/insights/people/{member.pk}/trend"),
        "api_department": (client, f"/api/v1/insights/departments/{company.sales.pk}/trend"),
        "api_health": (hr_client, "/api/v1/insights/process-health?cycles=3"),
    }
    found = {}
    for name, (c, url) in urls.items():
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(url)
        assert response.status_code == 200, (name, response.status_code)
        found[name] = len(ctx.captured_queries)
    return found


def test_query_counts_do_not_grow(company, as_user):
    populate(company, 5, 2, "s")
    small = counts(company, as_user(company.user("manager")), as_user(company.hr))
    ImprovementPlan.objects.all().delete()
    TrainingAssignment.objects.all().delete()
    Course.objects.all().delete()
    Notification.objects.all().delete()
    Cycle.objects.all().delete()
    populate(company, 40, 3, "l")  # 45 people in the team now, 3 cycles
    large = counts(company, as_user(company.user("manager")), as_user(company.hr))
    assert large == small

"""The demo's improvement plan followed to an outcome through the pages, as the people
would: 孙涛 completes the linked course, his manager logs the reviews, extends the plan
once, then records it as completed; 孙涛 sees the outcome and the evidence stays."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditEvent
from perfcycle.demo import demo_load
from perfcycle.improvement.models import ImprovementPlan, PlanStatus
from perfcycle.monitoring.models import TrainingStatus


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def pip(db) -> ImprovementPlan:
    demo_load(stdout=io.StringIO(), until="reward")
    return ImprovementPlan.objects.get(employee__employee_number="E018")


def _post(client: Client, pip: ImprovementPlan, action: str, data: dict) -> None:
    pip.refresh_from_db()
    response = client.post(
        f"/improve/plans/{pip.pk}/{action}/", {"version": pip.version, **data}, follow=True
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert '<li class="error">' not in body, body[body.find("messages") :][:600]


def test_the_demo_plan_is_followed_to_an_outcome(pip):
    today = timezone.localdate()
    manager = _client(pip.manager.user.username)
    employee = _client(pip.employee.user.username)

    # The employee completes the linked course: assigned → in progress → completed.
    assignment = pip.training.get().assignment
    for status in (TrainingStatus.IN_PROGRESS, TrainingStatus.COMPLETED):
        assignment.refresh_from_db()
        response = employee.post(
            f"/monitor/training/{assignment.pk}/status/",
            {"status": status, "version": assignment.version},
        )
        assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == TrainingStatus.COMPLETED and assignment.completed_on == today

    # The manager logs the next review early, then extends the plan by a month.
    review = pip.reviews.filter(held_on__isnull=True).order_by("scheduled_for").first()
    _post(
        manager,
        pip,
        "log",
        {
            "review": review.pk,
            "held_on": today.isoformat(),
            "progress": "on_track",
            "notes": "本月新增客户 13 个，接近目标；课程已完成。",
        },
    )
    new_end = pip.end_date + dt.timedelta(days=30)
    _post(
        manager,
        pip,
        "close",
        {
            "outcome": PlanStatus.EXTENDED,
            "new_end_date": new_end.isoformat(),
            "reason": "进步明显，但最后一个月数据还需观察，延长一个月。",
        },
    )
    pip.refresh_from_db()
    assert pip.status == PlanStatus.EXTENDED and pip.end_date == new_end

    # Then records the outcome: completed.
    _post(
        manager,
        pip,
        "close",
        {"outcome": PlanStatus.COMPLETED, "reason": "连续两个月新增客户达到 15 个以上。"},
    )
    pip.refresh_from_db()
    assert pip.status == PlanStatus.COMPLETED and pip.closed_at is not None

    # The employee sees the outcome with the evidence of the training and support given.
    page = employee.get(f"/improve/plans/{pip.pk}/").content.decode()
    assert "连续两个月新增客户达到 15 个以上。" in page
    assert "高效客户沟通" in page and "杨静" in page
    assert pip.reviews.filter(held_on__isnull=False).count() == 2
    # A closed plan takes no more reviews, and every step left an audit row.
    _ = manager.post(f"/improve/plans/{pip.pk}/close/", {"version": pip.version})
    pip.refresh_from_db()
    assert pip.status == PlanStatus.COMPLETED
    changes = AuditEvent.objects.filter(object_type__icontains="improvementplan", object_id=pip.pk)
    assert changes.count() >= 5

"""Appeals over the API: multipart filing with attachment checks, the queue, routing,
deciding with versions, and who may see what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from perfcycle.api.tests.test_calibration_results_api import call, error, ok
from perfcycle.calibration.models import Adjustment, Appeal
from perfcycle.calibration.tests.test_feedback import build_world, release
from perfcycle.notifications.models import Notification


@pytest.fixture
def world(company):
    return build_world(company)


def file_appeal(client: Any, result_id: int, **extra: Any) -> Any:
    data = {"reason": "The March deal is missing.", "talk_held": "true", **extra}
    return client.post(f"/api/v1/results/{result_id}/appeals", data)


def pdf(name: str = "evidence.pdf", size: int = 10) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size, content_type="application/pdf")


def test_file_route_and_decide(company, world, as_user, django_capture_on_commit_callbacks):
    direct, hr = as_user(company.user("direct")), as_user(company.hr)
    with django_capture_on_commit_callbacks(execute=True):
        data = ok(file_appeal(direct, world.direct.pk, files=[pdf(), pdf("b.png")]), 201)
    assert data["status"] == "filed" and data["talk_held"] is True
    assert [a["name"] for a in data["attachments"]] == ["evidence.pdf", "b.png"]
    assert Notification.objects.filter(user=company.hr).exists()
    pk = data["id"]
    assert [a["id"] for a in ok(call(hr, "get", "/appeals?open=true"))["items"]] == [pk]
    assert [a["id"] for a in ok(call(direct, "get", "/appeals"))["items"]] == [pk]
    assert ok(call(as_user(company.user("manager")), "get", "/appeals"))["items"] == []
    error(call(as_user(company.user("manager")), "get", f"/appeals/{pk}"), 404)
    error(call(direct, "post", f"/appeals/{pk}/route", {"skip_level": True}), 403)
    routed = ok(
        call(
            hr,
            "post",
            f"/appeals/{pk}/route",
            {"skip_level": True, "committee": [company.stranger.pk]},
        )
    )
    assert routed["status"] == "under_review" and routed["skip_level"]["name"] == "Top"
    member = as_user(company.user("stranger"))
    assert ok(call(member, "get", f"/appeals/{pk}"))["employee_name"] == "Dan Direct"
    # A non-member manager cannot decide: not found.
    body = {
        "outcome": "upheld",
        "grade": "A",
        "decision": "The March deal counts.",
        "version": routed["version"],
    }
    error(call(as_user(company.user("manager")), "post", f"/appeals/{pk}/decide", body), 404)
    error(call(direct, "post", f"/appeals/{pk}/decide", body), 403)
    stale = error(call(member, "post", f"/appeals/{pk}/decide", {**body, "version": 1}), 409)
    assert stale["code"] == "conflict"
    with django_capture_on_commit_callbacks(execute=True):
        decided = ok(call(member, "post", f"/appeals/{pk}/decide", body))
    assert decided["status"] == "upheld" and decided["grade"] == "A"
    assert Adjustment.objects.get(appeal_id=pk).after == "A"
    assert Notification.objects.filter(user=company.user("direct")).exists()
    result = ok(call(direct, "get", f"/results/{world.direct.pk}"))
    assert result["appeals"][0]["decision"] == "The March deal counts."


def test_rejected_needs_a_reason(company, world, as_user):
    pk = ok(file_appeal(as_user(company.user("direct")), world.direct.pk), 201)["id"]
    hr = as_user(company.hr)
    body = {"outcome": "rejected", "decision": "No.", "version": 1}
    assert (
        "decision"
        in error(call(hr, "post", f"/appeals/{pk}/decide", body), 422)["details"]["fields"]
    )
    body["decision"] = "The deal closed in April: it counts next quarter."
    assert ok(call(hr, "post", f"/appeals/{pk}/decide", body))["status"] == "rejected"
    mine = ok(call(as_user(company.user("direct")), "get", f"/appeals/{pk}"))
    assert mine["decision"] == body["decision"]


def test_bad_attachments_and_the_window(company, world, as_user):
    direct = as_user(company.user("direct"))
    big = error(file_appeal(direct, world.direct.pk, files=[pdf(size=10 * 1024 * 1024 + 1)]), 422)
    assert big["code"] == "bad_attachment" and "10 MB" in big["message"]
    wrong = error(file_appeal(direct, world.direct.pk, files=[pdf("x.html")]), 422)
    assert "not an allowed type" in wrong["message"]
    assert not Appeal.objects.exists()
    release(world.direct, at=timezone.now() - dt.timedelta(days=30))
    late = error(file_appeal(direct, world.direct.pk), 400)
    assert late["code"] == "appeal_window_closed"


def test_only_self_files(company, world, as_user):
    error(file_appeal(as_user(company.user("stranger")), world.direct.pk), 404)
    error(file_appeal(as_user(company.user("manager")), world.direct.pk), 403)
    error(file_appeal(as_user(company.user("indirect")), world.direct.pk), 404)

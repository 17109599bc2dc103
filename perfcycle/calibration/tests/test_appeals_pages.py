"""Appeal pages: filing with attachments, the queue, routing and deciding, and downloads
only through the permission check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from perfcycle.calibration import appeals
from perfcycle.calibration.models import Appeal, AppealAttachment, AppealStatus
from perfcycle.calibration.tests.test_feedback import build_world, release


@pytest.fixture
def world(company):
    return build_world(company)


def url(name, *args):
    return reverse(f"calibration:{name}", args=args)


def upload(name="evidence.pdf", data=b"%PDF-1.4 evidence"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_file_an_appeal_through_the_page(company, world, as_user):
    client = as_user(company.user("direct"))
    assert client.get(url("appeal_file", world.direct.pk)).status_code == 200
    response = client.post(
        url("appeal_file", world.direct.pk),
        {"reason": "The March deal is missing.", "talk_held": "on", "files": [upload()]},
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302 and response["Location"] == url("appeal", appeal.pk)
    assert appeal.talk_held and appeal.attachments.count() == 1
    page = client.get(url("appeal", appeal.pk)).content.decode()
    assert "The March deal is missing." in page
    assert url("appeal_attachment", appeal.attachments.get().pk) in page


def test_a_wrong_type_is_shown_on_the_form(company, world, as_user):
    response = as_user(company.user("direct")).post(
        url("appeal_file", world.direct.pk),
        {"reason": "Missing deal.", "files": [upload("run.exe")]},
    )
    assert response.status_code == 400
    assert "is not an allowed type" in response.content.decode()
    assert not Appeal.objects.exists()


def test_after_the_window_the_page_refuses(company, world, as_user):
    release(world.direct, at=timezone.now() - dt.timedelta(days=30))
    response = as_user(company.user("direct")).post(
        url("appeal_file", world.direct.pk), {"reason": "Too late."}
    )
    assert response.status_code == 400
    assert "The appeal window has closed" in response.content.decode()


def test_others_cannot_file(company, world, as_user):
    assert (
        as_user(company.user("stranger")).get(url("appeal_file", world.direct.pk)).status_code
        == 404
    )
    assert (
        as_user(company.user("manager")).get(url("appeal_file", world.direct.pk)).status_code == 403
    )


@pytest.fixture
def appeal(company, world):
    return appeals.appeal_file(
        actor=company.user("direct"),
        result=world.direct,
        reason="The March deal is missing.",
        talk_held=True,
        attachments=[upload()],
    )


def test_attachment_download_permission(company, appeal, as_user):
    attachment = AppealAttachment.objects.get()
    target = url("appeal_attachment", attachment.pk)
    response = as_user(company.user("direct")).get(target)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 evidence"
    assert "attachment" in response["Content-Disposition"]
    assert as_user(company.hr).get(target).status_code == 200
    for name in ("manager", "stranger", "top"):
        assert as_user(company.user(name)).get(target).status_code == 404
    appeals.appeal_route(actor=company.hr, appeal=appeal, skip_level=True, committee=[])
    assert as_user(company.user("top")).get(target).status_code == 200
    assert as_user(None).get(target).status_code == 302


def test_queue_route_and_decide_through_the_pages(company, appeal, as_user):
    hr = as_user(company.hr)
    assert "Dan Direct" in hr.get(url("appeals")).content.decode()
    response = hr.post(
        url("appeal_route", appeal.pk),
        {"version": appeal.version, "committee": [company.stranger.pk]},
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UNDER_REVIEW
    # Mia manages Dan but is no member: the appeal is not found for her.
    manager = as_user(company.user("manager"))
    assert manager.get(url("appeal", appeal.pk)).status_code == 404
    assert manager.post(url("appeal_decide", appeal.pk), {}).status_code == 404
    member = as_user(company.user("stranger"))
    assert "Dan Direct" in member.get(url("appeals")).content.decode()
    short = member.post(
        url("appeal_decide", appeal.pk),
        {"version": appeal.version, "outcome": "rejected", "decision": "No."},
    )
    assert short.status_code == 400 and "at least 10 characters" in short.content.decode()
    response = member.post(
        url("appeal_decide", appeal.pk),
        {"version": appeal.version, "outcome": "upheld", "grade": "A", "decision": "Deal counts."},
    )
    assert response.status_code == 302
    page = as_user(company.user("direct")).get(url("appeal", appeal.pk)).content.decode()
    assert "Deal counts." in page and "upheld" in page

"""Reviewer assignment over the API: generation (HR) with its report, the paginated list
of forms with filters, manual add and remove, peer nomination (self or for a report),
approval and decline; 404 for what one may not see, 403 for what one may not do."""

from __future__ import annotations

import json

import pytest

from perfcycle.cycles.services import review_template_create
from perfcycle.evaluation.assignment import review_form_add
from perfcycle.evaluation.models import FormStatus, ReviewForm
from perfcycle.evaluation.templates import template_competency_add
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory, DepartmentFactory, EmployeeFactory

API = "/api/v1"


def send(client, method, url, body=None):
    return getattr(client, method)(
        url, json.dumps(body) if body is not None else None, content_type="application/json"
    )


@pytest.fixture
def template(db):
    template = review_template_create(actor=None, name="Standard 360")
    competency = Competency.objects.create(code="COMM", name="Communication")
    template_competency_add(actor=None, template=template, competency=competency, weight=100)
    return template


def everyone(c):
    return [c.top, c.hr_person, c.manager, c.direct, c.indirect, c.stranger]


@pytest.fixture
def cycle(company, template):
    return CycleFactory(template=template, participants=everyone(company))


def test_generate_then_list_with_filters(company, cycle, as_user):
    client = as_user(company.hr)
    report = send(
        client, "post", f"{API}/cycles/{cycle.pk}/assignment", {"include_skip_level": True}
    )
    assert report.status_code == 200, report.json()
    body = report.json()
    assert body["created"]["self"] == 6 and body["total_created"] > 6
    assert str(company.top.pk) in body["short_of_peers"]
    again = send(client, "post", f"{API}/cycles/{cycle.pk}/assignment", {}).json()
    assert again["total_created"] == 0 and again["existing"] == body["total_created"]

    listed = client.get(f"{API}/cycles/{cycle.pk}/review-forms?limit=5").json()
    assert listed["count"] == body["total_created"] and len(listed["items"]) == 5
    mine = client.get(
        f"{API}/cycles/{cycle.pk}/review-forms?reviewee_id={company.direct.pk}&source=manager"
    ).json()
    assert [(f["reviewer_name"], f["status"]) for f in mine["items"]] == [("Mia Manager", "open")]
    bad = client.get(f"{API}/cycles/{cycle.pk}/review-forms?status=done")
    assert bad.status_code == 422
    bad_options = send(
        client, "post", f"{API}/cycles/{cycle.pk}/assignment", {"max_forms_per_reviewer": 0}
    )
    assert bad_options.status_code == 422


def test_an_incomplete_template_refuses_generation(company, as_user):
    bare = review_template_create(actor=None, name="Bare")
    cycle = CycleFactory(template=bare, phase="draft", participants=everyone(company))
    response = send(as_user(company.hr), "post", f"{API}/cycles/{cycle.pk}/assignment", {})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "template_incomplete"


@pytest.mark.parametrize("who", ["manager", "direct", "stranger"])
def test_only_hr_assigns(company, cycle, as_user, who):
    client = as_user(company.user(who))
    assert send(client, "post", f"{API}/cycles/{cycle.pk}/assignment", {}).status_code == 403
    assert client.get(f"{API}/cycles/{cycle.pk}/review-forms").status_code == 403
    add = {"reviewee_id": company.direct.pk, "reviewer_id": company.stranger.pk, "source": "peer"}
    assert send(client, "post", f"{API}/cycles/{cycle.pk}/review-forms", add).status_code == 403
    assert send(client, "post", f"{API}/cycles/999/assignment", {}).status_code == 404
    assert not ReviewForm.objects.exists()


def test_manual_add_and_remove(company, cycle, as_user):
    c = company
    client = as_user(c.hr)
    url = f"{API}/cycles/{cycle.pk}/review-forms"
    added = send(
        client,
        "post",
        url,
        {"reviewee_id": c.direct.pk, "reviewer_id": c.stranger.pk, "source": "peer"},
    )
    assert added.status_code == 201 and added.json()["reviewer_name"] == "Sam Stranger"
    form_id = added.json()["id"]
    again = send(
        client,
        "post",
        url,
        {"reviewee_id": c.direct.pk, "reviewer_id": c.stranger.pk, "source": "peer"},
    )
    assert again.status_code == 422 and again.json()["error"]["code"] == "duplicate"
    unknown = send(
        client, "post", url, {"reviewee_id": 999, "reviewer_id": c.stranger.pk, "source": "peer"}
    )
    assert (
        unknown.status_code == 422 and "reviewee_id" in unknown.json()["error"]["details"]["fields"]
    )
    boss = send(
        client,
        "post",
        url,
        {"reviewee_id": c.direct.pk, "reviewer_id": c.stranger.pk, "source": "boss"},
    )
    assert boss.status_code == 422

    # The reviewer sees the form (it is theirs) but may not remove it; others do not see it.
    assert as_user(c.user("stranger")).delete(f"{API}/review-forms/{form_id}").status_code == 403
    assert as_user(c.user("manager")).delete(f"{API}/review-forms/{form_id}").status_code == 404
    assert client.delete(f"{API}/review-forms/{form_id}").status_code == 204
    assert client.delete(f"{API}/review-forms/{form_id}").status_code == 404
    done = review_form_add(
        actor=None, cycle=cycle, reviewee=c.direct, reviewer=c.manager, source="manager"
    )
    ReviewForm.objects.filter(pk=done.pk).update(status=FormStatus.SUBMITTED)
    refused = client.delete(f"{API}/review-forms/{done.pk}")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "form_submitted"


@pytest.fixture
def team(company, template):
    department = DepartmentFactory(name="Platform", parent=company.root)
    lead = EmployeeFactory(
        name="Lena Lead", manager=company.manager, department=department, login="lead"
    )
    me = EmployeeFactory(name="Mo Me", manager=lead, department=department, login="me")
    others = [
        EmployeeFactory(name=f"Peer {i}", manager=lead, department=department) for i in range(6)
    ]
    cycle = CycleFactory(template=template, participants=[lead, me, *others])
    return cycle, lead, me, others


def test_nominate_for_myself_then_manager_approves_and_declines(company, team, as_user):
    cycle, lead, me, others = team
    url = f"{API}/cycles/{cycle.pk}/peers/nominations"
    mine = as_user(me.user)
    too_few = send(mine, "post", url, {"reviewer_ids": [others[0].pk]})
    assert too_few.status_code == 422 and too_few.json()["error"]["code"] == "too_few_peers"
    unknown = send(mine, "post", url, {"reviewer_ids": [999]})
    assert unknown.status_code == 422
    response = send(mine, "post", url, {"reviewer_ids": [p.pk for p in others[:3]]})
    assert response.status_code == 201, response.json()
    nominations = response.json()
    assert [n["state"] for n in nominations] == ["nominated"] * 3
    assert "status" not in nominations[0]
    first, second = nominations[0]["id"], nominations[1]["id"]

    assert send(mine, "post", f"{API}/review-forms/{first}/approve", {}).status_code == 403
    stranger = as_user(company.user("stranger"))
    assert send(stranger, "post", f"{API}/review-forms/{first}/approve", {}).status_code == 404

    boss = as_user(lead.user)
    stale = send(boss, "post", f"{API}/review-forms/{first}/approve", {"version": 0})
    assert stale.status_code == 409
    approved = send(boss, "post", f"{API}/review-forms/{first}/approve", {"version": 1})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    ReviewForm.objects.filter(pk=first).update(status=FormStatus.SUBMITTED)
    no_reason = send(boss, "post", f"{API}/review-forms/{second}/decline", {"reason": " "})
    assert no_reason.status_code == 422
    declined = send(boss, "post", f"{API}/review-forms/{second}/decline", {"reason": "Elsewhere"})
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    again = send(boss, "post", f"{API}/review-forms/{first}/approve", {})
    assert again.status_code == 400 and again.json()["error"]["code"] == "not_nominated"


def test_a_manager_nominates_for_a_report_but_not_for_a_stranger(company, team, as_user):
    cycle, lead, me, others = team
    url = f"{API}/cycles/{cycle.pk}/peers/nominations"
    body = {"reviewee_id": me.pk, "reviewer_ids": [p.pk for p in others[:3]]}
    response = send(as_user(lead.user), "post", url, body)
    assert response.status_code == 201
    assert ReviewForm.objects.filter(reviewee=me, nominated_by=lead.user).count() == 3
    outsider = send(as_user(company.user("stranger")), "post", url, body)
    assert outsider.status_code == 404


def test_hr_assigned_forms_cannot_be_approved_as_nominations(company, team, as_user):
    cycle, lead, me, others = team
    form = review_form_add(
        actor=company.hr, cycle=cycle, reviewee=me, reviewer=others[0], source="peer"
    )
    response = send(as_user(lead.user), "post", f"{API}/review-forms/{form.pk}/approve", {})
    assert response.status_code == 404

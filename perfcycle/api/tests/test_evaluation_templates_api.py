"""Review templates over the API: list, get (with competencies, anchors, questions and
problems), create and patch with optimistic locking; competencies, anchors and questions;
HR only for writes; the lock once a cycle using the template is open; grade scales."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from perfcycle.cycles.models import GradeScale, ReviewTemplate
from perfcycle.cycles.services import review_template_create
from perfcycle.evaluation.models import TemplateCompetency, TemplateQuestion
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory

API = "/api/v1"


def send(client, method, url, body=None):
    return getattr(client, method)(
        url, json.dumps(body) if body is not None else None, content_type="application/json"
    )


@pytest.fixture
def template(db):
    return review_template_create(actor=None, name="Standard 360")


@pytest.fixture
def skills(db):
    return [
        Competency.objects.create(code=code, name=name)
        for code, name in [("COMM", "Communication"), ("OWN", "Ownership")]
    ]


def test_list_and_get_with_problems(company, template, as_user):
    client = as_user(company.user("direct"))
    listed = client.get(f"{API}/templates").json()
    assert listed["count"] == 1 and listed["items"][0]["locked"] is False
    one = client.get(f"{API}/templates/{template.pk}").json()
    assert one["competencies"] == [] and "competencies" in one["problems"]
    assert client.get(f"{API}/templates/999").status_code == 404


def test_create_and_patch_with_version(company, template, as_user):
    client = as_user(company.hr)
    created = send(
        client,
        "post",
        f"{API}/templates",
        {"name": "Sales 360", "goals_weight": 80, "competencies_weight": 20},
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["rating_labels"]["5"] and body["version"] == 1
    url = f"{API}/templates/{body['id']}"
    patched = send(client, "patch", url, {"version": 1, "peer_min": 2, "anonymity_min": 4})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = send(client, "patch", url, {"version": 1, "peer_min": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    assert ReviewTemplate.objects.get(pk=body["id"]).peer_min == 2


@pytest.mark.parametrize(
    "body,field",
    [
        ({"goals_weight": 50}, "goals_weight"),
        ({"manager_weight": 10}, "manager_weight"),
        ({"anonymity_min": 1}, "anonymity_min"),
        ({"rating_min": 5, "rating_max": 3}, "rating_max"),
    ],
)
def test_bad_template_input_is_422(company, as_user, body, field):
    response = send(as_user(company.hr), "post", f"{API}/templates", {"name": "Bad", **body})
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]["fields"]
    assert not ReviewTemplate.objects.filter(name="Bad").exists()


def test_competencies_anchors_and_questions(company, template, skills, as_user):
    client = as_user(company.hr)
    base = f"{API}/templates/{template.pk}"
    first = send(
        client, "post", f"{base}/competencies", {"competency_id": skills[0].pk, "weight": 70}
    )
    assert first.status_code == 201 and first.json()["code"] == "COMM"
    item = first.json()["id"]
    dup = send(client, "post", f"{base}/competencies", {"competency_id": skills[0].pk, "weight": 5})
    assert dup.status_code == 422 and dup.json()["error"]["code"] == "duplicate"
    unknown = send(client, "post", f"{base}/competencies", {"competency_id": 999, "weight": 5})
    assert unknown.status_code == 422
    too_heavy = send(client, "patch", f"{base}/competencies/{item}", {"weight": 130})
    assert too_heavy.status_code == 422
    send(client, "post", f"{base}/competencies", {"competency_id": skills[1].pk, "weight": 20})
    problems = client.get(base).json()["problems"]
    assert "90" in problems["competencies"][0]
    assert send(client, "patch", f"{base}/competencies/{item}", {"weight": 80}).status_code == 200
    full = client.get(base).json()
    assert full["problems"] == {} and full["competency_weight_total"] == "100.00"

    off_scale = send(client, "put", f"{base}/competencies/{item}/anchors", {"anchors": {"7": "x"}})
    assert (
        off_scale.status_code == 422 and "outside the scale" in off_scale.json()["error"]["message"]
    )
    anchors = send(
        client,
        "put",
        f"{base}/competencies/{item}/anchors",
        {"anchors": {"1": "Rarely", "5": "Always"}},
    )
    assert anchors.status_code == 200 and anchors.json()["anchors"] == {
        "1": "Rarely",
        "5": "Always",
    }

    question = send(
        client, "post", f"{base}/questions", {"text": "Keep doing?", "sources": ["peer", "self"]}
    )
    assert question.status_code == 201 and question.json()["sources"] == ["self", "peer"]
    qid = question.json()["id"]
    bad = send(client, "patch", f"{base}/questions/{qid}", {"sources": ["boss"]})
    assert bad.status_code == 422
    ok = send(client, "patch", f"{base}/questions/{qid}", {"required": True})
    assert ok.json()["required"] is True
    assert client.delete(f"{base}/questions/{qid}").status_code == 204
    assert not TemplateQuestion.objects.exists()
    other = TemplateCompetency.objects.get(template=template, competency=skills[1])
    assert client.delete(f"{base}/competencies/{other.pk}").status_code == 204
    assert client.delete(f"{base}/competencies/{other.pk}").status_code == 404


@pytest.mark.parametrize("who", ["manager", "direct", "stranger"])
def test_only_hr_changes_templates(company, template, skills, as_user, who):
    client = as_user(company.user(who))
    base = f"{API}/templates/{template.pk}"
    assert send(client, "post", f"{API}/templates", {"name": "X"}).status_code == 403
    assert send(client, "patch", base, {"version": 1, "peer_min": 1}).status_code == 403
    add = {"competency_id": skills[0].pk, "weight": 100}
    assert send(client, "post", f"{base}/competencies", add).status_code == 403
    assert send(client, "post", f"{base}/questions", {"text": "Why?"}).status_code == 403
    assert send(client, "patch", f"{API}/templates/999", {"version": 1}).status_code == 404
    assert not TemplateCompetency.objects.exists()


def test_a_locked_template_refuses_changes(company, template, skills, as_user):
    client = as_user(company.hr)
    base = f"{API}/templates/{template.pk}"
    item = send(
        client, "post", f"{base}/competencies", {"competency_id": skills[0].pk, "weight": 100}
    )
    CycleFactory(template=template, phase="in_progress")
    assert client.get(base).json()["locked"] is True
    for method, url, body in [
        ("patch", base, {"version": template.version, "peer_min": 1}),
        ("patch", f"{base}/competencies/{item.json()['id']}", {"weight": 50}),
        ("put", f"{base}/competencies/{item.json()['id']}/anchors", {"anchors": {"1": "x"}}),
        ("post", f"{base}/questions", {"text": "Why?"}),
    ]:
        response = send(client, method, url, body)
        assert response.status_code == 400, (method, url)
        assert response.json()["error"]["code"] == "template_locked"


def test_grade_scales_list_and_create(company, as_user):
    client = as_user(company.hr)
    body = {
        "name": "ABC",
        "bands": [
            {"code": "A", "label": "Top", "min_score": 80},
            {"code": "B", "min_score": 50},
            {"code": "C", "min_score": 0},
        ],
    }
    created = send(client, "post", f"{API}/grade-scales", body)
    assert created.status_code == 201
    assert [b["code"] for b in created.json()["bands"]] == ["A", "B", "C"]
    listed = client.get(f"{API}/grade-scales").json()
    assert [s["name"] for s in listed["items"]] == ["ABC"]
    no_zero = send(
        client, "post", f"{API}/grade-scales", {**body, "name": "Bad", "bands": body["bands"][:2]}
    )
    assert no_zero.status_code == 422
    assert (
        send(as_user(company.user("manager")), "post", f"{API}/grade-scales", body).status_code
        == 403
    )
    assert GradeScale.objects.count() == 1


def test_no_two_api_routes_collide():
    """django-ninja does not merge one path declared by two routers: the first shadows the
    other's methods (a 405). Every API path must therefore be declared by one router."""
    from perfcycle.api.urls import api

    paths = Counter(
        "/".join(p.strip("/") for p in (bound.prefix, path) if p.strip("/"))
        for bound in api._get_bound_routers()
        for path in bound.path_operations
    )
    assert [p for p, n in paths.items() if n > 1] == []

"""Template and grade-scale pages (HR only): create and edit a template, its competencies
with weights, anchors and questions; bad input shows on the form; a template used by an
open cycle is read-only with the reason; grade scales with their bands and cycles."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from perfcycle.audit.models import AuditEvent
from perfcycle.cycles.models import GradeScale, ReviewTemplate
from perfcycle.cycles.services import grade_scale_default, review_template_create
from perfcycle.evaluation.models import BehaviouralAnchor, TemplateCompetency, TemplateQuestion
from perfcycle.evaluation.templates import template_competency_add
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory

LIST = reverse("evaluation:templates")


def template_data(**overrides):
    data = {
        "name": "Engineering 360",
        "description": "For engineers",
        "rating_min": 1,
        "rating_max": 5,
        "goals_weight": 60,
        "competencies_weight": 40,
        "self_weight": 10,
        "manager_weight": 50,
        "peer_weight": 30,
        "report_weight": 10,
        "skip_weight": 0,
        "peer_min": 2,
        "peer_max": 4,
        "anonymity_min": 3,
        **{f"label_{p}": f"Level {p}" for p in range(1, 6)},
    }
    data.update(overrides)
    return data


@pytest.fixture
def template(db):
    return review_template_create(actor=None, name="Standard 360")


@pytest.fixture
def skills(db):
    return [
        Competency.objects.create(code=code, name=name)
        for code, name in [("COMM", "Communication"), ("OWN", "Ownership")]
    ]


def url(name, *args):
    return reverse(f"evaluation:{name}", args=args)


@pytest.mark.parametrize("who", ["manager", "direct", "stranger"])
def test_only_hr_manages_templates_and_grade_scales(company, template, as_user, who):
    client = as_user(company.user(who))
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, template_data()).status_code == 403
    assert client.get(url("template", template.pk)).status_code == 403
    assert client.get(url("grade_scales")).status_code == 403
    assert not ReviewTemplate.objects.filter(name="Engineering 360").exists()


def test_hr_lists_and_creates_a_template_with_labels(company, template, as_user):
    client = as_user(company.hr)
    page = client.get(LIST)
    assert page.status_code == 200 and "Standard 360" in page.content.decode()
    response = client.post(LIST, template_data())
    created = ReviewTemplate.objects.get(name="Engineering 360")
    assert response.status_code == 302 and response.url == url("template", created.pk)
    assert created.rating_labels["3"] == "Level 3"
    assert (created.goals_weight, created.peer_weight, created.anonymity_min) == (60, 30, 3)
    assert AuditEvent.objects.filter(object_type="cycles.reviewtemplate", action="create").exists()
    detail = client.get(response.url).content.decode()
    assert "add competencies" in detail  # the completeness problem is shown


@pytest.mark.parametrize(
    "overrides,field_text",
    [
        ({"goals_weight": 50}, "Goals and competencies weights must total 100%"),
        ({"manager_weight": 40}, "must total 100%"),
        ({"anonymity_min": 1}, "greater than or equal to 2"),
        ({"rating_min": 5, "rating_max": 3}, "highest rating must be above"),
        ({"peer_min": 5, "peer_max": 2}, "cannot be fewer than the fewest"),
        ({"goals_weight": "lots"}, "Enter a number"),
    ],
)
def test_bad_template_input_shows_on_the_form(company, as_user, overrides, field_text):
    response = as_user(company.hr).post(LIST, template_data(**overrides))
    assert response.status_code == 200
    assert field_text in response.content.decode()
    assert not ReviewTemplate.objects.filter(name="Engineering 360").exists()


def test_edit_a_template_and_a_stale_version_is_refused(company, template, as_user):
    client = as_user(company.hr)
    data = template_data(name="Standard 360", version=template.version)
    assert client.post(url("template", template.pk), data).status_code == 302
    template.refresh_from_db()
    assert template.peer_weight == 30 and template.rating_labels["1"] == "Level 1"
    stale = client.post(url("template", template.pk), {**data, "peer_min": 1, "version": 1})
    assert stale.status_code == 200
    assert "Somebody else changed" in stale.content.decode()
    template.refresh_from_db()
    assert template.peer_min == 2


def test_competencies_weights_anchors_and_questions(company, template, skills, as_user):
    client = as_user(company.hr)
    add = url("template_competency_add", template.pk)
    assert client.post(add, {"competency": skills[0].pk, "weight": 60}).status_code == 302
    assert client.post(add, {"competency": skills[1].pk, "weight": 30}).status_code == 302
    page = client.get(url("template", template.pk)).content.decode()
    assert "90%" in page and "must total 100%" in page
    bad = client.post(add, {"competency": skills[1].pk, "weight": 10})
    assert bad.status_code == 200  # already part of the template: not a choice any more
    a, b = TemplateCompetency.objects.filter(template=template).order_by("position")
    weights = url("template_weights", template.pk)
    too_big = client.post(weights, {f"weight_{a.pk}": 60, f"weight_{b.pk}": 120})
    assert too_big.status_code == 200
    assert "less than or equal to 100" in too_big.content.decode()
    assert client.post(weights, {f"weight_{a.pk}": 60, f"weight_{b.pk}": 40}).status_code == 302
    page = client.get(url("template", template.pk)).content.decode()
    assert "can be used by a cycle" in page

    anchors = url("template_anchors", template.pk, a.pk)
    assert client.get(anchors).status_code == 200
    data = {"anchor_1": "Avoids hard talks", "anchor_5": "Coaches others", "anchor_9": "Off"}
    assert client.post(anchors, data).status_code == 302
    assert dict(BehaviouralAnchor.objects.filter(item=a).values_list("rating", "description")) == {
        1: "Avoids hard talks",
        5: "Coaches others",
    }

    questions = url("template_question_add", template.pk)
    assert client.post(questions, {"text": "  "}).status_code == 200
    response = client.post(
        questions, {"text": "What should they keep doing?", "sources": ["peer", "self"]}
    )
    assert response.status_code == 302
    question = TemplateQuestion.objects.get(template=template)
    assert question.sources == ["self", "peer"]
    bad_source = client.post(
        url("template_question", template.pk, question.pk), {"text": "x", "sources": ["boss"]}
    )
    assert bad_source.status_code == 200
    edit = client.post(
        url("template_question", template.pk, question.pk),
        {"text": "What should they start doing?", "required": "on"},
    )
    assert edit.status_code == 302
    question.refresh_from_db()
    assert question.required and question.sources == []
    assert client.post(url("template_question_remove", template.pk, question.pk)).status_code == 302
    assert not TemplateQuestion.objects.filter(pk=question.pk).exists()
    remove = url("template_competency_remove", template.pk, b.pk)
    assert client.post(remove).status_code == 302
    assert list(TemplateCompetency.objects.filter(template=template)) == [a]


def test_a_template_used_by_an_open_cycle_is_read_only(company, template, skills, as_user):
    item = template_competency_add(actor=None, template=template, competency=skills[0], weight=100)
    CycleFactory(name="Q1 review", template=template, phase="planning")
    client = as_user(company.hr)
    page = client.get(url("template", template.pk)).content.decode()
    assert "Read-only." in page and "Q1 review" in page
    assert 'name="goals_weight"' not in page
    response = client.post(
        url("template", template.pk), template_data(name="Changed", version=template.version)
    )
    assert response.status_code == 200 and "in use by an open cycle" in response.content.decode()
    template.refresh_from_db()
    assert template.name == "Standard 360"
    locked_weight = client.post(url("template_weights", template.pk), {f"weight_{item.pk}": 50})
    assert locked_weight.status_code == 200
    anchors = client.post(url("template_anchors", template.pk, item.pk), {"anchor_1": "x"})
    assert anchors.status_code == 200 and not BehaviouralAnchor.objects.exists()
    add = client.post(url("template_question_add", template.pk), {"text": "Why?"})
    assert add.status_code == 200 and not TemplateQuestion.objects.exists()
    item.refresh_from_db()
    assert item.weight == 100


def test_unknown_template_is_404(company, as_user):
    assert as_user(company.hr).get(url("template", 999)).status_code == 404


def test_grade_scales_list_create_and_show_cycles(company, as_user):
    client = as_user(company.hr)
    page = client.get(url("grade_scales"))
    assert page.status_code == 200 and "S/A/B/C/D" in page.content.decode()
    default = GradeScale.objects.get(name="S/A/B/C/D")
    CycleFactory(name="H1 2026", grade_scale=default)
    detail = client.get(url("grade_scale", default.pk)).content.decode()
    assert "H1 2026" in detail and "95 and above" in detail
    data = {
        "name": "Three grades",
        "code_0": "A",
        "label_0": "Great",
        "min_0": 80,
        "code_1": "B",
        "min_1": 50,
        "code_2": "C",
        "min_2": 0,
    }
    response = client.post(url("grade_scales"), data)
    scale = GradeScale.objects.get(name="Three grades")
    assert response.status_code == 302 and response.url == url("grade_scale", scale.pk)
    assert [(b.code, b.min_score) for b in scale.bands.all()] == [
        ("A", Decimal(80)),
        ("B", Decimal(50)),
        ("C", Decimal(0)),
    ]
    not_zero = client.post(url("grade_scales"), {**data, "name": "Bad", "min_2": 10})
    assert not_zero.status_code == 200 and "start at a score of 0" in not_zero.content.decode()
    missing = client.post(url("grade_scales"), {"name": "Half", "code_0": "A"})
    assert missing.status_code == 200
    assert not GradeScale.objects.filter(name__in=["Bad", "Half"]).exists()


def test_template_pages_speak_chinese(company, template, as_user):
    grade_scale_default()
    client = as_user(company.hr)
    client.cookies["django_language"] = "zh-hans"
    for address in (LIST, url("template", template.pk), url("grade_scales")):
        response = client.get(address, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200

"""Template configuration: competencies with weights, anchors on the scale, questions by
source, completeness before a cycle opens, and the lock once a cycle using it is open."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perfcycle.audit.models import AuditEvent
from perfcycle.core.errors import DomainError, ValidationFailed
from perfcycle.cycles.services import review_template_create
from perfcycle.evaluation.models import TemplateCompetency
from perfcycle.evaluation.templates import (
    competency_weight_total,
    questions_for_source,
    template_anchors_set,
    template_check_complete,
    template_competency_add,
    template_competency_remove,
    template_competency_update,
    template_question_add,
    template_question_remove,
    template_question_update,
)
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory


@pytest.fixture
def template(db):
    return review_template_create(actor=None, name="Engineering 360")


@pytest.fixture
def skills(db):
    return [
        Competency.objects.create(code=code, name=name)
        for code, name in [("COMM", "Communication"), ("OWN", "Ownership"), ("TEAM", "Teamwork")]
    ]


def test_competencies_with_weights_total_100_make_a_complete_template(company, template, skills):
    hr = company.hr
    a = template_competency_add(actor=hr, template=template, competency=skills[0], weight=50)
    b = template_competency_add(actor=hr, template=template, competency=skills[1], weight="30")
    with pytest.raises(ValidationFailed) as err:
        template_check_complete(template)
    assert err.value.code == "template_incomplete"
    assert "80" in err.value.message
    template_competency_update(actor=hr, item=b, weight=Decimal(50))
    template_check_complete(template)  # no error
    assert competency_weight_total(template) == 100
    assert [a.position, b.position] == [0, 1]
    events = AuditEvent.objects.filter(object_type="evaluation.templatecompetency")
    assert sorted(events.values_list("action", flat=True)) == ["create", "create", "update"]


def test_a_template_weighing_competencies_needs_some(template):
    with pytest.raises(ValidationFailed, match="add competencies"):
        template_check_complete(template)


def test_competency_once_per_template_and_weight_in_range(company, template, skills):
    template_competency_add(actor=None, template=template, competency=skills[0], weight=40)
    with pytest.raises(ValidationFailed) as err:
        template_competency_add(actor=None, template=template, competency=skills[0], weight=10)
    assert err.value.code == "duplicate"
    for bad in (0, -5, 101, "lots"):
        with pytest.raises(ValidationFailed):
            template_competency_add(actor=None, template=template, competency=skills[1], weight=bad)
    assert TemplateCompetency.objects.filter(template=template).count() == 1


def test_anchors_lie_on_the_rating_scale(company, template, skills):
    item = template_competency_add(actor=None, template=template, competency=skills[0], weight=100)
    anchors = template_anchors_set(
        actor=company.hr,
        item=item,
        anchors={1: "Avoids hard conversations", 3: "Explains clearly", 5: "Coaches others"},
    )
    assert [a.rating for a in anchors] == [1, 3, 5]
    for point in (0, 6):
        with pytest.raises(ValidationFailed, match="outside the scale"):
            template_anchors_set(actor=None, item=item, anchors={point: "x"})
    assert list(item.anchors.values_list("rating", flat=True)) == [1, 3, 5]
    # Replacing drops points left empty.
    template_anchors_set(actor=None, item=item, anchors={2: "Sometimes unclear", 3: ""})
    assert list(item.anchors.values_list("rating", flat=True)) == [2]
    audit = AuditEvent.objects.filter(object_type="evaluation.templatecompetency", action="update")
    assert audit.count() == 2
    template_check_complete(template)


def test_anchors_outside_a_narrowed_scale_make_the_template_incomplete(template, skills):
    item = template_competency_add(actor=None, template=template, competency=skills[0], weight=100)
    template_anchors_set(actor=None, item=item, anchors={5: "Outstanding"})
    template.rating_max = 4
    template.save(update_fields=["rating_max"])
    with pytest.raises(ValidationFailed, match="outside the scale") as err:
        template_check_complete(template)
    assert "anchors" in err.value.details["fields"]


def test_questions_are_asked_of_their_sources(company, template):
    everyone = template_question_add(actor=company.hr, template=template, text=" Strengths? ")
    managers = template_question_add(
        actor=company.hr,
        template=template,
        text="Ready for promotion?",
        sources=["skip", "manager", "manager"],
        required=True,
    )
    assert everyone.text == "Strengths?"
    assert managers.sources == ["manager", "skip"]
    assert questions_for_source(template, "peer") == [everyone]
    assert questions_for_source(template, "manager") == [everyone, managers]
    with pytest.raises(ValidationFailed, match="Unknown review source"):
        template_question_add(actor=None, template=template, text="Q", sources=["boss"])
    with pytest.raises(ValidationFailed):
        template_question_add(actor=None, template=template, text="   ")
    template_question_update(actor=company.hr, question=everyone, sources=["self"])
    assert questions_for_source(template, "peer") == []
    template_question_remove(actor=company.hr, question=managers)
    assert list(template.questions.all()) == [everyone]
    actions = AuditEvent.objects.filter(object_type="evaluation.templatequestion").values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["create", "create", "delete", "update"]


def test_template_content_is_fixed_once_a_cycle_using_it_opens(company, template, skills):
    item = template_competency_add(actor=None, template=template, competency=skills[0], weight=100)
    question = template_question_add(actor=None, template=template, text="Strengths?")
    CycleFactory(template=template, phase="draft")
    template_competency_update(actor=None, item=item, weight=100)  # draft cycle: still fine
    CycleFactory(template=template, phase="planning")
    attempts = [
        lambda: template_competency_add(
            actor=None, template=template, competency=skills[1], weight=10
        ),
        lambda: template_competency_update(actor=None, item=item, weight=50),
        lambda: template_competency_remove(actor=None, item=item),
        lambda: template_anchors_set(actor=None, item=item, anchors={1: "x"}),
        lambda: template_question_add(actor=None, template=template, text="More?"),
        lambda: template_question_update(actor=None, question=question, text="Changed"),
        lambda: template_question_remove(actor=None, question=question),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as err:
            attempt()
        assert err.value.code == "template_locked"
    item.refresh_from_db()
    assert item.weight == 100


def test_removing_a_competency_records_its_anchors(company, template, skills):
    item = template_competency_add(actor=None, template=template, competency=skills[0], weight=100)
    template_anchors_set(actor=None, item=item, anchors={3: "Meets"})
    template_competency_remove(actor=company.hr, item=item)
    assert not template.competencies.exists()
    event = AuditEvent.objects.get(object_type="evaluation.templatecompetency", action="delete")
    assert event.before["anchors"] == {"3": "Meets"}
    assert event.actor == company.hr

"""Assignment page (HR: generate, table of reviewees, manual add and remove, a fixed number
of queries) and the peer page (a person nominates, a manager approves or declines; HR's
peers and every form's progress stay hidden from both)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from perfcycle.cycles.services import review_template_create
from perfcycle.evaluation.assignment import assignment_generate, review_form_add
from perfcycle.evaluation.models import FormStatus, ReviewForm
from perfcycle.evaluation.templates import template_competency_add
from perfcycle.monitoring.models import Competency
from tests.factories import CycleFactory, DepartmentFactory, EmployeeFactory


def complete(template):
    competency, _created = Competency.objects.get_or_create(code="COMM", name="Communication")
    template_competency_add(actor=None, template=template, competency=competency, weight=100)
    return template


@pytest.fixture
def template(db):
    return complete(review_template_create(actor=None, name="Standard 360"))


def everyone(c):
    return [c.top, c.hr_person, c.manager, c.direct, c.indirect, c.stranger]


@pytest.fixture
def cycle(company, template):
    return CycleFactory(name="H1", template=template, participants=everyone(company))


def url(name, *args):
    return reverse(f"evaluation:{name}", args=args)


@pytest.mark.parametrize("who", ["manager", "direct", "stranger"])
def test_only_hr_assigns(company, cycle, as_user, who):
    client = as_user(company.user(who))
    assert client.get(url("assignment", cycle.pk)).status_code == 403
    assert client.post(url("assignment", cycle.pk), {"peers_per_person": 2}).status_code == 403
    add = {"reviewee": company.direct.pk, "reviewer": company.stranger.pk, "source": "peer"}
    assert client.post(url("assignment_add", cycle.pk), add).status_code == 403
    assert not ReviewForm.objects.exists()


def test_unknown_cycle_is_404(company, as_user):
    assert as_user(company.hr).get(url("assignment", 999)).status_code == 404


def test_generate_shows_the_report_and_the_table(company, cycle, as_user):
    client = as_user(company.hr)
    data = {"peers_per_person": 2, "max_forms_per_reviewer": 3, "include_upward": "on"}
    response = client.post(url("assignment", cycle.pk), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "What the generation did" in page and "Short of peers" in page
    assert ReviewForm.objects.filter(cycle=cycle, source="self").count() == 6
    assert not ReviewForm.objects.filter(cycle=cycle, source="skip").exists()
    table = client.get(url("assignment", cycle.pk)).content.decode()
    assert "Mia Manager" in table and "not started" in table  # HR sees reviewers and status
    bad = client.post(url("assignment", cycle.pk), {**data, "max_forms_per_reviewer": 0})
    assert bad.status_code == 200 and "greater than or equal to 1" in bad.content.decode()


def test_an_incomplete_template_is_refused_on_the_page(company, as_user):
    bare = review_template_create(actor=None, name="Bare")
    cycle = CycleFactory(template=bare, phase="draft", participants=everyone(company))
    response = as_user(company.hr).post(url("assignment", cycle.pk), {"peers_per_person": 1})
    assert response.status_code == 200
    assert "add competencies" in response.content.decode()
    assert not ReviewForm.objects.exists()


def test_manual_add_and_remove(company, cycle, as_user):
    c = company
    client = as_user(c.hr)
    add = url("assignment_add", cycle.pk)
    ok = client.post(add, {"reviewee": c.direct.pk, "reviewer": c.stranger.pk, "source": "peer"})
    assert ok.status_code == 302
    form = ReviewForm.objects.get(cycle=cycle, reviewee=c.direct, reviewer=c.stranger)
    bad = client.post(add, {"reviewee": c.direct.pk, "reviewer": c.direct.pk, "source": "peer"})
    assert bad.status_code == 200 and "own peer reviewer" in bad.content.decode()
    done = review_form_add(
        actor=None, cycle=cycle, reviewee=c.direct, reviewer=c.manager, source="manager"
    )
    ReviewForm.objects.filter(pk=done.pk).update(status=FormStatus.SUBMITTED)
    refused = client.post(url("assignment_remove", cycle.pk, done.pk), follow=True)
    assert "can no longer be removed" in refused.content.decode()
    assert client.post(url("assignment_remove", cycle.pk, form.pk)).status_code == 302
    assert list(ReviewForm.objects.filter(cycle=cycle)) == [done]


def _big_cycle(company, template, size):
    department = DepartmentFactory(name=f"Dept {size}", parent=company.root)
    lead = EmployeeFactory(name=f"Lead {size}", manager=company.manager, department=department)
    members = [
        EmployeeFactory(name=f"Member {size}-{i}", manager=lead, department=department)
        for i in range(size)
    ]
    cycle = CycleFactory(name=f"Cycle {size}", template=template, participants=[lead, *members])
    assignment_generate(actor=None, cycle=cycle, include_skip_level=True)
    return cycle, department


def test_the_table_takes_the_same_queries_whatever_the_size(
    company, template, as_user, django_assert_num_queries
):
    small, _small_dept = _big_cycle(company, template, 3)
    big, big_dept = _big_cycle(company, template, 40)
    client = as_user(company.hr)
    client.get(url("assignment", small.pk))  # warm the session and the user
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url("assignment", small.pk)).status_code == 200
    expected = len(ctx.captured_queries)
    with django_assert_num_queries(expected):
        response = client.get(url("assignment", big.pk))
    assert response.content.decode().count("Member 40-") >= 40
    with django_assert_num_queries(expected):
        client.get(url("assignment", big.pk) + f"?department={big_dept.pk}&page=1")


# Peers -----------------------------------------------------------------------------------


@pytest.fixture
def team(company, template):
    """A lead (with a login) under the manager, and seven members; ``me`` has a login."""
    department = DepartmentFactory(name="Platform", parent=company.root)
    lead = EmployeeFactory(
        name="Lena Lead", manager=company.manager, department=department, login="lead"
    )
    me = EmployeeFactory(name="Mo Me", manager=lead, department=department, login="me")
    others = [
        EmployeeFactory(name=name, manager=lead, department=department)
        for name in ["Ann Peer", "Ben Peer", "Cat Peer", "Hidden Harry", "Eve Peer", "Fay Peer"]
    ]
    cycle = CycleFactory(name="Peers cycle", template=template, participants=[lead, me, *others])
    # HR assigns Harry, who has already submitted: neither Mo nor Lena may learn it.
    harry = others[3]
    hr_form = review_form_add(
        actor=company.hr, cycle=cycle, reviewee=me, reviewer=harry, source="peer"
    )
    ReviewForm.objects.filter(pk=hr_form.pk).update(status=FormStatus.SUBMITTED)
    return {"cycle": cycle, "lead": lead, "me": me, "others": others, "hr_form": hr_form}


STATUS_WORDS = ["submitted", "in progress", "not started"]


def _no_secrets(page: str) -> None:
    # Harry may appear as a colleague one could nominate (leaving him out of that list
    # would give him away), but never among the peers.
    page = page.split('name="reviewers"')[0]
    assert "Hidden Harry" not in page
    for word in STATUS_WORDS:
        assert word not in page.lower()


def test_nominate_approve_decline_without_revealing_hr_peers_or_progress(company, team, as_user):
    cycle, me, lead = team["cycle"], team["me"], team["lead"]
    ann, ben, cat = team["others"][:3]
    mine = as_user(me.user)
    page = mine.get(url("peers", cycle.pk)).content.decode()
    assert "HR has also asked 1 colleague" in page
    _no_secrets(page)

    too_few = mine.post(url("peers", cycle.pk), {"reviewers": [ann.pk]})
    assert too_few.status_code == 200 and "at least 3 peers" in too_few.content.decode()
    response = mine.post(url("peers", cycle.pk), {"reviewers": [ann.pk, ben.pk, cat.pk]})
    assert response.status_code == 302
    page = mine.get(url("peers", cycle.pk)).content.decode()
    assert "Ann Peer" in page and "awaiting approval" in page
    _no_secrets(page)

    boss = as_user(lead.user)
    page = boss.get(url("peers", cycle.pk)).content.decode()
    assert "Ann Peer" in page and "Mo Me" in page
    _no_secrets(page)
    forms = {f.reviewer_id: f for f in ReviewForm.objects.filter(cycle=cycle, reviewee=me)}
    assert boss.post(url("peers_approve", cycle.pk, forms[ann.pk].pk)).status_code == 302
    no_reason = boss.post(url("peers_decline", cycle.pk, forms[ben.pk].pk), {"reason": " "})
    assert no_reason.status_code == 200
    declined = boss.post(
        url("peers_decline", cycle.pk, forms[ben.pk].pk), {"reason": "Other product"}
    )
    assert declined.status_code == 302
    statuses = dict(
        ReviewForm.objects.filter(cycle=cycle, reviewee=me).values_list("reviewer_id", "status")
    )
    assert statuses[ann.pk] == "open" and statuses[ben.pk] == "declined"

    # Ann submits: Mo still sees "approved", never "submitted".
    ReviewForm.objects.filter(pk=forms[ann.pk].pk).update(status=FormStatus.SUBMITTED)
    page = mine.get(url("peers", cycle.pk)).content.decode()
    assert "approved" in page and "declined" in page
    _no_secrets(page)
    page = boss.get(url("peers", cycle.pk)).content.decode()
    assert "Ann Peer" not in page.split("My team")[1]  # no longer waiting
    _no_secrets(page)


def test_only_the_persons_managers_decide(company, team, as_user):
    cycle, me = team["cycle"], team["me"]
    as_user(me.user).post(url("peers", cycle.pk), {"reviewers": [p.pk for p in team["others"][:3]]})
    forms = list(ReviewForm.objects.filter(cycle=cycle, reviewee=me, status="nominated"))
    assert len(forms) == 3
    own = as_user(me.user).post(url("peers_approve", cycle.pk, forms[0].pk))
    assert own.status_code == 403
    stranger = as_user(company.user("stranger"))
    assert stranger.post(url("peers_approve", cycle.pk, forms[0].pk)).status_code == 404
    # The HR-assigned form is nobody's nomination: not found, even for the manager.
    lead = as_user(team["lead"].user)
    assert lead.post(url("peers_approve", cycle.pk, team["hr_form"].pk)).status_code == 404
    # The manager's manager may decide too.
    assert (
        as_user(company.user("manager"))
        .post(url("peers_approve", cycle.pk, forms[0].pk))
        .status_code
        == 302
    )


def test_someone_outside_the_cycle_sees_a_notice(company, team, as_user):
    page = as_user(company.user("stranger")).get(url("peers", team["cycle"].pk))
    assert page.status_code == 200
    assert "You do not take part in this cycle" in page.content.decode()
    refused = as_user(company.user("stranger")).post(
        url("peers", team["cycle"].pk), {"reviewers": [team["me"].pk]}
    )
    assert refused.status_code == 404

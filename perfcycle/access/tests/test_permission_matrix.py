"""The permission matrix: role × action × relation, every cell asserted.

The expected table is written out here by hand, independently of the rules in
``perfcycle.access.policy``; a new action without a row here fails
``test_every_action_is_in_the_matrix``. Each object cell is checked three ways: the
policy function, the pages, and the API.
"""

from __future__ import annotations

import pytest

from perfcycle.access.policy import RULES, Action, Relation, Role, may, relation, roles, scope
from perfcycle.org.models import Employee
from tests.factories import EmployeeFactory

SELF, DIRECT, INDIRECT, STRANGER = (
    Relation.SELF,
    Relation.DIRECT_REPORT,
    Relation.INDIRECT_REPORT,
    Relation.STRANGER,
)
HR, MANAGER, EMPLOYEE = Role.HR_ADMIN, Role.MANAGER, Role.EMPLOYEE
NONE = None  # an action about nobody in particular

# (role, action, relation) -> allowed. An employee has no reports, so those cells don't exist.
MATRIX: dict[tuple[Role, Action, Relation | None], bool] = {}


def _row(action: Action, hr: object, manager: object, employee: object) -> None:
    """Fill one action's cells: each argument is a bool (no object) or a 4-tuple
    (self, direct, indirect, stranger); the employee's is (self, stranger)."""
    for role, cells in ((HR, hr), (MANAGER, manager), (EMPLOYEE, employee)):
        if isinstance(cells, bool):
            MATRIX[(role, action, NONE)] = cells
            continue
        relations = (SELF, STRANGER) if role is EMPLOYEE else (SELF, DIRECT, INDIRECT, STRANGER)
        for rel, allowed in zip(relations, cells, strict=True):
            MATRIX[(role, action, rel)] = allowed


# fmt: off
#    action                    HR admin                    manager                         employee
_row(Action.ORG_CHART_VIEW,    True,                       True,                           True)
_row(Action.DEPARTMENT_VIEW,   True,                       True,                           True)
_row(Action.DEPARTMENT_CREATE, True,                       False,                          False)
_row(Action.DEPARTMENT_CHANGE, True,                       False,                          False)
_row(Action.DEPARTMENT_IMPORT, True,                       False,                          False)
_row(Action.EMPLOYEE_LIST,     True,                       True,                           True)
_row(Action.EMPLOYEE_VIEW,     (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.EMPLOYEE_CREATE,   True,                       False,                          False)
_row(Action.EMPLOYEE_CHANGE,   (True, True, True, True),   (False, False, False, False),   (False, False))
_row(Action.EMPLOYEE_IMPORT,   True,                       False,                          False)
_row(Action.AUDIT_VIEW,        True,                       False,                          False)
_row(Action.ADMIN_VIEW,        True,                       False,                          False)
_row(Action.CYCLE_VIEW,        True,                       True,                           True)
_row(Action.CYCLE_MANAGE,      True,                       False,                          False)
_row(Action.INDICATOR_VIEW,    True,                       True,                           True)
_row(Action.INDICATOR_MANAGE,  True,                       False,                          False)
_row(Action.INDICATOR_ASSIGN,  True,                       True,                           False)
_row(Action.GOAL_VIEW,         (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.GOAL_CREATE,       (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.GOAL_CHANGE,       (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.GOAL_COMMENT,      (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.GOAL_IMPORT,       True,                       False,                          False)
_row(Action.SHEET_VIEW,        (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.SHEET_PROPOSE,     (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.SHEET_APPROVE,     (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.SHEET_RETURN,      (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.SHEET_ACKNOWLEDGE, (True, False, False, False), (True, False, False, False),   (True, False))
_row(Action.ACTUAL_VIEW,              (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.ACTUAL_ENTER,             (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.ACTUAL_IMPORT,            True,                       False,                          False)
_row(Action.TEAM_MONITOR,             True,                       True,                           False)
_row(Action.CHECKIN_VIEW,             (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.CHECKIN_SCHEDULE,         (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.CHECKIN_REQUEST,          (True, False, False, False), (True, False, False, False),   (True, False))
_row(Action.CHECKIN_CONTRIBUTE,       (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.CHECKIN_PRIVATE_NOTES,    (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.OBSERVATION_CREATE,       (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.OBSERVATION_MANAGE,       (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.OBSERVATION_VIEW_PRIVATE, (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.OBSERVATION_VIEW_SHARED,  (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.FEEDBACK_GIVE,            True,                       True,                           True)
_row(Action.COURSE_VIEW,              True,                       True,                           True)
_row(Action.COURSE_MANAGE,            True,                       False,                          False)
_row(Action.TRAINING_VIEW,            (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.TRAINING_RECOMMEND,       (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.TRAINING_UPDATE,          (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.REVIEW_ASSIGN,            True,                       False,                          False)
_row(Action.REVIEW_NOMINATE_PEERS,    (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.REVIEW_APPROVE_PEERS,     (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.REVIEW_FORM_VIEW,         (True, True, True, True),   (False, False, False, False),   (False, False))
_row(Action.REVIEW_FORM_FILL,         (False, False, False, False), (False, False, False, False), (False, False))
_row(Action.REVIEW_PROGRESS,          True,                       True,                           False)
_row(Action.REVIEW_REMIND,            True,                       True,                           False)
_row(Action.REVIEW_TEMPLATE_MANAGE,   True,                       False,                          False)
_row(Action.SCORE_LIST,               True,                       True,                           False)
_row(Action.SCORE_VIEW,               (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.SCORE_OVERRIDE,           (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.SCORE_COMPUTE,            True,                       False,                          False)
_row(Action.RELIABILITY_VIEW,         True,                       False,                          False)
_row(Action.CALIBRATION_SETTINGS,     True,                       False,                          False)
_row(Action.DISTRIBUTION_VIEW,        True,                       True,                           False)
_row(Action.SESSION_MANAGE,           True,                       False,                          False)
_row(Action.SESSION_VIEW,             True,                       False,                          False)
_row(Action.SESSION_ADJUST,           True,                       False,                          False)
_row(Action.SESSION_SIGN_OFF,         True,                       False,                          False)
_row(Action.RESULT_RELEASE,           True,                       False,                          False)
_row(Action.RESULT_VIEW,              (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.RESULT_ACKNOWLEDGE,       (True, False, False, False), (True, False, False, False),   (True, False))
_row(Action.RESULTS_EXPORT,           True,                       False,                          False)
_row(Action.TALK_VIEW,                (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.TALK_RECORD,              (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.TALK_COMMENT,             (True, False, False, False), (True, False, False, False),   (True, False))
_row(Action.APPEAL_FILE,              (True, False, False, False), (True, False, False, False),   (True, False))
_row(Action.APPEAL_VIEW,              (True, True, True, True),   (True, False, False, False),    (True, False))
_row(Action.APPEAL_DECIDE,            (True, True, True, True),   (False, False, False, False),   (False, False))
_row(Action.PLAN_VIEW,                (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.PLAN_MANAGE,              (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.PLAN_PROPOSE,             True,                       False,                          False)
_row(Action.PLAN_ACKNOWLEDGE,         (True, False, False, False), (True, False, False, False),   (True, False))
# Reward (stage 5)
_row(Action.COMPENSATION_MANAGE,      True,                       False,                          False)
_row(Action.BONUS_PLAN_MANAGE,        True,                       False,                          False)
_row(Action.BONUS_TEAM_VIEW,          True,                       True,                           False)
_row(Action.BONUS_LINE_VIEW,          (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.BONUS_LINE_ADJUST,        (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.MOTIVATION_VIEW,          (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.MOTIVATION_EDIT,          (True, False, False, False), (True, False, False, False),   (True, False))
_row(Action.MOTIVATION_AGGREGATE,     True,                       False,                          False)
_row(Action.PROPOSAL_RULES_MANAGE,    True,                       False,                          False)
_row(Action.PROPOSAL_LIST,            True,                       True,                           False)
_row(Action.PROPOSAL_VIEW,            (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.PROPOSAL_NOMINATE,        (True, True, True, True),   (False, True, True, False),     (False, False))
_row(Action.PROPOSAL_ENDORSE,         (True, True, True, True),   (False, False, True, False),    (False, False))
_row(Action.PROPOSAL_DECIDE,          True,                       False,                          False)
# Close the loop (stage 6)
_row(Action.RETRO_MANAGE,             True,                       False,                          False)
_row(Action.RETRO_ANSWER,             (True, False, False, False), (True, False, False, False),   (True, False))
_row(Action.RETRO_RESULTS_VIEW,       True,                       True,                           False)
_row(Action.TARGET_ANALYSIS_VIEW,     True,                       True,                           False)
_row(Action.TARGET_PROPOSAL_DECIDE,   True,                       False,                          False)
_row(Action.TREND_PERSON_VIEW,        (True, True, True, True),   (True, True, True, False),      (True, False))
_row(Action.TREND_DEPARTMENT_VIEW,    True,                       True,                           False)
_row(Action.PROCESS_HEALTH_VIEW,      True,                       True,                           False)
_row(Action.PERSONAL_DATA_EXPORT,     (True, True, True, True),   (True, False, False, False),    (True, False))
_row(Action.PERSONAL_DATA_ERASE,      (True, True, True, True),   (False, False, False, False),   (False, False))
# fmt: on


@pytest.fixture
def cast(company):
    """For each role, the acting employee and one target per relation."""
    hr_direct = EmployeeFactory(employee_number="C003", name="Hank", manager=company.hr_person)
    hr_indirect = EmployeeFactory(employee_number="C004", name="Hope", manager=hr_direct)
    return {
        HR: (
            company.hr_person,
            {
                SELF: company.hr_person,
                DIRECT: hr_direct,
                INDIRECT: hr_indirect,
                STRANGER: company.manager,
            },
        ),
        MANAGER: (
            company.manager,
            {
                SELF: company.manager,
                DIRECT: company.direct,
                INDIRECT: company.indirect,
                STRANGER: company.stranger,
            },
        ),
        EMPLOYEE: (company.stranger, {SELF: company.stranger, STRANGER: company.direct}),
    }


def test_every_action_is_in_the_matrix():
    declared = {action for (_role, action, _rel) in MATRIX}
    assert declared == set(Action) == set(RULES)


def test_cast_holds_the_roles_and_relations(cast):
    for role, (actor, targets) in cast.items():
        assert role in roles(actor.user)
        for rel, target in targets.items():
            assert relation(actor.user, target) is rel
    assert MANAGER not in roles(cast[EMPLOYEE][0].user)


@pytest.mark.parametrize(("role", "action", "rel"), sorted(MATRIX, key=str), ids=str)
def test_policy_cell(cast, role, action, rel):
    actor, targets = cast[role]
    target = targets[rel] if rel is not None else None
    assert may(actor.user, action, target) is MATRIX[(role, action, rel)]


@pytest.mark.parametrize("role", [HR, MANAGER, EMPLOYEE], ids=str)
def test_scope_agrees_with_may(cast, role):
    actor, _targets = cast[role]
    everyone = list(Employee.objects.all())
    for action in (Action.EMPLOYEE_VIEW, Action.EMPLOYEE_CHANGE, Action.EMPLOYEE_LIST):
        scoped = set(scope(actor.user, action, Employee.objects.all()).values_list("pk", flat=True))
        check = Action.EMPLOYEE_VIEW if action is Action.EMPLOYEE_LIST else action
        expected = {e.pk for e in everyone if may(actor.user, check, e)}
        assert scoped == expected, action


def _object_cells(action: Action):
    return sorted((key for key in MATRIX if key[1] is action and key[2] is not None), key=str)


@pytest.mark.parametrize(("role", "action", "rel"), _object_cells(Action.EMPLOYEE_VIEW), ids=str)
def test_view_cell_over_http(cast, as_user, role, action, rel):
    actor, targets = cast[role]
    client = as_user(actor.user)
    target = targets[rel]
    allowed = MATRIX[(role, action, rel)]
    page = client.get(f"/org/people/{target.pk}/")
    api = client.get(f"/api/v1/employees/{target.pk}")
    assert page.status_code == (200 if allowed else 404)
    assert api.status_code == (200 if allowed else 404)
    if not allowed:
        assert api.json()["error"]["code"] == "not_found"
        assert target.name not in page.content.decode()


@pytest.mark.parametrize(("role", "action", "rel"), _object_cells(Action.EMPLOYEE_CHANGE), ids=str)
def test_change_cell_over_http(cast, as_user, role, action, rel):
    actor, targets = cast[role]
    client = as_user(actor.user)
    target = targets[rel]
    allowed = MATRIX[(role, action, rel)]
    visible = MATRIX[(role, Action.EMPLOYEE_VIEW, rel)]
    denied = 403 if visible else 404
    page = client.get(f"/org/people/{target.pk}/edit/")
    api = client.patch(
        f"/api/v1/employees/{target.pk}",
        {"version": target.version, "job_title": "Changed"},
        content_type="application/json",
    )
    assert page.status_code == (200 if allowed else denied)
    assert api.status_code == (200 if allowed else denied)
    target.refresh_from_db()
    assert (target.job_title == "Changed") is allowed


@pytest.mark.parametrize(
    ("role", "url", "action"),
    [
        (role, url, action)
        for role in (HR, MANAGER, EMPLOYEE)
        for url, action in (
            ("/admin/audit/", Action.AUDIT_VIEW),
            ("/org/people/new/", Action.EMPLOYEE_CREATE),
            ("/org/departments/new/", Action.DEPARTMENT_CREATE),
            ("/org/import/", Action.EMPLOYEE_IMPORT),
            ("/org/", Action.ORG_CHART_VIEW),
        )
    ],
    ids=str,
)
def test_page_without_object(cast, as_user, role, url, action):
    actor, _ = cast[role]
    response = as_user(actor.user).get(url)
    allowed = MATRIX[(role, action, NONE)]
    # The audit trail is reported as absent to those who may not read it.
    denied = 404 if action is Action.AUDIT_VIEW else 403
    assert response.status_code == (200 if allowed else denied)


def test_a_review_form_is_its_reviewers_alone(company):
    from perfcycle.evaluation.models import ReviewForm

    form = ReviewForm(reviewee=company.direct, reviewer=company.stranger, source="peer")
    assert may(company.user("stranger"), Action.REVIEW_FORM_FILL, form)
    assert may(company.user("stranger"), Action.REVIEW_FORM_VIEW, form)
    for other in ("manager", "direct", "indirect", "top"):
        assert not may(company.user(other), Action.REVIEW_FORM_FILL, form), other
        assert not may(company.user(other), Action.REVIEW_FORM_VIEW, form), other
    assert may(company.hr, Action.REVIEW_FORM_VIEW, form)
    assert not may(company.hr, Action.REVIEW_FORM_FILL, form)


def test_anonymous_is_sent_to_sign_in_and_api_refuses(company, client):
    assert client.get(f"/org/people/{company.direct.pk}/").status_code == 302
    response = client.get(f"/api/v1/employees/{company.direct.pk}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert not may(None, Action.ORG_CHART_VIEW)


def test_deactivated_user_may_do_nothing(company):
    user = company.hr
    user.is_active = False
    user.save()
    assert not any(may(user, action, company.direct) for action in Action)


def test_members_an_object_lists_may_act_and_scope_finds_them(company):
    from perfcycle.access.policy import RULES, Grant

    class Session:
        def __init__(self, members):
            self.members = members

        def policy_members(self):
            return self.members

    assert Grant.MEMBER in RULES[Action.SESSION_ADJUST]
    session = Session([company.stranger])
    assert may(company.user("stranger"), Action.SESSION_ADJUST, session)
    assert not may(company.user("manager"), Action.SESSION_ADJUST, session)
    assert may(company.hr, Action.SESSION_ADJUST, session)
    # scope: the membership lookup narrows a queryset (here: departments by head).
    from perfcycle.org.models import Department

    Department.objects.filter(pk=company.sales.pk).update(head=company.stranger)
    found = scope(
        company.user("stranger"), Action.SESSION_VIEW, Department.objects.all(), member="head"
    )
    assert list(found) == [company.sales]
    assert not scope(
        company.user("manager"), Action.SESSION_VIEW, Department.objects.all(), member="head"
    ).exists()

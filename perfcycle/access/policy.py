"""The one place that answers "may user U do action A on object O?".

Pages, the API and exports all ask here; nothing re-implements a rule.

Rules are declared per action as a set of *grants*. A grant says who is allowed,
relative to the employee the object is about (its *subject*):

- ``HR``: HR admins (and superusers), for every object;
- ``SELF``: the subject themselves;
- ``DIRECT``: the subject's direct manager;
- ``INDIRECT``: any manager higher up the subject's reporting line;
- ``SIGNED_IN``: anyone with a login (company-wide information such as the org chart);
- ``MANAGER``: anyone with active direct reports (e.g. to assign indicators to their team);
- ``PUBLIC``: anyone signed in, for objects that declare themselves company-wide through
  ``policy_public()`` (company and department goals: that is what alignment means);
- ``COLLEAGUE``: anyone signed in, about someone else, but only where the company has
  switched it on (``PERFCYCLE_COLLEAGUE_OBSERVATIONS``: colleagues may log observations);
- ``AUTHOR``: the employee an object names as its author through ``policy_author()`` (a
  review form's reviewer): nobody else, not even HR, may act as them.
- ``MEMBER``: the employees an object lists through ``policy_members()`` (a calibration
  session's calibrators, an appeal's committee, a released result's own employee).

An object names its subject through ``policy_subject()`` (an ``Employee`` is its own
subject). Objects about nobody in particular (a department, the audit trail) have no
subject: only ``HR`` and ``SIGNED_IN`` grants apply to them.

``may`` checks one object; ``scope`` turns the same rule into a queryset filter so
lists are set-based; ``get_visible_or_404`` is the read path: an object one may not
see is reported as not found, never as forbidden.

Refusals are logged: ``require`` and ``get_visible_or_404`` note the refused action and
object for the request, and ``perfcycle.access.middleware`` writes one line per refused
request (401, 403, 404) on the ``perfcycle.access`` logger.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from perfcycle.org.models import Employee


class Grant(StrEnum):
    HR = "hr"
    SELF = "self"
    DIRECT = "direct"
    INDIRECT = "indirect"
    SIGNED_IN = "signed_in"
    MANAGER = "manager"
    PUBLIC = "public"
    COLLEAGUE = "colleague"
    AUTHOR = "author"
    MEMBER = "member"


class Relation(StrEnum):
    """How the acting user stands to the subject of an object."""

    SELF = "self"
    DIRECT_REPORT = "direct_report"
    INDIRECT_REPORT = "indirect_report"
    STRANGER = "stranger"


class Role(StrEnum):
    HR_ADMIN = "hr_admin"
    MANAGER = "manager"
    EMPLOYEE = "employee"


class Action(StrEnum):
    ORG_CHART_VIEW = "org.chart.view"
    DEPARTMENT_VIEW = "org.department.view"
    DEPARTMENT_CREATE = "org.department.create"
    DEPARTMENT_CHANGE = "org.department.change"
    DEPARTMENT_IMPORT = "org.department.import"
    EMPLOYEE_LIST = "org.employee.list"
    EMPLOYEE_VIEW = "org.employee.view"
    EMPLOYEE_CREATE = "org.employee.create"
    EMPLOYEE_CHANGE = "org.employee.change"
    EMPLOYEE_IMPORT = "org.employee.import"
    AUDIT_VIEW = "audit.view"
    ADMIN_VIEW = "admin.view"
    CYCLE_VIEW = "cycles.cycle.view"
    CYCLE_MANAGE = "cycles.cycle.manage"
    INDICATOR_VIEW = "planning.indicator.view"
    INDICATOR_MANAGE = "planning.indicator.manage"
    INDICATOR_ASSIGN = "planning.indicator.assign"
    GOAL_VIEW = "planning.goal.view"
    GOAL_CREATE = "planning.goal.create"
    GOAL_CHANGE = "planning.goal.change"
    GOAL_COMMENT = "planning.goal.comment"
    GOAL_IMPORT = "planning.goal.import"
    SHEET_VIEW = "planning.sheet.view"
    SHEET_PROPOSE = "planning.sheet.propose"
    SHEET_APPROVE = "planning.sheet.approve"
    SHEET_RETURN = "planning.sheet.return"
    SHEET_ACKNOWLEDGE = "planning.sheet.acknowledge"
    ACTUAL_VIEW = "monitoring.actual.view"
    ACTUAL_ENTER = "monitoring.actual.enter"
    ACTUAL_IMPORT = "monitoring.actual.import"
    TEAM_MONITOR = "monitoring.team.view"
    CHECKIN_VIEW = "monitoring.checkin.view"
    CHECKIN_SCHEDULE = "monitoring.checkin.schedule"
    CHECKIN_REQUEST = "monitoring.checkin.request"
    CHECKIN_CONTRIBUTE = "monitoring.checkin.contribute"
    CHECKIN_PRIVATE_NOTES = "monitoring.checkin.private_notes"
    OBSERVATION_CREATE = "monitoring.observation.create"
    OBSERVATION_MANAGE = "monitoring.observation.manage"
    OBSERVATION_VIEW_PRIVATE = "monitoring.observation.view_private"
    OBSERVATION_VIEW_SHARED = "monitoring.observation.view_shared"
    FEEDBACK_GIVE = "monitoring.feedback.give"
    COURSE_VIEW = "monitoring.course.view"
    COURSE_MANAGE = "monitoring.course.manage"
    TRAINING_VIEW = "monitoring.training.view"
    TRAINING_RECOMMEND = "monitoring.training.recommend"
    TRAINING_UPDATE = "monitoring.training.update"
    REVIEW_ASSIGN = "evaluation.review.assign"
    REVIEW_NOMINATE_PEERS = "evaluation.review.nominate_peers"
    REVIEW_APPROVE_PEERS = "evaluation.review.approve_peers"
    REVIEW_FORM_VIEW = "evaluation.form.view"
    REVIEW_FORM_FILL = "evaluation.form.fill"
    REVIEW_PROGRESS = "evaluation.progress.view"
    REVIEW_REMIND = "evaluation.progress.remind"
    REVIEW_TEMPLATE_MANAGE = "evaluation.template.manage"
    SCORE_LIST = "evaluation.score.list"
    SCORE_VIEW = "evaluation.score.view"
    SCORE_OVERRIDE = "evaluation.score.override"
    SCORE_COMPUTE = "evaluation.score.compute"
    RELIABILITY_VIEW = "evaluation.reliability.view"
    CALIBRATION_SETTINGS = "calibration.settings.manage"
    DISTRIBUTION_VIEW = "calibration.distribution.view"
    SESSION_MANAGE = "calibration.session.manage"
    SESSION_VIEW = "calibration.session.view"
    SESSION_ADJUST = "calibration.session.adjust"
    SESSION_SIGN_OFF = "calibration.session.sign_off"
    RESULT_RELEASE = "calibration.result.release"
    RESULT_VIEW = "calibration.result.view"
    RESULT_ACKNOWLEDGE = "calibration.result.acknowledge"
    RESULTS_EXPORT = "calibration.result.export"
    TALK_VIEW = "calibration.talk.view"
    TALK_RECORD = "calibration.talk.record"
    TALK_COMMENT = "calibration.talk.comment"
    APPEAL_FILE = "calibration.appeal.file"
    APPEAL_VIEW = "calibration.appeal.view"
    APPEAL_DECIDE = "calibration.appeal.decide"
    # Reward (stage 5): bonus plans, lines, pay on record, motivation profiles.
    COMPENSATION_MANAGE = "rewards.compensation.manage"
    BONUS_PLAN_MANAGE = "rewards.plan.manage"
    BONUS_TEAM_VIEW = "rewards.team.view"
    BONUS_LINE_VIEW = "rewards.line.view"
    BONUS_LINE_ADJUST = "rewards.line.adjust"
    MOTIVATION_VIEW = "rewards.motivation.view"
    MOTIVATION_EDIT = "rewards.motivation.edit"
    MOTIVATION_AGGREGATE = "rewards.motivation.aggregate"
    # Improvement plans (绩效改进计划).
    PLAN_VIEW = "improvement.plan.view"
    PLAN_MANAGE = "improvement.plan.manage"
    PLAN_PROPOSE = "improvement.plan.propose"
    PLAN_ACKNOWLEDGE = "improvement.plan.acknowledge"
    # Salary review and promotion proposals.
    PROPOSAL_RULES_MANAGE = "proposals.rules.manage"
    PROPOSAL_LIST = "proposals.proposal.list"
    PROPOSAL_VIEW = "proposals.proposal.view"
    PROPOSAL_NOMINATE = "proposals.proposal.nominate"
    PROPOSAL_ENDORSE = "proposals.proposal.endorse"
    PROPOSAL_DECIDE = "proposals.proposal.decide"
    # Close the loop: retrospective and target-difficulty analysis.
    RETRO_MANAGE = "retrospective.settings.manage"
    RETRO_ANSWER = "retrospective.response.answer"
    RETRO_RESULTS_VIEW = "retrospective.results.view"
    TARGET_ANALYSIS_VIEW = "retrospective.targets.view"
    TARGET_PROPOSAL_DECIDE = "retrospective.targets.decide"
    # Trends across cycles and the health of the process.
    TREND_PERSON_VIEW = "insights.trend.person"
    TREND_DEPARTMENT_VIEW = "insights.trend.department"
    PROCESS_HEALTH_VIEW = "insights.health.view"
    # Personal data (PIPL / GDPR): a copy of everything about a person; erasure.
    PERSONAL_DATA_EXPORT = "privacy.personal_data.export"
    PERSONAL_DATA_ERASE = "privacy.personal_data.erase"


_TEAM = frozenset({Grant.HR, Grant.SELF, Grant.DIRECT, Grant.INDIRECT})
_MANAGERS = frozenset({Grant.HR, Grant.DIRECT, Grant.INDIRECT})
_HR = frozenset({Grant.HR})
_EVERYONE = frozenset({Grant.SIGNED_IN})

RULES: Mapping[Action, frozenset[Grant]] = {
    Action.ORG_CHART_VIEW: _EVERYONE,
    Action.DEPARTMENT_VIEW: _EVERYONE,
    Action.DEPARTMENT_CREATE: _HR,
    Action.DEPARTMENT_CHANGE: _HR,
    Action.DEPARTMENT_IMPORT: _HR,
    # Listing people: everyone may list, but ``scope`` narrows the list to those the
    # user may view.
    Action.EMPLOYEE_LIST: _EVERYONE,
    Action.EMPLOYEE_VIEW: _TEAM,
    Action.EMPLOYEE_CREATE: _HR,
    Action.EMPLOYEE_CHANGE: _HR,
    Action.EMPLOYEE_IMPORT: _HR,
    Action.AUDIT_VIEW: _HR,
    Action.ADMIN_VIEW: _HR,
    # Plan: cycles and the indicator library are company-wide; HR runs them.
    Action.CYCLE_VIEW: _EVERYONE,
    Action.CYCLE_MANAGE: _HR,
    Action.INDICATOR_VIEW: _EVERYONE,
    Action.INDICATOR_MANAGE: _HR,
    Action.INDICATOR_ASSIGN: frozenset({Grant.HR, Grant.MANAGER}),
    # Goals: a person's goals are theirs and their managers'; company and department
    # goals are public. Who may change what *when* (draft, proposed, approved) is the
    # agreement state machine's business, in planning.services.
    Action.GOAL_VIEW: _TEAM | {Grant.PUBLIC},
    Action.GOAL_CREATE: _TEAM,
    Action.GOAL_CHANGE: _TEAM,
    Action.GOAL_COMMENT: _TEAM | {Grant.PUBLIC},
    Action.GOAL_IMPORT: _HR,
    Action.SHEET_VIEW: _TEAM,
    Action.SHEET_PROPOSE: _TEAM,
    Action.SHEET_APPROVE: _MANAGERS,
    Action.SHEET_RETURN: _MANAGERS,
    Action.SHEET_ACKNOWLEDGE: frozenset({Grant.SELF}),
    # Monitor: actuals follow their goal; check-ins and observations are between a
    # person and their managers; private notes and private observations are managers'.
    Action.ACTUAL_VIEW: _TEAM | {Grant.PUBLIC},
    Action.ACTUAL_ENTER: _TEAM,
    Action.ACTUAL_IMPORT: _HR,
    Action.TEAM_MONITOR: frozenset({Grant.HR, Grant.MANAGER}),
    Action.CHECKIN_VIEW: _TEAM,
    Action.CHECKIN_SCHEDULE: _MANAGERS,
    Action.CHECKIN_REQUEST: frozenset({Grant.SELF}),
    Action.CHECKIN_CONTRIBUTE: _TEAM,
    Action.CHECKIN_PRIVATE_NOTES: _MANAGERS,
    Action.OBSERVATION_CREATE: _MANAGERS | {Grant.COLLEAGUE},
    Action.OBSERVATION_MANAGE: _MANAGERS,
    Action.OBSERVATION_VIEW_PRIVATE: _MANAGERS,
    Action.OBSERVATION_VIEW_SHARED: _TEAM,
    Action.FEEDBACK_GIVE: _EVERYONE,
    Action.COURSE_VIEW: _EVERYONE,
    Action.COURSE_MANAGE: _HR,
    Action.TRAINING_VIEW: _TEAM,
    Action.TRAINING_RECOMMEND: _MANAGERS,
    Action.TRAINING_UPDATE: _TEAM,
    # Evaluate: HR assigns reviewers; a person nominates their peers and a manager
    # approves them; a form is its reviewer's alone (HR may read it, never fill it).
    Action.REVIEW_ASSIGN: _HR,
    Action.REVIEW_NOMINATE_PEERS: _TEAM,
    Action.REVIEW_APPROVE_PEERS: _MANAGERS,
    Action.REVIEW_FORM_VIEW: frozenset({Grant.AUTHOR, Grant.HR}),
    Action.REVIEW_FORM_FILL: frozenset({Grant.AUTHOR}),
    Action.REVIEW_PROGRESS: frozenset({Grant.HR, Grant.MANAGER}),
    Action.REVIEW_REMIND: frozenset({Grant.HR, Grant.MANAGER}),
    Action.REVIEW_TEMPLATE_MANAGE: _HR,
    # Scores and grades are invisible to the person before release (the calibrate
    # stage releases them); their managers and HR see them with the breakdown. A
    # manager may override a goal's score, with a written reason.
    Action.SCORE_LIST: frozenset({Grant.HR, Grant.MANAGER}),
    Action.SCORE_VIEW: _MANAGERS,
    Action.SCORE_OVERRIDE: _MANAGERS,
    Action.SCORE_COMPUTE: _HR,
    Action.RELIABILITY_VIEW: _HR,
    # Calibrate and feed back: HR runs calibration and release; calibrators (a session's
    # members) see and adjust the people in their session; a result reaches its employee
    # once released (the result then lists them as a member); appeals go to HR and to
    # whom HR routes them (the skip-level manager, a committee: the appeal's members).
    Action.CALIBRATION_SETTINGS: _HR,
    Action.DISTRIBUTION_VIEW: frozenset({Grant.HR, Grant.MANAGER}),
    Action.SESSION_MANAGE: _HR,
    Action.SESSION_VIEW: frozenset({Grant.HR, Grant.MEMBER}),
    Action.SESSION_ADJUST: frozenset({Grant.HR, Grant.MEMBER}),
    Action.SESSION_SIGN_OFF: frozenset({Grant.HR, Grant.MEMBER}),
    Action.RESULT_RELEASE: _HR,
    Action.RESULT_VIEW: _MANAGERS | {Grant.MEMBER},
    Action.RESULT_ACKNOWLEDGE: frozenset({Grant.SELF}),
    Action.RESULTS_EXPORT: _HR,
    Action.TALK_VIEW: _TEAM,
    Action.TALK_RECORD: _MANAGERS,
    Action.TALK_COMMENT: frozenset({Grant.SELF}),
    Action.APPEAL_FILE: frozenset({Grant.SELF}),
    Action.APPEAL_VIEW: frozenset({Grant.HR, Grant.SELF, Grant.MEMBER}),
    Action.APPEAL_DECIDE: frozenset({Grant.HR, Grant.MEMBER}),
    # Improvement plans: managers and HR see and run them; the employee sees their plan
    # once it is activated (the plan then lists them as a member) and acknowledges it;
    # HR proposes plans for a cycle's low grades.
    Action.PLAN_VIEW: _MANAGERS | {Grant.MEMBER},
    Action.PLAN_MANAGE: _MANAGERS,
    Action.PLAN_PROPOSE: _HR,
    Action.PLAN_ACKNOWLEDGE: frozenset({Grant.SELF}),
    # Reward: HR holds pay and runs bonus plans (create, compute, approve, export); a
    # person's bonus line is for their managers, who adjust it within the plan's band.
    # A person orders their own motivators; their managers see them; HR sees the
    # aggregate by department.
    Action.COMPENSATION_MANAGE: _HR,
    Action.BONUS_PLAN_MANAGE: _HR,
    Action.BONUS_TEAM_VIEW: frozenset({Grant.HR, Grant.MANAGER}),
    Action.BONUS_LINE_VIEW: _MANAGERS | {Grant.MEMBER},
    Action.BONUS_LINE_ADJUST: _MANAGERS,
    Action.MOTIVATION_VIEW: _TEAM,
    Action.MOTIVATION_EDIT: frozenset({Grant.SELF}),
    Action.MOTIVATION_AGGREGATE: _HR,
    # Salary review and promotion proposals: HR sets who is eligible and decides; a
    # person's managers nominate them with a justification; a manager above the
    # nominator endorses it before HR decides. The person sees a proposal once it is
    # approved (the proposal then lists them as a member).
    Action.PROPOSAL_RULES_MANAGE: _HR,
    Action.PROPOSAL_LIST: frozenset({Grant.HR, Grant.MANAGER}),
    Action.PROPOSAL_VIEW: _MANAGERS | {Grant.MEMBER},
    Action.PROPOSAL_NOMINATE: _MANAGERS,
    Action.PROPOSAL_ENDORSE: frozenset({Grant.HR, Grant.INDIRECT}),
    Action.PROPOSAL_DECIDE: _HR,
    # Close the loop: a participant answers the retrospective about their own goals;
    # HR and managers read the aggregates (above the anonymity minimum) and the target
    # analysis; HR opens the retrospective and decides on proposed next-cycle targets.
    Action.RETRO_MANAGE: _HR,
    Action.RETRO_ANSWER: frozenset({Grant.SELF}),
    Action.RETRO_RESULTS_VIEW: frozenset({Grant.HR, Grant.MANAGER}),
    Action.TARGET_ANALYSIS_VIEW: frozenset({Grant.HR, Grant.MANAGER}),
    Action.TARGET_PROPOSAL_DECIDE: _HR,
    # Trends: a person's own (released results only), their managers' and HR's; the
    # department views and process health are for HR and managers (their line).
    Action.TREND_PERSON_VIEW: _TEAM,
    Action.TREND_DEPARTMENT_VIEW: frozenset({Grant.HR, Grant.MANAGER}),
    Action.PROCESS_HEALTH_VIEW: frozenset({Grant.HR, Grant.MANAGER}),
    # Personal data: a person may download a copy of their own data (the access right);
    # HR may for anyone, and alone may erase a departed person's personal data.
    Action.PERSONAL_DATA_EXPORT: frozenset({Grant.HR, Grant.SELF}),
    Action.PERSONAL_DATA_ERASE: _HR,
}


class HasPolicySubject(Protocol):
    def policy_subject(self) -> Employee | None: ...


def is_hr(user: Any) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or getattr(user, "is_hr_admin", False))
    )


def acting_employee(user: Any) -> Employee | None:
    """The employee record of the signed-in user, if any (cached on the user object)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.employee
    except Employee.DoesNotExist:
        return None


def roles(user: Any) -> set[Role]:
    """The roles a user holds: HR admin by flag, manager by having active reports."""
    found: set[Role] = set()
    if is_hr(user):
        found.add(Role.HR_ADMIN)
    me = acting_employee(user)
    if me is not None:
        found.add(Role.EMPLOYEE)
        if Employee.objects.active().filter(manager=me).exists():
            found.add(Role.MANAGER)
    return found


def is_manager(user: Any) -> bool:
    me = acting_employee(user)
    return me is not None and Employee.objects.active().filter(manager=me).exists()


def colleagues_may_observe() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "PERFCYCLE_COLLEAGUE_OBSERVATIONS", False))


def is_public(obj: Any) -> bool:
    getter = getattr(obj, "policy_public", None)
    return bool(callable(getter) and getter())


def author_of(obj: Any) -> Employee | None:
    getter = getattr(obj, "policy_author", None)
    return getter() if callable(getter) else None


def members_of(obj: Any) -> list[Employee]:
    getter = getattr(obj, "policy_members", None)
    return list(getter()) if callable(getter) else []


def subject_of(obj: Any) -> Employee | None:
    if isinstance(obj, Employee):
        return obj
    getter = getattr(obj, "policy_subject", None)
    return getter() if callable(getter) else None


def relation(user: Any, subject: Employee | None) -> Relation:
    me = acting_employee(user)
    if me is None or subject is None:
        return Relation.STRANGER
    if me.pk == subject.pk:
        return Relation.SELF
    if subject.manager_id == me.pk:
        return Relation.DIRECT_REPORT
    if me.pk in subject.ancestor_ids:
        return Relation.INDIRECT_REPORT
    return Relation.STRANGER


_GRANT_FOR_RELATION = {
    Relation.SELF: Grant.SELF,
    Relation.DIRECT_REPORT: Grant.DIRECT,
    Relation.INDIRECT_REPORT: Grant.INDIRECT,
}


def may(user: Any, action: Action, obj: Any = None) -> bool:
    """May ``user`` do ``action`` on ``obj`` (or in general, when ``obj`` is None)?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    grants = RULES[action]
    if Grant.SIGNED_IN in grants:
        return True
    if Grant.HR in grants and is_hr(user):
        return True
    if Grant.MANAGER in grants and is_manager(user):
        return True
    if obj is None:
        return False
    if Grant.PUBLIC in grants and is_public(obj):
        return True
    if Grant.AUTHOR in grants:
        author, me = author_of(obj), acting_employee(user)
        if author is not None and me is not None and author.pk == me.pk:
            return True
    if Grant.MEMBER in grants:
        me = acting_employee(user)
        if me is not None and any(m.pk == me.pk for m in members_of(obj)):
            return True
    rel = relation(user, subject_of(obj))
    if (
        Grant.COLLEAGUE in grants
        and colleagues_may_observe()
        and rel is not Relation.SELF
        and acting_employee(user) is not None
        and subject_of(obj) is not None
    ):
        return True
    grant = _GRANT_FOR_RELATION.get(rel)
    return grant is not None and grant in grants


class AmongTeam(models.Func):
    """``column IN (subquery)``, written ``column = ANY(ARRAY(subquery))`` on PostgreSQL:
    an index condition there, where ``IN`` beside an ``OR`` becomes a filter run on
    every row."""

    output_field = models.BooleanField()

    def __init__(self, column: str, subquery: models.QuerySet) -> None:
        super().__init__(models.F(column), models.Subquery(subquery))

    def _sides(self, compiler: Any) -> tuple[str, str, list[Any]]:
        lhs, lhs_params = compiler.compile(self.source_expressions[0])
        rhs, rhs_params = compiler.compile(self.source_expressions[1])  # "(SELECT ...)"
        return lhs, rhs, [*lhs_params, *rhs_params]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        lhs, rhs, params = self._sides(compiler)
        return f"{lhs} IN {rhs}", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        lhs, rhs, params = self._sides(compiler)
        return f"{lhs} = ANY(ARRAY{rhs})", params


def scope(
    user: Any,
    action: Action,
    queryset: models.QuerySet,
    *,
    subject: str = "",
    public: models.Q | None = None,
    member: str = "",
) -> models.QuerySet:
    """Narrow ``queryset`` to the objects ``user`` may ``action``.

    ``subject`` is the lookup from the queryset's model to the subject employee,
    e.g. ``""`` for employees themselves or ``"employee__"`` for goals; ``public`` is the
    condition matching objects whose ``policy_public()`` is true; ``member`` is the lookup
    to the employees ``policy_members()`` lists (e.g. ``"calibrators"``).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    grants = RULES[action]
    if (Grant.HR in grants and is_hr(user)) or (
        Grant.SIGNED_IN in grants and action is not Action.EMPLOYEE_LIST
    ):
        return queryset
    if action is Action.EMPLOYEE_LIST:
        # Listing is allowed to all; what is listed follows the view rule.
        return scope(user, Action.EMPLOYEE_VIEW, queryset, subject=subject)
    me = acting_employee(user)
    if me is None:
        return (
            queryset.filter(public)
            if Grant.PUBLIC in grants and public is not None
            else queryset.none()
        )
    condition = models.Q(pk__in=[])
    if Grant.COLLEAGUE in grants and colleagues_may_observe():
        return queryset.exclude(**{f"{subject}pk" if subject else "pk": me.pk})
    if Grant.PUBLIC in grants and public is not None:
        condition |= public
    if Grant.MEMBER in grants and member:
        condition |= models.Q(**{member: me.pk})
    if Grant.SELF in grants:
        condition |= models.Q(**{f"{subject}pk" if subject else "pk": me.pk})
    if Grant.INDIRECT in grants or Grant.DIRECT in grants:
        # Everyone below me (direct reports are included by the prefix as well), or my
        # direct reports only.
        if Grant.INDIRECT in grants:
            below = Employee.objects.filter(path__startswith=me.path).exclude(pk=me.pk)
            if Grant.DIRECT not in grants:
                below = below.exclude(manager=me.pk)
        else:
            below = Employee.objects.filter(manager=me.pk)
        if subject:
            # The subject's id among a subquery, rather than a join from every row to its
            # subject's path: the database reads the team once (a manager's goals at
            # 100,000 people: 2 ms instead of 450). On PostgreSQL as ``= ANY(ARRAY(…))``,
            # which its indexes can answer even beside other conditions joined by OR (the
            # company's goals, one's own): counting a manager's visible goals among
            # 500,000, 113 ms -> 2 ms.
            condition |= models.Q(AmongTeam(f"{subject}pk", below.values("pk")))
        elif Grant.INDIRECT in grants:
            mine = models.Q(path__startswith=me.path) & ~models.Q(pk=me.pk)
            condition |= mine if Grant.DIRECT in grants else mine & ~models.Q(manager=me.pk)
        else:
            condition |= models.Q(manager=me.pk)
    if Grant.MEMBER in grants and member:
        # A many-to-many membership joins: keep each object once.
        return queryset.filter(pk__in=queryset.filter(condition).values("pk"))
    return queryset.filter(condition)


# The refusals of the current request: (action, object), noted where the policy refuses.
_refusals: ContextVar[list[tuple[Action, str]] | None] = ContextVar(
    "perfcycle_refusals", default=None
)


@contextmanager
def noting_refusals() -> Iterator[list[tuple[Action, str]]]:
    """Collect what ``require`` and ``get_visible_or_404`` refuse within the block."""
    noted: list[tuple[Action, str]] = []
    token = _refusals.set(noted)
    try:
        yield noted
    finally:
        _refusals.reset(token)


def _note_refusal(action: Action, obj: Any) -> None:
    noted = _refusals.get()
    if noted is not None:
        label = f"{obj._meta.label_lower}:{obj.pk}" if isinstance(obj, models.Model) else ""
        noted.append((action, label))


def require(request: Any, action: Action, obj: Any = None) -> None:
    """Refuse with 403 unless ``request.user`` may ``action`` (``obj``). Pages and the API
    both call this after reading the object with ``get_visible_or_404``."""
    if not may(request.user, action, obj):
        _note_refusal(action, obj)
        raise PermissionDenied


M = TypeVar("M", bound=models.Model)


def get_visible_or_404(user: Any, action: Action, queryset: models.QuerySet[M], **lookup: Any) -> M:
    """Fetch one object the user may ``action``; a forbidden object is "not found"."""
    try:
        obj = queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not may(user, action, obj):
        _note_refusal(action, obj)
        raise Http404
    return obj

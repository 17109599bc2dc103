"""Who may open every page and call every API operation: the permission matrix, walked
over HTTP.

Every named URL of the pages (from the resolver) and every operation of the API (method
and path, from its OpenAPI schema) is declared in ``DECLARED``: who may use it and who
may see its object (``parse`` explains a line). A page or operation missing from it fails
``test_every_endpoint_is_declared``. Each declaration is asserted for every role and,
where the address or body names an object about a person, for that person's relation to
the viewer. The company (``conftest``'s, one colleague added):

    top (CEO)
    ├── hr_person     HR admin                                 viewer "hr"
    ├── skip          the skip-level manager (Mia)             viewer "skip"
    │   └── manager   the manager (Dan)                        viewer "mgr"
    │       ├── employee   (Ivy)                               viewer "emp"
    │       └── peer       writes a peer review of the employee viewer "peer"
    └── stranger      another department

and an anonymous visitor ("anon"). The cells, ``viewer.relation`` -> whose object:

    hr.self -> hr_person        hr.other -> employee
    skip.direct -> manager      skip.indirect -> employee      skip.stranger -> stranger
    mgr.self -> manager         mgr.direct -> employee         mgr.stranger -> stranger
    emp.self -> employee        emp.stranger -> stranger
    peer.self -> peer           peer.reviewee -> employee
    anon -> employee

An allowed cell answers anything but 401/403/404 (a form with errors, a redirect, a
conflict with the cycle's phase: writes are sent with an empty or minimal body). A
refused read answers 404; a refused action 403 where the viewer may see the object and
404 where they may not. An anonymous visitor is sent to sign in (pages) or answered 401
(API). Every refusal must leave exactly one line on the ``perfcycle.access`` logger.

The company is built once per module (and worker) and rolled back after it; each request
runs in a savepoint that is rolled back, so no request sees another's writes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal as D
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

ROLES = ("hr", "skip", "mgr", "emp", "peer")
# (cell, viewer, whose object)
OBJECT_CELLS: tuple[tuple[str, str, str], ...] = (
    ("hr.self", "hr", "hr_person"),
    ("hr.other", "hr", "employee"),
    ("skip.direct", "skip", "manager"),
    ("skip.indirect", "skip", "employee"),
    ("skip.stranger", "skip", "stranger"),
    ("mgr.self", "mgr", "manager"),
    ("mgr.direct", "mgr", "employee"),
    ("mgr.stranger", "mgr", "stranger"),
    ("emp.self", "emp", "employee"),
    ("emp.stranger", "emp", "stranger"),
    ("peer.self", "peer", "peer"),
    ("peer.reviewee", "peer", "employee"),
    ("anon", "anon", "employee"),
)
# For an address about nobody in particular: one cell per role, the object fixed.
ROLE_CELLS: tuple[tuple[str, str, str], ...] = tuple(
    (role, role, "employee") for role in (*ROLES, "anon")
)

PEOPLE_OF_ROLE = {
    "hr": "hr_person",
    "skip": "skip",
    "mgr": "manager",
    "emp": "employee",
    "peer": "peer",
}


@dataclass
class World:
    """The test company and, per person, one object of each kind about them."""

    people: dict[str, Any]
    clients: dict[str, Client]
    fixed: dict[str, Any]
    # (kind, person) -> object
    owned: dict[tuple[str, str], Any] = field(default_factory=dict)
    # (kind, viewer's person, person) -> object, where it depends on who looks (review forms)
    seen_by: dict[tuple[str, str, str], Any] = field(default_factory=dict)

    def object(self, kind: str, viewer: str, person: str) -> Any:
        if kind in self.fixed:
            return self.fixed[kind]
        mine = self.seen_by.get((kind, PEOPLE_OF_ROLE.get(viewer, ""), person))
        return mine if mine is not None else self.owned[(kind, person)]


def _build_world() -> World:
    from perfcycle.accounts.services import token_create
    from perfcycle.calibration.models import Appeal, AppealAttachment, Result, SessionMember
    from perfcycle.evaluation.models import (
        ReviewForm,
        ScoreRun,
        TemplateCompetency,
        TemplateQuestion,
    )
    from perfcycle.imports.models import ImportFile
    from perfcycle.improvement.models import ImprovementPlan, PlanReview
    from perfcycle.monitoring.models import (
        ActionItem,
        CheckIn,
        Observation,
        TrainingAssignment,
    )
    from perfcycle.notifications.models import Notification
    from perfcycle.org.models import Employee
    from perfcycle.planning.models import Goal, GoalSheet, Milestone
    from perfcycle.proposals.models import Proposal
    from perfcycle.retrospective.models import TargetProposal
    from perfcycle.rewards.models import BonusLine
    from tests.factories import EmployeeFactory, UserFactory
    from tests.scale_world import _populate, build_world, make_company

    company = make_company()
    for person, login in ((company.indirect, "indirect"), (company.stranger, "stranger")):
        person.user = UserFactory(username=login, email=person.email)
        Employee.objects.filter(pk=person.pk).update(user=person.user)
    peer = EmployeeFactory(
        employee_number="C013",
        name="Pat Peer",
        manager=company.direct,
        department=company.sales,
        login="peer",
    )
    people = {
        "hr_person": company.hr_person,
        "skip": company.manager,
        "manager": company.direct,
        "employee": company.indirect,
        "peer": peer,
        "stranger": company.stranger,
    }
    scale = build_world(company)  # rows for skip, manager and employee
    _populate(scale, [peer, company.stranger, company.hr_person])
    # The sales department's calibration: the skip-level manager calibrates its people.
    scale.session.calibrators.add(company.manager)
    SessionMember.objects.filter(session=scale.session).exclude(
        result__employee__department=company.sales
    ).delete()
    cycle, current = scale.cycle, scale.current
    hr = company.hr
    owned: dict[tuple[str, str], Any] = {}
    seen_by: dict[tuple[str, str, str], Any] = {}
    for name, person in people.items():
        result = Result.objects.get(cycle=cycle, employee=person)
        goal = Goal.objects.filter(cycle=current, employee=person).order_by("pk").first()
        checkin = CheckIn.objects.get(cycle=current, employee=person)
        appeal = Appeal.objects.filter(result=result).first() or Appeal.objects.create(
            result=result, reason="Too low.", talk_held=True, due_on=cycle.end_date
        )
        plan = ImprovementPlan.objects.filter(employee=person).first()
        if plan is None:
            plan = ImprovementPlan.objects.create(
                cycle=cycle,
                employee=person,
                manager_id=person.manager_id,
                result=result,
                status="active",
                reason="Grade D",
                start_date=cycle.end_date,
                end_date=cycle.end_date + dt.timedelta(days=60),
                created_by=hr,
            )
        proposal = Proposal.objects.filter(round=scale.round, employee=person).first()
        if proposal is None:
            proposal = Proposal.objects.create(
                round=scale.round,
                employee=person,
                nominated_by_id=person.manager_id,
                justification="Strong year.",
                current_base=D(20000),
                increase_pct=D(5),
                proposed_base=D(21000),
            )
        owned.update(
            {
                ("employee", name): person,
                ("goal", name): goal,
                ("sheet", name): GoalSheet.objects.get(cycle=current, employee=person),
                ("milestone", name): Milestone.objects.create(
                    goal=goal, title="Draft plan", due_date=current.end_date
                ),
                ("checkin", name): checkin,
                ("item", name): ActionItem.objects.filter(checkin=checkin).first(),
                ("observation", name): Observation.objects.filter(employee=person).first(),
                ("training", name): TrainingAssignment.objects.filter(employee=person).first(),
                ("form", name): ReviewForm.objects.get(
                    cycle=cycle, reviewee=person, reviewer=person, source="self"
                ),
                ("nomination", name): ReviewForm.objects.create(
                    cycle=cycle,
                    reviewee=person,
                    reviewer=company.top,
                    source="peer",
                    status="nominated",
                    nominated_by=person.user,
                ),
                ("result", name): result,
                ("appeal", name): appeal,
                ("attachment", name): AppealAttachment.objects.create(
                    appeal=appeal,
                    file=ContentFile(b"evidence", name="evidence.txt"),
                    name="evidence.txt",
                    size=8,
                    content_type="text/plain",
                ),
                ("line", name): BonusLine.objects.get(plan=scale.plan, employee=person),
                ("plan", name): plan,
                ("planreview", name): PlanReview.objects.create(
                    plan=plan, scheduled_for=cycle.end_date + dt.timedelta(days=30)
                ),
                ("mgrform", name): ReviewForm.objects.get(
                    cycle=cycle, reviewee=person, reviewer_id=person.manager_id, source="manager"
                ),
                ("proposal", name): proposal,
                ("notification", name): Notification.objects.create(
                    user=person.user, kind="review_due", title="Review", url="/evaluate/"
                ),
                ("token", name): token_create(actor=person.user, user=person.user, name="CRM")[0],
            }
        )
    # The forms a viewer writes about someone: the manager's review, the peer's review.
    for form in ReviewForm.objects.filter(cycle=cycle, source__in=["manager", "peer"]).exclude(
        status="nominated"
    ):
        viewer = next((n for n, p in people.items() if p.pk == form.reviewer_id), None)
        reviewee = next((n for n, p in people.items() if p.pk == form.reviewee_id), None)
        if viewer and reviewee:
            seen_by.setdefault(("form", viewer, reviewee), form)
    seen_by[("form", "peer", "employee")] = ReviewForm.objects.create(
        cycle=cycle,
        reviewee=people["employee"],
        reviewer=peer,
        source="peer",
        status="open",
    )
    ScoreRun.objects.create(
        cycle=cycle,
        requested_by=hr,
        status="done",
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    template = cycle.template
    fixed = {
        "cycle": cycle,
        "current": current,
        "department": company.sales,
        "indicator": scale.indicator,
        "competency": scale.competency,
        "course": scale.course,
        "template": template,
        "titem": TemplateCompetency.objects.filter(template=template).first(),
        "question": TemplateQuestion.objects.create(template=template, text="What went well?"),
        "scale": cycle.grade_scale,
        "session": scale.session,
        "round": scale.round,
        "bonusplan": scale.plan,
        "target": TargetProposal.objects.filter(cycle=cycle).first(),
    }
    for kind, import_kind in (
        ("import_org", "employees"),
        ("import_goals", "goals"),
        ("import_actuals", "actuals"),
        ("import_pay", "compensation"),
    ):
        fixed[kind] = ImportFile.objects.create(
            kind=import_kind,
            filename="people.csv",
            content=b"a,b\n",
            sha256="0" * 64,
            uploaded_by=hr,
            report={"cycle_id": current.pk, "rows": 0, "errors": []},
        )
    clients = {"anon": Client()}
    for role, name in PEOPLE_OF_ROLE.items():
        clients[role] = Client()
        clients[role].force_login(people[name].user)
    return World(people=people, clients=clients, fixed=fixed, owned=owned, seen_by=seen_by)


# What each address parameter (or body field) names, by its name; ``pk`` and the names
# used for two kinds are given in the declaration.
PARAM_KINDS = {
    "cycle_pk": "cycle",
    "cycle_id": "cycle",
    "employee_pk": "employee",
    "employee_id": "employee",
    "goal_pk": "goal",
    "goal_id": "goal",
    "result_pk": "result",
    "result_id": "result",
    "round_id": "round",
    "department_id": "department",
    "item_pk": "titem",
    "question_pk": "question",
    "question_id": "question",
    "form_pk": "form",
    "form_id": "form",
    "review_id": "form",
    "sheet_id": "sheet",
    "milestone_id": "milestone",
    "checkin_id": "checkin",
    "competency_id": "competency",
    "observation_id": "observation",
    "course_id": "course",
    "assignment_id": "training",
    "scale_id": "scale",
    "template_id": "template",
    "indicator_id": "indicator",
    "session_id": "session",
    "appeal_id": "appeal",
    "line_id": "line",
    "notification_id": "notification",
}
# Kinds about nobody in particular: the same object for every viewer.
FIXED_KINDS = frozenset(
    {
        *("cycle", "current", "department", "indicator", "competency", "course"),
        *("template", "titem", "question", "scale", "session", "round", "bonusplan"),
        *("target", "import_org", "import_goals", "import_actuals", "import_pay"),
    }
)


@dataclass(frozen=True)
class Endpoint:
    key: str  # "org:employee" or "GET /api/v1/employees/{employee_id}"
    method: str
    route: str  # the URL name, or the API path with {params}
    params: tuple[str, ...]  # address parameters
    api: bool
    query: tuple[str, ...] = ()  # required query parameters
    body: Any = None  # the API's smallest body the schema accepts, if it takes one
    multipart: bool = False


def page_endpoints() -> dict[str, Endpoint]:
    """Every named page URL (the API's own patterns aside) with its address parameters."""
    found: dict[str, Endpoint] = {}

    def walk(resolver: URLResolver, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace or ""
                if inner == "api":
                    continue
                walk(entry, f"{namespace}:{inner}".strip(":") if inner else namespace)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
                params = tuple(getattr(entry.pattern, "converters", {}))
                found[name] = Endpoint(name, "GET", name, params, api=False)

    walk(get_resolver(), "")
    return found


def api_operations() -> dict[str, Endpoint]:
    """Every API operation (method and path) from the OpenAPI schema."""
    from perfcycle.api.urls import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    components = schema.get("components", {}).get("schemas", {})
    found: dict[str, Endpoint] = {}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            parameters = operation.get("parameters", [])
            params = tuple(p["name"] for p in parameters if p.get("in") == "path")
            query = tuple(
                p["name"] for p in parameters if p.get("in") == "query" and p.get("required")
            )
            content = (operation.get("requestBody") or {}).get("content", {})
            body, multipart = None, False
            if "application/json" in content:
                body = _example(content["application/json"]["schema"], components)
            elif "multipart/form-data" in content:
                body = _example(content["multipart/form-data"]["schema"], components)
                multipart = True
            key = f"{method.upper()} {path}"
            found[key] = Endpoint(key, method.upper(), path, params, True, query, body, multipart)
    return found


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The smallest value the schema accepts (required fields only)."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _example(options[0], components)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = [name for name in schema.get("required", []) if name in props]
        return {name: _example(props[name], components) for name in required}
    if kind == "array":
        return [_example(schema.get("items", {}), components)] * schema.get("minItems", 0)
    if kind == "string":
        fmt = schema.get("format", "")
        if fmt == "binary":
            return b"code,name\n"
        return {"date": "2026-02-15", "date-time": "2026-02-15T12:00:00Z"}.get(
            fmt, "x" * max(1, schema.get("minLength", 1))
        )
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    return None


def endpoints() -> dict[str, Endpoint]:
    return {**page_endpoints(), **api_operations()}


# The declaration ----------------------------------------------------------------------

# Who is allowed, as cells. A role's name stands for all its cells; "self" and the
# others name the cells where the viewer stands so to the person the object is about.
PATTERNS: dict[str, str] = {
    "nobody": "",
    "public": "hr skip mgr emp peer anon",
    "everyone": "hr skip mgr emp peer",
    "hr": "hr",
    # HR and anyone with reports (the policy's MANAGER grant).
    "managers": "hr skip mgr",
    "self": "hr.self mgr.self emp.self peer.self",
    # The person's direct manager; a manager higher up.
    "direct": "skip.direct mgr.direct",
    "indirect": "skip.indirect",
    # HR and the person's managers, direct and higher up (the policy's _MANAGERS).
    "above": "hr skip.direct skip.indirect mgr.direct",
    # ... and the person themselves (the policy's _TEAM).
    "team": "above self",
    # Calibration: HR and the session's calibrator (the skip-level manager).
    "calibrators": "hr skip",
    # Review forms: the cells where the viewer writes the form (their self-review, the
    # manager's review of a direct report, the peer's review).
    "author": "self skip.direct mgr.direct peer.reviewee",
}


def cells_of(expression: str, cells: tuple[str, ...]) -> frozenset[str]:
    """``"team|peer.reviewee~hr.self"``: the union of the named patterns or cells, less
    those after ``~``; among ``cells`` (a role name matches every cell of the role)."""
    wanted, _, unwanted = expression.partition("~")

    def expand(text: str, seen: frozenset[str] = frozenset()) -> set[str]:
        names: set[str] = set()
        for token in text.replace("|", " ").split():
            if token in PATTERNS and token not in seen:
                names |= expand(PATTERNS[token], seen | {token})
            else:
                names.add(token)
        return names

    def matching(names: set[str]) -> set[str]:
        known = set(cells) | {c.split(".")[0] for c in cells}
        unknown = {n for n in names if n not in known and n.split(".")[0] not in known}
        assert not unknown, f"unknown cells in {expression!r}: {unknown}"
        return {c for c in cells if c in names or c.split(".")[0] in names}

    return frozenset(matching(expand(wanted)) - matching(expand(unwanted)))


@dataclass(frozen=True)
class Rule:
    text: str
    endpoint: Endpoint
    method: str
    kinds: tuple[tuple[str, str], ...]  # address or query parameter -> kind
    literals: tuple[tuple[str, str], ...]  # address parameter -> value
    fields: tuple[tuple[str, str, Any], ...]  # body field, "kind" or "value", which
    allow: str
    visible: str
    hidden: int

    @property
    def id(self) -> str:
        extra = ",".join(f"{k}:{v}" for k, v in self.literals)
        return f"{self.endpoint.key}[{extra}]" if extra else self.endpoint.key

    def kind_of(self, name: str) -> str:
        return dict(self.kinds).get(name) or PARAM_KINDS[name]

    def about_a_person(self) -> bool:
        """Does the address or body name an object about a person (then every relation
        is tried), or only company-wide things (then every role)?"""
        literal = dict(self.literals)
        names = [p for p in self.endpoint.params if p not in literal] + list(self.endpoint.query)
        kinds = [self.kind_of(p) for p in names]
        kinds += [what for _, how, what in self.fields if how == "kind"]
        body = self.endpoint.body if isinstance(self.endpoint.body, dict) else {}
        kinds += [PARAM_KINDS[f] for f in body if f in PARAM_KINDS]
        kinds += [ID_LISTS[f] for f in body if f in ID_LISTS]
        return any(kind not in FIXED_KINDS for kind in kinds)

    @property
    def cells(self) -> tuple[tuple[str, str, str], ...]:
        return OBJECT_CELLS if self.about_a_person() else ROLE_CELLS

    def expected(self, cell: str) -> str:
        """``"ok"``, or the answer of a refusal: ``"403"``, ``"404"``, ``"401"``, ``"login"``."""
        names = tuple(c for c, _, _ in self.cells)
        if cell in cells_of(self.allow, names):
            return "ok"
        if cell == "anon":
            return "401" if self.endpoint.api else "login"
        if cell in cells_of(self.visible, names):
            return "403"
        return str(self.hidden)


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def parse(declared: str, known: dict[str, Endpoint]) -> list[Rule]:
    """Read ``DECLARED``: one rule a line,

        [METHOD] <URL name or API path> [param=kind | param:value | +field=kind |
                 +field:value | hidden=NNN ...] <allowed> [<may see it>]

    ``param=kind`` says which object fills an address parameter (``pk=goal``);
    ``param:value`` gives it a fixed value (``step:approve``); ``+field`` sets a body or
    form field to an object of the cell (``=kind``) or a value (``:value``, JSON if it
    parses). ``<allowed>`` and ``<may see it>`` are ``PATTERNS`` or cells joined by
    ``|`` (less those after ``~``). Those who may see the object but not act are refused
    with 403, the others with 404 (``hidden=422`` for a person named in a request body:
    an unknown value). Without ``<may see it>``: a rule about a person's object refuses
    with 404 (a read), any other with 403.
    """
    rules: list[Rule] = []
    for raw in declared.splitlines():
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        tokens = text.split()
        method = tokens.pop(0) if tokens[0] in METHODS else "GET"
        route = tokens.pop(0)
        key = f"{method} {route}" if route.startswith("/") else route
        assert key in known, f"declared but not an endpoint: {key}"
        kinds: list[tuple[str, str]] = []
        literals: list[tuple[str, str]] = []
        fields: list[tuple[str, str, Any]] = []
        who: list[str] = []
        hidden = 404
        for token in tokens:
            if token.startswith("hidden="):
                hidden = int(token.split("=", 1)[1])
            elif token.startswith("+"):
                name, sep, what = token[1:].partition("=")
                if not sep:
                    name, _, what = token[1:].partition(":")
                fields.append((name, "kind" if sep else "value", what))
            elif "=" in token:
                name, _, what = token.partition("=")
                kinds.append((name, what))
            elif ":" in token:
                name, _, what = token.partition(":")
                literals.append((name, what))
            else:
                who.append(token)
        assert 1 <= len(who) <= 2, f"say who is allowed (and who may see it): {raw!r}"
        rule = Rule(
            text=text,
            endpoint=known[key],
            method=method,
            kinds=tuple(kinds),
            literals=tuple(literals),
            fields=tuple(fields),
            allow=who[0],
            visible=who[1] if len(who) > 1 else "",
            hidden=hidden,
        )
        if not rule.visible:
            default = rule.allow if rule.about_a_person() else "everyone"
            rule = replace(rule, visible=default)
        for cell, _, _ in rule.cells:
            rule.expected(cell)  # the patterns name known cells
        rules.append(rule)
    return rules


# Running one request ------------------------------------------------------------------

ID_LISTS = {"employee_ids": "employee", "goal_ids": "goal", "calibrator_ids": "employee"}


def _literal(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def request(world: World, rule: Rule, viewer: str, person: str) -> tuple[int, str]:
    """Make the request as ``viewer`` about ``person``'s objects; roll back what it wrote.
    Answers the status and where a redirect goes."""
    endpoint = rule.endpoint

    def pk(kind: str) -> int:
        return world.object(kind, viewer, person).pk

    values: dict[str, Any] = dict(rule.literals)
    for name in endpoint.params:
        if name not in values:
            values[name] = pk(rule.kind_of(name))
    query = {name: pk(rule.kind_of(name)) for name in endpoint.query}
    body: dict[str, Any] = dict(endpoint.body) if isinstance(endpoint.body, dict) else {}
    for name in body:
        if name in PARAM_KINDS:
            body[name] = pk(PARAM_KINDS[name])
        elif name in ID_LISTS:
            body[name] = [pk(ID_LISTS[name])]
    for name, how, what in rule.fields:
        body[name] = pk(what) if how == "kind" else _literal(what)
    if endpoint.api:
        url = endpoint.route.format(**values)
    else:
        url = reverse(endpoint.route, kwargs=values)
    if query:
        url += "?" + urlencode(query)
    client = world.clients[viewer]
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    with transaction.atomic():
        if endpoint.multipart:
            files = {
                k: ContentFile(v, name="upload.csv") if isinstance(v, bytes) else v
                for k, v in body.items()
            }
            response = client.post(url, files)
        elif endpoint.api and endpoint.body is not None:
            response = client.generic(
                rule.method, url, data=json.dumps(body), content_type="application/json"
            )
        elif rule.method == "GET":
            response = client.get(url)
        else:
            response = client.generic(
                rule.method,
                url,
                data=urlencode(body, doseq=True),
                content_type="application/x-www-form-urlencoded",
            )
        transaction.set_rollback(True)
    # A sign-out or a new session must not carry over to the next request.
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies[name] = value
    return response.status_code, response.get("Location", "")


# Every page and API operation, who may use it. ------------------------------------------
DECLARED = """
# Pages ===================================================================================
# Signing in and one's own account.
login                                                   public     # signed in: sent home
POST logout                                             public
POST language                                           public
accounts:preferences                                    everyone
accounts:password                                       everyone
accounts:tokens                                         everyone
POST accounts:token_revoke pk=token                     self       # one's own tokens only
home                                                    everyone
notifications:inbox                                     everyone
POST notifications:read pk=notification                 self
POST notifications:open pk=notification                 self
POST notifications:read_all                             everyone
POST notifications:remind_reviewers cycle_pk=cycle      managers
privacy:mine                                            everyone
privacy:mine_download                                   everyone
privacy:export pk=employee                              hr|self    team
privacy:erase pk=employee                               hr         team
audit:list                                              hr         hr   # absent to others

# Organisation: the chart and departments are company-wide; people follow the policy.
org:chart                                               everyone
org:department pk=department                            everyone
org:department_create                                   hr
org:department_edit pk=department                       hr
org:employees                                           everyone   # lists whom one may see
org:employee pk=employee                                team
org:employee_create                                     hr
org:employee_edit pk=employee                           hr         team
org:employee_login pk=employee                          hr         team
org:import                                              hr
org:import_preview pk=import_org                        hr         hr   # an upload is its uploader's

# Cycles.
cycles:list                                             everyone
cycles:detail pk=cycle                                  everyone
cycles:create                                           hr
cycles:edit pk=cycle                                    hr
cycles:participants pk=cycle                            hr
POST cycles:transition pk=cycle                         hr

# 1 Plan.
planning:home                                           everyone
planning:team                                           everyone   # one's own team, if any
planning:alignment                                      everyone
planning:person pk=employee                             team
planning:goal_create                                    everyone   # for oneself, or whom one may
planning:goal pk=goal                                   team
planning:goal_edit pk=goal                              team
planning:goal_delete pk=goal                            team
POST planning:goal_done pk=goal                         team
POST planning:milestone_add pk=goal                     team
POST planning:key_result_add pk=goal                    team
POST planning:comment_add pk=goal                       team
POST planning:milestone_done pk=milestone               team
POST planning:sheet_step pk=sheet step:propose          team
POST planning:sheet_step pk=sheet step:approve          above      team
POST planning:sheet_step pk=sheet step:return           above      team
POST planning:sheet_step pk=sheet step:acknowledge      self       team
planning:indicators                                     everyone
planning:indicator_create                               hr
planning:indicator_edit pk=indicator                    hr
planning:indicator_assign pk=indicator                  managers
planning:import                                         hr
planning:import_preview pk=import_goals                 hr

# 2 Monitor. The pages that pick a person (schedule a check-in, log an observation,
# recommend a course) offer only those the viewer may act for: a person outside the list
# is a form error. They are checked through the API below.
monitoring:home                                         everyone
monitoring:team                                         managers
monitoring:person pk=employee                           team
monitoring:goal pk=goal                                 team
POST monitoring:actual_enter pk=goal                    team
monitoring:import                                       hr
monitoring:import_preview pk=import_actuals             hr
monitoring:checkins                                     everyone
monitoring:checkin_schedule                             everyone
monitoring:checkin_request                              everyone
monitoring:checkin pk=checkin                           team
POST monitoring:checkin_agenda pk=checkin               team
POST monitoring:checkin_notes pk=checkin                team
POST monitoring:checkin_goal pk=checkin                 team
POST monitoring:checkin_item pk=checkin                 team
POST monitoring:checkin_confirm pk=checkin              above      team
POST monitoring:checkin_held pk=checkin                 above      team
POST monitoring:checkin_cancel pk=checkin               team
POST monitoring:item_done pk=item                       team
monitoring:observations                                 everyone
monitoring:observation_create                           everyone
monitoring:observation pk=observation                   team       # shared ones; private: above
POST monitoring:observation_share pk=observation        above      team
monitoring:competencies                                 everyone
monitoring:competency_edit pk=competency                hr
monitoring:feedback                                     everyone
monitoring:feedback_person pk=employee                  everyone   # feedback to anyone
monitoring:training                                     everyone
POST monitoring:training_recommend                      everyone
POST monitoring:training_status pk=training             team
monitoring:courses                                      everyone
monitoring:course_create                                hr
monitoring:course_edit pk=course                        hr

# 3 Evaluate. A form is its reviewer's: HR reads every form and fills none but its own.
evaluation:home                                         everyone
evaluation:my_reviews                                   everyone
evaluation:form pk=form                                 hr|author
POST evaluation:form_save pk=form                       author     hr|author
POST evaluation:form_submit pk=form                     author     hr|author
evaluation:peer_summary                                 above      # scores: not before release
evaluation:breakdown                                    above
evaluation:templates                                    hr
evaluation:template pk=template                         hr
POST evaluation:template_competency_add pk=template     hr
POST evaluation:template_weights pk=template            hr
evaluation:template_anchors pk=template                 hr
POST evaluation:template_competency_remove pk=template  hr
POST evaluation:template_question_add pk=template       hr
evaluation:template_question pk=template                hr
POST evaluation:template_question_remove pk=template    hr
evaluation:grade_scales                                 hr
evaluation:grade_scale pk=scale                         hr
evaluation:assignment                                   hr
POST evaluation:assignment_add                          hr
POST evaluation:assignment_remove                       hr         everyone  # HR's page first
evaluation:peers                                        everyone
POST evaluation:peers_approve form_pk=nomination        above      team
POST evaluation:peers_decline form_pk=nomination        above      team
evaluation:progress                                     managers
evaluation:reliability                                  hr         hr
evaluation:normalisation                                hr         hr
evaluation:scores                                       managers
POST evaluation:scores_store                            hr
POST evaluation:score_override                          above

# 4 Calibrate and feed back. The session calibrates the sales department; its calibrator
# is the skip-level manager. A result is its employee's once released.
calibration:home                                        everyone
calibration:my_result                                   team
calibration:talk                                        team
POST calibration:acknowledge                            self       team
calibration:settings                                    hr
calibration:distribution                                managers
POST calibration:results_prepare                        hr
calibration:sessions                                    calibrators calibrators
calibration:session pk=session                          calibrators calibrators
calibration:session_ninebox pk=session                  calibrators calibrators
POST calibration:session_adjust pk=session +result=result     hr.other|skip.direct|skip.indirect
POST calibration:session_potential pk=session +result=result  hr.other|skip.direct|skip.indirect
POST calibration:session_lock pk=session                hr         calibrators
POST calibration:session_unlock pk=session              hr         calibrators
POST calibration:session_sign_off pk=session            calibrators calibrators
calibration:release                                     hr
calibration:export                                      hr
calibration:report                                      team
calibration:report_pdf                                  team
calibration:appeal_file                                 self       team
calibration:appeals                                     everyone
calibration:appeal pk=appeal                            hr|self
POST calibration:appeal_route pk=appeal                 hr         hr|self
POST calibration:appeal_decide pk=appeal                hr         hr|self
calibration:appeal_attachment pk=attachment             hr|self

# 5 Reward.
rewards:home                                            everyone
rewards:plans                                           hr
rewards:plan pk=bonusplan                               managers
rewards:plan_edit pk=bonusplan                          hr
POST rewards:plan_compute pk=bonusplan                  hr
POST rewards:plan_approve pk=bonusplan                  hr
rewards:plan_export pk=bonusplan                        hr
POST rewards:line_adjust pk=line                        above
rewards:motivation                                      everyone
rewards:motivation_departments                          hr
rewards:pay                                             hr
rewards:pay_edit pk=employee                            hr         everyone  # HR's page first
rewards:pay_import                                      hr
rewards:pay_import_preview pk=import_pay                hr
proposals:rounds                                        everyone
proposals:round                                         managers   managers
proposals:round_edit                                    hr         managers
proposals:nominate                                      above      above|mgr.self
proposals:proposal proposal_id=proposal                 above
POST proposals:proposal_action proposal_id=proposal action:endorse   hr|indirect  above
POST proposals:proposal_action proposal_id=proposal action:return    hr|indirect  above
POST proposals:proposal_action proposal_id=proposal action:approve   hr           above
POST proposals:proposal_action proposal_id=proposal action:reject    hr           above
# The nominator's own steps: the person's direct manager nominated them.
POST proposals:proposal_action proposal_id=proposal action:withdraw  direct       above
POST proposals:proposal_action proposal_id=proposal action:resubmit  hr|direct    above
POST proposals:proposal_action proposal_id=proposal action:edit      above  # form first

# 6 Improve.
improvement:home                                        everyone
improvement:plan_new                                    managers   # people in their line
POST improvement:propose                                hr
POST improvement:settings                               hr
improvement:plan plan_id=plan                           team       # the employee's once active
improvement:plan_edit plan_id=plan                      above      team
POST improvement:plan_action plan_id=plan name:goal         above  team
POST improvement:plan_action plan_id=plan name:support      above  team
POST improvement:plan_action plan_id=plan name:training     above  team
POST improvement:plan_action plan_id=plan name:review       above  team
POST improvement:plan_action plan_id=plan name:log          above  team
POST improvement:plan_action plan_id=plan name:close        above  team
POST improvement:plan_action plan_id=plan name:carry        above  team
POST improvement:plan_action plan_id=plan name:activate     above  team
POST improvement:plan_action plan_id=plan name:acknowledge  self   team
retrospective:home                                      everyone
POST retrospective:open                                 hr
retrospective:answer                                    everyone   # participants, about themselves
retrospective:results                                   managers
retrospective:targets                                   managers
POST retrospective:generate                             hr
POST retrospective:decide proposal_id=target verb:approve   hr
POST retrospective:decide proposal_id=target verb:reject    hr
retrospective:rollover                                  hr
POST retrospective:close                                hr
insights:home                                           everyone
insights:person                                         team
insights:department                                     managers   managers
insights:health                                         managers   managers

# API =====================================================================================
# A person named in a request body whom the caller may not see is an unknown value (422),
# as if they did not exist.
GET /api/v1/departments                                 everyone
POST /api/v1/departments                                hr
POST /api/v1/departments/import                         hr
GET /api/v1/departments/{department_id}                 everyone
PATCH /api/v1/departments/{department_id}               hr
GET /api/v1/employees                                   everyone
POST /api/v1/employees                                  hr
POST /api/v1/employees/import                           hr
GET /api/v1/employees/{employee_id}                     team
PATCH /api/v1/employees/{employee_id}                   hr         team
GET /api/v1/employees/{employee_id}/personal-data       hr|self    team
POST /api/v1/employees/{employee_id}/erase              hr         team

GET /api/v1/cycles                                      everyone
POST /api/v1/cycles                                     hr
GET /api/v1/cycles/{cycle_id}                           everyone
PATCH /api/v1/cycles/{cycle_id}                         hr
POST /api/v1/cycles/{cycle_id}/transition               hr
GET /api/v1/cycles/{cycle_id}/participants              everyone   # whom one may see
PUT /api/v1/cycles/{cycle_id}/participants              hr
GET /api/v1/grade-scales                                everyone
POST /api/v1/grade-scales                               hr
GET /api/v1/grade-scales/{scale_id}                     everyone
GET /api/v1/review-templates                            everyone
POST /api/v1/review-templates                           hr
GET /api/v1/review-templates/{template_id}              everyone

# 1 Plan.
POST /api/v1/scoring/preview                            everyone
GET /api/v1/indicators                                  everyone
POST /api/v1/indicators                                 hr
GET /api/v1/indicators/{indicator_id}                   everyone
PATCH /api/v1/indicators/{indicator_id}                 hr
POST /api/v1/indicators/{indicator_id}/assign           managers
GET /api/v1/goals                                       everyone   # whose one may see
POST /api/v1/goals +owner_type:employee +employee_id=employee +cycle_id=current  team  hidden=422
GET /api/v1/goals/{goal_id}                             team
PATCH /api/v1/goals/{goal_id}                           team
DELETE /api/v1/goals/{goal_id}                          team
POST /api/v1/goals/{goal_id}/preview                    team
POST /api/v1/goals/{goal_id}/done                       team
GET /api/v1/goals/{goal_id}/comments                    team
POST /api/v1/goals/{goal_id}/comments                   team
POST /api/v1/goals/{goal_id}/key-results                team
POST /api/v1/goals/{goal_id}/milestones                 team
POST /api/v1/milestones/{milestone_id}/done             team
GET /api/v1/cycles/{cycle_id}/sheets                    everyone
GET /api/v1/sheets/{sheet_id}                           team
POST /api/v1/sheets/{sheet_id}/propose                  team
POST /api/v1/sheets/{sheet_id}/approve                  above      team
POST /api/v1/sheets/{sheet_id}/return                   above      team
POST /api/v1/sheets/{sheet_id}/acknowledge              self       team
PUT /api/v1/sheets/{sheet_id}/weights                   team
POST /api/v1/cycles/{cycle_id}/goals/import             hr

# 2 Monitor.
GET /api/v1/checkins                                    everyone
POST /api/v1/checkins                                   above      team  hidden=422
POST /api/v1/checkins/request                           everyone   # with one's own manager
GET /api/v1/checkins/{checkin_id}                       team
POST /api/v1/checkins/{checkin_id}/confirm              above~hr.self  team  # not one's own
POST /api/v1/checkins/{checkin_id}/held                 above      team
POST /api/v1/checkins/{checkin_id}/cancel               team
PATCH /api/v1/checkins/{checkin_id}/notes               team
POST /api/v1/checkins/{checkin_id}/agenda               team
PUT /api/v1/checkins/{checkin_id}/goals/{goal_id}       team
POST /api/v1/checkins/{checkin_id}/action-items         team
GET /api/v1/action-items                                everyone
POST /api/v1/action-items/{item_id}/done item_id=item   team
GET /api/v1/competencies                                everyone
POST /api/v1/competencies                               hr
PATCH /api/v1/competencies/{competency_id}              hr
GET /api/v1/observations                                everyone
POST /api/v1/observations                               above      team  hidden=422
GET /api/v1/observations/{observation_id}               team
PATCH /api/v1/observations/{observation_id}             above      team
GET /api/v1/observations/{observation_id}/suggested-courses  team
GET /api/v1/cycles/{cycle_id}/employees/{employee_id}/observations  team
GET /api/v1/feedback                                    everyone
POST /api/v1/feedback                                   everyone
GET /api/v1/feedback/wall                               everyone
GET /api/v1/courses                                     everyone
POST /api/v1/courses                                    hr
PATCH /api/v1/courses/{course_id}                       hr
GET /api/v1/training                                    everyone
POST /api/v1/training                                   above      team  hidden=422
POST /api/v1/training/{assignment_id}/status            team
GET /api/v1/goals/{goal_id}/actuals                     team
POST /api/v1/goals/{goal_id}/actuals                    team
POST /api/v1/actuals/batch                              hr
POST /api/v1/cycles/{cycle_id}/actuals/import           hr
GET /api/v1/cycles/{cycle_id}/pace                      managers

# 3 Evaluate.
GET /api/v1/templates                                   everyone
POST /api/v1/templates                                  hr
GET /api/v1/templates/{template_id}                     everyone
PATCH /api/v1/templates/{template_id}                   hr
POST /api/v1/templates/{template_id}/competencies       hr
PATCH /api/v1/templates/{template_id}/competencies/{item_id} item_id=titem            hr
DELETE /api/v1/templates/{template_id}/competencies/{item_id} item_id=titem           hr
PUT /api/v1/templates/{template_id}/competencies/{item_id}/anchors item_id=titem      hr
POST /api/v1/templates/{template_id}/questions          hr
PATCH /api/v1/templates/{template_id}/questions/{question_id}  hr
DELETE /api/v1/templates/{template_id}/questions/{question_id} hr
POST /api/v1/cycles/{cycle_id}/assignment               hr
GET /api/v1/cycles/{cycle_id}/review-forms              hr
POST /api/v1/cycles/{cycle_id}/review-forms             hr
DELETE /api/v1/review-forms/{form_id}                   hr         hr|author
POST /api/v1/cycles/{cycle_id}/peers/nominations +reviewee_id=employee  team
POST /api/v1/review-forms/{form_id}/approve form_id=nomination  above  team
POST /api/v1/review-forms/{form_id}/decline form_id=nomination  above  team
GET /api/v1/reviews                                     everyone   # one's own forms
GET /api/v1/reviews/{review_id}                         hr|author
PUT /api/v1/reviews/{review_id}                         author     hr|author
POST /api/v1/reviews/{review_id}/submit                 author     hr|author
GET /api/v1/reviews/{review_id}/evidence review_id=mgrform  hr|direct  # the manager's form
GET /api/v1/cycles/{cycle_id}/people/{employee_id}/peer-summary  above
GET /api/v1/cycles/{cycle_id}/review-progress           managers
POST /api/v1/cycles/{cycle_id}/review-reminders         managers
GET /api/v1/cycles/{cycle_id}/reliability               hr
GET /api/v1/cycles/{cycle_id}/normalisation             hr
PUT /api/v1/cycles/{cycle_id}/normalisation             hr
GET /api/v1/cycles/{cycle_id}/scores                    managers
GET /api/v1/cycles/{cycle_id}/people/{employee_id}/score  above
POST /api/v1/cycles/{cycle_id}/scores/store             hr
GET /api/v1/cycles/{cycle_id}/score-results             managers
GET /api/v1/cycles/{cycle_id}/score-runs/latest         hr
PUT /api/v1/goals/{goal_id}/score-override              above
POST /api/v1/goals/{goal_id}/score-override/clear       above

# 4 Calibrate and feed back.
GET /api/v1/cycles/{cycle_id}/calibration-settings      hr
PUT /api/v1/cycles/{cycle_id}/calibration-settings      hr
GET /api/v1/cycles/{cycle_id}/distribution              managers
POST /api/v1/cycles/{cycle_id}/results/prepare          hr
GET /api/v1/cycles/{cycle_id}/calibration-sessions      everyone   # the ones one calibrates
POST /api/v1/cycles/{cycle_id}/calibration-sessions     hr         everyone
GET /api/v1/calibration-sessions/{session_id}           calibrators calibrators
POST /api/v1/calibration-sessions/{session_id}/adjustments  hr.other|skip.direct|skip.indirect
POST /api/v1/calibration-sessions/{session_id}/potential    hr.other|skip.direct|skip.indirect
POST /api/v1/calibration-sessions/{session_id}/lock     hr         calibrators
POST /api/v1/calibration-sessions/{session_id}/unlock   hr         calibrators
POST /api/v1/calibration-sessions/{session_id}/sign-off calibrators calibrators
GET /api/v1/calibration-sessions/{session_id}/ninebox   calibrators calibrators
POST /api/v1/cycles/{cycle_id}/release                  hr
GET /api/v1/cycles/{cycle_id}/results.xlsx              hr
GET /api/v1/results/{result_id}/report.pdf              team
GET /api/v1/results                                     everyone
GET /api/v1/results/{result_id}                         team
PUT /api/v1/results/{result_id}/talk                    above      team
PUT /api/v1/results/{result_id}/talk/comments           self       team
POST /api/v1/results/{result_id}/acknowledge            self       team
POST /api/v1/results/{result_id}/appeals                self       team
GET /api/v1/appeals                                     everyone
GET /api/v1/appeals/{appeal_id}                         hr|self
POST /api/v1/appeals/{appeal_id}/route                  hr         hr|self
POST /api/v1/appeals/{appeal_id}/decide                 hr         hr|self

# 5 Reward.
GET /api/v1/cycles/{cycle_id}/bonus-plans               hr
POST /api/v1/cycles/{cycle_id}/bonus-plans              hr
GET /api/v1/bonus-plans/{plan_id} plan_id=bonusplan     hr
PATCH /api/v1/bonus-plans/{plan_id} plan_id=bonusplan   hr
POST /api/v1/bonus-plans/{plan_id}/compute plan_id=bonusplan  hr
GET /api/v1/bonus-plans/{plan_id}/lines plan_id=bonusplan     managers
POST /api/v1/bonus-plans/{plan_id}/approve plan_id=bonusplan  hr
GET /api/v1/bonus-plans/{plan_id}/export.xlsx plan_id=bonusplan  hr
GET /api/v1/me/bonus-lines                              everyone
POST /api/v1/bonus-lines/{line_id}/adjust               above
GET /api/v1/compensation                                hr
POST /api/v1/compensation/import                        hr
GET /api/v1/employees/{employee_id}/compensation        hr         team
PUT /api/v1/employees/{employee_id}/compensation        hr         team
GET /api/v1/me/motivation                               everyone
PUT /api/v1/me/motivation                               everyone
GET /api/v1/employees/{employee_id}/motivation          team
GET /api/v1/motivation/team                             everyone
GET /api/v1/departments/{department_id}/motivation      hr
GET /api/v1/proposal-rounds                             everyone   # the open ones, for managers
POST /api/v1/proposal-rounds                            hr
GET /api/v1/proposal-rounds/{round_id}                  managers   managers
PATCH /api/v1/proposal-rounds/{round_id}                hr         managers
GET /api/v1/proposal-rounds/{round_id}/eligible         managers   managers
GET /api/v1/proposal-rounds/{round_id}/proposals        managers   managers
POST /api/v1/proposal-rounds/{round_id}/proposals       above      above|mgr.self
GET /api/v1/proposals/{proposal_id} proposal_id=proposal             above
PATCH /api/v1/proposals/{proposal_id} proposal_id=proposal           hr|direct     above
POST /api/v1/proposals/{proposal_id}/{step} proposal_id=proposal step:endorse   hr|indirect  above
POST /api/v1/proposals/{proposal_id}/{step} proposal_id=proposal step:return    hr|indirect  above
POST /api/v1/proposals/{proposal_id}/{step} proposal_id=proposal step:approve   hr           above
POST /api/v1/proposals/{proposal_id}/{step} proposal_id=proposal step:reject    hr           above
POST /api/v1/proposals/{proposal_id}/{step} proposal_id=proposal step:withdraw  direct       above
POST /api/v1/proposals/{proposal_id}/{step} proposal_id=proposal step:resubmit  hr|direct    above

# 6 Improve.
GET /api/v1/improvement-plans                           everyone
POST /api/v1/improvement-plans                          above      team  hidden=422
GET /api/v1/improvement-plans/{plan_id} plan_id=plan    team
PATCH /api/v1/improvement-plans/{plan_id} plan_id=plan  above      team
GET /api/v1/cycles/{cycle_id}/improvement-settings      hr
PUT /api/v1/cycles/{cycle_id}/improvement-settings      hr
POST /api/v1/cycles/{cycle_id}/improvement-plans/propose  hr
POST /api/v1/improvement-plans/{plan_id}/activate plan_id=plan     above  team
POST /api/v1/improvement-plans/{plan_id}/acknowledge plan_id=plan  self   team
POST /api/v1/improvement-plans/{plan_id}/reviews plan_id=plan +review_id=planreview  above  team
POST /api/v1/improvement-plans/{plan_id}/close plan_id=plan        above  team
POST /api/v1/improvement-plans/{plan_id}/carry plan_id=plan        above  team
GET /api/v1/cycles/{cycle_id}/retrospective             everyone
POST /api/v1/cycles/{cycle_id}/retrospective/open       hr
POST /api/v1/cycles/{cycle_id}/close                    hr
POST /api/v1/cycles/{cycle_id}/retrospective/answers    everyone   # about oneself
GET /api/v1/cycles/{cycle_id}/retrospective/results     managers
GET /api/v1/cycles/{cycle_id}/target-analysis           managers
POST /api/v1/cycles/{cycle_id}/target-proposals/generate  hr
GET /api/v1/cycles/{cycle_id}/target-proposals          managers
POST /api/v1/target-proposals/{proposal_id}/approve proposal_id=target  hr  managers
POST /api/v1/target-proposals/{proposal_id}/reject proposal_id=target   hr  managers
GET /api/v1/cycles/{cycle_id}/roll-over                 hr
POST /api/v1/cycles/{cycle_id}/roll-over                hr
GET /api/v1/insights/people/{employee_id}/trend         team
GET /api/v1/insights/departments/{department_id}/trend  managers   managers
GET /api/v1/cycles/{cycle_id}/process-health            managers   managers
GET /api/v1/insights/process-health                     managers   managers

# Notifications and personal data.
GET /api/v1/notifications                               everyone
POST /api/v1/notifications/read-all                     everyone
POST /api/v1/notifications/{notification_id}/read       self
"""


# The tests ------------------------------------------------------------------------------

KNOWN = endpoints()
RULES = parse(DECLARED, KNOWN)
REFUSED = (401, 403, 404)


class _Records(logging.Handler):
    """The records of the ``perfcycle.access`` logger since the last ``clear``."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def clear(self) -> None:
        self.records = []


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The company and its objects, built once for the module and rolled back after it;
    each request is rolled back too (``request``)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


def test_every_endpoint_is_declared():
    """A new page or API operation must say who may use it."""
    declared = {rule.endpoint.key for rule in RULES}
    missing = sorted(set(KNOWN) - declared)
    assert not missing, f"declare who may use these in DECLARED: {missing}"
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids)), "a rule is declared twice"


@pytest.mark.django_db
def test_the_cells_stand_as_named(world):
    """Each cell's viewer stands in the named relation to the person whose object it uses,
    and holds the named role."""
    from perfcycle.access.policy import Relation, Role, relation, roles

    relations = {
        "self": Relation.SELF,
        "direct": Relation.DIRECT_REPORT,
        "indirect": Relation.INDIRECT_REPORT,
    }
    for cell, viewer, person in OBJECT_CELLS:
        if viewer == "anon":
            continue
        user = world.people[PEOPLE_OF_ROLE[viewer]].user
        wanted = relations.get(cell.split(".")[1], Relation.STRANGER)
        assert relation(user, world.people[person]) is wanted, cell
    held = {role: roles(world.people[name].user) for role, name in PEOPLE_OF_ROLE.items()}
    assert Role.HR_ADMIN in held["hr"]
    assert Role.MANAGER in held["skip"] and Role.MANAGER in held["mgr"]
    assert Role.MANAGER not in held["emp"] and Role.MANAGER not in held["peer"]
    assert Role.HR_ADMIN not in held["skip"] | held["mgr"] | held["emp"] | held["peer"]


@pytest.mark.django_db
@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_who_may(world, rule):
    """Every cell answers as declared, and every refusal is logged."""
    login = reverse("login")
    records = _Records()
    logger = logging.getLogger("perfcycle.access")
    logger.addHandler(records)
    wrong: list[str] = []
    try:
        for cell, viewer, person in rule.cells:
            records.clear()
            status, location = request(world, rule, viewer, person)
            expected = rule.expected(cell)
            if status >= 500 or status == 405:
                got_it = False
            elif expected == "ok":
                got_it = status not in REFUSED
            elif expected == "login":
                got_it = status == 302 and location.startswith(login)
            else:
                got_it = status == int(expected)
            if not got_it:
                wrong.append(f"{cell}: expected {expected}, got {status}")
            logged = [r for r in records.records if getattr(r, "status", None) == status]
            if status in REFUSED and len(logged) != 1:
                wrong.append(f"{cell}: {status} logged {len(logged)} times")
    finally:
        logger.removeHandler(records)
    assert not wrong, f"{rule.text}\n  " + "\n  ".join(wrong)

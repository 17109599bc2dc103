"""Audit completeness: every change to business data, made through the pages or the API,
leaves an audit event naming who, what (object type and id), which action, and for a
change the values before and after; and nothing in the application can change the trail.

The tables below are the declaration. ``CASES`` lists, per business model, each way the
product creates, changes or deletes it (page or API) and how to do it; ``NOT_OFFERED``
names every (model, operation, channel) the product does not offer and why; ``EXEMPT``
names the tables that are not business data. A new model, or an operation without a case
or a reason, fails ``test_every_model_and_operation_is_declared``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal as D
from html.parser import HTMLParser
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, models, transaction
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from perfcycle.accounts.models import User
from perfcycle.accounts.services import token_create
from perfcycle.audit.models import AuditAction, AuditEvent, AuditImmutable
from perfcycle.audit.services import snapshot
from perfcycle.cycles import phases
from perfcycle.cycles.models import CycleDeadline
from perfcycle.cycles.services import grade_scale_default, review_template_default
from tests.factories import CycleFactory, EmployeeFactory, GoalFactory, IndicatorFactory

API = "/api/v1"
JSON = "application/json"
OPERATIONS = ("create", "update", "delete")
CHANNELS = ("page", "api")
PROJECT_APPS = "perfcycle."


# Reading forms off the pages ------------------------------------------------------------


class _FormReader(HTMLParser):
    """Every ``<form>`` of a page with the values a browser would submit."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict[str, str], list[tuple[str, str]]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: tuple[str, bool] | None = None
        # (value, selected) of the open select's options; a value of None is the text's.
        self._options: list[tuple[str | None, bool]] = []
        self._in_option = False
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            self._fields = []
            self.forms.append((a, self._fields))
        elif self._fields is None:
            return
        elif tag == "input" and a.get("name") and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "reset", "image", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self._fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name") and "disabled" not in a:
            self._select = (a["name"], "multiple" in a)
            self._options = []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value"), "selected" in a))
            self._in_option = True
        elif tag == "textarea" and a.get("name"):
            self._textarea = (a["name"], [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._in_option and self._options[-1][0] is None:
            self._options[-1] = (data.strip(), self._options[-1][1])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "option":
            self._in_option = False
        elif tag == "textarea" and self._textarea is not None and self._fields is not None:
            name, parts = self._textarea
            self._fields.append((name, "".join(parts).removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._fields is not None:
            name, multiple = self._select
            chosen = [v or "" for v, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0] or ""]
            self._fields.extend((name, v) for v in chosen)
            self._select = None


def page_form(client: Client, url: str, *, action: str | None = None) -> tuple[str, dict[str, Any]]:
    """The POST form on ``url`` that posts to ``action`` (default: the page itself), as a
    browser would fill it in: where it posts, and its fields (a name given several values
    becomes a list)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    reader = _FormReader()
    reader.feed(response.content.decode())
    path = url.split("?")[0]
    wanted = action or path
    for attrs, fields in reader.forms:
        if attrs.get("method", "get").lower() != "post":
            continue
        posts_to = urljoin(url, attrs.get("action") or url)
        if posts_to.split("?")[0] == wanted:
            data: dict[str, Any] = {}
            for name, value in fields:
                if name in data:
                    data[name] = [*([data[name]] if isinstance(data[name], str) else data[name])]
                    data[name].append(value)
                else:
                    data[name] = value
            return posts_to, data
    raise AssertionError(f"No POST form to {wanted} on {url}")


def submit(
    client: Client,
    url: str,
    *,
    action: str | None = None,
    extra: dict[str, Any] | None = None,
    **changes: Any,
) -> Any:
    """Fill in the form on ``url`` as shown, change some of its fields (``None`` removes
    one), add ``extra`` ones (a button's name, say), and post it."""
    posts_to, data = page_form(client, url, action=action)
    for name, value in changes.items():
        assert name in data, f"the form on {url} has no field {name}: {sorted(data)}"
        if value is None:
            del data[name]
        else:
            data[name] = value
    data.update(extra or {})
    return client.post(posts_to, data)


def call(client: Client, method: str, path: str, body: Any = None) -> Any:
    if method == "delete":
        return client.delete(f"{API}{path}")
    return getattr(client, method)(f"{API}{path}", body or {}, content_type=JSON)


# The world each case starts from -------------------------------------------------------


_numbers = count(1)


@dataclass
class World:
    """The named company, clients signed in as its people, and things built on demand."""

    company: Any
    made: dict[str, Any] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    def user(self, who: str) -> User:
        return self.company.hr if who == "hr" else self.company.user(who)

    def client(self, who: str, channel: str) -> Client:
        if channel == "page":
            client = Client()
            client.force_login(self.user(who))
            return client
        if who not in self._tokens:
            self._tokens[who] = token_create(actor=None, user=self.user(who), name="audit test")[1]
        return Client(headers={"Authorization": f"Bearer {self._tokens[who]}"})

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.made:
            self.made[key] = make()
        return self.made[key]

    # Common things ------------------------------------------------------------------

    @property
    def people(self) -> list[Any]:
        c = self.company
        return [c.manager, c.direct, c.indirect, c.stranger]

    def cycle(self, phase: str = "planning", **values: Any) -> Any:
        """A cycle in ``phase`` with the default template and scale, everyone but HR and
        the top taking part."""

        def make() -> Any:
            cycle = CycleFactory(
                phase=phase,
                template=self.template(),
                grade_scale=grade_scale_default(),
                participants=self.people,
                **values,
            )
            if phase == "draft":
                # The quarter lies in the past: open cycles keep no deadlines, or every
                # review would be overdue.
                due = phases.default_deadlines(cycle.start_date, cycle.end_date)
                CycleDeadline.objects.bulk_create(
                    [CycleDeadline(cycle=cycle, phase=p, due_date=d) for p, d in due.items()]
                )
            return cycle

        return self.once(f"cycle:{phase}", make)

    def template(self) -> Any:
        """A complete review template: one competency (all the weight) and one question."""

        def make() -> Any:
            from perfcycle.cycles.models import ReviewTemplate
            from perfcycle.evaluation.models import TemplateCompetency, TemplateQuestion
            from perfcycle.monitoring.models import Competency

            template = ReviewTemplate.objects.create(name="Audit 360", anonymity_min=3, peer_min=1)
            competency = Competency.objects.create(code="COMM", name="Communication")
            TemplateCompetency.objects.create(template=template, competency=competency, weight=100)
            TemplateQuestion.objects.create(template=template, text="What went well?")
            return template

        return self.once("template", make)

    def goal(self, who: str = "direct", phase: str = "planning", **values: Any) -> Any:
        values.setdefault("unit", "customers")
        return GoalFactory(cycle=self.cycle(phase), employee=getattr(self.company, who), **values)

    def employee(self, **values: Any) -> Any:
        n = next(_numbers)
        values.setdefault("manager", self.company.manager)
        values.setdefault("department", self.company.sales)
        return EmployeeFactory(employee_number=f"A{n:04d}", name=f"Audited {n}", **values)


@pytest.fixture
def world(company: Any) -> World:
    return World(company)


# Cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One way the product creates, changes or deletes a model's rows.

    ``arrange`` builds what the request needs and returns it (for an update or delete:
    the row, or something ``target`` finds it in); ``send`` makes the request with a
    client signed in as ``who``. A child row that the product audits as a change of its
    parent names it with ``audited_as`` (row → (parent, action), or (object type, object id,
    action) for an event that is not about a row). ``changed`` names the
    fields the event must show: after a create, before a delete, both (and different)
    for an update.
    """

    model: str
    op: str
    channel: str
    who: str
    arrange: Callable[[World], Any]
    send: Callable[[Client, Any], Any]
    changed: tuple[str, ...] = ()
    target: Callable[[Any], models.Model] | None = None
    audited_as: Callable[[models.Model], tuple[Any, ...]] | None = None
    status: tuple[int, ...] = ()
    name: str = ""
    source: str = ""

    @property
    def id(self) -> str:
        return f"{self.model}-{self.op}-{self.channel}" + (f"-{self.name}" if self.name else "")

    @property
    def ok(self) -> tuple[int, ...]:
        return self.status or ((302,) if self.channel == "page" else (200, 201, 204))


CASES: list[Case] = []
NOT_OFFERED: dict[tuple[str, ...], str] = {}


def case(model: str, op: str, channel: str, who: str, **kwargs: Any) -> None:
    CASES.append(Case(model, op, channel, who, **kwargs))


def not_offered(model: str, op: str, reason: str, channel: str = "") -> None:
    """The product offers no way to ``op`` a ``model`` (through ``channel``, or at all)."""
    NOT_OFFERED[(model, op, channel) if channel else (model, op)] = reason


def _same(x: Any) -> Any:
    return x


def parent(name: str, action: str = AuditAction.UPDATE) -> Callable[[Any], tuple[Any, str]]:
    """A child row audited as a change (or the creation) of its parent ``row.<name>``."""
    return lambda row: (getattr(row, name), action)


EXEMPT: dict[str, str] = {
    "audit.auditevent": "The audit trail itself (append-only; see the tests at the end).",
    "accounts.signinfailure": (
        "The sign-in throttle's counter of failed attempts; each failure is itself an "
        "audit event (login_failed)."
    ),
    "imports.importfile": (
        "An uploaded file kept between preview and apply; the import is audited as an "
        "import event and each row it writes as its own event."
    ),
    "monitoring.actualbatch": (
        "Idempotency record of a pushed batch (replays answer the stored result); the "
        "actuals it writes are audited one by one."
    ),
    "evaluation.raterflagsnapshot": (
        "A cache of rater flags computed from submitted reviews; rebuilt, never edited."
    ),
    "notifications.notification": (
        "Messages to people and their read state; they change no business data."
    ),
    "demo.demostep": "Bookkeeping of which demo steps ran on this database.",
    "evaluation.scorerun": (
        "The progress of one background run of storing a cycle's scores; the results it "
        "stores are audited one by one (evaluation.scoreresult)."
    ),
}


# Organisation --------------------------------------------------------------------------

case(
    "org.department",
    "create",
    "page",
    "hr",
    arrange=lambda w: w.company.root,
    send=lambda c, root: submit(
        c, "/org/departments/new/", code="MKT", name="Marketing", parent=root.pk
    ),
)
case(
    "org.department",
    "create",
    "api",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: call(
        c, "post", "/departments", {"code": "MKT", "name": "Marketing", "parent_code": "ROOT"}
    ),
)
case(
    "org.department",
    "update",
    "page",
    "hr",
    arrange=lambda w: w.company.sales,
    send=lambda c, d: submit(c, f"/org/departments/{d.pk}/edit/", name="Sales & Marketing"),
    changed=("name",),
)
case(
    "org.department",
    "update",
    "api",
    "hr",
    arrange=lambda w: w.company.sales,
    send=lambda c, d: call(
        c, "patch", f"/departments/{d.pk}", {"version": d.version, "name": "Sales & Marketing"}
    ),
    changed=("name",),
)
not_offered(
    "org.department",
    "delete",
    "Departments are not deleted from pages or the API (people and history hang on them); "
    "the service that deletes an empty one is audited and tested in org/tests.",
)

case(
    "org.employee",
    "create",
    "page",
    "hr",
    arrange=lambda w: w.company.sales,
    send=lambda c, sales: submit(
        c,
        "/org/people/new/",
        employee_number="N100",
        name="Nora New",
        department=sales.pk,
        manager_number="C010",
    ),
)
case(
    "org.employee",
    "create",
    "api",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: call(
        c,
        "post",
        "/employees",
        {
            "employee_number": "N100",
            "name": "Nora New",
            "manager_number": "C010",
            "department_code": "SALES",
        },
    ),
)
case(
    "org.employee",
    "update",
    "page",
    "hr",
    arrange=lambda w: w.company.direct,
    send=lambda c, e: submit(c, f"/org/people/{e.pk}/edit/", job_title="Lead engineer"),
    changed=("job_title",),
)
case(
    "org.employee",
    "update",
    "api",
    "hr",
    arrange=lambda w: w.company.direct,
    send=lambda c, e: call(
        c, "patch", f"/employees/{e.pk}", {"version": e.version, "job_title": "Lead engineer"}
    ),
    changed=("job_title",),
)
case(
    "org.employee",
    "update",
    "page",
    "hr",
    name="erase",
    arrange=lambda w: _departed(w),
    send=lambda c, e: c.post(
        f"/privacy/people/{e.pk}/erase/", {"reason": "Asked for it on 2026-01-05", "confirm": "on"}
    ),
    changed=("name",),
)
case(
    "org.employee",
    "update",
    "api",
    "hr",
    name="erase",
    arrange=lambda w: _departed(w),
    send=lambda c, e: call(
        c, "post", f"/employees/{e.pk}/erase", {"reason": "Asked for it on 2026-01-05"}
    ),
    changed=("name",),
)
not_offered(
    "org.employee",
    "delete",
    "People are never deleted: they leave (status) and their personal data may be erased "
    "(an update, see the erase cases).",
)


def _departed(w: World) -> Any:
    return w.employee(status="left", left_on=dt.date(2023, 1, 31))


# Logins and tokens ---------------------------------------------------------------------

case(
    "accounts.user",
    "create",
    "page",
    "hr",
    arrange=lambda w: w.employee(),
    send=lambda c, e: submit(c, f"/org/people/{e.pk}/login/", username="nora.new"),
)
case(
    "accounts.user",
    "update",
    "page",
    "hr",
    arrange=lambda w: w.company.direct,
    send=lambda c, e: submit(c, f"/org/people/{e.pk}/login/", username="dan.direct"),
    target=lambda e: e.user,
    changed=("username",),
)
case(
    "accounts.user",
    "update",
    "page",
    "direct",
    name="language",
    arrange=lambda w: w.user("direct"),
    send=lambda c, u: c.post("/language/", {"language": "zh-hans", "next": "/"}),
    changed=("language",),
)
not_offered("accounts.user", "create", "Logins are given on the pages only.", "api")
not_offered("accounts.user", "update", "Logins are changed on the pages only.", "api")
not_offered(
    "accounts.user",
    "delete",
    "Logins are deactivated (with the person's status) or erased, never deleted.",
)

case(
    "accounts.apitoken",
    "create",
    "page",
    "direct",
    arrange=lambda w: None,
    send=lambda c, _: submit(c, "/account/tokens/", name="My spreadsheet"),
    status=(200,),
)
case(
    "accounts.apitoken",
    "update",
    "page",
    "direct",
    name="revoke",
    arrange=lambda w: token_create(actor=None, user=w.user("direct"), name="Old")[0],
    send=lambda c, t: c.post(f"/account/tokens/{t.pk}/revoke/"),
    changed=("revoked_at",),
)
not_offered(
    "accounts.apitoken", "create", "Tokens are made on the Tokens page, not by a token.", "api"
)
not_offered("accounts.apitoken", "update", "Tokens are revoked on the Tokens page only.", "api")
not_offered("accounts.apitoken", "delete", "Tokens are revoked, never deleted.")


# Cycles, grade scales, review templates -------------------------------------------------

CYCLE_BODY = {
    "name": "2026 Q3",
    "period_type": "quarter",
    "start_date": "2026-07-01",
    "end_date": "2026-09-30",
}
case(
    "cycles.cycle",
    "create",
    "page",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: submit(c, "/cycles/new/", name="2026 Q3"),
)
case(
    "cycles.cycle",
    "create",
    "api",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: call(c, "post", "/cycles", CYCLE_BODY),
)
case(
    "cycles.cycle",
    "update",
    "page",
    "hr",
    arrange=lambda w: w.cycle("draft"),
    send=lambda c, cy: submit(c, f"/cycles/{cy.pk}/edit/", name="Renamed"),
    changed=("name",),
)
case(
    "cycles.cycle",
    "update",
    "api",
    "hr",
    arrange=lambda w: w.cycle("draft"),
    send=lambda c, cy: call(c, "patch", f"/cycles/{cy.pk}", {"version": cy.version, "name": "R"}),
    changed=("name",),
)
case(
    "cycles.cycle",
    "update",
    "page",
    "hr",
    name="phase",
    arrange=lambda w: w.cycle("draft"),
    send=lambda c, cy: c.post(
        f"/cycles/{cy.pk}/phase/", {"to_phase": "planning", "version": cy.version}
    ),
    changed=("phase",),
)
case(
    "cycles.cycle",
    "update",
    "api",
    "hr",
    name="phase",
    arrange=lambda w: w.cycle("draft"),
    send=lambda c, cy: call(
        c, "post", f"/cycles/{cy.pk}/transition", {"to_phase": "planning", "version": cy.version}
    ),
    changed=("phase",),
)
not_offered("cycles.cycle", "delete", "Cycles are closed, never deleted.")

# A cycle's deadlines are written as a set whenever the cycle is created or saved.
case(
    "cycles.cycledeadline",
    "create",
    "page",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: submit(c, "/cycles/new/", name="2026 Q3"),
    audited_as=parent("cycle", AuditAction.CREATE),
    changed=("deadlines",),
)
case(
    "cycles.cycledeadline",
    "create",
    "api",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: call(c, "post", "/cycles", CYCLE_BODY),
    audited_as=parent("cycle", AuditAction.CREATE),
    changed=("deadlines",),
)
case(
    "cycles.cycledeadline",
    "delete",
    "page",
    "hr",
    name="replaced",
    arrange=lambda w: w.cycle("draft").deadlines.get(phase="planning"),
    send=lambda c, d: submit(c, f"/cycles/{d.cycle_id}/edit/", deadline_planning="2026-01-20"),
    audited_as=parent("cycle"),
    changed=("deadlines",),
)
case(
    "cycles.cycledeadline",
    "delete",
    "api",
    "hr",
    name="replaced",
    arrange=lambda w: w.cycle("draft").deadlines.get(phase="planning"),
    send=lambda c, d: call(
        c,
        "patch",
        f"/cycles/{d.cycle_id}",
        {"version": d.cycle.version, "deadlines": {"planning": "2026-01-20"}},
    ),
    audited_as=parent("cycle"),
    changed=("deadlines",),
)
not_offered(
    "cycles.cycledeadline",
    "update",
    "A cycle's deadlines are replaced as a set when it is saved (the delete cases named "
    "'replaced'), audited on the cycle with the deadlines before and after.",
)

case(
    "cycles.cycleparticipant",
    "create",
    "page",
    "hr",
    arrange=lambda w: w.cycle("draft"),
    send=lambda c, cy: submit(
        c, f"/cycles/{cy.pk}/participants/", extra={"departments": [str(_root_pk())]}
    ),
    audited_as=parent("cycle"),
    changed=("participant_rule",),
)
case(
    "cycles.cycleparticipant",
    "create",
    "api",
    "hr",
    arrange=lambda w: w.cycle("draft"),
    send=lambda c, cy: call(
        c, "put", f"/cycles/{cy.pk}/participants", {"department_ids": [_root_pk()]}
    ),
    audited_as=parent("cycle"),
    changed=("participant_rule",),
)
case(
    "cycles.cycleparticipant",
    "delete",
    "page",
    "hr",
    arrange=lambda w: w.cycle("draft").participants.get(employee=w.company.stranger),
    send=lambda c, p: submit(
        c, f"/cycles/{p.cycle_id}/participants/", employee_numbers="C010 C011 C012"
    ),
    audited_as=parent("cycle"),
    changed=("participant_rule",),
)
case(
    "cycles.cycleparticipant",
    "delete",
    "api",
    "hr",
    arrange=lambda w: w.cycle("draft").participants.get(employee=w.company.stranger),
    send=lambda c, p: call(
        c,
        "put",
        f"/cycles/{p.cycle_id}/participants",
        {"employee_numbers": ["C010", "C011", "C012"]},
    ),
    audited_as=parent("cycle"),
    changed=("participant_rule",),
)
not_offered(
    "cycles.cycleparticipant",
    "update",
    "Participants join or leave (create, delete); a row is not edited.",
)


def _root_pk() -> int:
    from perfcycle.org.models import Department

    return Department.objects.get(code="ROOT").pk


SCALE_BODY = {
    "name": "Pass/fail",
    "bands": [
        {"code": "P", "label": "Pass", "min_score": 60},
        {"code": "F", "label": "Fail", "min_score": 0},
    ],
}
SCALE_FORM = {
    "name": "Pass/fail",
    "code_0": "P",
    "label_0": "Pass",
    "min_0": "60",
    "code_1": "F",
    "label_1": "Fail",
    "min_1": "0",
}
for model, audited_as in (
    ("cycles.gradescale", None),
    ("cycles.gradeband", parent("scale", AuditAction.CREATE)),
):
    case(
        model,
        "create",
        "page",
        "hr",
        arrange=lambda w: grade_scale_default(),
        send=lambda c, _: submit(c, "/evaluate/grade-scales/", **SCALE_FORM),
        audited_as=audited_as,
        changed=("bands",),
    )
    case(
        model,
        "create",
        "api",
        "hr",
        arrange=lambda w: None,
        send=lambda c, _: call(c, "post", "/grade-scales", SCALE_BODY),
        audited_as=audited_as,
        changed=("bands",),
    )
    for op in ("update", "delete"):
        not_offered(
            model, op, "A grade scale is fixed once made (cycles keep theirs); make another."
        )

case(
    "cycles.reviewtemplate",
    "create",
    "page",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: submit(c, "/evaluate/templates/", name="Engineers"),
)
case(
    "cycles.reviewtemplate",
    "create",
    "api",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: call(c, "post", "/templates", {"name": "Engineers"}),
)
case(
    "cycles.reviewtemplate",
    "create",
    "api",
    "hr",
    name="review-templates",
    arrange=lambda w: None,
    send=lambda c, _: call(c, "post", "/review-templates", {"name": "Engineers"}),
)
case(
    "cycles.reviewtemplate",
    "update",
    "page",
    "hr",
    arrange=lambda w: review_template_default(),
    send=lambda c, t: submit(c, f"/evaluate/templates/{t.pk}/", description="For everyone"),
    changed=("description",),
)
case(
    "cycles.reviewtemplate",
    "update",
    "api",
    "hr",
    arrange=lambda w: review_template_default(),
    send=lambda c, t: call(
        c, "patch", f"/templates/{t.pk}", {"version": t.version, "description": "For everyone"}
    ),
    changed=("description",),
)
not_offered(
    "cycles.reviewtemplate",
    "delete",
    "Templates are not deleted (cycles keep the one they opened with).",
)


# Plan: goals, sheets, indicators --------------------------------------------------------


def _goal_url(w: World, who: str = "direct") -> str:
    return f"/plan/goals/new/?cycle={w.cycle().pk}&employee={getattr(w.company, who).pk}"


def _goal_body(w: World, who: str = "direct", **values: Any) -> dict[str, Any]:
    return {
        "cycle_id": w.cycle().pk,
        "owner_type": "employee",
        "employee_id": getattr(w.company, who).pk,
        "title": "New customers",
        "weight": 40,
        "target": 20,
        "unit": "customers",
        **values,
    }


def _sheet(w: World, status: str = "draft") -> Any:
    """Dan's goal sheet with two goals of 60% and 40%, in ``status``."""
    goal = w.goal(weight=60)
    w.goal(weight=40)
    sheet = goal.sheet
    sheet.status = status
    sheet.save(update_fields=["status"])
    return sheet


GOAL_FORM = {"title": "New customers", "weight": "40", "target": "20", "unit": "customers"}
case(
    "planning.goal",
    "create",
    "page",
    "manager",
    arrange=_goal_url,
    send=lambda c, url: submit(c, url, **GOAL_FORM),
)
case(
    "planning.goal",
    "create",
    "api",
    "manager",
    arrange=_goal_body,
    send=lambda c, body: call(c, "post", "/goals", body),
)
case(
    "planning.goal",
    "create",
    "api",
    "hr",
    name="assign",
    arrange=lambda w: (w.cycle(), IndicatorFactory()),
    send=lambda c, x: call(
        c,
        "post",
        f"/indicators/{x[1].pk}/assign",
        {"cycle_id": x[0].pk, "target": 30, "weight": 20, "employee_numbers": ["C011", "C012"]},
    ),
)
case(
    "planning.goal",
    "create",
    "api",
    "hr",
    name="import",
    source="import",
    arrange=lambda w: w.cycle(),
    send=lambda c, cy: c.post(
        f"{API}/cycles/{cy.pk}/goals/import", {"file": _csv("goals.csv", GOALS_CSV)}
    ),
)
case(
    "planning.goal",
    "update",
    "page",
    "manager",
    arrange=lambda w: w.goal(),
    send=lambda c, g: submit(c, f"/plan/goals/{g.pk}/edit/", title="More customers"),
    changed=("title",),
)
case(
    "planning.goal",
    "update",
    "api",
    "manager",
    arrange=lambda w: w.goal(),
    send=lambda c, g: call(c, "patch", f"/goals/{g.pk}", {"version": g.version, "target": 25}),
    changed=("target",),
)
case(
    "planning.goal",
    "update",
    "page",
    "direct",
    name="done",
    arrange=lambda w: w.goal(kind="milestone", target=None),
    send=lambda c, g: c.post(f"/plan/goals/{g.pk}/done/", {"done": "1"}),
    changed=("done_at",),
)
case(
    "planning.goal",
    "update",
    "api",
    "direct",
    name="done",
    arrange=lambda w: w.goal(kind="milestone", target=None),
    send=lambda c, g: call(c, "post", f"/goals/{g.pk}/done", {"done": True}),
    changed=("done_at",),
)
case(
    "planning.goal",
    "update",
    "api",
    "manager",
    name="weights",
    arrange=lambda w: _sheet(w).goals.order_by("pk").first(),
    send=lambda c, g: call(
        c,
        "put",
        f"/sheets/{g.sheet_id}/weights",
        {"version": g.sheet.version, "weights": {str(g.pk): 70}},
    ),
    changed=("weight",),
)
case(
    "planning.goal",
    "delete",
    "page",
    "manager",
    arrange=lambda w: w.goal(),
    send=lambda c, g: c.post(f"/plan/goals/{g.pk}/delete/"),
)
case(
    "planning.goal",
    "delete",
    "api",
    "manager",
    arrange=lambda w: w.goal(),
    send=lambda c, g: call(c, "delete", f"/goals/{g.pk}"),
)

# A goal sheet is made with a person's first goal of the cycle.
case(
    "planning.goalsheet",
    "create",
    "page",
    "manager",
    arrange=_goal_url,
    send=lambda c, url: submit(c, url, **GOAL_FORM),
)
case(
    "planning.goalsheet",
    "create",
    "api",
    "manager",
    arrange=_goal_body,
    send=lambda c, body: call(c, "post", "/goals", body),
)
case(
    "planning.goalsheet",
    "create",
    "api",
    "hr",
    name="import",
    source="import",
    arrange=lambda w: w.cycle(),
    send=lambda c, cy: c.post(
        f"{API}/cycles/{cy.pk}/goals/import", {"file": _csv("goals.csv", GOALS_CSV)}
    ),
)
case(
    "planning.goalsheet",
    "update",
    "page",
    "direct",
    arrange=_sheet,
    send=lambda c, sh: c.post(f"/plan/sheets/{sh.pk}/propose/", {"version": sh.version}),
    changed=("status",),
)
case(
    "planning.goalsheet",
    "update",
    "api",
    "direct",
    arrange=_sheet,
    send=lambda c, sh: call(c, "post", f"/sheets/{sh.pk}/propose", {"version": sh.version}),
    changed=("status",),
)
not_offered("planning.goalsheet", "delete", "Goal sheets are never deleted.")

case(
    "planning.acknowledgement",
    "create",
    "page",
    "direct",
    arrange=lambda w: _sheet(w, "approved"),
    send=lambda c, sh: c.post(f"/plan/sheets/{sh.pk}/acknowledge/", {"version": sh.version}),
)
case(
    "planning.acknowledgement",
    "create",
    "api",
    "direct",
    arrange=lambda w: _sheet(w, "approved"),
    send=lambda c, sh: call(c, "post", f"/sheets/{sh.pk}/acknowledge", {"version": sh.version}),
)
for op in ("update", "delete"):
    not_offered(
        "planning.acknowledgement", op, "An acknowledgement is a record of what was agreed."
    )

case(
    "planning.keyresult",
    "create",
    "page",
    "manager",
    arrange=lambda w: w.goal(kind="okr"),
    send=lambda c, g: submit(
        c,
        f"/plan/goals/{g.pk}/",
        action=f"/plan/goals/{g.pk}/key-results/",
        **{"kr-title": "Ten demos", "kr-target": "10"},
    ),
)
case(
    "planning.keyresult",
    "create",
    "api",
    "manager",
    arrange=lambda w: w.goal(kind="okr"),
    send=lambda c, g: call(
        c, "post", f"/goals/{g.pk}/key-results", {"title": "Ten demos", "target": 10}
    ),
)


def _key_result(w: World) -> Any:
    """A key result of an OKR goal of Dan's under way, and a check-in to talk about it."""
    from perfcycle.planning.models import KeyResult

    kr = KeyResult.objects.create(goal=_tracked(w, kind="okr"), title="Demos", target=D(10))
    kr.checkin = _checkin(w)
    return kr


# A key result takes the confidence given to its goal at a check-in.
case(
    "planning.keyresult",
    "update",
    "page",
    "manager",
    name="confidence",
    arrange=_key_result,
    send=lambda c, kr: _on_checkin(c, kr.checkin, f"goals/{kr.goal_id}", confidence="8"),
    changed=("confidence",),
)
case(
    "planning.keyresult",
    "update",
    "api",
    "manager",
    name="confidence",
    arrange=_key_result,
    send=lambda c, kr: call(
        c, "put", f"/checkins/{kr.checkin.pk}/goals/{kr.goal_id}", {"confidence": 8}
    ),
    changed=("confidence",),
)
not_offered(
    "planning.keyresult",
    "delete",
    "Key results are added to an OKR goal and go with it (deleted with their goal).",
)

case(
    "planning.milestone",
    "create",
    "page",
    "manager",
    arrange=lambda w: w.goal(),
    send=lambda c, g: submit(
        c,
        f"/plan/goals/{g.pk}/",
        action=f"/plan/goals/{g.pk}/milestones/",
        **{"milestone-title": "Call the list", "milestone-due_date": "2026-02-01"},
    ),
)
case(
    "planning.milestone",
    "create",
    "api",
    "manager",
    arrange=lambda w: w.goal(),
    send=lambda c, g: call(
        c, "post", f"/goals/{g.pk}/milestones", {"title": "Call", "due_date": "2026-02-01"}
    ),
)
case(
    "planning.milestone",
    "update",
    "page",
    "direct",
    arrange=lambda w: _milestone(w),
    send=lambda c, m: c.post(f"/plan/milestones/{m.pk}/done/", {"done": "1"}),
    changed=("done_at",),
)
case(
    "planning.milestone",
    "update",
    "api",
    "direct",
    arrange=lambda w: _milestone(w),
    send=lambda c, m: call(c, "post", f"/milestones/{m.pk}/done", {"done": True}),
    changed=("done_at",),
)
not_offered("planning.milestone", "delete", "Milestones go with their goal (deleted with it).")


def _milestone(w: World) -> Any:
    from perfcycle.planning.models import Milestone

    goal = w.goal()
    return Milestone.objects.create(
        goal=goal, title="Call", due_date=dt.date(2026, 2, 1), owner=goal.employee
    )


case(
    "planning.goalcomment",
    "create",
    "page",
    "direct",
    arrange=lambda w: w.goal(),
    send=lambda c, g: submit(
        c, f"/plan/goals/{g.pk}/", action=f"/plan/goals/{g.pk}/comments/", body="On it."
    ),
)
case(
    "planning.goalcomment",
    "create",
    "api",
    "direct",
    arrange=lambda w: w.goal(),
    send=lambda c, g: call(c, "post", f"/goals/{g.pk}/comments", {"body": "On it."}),
)
for op in ("update", "delete"):
    not_offered("planning.goalcomment", op, "Comments are a conversation: kept as written.")

case(
    "planning.indicator",
    "create",
    "page",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: submit(
        c, "/plan/indicators/new/", code="NEWCUST", name="New customers", unit="customers"
    ),
)
case(
    "planning.indicator",
    "create",
    "api",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: call(
        c, "post", "/indicators", {"code": "NEWCUST", "name": "New customers", "unit": "x"}
    ),
)
case(
    "planning.indicator",
    "update",
    "page",
    "hr",
    arrange=lambda w: IndicatorFactory(),
    send=lambda c, i: submit(c, f"/plan/indicators/{i.pk}/edit/", name="Renamed"),
    changed=("name",),
)
case(
    "planning.indicator",
    "update",
    "api",
    "hr",
    arrange=lambda w: IndicatorFactory(),
    send=lambda c, i: call(
        c, "patch", f"/indicators/{i.pk}", {"version": i.version, "name": "Renamed"}
    ),
    changed=("name",),
)
not_offered("planning.indicator", "delete", "Indicators are retired (is_active), never deleted.")

GOALS_CSV = (
    "编号,归属,工号,部门编码,上级目标编号,目标名称,权重,目标值,单位\r\n"
    "DD-1,员工,C011,,,Imported goal,100,10,个\r\n"
)


def _csv(name: str, text: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


# Monitor: actuals, check-ins, observations, feedback, training --------------------------


def _tracked(w: World, **values: Any) -> Any:
    """A goal of Dan's in a cycle under way."""
    return w.goal(phase="in_progress", **values)


def _actual(w: World) -> Any:
    from perfcycle.monitoring.actuals import actual_record

    goal = _tracked(w)
    actual_record(actor=w.user("manager"), goal=goal, period="2026-01", value=5)
    return goal


def _actual_form(c: Client, goal: Any, value: str) -> Any:
    return submit(
        c,
        f"/monitor/goals/{goal.pk}/",
        action=f"/monitor/goals/{goal.pk}/actuals/",
        period="2026-01",
        value=value,
    )


case(
    "monitoring.actual",
    "create",
    "page",
    "manager",
    arrange=_tracked,
    send=lambda c, g: _actual_form(c, g, "5"),
)
case(
    "monitoring.actual",
    "create",
    "api",
    "manager",
    arrange=_tracked,
    send=lambda c, g: call(c, "post", f"/goals/{g.pk}/actuals", {"period": "2026-01", "value": 5}),
)
case(
    "monitoring.actual",
    "create",
    "api",
    "hr",
    name="batch",
    arrange=lambda w: _tracked(w, ref="DD-7"),
    send=lambda c, g: c.post(
        f"{API}/actuals/batch",
        {"cycle_id": g.cycle_id, "items": [{"goal_ref": "DD-7", "period": "2026-01", "value": 5}]},
        content_type=JSON,
        headers={"Idempotency-Key": "batch-1"},
    ),
)
# A value is revised by recording a new revision: a new row, audited as created.
case(
    "monitoring.actual",
    "create",
    "page",
    "manager",
    name="revise",
    arrange=_actual,
    send=lambda c, g: _actual_form(c, g, "7"),
    changed=("revision",),
)
case(
    "monitoring.actual",
    "create",
    "api",
    "manager",
    name="revise",
    arrange=_actual,
    send=lambda c, g: call(c, "post", f"/goals/{g.pk}/actuals", {"period": "2026-01", "value": 7}),
    changed=("revision",),
)
not_offered(
    "monitoring.actual",
    "update",
    "A recorded value is never edited: a correction is a new revision (the create cases "
    "named 'revise'); the earlier one stays, marked no longer current.",
)
not_offered("monitoring.actual", "delete", "Recorded values are kept (revised, not deleted).")

case(
    "monitoring.competency",
    "create",
    "page",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: submit(c, "/monitor/observations/competencies/", code="TEAM", name="Team"),
)
case(
    "monitoring.competency",
    "create",
    "api",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: call(c, "post", "/competencies", {"code": "TEAM", "name": "Team"}),
)
case(
    "monitoring.competency",
    "update",
    "page",
    "hr",
    arrange=lambda w: _competency(),
    send=lambda c, x: submit(c, f"/monitor/observations/competencies/{x.pk}/", name="Teamwork"),
    changed=("name",),
)
case(
    "monitoring.competency",
    "update",
    "api",
    "hr",
    arrange=lambda w: _competency(),
    send=lambda c, x: call(
        c, "patch", f"/competencies/{x.pk}", {"version": x.version, "name": "Teamwork"}
    ),
    changed=("name",),
)
not_offered(
    "monitoring.competency", "delete", "Competencies stay (templates and history use them)."
)


def _competency() -> Any:
    from perfcycle.monitoring.models import Competency

    return Competency.objects.create(code="TEAM", name="Team")


def _checkin(w: World, status: str = "scheduled") -> Any:
    from perfcycle.monitoring.models import CheckIn

    c = w.company
    return CheckIn.objects.create(
        cycle=w.cycle("in_progress"),
        employee=c.direct,
        manager=c.manager,
        scheduled_for=timezone.now(),
        status=status,
        requested_by=c.manager.user,
    )


def _on_checkin(c: Client, checkin: Any, part: str, **fields: Any) -> Any:
    url = f"/monitor/checkins/{checkin.pk}/"
    return submit(c, url, action=f"{url}{part}/", **fields)


case(
    "monitoring.checkin",
    "create",
    "page",
    "manager",
    arrange=lambda w: w.cycle("in_progress"),
    send=lambda c, _: submit(
        c,
        "/monitor/checkins/new/",
        employee=str(_pk("C011")),
        scheduled_for="2026-12-01T10:00",
    ),
)
case(
    "monitoring.checkin",
    "create",
    "api",
    "manager",
    arrange=lambda w: w.company.direct,
    send=lambda c, e: call(
        c, "post", "/checkins", {"employee_id": e.pk, "scheduled_for": "2026-12-01T10:00:00Z"}
    ),
)
case(
    "monitoring.checkin",
    "create",
    "page",
    "direct",
    name="request",
    arrange=lambda w: None,
    send=lambda c, _: submit(c, "/monitor/checkins/request/", topic="My goals"),
)
case(
    "monitoring.checkin",
    "create",
    "api",
    "direct",
    name="request",
    arrange=lambda w: None,
    send=lambda c, _: call(c, "post", "/checkins/request", {"topic": "My goals"}),
)
case(
    "monitoring.checkin",
    "update",
    "page",
    "manager",
    arrange=_checkin,
    send=lambda c, ck: _on_checkin(c, ck, "notes", shared_notes="We agreed on a plan."),
    changed=("shared_notes",),
)
case(
    "monitoring.checkin",
    "update",
    "api",
    "manager",
    arrange=_checkin,
    send=lambda c, ck: call(
        c, "patch", f"/checkins/{ck.pk}/notes", {"version": ck.version, "shared_notes": "Plan"}
    ),
    changed=("shared_notes",),
)
case(
    "monitoring.checkin",
    "update",
    "page",
    "manager",
    name="held",
    arrange=_checkin,
    send=lambda c, ck: _on_checkin(c, ck, "held"),
    changed=("status", "held_at"),
)
case(
    "monitoring.checkin",
    "update",
    "api",
    "manager",
    name="held",
    arrange=_checkin,
    send=lambda c, ck: call(c, "post", f"/checkins/{ck.pk}/held", {"version": ck.version}),
    changed=("status", "held_at"),
)
case(
    "monitoring.checkin",
    "update",
    "page",
    "manager",
    name="confirm",
    arrange=lambda w: _checkin(w, "requested"),
    send=lambda c, ck: _on_checkin(c, ck, "confirm", scheduled_for="2026-12-02T09:00"),
    changed=("status",),
)
case(
    "monitoring.checkin",
    "update",
    "api",
    "manager",
    name="confirm",
    arrange=lambda w: _checkin(w, "requested"),
    send=lambda c, ck: call(
        c,
        "post",
        f"/checkins/{ck.pk}/confirm",
        {"version": ck.version, "scheduled_for": "2026-12-02T09:00:00Z"},
    ),
    changed=("status",),
)
case(
    "monitoring.checkin",
    "update",
    "page",
    "manager",
    name="cancel",
    arrange=_checkin,
    send=lambda c, ck: _on_checkin(c, ck, "cancel"),
    changed=("status",),
)
case(
    "monitoring.checkin",
    "update",
    "api",
    "manager",
    name="cancel",
    arrange=_checkin,
    send=lambda c, ck: call(c, "post", f"/checkins/{ck.pk}/cancel", {"version": ck.version}),
    changed=("status",),
)
not_offered("monitoring.checkin", "delete", "Check-ins are cancelled, never deleted.")

case(
    "monitoring.agendaitem",
    "create",
    "page",
    "direct",
    arrange=_checkin,
    send=lambda c, ck: _on_checkin(c, ck, "agenda", text="My goals"),
)
case(
    "monitoring.agendaitem",
    "create",
    "api",
    "direct",
    arrange=_checkin,
    send=lambda c, ck: call(c, "post", f"/checkins/{ck.pk}/agenda", {"text": "My goals"}),
)
for op in ("update", "delete"):
    not_offered("monitoring.agendaitem", op, "Agenda topics are kept as raised.")


def _goal_note_url(ck: Any) -> str:
    from perfcycle.planning.models import Goal

    goal = Goal.objects.filter(employee=ck.employee, cycle=ck.cycle).first()
    return f"goals/{goal.pk}"


def _noted(w: World) -> Any:
    from perfcycle.monitoring.models import GoalCheckIn

    checkin = _checkin(w)
    return GoalCheckIn.objects.create(
        checkin=checkin, goal=_tracked(w), comment="Slow start", confidence=4
    )


case(
    "monitoring.goalcheckin",
    "create",
    "page",
    "manager",
    arrange=lambda w: (_tracked(w), _checkin(w))[1],
    send=lambda c, ck: _on_checkin(c, ck, _goal_note_url(ck), comment="On track", confidence="7"),
)
case(
    "monitoring.goalcheckin",
    "create",
    "api",
    "manager",
    arrange=lambda w: (_tracked(w), _checkin(w))[1],
    send=lambda c, ck: call(
        c, "put", f"/checkins/{ck.pk}/{_goal_note_url(ck)}", {"comment": "On track"}
    ),
)
case(
    "monitoring.goalcheckin",
    "update",
    "page",
    "manager",
    arrange=_noted,
    send=lambda c, n: _on_checkin(
        c, n.checkin, f"goals/{n.goal_id}", comment="On track", confidence="7"
    ),
    changed=("comment", "confidence"),
)
case(
    "monitoring.goalcheckin",
    "update",
    "api",
    "manager",
    arrange=_noted,
    send=lambda c, n: call(
        c,
        "put",
        f"/checkins/{n.checkin_id}/goals/{n.goal_id}",
        {"comment": "On track", "confidence": 7},
    ),
    changed=("comment", "confidence"),
)
not_offered("monitoring.goalcheckin", "delete", "Notes on goals are kept with the check-in.")

case(
    "monitoring.actionitem",
    "create",
    "page",
    "manager",
    arrange=_checkin,
    send=lambda c, ck: _on_checkin(c, ck, "action-items", text="Read the book"),
)
case(
    "monitoring.actionitem",
    "create",
    "api",
    "manager",
    arrange=_checkin,
    send=lambda c, ck: call(c, "post", f"/checkins/{ck.pk}/action-items", {"text": "Read"}),
)
case(
    "monitoring.actionitem",
    "update",
    "page",
    "direct",
    arrange=lambda w: _action_item(w),
    send=lambda c, i: c.post(f"/monitor/checkins/action-items/{i.pk}/done/", {"done": "1"}),
    changed=("done_at",),
)
case(
    "monitoring.actionitem",
    "update",
    "api",
    "direct",
    arrange=lambda w: _action_item(w),
    send=lambda c, i: call(c, "post", f"/action-items/{i.pk}/done", {"done": True}),
    changed=("done_at",),
)
not_offered("monitoring.actionitem", "delete", "Action items are done, never deleted.")


def _action_item(w: World) -> Any:
    from perfcycle.monitoring.models import ActionItem

    checkin = _checkin(w)
    return ActionItem.objects.create(
        employee=checkin.employee, checkin=checkin, owner=checkin.employee, text="Read"
    )


def _observation(w: World) -> Any:
    from perfcycle.monitoring.models import Observation

    return Observation.objects.create(
        employee=w.company.direct,
        cycle=w.cycle("in_progress"),
        author=w.user("manager"),
        occurred_on=dt.date(2026, 2, 3),
        kind="positive",
        text="Calmed an angry customer",
    )


case(
    "monitoring.observation",
    "create",
    "page",
    "manager",
    arrange=lambda w: w.cycle("in_progress"),
    send=lambda c, _: submit(
        c,
        "/monitor/observations/new/",
        employee=str(_pk("C011")),
        occurred_on="2026-02-03",
        text="Calmed an angry customer",
    ),
)
case(
    "monitoring.observation",
    "create",
    "api",
    "manager",
    arrange=lambda w: w.cycle("in_progress"),
    send=lambda c, _: call(
        c,
        "post",
        "/observations",
        {
            "employee_id": _pk("C011"),
            "occurred_on": "2026-02-03",
            "kind": "positive",
            "text": "Calmed an angry customer",
        },
    ),
)
case(
    "monitoring.observation",
    "update",
    "page",
    "manager",
    name="share",
    arrange=_observation,
    send=lambda c, o: c.post(f"/monitor/observations/{o.pk}/share/"),
    changed=("visibility",),
)
case(
    "monitoring.observation",
    "update",
    "api",
    "manager",
    arrange=_observation,
    send=lambda c, o: call(c, "patch", f"/observations/{o.pk}", {"text": "Calmed two"}),
    changed=("text",),
)
not_offered(
    "monitoring.observation",
    "delete",
    "Observations are evidence for reviews: corrected, never deleted.",
)

case(
    "monitoring.feedback",
    "create",
    "page",
    "direct",
    arrange=lambda w: None,
    send=lambda c, _: submit(
        c, "/monitor/feedback/", receiver=str(_pk("C020")), text="Thanks for the help!"
    ),
)
case(
    "monitoring.feedback",
    "create",
    "api",
    "direct",
    arrange=lambda w: None,
    send=lambda c, _: call(
        c,
        "post",
        "/feedback",
        {"receiver_id": _pk("C020"), "text": "Thanks!", "visibility": "public"},
    ),
)
for op in ("update", "delete"):
    not_offered("monitoring.feedback", op, "Feedback is kept as given.")


def _course() -> Any:
    from perfcycle.monitoring.models import Course

    return Course.objects.create(code="NEG", title="Negotiation basics")


case(
    "monitoring.course",
    "create",
    "page",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: submit(c, "/monitor/training/courses/new/", code="NEG", title="Nego"),
)
case(
    "monitoring.course",
    "create",
    "api",
    "hr",
    arrange=lambda w: None,
    send=lambda c, _: call(c, "post", "/courses", {"code": "NEG", "title": "Nego"}),
)
case(
    "monitoring.course",
    "update",
    "page",
    "hr",
    arrange=lambda w: _course(),
    send=lambda c, x: submit(c, f"/monitor/training/courses/{x.pk}/edit/", title="Advanced"),
    changed=("title",),
)
case(
    "monitoring.course",
    "update",
    "api",
    "hr",
    arrange=lambda w: _course(),
    send=lambda c, x: call(c, "patch", f"/courses/{x.pk}", {"version": x.version, "title": "A"}),
    changed=("title",),
)
not_offered("monitoring.course", "delete", "Courses are retired (is_active), never deleted.")


def _training(w: World) -> Any:
    from perfcycle.monitoring.models import TrainingAssignment

    return TrainingAssignment.objects.create(
        employee=w.company.direct, course=_course(), recommended_by=w.user("manager")
    )


case(
    "monitoring.trainingassignment",
    "create",
    "page",
    "manager",
    arrange=lambda w: _course(),
    send=lambda c, x: submit(
        c,
        "/monitor/training/",
        action="/monitor/training/recommend/",
        employee=str(_pk("C011")),
        course=str(x.pk),
        reason="Deals",
    ),
)
case(
    "monitoring.trainingassignment",
    "create",
    "api",
    "manager",
    arrange=lambda w: _course(),
    send=lambda c, x: call(c, "post", "/training", {"employee_id": _pk("C011"), "course_id": x.pk}),
)
case(
    "monitoring.trainingassignment",
    "update",
    "page",
    "direct",
    arrange=_training,
    send=lambda c, t: submit(
        c,
        "/monitor/training/",
        action=f"/monitor/training/{t.pk}/status/",
        extra={"status": "in_progress"},
    ),
    changed=("status",),
)
case(
    "monitoring.trainingassignment",
    "update",
    "api",
    "direct",
    arrange=_training,
    send=lambda c, t: call(
        c, "post", f"/training/{t.pk}/status", {"version": t.version, "status": "in_progress"}
    ),
    changed=("status",),
)
not_offered("monitoring.trainingassignment", "delete", "Training assignments are kept as a record.")


def _pk(number: str) -> int:
    from perfcycle.org.models import Employee

    return Employee.objects.get(employee_number=number).pk


# Evaluate: templates, review forms, scores -----------------------------------------------


def _draft_item(w: World | None = None) -> Any:
    """A competency of a template no cycle uses yet (so it may change), with a question;
    another competency is free to be added."""
    from perfcycle.cycles.models import ReviewTemplate
    from perfcycle.evaluation.models import TemplateCompetency, TemplateQuestion
    from perfcycle.monitoring.models import Competency

    template = ReviewTemplate.objects.create(name="Draft template")
    lead = Competency.objects.create(code="LEAD", name="Leadership")
    Competency.objects.create(code="CRAFT", name="Craft")
    TemplateQuestion.objects.create(template=template, text="What next?")
    return TemplateCompetency.objects.create(template=template, competency=lead, weight=100)


def _draft_question(w: World | None = None) -> Any:
    return _draft_item().template.questions.get()


def _anchored(w: World | None = None) -> Any:
    from perfcycle.evaluation.models import BehaviouralAnchor

    item = _draft_item()
    return BehaviouralAnchor.objects.create(item=item, rating=5, description="Leads others")


def _template_page(c: Client, template_id: int, part: str, **fields: Any) -> Any:
    url = f"/evaluate/templates/{template_id}/"
    return submit(c, url, action=f"{url}{part}", **fields)


case(
    "evaluation.templatecompetency",
    "create",
    "page",
    "hr",
    arrange=_draft_item,
    send=lambda c, i: _template_page(
        c, i.template_id, "competencies/", competency=str(_competency_pk("CRAFT")), weight="10"
    ),
)
case(
    "evaluation.templatecompetency",
    "create",
    "api",
    "hr",
    arrange=_draft_item,
    send=lambda c, i: call(
        c,
        "post",
        f"/templates/{i.template_id}/competencies",
        {"competency_id": _competency_pk("CRAFT"), "weight": 10},
    ),
)
case(
    "evaluation.templatecompetency",
    "update",
    "page",
    "hr",
    arrange=_draft_item,
    send=lambda c, i: _template_page(c, i.template_id, "weights/", **{f"weight_{i.pk}": "90"}),
    changed=("weight",),
)
case(
    "evaluation.templatecompetency",
    "update",
    "api",
    "hr",
    arrange=_draft_item,
    send=lambda c, i: call(
        c, "patch", f"/templates/{i.template_id}/competencies/{i.pk}", {"weight": 90}
    ),
    changed=("weight",),
)
case(
    "evaluation.templatecompetency",
    "delete",
    "page",
    "hr",
    arrange=_draft_item,
    send=lambda c, i: _template_page(c, i.template_id, f"competencies/{i.pk}/remove/"),
)
case(
    "evaluation.templatecompetency",
    "delete",
    "api",
    "hr",
    arrange=_draft_item,
    send=lambda c, i: call(c, "delete", f"/templates/{i.template_id}/competencies/{i.pk}"),
)

# Behavioural anchors are written as the set of a competency's anchors.
case(
    "evaluation.behaviouralanchor",
    "create",
    "page",
    "hr",
    arrange=_draft_item,
    send=lambda c, i: submit(
        c, f"/evaluate/templates/{i.template_id}/competencies/{i.pk}/", anchor_5="Leads others"
    ),
    audited_as=parent("item"),
    changed=("anchors",),
)
case(
    "evaluation.behaviouralanchor",
    "create",
    "api",
    "hr",
    arrange=_draft_item,
    send=lambda c, i: call(
        c,
        "put",
        f"/templates/{i.template_id}/competencies/{i.pk}/anchors",
        {"anchors": {"5": "Leads others"}},
    ),
    audited_as=parent("item"),
    changed=("anchors",),
)
case(
    "evaluation.behaviouralanchor",
    "delete",
    "page",
    "hr",
    name="replaced",
    arrange=_anchored,
    send=lambda c, a: submit(
        c, f"/evaluate/templates/{a.item.template_id}/competencies/{a.item_id}/", anchor_5=""
    ),
    audited_as=parent("item"),
    changed=("anchors",),
)
case(
    "evaluation.behaviouralanchor",
    "delete",
    "api",
    "hr",
    name="replaced",
    arrange=_anchored,
    send=lambda c, a: call(
        c,
        "put",
        f"/templates/{a.item.template_id}/competencies/{a.item_id}/anchors",
        {"anchors": {"4": "Helps others lead"}},
    ),
    audited_as=parent("item"),
    changed=("anchors",),
)
not_offered(
    "evaluation.behaviouralanchor",
    "update",
    "A competency's anchors are replaced as a set (the cases named 'replaced'), audited "
    "on the competency with the anchors before and after.",
)

case(
    "evaluation.templatequestion",
    "create",
    "page",
    "hr",
    arrange=_draft_item,
    send=lambda c, i: _template_page(c, i.template_id, "questions/", text="What helped?"),
)
case(
    "evaluation.templatequestion",
    "create",
    "api",
    "hr",
    arrange=_draft_item,
    send=lambda c, i: call(
        c, "post", f"/templates/{i.template_id}/questions", {"text": "What helped?"}
    ),
)
case(
    "evaluation.templatequestion",
    "update",
    "page",
    "hr",
    arrange=_draft_question,
    send=lambda c, q: submit(
        c, f"/evaluate/templates/{q.template_id}/questions/{q.pk}/", text="What now?"
    ),
    changed=("text",),
)
case(
    "evaluation.templatequestion",
    "update",
    "api",
    "hr",
    arrange=_draft_question,
    send=lambda c, q: call(
        c, "patch", f"/templates/{q.template_id}/questions/{q.pk}", {"text": "What now?"}
    ),
    changed=("text",),
)
case(
    "evaluation.templatequestion",
    "delete",
    "page",
    "hr",
    arrange=_draft_question,
    send=lambda c, q: _template_page(c, q.template_id, f"questions/{q.pk}/remove/"),
)
case(
    "evaluation.templatequestion",
    "delete",
    "api",
    "hr",
    arrange=_draft_question,
    send=lambda c, q: call(c, "delete", f"/templates/{q.template_id}/questions/{q.pk}"),
)


def _competency_pk(code: str) -> int:
    from perfcycle.monitoring.models import Competency

    return Competency.objects.get(code=code).pk


def _review(w: World, **values: Any) -> Any:
    """Dan's self-review, open, in a cycle in its self-review phase."""
    from perfcycle.evaluation.models import ReviewForm

    values.setdefault("status", "open")
    return ReviewForm.objects.create(
        cycle=w.cycle("self_review"),
        reviewee=w.company.direct,
        reviewer=values.pop("reviewer", w.company.direct),
        source=values.pop("source", "self"),
        **values,
    )


def _nominated(w: World) -> Any:
    return _review(
        w,
        source="peer",
        reviewer=w.company.stranger,
        status="nominated",
        nominated_by=w.user("direct"),
    )


def _rated(w: World) -> Any:
    from perfcycle.evaluation.models import Answer, Rating

    form = _review(w, status="draft")
    template = w.template()
    Answer.objects.create(form=form, question=template.questions.get(), text="Closed deals")
    return Rating.objects.create(form=form, item=template.competencies.get(), value=3)


def _item_pk(w_or_form: Any) -> int:
    return w_or_form.cycle.template.competencies.get().pk


def _question_pk(form: Any) -> int:
    return form.cycle.template.questions.get().pk


def _save_page(c: Client, form: Any, **fields: Any) -> Any:
    url = f"/evaluate/reviews/{form.pk}/"
    return submit(c, url, action=f"{url}save/", extra=fields)


def _submit_review(c: Client, form: Any) -> Any:
    """The review page's one form, sent with its Submit button (which posts elsewhere)."""
    url = f"/evaluate/reviews/{form.pk}/"
    _posts_to, data = page_form(c, url, action=f"{url}save/")
    return c.post(f"{url}submit/", data)


def _save_api(c: Client, form: Any, **body: Any) -> Any:
    return call(c, "put", f"/reviews/{form.pk}", {"version": form.version, **body})


case(
    "evaluation.reviewform",
    "create",
    "page",
    "hr",
    arrange=lambda w: w.cycle("self_review"),
    send=lambda c, cy: submit(
        c,
        f"/evaluate/cycles/{cy.pk}/assignment/",
        action=f"/evaluate/cycles/{cy.pk}/assignment/add/",
        reviewee=str(_pk("C011")),
        reviewer=str(_pk("C011")),
        source="self",
    ),
)
case(
    "evaluation.reviewform",
    "create",
    "api",
    "hr",
    arrange=lambda w: w.cycle("self_review"),
    send=lambda c, cy: call(
        c,
        "post",
        f"/cycles/{cy.pk}/review-forms",
        {"reviewee_id": _pk("C011"), "reviewer_id": _pk("C011"), "source": "self"},
    ),
)
# Generating a cycle's forms (thousands at once) is audited as one summary on the cycle.
case(
    "evaluation.reviewform",
    "create",
    "page",
    "hr",
    name="generate",
    arrange=lambda w: w.cycle("self_review"),
    send=lambda c, cy: submit(c, f"/evaluate/cycles/{cy.pk}/assignment/"),
    status=(200,),
    audited_as=parent("cycle"),
    changed=("review_forms",),
)
case(
    "evaluation.reviewform",
    "create",
    "api",
    "hr",
    name="generate",
    arrange=lambda w: w.cycle("self_review"),
    send=lambda c, cy: call(c, "post", f"/cycles/{cy.pk}/assignment", {}),
    audited_as=parent("cycle"),
    changed=("review_forms",),
)
case(
    "evaluation.reviewform",
    "create",
    "page",
    "direct",
    name="nominate",
    arrange=lambda w: w.cycle("self_review"),
    send=lambda c, cy: submit(
        c, f"/evaluate/cycles/{cy.pk}/peers/", extra={"reviewers": [str(_pk("C020"))]}
    ),
    status=(200, 302),
)
case(
    "evaluation.reviewform",
    "create",
    "api",
    "direct",
    name="nominate",
    arrange=lambda w: w.cycle("self_review"),
    send=lambda c, cy: call(
        c, "post", f"/cycles/{cy.pk}/peers/nominations", {"reviewer_ids": [_pk("C020")]}
    ),
)
case(
    "evaluation.reviewform",
    "update",
    "page",
    "direct",
    arrange=_review,
    send=lambda c, f: _save_page(c, f, summary="A good quarter"),
    changed=("status", "version"),
)
case(
    "evaluation.reviewform",
    "update",
    "api",
    "direct",
    arrange=_review,
    send=lambda c, f: _save_api(c, f, summary="A good quarter"),
    changed=("status", "version"),
)
case(
    "evaluation.reviewform",
    "update",
    "page",
    "direct",
    name="submit",
    arrange=lambda w: _rated(w).form,
    send=lambda c, f: _submit_review(c, f),
    changed=("status",),
)
case(
    "evaluation.reviewform",
    "update",
    "api",
    "direct",
    name="submit",
    arrange=lambda w: _rated(w).form,
    send=lambda c, f: call(c, "post", f"/reviews/{f.pk}/submit", {"version": f.version}),
    changed=("status",),
)
case(
    "evaluation.reviewform",
    "update",
    "page",
    "manager",
    name="approve",
    arrange=_nominated,
    send=lambda c, f: c.post(f"/evaluate/cycles/{f.cycle_id}/peers/{f.pk}/approve/"),
    changed=("status",),
)
case(
    "evaluation.reviewform",
    "update",
    "api",
    "manager",
    name="decline",
    arrange=_nominated,
    send=lambda c, f: call(
        c, "post", f"/review-forms/{f.pk}/decline", {"reason": "Works with Dan rarely"}
    ),
    changed=("status",),
)
case(
    "evaluation.reviewform",
    "delete",
    "page",
    "hr",
    arrange=_review,
    send=lambda c, f: c.post(f"/evaluate/cycles/{f.cycle_id}/assignment/forms/{f.pk}/remove/"),
)
case(
    "evaluation.reviewform",
    "delete",
    "api",
    "hr",
    arrange=_review,
    send=lambda c, f: call(c, "delete", f"/review-forms/{f.pk}"),
)

# Ratings and answers are confidential: a save is audited on the form (that the draft
# changed, its status and version), never with what it says.
for model, make_field in (
    ("evaluation.rating", lambda f: (f"rating_{_item_pk(f)}", "4")),
    ("evaluation.answer", lambda f: (f"answer_{_question_pk(f)}", "Closed deals")),
):
    case(
        model,
        "create",
        "page",
        "direct",
        arrange=_review,
        send=lambda c, f, make_field=make_field: _save_page(c, f, **dict([make_field(f)])),
        audited_as=parent("form"),
        changed=("version",),
    )
case(
    "evaluation.rating",
    "create",
    "api",
    "direct",
    arrange=_review,
    send=lambda c, f: _save_api(c, f, ratings={str(_item_pk(f)): 4}),
    audited_as=parent("form"),
    changed=("version",),
)
case(
    "evaluation.answer",
    "create",
    "api",
    "direct",
    arrange=_review,
    send=lambda c, f: _save_api(c, f, answers={str(_question_pk(f)): "Closed deals"}),
    audited_as=parent("form"),
    changed=("version",),
)
case(
    "evaluation.rating",
    "update",
    "page",
    "direct",
    arrange=_rated,
    send=lambda c, r: _save_page(c, r.form, **{f"rating_{r.item_id}": "5"}),
    audited_as=parent("form"),
    changed=("version",),
)
case(
    "evaluation.rating",
    "update",
    "api",
    "direct",
    arrange=_rated,
    send=lambda c, r: _save_api(c, r.form, ratings={str(r.item_id): 5}),
    audited_as=parent("form"),
    changed=("version",),
)
case(
    "evaluation.answer",
    "update",
    "page",
    "direct",
    arrange=lambda w: _rated(w).form.answers.get(),
    send=lambda c, a: _save_page(c, a.form, **{f"answer_{a.question_id}": "Won two deals"}),
    audited_as=parent("form"),
    changed=("version",),
)
case(
    "evaluation.answer",
    "update",
    "api",
    "direct",
    arrange=lambda w: _rated(w).form.answers.get(),
    send=lambda c, a: _save_api(c, a.form, answers={str(a.question_id): "Won two deals"}),
    audited_as=parent("form"),
    changed=("version",),
)
case(
    "evaluation.rating",
    "delete",
    "api",
    "direct",
    arrange=_rated,
    send=lambda c, r: _save_api(c, r.form, ratings={str(r.item_id): None}),
    audited_as=parent("form"),
    changed=("version",),
)
not_offered(
    "evaluation.rating",
    "delete",
    "The review page has no way to clear a rating once chosen (the API's null does).",
    "page",
)
not_offered("evaluation.answer", "delete", "An answer is emptied (an update), not deleted.")


def _scored_goal(w: World) -> Any:
    return w.goal(phase="manager_review")


def _override(w: World) -> Any:
    from perfcycle.evaluation.models import GoalScoreOverride

    return GoalScoreOverride.objects.create(
        goal=_scored_goal(w), points=D(80), reason="The CRM lost data", by=w.user("manager")
    )


OVERRIDE = {"points": "95", "reason": "The CRM lost two weeks of data"}
case(
    "evaluation.goalscoreoverride",
    "create",
    "page",
    "manager",
    arrange=_scored_goal,
    send=lambda c, g: c.post(f"/evaluate/goals/{g.pk}/score-override/", OVERRIDE),
)
case(
    "evaluation.goalscoreoverride",
    "create",
    "api",
    "manager",
    arrange=_scored_goal,
    send=lambda c, g: call(c, "put", f"/goals/{g.pk}/score-override", OVERRIDE),
)
case(
    "evaluation.goalscoreoverride",
    "update",
    "page",
    "manager",
    arrange=_override,
    send=lambda c, o: c.post(f"/evaluate/goals/{o.goal_id}/score-override/", OVERRIDE),
    changed=("points",),
)
case(
    "evaluation.goalscoreoverride",
    "update",
    "api",
    "manager",
    arrange=_override,
    send=lambda c, o: call(c, "put", f"/goals/{o.goal_id}/score-override", OVERRIDE),
    changed=("points",),
)
case(
    "evaluation.goalscoreoverride",
    "delete",
    "page",
    "manager",
    arrange=_override,
    send=lambda c, o: c.post(
        f"/evaluate/goals/{o.goal_id}/score-override/",
        {"clear": "1", "reason": "The data came back after all"},
    ),
)
case(
    "evaluation.goalscoreoverride",
    "delete",
    "api",
    "manager",
    arrange=_override,
    send=lambda c, o: call(
        c,
        "post",
        f"/goals/{o.goal_id}/score-override/clear",
        {"reason": "The data came back after all"},
    ),
)


def _stale_score(w: World) -> Any:
    """Dan's stored result, which no longer matches what the cycle computes."""
    from perfcycle.evaluation.models import ScoreResult

    cycle = w.cycle("manager_review")
    return ScoreResult.objects.create(
        cycle=cycle,
        employee=w.company.direct,
        overall_score=D("1.00"),
        grade="D",
        breakdown={},
        computed_at=timezone.now(),
    )


case(
    "evaluation.scoreresult",
    "create",
    "page",
    "hr",
    arrange=lambda w: w.cycle("manager_review"),
    send=lambda c, cy: submit(
        c, f"/evaluate/cycles/{cy.pk}/scores/", action=f"/evaluate/cycles/{cy.pk}/scores/store/"
    ),
)
case(
    "evaluation.scoreresult",
    "create",
    "api",
    "hr",
    arrange=lambda w: w.cycle("manager_review"),
    send=lambda c, cy: call(c, "post", f"/cycles/{cy.pk}/scores/store"),
    status=(202,),  # a background run (done at once in the tests)
)
case(
    "evaluation.scoreresult",
    "update",
    "page",
    "hr",
    arrange=_stale_score,
    send=lambda c, r: submit(
        c,
        f"/evaluate/cycles/{r.cycle_id}/scores/",
        action=f"/evaluate/cycles/{r.cycle_id}/scores/store/",
    ),
    changed=("overall_score", "grade"),
)
case(
    "evaluation.scoreresult",
    "update",
    "api",
    "hr",
    arrange=_stale_score,
    send=lambda c, r: call(c, "post", f"/cycles/{r.cycle_id}/scores/store"),
    changed=("overall_score", "grade"),
    status=(202,),  # a background run (done at once in the tests)
)
not_offered(
    "evaluation.scoreresult",
    "delete",
    "Stored results are recomputed, never deleted (calibration starts from them).",
)

case(
    "cycles.cycle",
    "update",
    "page",
    "hr",
    name="normalisation",
    arrange=lambda w: w.cycle("manager_review"),
    send=lambda c, cy: submit(c, f"/evaluate/cycles/{cy.pk}/normalisation/"),
    changed=("normalise_ratings",),
)
case(
    "cycles.cycle",
    "update",
    "api",
    "hr",
    name="normalisation",
    arrange=lambda w: w.cycle("manager_review"),
    send=lambda c, cy: call(c, "put", f"/cycles/{cy.pk}/normalisation", {"on": True}),
    changed=("normalise_ratings",),
)


# Calibrate: settings, results, sessions, talks, appeals ---------------------------------


def _result(w: World, phase: str = "calibration", **values: Any) -> Any:
    """Dan's result (a B) in a cycle in ``phase``."""
    from perfcycle.calibration.models import Result

    fields = {
        "employee": w.company.direct,
        "department": w.company.sales,
        "computed_score": D(70),
        "computed_grade": "B",
        "score": D(70),
        "grade": "B",
        **values,
    }
    return Result.objects.create(cycle=w.cycle(phase), **fields)


def _session(w: World) -> Any:
    """A company-wide session, with Mia calibrating, over Dan's result."""
    from perfcycle.calibration.models import CalibrationSession, SessionMember

    result = _result(w)
    session = CalibrationSession.objects.create(
        cycle=result.cycle, name="Everyone", scope="company", created_by=w.user("hr")
    )
    session.calibrators.set([w.company.manager])
    SessionMember.objects.create(session=session, result=result)
    return session


def _in_session(w: World) -> Any:
    session = _session(w)
    result = session.members.get()
    result.session = session
    return result


def _stored_scores(w: World) -> Any:
    """The calibration cycle with Dan's and Ivy's stored scores, nobody's result yet."""
    from perfcycle.evaluation.models import ScoreResult

    cycle = w.cycle("calibration")
    for employee, score, grade in ((w.company.direct, 70, "B"), (w.company.indirect, 90, "A")):
        ScoreResult.objects.create(
            cycle=cycle,
            employee=employee,
            overall_score=D(score),
            grade=grade,
            complete=True,
            breakdown={},
            computed_at=timezone.now(),
        )
    return cycle


def _restored(w: World) -> Any:
    """Dan's result, whose stored score has since changed (to an A)."""
    cycle = _stored_scores(w)
    result = _result(w)
    cycle.score_results.filter(employee=w.company.direct).update(overall_score=D(88), grade="A")
    return result


def _released(w: World, **values: Any) -> Any:
    return _result(w, "results", released_at=timezone.now(), released_by=w.user("hr"), **values)


def _talk(w: World) -> Any:
    from perfcycle.calibration.models import FeedbackTalk

    return FeedbackTalk.objects.create(
        result=_released(w),
        manager=w.company.manager,
        held_on=dt.date(2026, 11, 20),
        strengths="Customer care",
        improvements="Forecasting",
        next_steps="A course",
        recorded_by=w.user("manager"),
    )


def _appeal(w: World) -> Any:
    from perfcycle.calibration.models import Appeal

    return Appeal.objects.create(
        result=_released(w), reason="My sick leave", talk_held=True, due_on=dt.date(2026, 12, 31)
    )


def _attachment(w: World, who: Any = None) -> Any:
    from django.core.files.base import ContentFile

    from perfcycle.calibration.models import Appeal, AppealAttachment

    result = _released(w, employee=who) if who is not None else _released(w)
    appeal = Appeal.objects.create(
        result=result, reason="My sick leave", talk_held=True, due_on=dt.date(2026, 12, 31)
    )
    return AppealAttachment.objects.create(
        appeal=appeal, file=ContentFile(b"doctor's note", name="note.txt"), name="note.txt", size=13
    )


def _note() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("note.txt", b"doctor's note", content_type="text/plain")


def _calibration_settings(w: World) -> Any:
    from perfcycle.calibration.models import CalibrationSettings

    return CalibrationSettings.objects.create(cycle=w.cycle("calibration"), tolerance=D(5))


case(
    "calibration.calibrationsettings",
    "create",
    "page",
    "hr",
    arrange=lambda w: w.cycle("calibration"),
    send=lambda c, cy: submit(c, f"/calibrate/cycles/{cy.pk}/settings/", tolerance="10"),
)
case(
    "calibration.calibrationsettings",
    "create",
    "api",
    "hr",
    arrange=lambda w: w.cycle("calibration"),
    send=lambda c, cy: call(c, "put", f"/cycles/{cy.pk}/calibration-settings", {"tolerance": 10}),
)
case(
    "calibration.calibrationsettings",
    "update",
    "page",
    "hr",
    arrange=_calibration_settings,
    send=lambda c, x: submit(c, f"/calibrate/cycles/{x.cycle_id}/settings/", tolerance="10"),
    changed=("tolerance",),
)
case(
    "calibration.calibrationsettings",
    "update",
    "api",
    "hr",
    arrange=_calibration_settings,
    send=lambda c, x: call(
        c, "put", f"/cycles/{x.cycle_id}/calibration-settings", {"tolerance": 10}
    ),
    changed=("tolerance",),
)
not_offered("calibration.calibrationsettings", "delete", "A cycle's calibration settings are kept.")

case(
    "calibration.result",
    "create",
    "page",
    "hr",
    arrange=_stored_scores,
    send=lambda c, cy: submit(
        c,
        f"/calibrate/cycles/{cy.pk}/distribution/",
        action=f"/calibrate/cycles/{cy.pk}/distribution/prepare/",
    ),
    changed=("grade", "score"),
)
case(
    "calibration.result",
    "create",
    "api",
    "hr",
    arrange=_stored_scores,
    send=lambda c, cy: call(c, "post", f"/cycles/{cy.pk}/results/prepare"),
    changed=("grade", "score"),
)
case(
    "calibration.result",
    "update",
    "page",
    "hr",
    name="prepare",
    arrange=_restored,
    send=lambda c, r: submit(
        c,
        f"/calibrate/cycles/{r.cycle_id}/distribution/",
        action=f"/calibrate/cycles/{r.cycle_id}/distribution/prepare/",
    ),
    changed=("computed_grade", "grade"),
)
case(
    "calibration.result",
    "update",
    "api",
    "hr",
    name="prepare",
    arrange=_restored,
    send=lambda c, r: call(c, "post", f"/cycles/{r.cycle_id}/results/prepare"),
    changed=("computed_grade", "grade"),
)
case(
    "calibration.result",
    "update",
    "page",
    "manager",
    arrange=_in_session,
    send=lambda c, r: submit(
        c,
        f"/calibrate/sessions/{r.session.pk}/",
        action=f"/calibrate/sessions/{r.session.pk}/adjust/",
        grade="A",
        reason="Carried the team through Q1",
    ),
    changed=("grade",),
)
case(
    "calibration.result",
    "update",
    "api",
    "manager",
    arrange=_in_session,
    send=lambda c, r: call(
        c,
        "post",
        f"/calibration-sessions/{r.session.pk}/adjustments",
        {"result_id": r.pk, "grade": "A", "reason": "Carried the team", "version": r.version},
    ),
    changed=("grade",),
)
case(
    "calibration.result",
    "update",
    "api",
    "manager",
    name="potential",
    arrange=_in_session,
    send=lambda c, r: call(
        c,
        "post",
        f"/calibration-sessions/{r.session.pk}/potential",
        {"result_id": r.pk, "potential": "high", "reason": "Leads others", "version": r.version},
    ),
    changed=("potential",),
)
case(
    "calibration.result",
    "update",
    "page",
    "hr",
    name="release",
    arrange=lambda w: _result(w),
    send=lambda c, r: submit(c, f"/calibrate/cycles/{r.cycle_id}/release/", department=""),
    changed=("released_at",),
)
case(
    "calibration.result",
    "update",
    "api",
    "hr",
    name="release",
    arrange=lambda w: _result(w),
    send=lambda c, r: call(c, "post", f"/cycles/{r.cycle_id}/release", {}),
    changed=("released_at",),
)
case(
    "calibration.result",
    "update",
    "page",
    "direct",
    name="acknowledge",
    arrange=_released,
    send=lambda c, r: c.post(f"/calibrate/results/{r.pk}/acknowledge/"),
    changed=("acknowledged_at",),
)
case(
    "calibration.result",
    "update",
    "api",
    "direct",
    name="acknowledge",
    arrange=_released,
    send=lambda c, r: call(c, "post", f"/results/{r.pk}/acknowledge"),
    changed=("acknowledged_at",),
)
not_offered("calibration.result", "delete", "Results are never deleted.")

# An adjustment is the record of one calibration change; the change is audited on the
# result it changes.
case(
    "calibration.adjustment",
    "create",
    "page",
    "manager",
    arrange=_in_session,
    send=lambda c, r: submit(
        c,
        f"/calibrate/sessions/{r.session.pk}/",
        action=f"/calibrate/sessions/{r.session.pk}/adjust/",
        grade="A",
        reason="Carried the team through Q1",
    ),
    audited_as=parent("result"),
    changed=("grade",),
)
case(
    "calibration.adjustment",
    "create",
    "api",
    "manager",
    arrange=_in_session,
    send=lambda c, r: call(
        c,
        "post",
        f"/calibration-sessions/{r.session.pk}/adjustments",
        {"result_id": r.pk, "grade": "A", "reason": "Carried the team", "version": r.version},
    ),
    audited_as=parent("result"),
    changed=("grade",),
)
case(
    "calibration.adjustment",
    "create",
    "api",
    "hr",
    name="appeal",
    arrange=_appeal,
    send=lambda c, a: call(
        c,
        "post",
        f"/appeals/{a.pk}/decide",
        {
            "outcome": "upheld",
            "decision": "The sick leave was not considered.",
            "grade": "A",
            "version": a.version,
        },
    ),
    audited_as=parent("result"),
    changed=("grade",),
)
for op in ("update", "delete"):
    not_offered("calibration.adjustment", op, "Adjustments are the history of a result.")

case(
    "calibration.calibrationsession",
    "create",
    "page",
    "hr",
    arrange=lambda w: _result(w).cycle,
    send=lambda c, cy: submit(
        c,
        f"/calibrate/cycles/{cy.pk}/sessions/",
        name="Everyone",
        extra={"calibrators": [str(_pk("C010"))]},
    ),
)
case(
    "calibration.calibrationsession",
    "create",
    "api",
    "hr",
    arrange=lambda w: _result(w).cycle,
    send=lambda c, cy: call(
        c,
        "post",
        f"/cycles/{cy.pk}/calibration-sessions",
        {"name": "Everyone", "scope": "company", "calibrator_ids": [_pk("C010")]},
    ),
)
case(
    "calibration.calibrationsession",
    "update",
    "page",
    "hr",
    name="lock",
    arrange=_session,
    send=lambda c, s: submit(
        c, f"/calibrate/sessions/{s.pk}/", action=f"/calibrate/sessions/{s.pk}/lock/"
    ),
    changed=("status",),
)
case(
    "calibration.calibrationsession",
    "update",
    "api",
    "hr",
    name="lock",
    arrange=_session,
    send=lambda c, s: call(c, "post", f"/calibration-sessions/{s.pk}/lock"),
    changed=("status",),
)
not_offered("calibration.calibrationsession", "delete", "Sessions are kept as a record.")

# A session's members are the results in its scope, set when it is made.
case(
    "calibration.sessionmember",
    "create",
    "page",
    "hr",
    arrange=lambda w: _result(w).cycle,
    send=lambda c, cy: submit(
        c,
        f"/calibrate/cycles/{cy.pk}/sessions/",
        name="Everyone",
        extra={"calibrators": [str(_pk("C010"))]},
    ),
    audited_as=parent("session", AuditAction.CREATE),
    changed=("people",),
)
case(
    "calibration.sessionmember",
    "create",
    "api",
    "hr",
    arrange=lambda w: _result(w).cycle,
    send=lambda c, cy: call(
        c,
        "post",
        f"/cycles/{cy.pk}/calibration-sessions",
        {"name": "Everyone", "scope": "company", "calibrator_ids": [_pk("C010")]},
    ),
    audited_as=parent("session", AuditAction.CREATE),
    changed=("people",),
)
for op in ("update", "delete"):
    not_offered("calibration.sessionmember", op, "A session's people are fixed when it is made.")

TALK = {
    "held_on": "2026-11-20",
    "strengths": "Customer care",
    "improvements": "Forecasting",
    "next_steps": "A course",
}
case(
    "calibration.feedbacktalk",
    "create",
    "page",
    "manager",
    arrange=_released,
    send=lambda c, r: submit(c, f"/calibrate/results/{r.pk}/talk/", **TALK),
)
case(
    "calibration.feedbacktalk",
    "create",
    "api",
    "manager",
    arrange=_released,
    send=lambda c, r: call(c, "put", f"/results/{r.pk}/talk", TALK),
)
case(
    "calibration.feedbacktalk",
    "update",
    "page",
    "manager",
    arrange=_talk,
    send=lambda c, t: submit(c, f"/calibrate/results/{t.result_id}/talk/", strengths="Care"),
    changed=("strengths",),
)
case(
    "calibration.feedbacktalk",
    "update",
    "api",
    "manager",
    arrange=_talk,
    send=lambda c, t: call(
        c, "put", f"/results/{t.result_id}/talk", {**TALK, "strengths": "Care", "version": 1}
    ),
    changed=("strengths",),
)
case(
    "calibration.feedbacktalk",
    "update",
    "api",
    "direct",
    name="comments",
    arrange=_talk,
    send=lambda c, t: call(
        c,
        "put",
        f"/results/{t.result_id}/talk/comments",
        {"comments": "I agree, mostly", "version": t.version},
    ),
    changed=("employee_comments",),
)
not_offered("calibration.feedbacktalk", "delete", "The record of a feedback talk is kept.")

case(
    "calibration.appeal",
    "create",
    "page",
    "direct",
    arrange=_released,
    send=lambda c, r: submit(c, f"/calibrate/results/{r.pk}/appeal/", reason="My sick leave"),
)
case(
    "calibration.appeal",
    "create",
    "api",
    "direct",
    arrange=_released,
    send=lambda c, r: c.post(f"{API}/results/{r.pk}/appeals", {"reason": "My sick leave"}),
)
case(
    "calibration.appeal",
    "update",
    "page",
    "hr",
    name="route",
    arrange=_appeal,
    send=lambda c, a: submit(
        c,
        f"/calibrate/appeals/{a.pk}/",
        action=f"/calibrate/appeals/{a.pk}/route/",
        extra={"skip_level": "on"},
    ),
    changed=("status",),
)
case(
    "calibration.appeal",
    "update",
    "api",
    "hr",
    name="route",
    arrange=_appeal,
    send=lambda c, a: call(
        c, "post", f"/appeals/{a.pk}/route", {"skip_level": True, "version": a.version}
    ),
    changed=("status",),
)
case(
    "calibration.appeal",
    "update",
    "page",
    "hr",
    name="decide",
    arrange=_appeal,
    send=lambda c, a: submit(
        c,
        f"/calibrate/appeals/{a.pk}/",
        action=f"/calibrate/appeals/{a.pk}/decide/",
        decision="The leave was taken into account.",
        extra={"outcome": "rejected"},
    ),
    changed=("status",),
)
case(
    "calibration.appeal",
    "update",
    "api",
    "hr",
    name="decide",
    arrange=_appeal,
    send=lambda c, a: call(
        c,
        "post",
        f"/appeals/{a.pk}/decide",
        {
            "outcome": "rejected",
            "decision": "The leave was taken into account.",
            "version": a.version,
        },
    ),
    changed=("status",),
)
not_offered("calibration.appeal", "delete", "Appeals are decided, never deleted.")

# Attachments come with their appeal; erasing a departed person's data removes them.
case(
    "calibration.appealattachment",
    "create",
    "page",
    "direct",
    arrange=_released,
    send=lambda c, r: submit(
        c, f"/calibrate/results/{r.pk}/appeal/", reason="My sick leave", extra={"files": _note()}
    ),
    audited_as=parent("appeal", AuditAction.CREATE),
    changed=("attachments",),
)
case(
    "calibration.appealattachment",
    "create",
    "api",
    "direct",
    arrange=_released,
    send=lambda c, r: c.post(
        f"{API}/results/{r.pk}/appeals", {"reason": "My sick leave", "files": _note()}
    ),
    audited_as=parent("appeal", AuditAction.CREATE),
    changed=("attachments",),
)
for channel, send in (
    (
        "page",
        lambda c, a: c.post(
            f"/privacy/people/{a.appeal.result.employee_id}/erase/",
            {"reason": "Asked for it on 2026-01-05", "confirm": "on"},
        ),
    ),
    (
        "api",
        lambda c, a: call(
            c,
            "post",
            f"/employees/{a.appeal.result.employee_id}/erase",
            {"reason": "Asked for it on 2026-01-05"},
        ),
    ),
):
    case(
        "calibration.appealattachment",
        "delete",
        channel,
        "hr",
        name="erase",
        arrange=lambda w: _attachment(w, _departed(w)),
        send=send,
        audited_as=lambda a: (a.appeal.result.employee, AuditAction.UPDATE),
        changed=("name",),
    )
not_offered("calibration.appealattachment", "update", "Attachments are kept as filed.")


# Reward: pay, bonus plans, motivation, salary and promotion rounds ------------------------

COEFFICIENTS = {"S": "1.5", "A": "1.2", "B": "1.0", "C": "0.5", "D": "0"}


def _pay(w: World, who: str = "direct") -> Any:
    from perfcycle.rewards.services import compensation_set

    return compensation_set(
        actor=w.user("hr"),
        employee=getattr(w.company, who),
        base_monthly=D(20000),
        target_bonus_months=D(2),
    )


def _plan(w: World, **values: Any) -> Any:
    """A bonus plan over the released cycle, where Dan (a B) has pay on record."""
    from perfcycle.rewards.services import plan_create

    cycle = _released(w).cycle
    _pay(w)
    values = {
        "name": "Q1 bonus",
        "method": "target",
        "budget": D(100000),
        "grade_coefficients": COEFFICIENTS,
        **values,
    }
    return plan_create(actor=w.user("hr"), cycle=cycle, **values)


def _computed(w: World, **values: Any) -> Any:
    from perfcycle.rewards.services import plan_compute

    plan = _plan(w, **values)
    plan_compute(actor=w.user("hr"), plan=plan)
    plan.refresh_from_db()
    return plan


def _line(w: World) -> Any:
    return _computed(w).lines.get()


def _with_department(w: World) -> Any:
    from perfcycle.rewards.plan_settings import DepartmentInput

    row = DepartmentInput(w.company.sales, D("1.1"), None)
    return _plan(w, departments=[row]).departments.get()


PLAN_BODY = {
    "name": "Q1 bonus",
    "method": "target",
    "budget": 100000,
    "grade_coefficients": COEFFICIENTS,
}
case(
    "rewards.compensation",
    "create",
    "page",
    "hr",
    arrange=lambda w: w.company.direct,
    send=lambda c, e: submit(c, f"/reward/pay/{e.pk}/", base_monthly="20000"),
)
case(
    "rewards.compensation",
    "create",
    "api",
    "hr",
    arrange=lambda w: w.company.direct,
    send=lambda c, e: call(c, "put", f"/employees/{e.pk}/compensation", {"base_monthly": 20000}),
)
case(
    "rewards.compensation",
    "create",
    "api",
    "hr",
    name="import",
    source="import",
    arrange=lambda w: None,
    send=lambda c, _: c.post(
        f"{API}/compensation/import", {"file": _csv("pay.csv", "工号,月基本工资\r\nC011,20000\r\n")}
    ),
)
case(
    "rewards.compensation",
    "update",
    "page",
    "hr",
    arrange=_pay,
    send=lambda c, x: submit(c, f"/reward/pay/{x.employee_id}/", base_monthly="21000"),
    changed=("base_monthly",),
)
case(
    "rewards.compensation",
    "update",
    "api",
    "hr",
    arrange=_pay,
    send=lambda c, x: call(
        c,
        "put",
        f"/employees/{x.employee_id}/compensation",
        {"base_monthly": 21000, "version": x.version},
    ),
    changed=("base_monthly",),
)
not_offered("rewards.compensation", "delete", "Pay on record is changed, never deleted.")

case(
    "rewards.bonusplan",
    "create",
    "page",
    "hr",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: submit(
        c, "/reward/plans/", cycle=str(cy.pk), name="Q1 bonus", budget="100000"
    ),
)
case(
    "rewards.bonusplan",
    "create",
    "api",
    "hr",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: call(c, "post", f"/cycles/{cy.pk}/bonus-plans", PLAN_BODY),
)
case(
    "rewards.bonusplan",
    "update",
    "page",
    "hr",
    arrange=_plan,
    send=lambda c, p: submit(c, f"/reward/plans/{p.pk}/edit/", budget="90000"),
    changed=("budget",),
)
case(
    "rewards.bonusplan",
    "update",
    "api",
    "hr",
    arrange=_plan,
    send=lambda c, p: call(c, "patch", f"/bonus-plans/{p.pk}", {"version": p.version, "budget": 9}),
    changed=("budget",),
)
case(
    "rewards.bonusplan",
    "update",
    "page",
    "hr",
    name="compute",
    arrange=_plan,
    send=lambda c, p: submit(c, f"/reward/plans/{p.pk}/", action=f"/reward/plans/{p.pk}/compute/"),
    changed=("status",),
)
case(
    "rewards.bonusplan",
    "update",
    "api",
    "hr",
    name="compute",
    arrange=_plan,
    send=lambda c, p: call(c, "post", f"/bonus-plans/{p.pk}/compute"),
    changed=("status",),
)
case(
    "rewards.bonusplan",
    "update",
    "page",
    "hr",
    name="approve",
    arrange=_computed,
    send=lambda c, p: submit(c, f"/reward/plans/{p.pk}/", action=f"/reward/plans/{p.pk}/approve/"),
    changed=("status",),
)
case(
    "rewards.bonusplan",
    "update",
    "api",
    "hr",
    name="approve",
    arrange=_computed,
    send=lambda c, p: call(c, "post", f"/bonus-plans/{p.pk}/approve", {"version": p.version}),
    changed=("status",),
)
not_offered("rewards.bonusplan", "delete", "Bonus plans are kept (approved ones are final).")

# A plan's department rows are written as a set with the plan.
case(
    "rewards.plandepartment",
    "create",
    "page",
    "hr",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: submit(
        c,
        "/reward/plans/",
        cycle=str(cy.pk),
        name="Q1 bonus",
        budget="100000",
        departments="SALES 1.1",
    ),
    audited_as=parent("plan", AuditAction.CREATE),
    changed=("departments",),
)
case(
    "rewards.plandepartment",
    "create",
    "api",
    "hr",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: call(
        c,
        "post",
        f"/cycles/{cy.pk}/bonus-plans",
        {**PLAN_BODY, "departments": [{"department_id": _sales_pk(), "coefficient": 1.1}]},
    ),
    audited_as=parent("plan", AuditAction.CREATE),
    changed=("departments",),
)
case(
    "rewards.plandepartment",
    "delete",
    "page",
    "hr",
    name="replaced",
    arrange=_with_department,
    send=lambda c, d: submit(c, f"/reward/plans/{d.plan_id}/edit/", departments=""),
    audited_as=parent("plan"),
    changed=("departments",),
)
case(
    "rewards.plandepartment",
    "delete",
    "api",
    "hr",
    name="replaced",
    arrange=_with_department,
    send=lambda c, d: call(
        c, "patch", f"/bonus-plans/{d.plan_id}", {"version": d.plan.version, "departments": []}
    ),
    audited_as=parent("plan"),
    changed=("departments",),
)
not_offered(
    "rewards.plandepartment",
    "update",
    "A plan's department rows are replaced as a set when the plan is saved (the delete "
    "cases named 'replaced'), audited on the plan before and after.",
)


def _sales_pk() -> int:
    from perfcycle.org.models import Department

    return Department.objects.get(code="SALES").pk


# Bonus lines are computed as a set (summed up on the plan's event); each adjustment is
# audited on its line.
case(
    "rewards.bonusline",
    "create",
    "page",
    "hr",
    arrange=_plan,
    send=lambda c, p: submit(c, f"/reward/plans/{p.pk}/", action=f"/reward/plans/{p.pk}/compute/"),
    audited_as=parent("plan"),
    changed=("lines", "total"),
)
case(
    "rewards.bonusline",
    "create",
    "api",
    "hr",
    arrange=_plan,
    send=lambda c, p: call(c, "post", f"/bonus-plans/{p.pk}/compute"),
    audited_as=parent("plan"),
    changed=("lines", "total"),
)
case(
    "rewards.bonusline",
    "update",
    "page",
    "manager",
    arrange=_line,
    send=lambda c, x: submit(
        c,
        f"/reward/plans/{x.plan_id}/",
        action=f"/reward/lines/{x.pk}/adjust/",
        **{f"line{x.pk}-adjustment": "100", f"line{x.pk}-reason": "Carried the launch"},
    ),
    changed=("adjustment", "final_amount"),
)
case(
    "rewards.bonusline",
    "update",
    "api",
    "manager",
    arrange=_line,
    send=lambda c, x: call(
        c,
        "post",
        f"/bonus-lines/{x.pk}/adjust",
        {"adjustment": 100, "reason": "Carried the launch", "version": x.version},
    ),
    changed=("adjustment", "final_amount"),
)
case(
    "rewards.bonusline",
    "delete",
    "page",
    "hr",
    name="discarded",
    arrange=_line,
    send=lambda c, x: submit(c, f"/reward/plans/{x.plan_id}/edit/", budget="90000"),
    audited_as=parent("plan"),
    changed=("status",),
)
case(
    "rewards.bonusline",
    "delete",
    "api",
    "hr",
    name="discarded",
    arrange=_line,
    send=lambda c, x: call(
        c, "patch", f"/bonus-plans/{x.plan_id}", {"version": x.plan.version, "budget": 90000}
    ),
    audited_as=parent("plan"),
    changed=("status",),
)

MOTIVATORS = ["learning", "bonus", "promotion", "recognition", "flexible", "challenge"]
MOTIVATION_FORM = {m: str(i) for i, m in enumerate(MOTIVATORS, start=1)}


def _motivation(w: World) -> Any:
    from perfcycle.rewards.models import MotivationProfile

    return MotivationProfile.objects.create(
        employee=w.company.direct, motivators=list(reversed(MOTIVATORS))
    )


case(
    "rewards.motivationprofile",
    "create",
    "page",
    "direct",
    arrange=lambda w: None,
    send=lambda c, _: submit(c, "/reward/motivation/", **MOTIVATION_FORM),
)
case(
    "rewards.motivationprofile",
    "create",
    "api",
    "direct",
    arrange=lambda w: None,
    send=lambda c, _: call(c, "put", "/me/motivation", {"motivators": MOTIVATORS}),
)
case(
    "rewards.motivationprofile",
    "update",
    "page",
    "direct",
    arrange=_motivation,
    send=lambda c, _: submit(c, "/reward/motivation/", **MOTIVATION_FORM),
    changed=("motivators",),
)
case(
    "rewards.motivationprofile",
    "update",
    "api",
    "direct",
    arrange=_motivation,
    send=lambda c, _: call(c, "put", "/me/motivation", {"motivators": MOTIVATORS}),
    changed=("motivators",),
)
not_offered("rewards.motivationprofile", "delete", "A profile is reordered, never deleted.")


def _round(w: World, **values: Any) -> Any:
    from perfcycle.proposals.services import round_create

    cycle = _released(w).cycle
    _pay(w)
    values = {
        "kind": "salary_review",
        "name": "Q1 raises",
        "min_grade": "D",
        "cycles_considered": 1,
        "min_tenure_months": 0,
        **values,
    }
    return round_create(actor=w.user("hr"), cycle=cycle, **values)


def _proposal(w: World) -> Any:
    from perfcycle.proposals.services import proposal_nominate

    return proposal_nominate(
        actor=w.user("manager"),
        round=_round(w),
        employee=w.company.direct,
        justification=JUSTIFICATION,
        increase_pct=D(5),
    )


JUSTIFICATION = "Exceeded every sales target and coached two new hires."
case(
    "proposals.proposalround",
    "create",
    "page",
    "hr",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: submit(
        c, "/reward/proposals/", cycle=str(cy.pk), name="Q1 raises", min_grade="B"
    ),
)
case(
    "proposals.proposalround",
    "create",
    "api",
    "hr",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: call(
        c,
        "post",
        "/proposal-rounds",
        {"cycle_id": cy.pk, "kind": "salary_review", "name": "Q1 raises", "min_grade": "B"},
    ),
)
case(
    "proposals.proposalround",
    "update",
    "page",
    "hr",
    arrange=_round,
    send=lambda c, r: submit(c, f"/reward/proposals/rounds/{r.pk}/edit/", name="Q1 pay"),
    changed=("name",),
)
case(
    "proposals.proposalround",
    "update",
    "api",
    "hr",
    arrange=_round,
    send=lambda c, r: call(
        c, "patch", f"/proposal-rounds/{r.pk}", {"version": r.version, "name": "Q1 pay"}
    ),
    changed=("name",),
)
case(
    "proposals.proposalround",
    "update",
    "api",
    "hr",
    name="close",
    arrange=_round,
    send=lambda c, r: call(
        c, "patch", f"/proposal-rounds/{r.pk}", {"version": r.version, "status": "closed"}
    ),
    changed=("status",),
)
not_offered("proposals.proposalround", "delete", "Rounds are closed, never deleted.")

case(
    "proposals.proposal",
    "create",
    "page",
    "manager",
    arrange=_round,
    send=lambda c, r: submit(
        c,
        f"/reward/proposals/rounds/{r.pk}/nominate/{_pk('C011')}/",
        increase_pct="5",
        justification=JUSTIFICATION,
    ),
)
case(
    "proposals.proposal",
    "create",
    "api",
    "manager",
    arrange=_round,
    send=lambda c, r: call(
        c,
        "post",
        f"/proposal-rounds/{r.pk}/proposals",
        {"employee_id": _pk("C011"), "justification": JUSTIFICATION, "increase_pct": 5},
    ),
)
case(
    "proposals.proposal",
    "update",
    "page",
    "hr",
    name="approve",
    arrange=_proposal,
    send=lambda c, p: submit(
        c,
        f"/reward/proposals/{p.pk}/",
        action=f"/reward/proposals/{p.pk}/approve/",
        **{"approve-effective_on": "2026-12-01"},
    ),
    changed=("status", "decided_by"),
)
case(
    "proposals.proposal",
    "update",
    "api",
    "hr",
    name="reject",
    arrange=_proposal,
    send=lambda c, p: call(
        c,
        "post",
        f"/proposals/{p.pk}/reject",
        {"version": p.version, "reason": "Over the round's budget this time."},
    ),
    changed=("status", "decision_note"),
)
case(
    "proposals.proposal",
    "update",
    "page",
    "hr",
    name="return",
    arrange=_proposal,
    send=lambda c, p: submit(
        c,
        f"/reward/proposals/{p.pk}/",
        action=f"/reward/proposals/{p.pk}/return/",
        **{"return-reason": "Say more about the coaching."},
    ),
    changed=("status", "return_reason"),
)
case(
    "proposals.proposal",
    "update",
    "api",
    "hr",
    name="endorse",
    arrange=_proposal,
    send=lambda c, p: call(c, "post", f"/proposals/{p.pk}/endorse", {"version": p.version}),
    changed=("status", "endorsed_by"),
)
not_offered("proposals.proposal", "delete", "Proposals are withdrawn or decided, never deleted.")

# The raise or promotion an approval applies is audited on the pay or the person.
case(
    "rewards.compensation",
    "update",
    "api",
    "hr",
    name="raise",
    arrange=lambda w: _proposal(w).employee.compensation,
    send=lambda c, x: call(
        c,
        "post",
        f"/proposals/{x.employee.proposals.get().pk}/approve",
        {"effective_on": "2026-12-01"},
    ),
    changed=("base_monthly",),
)


# Improve: improvement plans -----------------------------------------------------------


def _improvement_settings(w: World) -> Any:
    from perfcycle.improvement.models import ImprovementSettings

    return ImprovementSettings.objects.create(cycle=_released(w).cycle, trigger_grades=["C", "D"])


def _low_result(w: World) -> Any:
    """Dan's released D, which leads to a proposed plan."""
    return _released(w, grade="D", computed_grade="D")


def _improvement_plan(w: World, status: str = "active") -> Any:
    from perfcycle.improvement.models import ImprovementPlan

    result = _low_result(w)
    return ImprovementPlan.objects.create(
        cycle=result.cycle,
        employee=result.employee,
        manager=w.company.manager,
        result=result,
        status=status,
        reason="Final grade D",
        start_date=dt.date(2026, 11, 1),
        end_date=dt.date(2027, 1, 31),
    )


def _plan_part(model_name: str, **values: Any) -> Callable[[World], Any]:
    def make(w: World) -> Any:
        model = apps.get_model("improvement", model_name)
        return model.objects.create(plan=_improvement_plan(w), **values)

    return make


def _plan_action(c: Client, plan: Any, name: str, **fields: Any) -> Any:
    return c.post(f"/improve/plans/{plan.pk}/{name}/", {"version": plan.version, **fields})


def _plan_patch(c: Client, plan: Any, **body: Any) -> Any:
    return call(c, "patch", f"/improvement-plans/{plan.pk}", {"version": plan.version, **body})


case(
    "improvement.improvementsettings",
    "create",
    "page",
    "hr",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: c.post(f"/improve/cycles/{cy.pk}/settings/", {"grades": ["C", "D"]}),
)
case(
    "improvement.improvementsettings",
    "create",
    "api",
    "hr",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: call(c, "put", f"/cycles/{cy.pk}/improvement-settings", {"grades": ["D"]}),
)
case(
    "improvement.improvementsettings",
    "update",
    "page",
    "hr",
    arrange=_improvement_settings,
    send=lambda c, x: c.post(f"/improve/cycles/{x.cycle_id}/settings/", {"grades": ["D"]}),
    changed=("trigger_grades",),
)
case(
    "improvement.improvementsettings",
    "update",
    "api",
    "hr",
    arrange=_improvement_settings,
    send=lambda c, x: call(
        c, "put", f"/cycles/{x.cycle_id}/improvement-settings", {"grades": ["D"]}
    ),
    changed=("trigger_grades",),
)
not_offered("improvement.improvementsettings", "delete", "A cycle's settings are kept.")

case(
    "improvement.improvementplan",
    "create",
    "page",
    "hr",
    arrange=lambda w: _low_result(w).cycle,
    send=lambda c, cy: submit(
        c, f"/improve/?cycle={cy.pk}", action=f"/improve/cycles/{cy.pk}/propose/"
    ),
)
case(
    "improvement.improvementplan",
    "create",
    "api",
    "hr",
    arrange=lambda w: _low_result(w).cycle,
    send=lambda c, cy: call(c, "post", f"/cycles/{cy.pk}/improvement-plans/propose"),
)
case(
    "improvement.improvementplan",
    "create",
    "page",
    "manager",
    name="started",
    arrange=lambda w: w.company.direct,
    send=lambda c, e: submit(c, "/improve/plans/new/", employee=e.pk, reason="Missed deadlines"),
)
case(
    "improvement.improvementplan",
    "create",
    "api",
    "manager",
    name="started",
    arrange=lambda w: w.company.direct,
    send=lambda c, e: call(
        c, "post", "/improvement-plans", {"employee_id": e.pk, "reason": "Missed deadlines"}
    ),
)
case(
    "improvement.improvementplan",
    "update",
    "page",
    "manager",
    arrange=_improvement_plan,
    send=lambda c, p: submit(c, f"/improve/plans/{p.pk}/edit/", reason="Forecasts off by 30%"),
    changed=("reason",),
)
case(
    "improvement.improvementplan",
    "update",
    "api",
    "manager",
    arrange=_improvement_plan,
    send=lambda c, p: _plan_patch(c, p, reason="Forecasts off by 30%"),
    changed=("reason",),
)
case(
    "improvement.improvementplan",
    "update",
    "page",
    "manager",
    name="close",
    arrange=_improvement_plan,
    send=lambda c, p: _plan_action(
        c, p, "close", outcome="completed", reason="Forecasts within 10%"
    ),
    changed=("status",),
)
case(
    "improvement.improvementplan",
    "update",
    "api",
    "manager",
    name="close",
    arrange=_improvement_plan,
    send=lambda c, p: call(
        c,
        "post",
        f"/improvement-plans/{p.pk}/close",
        {"outcome": "completed", "reason": "Forecasts within 10%", "version": p.version},
    ),
    changed=("status",),
)
not_offered("improvement.improvementplan", "delete", "Plans are closed, never deleted.")

PARTS = (
    ("improvement.plangoal", "goal", {"description": "Forecast within 10%"}),
    ("improvement.plansupport", "support", {"kind": "mentor", "description": "Weekly 1:1"}),
    ("improvement.planreview", "review", {"scheduled_for": "2026-12-15"}),
)
API_PARTS = {
    "goal": lambda c, p: _plan_patch(c, p, goals=[{"description": "Forecast within 10%"}]),
    "support": lambda c, p: _plan_patch(
        c, p, support=[{"kind": "mentor", "description": "Weekly 1:1"}]
    ),
    "review": lambda c, p: _plan_patch(c, p, review_dates=["2026-12-15"]),
    "training": lambda c, p: _plan_patch(c, p, course_ids=[_course().pk]),
}
for model, part, fields in PARTS:
    case(
        model,
        "create",
        "page",
        "manager",
        arrange=_improvement_plan,
        send=lambda c, p, part=part, fields=fields: _plan_action(c, p, part, **fields),
    )
    case(
        model,
        "create",
        "api",
        "manager",
        arrange=_improvement_plan,
        send=API_PARTS[part],
    )
case(
    "improvement.plantraining",
    "create",
    "page",
    "manager",
    arrange=_improvement_plan,
    send=lambda c, p: _plan_action(c, p, "training", course=str(_course().pk)),
)
case(
    "improvement.plantraining",
    "create",
    "api",
    "manager",
    arrange=_improvement_plan,
    send=API_PARTS["training"],
)
case(
    "improvement.planreview",
    "update",
    "page",
    "manager",
    name="log",
    arrange=_plan_part("PlanReview", scheduled_for=dt.date(2026, 11, 15)),
    send=lambda c, r: _plan_action(
        c,
        r.plan,
        "log",
        review=str(r.pk),
        held_on="2026-11-15",
        progress="some",
        notes="Forecasts closer",
    ),
    changed=("held_on", "notes"),
)
case(
    "improvement.planreview",
    "update",
    "api",
    "manager",
    name="log",
    arrange=_plan_part("PlanReview", scheduled_for=dt.date(2026, 11, 15)),
    send=lambda c, r: call(
        c,
        "post",
        f"/improvement-plans/{r.plan_id}/reviews",
        {"review_id": r.pk, "held_on": "2026-11-15", "progress": "some", "notes": "Closer"},
    ),
    changed=("held_on", "notes"),
)
for model in (
    "improvement.plangoal",
    "improvement.plansupport",
    "improvement.plantraining",
    "improvement.planreview",
):
    if model != "improvement.planreview":
        not_offered(model, "update", "Parts of a plan are added, not edited.")
    not_offered(
        model,
        "delete",
        "No page or API removes a part of a plan (the service that does is audited).",
    )


# Improve: the retrospective, target proposals, roll-over ----------------------------


def _retro(w: World) -> Any:
    from perfcycle.retrospective.models import RetroSettings

    cycle = _released(w).cycle
    return RetroSettings.objects.create(
        cycle=cycle,
        opened_at=timezone.now(),
        closes_on=timezone.localdate() + dt.timedelta(days=7),
        anonymity_minimum=3,
    )


def _easy_calls(w: World) -> Any:
    """A results-phase cycle whose "calls" target everyone beat by far."""
    cycle = _released(w).cycle
    calls = IndicatorFactory(code="CALLS", name="Calls")
    for person, actual in (("manager", 130), ("direct", 140), ("indirect", 150)):
        w.goal(
            person,
            phase="results",
            indicator=calls,
            title="Calls",
            target=100,
            stretch=120,
            current_value=actual,
        )
    return cycle


def _target_proposal(w: World, status: str = "proposed") -> Any:
    from perfcycle.retrospective.models import TargetProposal

    cycle = _easy_calls(w)
    return TargetProposal.objects.create(
        cycle=cycle,
        indicator=cycle.goals.first().indicator,
        current_target=D(100),
        proposed_target=D(130),
        reasoning="Everyone beat it",
        status=status,
    )


def _closed(w: World) -> Any:
    cycle = _released(w).cycle
    w.goal(phase="results", title="Win customers")
    type(cycle).objects.filter(pk=cycle.pk).update(phase="closed")
    return cycle


case(
    "retrospective.retrosettings",
    "create",
    "page",
    "hr",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: submit(c, "/improve/loop/", action=f"/improve/loop/cycles/{cy.pk}/open/"),
)
case(
    "retrospective.retrosettings",
    "create",
    "api",
    "hr",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: call(
        c, "post", f"/cycles/{cy.pk}/retrospective/open", {"closes_on": "2026-12-31"}
    ),
)
case(
    "retrospective.retrosettings",
    "create",
    "page",
    "hr",
    name="close",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: submit(c, "/improve/loop/", action=f"/improve/loop/cycles/{cy.pk}/close/"),
)
case(
    "retrospective.retrosettings",
    "create",
    "api",
    "hr",
    name="close",
    arrange=lambda w: _released(w).cycle,
    send=lambda c, cy: call(c, "post", f"/cycles/{cy.pk}/close", {"version": cy.version}),
)
for op in ("update", "delete"):
    not_offered(
        "retrospective.retrosettings", op, "A retrospective is opened once and kept as opened."
    )

RETRO_ANSWER = {"clarity": 4, "fairness": 3, "coaching": 5, "comment": "Clear goals"}
case(
    "retrospective.retroresponse",
    "create",
    "page",
    "direct",
    arrange=_retro,
    send=lambda c, x: c.post(
        f"/improve/loop/cycles/{x.cycle_id}/answer/", {k: str(v) for k, v in RETRO_ANSWER.items()}
    ),
)
case(
    "retrospective.retroresponse",
    "create",
    "api",
    "direct",
    arrange=_retro,
    send=lambda c, x: call(c, "post", f"/cycles/{x.cycle_id}/retrospective/answers", RETRO_ANSWER),
)
for op in ("update", "delete"):
    not_offered("retrospective.retroresponse", op, "One anonymous answer each, kept as given.")


def _retro_goal(w: World) -> Any:
    settings = _retro(w)
    settings.goal = w.goal(phase="results", title="Win customers")
    return settings


case(
    "retrospective.goalverdict",
    "create",
    "page",
    "direct",
    arrange=_retro_goal,
    send=lambda c, x: c.post(
        f"/improve/loop/cycles/{x.cycle_id}/answer/",
        {**{k: str(v) for k, v in RETRO_ANSWER.items()}, f"verdict_{x.goal.pk}": "too_high"},
    ),
    audited_as=parent("response", AuditAction.CREATE),
    changed=("verdicts",),
)
case(
    "retrospective.goalverdict",
    "create",
    "api",
    "direct",
    arrange=_retro_goal,
    send=lambda c, x: call(
        c,
        "post",
        f"/cycles/{x.cycle_id}/retrospective/answers",
        {**RETRO_ANSWER, "verdicts": {str(x.goal.pk): "too_high"}},
    ),
    audited_as=parent("response", AuditAction.CREATE),
    changed=("verdicts",),
)
for op in ("update", "delete"):
    not_offered("retrospective.goalverdict", op, "Verdicts are part of an anonymous answer.")

case(
    "retrospective.targetproposal",
    "create",
    "page",
    "hr",
    arrange=_easy_calls,
    send=lambda c, cy: submit(
        c,
        f"/improve/loop/cycles/{cy.pk}/targets/",
        action=f"/improve/loop/cycles/{cy.pk}/targets/generate/",
    ),
)
case(
    "retrospective.targetproposal",
    "create",
    "api",
    "hr",
    arrange=_easy_calls,
    send=lambda c, cy: call(c, "post", f"/cycles/{cy.pk}/target-proposals/generate"),
)
case(
    "retrospective.targetproposal",
    "update",
    "page",
    "hr",
    name="approve",
    arrange=_target_proposal,
    send=lambda c, x: c.post(
        f"/improve/loop/proposals/{x.pk}/approve/", {"version": x.version, "note": "Agreed"}
    ),
    changed=("status",),
)
case(
    "retrospective.targetproposal",
    "update",
    "api",
    "hr",
    name="reject",
    arrange=_target_proposal,
    send=lambda c, x: call(
        c,
        "post",
        f"/target-proposals/{x.pk}/reject",
        {"note": "The market shrinks", "version": x.version},
    ),
    changed=("status",),
)
case(
    "retrospective.targetproposal",
    "delete",
    "page",
    "hr",
    name="replaced",
    arrange=_target_proposal,
    send=lambda c, x: submit(
        c,
        f"/improve/loop/cycles/{x.cycle_id}/targets/",
        action=f"/improve/loop/cycles/{x.cycle_id}/targets/generate/",
    ),
)
case(
    "retrospective.targetproposal",
    "delete",
    "api",
    "hr",
    name="replaced",
    arrange=_target_proposal,
    send=lambda c, x: call(c, "post", f"/cycles/{x.cycle_id}/target-proposals/generate"),
)

case(
    "retrospective.rollover",
    "create",
    "page",
    "hr",
    arrange=_closed,
    send=lambda c, cy: submit(c, f"/improve/loop/cycles/{cy.pk}/roll-over/"),
)
case(
    "retrospective.rollover",
    "create",
    "api",
    "hr",
    arrange=_closed,
    send=lambda c, cy: call(c, "post", f"/cycles/{cy.pk}/roll-over", {}),
)
for op in ("update", "delete"):
    not_offered("retrospective.rollover", op, "The record of a roll-over is kept.")
# Rolling over makes the next cycle with a goal sheet per person.
case(
    "planning.goalsheet",
    "create",
    "api",
    "hr",
    name="rollover",
    arrange=_closed,
    send=lambda c, cy: call(c, "post", f"/cycles/{cy.pk}/roll-over", {}),
)


# More ways the same objects change ------------------------------------------------------

EMPLOYEES_CSV = "工号,姓名,上级工号,部门编码\r\nN200,新同事,C010,SALES\r\n"
DEPARTMENTS_CSV = "部门编码,部门名称,上级部门编码\r\nEAST,华东区,SALES\r\n"
ACTUALS_CSV = "工号,指标编码,期间,实际值\r\nC011,NEWCUST,2026-01,5\r\n"
case(
    "org.department",
    "create",
    "api",
    "hr",
    name="import",
    source="import",
    arrange=lambda w: None,
    send=lambda c, _: c.post(
        f"{API}/departments/import", {"file": _csv("departments.csv", DEPARTMENTS_CSV)}
    ),
)


def import_summary(kind: str) -> Callable[[Any], tuple[str, str, str]]:
    """Rows created by a bulk import that records one summary event per file (who, the
    file's name and SHA-256, how many rows were created and updated) instead of one event
    per new row; the new rows carry the import's time. Changes of existing rows are
    audited one by one."""
    return lambda row: (f"import.{kind}", "", AuditAction.IMPORT)


case(
    "org.employee",
    "create",
    "api",
    "hr",
    name="import",
    source="import",
    arrange=lambda w: None,
    send=lambda c, _: c.post(
        f"{API}/employees/import", {"file": _csv("employees.csv", EMPLOYEES_CSV)}
    ),
    audited_as=import_summary("employees"),
    changed=("created", "sha256"),
)
case(
    "monitoring.actual",
    "create",
    "api",
    "hr",
    name="import",
    source="import",
    arrange=lambda w: _tracked(w, indicator=IndicatorFactory(code="NEWCUST")),
    send=lambda c, g: c.post(
        f"{API}/cycles/{g.cycle_id}/actuals/import", {"file": _csv("actuals.csv", ACTUALS_CSV)}
    ),
    audited_as=import_summary("actuals"),
    changed=("created", "sha256"),
)
case(
    "planning.goalsheet",
    "update",
    "api",
    "manager",
    name="approve",
    arrange=lambda w: _sheet(w, "proposed"),
    send=lambda c, sh: call(c, "post", f"/sheets/{sh.pk}/approve", {"version": sh.version}),
    changed=("status",),
)
case(
    "planning.goalsheet",
    "update",
    "page",
    "manager",
    name="return",
    arrange=lambda w: _sheet(w, "proposed"),
    send=lambda c, sh: c.post(
        f"/plan/sheets/{sh.pk}/return/", {"version": sh.version, "reason": "Aim higher"}
    ),
    changed=("status",),
)
case(
    "evaluation.reviewform",
    "update",
    "api",
    "manager",
    name="approve",
    arrange=_nominated,
    send=lambda c, f: call(c, "post", f"/review-forms/{f.pk}/approve", {"version": f.version}),
    changed=("status",),
)
case(
    "evaluation.reviewform",
    "update",
    "page",
    "manager",
    name="decline",
    arrange=_nominated,
    send=lambda c, f: c.post(
        f"/evaluate/cycles/{f.cycle_id}/peers/{f.pk}/decline/",
        {"reason": "Works with Dan rarely", "version": f.version},
    ),
    changed=("status",),
)


def _locked_session(w: World) -> Any:
    session = _session(w)
    type(session).objects.filter(pk=session.pk).update(status="locked")
    session.refresh_from_db()
    return session


case(
    "calibration.calibrationsession",
    "update",
    "page",
    "hr",
    name="unlock",
    arrange=_locked_session,
    send=lambda c, s: c.post(
        f"/calibrate/sessions/{s.pk}/unlock/", {"reason": "One more case to discuss"}
    ),
    changed=("status",),
)
case(
    "calibration.calibrationsession",
    "update",
    "api",
    "hr",
    name="unlock",
    arrange=_locked_session,
    send=lambda c, s: call(
        c, "post", f"/calibration-sessions/{s.pk}/unlock", {"reason": "One more case"}
    ),
    changed=("status",),
)
case(
    "calibration.calibrationsession",
    "update",
    "page",
    "hr",
    name="sign-off",
    arrange=_locked_session,
    send=lambda c, s: c.post(f"/calibrate/sessions/{s.pk}/sign-off/"),
    changed=("status",),
)
case(
    "calibration.calibrationsession",
    "update",
    "api",
    "hr",
    name="sign-off",
    arrange=_locked_session,
    send=lambda c, s: call(c, "post", f"/calibration-sessions/{s.pk}/sign-off"),
    changed=("status",),
)
case(
    "calibration.result",
    "update",
    "page",
    "manager",
    name="potential",
    arrange=_in_session,
    send=lambda c, r: c.post(
        f"/calibrate/sessions/{r.session.pk}/potential/",
        {"result": r.pk, "version": r.version, "potential": "high", "reason": "Leads others"},
    ),
    changed=("potential",),
)


def _returned(w: World) -> Any:
    from perfcycle.proposals.services import proposal_return

    return proposal_return(
        actor=w.user("hr"), proposal=_proposal(w), reason="Say more about the coaching."
    )


case(
    "proposals.proposal",
    "update",
    "api",
    "manager",
    name="edit",
    arrange=_returned,
    send=lambda c, p: call(
        c,
        "patch",
        f"/proposals/{p.pk}",
        {"version": p.version, "justification": JUSTIFICATION + " Coached two."},
    ),
    changed=("justification",),
)
case(
    "proposals.proposal",
    "update",
    "page",
    "manager",
    name="withdraw",
    arrange=_proposal,
    send=lambda c, p: c.post(f"/reward/proposals/{p.pk}/withdraw/", {"version": p.version}),
    changed=("status",),
)
case(
    "proposals.proposal",
    "update",
    "api",
    "manager",
    name="resubmit",
    arrange=_returned,
    send=lambda c, p: call(c, "post", f"/proposals/{p.pk}/resubmit", {"version": p.version}),
    changed=("status",),
)
case(
    "proposals.proposalround",
    "update",
    "page",
    "hr",
    name="close",
    arrange=_round,
    send=lambda c, r: c.post(
        f"/reward/proposals/rounds/{r.pk}/edit/", {"version": r.version, "close": "1"}
    ),
    changed=("status",),
)


def _proposed_plan(w: World) -> Any:
    from perfcycle.improvement.models import PlanGoal

    plan = _improvement_plan(w, "proposed")
    PlanGoal.objects.create(plan=plan, description="Forecast within 10%")
    return plan


for channel, send in (
    ("page", lambda c, p: _plan_action(c, p, "activate")),
    ("api", lambda c, p: call(c, "post", f"/improvement-plans/{p.pk}/activate", {})),
):
    case(
        "improvement.improvementplan",
        "update",
        channel,
        "manager",
        name="activate",
        arrange=_proposed_plan,
        send=send,
        changed=("status",),
    )
for channel, send in (
    ("page", lambda c, p: _plan_action(c, p, "acknowledge")),
    ("api", lambda c, p: call(c, "post", f"/improvement-plans/{p.pk}/acknowledge", {})),
):
    case(
        "improvement.improvementplan",
        "update",
        channel,
        "direct",
        name="acknowledge",
        arrange=_improvement_plan,
        send=send,
        changed=("acknowledged_at",),
    )


def _carried(w: World) -> Any:
    plan = _proposed_plan(w)
    plan.next_cycle = w.cycle("planning")
    return plan


case(
    "improvement.improvementplan",
    "update",
    "api",
    "manager",
    name="carry",
    arrange=_carried,
    send=lambda c, p: call(
        c, "post", f"/improvement-plans/{p.pk}/carry", {"cycle_id": p.next_cycle.pk}
    ),
    changed=("carried_into",),
)
case(
    "improvement.improvementplan",
    "update",
    "page",
    "manager",
    name="carry",
    arrange=_carried,
    send=lambda c, p: _plan_action(c, p, "carry", cycle=str(p.next_cycle.pk)),
    changed=("carried_into",),
)
case(
    "retrospective.targetproposal",
    "update",
    "api",
    "hr",
    name="approve",
    arrange=_target_proposal,
    send=lambda c, x: call(
        c, "post", f"/target-proposals/{x.pk}/approve", {"note": "Agreed", "version": x.version}
    ),
    changed=("status",),
)


# The checks ------------------------------------------------------------------------------

# (keep the case tables above this line)


def project_models() -> dict[str, type[models.Model]]:
    return {
        m._meta.label_lower: m
        for m in apps.get_models()
        if m.__module__.startswith(PROJECT_APPS) and m._meta.managed
    }


def test_every_model_and_operation_is_declared() -> None:
    found = set(project_models())
    audited = {c.model for c in CASES}
    assert not audited & set(EXEMPT), "a model is both audited and exempt"
    assert found == audited | set(EXEMPT), (
        f"undeclared: {sorted(found - audited - set(EXEMPT))}; "
        f"unknown: {sorted((audited | set(EXEMPT)) - found)}"
    )
    missing, both = [], []
    for model in sorted(audited):
        for op in OPERATIONS:
            for channel in CHANNELS:
                has_case = any(
                    c.model == model and c.op == op and c.channel == channel for c in CASES
                )
                reason = (model, op) in NOT_OFFERED or (model, op, channel) in NOT_OFFERED
                if not has_case and not reason:
                    missing.append(f"{model} {op} {channel}")
                if has_case and reason:
                    both.append(f"{model} {op} {channel}")
    assert not missing, f"no case and no reason for: {missing}"
    assert not both, f"a case and a reason for: {both}"
    stale = [k for k in NOT_OFFERED if k[0] not in audited]
    assert not stale, f"reasons for models without cases: {stale}"
    assert len({c.id for c in CASES}) == len(CASES), "two cases share an id"


def _problems(response: Any) -> Any:
    """What a refused request said: the API's error, or a page's form errors."""
    text = getattr(response, "content", b"").decode(errors="replace")
    if response.get("Content-Type", "").startswith(JSON):
        return text[:1000]
    return re.findall(r'class="errorlist[^"]*">(.*?)</ul>', text, re.S) or text[:300]


def same_value(a: Any, b: Any) -> bool:
    """Equal, counting ``"25"`` and ``"25.0000"`` as the same number."""
    if isinstance(a, str) and isinstance(b, str) and a != b:
        try:
            return D(a) == D(b)
        except ArithmeticError:
            return False
    return a == b


def _expected(case: Case, row: models.Model, action: str) -> tuple[str, str, str]:
    if case.audited_as is not None:
        expected = case.audited_as(row)
        if len(expected) == 3:  # (object type, object id, action): not a row
            return expected  # type: ignore[return-value]
        row, action = expected
    return row._meta.label_lower, str(row.pk), action


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_operation_is_audited(case: Case, world: World) -> None:
    model = project_models()[case.model]
    context = case.arrange(world)
    client = world.client(case.who, case.channel)
    row = None
    if case.op != "create":
        row = (case.target or _same)(context)
        assert isinstance(row, model), f"{case.id}: the target is not a {case.model}"
        before_values = snapshot(model.objects.get(pk=row.pk))
    existing = set(model.objects.values_list("pk", flat=True))
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    response = case.send(client, context)

    assert response.status_code in case.ok, (case.id, response.status_code, _problems(response))
    events = list(AuditEvent.objects.filter(pk__gt=mark).order_by("pk"))
    user = world.user(case.who)
    source = case.source or ("web" if case.channel == "page" else "api")

    def find(object_type: str, object_id: str, action: str) -> AuditEvent:
        matching = [
            e
            for e in events
            if (e.object_type, e.object_id, e.action) == (object_type, object_id, action)
        ]
        assert matching, (
            f"{case.id}: no {action} event on {object_type} #{object_id}; events: "
            f"{[(e.object_type, e.object_id, e.action) for e in events]}"
        )
        event = matching[-1]
        assert (event.actor_id, event.actor_label, event.source) == (
            user.pk,
            user.username,
            source,
        ), case.id
        return event

    if case.op == "create":
        new = list(model.objects.exclude(pk__in=existing))
        assert new, f"{case.id}: nothing was created"
        for created in new:
            event = find(*_expected(case, created, AuditAction.CREATE))
            assert event.after, f"{case.id}: a create event without the values"
            for name in case.changed:
                assert name in event.after, (case.id, name, event.after)
    elif case.op == "update":
        assert row is not None
        fresh = model.objects.get(pk=row.pk)
        now_values = snapshot(fresh)
        event = find(*_expected(case, fresh, AuditAction.UPDATE))
        assert case.changed, f"{case.id}: name the fields the change shows"
        for name in case.changed:
            if name in now_values:
                assert now_values[name] != before_values[name], f"{case.id}: {name} unchanged"
            assert event.before is not None and name in event.before, (case.id, event.before)
            assert event.after is not None and name in event.after, (case.id, event.after)
            assert event.before[name] != event.after[name], (case.id, name)
            if name in now_values and case.audited_as is None:
                assert same_value(event.after[name], now_values[name]), (case.id, name, event.after)
    else:
        assert row is not None
        gone = not model.objects.filter(pk=row.pk).exists()
        assert gone, f"{case.id}: the row is still there"
        event = find(*_expected(case, row, AuditAction.DELETE))
        assert event.before, f"{case.id}: a delete event without the values"
        for name in case.changed:
            assert name in event.before, (case.id, name, event.before)


# The trail itself cannot be changed through the application ----------------------------

WRITE_METHODS = ("post", "put", "patch", "delete")
# Writing to the trail, anywhere: making, saving, changing or deleting events.
WRITES = re.compile(
    r"AuditEvent\s*\(|AuditEvent\.objects\.(create|bulk_create|update|bulk_update|delete|"
    r"get_or_create|update_or_create)\b|\.(save|delete)\(\)"
)
AUDIT_WRITER = Path("perfcycle/audit/services.py")


def _url_patterns() -> list[tuple[str, Any]]:
    """Every page route: (its path pattern, its view)."""
    found: list[tuple[str, Any]] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, prefix + str(pattern.pattern))
            else:
                found.append((prefix + str(pattern.pattern), pattern.callback))

    walk(get_resolver(), "/")
    return found


@pytest.fixture
def event(company: Any) -> AuditEvent:
    from perfcycle.audit.services import audit_record

    return audit_record(
        actor=company.hr,
        action=AuditAction.UPDATE,
        instance=company.direct,
        before={"job_title": "Engineer"},
        after={"job_title": "Lead"},
    )


def test_the_trails_pages_only_read(company: Any, event: AuditEvent) -> None:
    routes = [
        (path, view)
        for path, view in _url_patterns()
        if getattr(view, "__module__", "").startswith("perfcycle.audit")
    ]
    assert routes, "the audit trail has a page"
    client = Client()
    client.force_login(company.hr)
    for path, _view in routes:
        assert "<" not in path, f"{path}: a page about one event would need a check here"
        assert client.get(path).status_code == 200
        for method in WRITE_METHODS:
            assert getattr(client, method)(path).status_code == 405, (method, path)
    assert list(AuditEvent.objects.values_list("pk", "object_repr", "after")) == [
        (event.pk, event.object_repr, event.after)
    ]


def test_the_api_offers_no_way_to_change_the_trail() -> None:
    from perfcycle.api.urls import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            about_audit = "audit" in path.lower() or any(
                "audit" in str(tag).lower() for tag in operation.get("tags", [])
            )
            if about_audit:
                assert method == "get", f"{method.upper()} {path} would change the audit trail"
    view_modules = {
        getattr(op.view_func, "__module__", "")
        for router in [api.default_router, *(r for _p, r in api._routers)]
        for path_view in router.path_operations.values()
        for op in path_view.operations
    }
    assert not [m for m in view_modules if m.startswith("perfcycle.audit")]


def test_only_the_audit_services_write_events() -> None:
    """Apart from ``audit.services`` (which inserts), code that names ``AuditEvent`` only
    reads it: no line that names it makes, saves, changes or deletes one."""
    root = Path(__file__).resolve().parent.parent
    offenders = []
    for path in sorted((root / "perfcycle").rglob("*.py")):
        relative = path.relative_to(root)
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        if relative in (AUDIT_WRITER, Path("perfcycle/audit/models.py")):
            continue
        text = path.read_text(encoding="utf-8")
        if "AuditEvent" not in text and "audit_auditevent" not in text:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if ("AuditEvent" in line and WRITES.search(line)) or "audit_auditevent" in line:
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, offenders


def test_the_orm_refuses_to_change_or_delete_an_event(event: AuditEvent) -> None:
    written = (event.object_repr, event.before, event.after)
    event.object_repr = "tampered"
    with pytest.raises(AuditImmutable):
        event.save()
    with pytest.raises(AuditImmutable):
        event.save(update_fields=["object_repr"])
    with pytest.raises(AuditImmutable):
        event.delete()
    events = AuditEvent.objects.filter(pk=event.pk)
    for attempt in (
        lambda: events.update(object_repr="tampered"),
        lambda: events.delete(),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent.objects.bulk_update([event], ["object_repr"]),
        lambda: AuditEvent.objects.update_or_create(pk=event.pk, defaults={"reason": "x"}),
    ):
        with pytest.raises(AuditImmutable):
            attempt()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.object_repr, stored.before, stored.after) == written


def test_the_database_refuses_updates_that_bypass_the_model(event: AuditEvent) -> None:
    """A plain manager, an upsert or raw SQL: the database's trigger refuses each."""
    plain = AuditEvent._base_manager.filter(pk=event.pk)
    upsert = AuditEvent(
        pk=event.pk,
        at=event.at,
        action=event.action,
        source=event.source,
        object_type=event.object_type,
        object_repr="tampered",
    )
    for attempt in (
        lambda: models.QuerySet.update(plain, object_repr="tampered"),
        lambda: models.QuerySet.bulk_create(
            AuditEvent._base_manager.all(),
            [upsert],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["object_repr"],
        ),
        lambda: _raw("UPDATE audit_auditevent SET object_repr = 'x' WHERE id = %s", event.pk),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert AuditEvent.objects.get(pk=event.pk).object_repr != "tampered"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's DELETE trigger")
def test_postgresql_refuses_deletes_that_bypass_the_model(event: AuditEvent) -> None:
    for attempt in (
        lambda: models.QuerySet.delete(AuditEvent._base_manager.filter(pk=event.pk)),
        lambda: _raw("DELETE FROM audit_auditevent WHERE id = %s", event.pk),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def _raw(sql: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)

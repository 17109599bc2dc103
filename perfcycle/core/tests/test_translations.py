"""The Simplified Chinese catalog is complete, compiled, and actually used by the pages.

No gettext tools are needed here: the .po is read by the small parser below and the .mo by
the standard library. When a test fails after strings changed, refresh the catalog (see
the README: makemessages, translate, compilemessages).
"""

from __future__ import annotations

import ast
import gettext
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import translation

from perfcycle.accounts.models import User
from perfcycle.audit.models import AuditEvent

LC_MESSAGES = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"


# A small .po reader ------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0
    obsolete: bool = False

    @property
    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {context}{self.msgid!r}"


def parse_po(text: str) -> list[Entry]:
    """Entries of a .po file, the header (msgid "") included, obsolete ones (#~) left out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # where a continuation line ("...") goes

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        after_msgstr = target is not None and target[0] == "msgstr"
        if not line or (after_msgstr and line.startswith(("#", "msgctxt ", "msgid "))):
            if entry is not None:
                entries.append(entry)
            entry, target = None, None
            if not line:
                continue
        if entry is None:
            entry = Entry(line=number)
        if line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            entry.msgctxt = ast.literal_eval(line[len("msgctxt ") :])
            target = ("msgctxt", 0)
        elif line.startswith("msgid_plural "):
            entry.msgid_plural = ast.literal_eval(line[len("msgid_plural ") :])
            target = ("msgid_plural", 0)
        elif line.startswith("msgid "):
            entry.msgid = ast.literal_eval(line[len("msgid ") :])
            entry.line = number
            target = ("msgid", 0)
        elif line.startswith("msgstr["):
            index = int(line[len("msgstr[") : line.index("]")])
            entry.msgstr[index] = ast.literal_eval(line[line.index("]") + 1 :].strip())
            target = ("msgstr", index)
        elif line.startswith("msgstr "):
            entry.msgstr[0] = ast.literal_eval(line[len("msgstr ") :])
            target = ("msgstr", 0)
        elif line.startswith('"') and target is not None:
            kind, index = target
            more = ast.literal_eval(line)
            if kind == "msgstr":
                entry.msgstr[index] += more
            else:
                setattr(entry, kind, getattr(entry, kind) + more)
        else:
            raise ValueError(f"line {number}: cannot read {raw!r}")
    if entry is not None:
        entries.append(entry)
    return [e for e in entries if not e.obsolete]


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.msgid != ""]


def test_parser_reads_multiline_plural_and_context_entries():
    text = (
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#: a.py:1\n#, python-format\nmsgid ""\n"Long %(a)s "\n"text"\nmsgstr "长 %(a)s"\n\n'
        'msgctxt "person"\nmsgid "Name"\nmsgstr "姓名"\n\n'
        'msgid "%(n)s item"\nmsgid_plural "%(n)s items"\nmsgstr[0] "%(n)s 项"\n\n'
        '#~ msgid "Old"\n#~ msgstr "旧"\n'
    )
    header, long, named, plural = parse_po(text)
    assert header.msgstr[0] == "Language: zh_Hans\n"
    assert (long.msgid, long.msgstr[0], long.flags) == (
        "Long %(a)s text",
        "长 %(a)s",
        {"python-format"},
    )
    assert (named.msgctxt, named.msgid, named.msgstr[0]) == ("person", "Name", "姓名")
    assert (plural.msgid_plural, plural.msgstr) == ("%(n)s items", {0: "%(n)s 项"})


# The catalog ------------------------------------------------------------------------


def test_catalog_header(po_entries):
    header = po_entries[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert fields["Language"] == "zh_Hans"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"


def test_catalog_has_the_strings_of_templates_and_python(po_entries):
    ids = {e.msgid for e in po_entries}
    assert "Organisation" in ids  # navigation.py
    assert "Sign out" in ids  # templates/base.html
    assert "Skip to content" in ids


def test_every_entry_is_translated_and_not_fuzzy(po_entries):
    problems = []
    for entry in messages(po_entries):
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.label}")
        if sorted(entry.msgstr) != [0]:  # Chinese has one form, plurals included
            problems.append(f"msgstr forms {sorted(entry.msgstr)}: {entry.label}")
        if not all(s.strip() for s in entry.msgstr.values()):
            problems.append(f"untranslated: {entry.label}")
    assert not problems, "\n".join(problems)


# %-placeholders count only where xgettext saw a format string ("python-format"): elsewhere
# a "%" is just a percent sign ("attainment from % and points").
PERCENT_PLACEHOLDER = re.compile(
    r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %(name)s
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %s, %d
)
BRACE_PLACEHOLDER = re.compile(
    r"\{\{\s*[^}]+?\s*\}\}"  # {{ var }}
    r"|\{[A-Za-z_][A-Za-z0-9_]*\}"  # {name}
)
TAG = re.compile(r"</?[A-Za-z][^>]*>")
ENTITY = re.compile(r"&[A-Za-z]+;|&#\d+;")


def kept(pattern: re.Pattern[str], source: str, translated: str) -> tuple[set[str], set[str]]:
    return set(pattern.findall(source)), set(pattern.findall(translated))


def test_placeholders_tags_and_entities_are_kept(po_entries):
    problems = []
    for entry in messages(po_entries):
        source = entry.msgid + " " + (entry.msgid_plural or "")
        patterns = [BRACE_PLACEHOLDER, TAG, ENTITY]
        if "python-format" in entry.flags:
            patterns.append(PERCENT_PLACEHOLDER)
        for translated in entry.msgstr.values():
            for pattern in patterns:
                if pattern is PERCENT_PLACEHOLDER:
                    wanted, found = kept(
                        pattern, source.replace("%%", ""), translated.replace("%%", "")
                    )
                    if source.count("%%") and not translated.count("%%"):
                        problems.append(f"a literal %% became %: {entry.label}")
                else:
                    wanted, found = kept(pattern, source, translated)
                if wanted != found:
                    problems.append(f"{sorted(wanted)} became {sorted(found)}: {entry.label}")
    assert not problems, "\n".join(problems)


def test_python_format_translations_can_be_formatted(po_entries):
    for entry in messages(po_entries):
        if "python-format" not in entry.flags:
            continue
        names = re.findall(r"%\(([^)]+)\)", entry.msgid + (entry.msgid_plural or ""))
        values = dict.fromkeys(names, 1)
        for translated in entry.msgstr.values():
            translated % values  # raises on a broken placeholder


def expected_catalog(entries: list[Entry]) -> dict[object, str]:
    """What a .mo compiled from ``entries`` holds, keyed like ``GNUTranslations._catalog``."""
    catalog: dict[object, str] = {}
    for entry in messages(entries):
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            catalog[key] = entry.msgstr[0]
        else:
            for index, text in entry.msgstr.items():
                catalog[(key, index)] = text
    return catalog


def test_compiled_catalog_matches_the_po_file(po_entries):
    """A stale or missing .mo fails here: run compilemessages after editing the .po."""
    with MO_PATH.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    assert compiled.info()["language"] == "zh_Hans"
    assert compiled.info()["plural-forms"] == "nplurals=1; plural=0;"
    # ``_catalog`` is the parsed .mo (stable since Python 2); "" is the header.
    actual = {k: v for k, v in compiled._catalog.items() if k != ""}
    expected = expected_catalog(po_entries)
    assert sorted(set(expected) - set(actual), key=str) == [], "missing from the .mo"
    assert sorted(set(actual) - set(expected), key=str) == [], "in the .mo but not the .po"
    assert {k: v for k, v in actual.items() if expected[k] != v} == {}


def test_django_uses_the_catalog():
    with translation.override("zh-hans"):
        assert translation.gettext("Organisation") == "组织架构"
        assert translation.pgettext("person", "Name") == "姓名"
        assert translation.ngettext("%(n)s person", "%(n)s people", 5) % {"n": 5} == "共 5 人"
        # Django's own catalog for zh_Hans is there too.
        assert translation.gettext("This field is required.") == "这个字段是必填项。"


# The pages --------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """Text a person sees or hears: text nodes plus title, placeholder, aria-label, alt.

    ``<code>`` holds literal technical text (column names, token formats) that stays as is.
    """

    ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
    SKIPPED = frozenset({"script", "style", "code"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.hidden += 1
        for name, value in attrs:
            if name in self.ATTRIBUTES and value:
                self.parts.append(value)
        if tag == "input":
            values = dict(attrs)
            if values.get("type") in {"submit", "button"} and values.get("value"):
                self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


# Words that may stay in Latin letters on a Chinese page: the product name, the English
# option of the language switcher, technical names, and the sample data of the fixture.
ALLOWED_LATIN = {
    "Perfcycle", "English", "HR", "API", "CSV", "XLSX", "UTF", "GBK", "ID", "CRM", "ERP",
    "Authorization", "Bearer", "token", "api", "openapi", "json", "YYYY", "MM", "DD",
    "KPI", "OKR",
    # The intraclass correlation and its authors' names (Shrout & Fleiss 1979).
    "ICC", "Shrout", "Fleiss",
    # File types an appeal may attach; the PDF report.
    "PDF", "PNG", "JPG", "DOCX", "TXT", "MB",
}  # fmt: skip

ENGLISH_UI_WORDS = [
    "Sign in", "Sign out", "Organisation", "Admin", "Plan", "Monitor", "Evaluate", "Calibrate",
    "Reward", "Improve", "Menu", "Language", "Switch", "Home", "Welcome", "Your", "Department",
    "Manager", "Status", "Name", "Search", "Filter", "Save", "Cancel", "Edit", "Import",
    "People", "Org chart", "Preferences", "Audit trail", "Direct reports", "Job title",
    "Hire date", "Level", "Email", "Password", "Previous", "Next", "All", "Nothing yet",
    "event", "person", "people", "active", "created", "updated",
]  # fmt: skip


def _strings_in(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings_in(v) for v in value.values()), set())
    if isinstance(value, list | tuple):
        return set().union(*(_strings_in(v) for v in value), set())
    return set()


def data_strings() -> set[str]:
    """Everything people typed or imported: shown on the pages, but not UI text.

    Fields with choices are left out: their stored codes ("draft", "active") must never be
    shown raw. An audit event without an actor says "system", translated, on the page.
    """
    strings: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("perfcycle."):
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
            and not f.choices
        ]
        if model is AuditEvent:
            fields.remove("actor_label")
            strings |= set(
                AuditEvent.objects.exclude(actor=None).values_list("actor_label", flat=True)
            )
            for before, after in AuditEvent.objects.values_list("before", "after"):
                # Values are shown as stored, lists and dicts included.
                strings |= {str(v) for v in [*(before or {}).values(), *(after or {}).values()]}
        for row in model._default_manager.values_list(*fields):
            strings |= _strings_in(list(row))
    return {s.strip() for s in strings} - {""}


def without_data(text: str) -> str:
    for value in sorted(data_strings(), key=len, reverse=True):
        if value in text:
            text = re.sub(rf"(?<![A-Za-z]){re.escape(value)}(?![A-Za-z])", " ", text)
    return text


def english_left(text: str) -> list[str]:
    """UI words still in English on a page that should be in Chinese."""
    text = without_data(text)
    left = [w for w in ENGLISH_UI_WORDS if re.search(rf"(?<![A-Za-z]){w}(?![A-Za-z])", text)]
    stray = {
        w
        for w in re.findall(r"[A-Za-z]+(?:['’-][A-Za-z]+)*", text)
        if len(w) > 2 and w.lower() not in {a.lower() for a in ALLOWED_LATIN}
    }
    return sorted(set(left) | stray)


@pytest.fixture
def hr_in_chinese(company, as_user):
    company.hr.language = "zh-hans"
    company.hr.save()
    return as_user(company.hr)


CHINESE_PAGES = [
    ("home", {}),
    ("org:chart", {}),
    ("org:employees", {}),
    ("org:employee_create", {}),
    ("org:department_create", {}),
    ("org:import", {}),
    ("audit:list", {}),
    ("accounts:preferences", {}),
    ("accounts:tokens", {}),
]


@pytest.mark.parametrize(("url_name", "kwargs"), CHINESE_PAGES)
def test_pages_are_in_chinese_for_a_user_who_chose_it(hr_in_chinese, url_name, kwargs):
    response = hr_in_chinese.get(reverse(url_name, kwargs=kwargs), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert response.headers["Content-Language"] == "zh-hans"
    text = visible_text(html)
    assert "组织架构" in text
    assert "退出登录" in text
    assert english_left(text) == []


def test_detail_pages_are_in_chinese(company, hr_in_chinese):
    for url in (
        reverse("org:employee", args=[company.manager.pk]),
        reverse("org:department", args=[company.sales.pk]),
        reverse("org:employee_edit", args=[company.manager.pk]),
        reverse("org:employee_login", args=[company.manager.pk]),
    ):
        response = hr_in_chinese.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        assert "组织架构" in text, url
        assert english_left(text) == [], url


# Column and value names that the goals import page quotes literally inside its help text.
IMPORT_COLUMN_WORDS = {"owner", "type", "kind", "direction", "rule", "parent", "ref", "qualitative"}


def test_stage_pages_are_in_chinese_with_the_demo_data(db):
    """The plan stage's pages, filled with the demo company, have no English UI left."""
    from perfcycle.cycles.models import Cycle
    from perfcycle.planning.models import Goal, Indicator

    call_command("demo", no_serve=True, stdout=io.StringIO())
    hr = User.objects.get(username="hr")
    hr.language = "zh-hans"
    hr.save()
    client = Client()
    client.force_login(hr)
    cycle = Cycle.objects.order_by("pk").first()
    goal = Goal.objects.filter(owner_type="employee", kind="kpi", target__isnull=False).first()
    indicator = Indicator.objects.first()
    urls = [
        reverse("planning:home"),
        reverse("planning:person", args=[goal.employee_id]),
        reverse("planning:team"),
        reverse("planning:alignment"),
        reverse("planning:goal", args=[goal.pk]) + f"?actual={goal.target}",
        reverse("planning:goal_edit", args=[goal.pk]),
        reverse("planning:goal_create"),
        reverse("planning:goal_delete", args=[goal.pk]),
        reverse("planning:indicators"),
        reverse("planning:indicator_create"),
        reverse("planning:indicator_edit", args=[indicator.pk]),
        reverse("planning:indicator_assign", args=[indicator.pk])
        + f"?cycle={cycle.pk}&department={goal.employee.department_id}&target=20&weight=30",
        reverse("cycles:list"),
        reverse("cycles:detail", args=[cycle.pk]),
        reverse("cycles:create"),
        reverse("cycles:edit", args=[cycle.pk]),
        reverse("cycles:participants", args=[cycle.pk]),
    ]
    problems = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        left = english_left(visible_text(response.content.decode()))
        if left:
            problems[url] = left
    response = client.get(reverse("planning:import"))
    left = set(english_left(visible_text(response.content.decode()))) - IMPORT_COLUMN_WORDS
    if left:
        problems[reverse("planning:import")] = sorted(left)
    assert problems == {}


def test_english_check_catches_a_stray_word(company):
    assert "Sign out" in english_left("组织架构 Sign out 张三")
    assert english_left("组织架构 <Stray> 张三") == ["Stray"]
    assert english_left("组织架构 Hilda HR Sales 张三") == []


def test_audit_trail_is_chinese(company, hr_in_chinese, client):
    client.post(reverse("login"), {"username": "nobody", "password": "wrong-password"})
    hr_in_chinese.post(
        reverse("org:employee_create"),
        {"employee_number": "C099", "name": "新人", "status": "active"},
    )
    for url in (reverse("audit:list"), reverse("home")):
        text = visible_text(hr_in_chinese.get(url).content.decode())
        assert "登录失败" in text, url
        assert "访客（未登录）" in text, url  # the actor of a failed sign-in
        assert "创建" in text, url
        assert english_left(text) == [], url


def test_navigation_labels_and_hints_are_chinese(hr_in_chinese):
    html = hr_in_chinese.get(reverse("home")).content.decode()
    for label in ("计划", "辅导与监控", "评估", "校准", "激励", "改进", "组织架构", "管理"):
        assert f">{label}</" in html
    assert 'title="目标制定与确认"' in html


def test_djangos_own_messages_are_chinese(hr_in_chinese):
    response = hr_in_chinese.post(reverse("org:employee_create"), {"status": "active"})
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "这个字段是必填项。" in text
    assert "This field is required." not in text


def test_our_messages_are_chinese(company, hr_in_chinese):
    response = hr_in_chinese.post(
        reverse("org:employee_create"),
        {"employee_number": "C099", "name": "新人", "status": "active", "manager_number": "NOPE"},
    )
    assert "没有使用该工号的员工。" in visible_text(response.content.decode())
    response = hr_in_chinese.post(
        reverse("org:employee_create"),
        {"employee_number": "C099", "name": "新人", "status": "active"},
        follow=True,
    )
    assert "员工已创建。" in visible_text(response.content.decode())


# Which language: the user's choice, else the browser's --------------------------------


@pytest.mark.django_db
def test_anonymous_chinese_browser_gets_the_chinese_login_page(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    text = visible_text(html)
    assert "登录名" in text
    assert "密码" in text
    assert english_left(text) == []


@pytest.mark.django_db
def test_anonymous_english_browser_gets_the_english_login_page(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Login name" in html
    assert "登录名" not in html


@pytest.mark.django_db
def test_failed_sign_in_message_is_chinese(client):
    response = client.post(
        reverse("login"),
        {"username": "nobody", "password": "wrong-password"},
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    )
    assert "登录名或密码不正确，请重试。" in response.content.decode()


def test_saved_language_beats_the_browser_and_the_cookie(company, as_user):
    client = as_user(company.hr)
    client.cookies["django_language"] = "en"
    company.hr.language = "zh-hans"
    company.hr.save()
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "组织架构" in html

    company.hr.language = "en"
    company.hr.save()
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert '<html lang="en">' in html
    assert "Organisation" in html


def test_without_a_saved_language_the_browser_decides(company, as_user):
    assert company.hr.language == ""
    client = as_user(company.hr)
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "组织架构" in html
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Organisation" in html


def test_the_switcher_posts_to_the_language_url(company, as_user):
    html = as_user(company.hr).get(reverse("home")).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)" class="lang">(.*?)</form>', html, re.S)
    assert form is not None
    assert form.group(1) == reverse("language")
    assert 'name="language"' in form.group(2)
    assert '<option value="zh-hans"' in form.group(2)
    assert '<option value="en"' in form.group(2)


def test_switching_language_is_kept_on_the_account(company, as_user):
    client = as_user(company.hr)
    response = client.post(reverse("language"), {"language": "zh-hans", "next": "/org/"})
    assert response.status_code == 302
    assert response.url == "/org/"
    company.hr.refresh_from_db()
    assert company.hr.language == "zh-hans"
    html = client.get(reverse("org:chart"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "组织架构图" in html

    client.post(reverse("language"), {"language": "", "next": "/"})
    company.hr.refresh_from_db()
    assert company.hr.language == ""
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Organisation" in html


@pytest.mark.django_db
def test_anonymous_switch_sets_the_cookie(client):
    response = client.post(reverse("language"), {"language": "zh-hans", "next": "/login/"})
    assert response.cookies["django_language"].value == "zh-hans"
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "登录名" in html


@pytest.mark.django_db
def test_unknown_language_is_ignored(client):
    client.post(reverse("language"), {"language": "xx", "next": "/login/"})
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html


def test_error_pages_are_chinese(company, as_user):
    company.stranger.user.language = "zh-hans"
    company.stranger.user.save()
    client = as_user(company.stranger.user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = visible_text(response.content.decode())
    assert "页面不存在" in text
    assert english_left(text) == []
    response = client.get(reverse("org:import"))
    assert response.status_code == 403
    text = visible_text(response.content.decode())
    assert "无权访问" in text
    assert english_left(text) == []


@pytest.mark.django_db
def test_server_error_page_is_chinese(rf):
    from django.views.defaults import server_error

    with translation.override("zh-hans"):
        text = visible_text(server_error(rf.get("/")).content.decode())
    assert "系统出错了" in text
    assert english_left(text) == []


def english_left_on_pages(pages: dict[str, list[str]]) -> dict[tuple[str, str], list[str]]:
    """Each login (switched to Chinese) opens its pages; the English words left on each."""
    problems = {}
    for login, urls in pages.items():
        user = User.objects.get(username=login)
        user.language = "zh-hans"
        user.save()
        client = Client()
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (login, url)
            left = english_left(visible_text(response.content.decode()))
            if left:
                problems[(login, url)] = left
    return problems


def test_evaluation_pages_are_in_chinese_with_the_demo_data(db):
    """The evaluate stage's pages, filled with the demo's reviewed quarter, for HR and for
    the sales director filling in a review: no English UI left."""
    from perfcycle.cycles.models import Cycle
    from perfcycle.demo import demo_load
    from perfcycle.evaluation.models import ReviewForm
    from perfcycle.org.models import Employee

    demo_load(stdout=io.StringIO(), until="evaluate")
    cycle = Cycle.objects.get(phase="manager_review")
    template = cycle.template
    item = template.competencies.first()
    question = template.questions.first()
    zhang = Employee.objects.get(employee_number="E011")
    pages: dict[str, list[str]] = {
        "hr": [
            reverse("evaluation:home"),
            reverse("evaluation:templates"),
            reverse("evaluation:template", args=[template.pk]),
            reverse("evaluation:template_anchors", args=[template.pk, item.pk]),
            reverse("evaluation:template_question", args=[template.pk, question.pk]),
            reverse("evaluation:grade_scales"),
            reverse("evaluation:grade_scale", args=[cycle.grade_scale_id]),
            reverse("evaluation:assignment", args=[cycle.pk]),
            reverse("evaluation:progress", args=[cycle.pk]),
            reverse("evaluation:reliability", args=[cycle.pk]),
            reverse("evaluation:normalisation", args=[cycle.pk]),
            reverse("evaluation:scores", args=[cycle.pk]),
            reverse("evaluation:breakdown", args=[cycle.pk, zhang.pk]),
        ],
        "manager": [
            reverse("evaluation:home"),
            reverse("evaluation:my_reviews"),
            reverse("evaluation:peers", args=[cycle.pk]),
            reverse("evaluation:peer_summary", args=[cycle.pk, zhang.pk]),
            reverse("evaluation:progress", args=[cycle.pk]),
            reverse("evaluation:breakdown", args=[cycle.pk, zhang.pk]),
        ],
    }
    pages["employee"] = [
        reverse("evaluation:home"),
        reverse("evaluation:my_reviews"),
        reverse("evaluation:peers", args=[cycle.pk]),
        reverse(
            "evaluation:form",
            args=[ReviewForm.objects.get(cycle=cycle, reviewee=zhang, source="self").pk],
        ),
    ]
    open_form = ReviewForm.objects.filter(
        cycle=cycle, reviewer__user__username="manager", source="manager"
    ).exclude(status="submitted")
    pages["manager"].append(reverse("evaluation:form", args=[open_form.first().pk]))
    assert english_left_on_pages(pages) == {}


def test_calibration_pages_are_in_chinese_with_the_demo_data(db):
    """The calibrate-and-feed-back pages with the demo's released quarter, for HR, the
    sales director and the demo employee: no English UI left."""
    from perfcycle.calibration.models import Appeal, Result
    from perfcycle.cycles.models import Cycle

    call_command("demo", no_serve=True, stdout=io.StringIO())
    cycle = Cycle.objects.get(phase="results")
    session = cycle.calibration_sessions.get()
    zhang = Result.objects.get(cycle=cycle, employee__employee_number="E011")
    appeal = Appeal.objects.filter(status="upheld").get()
    pages: dict[str, list[str]] = {
        "hr": [
            reverse("calibration:home"),
            reverse("calibration:settings", args=[cycle.pk]),
            reverse("calibration:distribution", args=[cycle.pk]),
            reverse("calibration:sessions", args=[cycle.pk]),
            reverse("calibration:session", args=[session.pk]),
            reverse("calibration:session_ninebox", args=[session.pk]),
            reverse("calibration:release", args=[cycle.pk]),
            reverse("calibration:report", args=[zhang.pk]),
            reverse("calibration:appeals"),
            reverse("calibration:appeal", args=[appeal.pk]),
        ],
        "manager": [
            reverse("calibration:home"),
            reverse("calibration:my_result", args=[zhang.pk]),
            reverse("calibration:talk", args=[zhang.pk]),
        ],
        "employee": [
            reverse("calibration:home"),
            reverse("calibration:my_result", args=[zhang.pk]),
            reverse("calibration:appeal_file", args=[zhang.pk]),
            reverse("calibration:report", args=[zhang.pk]),
        ],
    }
    assert english_left_on_pages(pages) == {}


def test_reward_and_improve_pages_are_in_chinese_with_the_demo_data(db):
    """Bonus plan, pay, proposal, motivation, improvement plan, retrospective, trend and
    process-health pages with the demo data, for HR, the sales director and the
    salesperson on an improvement plan: no English UI left."""
    from perfcycle.calibration.models import Result
    from perfcycle.improvement.models import ImprovementPlan
    from perfcycle.org.models import Employee
    from perfcycle.proposals.models import Proposal, ProposalRound
    from perfcycle.rewards.models import BonusPlan

    call_command("demo", no_serve=True, stdout=io.StringIO())
    plan = BonusPlan.objects.get()
    pip = ImprovementPlan.objects.get(employee__employee_number="E018")
    proposal = Proposal.objects.select_related("round").get()
    rounds = list(ProposalRound.objects.all())
    cycle = proposal.round.cycle
    sales = Employee.objects.get(employee_number="E011")
    department = sales.department
    assert Result.objects.filter(cycle=cycle).exists()
    pages = {
        "hr": [
            reverse("home"),
            reverse("rewards:home"),
            reverse("rewards:plans"),
            reverse("rewards:plan", args=[plan.pk]),
            reverse("rewards:motivation_departments"),
            reverse("rewards:pay"),
            reverse("rewards:pay_import"),
            reverse("rewards:pay_edit", args=[sales.pk]),
            reverse("proposals:rounds"),
            *[reverse("proposals:round", args=[r.pk]) for r in rounds],
            reverse("proposals:round_edit", args=[rounds[0].pk]),
            reverse("proposals:proposal", args=[proposal.pk]),
            reverse("improvement:home"),
            f"{reverse('improvement:home')}?cycle={cycle.pk}",
            reverse("improvement:plan", args=[pip.pk]),
            reverse("retrospective:home"),
            reverse("retrospective:targets", args=[cycle.pk]),
            reverse("retrospective:results", args=[cycle.pk]),
            reverse("insights:home"),
            reverse("insights:health"),
            reverse("insights:person", args=[sales.pk]),
            reverse("insights:department", args=[department.pk]),
        ],
        "manager": [
            reverse("home"),
            reverse("rewards:plan", args=[plan.pk]),
            reverse("proposals:round", args=[proposal.round.pk]),
            reverse("proposals:proposal", args=[proposal.pk]),
            reverse("proposals:nominate", args=[proposal.round.pk, sales.pk]),
            reverse("improvement:plan", args=[pip.pk]),
            reverse("improvement:plan_edit", args=[pip.pk]),
            reverse("insights:person", args=[sales.pk]),
        ],
        "employee": [
            reverse("home"),
            reverse("rewards:home"),
            reverse("retrospective:home"),
            reverse("retrospective:answer", args=[cycle.pk]),
            reverse("insights:person", args=[sales.pk]),
        ],
        "suntao": [
            reverse("home"),
            reverse("rewards:home"),
            reverse("rewards:motivation"),
            reverse("proposals:rounds"),
            reverse("improvement:home"),
            reverse("improvement:plan", args=[pip.pk]),
            reverse("insights:home"),
        ],
    }
    assert english_left_on_pages(pages) == {}

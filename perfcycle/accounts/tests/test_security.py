"""Sessions, sign-in and headers: idle and absolute session timeouts, the sign-in throttle,
password rules, the Content-Security-Policy and the other headers, the deploy checks.

Time travels by patching ``django.utils.timezone.now`` (the middleware, the throttle and
the audit trail all read it); the session store's own expiry reads it too.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from perfcycle.accounts import checks, security, throttle
from perfcycle.accounts.models import SignInFailure
from perfcycle.accounts.services import token_create
from perfcycle.audit.models import AuditAction, AuditEvent
from tests.factories import PASSWORD

REAL_NOW = timezone.now
SEEN = security.SEEN_COOKIE


@contextmanager
def at(moment: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def sign_in(client: Client, username: str = "manager", password: str = PASSWORD, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def text(response) -> str:
    return response.content.decode()


def signed_in_client(username: str = "manager") -> Client:
    client = Client()
    response = sign_in(client, username)
    assert response.status_code == 302, text(response)
    return client


# Sessions -------------------------------------------------------------------------------


def test_signing_in_stamps_the_session_and_sets_the_activity_cookie(company):
    client = Client()
    response = sign_in(client)
    assert response.status_code == 302
    assert isinstance(client.session[security.SIGNED_IN_KEY], int)
    cookie = response.cookies[SEEN]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE


def test_an_idle_session_is_signed_out_with_a_message_and_audited(company):
    start = REAL_NOW()
    with at(start):
        client = signed_in_client()
        assert client.get("/org/people/").status_code == 200
    with at(start + dt.timedelta(minutes=settings.PERFCYCLE_SESSION_IDLE_MINUTES, seconds=1)):
        response = client.get("/org/people/?page=2")
        assert response.status_code == 302
        assert response["Location"] == "/login/?next=/org/people/%3Fpage%3D2"
        assert response.cookies[SEEN].value == ""  # deleted
        page = client.get(response["Location"])
    assert page.status_code == 200
    assert "You were signed out after 30 minutes without activity." in text(page)
    [event] = AuditEvent.objects.filter(action=AuditAction.LOGOUT)
    assert event.actor == company.user("manager")
    assert event.after == {"expired": "idle"}
    assert "30 minutes" in event.reason
    # The session is gone, not merely hidden: an earlier time does not bring it back.
    with at(start + dt.timedelta(minutes=1)):
        assert client.get("/org/people/").status_code == 302


def test_activity_keeps_a_session_alive_and_writes_nothing_within_a_minute(company):
    start = REAL_NOW()
    with at(start):
        client = signed_in_client()
    for step in range(1, 7):  # two hours, a request every 20 minutes
        with at(start + dt.timedelta(minutes=20 * step)):
            response = client.get("/account/preferences/")
            assert response.status_code == 200
            assert SEEN in response.cookies  # renewed
    with (
        at(start + dt.timedelta(minutes=120, seconds=30)),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get("/account/preferences/")
    assert response.status_code == 200
    assert SEEN not in response.cookies
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert not AuditEvent.objects.filter(action=AuditAction.LOGOUT).exists()


@override_settings(SESSION_COOKIE_AGE=24 * 3600)  # the session store would keep it longer
def test_a_session_ends_twelve_hours_after_signing_in_however_active(company):
    start = REAL_NOW()
    with at(start):
        client = signed_in_client()
    step = dt.timedelta(minutes=25)
    moment = start + step
    limit = start + dt.timedelta(hours=settings.PERFCYCLE_SESSION_MAX_HOURS)
    while moment < limit:
        with at(moment):
            assert client.get("/account/preferences/").status_code == 200
        moment += step
    with at(limit):
        response = client.get("/account/preferences/")
        assert response.status_code == 302
        page = client.get(response["Location"])
    assert "You were signed out 12 hours after signing in." in text(page)
    [event] = AuditEvent.objects.filter(action=AuditAction.LOGOUT)
    assert event.after == {"expired": "absolute"}


def test_another_sessions_activity_cookie_does_not_keep_a_session_alive(company):
    start = REAL_NOW()
    with at(start):
        idle = signed_in_client("manager")
    later = start + dt.timedelta(minutes=40)
    with at(later):
        fresh = signed_in_client("hr")
        fresh_cookie = fresh.cookies[SEEN].value
        idle.cookies[SEEN] = fresh_cookie  # another user's, fresh and validly signed
        assert idle.get("/account/preferences/").status_code == 302
        assert fresh.get("/account/preferences/").status_code == 200


def test_a_forged_activity_cookie_does_not_keep_a_session_alive(company):
    start = REAL_NOW()
    with at(start):
        client = signed_in_client()
    signed_in = client.session[security.SIGNED_IN_KEY]
    later = start + dt.timedelta(minutes=40)
    user = company.user("manager")
    client.cookies[SEEN] = f"{user.pk}:{signed_in}|{int(later.timestamp())}"  # unsigned
    with at(later):
        assert client.get("/account/preferences/").status_code == 302


def test_losing_the_activity_cookie_counts_from_the_sign_in(company):
    start = REAL_NOW()
    with at(start):
        client = signed_in_client()
    with at(start + dt.timedelta(minutes=20)):
        assert client.get("/account/preferences/").status_code == 200
    del client.cookies[SEEN]
    with at(start + dt.timedelta(minutes=35)):
        assert client.get("/account/preferences/").status_code == 302


def test_an_expired_session_answers_the_api_with_401(company):
    start = REAL_NOW()
    with at(start):
        client = signed_in_client("hr")
        assert client.get("/api/v1/employees").status_code == 200
    with at(start + dt.timedelta(minutes=31)):
        response = client.get("/api/v1/employees")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT).count() == 1
    assert client.get("/api/v1/employees").status_code == 401  # the session is gone


def test_an_expired_session_answers_a_pages_script_with_401(company):
    start = REAL_NOW()
    with at(start):
        client = signed_in_client()
    with at(start + dt.timedelta(minutes=31)):
        response = client.post(
            "/account/tokens/",
            {"name": "autosaved"},
            HTTP_X_REQUESTED_WITH="XMLHttpRequest",
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 401
    assert "without activity" in response.json()["error"]["message"]


def test_token_calls_are_not_sessions(company):
    _token, raw = token_create(actor=company.hr, user=company.hr, name="CRM")
    start = REAL_NOW()
    with at(start):
        client = signed_in_client("hr")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    with at(start + dt.timedelta(hours=13)):
        response = Client().get("/api/v1/employees", **bearer)
        assert response.status_code == 200
        assert SEEN not in response.cookies
    with at(start + dt.timedelta(hours=1)):
        # A token call with an idle session cookie: the session ends, the call goes on.
        response = client.get("/api/v1/employees", **bearer)
        assert response.status_code == 200
        assert response.cookies[SEEN].value == ""
        assert AuditEvent.objects.filter(action=AuditAction.LOGOUT).count() == 1
        assert client.get("/api/v1/employees").status_code == 401


def test_an_expired_post_goes_to_the_sign_in_page_without_acting(company):
    start = REAL_NOW()
    with at(start):
        client = signed_in_client()
    with at(start + dt.timedelta(hours=1)):
        response = client.post("/account/tokens/", {"name": "late"})
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"
    assert not company.user("manager").api_tokens.exists()


def test_an_expired_session_on_the_sign_in_page_shows_it(company):
    start = REAL_NOW()
    with at(start):
        client = signed_in_client()
    with at(start + dt.timedelta(hours=1)):
        response = client.get("/login/")
    assert response.status_code == 200
    assert "without activity" in text(response)


# The sign-in throttle ---------------------------------------------------------------------


def fail(client: Client, username: str = "manager", times: int = 1, **extra) -> None:
    for _n in range(times):
        assert sign_in(client, username, "wrong-password", **extra).status_code == 200


def test_five_failures_lock_the_name_even_for_the_right_password(company):
    client = Client()
    fail(client, times=settings.PERFCYCLE_LOGIN_FAILURES)
    response = sign_in(client)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in text(response)
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()
    refused = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, after__isnull=False)
    [event] = refused
    assert event.after["throttled"] == "username"
    assert event.object_repr == "manager"
    # Four failures are not enough.
    assert sign_in(Client(), "hr", "wrong").status_code == 200
    assert sign_in(Client(), "hr").status_code == 302


def test_the_name_is_counted_whatever_its_case_and_whether_it_exists(company):
    client = Client()
    for name in ("Manager", "MANAGER", "manager ", "manager", "mAnager"):
        fail(client, name)
    assert sign_in(client, "manager").status_code == 429
    nobody = Client()
    fail(nobody, "nobody-here", times=5)
    unknown = sign_in(nobody, "nobody-here", "whatever")
    known = sign_in(client, "manager", "whatever")
    assert unknown.status_code == known.status_code == 429
    message = "Too many failed sign-in attempts. Try again in 15 minutes."
    assert message in text(unknown)
    assert message in text(known)


def test_the_lock_lifts_after_the_lockout_and_refusals_do_not_extend_it(company):
    start = REAL_NOW()
    client = Client()
    with at(start):
        fail(client, times=5)
    with at(start + dt.timedelta(minutes=10)):
        assert sign_in(client).status_code == 429
        assert "Try again in 5 minutes." in text(sign_in(client))
    with at(start + dt.timedelta(minutes=15, seconds=1)):
        assert sign_in(client).status_code == 302
    assert not SignInFailure.objects.filter(username="manager").exists()


def test_a_successful_sign_in_resets_the_names_count(company):
    client = Client()
    fail(client, times=4)
    assert sign_in(client).status_code == 302
    client.post("/logout/")
    fail(client, times=4)
    assert sign_in(client).status_code == 302


def test_failures_spread_out_do_not_lock(company):
    start = REAL_NOW()
    client = Client()
    for n in range(8):
        with at(start + dt.timedelta(minutes=4 * n)):
            fail(client)
    with at(start + dt.timedelta(minutes=29)):
        assert sign_in(client).status_code == 302


def test_many_failures_from_one_address_lock_the_address(company):
    client = Client()
    for n in range(settings.PERFCYCLE_LOGIN_IP_FAILURES):
        fail(client, f"guess{n % 10}")  # at most 3 per name: no name is locked
    response = sign_in(client, "hr")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in text(response)
    assert AuditEvent.objects.get(after__throttled="ip").object_repr == "hr"
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert sign_in(other, "hr").status_code == 302


@override_settings(PERFCYCLE_PROXY_COUNT=1)
def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(company):
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
    assert throttle.client_ip(request) == "1.2.3.4"  # the client chose 6.6.6.6 itself
    assert throttle.client_ip(factory.get("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"
    garbage = factory.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert throttle.client_ip(garbage) is None
    client = Client(REMOTE_ADDR="10.0.0.1")
    for n in range(settings.PERFCYCLE_LOGIN_IP_FAILURES):
        fail(client, f"guess{n % 10}", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert sign_in(client, "hr", HTTP_X_FORWARDED_FOR="1.2.3.4").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert sign_in(client, "hr", HTTP_X_FORWARDED_FOR="5.6.7.8").status_code == 302


def test_old_failures_are_forgotten(company):
    start = REAL_NOW()
    with at(start):
        fail(Client(), times=3)
    with at(start + dt.timedelta(hours=1)):
        fail(Client(), "hr")
    assert list(SignInFailure.objects.values_list("username", flat=True)) == ["hr"]


# Passwords ------------------------------------------------------------------------------


def test_changing_ones_password_checks_the_rules_and_signs_out_other_sessions(company):
    client = signed_in_client()
    other = signed_in_client()
    page = client.get("/account/password/")
    assert page.status_code == 200
    assert "at least 10 characters" in text(page)
    for weak in ("short1!", "1234567890123", "password123", "manager123"):
        response = client.post(
            "/account/password/",
            {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
        )
        assert response.status_code == 200, weak
        assert response.context["form"].errors["new_password2"], weak
    strong = "Loop-plan-monitor-77"
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong},
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/preferences/"
    assert client.get("/account/preferences/").status_code == 200  # this session stays
    assert other.get("/account/preferences/").status_code == 302  # the other one ends
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="accounts.user")
    assert event.after == {"password": "changed"}
    assert strong not in json.dumps([event.before, event.after, event.reason])
    assert sign_in(Client(), "manager", strong).status_code == 302


def test_guessing_the_old_password_is_throttled_too(company):
    client = signed_in_client()
    for _n in range(settings.PERFCYCLE_LOGIN_FAILURES):
        response = client.post(
            "/account/password/",
            {"old_password": "wrong", "new_password1": "x", "new_password2": "x"},
        )
        assert response.status_code == 200
    strong = "Loop-plan-monitor-77"
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong},
    )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in text(response)
    user = company.user("manager")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# Headers --------------------------------------------------------------------------------

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)


def assert_security_headers(response) -> None:
    assert response["Content-Security-Policy"] == CSP
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_api_answers_and_not_found_pages_carry_the_headers(company, as_user):
    hr = as_user(company.hr)
    for response in (
        Client().get("/login/"),
        hr.get("/"),
        hr.get("/no-such-page/"),
        hr.get("/api/v1/employees"),
        hr.get("/api/v1/no-such-thing"),
        Client().get("/api/v1/employees"),
        Client().get("/org/"),  # a redirect to the sign-in page
    ):
        assert response.status_code in {200, 302, 401, 404}
        assert_security_headers(response)
    assert hr.get("/no-such-page/").status_code == 404
    assert hr.get("/api/v1/no-such-thing").status_code == 404
    static = Client().get("/static/perfcycle/print.js")  # served by whitenoise
    assert static.status_code == 200
    assert static["Content-Security-Policy"] == CSP


def test_pdfs_carry_no_document_policy_and_views_may_set_their_own():
    def pdf(request):
        return HttpResponse(b"%PDF-1.4", content_type="application/pdf")

    def own(request):
        response = HttpResponse("<p>hi</p>")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    request = RequestFactory().get("/")
    response = security.SecurityHeadersMiddleware(pdf)(request)
    assert "Content-Security-Policy" not in response
    assert "Permissions-Policy" in response
    assert security.SecurityHeadersMiddleware(own)(request)["Content-Security-Policy"] == (
        "default-src 'none'"
    )


PACKAGE = Path(security.__file__).resolve().parent.parent


def test_no_template_has_inline_scripts_styles_or_handlers():
    """The CSP allows no inline script or style: a template that adds one breaks in the
    browser, so it fails here first."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    bad = re.compile(r"<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE)
    offenders = []
    for path in sorted(PACKAGE.glob("**/templates/**/*.html")):
        source = path.read_text(encoding="utf-8")
        if inline_script.search(source) or bad.search(source):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []
    assert len(list(PACKAGE.glob("**/templates/**/*.html"))) > 100


@pytest.fixture
def demo(db):
    from perfcycle.demo import demo_load

    demo_load(stdout=io.StringIO())


def test_the_demo_pages_changed_for_the_csp_render_without_inline_code(demo, as_user):
    """The pages that had inline styles or a handler, and pages with charts, as rendered."""
    from perfcycle.accounts.models import User
    from perfcycle.calibration.models import Result

    inline = re.compile(r"\sstyle\s*=|<style\b|\son[a-z]+\s*=|<script(?![^>]*\bsrc=)")
    hr = as_user(User.objects.get(username="hr"))
    result = Result.objects.filter(released_at__isnull=False).first()
    pages = {
        "/": "<svg",
        "/improve/insights/": 'class="indent-1"',
        "/improve/insights/health/": 'class="indent-',
        f"/calibrate/results/{result.pk}/report/": "data-print",
    }
    for url, expected in pages.items():
        response = hr.get(url)
        assert response.status_code == 200, url
        body = text(response)
        assert expected in body, url
        assert not inline.search(body), url
    manager = text(as_user(User.objects.get(username="manager")).get("/"))
    assert "<svg" in manager
    assert not inline.search(manager)


def test_the_csp_check_warns_about_unsafe_scripts():
    assert checks.content_security_policy(None) == []
    with override_settings(PERFCYCLE_CSP="default-src 'self'; script-src 'self' 'unsafe-inline'"):
        [warning] = checks.content_security_policy(None)
        assert warning.id == "perfcycle.W002"
    with override_settings(PERFCYCLE_CSP=""):
        assert checks.content_security_policy(None)[0].id == "perfcycle.W001"
    with override_settings(PERFCYCLE_SESSION_IDLE_MINUTES=0):
        assert [e.id for e in checks.session_settings(None)] == ["perfcycle.E001"]


# Production settings --------------------------------------------------------------------

PRODUCTION_PROBE = """
import json
import django
from django.conf import settings
from django.core.management import call_command

django.setup()
call_command("check", deploy=True, fail_level="WARNING")
print(json.dumps({
    name: getattr(settings, name)
    for name in (
        "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY", "X_FRAME_OPTIONS", "PERFCYCLE_CSP", "PERFCYCLE_PROXY_COUNT",
        "MIDDLEWARE",
    )
}))
"""


def run_production(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "SESSION_", "CSRF_", "PERFCYCLE_", "DEBUG"))
    }
    clean.update(
        DJANGO_SETTINGS_MODULE="perfcycle.settings.production",
        SECRET_KEY="deploy-check-" + "k7Q!x" * 12,
        PERFCYCLE_DATA_DIR=str(tmp_path),
        **env,
    )
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_checks(tmp_path):
    result = run_production(tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["PERFCYCLE_CSP"] == CSP
    assert values["PERFCYCLE_PROXY_COUNT"] == 1
    assert "perfcycle.accounts.security.SessionTimeoutMiddleware" in values["MIDDLEWARE"]
    assert "perfcycle.accounts.security.SecurityHeadersMiddleware" in values["MIDDLEWARE"]


def test_the_deploy_checks_do_fail_on_weakened_settings(tmp_path):
    result = run_production(tmp_path, SECURE_HSTS_SECONDS="0", SESSION_COOKIE_SECURE="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr
    assert "security.W012" in result.stderr

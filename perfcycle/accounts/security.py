"""Session lifetime and security headers, as middleware.

``SessionTimeoutMiddleware`` signs a session out

- after ``PERFCYCLE_SESSION_IDLE_MINUTES`` without a request (default 30), and
- ``PERFCYCLE_SESSION_MAX_HOURS`` after signing in, however active (default 12),

audits it (``LOGOUT`` with the reason), and answers a page with the sign-in page and a
message, an API call on the session (or a page's script asking for JSON) with ``401``. Calls with an API token are not
sessions: they are never signed out here (a token call that also carries an expired
session cookie loses the session and goes on with the token).

The sign-in time is kept in the session (written once, at sign-in). The last activity
is kept in a signed cookie bound to the session's user and sign-in time and renewed at
most once a minute, so that no request writes the session just to say it was there.
Losing or forging the cookie cannot lengthen a session: without a valid one the last
activity counts as the sign-in time.

``SecurityHeadersMiddleware`` puts ``PERFCYCLE_CSP`` (Content-Security-Policy) and
``PERFCYCLE_PERMISSIONS_POLICY`` on every response that has none yet, except PDFs (a
browser's built-in PDF viewer may not run under a document policy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.translation import ngettext

from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record

SIGNED_IN_KEY = "_perfcycle_signed_in"
SEEN_COOKIE = "perfcycle_seen"
SEEN_SALT = "perfcycle.accounts.security.seen"
# The last-activity cookie is renewed at most this often.
SEEN_REFRESH_SECONDS = 60
API_PREFIX = "/api/"

IDLE = "idle"
ABSOLUTE = "absolute"


def _now() -> int:
    return int(timezone.now().timestamp())


def session_start(request: HttpRequest) -> None:
    """Call right after ``auth.login``: the session's lifetime counts from now."""
    request.session[SIGNED_IN_KEY] = _now()


def _signed_in(request: HttpRequest, user: Any) -> int | None:
    stamp = request.session.get(SIGNED_IN_KEY)
    if isinstance(stamp, int):
        return stamp
    # A session opened otherwise than through the sign-in page (one from before this
    # check existed, a test client's force_login): the account's last sign-in.
    if user.last_login is not None:
        return int(user.last_login.timestamp())
    return None


def _identity(user: Any, signed_in: int) -> str:
    return f"{user.pk}:{signed_in}"


def _last_seen(request: HttpRequest, identity: str) -> int | None:
    value = request.get_signed_cookie(SEEN_COOKIE, default=None, salt=SEEN_SALT)
    if not value:
        return None
    owner, _sep, stamp = value.rpartition("|")
    if owner != identity or not stamp.isdigit():
        return None
    return int(stamp)


def _session_user(request: HttpRequest) -> Any | None:
    """The user signed in through this request's session (not through a token), or None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if auth.SESSION_KEY not in request.session:
        return None
    return user


def _wants_json(request: HttpRequest) -> bool:
    """An API call, or a page's script (the review form's autosave) asking for JSON."""
    return (
        request.path.startswith(API_PREFIX)
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or request.headers.get("Accept", "").startswith("application/json")
    )


class SessionTimeoutMiddleware:
    """Sign out idle and old sessions; keep the last-activity cookie fresh. After
    ``AuthenticationMiddleware``, ``AuditContextMiddleware`` and ``MessageMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = _now()
        user = _session_user(request)
        if user is not None:
            signed_in = _signed_in(request, user)
            if signed_in is None:
                session_start(request)
                signed_in = now
            identity = _identity(user, signed_in)
            last_seen = _last_seen(request, identity)
            if last_seen is None:
                last_seen = signed_in
            reason = self._expired(now, signed_in, last_seen)
            if reason is not None:
                response = self._sign_out(request, user, reason)
                if response is not None:
                    response.delete_cookie(SEEN_COOKIE, samesite="Lax")
                    return response
        response = self.get_response(request)
        self._keep_seen(request, response, now)
        return response

    @staticmethod
    def _expired(now: int, signed_in: int, last_seen: int) -> str | None:
        if now - signed_in >= settings.PERFCYCLE_SESSION_MAX_HOURS * 3600:
            return ABSOLUTE
        if now - last_seen >= settings.PERFCYCLE_SESSION_IDLE_MINUTES * 60:
            return IDLE
        return None

    @staticmethod
    def _message(reason: str) -> str:
        if reason == ABSOLUTE:
            hours = settings.PERFCYCLE_SESSION_MAX_HOURS
            return ngettext(
                "You were signed out %(hours)d hour after signing in. Please sign in again.",
                "You were signed out %(hours)d hours after signing in. Please sign in again.",
                hours,
            ) % {"hours": hours}
        minutes = settings.PERFCYCLE_SESSION_IDLE_MINUTES
        return ngettext(
            "You were signed out after %(minutes)d minute without activity. Please sign in again.",
            "You were signed out after %(minutes)d minutes without activity. Please sign in again.",
            minutes,
        ) % {"minutes": minutes}

    def _sign_out(self, request: HttpRequest, user: Any, reason: str) -> HttpResponse | None:
        """Sign the session out; the response to send instead of the page, or None to go on
        (an API call with a token of its own, or the sign-in page itself)."""
        message = self._message(reason)
        audit_record(
            actor=user,
            action=AuditAction.LOGOUT,
            instance=user,
            after={"expired": reason},
            reason=message,
        )
        auth.logout(request)
        if request.path.startswith(API_PREFIX) and request.headers.get(
            "Authorization", ""
        ).lower().startswith("bearer "):
            return None
        if _wants_json(request):
            return JsonResponse(
                {"error": {"code": "session_expired", "message": message, "details": None}},
                status=401,
            )
        messages.info(request, message)
        if request.path == resolve_url(settings.LOGIN_URL):
            return None
        if request.method in {"GET", "HEAD"}:
            return redirect_to_login(request.get_full_path())
        return redirect_to_login(resolve_url(settings.LOGIN_REDIRECT_URL))

    @staticmethod
    def _keep_seen(request: HttpRequest, response: HttpResponse, now: int) -> None:
        """Renew the last-activity cookie of a session (also one just signed in); drop it
        when there is no session user any more."""
        user = _session_user(request)
        if user is None:
            if SEEN_COOKIE in request.COOKIES:
                response.delete_cookie(SEEN_COOKIE, samesite="Lax")
            return
        signed_in = _signed_in(request, user)
        if signed_in is None:
            return
        identity = _identity(user, signed_in)
        last_seen = _last_seen(request, identity)
        if last_seen is not None and now - last_seen < SEEN_REFRESH_SECONDS:
            return
        response.set_signed_cookie(
            SEEN_COOKIE,
            f"{identity}|{now}",
            salt=SEEN_SALT,
            max_age=settings.SESSION_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response (a view may set
    its own). Place right after Django's ``SecurityMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "PERFCYCLE_CSP", "")
        content_type = response.get("Content-Type", "")
        if policy and not content_type.startswith("application/pdf"):
            response.headers.setdefault("Content-Security-Policy", policy)
        permissions = getattr(settings, "PERFCYCLE_PERMISSIONS_POLICY", "")
        if permissions:
            response.headers.setdefault("Permissions-Policy", permissions)
        return response

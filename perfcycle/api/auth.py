"""API authentication: bearer tokens for integrations, the session for the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from perfcycle.accounts.services import token_authenticate
from perfcycle.core.errors import Forbidden


class TokenAuth(HttpBearer):
    openapi_description = "An API token (``Authorization: Bearer pc_...``) made on the Tokens page."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The pages' session (CSRF-checked for unsafe methods), for active users only.

    The CSRF check applies to signed-in sessions only: a request with no session (say,
    with a revoked token) is unauthenticated (401), not a CSRF failure (403).
    """

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        exempt = not self.csrf or getattr(request, "_ninja_csrf_exempt", False)
        if not exempt and check_csrf(request) is not None:
            raise Forbidden(
                _("CSRF check failed. Reload the page and try again."), code="csrf_failed"
            )
        return user


AUTH = [TokenAuth(), ActiveSessionAuth()]

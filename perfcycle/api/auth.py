"""API authentication: bearer tokens for integrations, the session for the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from perfcycle.accounts.services import token_authenticate


class TokenAuth(HttpBearer):
    openapi_description = "An API token (``Authorization: Bearer pc_...``) made on the Tokens page."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The pages' session (CSRF-checked for unsafe methods), for active users only."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not user.is_active:
            return None
        return user


AUTH = [TokenAuth(), ActiveSessionAuth()]

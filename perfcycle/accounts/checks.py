"""System checks for the session, sign-in and header settings (``perfcycle check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

POSITIVE = (
    "PERFCYCLE_SESSION_IDLE_MINUTES",
    "PERFCYCLE_SESSION_MAX_HOURS",
    "PERFCYCLE_LOGIN_FAILURES",
    "PERFCYCLE_LOGIN_IP_FAILURES",
    "PERFCYCLE_LOGIN_LOCKOUT_MINUTES",
)


@register(Tags.security)
def session_settings(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(f"{name} must be a positive number.", id="perfcycle.E001")
        for name in POSITIVE
        if getattr(settings, name, 0) <= 0
    ]


def _script_sources(policy: str) -> list[str]:
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]
    return directives.get("script-src", directives.get("default-src", []))


@register(Tags.security, deploy=True)
def content_security_policy(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    policy = getattr(settings, "PERFCYCLE_CSP", "")
    if not policy:
        return [Warning("PERFCYCLE_CSP is empty: no Content-Security-Policy.", id="perfcycle.W001")]
    unsafe = {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(_script_sources(policy))
    if unsafe:
        return [
            Warning(
                f"PERFCYCLE_CSP allows scripts from {', '.join(sorted(unsafe))}.",
                hint="Perfcycle's pages need only script-src 'self'.",
                id="perfcycle.W002",
            )
        ]
    return []

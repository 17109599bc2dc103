"""The sign-in throttle: too many failed sign-ins lock a login name, or an address, for a while.

- ``PERFCYCLE_LOGIN_FAILURES`` failures for one login name (default 5) within
  ``PERFCYCLE_LOGIN_LOCKOUT_MINUTES`` (default 15) lock that name for the same number of
  minutes after the last failure; ``PERFCYCLE_LOGIN_IP_FAILURES`` (default 30) failures
  from one address, whatever the names, lock the address likewise.
- While locked, no password is checked: the right one is refused too. Refused attempts
  do not extend the lockout (else anyone could keep a colleague locked out for good).
- Names are counted whether or not such a login exists, so the answer never tells.
- A successful sign-in clears its name's failures (not the address's).

The failures live in a table (``SignInFailure``), so every worker and every app server
sees the same counts; no cache is needed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext

from perfcycle.accounts.models import SignInFailure
from perfcycle.audit.models import AuditAction
from perfcycle.audit.services import audit_record

USERNAME = "username"
ADDRESS = "ip"


@dataclass(frozen=True)
class Lockout:
    by: str  # USERNAME or ADDRESS
    until: dt.datetime

    def message(self, now: dt.datetime | None = None) -> str:
        """What the sign-in page says: the same whether or not the login exists."""
        seconds = (self.until - (now or timezone.now())).total_seconds()
        minutes = max(1, math.ceil(seconds / 60))
        return ngettext(
            "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
            "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}


def normalise_username(username: str) -> str:
    """Logins are unique whatever their case, so ``Manager`` and ``manager`` count together."""
    return (username or "").strip().lower()[:150]


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind ``PERFCYCLE_PROXY_COUNT`` proxies
    the address the outermost of them saw (from ``X-Forwarded-For``, counted from the right,
    so a client cannot choose it)."""
    proxies = int(getattr(settings, "PERFCYCLE_PROXY_COUNT", 0))
    candidate = request.META.get("REMOTE_ADDR") or ""
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def _period() -> dt.timedelta:
    return dt.timedelta(minutes=settings.PERFCYCLE_LOGIN_LOCKOUT_MINUTES)


def _locked_until(times: list[dt.datetime], limit: int, now: dt.datetime) -> dt.datetime | None:
    """``times``: the newest failures, newest first. Locked when the newest ``limit`` of them
    fall within one period, until one period after the newest."""
    if limit <= 0 or len(times) < limit:
        return None
    newest, oldest = times[0], times[limit - 1]
    if newest - oldest > _period():
        return None
    until = newest + _period()
    return until if until > now else None


def lockout(*, username: str, ip_address: str | None) -> Lockout | None:
    """Whether a sign-in as ``username`` from ``ip_address`` is refused now (two queries)."""
    now = timezone.now()
    recent = SignInFailure.objects.filter(at__gt=now - 2 * _period()).order_by("-at")
    name = normalise_username(username)
    limit = settings.PERFCYCLE_LOGIN_FAILURES
    if name:
        times = list(recent.filter(username=name).values_list("at", flat=True)[:limit])
        until = _locked_until(times, limit, now)
        if until is not None:
            return Lockout(USERNAME, until)
    if ip_address:
        limit = settings.PERFCYCLE_LOGIN_IP_FAILURES
        times = list(recent.filter(ip_address=ip_address).values_list("at", flat=True)[:limit])
        until = _locked_until(times, limit, now)
        if until is not None:
            return Lockout(ADDRESS, until)
    return None


@transaction.atomic
def failure_record(
    *, username: str, ip_address: str | None, after: dict[str, Any] | None = None
) -> None:
    """A wrong password (or an unknown name): counted, audited, and old failures forgotten."""
    now = timezone.now()
    SignInFailure.objects.filter(at__lt=now - 2 * _period()).delete()
    SignInFailure.objects.create(
        at=now, username=normalise_username(username), ip_address=ip_address
    )
    audit_record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type="accounts.user",
        object_repr=username[:150],
        after=after,
    )


def refusal_record(*, username: str, locked: Lockout) -> None:
    """An attempt refused by the throttle: audited, not counted."""
    audit_record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type="accounts.user",
        object_repr=username[:150],
        after={"throttled": locked.by, "until": locked.until.isoformat()},
    )


def failures_clear(*, username: str) -> None:
    """After a successful sign-in: the name starts afresh (its address's count stays)."""
    SignInFailure.objects.filter(username=normalise_username(username)).delete()

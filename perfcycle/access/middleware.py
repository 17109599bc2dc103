"""Every refused request leaves one line on the ``perfcycle.access`` logger.

A request is refused when it answers 401 (the API without a valid token or session),
403 (the policy, or a service, refused the action) or 404 (the object does not exist or
the viewer may not see it: the two are one answer on purpose, and one log line). The
line names the user, the method and path, the status, the request id of the audit trail
and, where the policy refused, the action and the object::

    refused 404 GET /plan/goals/41/ user=7 action=planning.goal.view object=planning.goal:41

Pages and the API both pass through here, whichever code refused them. The line is
written at WARNING when the policy refused or the answer is 403, at INFO otherwise (a
mistyped address, a missing token). Nothing is written to the database: a bot probing
addresses costs a log line per request, no more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from perfcycle.access.policy import noting_refusals
from perfcycle.audit.context import current as audit_context

logger = logging.getLogger("perfcycle.access")

REFUSED = frozenset({401, 403, 404})


class RefusalLogMiddleware:
    """Logs each refused request (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with noting_refusals() as refusals:
            response = self.get_response(request)
            if response.status_code in REFUSED:
                log_refusal(request, response.status_code, refusals)
        return response


def log_refusal(request: HttpRequest, status: int, refusals: list[tuple[str, str]]) -> None:
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    action = ",".join(sorted({str(a) for a, _ in refusals})) or "-"
    objects = ",".join(sorted({o for _, o in refusals if o})) or "-"
    level = logging.WARNING if refusals or status == 403 else logging.INFO
    logger.log(
        level,
        "refused %s %s %s user=%s action=%s object=%s request=%s",
        status,
        request.method,
        request.path,
        user_id if user_id is not None else "-",
        action,
        objects,
        audit_context().request_id or "-",
        extra={
            "status": status,
            "method": request.method,
            "path": request.path,
            "user_id": user_id,
            "action": action,
            "object": objects,
            "request_id": audit_context().request_id,
        },
    )

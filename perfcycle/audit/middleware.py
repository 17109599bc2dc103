from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from perfcycle.accounts.throttle import client_ip
from perfcycle.audit.context import audit_context


class AuditContextMiddleware:
    """Tags everything a request writes to the audit trail with its source, request id and
    the client's address (the one the sign-in throttle counts: behind
    ``PERFCYCLE_PROXY_COUNT`` proxies, the address the outermost proxy saw)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        source = "api" if request.path.startswith("/api/") else "web"
        with audit_context(source=source, request_id=request_id, ip_address=client_ip(request)):
            response = self.get_response(request)
        response.headers["X-Request-ID"] = request_id
        return response

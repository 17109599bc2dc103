"""One error body everywhere: ``{"error": {"code": ..., "message": ..., "details": ...}}``."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation
from pydantic import BaseModel

from perfcycle.core.errors import DomainError

logger = logging.getLogger("perfcycle.api")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorOut(BaseModel):
    error: ErrorBody


COMMON_ERRORS: tuple[int, ...] = (401, 403, 404, 422)
"""The answers any operation may give, so every operation documents them: no or a bad
token (401), refused by the policy or the session's CSRF check (403), an object named in
the request that does not exist or may not be seen (404), a request that does not parse
or validate (422). Codes only some operations give (400, 409, 413, ...) stay declared
where they arise (``api.common.ERRORS``)."""


def document_common_errors(operations: Iterable[Operation]) -> None:
    """Declare the error body for ``COMMON_ERRORS`` on each operation that does not already
    declare those codes (the OpenAPI schema then lists them). An operation declaring one
    answer only must therefore declare 200: ninja answers a bare return value with the
    lone declared status, else with 200 (return ``status, body`` for 201 or 204)."""
    for operation in operations:
        for status in COMMON_ERRORS:
            if status not in operation.response_models:
                operation.response_models[status] = operation._create_response_model(ErrorOut)


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    return api.create_response(
        request,
        {"error": {"code": code, "message": str(message), "details": details}},
        status=status,
    )


def _field_name(loc: list[Any]) -> str:
    """``["body", "payload", "name"]`` -> ``"name"``; ``["query", "limit"]`` -> ``"limit"``."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in {"payload", "filters", "options"}:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return error_response(api, request, exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        # The same shape as a service's ValidationFailed: messages by field.
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            name = _field_name(list(error.get("loc", [])))
            fields.setdefault(name, []).append(str(error.get("msg", "")))
        details = {"fields": fields}
        return error_response(
            api, request, 422, "validation_failed", _("The request is not valid."), details
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api, request, 401, "unauthenticated", _("Sign in or send a valid API token.")
        )

    @api.exception_handler(AuthorizationError)
    def authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return error_response(api, request, 403, "forbidden", _("You may not do this."))

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(api, request, 403, "forbidden", _("You may not do this."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "not_found", _("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {
            400: "bad_request",
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            413: "too_large",
            429: "throttled",
        }.get(exc.status_code, "error")
        return error_response(api, request, exc.status_code, code, str(exc))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled API error on %s", request.path)
        return error_response(
            api, request, 500, "server_error", _("Something went wrong on our side.")
        )


def with_error_bodies(
    api: NinjaAPI, patterns: list[URLPattern | URLResolver]
) -> list[URLPattern | URLResolver]:
    """The API's URL patterns, answering a wrong method or an unknown path with the error
    body too (Django would answer with a bare 405 and an HTML page)."""

    def wrap(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                return error_response(api, request, 404, "not_found", _("Not found."))
            if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
                allowed = response.get("Allow", "")
                response = error_response(
                    api, request, 405, "method_not_allowed", _("Method not allowed.")
                )
                response["Allow"] = allowed
            return response

        return wrapped

    @csrf_exempt
    def unknown_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return error_response(api, request, 404, "not_found", _("Not found."))

    wrapped_patterns: list[URLPattern | URLResolver] = [
        URLPattern(p.pattern, wrap(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]
    return [*wrapped_patterns, re_path(r"", unknown_path)]

"""Pieces every router shares: the error responses, the permission check, import reports."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema

from perfcycle.access.policy import Action, may
from perfcycle.api.errors import ErrorOut
from perfcycle.core.errors import Forbidden

ERRORS: dict[int, type] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


def require(request: HttpRequest, action: Action, obj: Any = None) -> None:
    """Refuse with 403 unless the policy allows ``action`` (callers 404 invisible objects first)."""
    if not may(request.user, action, obj):
        raise Forbidden(_("You may not do this."))


class ImportChange(Schema):
    line: int
    key: str
    action: str
    fields: list[str] = []


class ImportReportOut(Schema):
    kind: str
    rows: int
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    format: str
    encoding: str
    changes: list[ImportChange]


class ImportOptions(Schema):
    dry_run: bool = Field(False, description="Validate and report without writing anything.")

"""Pieces every router shares: the error responses and import reports; ``require`` is the
policy's own (re-exported so routers import it from one place)."""

from ninja import Field, Schema

from perfcycle.access.policy import require as require  # the one permission check
from perfcycle.api.errors import ErrorOut

ERRORS: dict[int, type] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


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
    changes_total: int = Field(description="How many rows change (every one is in changes).")


class ImportOptions(Schema):
    dry_run: bool = Field(False, description="Validate and report without writing anything.")

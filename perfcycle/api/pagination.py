"""Pagination for every list: ``?limit=&offset=``, answering ``items``, ``count``, ``limit``, ``offset``.

A handler returns a queryset (sliced in SQL), a list (sliced in Python: only for lists
that are small by nature), or ``Rows``: a queryset sliced in SQL whose page is then turned
into output rows in one go, for rows that need a lookup per page rather than per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

MAX_OFFSET = 2**31 - 1
"""No list is longer; a larger offset would overflow the database's integer (SQLite
refuses an OFFSET past 64 bits with a server error)."""


@dataclass(frozen=True)
class Rows:
    """``queryset`` paginated in SQL; ``build`` turns the page's objects into its rows."""

    queryset: QuerySet
    build: Callable[[list[Any]], Iterable[Any]]


class Page(PaginationBase):
    class Input(Schema):
        limit: int = Field(
            settings.PERFCYCLE_API_PAGE_SIZE, ge=1, le=settings.PERFCYCLE_API_MAX_PAGE_SIZE
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    class Output(Schema):
        items: list[Any]
        count: int
        limit: int
        offset: int

    def paginate_queryset(
        self,
        queryset: QuerySet | Rows | list,
        pagination: Input,
        request: HttpRequest,
        **params: Any,
    ) -> dict[str, Any]:
        offset, limit = pagination.offset, pagination.limit
        rows = queryset.queryset if isinstance(queryset, Rows) else queryset
        page = list(rows[offset : offset + limit])
        # A page that is not full is the last one: the count is known without counting
        # (a whole cycle's 600,000 forms take ~40 ms to count).
        if len(page) < limit and (page or offset == 0):
            count = offset + len(page)
        else:
            count = self._items_count(rows)
        items = list(queryset.build(page)) if isinstance(queryset, Rows) else page
        return {"items": items, "count": count, "limit": limit, "offset": offset}

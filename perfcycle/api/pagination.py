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
from django.db.models.query import ModelIterable
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

MAX_OFFSET = 2**31 - 1
"""No list is longer; a larger offset would overflow the database's integer (SQLite
refuses an OFFSET past 64 bits with a server error)."""

DEFERRED_FROM = 1_000
"""From this offset on, a page of model objects is read in two steps: the page's keys
(the list's order over its filters, skipping ``offset`` rows of one column), then those
rows whole. The database steps over the rows before the page either way; read whole,
each skipped row was fetched and joined to its related rows only to be dropped. The last
page of 100,000 employees on PostgreSQL: 62–77 ms → 15–20 ms for the read (the keys come
from the index on name and id alone)."""


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
        page = _page(rows, offset, limit)
        # A page that is not full is the last one: the count is known without counting
        # (a whole cycle's 600,000 forms take ~40 ms to count).
        if len(page) < limit and (page or offset == 0):
            count = offset + len(page)
        else:
            count = self._items_count(rows)
        items = list(queryset.build(page)) if isinstance(queryset, Rows) else page
        return {"items": items, "count": count, "limit": limit, "offset": offset}


def _page(rows: QuerySet | list, offset: int, limit: int) -> list[Any]:
    """``rows[offset : offset + limit]``; deep in a list of model objects, their keys first
    (``DEFERRED_FROM``). A row gone between the two reads is left out of the page, as if
    it had gone before."""
    if (
        offset < DEFERRED_FROM
        or not isinstance(rows, QuerySet)
        or rows._iterable_class is not ModelIterable
        or rows.query.distinct
        or rows.query.combinator
    ):
        return list(rows[offset : offset + limit])
    keys = list(rows.values_list("pk", flat=True)[offset : offset + limit])
    if not keys:
        return []
    found = {row.pk: row for row in rows.order_by().filter(pk__in=keys)}
    return [found[key] for key in keys if key in found]

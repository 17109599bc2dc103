"""One page of a list, for the pages that list what grows with the company (check-ins,
observations, training, appeals, improvement plans, bonus lines): a list cut at a few
hundred rows hides the rest without a word, and a list of everyone is slow to make and
to read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

LIST_PAGE_SIZE = 100


def page_of(
    request: HttpRequest, items: QuerySet[Any] | Sequence[Any], size: int | None = None
) -> tuple[Page, str]:
    """The page ``?page=`` asks for of ``items``, ``size`` (``LIST_PAGE_SIZE``) a page —
    the last for a number past the end, the first for anything else — and the request's
    other parameters for the pager's links (``includes/pagination.html`` reads them as
    ``page`` and ``query``)."""
    page = Paginator(items, size or LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()

"""``core.pages.page_of``: the page asked for, and the other parameters for the pager."""

from __future__ import annotations

from django.test import RequestFactory

from perfcycle.core.pages import page_of


def test_the_page_asked_for_and_the_other_parameters():
    items = list(range(7))
    request = RequestFactory().get("/x", {"show": "open", "page": "2", "kind": "praise"})
    page, query = page_of(request, items, 3)
    assert list(page.object_list) == [3, 4, 5] and page.paginator.num_pages == 3
    assert query == "show=open&kind=praise"


def test_past_the_end_is_the_last_page_and_nonsense_the_first():
    items = list(range(7))
    last, _q = page_of(RequestFactory().get("/x", {"page": "99"}), items, 3)
    assert list(last.object_list) == [6]
    first, query = page_of(RequestFactory().get("/x", {"page": "two"}), items, 3)
    assert list(first.object_list) == [0, 1, 2] and query == ""

"""The WSGI entry point gunicorn loads: each worker builds the URL patterns and loads the
translations as it starts, so its first request does not pay for them."""

from __future__ import annotations

from django.urls import clear_url_caches, get_resolver


def test_the_worker_builds_the_url_patterns_when_it_starts(settings):
    import perfcycle.wsgi as wsgi

    clear_url_caches()
    assert "url_patterns" not in vars(get_resolver())
    wsgi._warm()
    assert "url_patterns" in vars(get_resolver())  # built once, then read
    assert callable(wsgi.application)

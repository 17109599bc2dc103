"""A worker's start: what its first requests would otherwise pay for, done as it loads."""

from __future__ import annotations

import gc


def warm_process() -> None:
    """Build the URL patterns (the API's schemas among them) and load both languages'
    translations as the worker starts, not on its first request (~2.5 s of it); then
    take what start-up made out of the garbage collector's reach (``gc.freeze``).

    Those ~210,000 objects (Django, the API's schemas, the catalogues) live as long as
    the process, yet every full collection scanned them all: on a 2-vCPU machine each
    one added 150–250 ms to whichever request set it off, which made the slow tail of a
    heavy page (a calibration session of 2,000 people: p95 560 ms, median 320 ms).
    Objects made later are collected as before."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 - built on first access
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Home")
    gc.collect()
    gc.freeze()

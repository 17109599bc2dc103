"""The WSGI entry point gunicorn loads: each worker builds the URL patterns and loads the
translations as it starts, so its first request does not pay for them, and takes what
start-up made out of the garbage collector's reach."""

from __future__ import annotations

import gc
import importlib

from django.urls import clear_url_caches, get_resolver


def test_the_worker_builds_the_url_patterns_when_it_starts(settings, monkeypatch):
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    import perfcycle.wsgi as wsgi

    before = len(frozen)
    clear_url_caches()
    assert "url_patterns" not in vars(get_resolver())
    importlib.reload(wsgi)  # what a worker runs as it loads the module
    assert "url_patterns" in vars(get_resolver())  # built once, then read
    assert callable(wsgi.application)
    assert len(frozen) == before + 1


def test_start_up_objects_leave_the_collectors_reach():
    """What ``gc.freeze`` does, in a child process (freezing the test process's objects
    would keep its later cyclic garbage)."""
    import subprocess
    import sys

    code = (
        "import gc, django, os;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'perfcycle.settings.base');"
        "django.setup();"
        "from perfcycle.core.warm import warm_process;"
        "warm_process();"
        "print(gc.get_freeze_count())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert int(done.stdout.split()[-1]) > 50_000

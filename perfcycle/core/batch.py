"""Helpers for code that builds many small objects at once."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = {"count": 0, "was_enabled": True}


@contextmanager
def without_gc() -> Iterator[None]:
    """Run a block without Python's cyclic garbage collector (also as a decorator).

    Scoring a whole cycle or reading a file of a million rows makes millions of tuples,
    lists and strings, none of them in a reference cycle; the collector would walk all
    of them again and again as they pile up (a third or more of the time) and free
    nothing. Reference counting still frees everything. The collector is process-wide,
    so it comes back (if it was on) when the last of any concurrent such blocks ends.
    """
    with _lock:
        if _paused["count"] == 0:
            _paused["was_enabled"] = gc.isenabled()
            gc.disable()
        _paused["count"] += 1
    try:
        yield
    finally:
        with _lock:
            _paused["count"] -= 1
            if _paused["count"] == 0 and _paused["was_enabled"]:
                gc.enable()

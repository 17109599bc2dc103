"""Reads run on a second thread, with a connection of their own, while this thread goes
on with others: the database (SQLite in this process without holding Python's lock, or
the PostgreSQL server) works on one core while Python works on the other.

Only where that reads what this thread would have read: outside any transaction (in
autocommit each query sees what is committed when it starts, on whichever connection),
and not while queries are being recorded (``DEBUG``, ``CaptureQueriesContext``), so that
a recorded run lists every query in the order it ran. Otherwise the reads run here,
straight away, as any other code would.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from django.db import connection, connections

T = TypeVar("T")


class Beside(Generic[T]):
    """``call``'s result, worked out on a second thread or already here; ``result()``
    waits for it (and raises what ``call`` raised)."""

    def __init__(self, call: Callable[[], T], *, worth_it: bool) -> None:
        self._thread: threading.Thread | None = None
        self._outcome: tuple[bool, T | BaseException] | None = None
        if not (worth_it and may_read_beside()):
            self._outcome = (True, call())
            return
        context = contextvars.copy_context()  # the report replica's switch, say

        def run() -> None:
            try:
                self._outcome = (True, context.run(call))
            except BaseException as error:  # raised again by result(), in the caller's thread
                self._outcome = (False, error)
            finally:
                connections.close_all()  # this thread's own connections only

        self._thread = threading.Thread(target=run, name="perfcycle-beside", daemon=True)
        self._thread.start()

    @property
    def on_a_second_thread(self) -> bool:
        return self._thread is not None

    def result(self) -> T:
        if self._thread is not None:
            self._thread.join()
        assert self._outcome is not None
        ok, value = self._outcome
        if not ok:
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]


def may_read_beside() -> bool:
    """Whether a second connection now reads what this one would: autocommit, outside
    any transaction, queries not being recorded."""
    return (
        connection.get_autocommit()
        and not connection.in_atomic_block
        and not connection.queries_logged
    )

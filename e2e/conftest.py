"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

Run with ``pytest e2e`` (the default ``pytest`` run leaves them out). They need
``/usr/bin/chromium`` (``apt-get install chromium``; no browser is ever downloaded) and
skip with a message when it is missing, unless ``PERFCYCLE_E2E_REQUIRED=1`` (CI), where a
missing browser fails. Screenshots go to ``$E2E_ARTIFACTS`` (default
``/tmp/perfcycle-e2e``).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("PERFCYCLE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", "/tmp/perfcycle-e2e"))  # noqa: S108

# Playwright's sync API keeps an event loop in the test's thread; the test's own database
# calls (setup, checks, the flush afterwards) are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install chromium (browsers are never downloaded)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[test]'"
    return None


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A file for the SQLite test database, not memory: the live server's request threads
    then each open their own connection, as in production, instead of sharing the test's."""
    from django.db import connections

    test = connections["default"].settings_dict["TEST"]
    if connections["default"].vendor == "sqlite":
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        test["NAME"] = str(Path(os.environ["PERFCYCLE_DATA_DIR"]) / f"e2e-test-{worker}.sqlite3")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("PERFCYCLE_E2E_REQUIRED") == "1":
            pytest.fail(f"end-to-end tests cannot run: {reason}", pytrace=False)
        pytest.skip(f"end-to-end tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # As root in a container Chromium needs --no-sandbox; a small /dev/shm would crash
        # its renderer on long pages.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


@pytest.fixture
def demo_company(transactional_db: None) -> None:
    """The demo's organisation (about thirty people, each with a login) and its complete
    review template: the world the walk starts from. Everything after is done in pages."""
    from perfcycle.demo import demo_load

    demo_load(stdout=io.StringIO(), until="templates")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def signed_in(request: pytest.FixtureRequest, browser: Any, live_server: Any) -> Iterator[Any]:
    """``signed_in(login, language)``: that person in their own browser, signed in. When the
    test fails, each one's page is kept (screenshot and HTML) beside the screenshots."""
    from e2e.browser import sign_in

    people: list[Any] = []

    def make(login: str, language: str) -> Any:
        person = sign_in(browser, live_server.url, login, language)
        people.append(person)
        return person

    yield make
    if request.node.stash.get(_FAILED, False):
        folder = ARTIFACTS / "failed" / request.node.name.replace("/", "_")
        folder.mkdir(parents=True, exist_ok=True)
        for person in people:
            try:
                person.page.screenshot(path=str(folder / f"{person.login}.png"), full_page=True)
                (folder / f"{person.login}.html").write_text(person.page.content())
            except Exception as exc:  # the page may be gone with the browser
                (folder / f"{person.login}.txt").write_text(repr(exc))
    for person in people:
        person.context.close()

"""Browser tests: Debian's Chromium, driven by Playwright, against the real app on a real port.

One werkzeug server for the whole session hands every request to the running test's `app`
(the fixtures of tests/conftest.py: real slapd, the test database, the fixed clock), so each
test keeps its own directory subtree and its wiped database. The session cookie keeps its
Secure flag: Chromium counts http://127.0.0.1 as a secure origin. Chromium is the apt package's
/usr/bin/chromium, never a downloaded build (`playwright install` is not used).

They run in the SQLite pass only. Without Chromium they are skipped, except under CI=true,
where they fail: ./scripts/test installs it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from govern.clock import FixedClock, SystemClock
from tests.conftest import DATABASE
from tests.support.browser import CHROMIUM, launch
from tests.support.browser import sign_in as browser_sign_in
from tests.support.staff import BY_USERNAME


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if DATABASE == "sqlite":
        return
    skip = pytest.mark.skip(reason="browser tests run in the SQLite pass only")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


class CurrentApp:
    """The WSGI application the live server serves: the running test's app, or a 503."""

    def __init__(self) -> None:
        self.app: Flask | None = None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no test is running"]
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def live_server() -> Iterator[tuple[str, CurrentApp]]:
    """(base URL, switch) of a threaded werkzeug server on 127.0.0.1 and a free port."""
    current = CurrentApp()
    server = make_server("127.0.0.1", 0, current, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", current
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing: apt-get install chromium (./scripts/test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}; CI=true, so the browser tests may not be skipped")
        pytest.skip(missing)
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def clock() -> FixedClock:
    """Fixed at the real present: Chromium drops a cookie whose expiry is past by the machine's
    clock, and the tests' fixed Saturday (tests/support/clock.py) is in the past, so the session
    cookie would be gone at once. A test needing a given day must keep sessions unexpired."""
    return FixedClock(SystemClock().now())


@pytest.fixture
def live(live_server: tuple[str, CurrentApp], synced: Flask) -> Iterator[str]:
    """The base URL, serving this test's synced app until the test ends."""
    url, current = live_server
    current.app = synced
    yield url
    current.app = None


@pytest.fixture
def page(browser: Browser, live: str) -> Iterator[Page]:
    """A fresh browser context (no cookies) opened on the live server."""
    context = browser.new_context(base_url=live, locale="zh-CN")
    yield context.new_page()
    context.close()


def sign_in(page: Page, username: str, password: str | None = None) -> None:
    """Sign in through the real form; the tests' staff's own password unless `password`."""
    browser_sign_in(page, username, password or BY_USERNAME[username].password)

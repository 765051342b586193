"""Real headless Chromium driven by Playwright against pytest-django's live server.

The browser is the Debian package (/usr/bin/chromium), never a download by `playwright install`.
"""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.parts import missing

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", tempfile.gettempdir()))


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings) -> Iterator:
    # The live server speaks plain http; secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    leave_quietly(context)


def leave_quietly(context) -> None:
    """Close a browser context once the server has answered what its pages send on leaving.

    A ticket page pings in the background and posts its last tracked time as it unloads
    (sendBeacon). Such a request still running when the test database is flushed makes SQLite
    refuse the flush ("table is locked"), and the next test starts on leftover rows.
    """
    for open_page in context.pages:
        if not open_page.is_closed():
            open_page.goto("about:blank")
    if context.pages:
        context.pages[0].wait_for_timeout(400)
    context.close()

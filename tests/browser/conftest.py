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
    context.close()

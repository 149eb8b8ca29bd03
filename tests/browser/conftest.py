"""Browser tests: the app served by uvicorn on a free port against this test's own
database, and Debian's chromium driven by Playwright (nothing is downloaded).

Each test gets a fresh database with the plant's assets and the demo users, a served app,
a browser context of its own (cookies never leak between tests) and a screenshot book
that saves one picture per step and role.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ViewportSize,
    async_playwright,
    expect,
)

from tests.browser.screenshots import ScreenshotBook

# Debian's package, installed by scripts/setup.sh: Playwright's own browser builds cannot
# be downloaded on the machines this project runs on.
CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCREENSHOT_DIR = ROOT / "artifacts" / "browser-screenshots"
DESKTOP = ViewportSize(width=1400, height=1000)
# Generous for a 2-core machine running other workers: argon2 sign-ins and page loads.
STEP_TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium; without it the browser tests fail, never skip."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium package, "
            "which scripts/setup.sh installs (apt-get install chromium)."
        )
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """One headless chromium per test worker; tests open contexts of their own in it."""
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, headless=True)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser, api_url: str) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies, no storage) on a desktop-sized window."""
    opened = await browser.new_context(base_url=api_url, viewport=DESKTOP)
    opened.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def api(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the served app, for the data a test needs before the browser looks."""
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        yield client


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Iterator[ScreenshotBook]:
    """Where this test saves its pictures: $LINECARE_SCREENSHOT_DIR/<test name>/."""
    root = Path(os.environ.get("LINECARE_SCREENSHOT_DIR") or DEFAULT_SCREENSHOT_DIR)
    yield ScreenshotBook.for_test(root, request.node.name)

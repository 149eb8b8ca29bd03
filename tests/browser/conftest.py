"""Browser tests: the app served by uvicorn on a free port against this test's own
database, and Debian's chromium driven by Playwright (nothing is downloaded).

Each test gets a fresh database with the plant's assets and the demo users, a served app,
a browser context of its own (cookies never leak between tests) and a screenshot book
that saves one picture per step and role.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import (
    Browser,
    BrowserContext,
    ViewportSize,
    async_playwright,
    expect,
)

from api.app import create_app
from models.plant import Plant
from services.free_ports import free_port
from settings.linecare_settings import Settings
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.database import open_pool
from storage.user_store import seed_demo_users
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
async def seeded_pool(database_dsn: str, plant: Plant) -> AsyncIterator[Pool]:
    """This test's own database with the plant's assets and the demo users."""
    pool = open_pool(database_dsn)
    await pool.open(wait=True)
    async with pool.connection() as conn:
        await sync_assets(conn, plant)
        await seed_demo_users(conn)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def console_url(
    database_dsn: str, seeded_pool: Pool, plant: Plant, tmp_path: Path
) -> AsyncIterator[str]:
    """The app served by uvicorn on a free port, as a person's browser reaches it."""
    settings = Settings(
        database_url=database_dsn,
        state_dir=tmp_path,
        manage_services=False,
        api_host="127.0.0.1",
        api_port=8000,
    )
    port = free_port()
    app = create_app(settings, plant, pool=seeded_pool)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    for _ in range(200):  # uvicorn offers no event to await its start
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the console did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@pytest.fixture
async def context(browser: Browser, console_url: str) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies, no storage) on a desktop-sized window."""
    opened = await browser.new_context(base_url=console_url, viewport=DESKTOP)
    opened.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def api(console_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the served app, for the data a test needs before the browser looks."""
    async with httpx.AsyncClient(base_url=console_url, timeout=30) as client:
        yield client


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Iterator[ScreenshotBook]:
    """Where this test saves its pictures: $LINECARE_SCREENSHOT_DIR/<test name>/."""
    root = Path(os.environ.get("LINECARE_SCREENSHOT_DIR") or DEFAULT_SCREENSHOT_DIR)
    yield ScreenshotBook.for_test(root, request.node.name)

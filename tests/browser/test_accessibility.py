"""Every console page, as each role that uses it sees it, checked by axe-core: no violation
of WCAG 2.1/2.2 A/AA or axe's best practices, whatever its impact (labels, contrast, names,
keyboard reach, one h1 and headings in order, landmarks), except the few listed below with
the reason they are out of reach.

axe-core is pinned and vendored in tests/browser/vendor/axe-core (scripts/setup.sh checks
its sha256); it is put into each page through the browser's debugging protocol, so the
pages' Content-Security-Policy stays as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, ViewportSize, expect
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from storage.connections import Pool
from tests.api.dispatch_factories import classified_ticket, dispatch
from tests.api.factories import T0, insert_series
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import sign_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# What the test fails on: every impact, down to "minor" (none is left on any page).
BLOCKING = frozenset({"critical", "serious", "moderate", "minor"})
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
# (axe rule, page path) -> why it stays. Every entry is a known, explained gap.
ALLOWED: dict[tuple[str, str], str] = {}
PHONE = ViewportSize(width=390, height=844)


@dataclass(frozen=True, slots=True)
class Visit:
    """The pages one role is checked on, at the window size that role works at."""

    login: str
    role: str
    pages: tuple[str, ...]
    viewport: ViewportSize | None = None


VISITS = [
    Visit(
        "demo-support",
        "support",
        (
            "/",
            "/fleet",
            "/diagnosis?machine=l1-filler",
            "/tickets",
            "/tickets/{ticket}",
            "/report?line=line-1",
            "/kpis",
            "/maintenance",
            "/knowledge",
            "/parts",
        ),
    ),
    Visit("demo-desk", "desk", ("/tickets", "/tickets/{ticket}", "/fleet", "/kpis")),
    Visit("demo-field-1", "field engineer", ("/my-jobs", "/maintenance", "/knowledge"), PHONE),
    Visit(
        "demo-nordbrau",
        "customer",
        (
            "/",
            "/tickets",
            "/tickets/{ticket}",
            "/report?line=line-1",
            "/kpis",
            "/maintenance",
            "/knowledge",
        ),
    ),
]


async def _plant_with_a_job(pool: Pool, api: httpx.AsyncClient) -> int:
    """Live data on the Hamburg filler and its ticket dispatched to demo-field-1."""
    async with pool.connection() as conn:
        for signal, level in (("vibration_rms", 2.0), ("bearing_temp", 61.0)):
            await insert_series(
                conn,
                machine_id="l1-filler",
                signal=signal,
                start=T0 - timedelta(hours=1),
                step=timedelta(seconds=10),
                values=[level + (i % 5) / 10 for i in range(360)],
            )
    ticket = await classified_ticket(api)
    dispatched = await dispatch(api, ticket, "demo-field-1", tools=["bearing puller"])
    assert dispatched.status_code == 201, dispatched.text
    return ticket


async def _settled(page: Page) -> None:
    """The page has asked for its data and drawn it (a page with a live stream never goes
    quiet on the network: its loading texts going is enough)."""
    try:
        await page.wait_for_load_state("networkidle", timeout=5_000)
    except PlaywrightTimeoutError:
        pass
    await expect(page.get_by_text("Loading…", exact=True)).to_have_count(0)


async def _violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = await page.evaluate(
        "(options) => axe.run(document, options)", AXE_OPTIONS
    )
    return list(result["violations"])


# The first stops of the Tab key and how each shows that it has the focus.
TAB_STOPS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    what: `${el.tagName.toLowerCase()} ${
      (el.textContent || el.getAttribute("aria-label") || "").trim().slice(0, 40)}`,
    ring: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2)
      || style.boxShadow !== "none",
    shown: box.width > 0 && box.height > 0,
  };
}"""


async def _unseen_focus(page: Page, stops: int = 12) -> list[str]:
    """The first ``stops`` elements the Tab key reaches that do not show the focus."""
    await page.locator("body").focus()
    unseen = []
    for _ in range(stops):
        await page.keyboard.press("Tab")
        stop = await page.evaluate(TAB_STOPS)
        if stop["what"].startswith("body"):
            break
        if not (stop["ring"] and stop["shown"]):
            unseen.append(stop["what"])
    return unseen


def _blocking(path: str, violations: list[dict[str, Any]]) -> list[str]:
    """The violations not allowed, one readable line each."""
    found = []
    bare = path.split("?")[0]
    for violation in violations:
        if violation["impact"] not in BLOCKING or (violation["id"], bare) in ALLOWED:
            continue
        targets = "; ".join(
            f"{' '.join(map(str, node['target']))} {node['html'][:120]!r}"
            for node in violation["nodes"][:4]
        )
        found.append(
            f"{path}: {violation['id']} ({violation['impact']}): {violation['help']}: {targets}"
        )
    return found


@pytest.mark.parametrize("visit", VISITS, ids=[v.role.replace(" ", "-") for v in VISITS])
async def test_each_page_passes_axe_for_each_role(
    context: BrowserContext,
    seeded_pool: Pool,
    api: httpx.AsyncClient,
    screenshots: ScreenshotBook,
    visit: Visit,
) -> None:
    ticket = await _plant_with_a_job(seeded_pool, api)
    page = await context.new_page()
    if visit.viewport:
        await page.set_viewport_size(visit.viewport)
    await sign_in(page, visit.login, visit.pages[0].format(ticket=ticket))
    found: list[str] = []
    for template in visit.pages:
        path = template.format(ticket=ticket)
        await page.goto(path)
        await _settled(page)
        await screenshots.take(page, visit.role, path)
        violations = await _violations(page)
        found += _blocking(path, violations)
        found += [
            f"{path}: keyboard focus not shown on {what}" for what in await _unseen_focus(page)
        ]
    assert found == [], json.dumps(found, indent=1)


async def test_the_sign_in_page_passes_axe(
    context: BrowserContext, screenshots: ScreenshotBook
) -> None:
    page = await context.new_page()
    await page.goto("/sign-in")
    await expect(page.locator("#demo-list button").first).to_be_visible()
    await screenshots.take(page, "anyone", "sign in")
    assert _blocking("/sign-in", await _violations(page)) == []


async def test_axe_finds_what_it_is_meant_to_find(context: BrowserContext) -> None:
    """The check itself: a page with an unlabelled field and grey-on-grey text fails."""
    page = await context.new_page()
    await page.goto("/sign-in")
    await page.evaluate(
        """() => {
          document.getElementById("login").removeAttribute("id");
          const faint = document.createElement("p");
          faint.textContent = "hard to read";
          faint.style.cssText = "color: #ccc; background: #ddd";
          document.querySelector("main").append(faint);
        }"""
    )
    rules = {
        line.split(": ")[1].split(" ")[0] for line in _blocking("/sign-in", await _violations(page))
    }
    assert {"label", "color-contrast"} <= rules, rules

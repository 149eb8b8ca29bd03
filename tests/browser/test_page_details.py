"""Small things a reader notices: the maintenance calendar's month labels all inside the
calendar, the knowledge base not saying "no entry matches" before anything was asked and
its times in the site's zone, a big count on the diagnosis page whole on one line, and
no grouping by customer on a customer's KPI page."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from playwright.async_api import BrowserContext, expect

from storage.connections import Pool
from tests.api.conftest import SUPPORT
from tests.api.factories import T0, insert_samples
from tests.browser.page_watch import PageWatch
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import sign_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# How far each shown month label reaches past the calendar's right edge, and how far it
# runs into the next shown label, in CSS pixels (0 or less: whole and apart).
OVERHANG = """() => {
  const axis = document.querySelector("#timeline .mt-axis").getBoundingClientRect();
  const shown = [...document.querySelectorAll("#timeline .mt-tick:not(.mt-tick-bare)")]
    .map((tick) => tick.getBoundingClientRect());
  return shown.map((box, i) => Math.max(
    box.right - axis.right, i + 1 < shown.length ? box.right - shown[i + 1].left : -1));
}"""

WHOLE_COUNT = """() => {
  const n = document.querySelector('[data-signal="good_count"] .v .num');
  if (!n) return false;
  const tile = n.closest(".diag-value").getBoundingClientRect();
  return n.getClientRects().length === 1 && n.getBoundingClientRect().right <= tile.right;
}"""


@pytest.mark.parametrize("days", ["30", "90", "365"])
async def test_every_month_label_of_the_maintenance_calendar_is_whole(
    context: BrowserContext, screenshots: ScreenshotBook, days: str
) -> None:
    page = await context.new_page()
    watch = PageWatch.on(page)
    await sign_in(page, "demo-support", "/maintenance")
    await page.locator(f'#range-preset button[data-days="{days}"]').click()
    await expect(page.locator("#timeline .mt-tick").first).to_be_visible()
    overhangs = await page.evaluate(OVERHANG)
    await screenshots.take(page, "support", f"calendar of {days} days")
    assert overhangs and max(overhangs) <= 0, overhangs
    watch.expect_clean()


async def test_the_empty_knowledge_base_says_so_before_anything_is_typed(
    context: BrowserContext, screenshots: ScreenshotBook
) -> None:
    page = await context.new_page()
    await sign_in(page, "demo-support", "/knowledge")
    results = page.locator("#results")
    await expect(results).to_contain_text("no published entries yet")
    await expect(results).not_to_contain_text("No entry matches")
    await screenshots.take(page, "support", "empty knowledge base")
    # Asked for something that is not there: now it is a search that found nothing.
    await page.locator("#q").fill("gripper vacuum")
    await page.locator("#q").press("Enter")
    await expect(results).to_contain_text("No entry matches")


async def test_knowledge_entry_times_read_in_the_sites_zone(
    context: BrowserContext, api: httpx.AsyncClient, screenshots: ScreenshotBook
) -> None:
    created = await api.post(
        "/api/knowledge",
        json={
            "kind": "symptom",
            "audience": "internal",
            "machine_models": ["FIL-12"],
            "title": "Foam on the filler bowl",
            "symptoms": "Foam rises over the bowl rim.",
        },
        headers={**SUPPORT, "Idempotency-Key": "kb-zone"},
    )
    assert created.status_code == 201, created.text
    page = await context.new_page()
    watch = PageWatch.on(page)
    await sign_in(page, "demo-support", f"/knowledge?entry={created.json()['entry']['id']}")

    detail = page.locator("#pane")
    await expect(detail).to_contain_text("Foam on the filler bowl")
    # The demo's sites are in Hamburg and Zurich: CET or CEST, never the browser's UTC.
    await expect(detail).to_contain_text(re.compile(r"\d\d:\d\d CES?T"))
    await expect(detail).not_to_contain_text(re.compile(r"\d\d:\d\d UTC"))
    await screenshots.take(page, "support", "knowledge entry times in the site zone")
    watch.expect_clean()


async def test_a_big_count_on_the_diagnosis_page_stays_whole_on_one_line(
    context: BrowserContext, seeded_pool: Pool, screenshots: ScreenshotBook
) -> None:
    async with seeded_pool.connection() as conn:
        await insert_samples(
            conn,
            machine_id="l1-filler",
            signal="good_count",
            samples=[(T0 - timedelta(minutes=1), 1_607_627_002.0)],
        )
    page = await context.new_page()
    watch = PageWatch.on(page)
    await page.set_viewport_size({"width": 1100, "height": 900})
    await sign_in(page, "demo-support", "/diagnosis?machine=l1-filler")

    count = page.locator('[data-signal="good_count"] .v .num')
    await expect(count).to_have_text(re.compile(r"^1\D?607\D?627\D?002$"))
    # One line of text that fits its tile (asked again until true: the live stream
    # redraws the tiles, and a replaced node has no box).
    await page.wait_for_function(WHOLE_COUNT, timeout=5_000)
    await screenshots.take(page, "support", "big good count on one line")
    watch.expect_clean()


async def test_a_customers_kpi_page_offers_no_grouping_by_customer_or_engineer(
    context: BrowserContext, screenshots: ScreenshotBook
) -> None:
    page = await context.new_page()
    watch = PageWatch.on(page)
    await sign_in(page, "demo-nordbrau", "/kpis?group_by=customer")

    groups = page.locator("#group-by button")
    await expect(groups).to_have_text(["Month", "Line model", "Fault type"])
    await expect(page.locator("#group-by button.active")).to_have_text("Month")
    await screenshots.take(page, "customer", "kpi groups")
    watch.expect_clean()

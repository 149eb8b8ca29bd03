"""Small things a reader notices: the maintenance calendar's month labels all inside the
calendar, and the knowledge base not saying "no entry matches" before anything was asked."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, expect

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

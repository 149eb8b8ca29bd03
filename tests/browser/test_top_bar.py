"""The top bar that top_bar.js builds on every console page: the signed-in person's name
whole (also on a phone, where the bar stacks), a skip link that takes the keyboard to the
page's content, and a refusal that links to the person's own start page."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, Page, ViewportSize, expect

from storage.connections import Pool
from tests.browser.page_watch import PageWatch
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import sign_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PHONE = ViewportSize(width=390, height=844)
# Whether an element's text runs past its box (cut off by an ellipsis).
CUT = "(node) => node.scrollWidth > node.clientWidth + 1"


async def _name_is_whole(page: Page, name: str) -> bool:
    shown = page.locator("#user-chip .user-name")
    await expect(shown).to_have_text(name)
    return not await shown.evaluate(CUT)


async def test_a_field_engineer_reads_their_whole_name_on_a_phone_and_can_skip_the_bar(
    context: BrowserContext, seeded_pool: Pool, screenshots: ScreenshotBook
) -> None:
    page = await context.new_page()
    await page.set_viewport_size(PHONE)
    watch = PageWatch.on(page)
    await sign_in(page, "demo-field-1", "/my-jobs")

    whole = {}
    for path in ("/my-jobs", "/maintenance", "/knowledge"):
        await page.goto(path)
        whole[path] = await _name_is_whole(page, "Field engineer Hamburg (demo)")
        await screenshots.take(page, "field engineer", f"top bar {path}")
    assert whole == dict.fromkeys(whole, True), whole

    # The first Tab stop is the skip link, shown when it has the focus; Enter lands in main.
    await page.locator("body").focus()
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()
    await page.keyboard.press("Enter")
    await expect(page.locator("main#kb")).to_be_focused()
    watch.expect_clean()


async def test_a_refused_page_keeps_the_top_bar_and_links_to_the_persons_start_page(
    context: BrowserContext, seeded_pool: Pool, screenshots: ScreenshotBook
) -> None:
    page = await context.new_page()
    await sign_in(page, "demo-nordbrau", "/fleet")

    refusal = page.get_by_role("main")
    await expect(refusal).to_contain_text("Not available")
    await expect(refusal).to_contain_text("The fleet overview is for support and the service desk.")
    await expect(refusal.get_by_role("link", name="Go to My lines")).to_have_attribute("href", "/")
    # One main region on the page, and the top bar as before.
    await expect(page.locator("main:not([hidden])")).to_have_count(1)
    await expect(page.get_by_role("navigation", name="Pages")).to_contain_text("My tickets")
    await screenshots.take(page, "customer", "fleet refused")

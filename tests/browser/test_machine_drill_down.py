"""A support engineer drills down from the fleet overview to a machine: every line in
view with the Bern case packing line's open alert, a click on its case packer opens that
machine on the monitoring console with its live values and a trend, and another signal
and a longer range are one click each."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.async_api import BrowserContext, Page, expect

from storage.connections import Pool
from tests.api.factories import T0, insert_alert, insert_series
from tests.browser.page_watch import PageWatch
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import sign_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The overview's trend note names its span, "2026-03-02 12:00 <en dash> 2026-03-02 13:00".
SPAN = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d) \u2013 (\d{4}-\d\d-\d\d \d\d:\d\d)")


async def _trend_span(page: Page) -> timedelta:
    note = await page.locator("#trend-note").inner_text()
    found = SPAN.search(note)
    assert found, note
    since, until = (datetime.strptime(t, "%Y-%m-%d %H:%M") for t in found.groups())
    return until - since


async def test_support_drills_down_from_the_fleet_to_a_machine(
    context: BrowserContext, seeded_pool: Pool, screenshots: ScreenshotBook
) -> None:
    async with seeded_pool.connection() as conn:
        for signal, level in (("vibration_rms", 4.0), ("motor_current", 11.0)):
            await insert_series(
                conn,
                machine_id="l3-packer",
                signal=signal,
                start=T0 - timedelta(hours=10),
                step=timedelta(seconds=30),
                values=[level + (i % 9) / 10 for i in range(1200)],
            )
        await insert_alert(
            conn,
            machine_id="l3-packer",
            opened_at=T0 - timedelta(minutes=20),
            signals=("vibration_rms",),
            message="vibration above normal",
        )
    page = await context.new_page()
    watch = PageWatch.on(page)
    await sign_in(page, "demo-support", "/fleet")

    # The fleet: every customer's lines, the Bern line with its open alert.
    for line in ("Filling line 1", "Filling line 2", "Case packing line"):
        await expect(page.get_by_role("link", name=line, exact=True)).to_be_visible()
    bern = page.locator("tr", has=page.get_by_role("link", name="Case packing line", exact=True))
    await expect(bern).to_contain_text("Alpenpack AG")
    await expect(bern).to_contain_text("1 (serious)")
    # Straight into remote diagnosis of the machine needing attention first.
    diagnose = bern.get_by_role("link", name="Diagnose Case packer")
    await expect(diagnose).to_have_attribute("href", "/diagnosis?machine=l3-packer")
    await screenshots.take(page, "support", "fleet overview")

    # A click on the case packer opens it on the monitoring console.
    machines = page.get_by_role("list", name="Machines of Case packing line")
    await machines.get_by_role("link", name=re.compile("^Case packer")).click()
    await page.wait_for_url("**/?machine=l3-packer")
    header = page.locator("#machine-header h1")
    await expect(header).to_have_text("Case packing line · Case packer")
    await expect(page.locator("#machine-header")).to_contain_text("PK-9 · S/N PK9-52201")
    remote = page.locator("#machine-header").get_by_role("link", name="Remote diagnosis")
    await expect(remote).to_have_attribute("href", "/diagnosis?machine=l3-packer")
    vibration = page.locator("#live-table tr", has_text="Vibration RMS")
    await expect(vibration).to_contain_text("4.")
    await expect(page.locator("#trend-chart path.series")).to_have_count(1)
    alert = page.locator("#alerts tr", has_text="vibration above normal")
    await expect(alert).to_contain_text("Case packing line · Case packer")
    await screenshots.take(page, "support", "case packer")

    # Another signal, then a longer range.
    await page.get_by_label("Signal", exact=True).select_option("motor_current")
    await expect(page.locator("#trend-note")).to_contain_text("Motor current [A]")
    assert await _trend_span(page) == timedelta(hours=1)
    await page.get_by_role("group", name="Range").get_by_role("button", name="8 h").click()
    await expect(page.locator("#trend-note")).to_contain_text("buckets of")
    assert await _trend_span(page) == timedelta(hours=8)
    await expect(page.locator("#trend-chart path.series")).not_to_have_count(0)
    await screenshots.take(page, "support", "motor current over 8 hours")
    watch.expect_clean()

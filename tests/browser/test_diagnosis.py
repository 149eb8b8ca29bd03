"""A support engineer diagnoses a machine remotely: several signals charted, a new sample
pushed to the open page over the stream, a shorter range read again at finer buckets,
and a moment clicked on a chart attached to a ticket with a note."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

import pytest
from playwright.async_api import BrowserContext, Locator, Page, Route, expect
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from storage.connections import Pool
from tests.api.factories import T0, insert_samples, insert_series, insert_ticket
from tests.browser.page_watch import PageWatch
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import sign_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIGNALS = (("vibration_rms", 2.0), ("bearing_temp", 61.0), ("motor_current", 8.0))
# The trend note begins with its span: "2026-03-02 12:00 CET <en dash> 2026-03-02 13:00 CET".
SPAN = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d) \S+ \u2013 (\d{4}-\d\d-\d\d \d\d:\d\d) \S+")


def _span(note: str) -> timedelta:
    found = SPAN.match(note)
    assert found, note
    since, until = (datetime.strptime(t, "%Y-%m-%d %H:%M") for t in found.groups())
    return until - since


async def _condition_signals(pool: Pool, *, since: datetime, step_s: int) -> None:
    """The three condition signals of the filler, one sample every ``step_s`` up to T0."""
    count = int((T0 - since).total_seconds()) // step_s
    async with pool.connection() as conn:
        for signal, level in SIGNALS:
            await insert_series(
                conn,
                machine_id="l1-filler",
                signal=signal,
                start=since,
                step=timedelta(seconds=step_s),
                values=[level + (i % 7) / 10 for i in range(count)],
            )


def _live_value(page_signal: Locator) -> Locator:
    return page_signal.locator(".v")


# How many pixels each chart's canvas draws in a strong colour: a drawn series, not grey
# grid lines or the pale min-max band.
COLOURED_PIXELS = """() => [...document.querySelectorAll("#charts canvas")].map((canvas) => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
  }
  return n;
})"""
# A line across even a short stretch of a chart; isolated dots of a series broken by
# empty buckets colour none.
DRAWN = 100


async def _expect_drawn(page: Page) -> None:
    """Every chart draws its series, not an empty grid (uPlot draws on the next frame)."""
    try:
        await page.wait_for_function(
            f"(least) => ({COLOURED_PIXELS})().every((n) => n >= least)", arg=DRAWN, timeout=5_000
        )
    except PlaywrightTimeoutError:
        coloured = await page.evaluate(COLOURED_PIXELS)
        raise AssertionError(f"charts drawn with {coloured} coloured pixels") from None


async def test_support_diagnoses_a_machine(
    context: BrowserContext, seeded_pool: Pool, screenshots: ScreenshotBook
) -> None:
    await _condition_signals(seeded_pool, since=T0 - timedelta(hours=2), step_s=5)
    async with seeded_pool.connection() as conn:
        ticket_id = await insert_ticket(
            conn, customer_id="nordbrau", line_id="line-1", machine_id="l1-filler"
        )
    page = await context.new_page()
    watch = PageWatch.on(page)
    await sign_in(page, "demo-support", "/diagnosis?machine=l1-filler")

    # The condition signals, one chart each, on one time axis.
    charts = page.locator("#charts .u-title")
    await expect(charts).to_have_text(["Vibration RMS", "Bearing temperature", "Motor current"])
    await expect(page.locator("#charts canvas")).to_have_count(3)
    bearing = _live_value(page.locator('[data-signal="bearing_temp"]'))
    await expect(bearing).to_have_text(re.compile(r"^61"))
    note = page.locator("#trend-note")
    await expect(note).to_contain_text(
        re.compile(r"buckets of \d+ (s|min), from (stored rollups|raw samples)")
    )
    day_note = await note.inner_text()
    assert _span(day_note) == timedelta(hours=24), day_note
    # The data fills the last two of the 24 hours: drawn there.
    await _expect_drawn(page)
    await screenshots.take(page, "support", "three signals charted")

    # A new sample reaches the open page over the stream, without a reload.
    async with seeded_pool.connection() as conn:
        await insert_samples(
            conn, machine_id="l1-filler", signal="bearing_temp", samples=[(T0, 77.25)]
        )
    await expect(bearing).to_have_text(re.compile(r"^77\.25"))
    await screenshots.take(page, "support", "live value pushed")

    # A shorter range is read again, at finer buckets.
    await page.get_by_label("Range").select_option(label="1 hour")
    await expect(note).not_to_have_text(day_note)
    hour_note = await note.inner_text()
    assert _span(hour_note) == timedelta(hours=1), hour_note
    await expect(page.locator("#charts canvas")).to_have_count(3)
    await _expect_drawn(page)
    # One signal fewer: its chart goes.
    await page.locator("#signals").get_by_label("Motor current").uncheck()
    await expect(charts).to_have_text(["Vibration RMS", "Bearing temperature"])
    await screenshots.take(page, "support", "one hour, two signals")

    # A click in the middle of the first chart marks that moment; the note goes to the ticket.
    await page.locator("#charts .u-over").first.click()
    await expect(page.locator("#mark-signal")).not_to_have_text("—")
    await expect(page.locator("#mark-ticket")).not_to_have_value("")
    await page.locator("#mark-note").fill("vibration steps up here")
    await page.get_by_role("button", name="Attach to ticket").click()
    await expect(page.locator("#mark-result")).to_have_text("Attached to the ticket.")
    marked = await page.locator("#mark-signal").get_attribute("data-signal")
    await screenshots.take(page, "support", "moment attached to the ticket")
    watch.expect_clean()

    async with seeded_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT machine_id, signal, note FROM ticket_annotations WHERE ticket_id = %s",
            (ticket_id,),
        )
        assert await cursor.fetchall() == [("l1-filler", marked, "vibration steps up here")]


# Coloured pixels of the first chart in a strip one plot-width wide around a moment, given as
# its share of the range: the plot area is the .u-over box inside the canvas.
STRIP_PIXELS = """(share) => {
  const canvas = document.querySelector("#charts canvas");
  const over = document.querySelector("#charts .u-over").getBoundingClientRect();
  const box = canvas.getBoundingClientRect();
  const scale = canvas.width / box.width;
  const x = Math.round((over.left - box.left + share * over.width) * scale);
  const { data } = canvas.getContext("2d").getImageData(x - 3, 0, 7, canvas.height);
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
  }
  return n;
}"""


async def test_a_signal_sampled_every_ten_seconds_is_drawn_and_its_outage_stays_a_gap(
    context: BrowserContext, seeded_pool: Pool, screenshots: ScreenshotBook
) -> None:
    # One hour at 10 s, finer than which the hour is bucketed (5 s): every other bucket is
    # empty. From 40 to 30 minutes before the end the machine sent nothing.
    outage = (T0 - timedelta(minutes=40), T0 - timedelta(minutes=30))
    samples = [
        (T0 - timedelta(seconds=10 * i), 2.0 + (i % 7) / 10)
        for i in range(360)
        if not outage[0] < T0 - timedelta(seconds=10 * i) < outage[1]
    ]
    async with seeded_pool.connection() as conn:
        await insert_samples(conn, machine_id="l1-filler", signal="vibration_rms", samples=samples)
    page = await context.new_page()
    watch = PageWatch.on(page)
    await sign_in(page, "demo-support", "/diagnosis?machine=l1-filler")
    for silent in ("Bearing temperature", "Motor current"):  # no samples: no chart
        await page.locator("#signals").get_by_label(silent).uncheck()
    await page.get_by_label("Range").select_option(label="1 hour")
    await expect(page.locator("#trend-note")).to_contain_text("buckets of 5 s")
    await expect(page.locator("#charts .u-title")).to_have_text(["Vibration RMS"])
    await _expect_drawn(page)
    # The range ends at the newest sample (T0) and spans the hour before it.
    drawn_before = await page.evaluate(STRIP_PIXELS, 10 / 60)
    in_outage = await page.evaluate(STRIP_PIXELS, 25 / 60)
    drawn_after = await page.evaluate(STRIP_PIXELS, 45 / 60)
    await screenshots.take(page, "support", "10 s samples over one hour, with an outage")
    assert (drawn_before > 0, in_outage, drawn_after > 0) == (True, 0, True), (
        drawn_before,
        in_outage,
        drawn_after,
    )
    watch.expect_clean()


async def test_an_answer_for_a_range_left_behind_does_not_replace_the_chart_asked_for_since(
    context: BrowserContext, seeded_pool: Pool, screenshots: ScreenshotBook
) -> None:
    await _condition_signals(seeded_pool, since=T0 - timedelta(hours=1), step_s=10)
    page = await context.new_page()
    watch = PageWatch.on(page)
    # The page's first trend read (three signals over 24 hours) is answered only once the
    # user has moved on to one signal over an hour and that chart is drawn.
    moved_on = asyncio.Event()
    held: list[str] = []

    async def hold_the_first(route: Route) -> None:
        if held:
            await route.continue_()
            return
        held.append(route.request.url)
        await moved_on.wait()
        await route.continue_()

    await page.route("**/machines/l1-filler/trends?**", hold_the_first)
    await sign_in(page, "demo-support", "/diagnosis?machine=l1-filler")
    for other in ("Bearing temperature", "Motor current"):
        await page.locator("#signals").get_by_label(other).uncheck()
    await page.get_by_label("Range").select_option(label="1 hour")
    note = page.locator("#trend-note")
    await expect(note).to_contain_text("buckets of 5 s")
    await expect(page.locator("#charts .u-title")).to_have_text(["Vibration RMS"])
    assert len(held) == 1

    async with page.expect_response(held[0]):
        moved_on.set()
    await page.wait_for_timeout(1_000)  # time for the late answer to be drawn, were it drawn
    await expect(page.locator("#charts .u-title")).to_have_text(["Vibration RMS"])
    assert _span(await note.inner_text()) == timedelta(hours=1)
    await screenshots.take(page, "support", "the hour asked for, after a late answer")
    watch.expect_clean()


async def test_a_customer_is_told_remote_diagnosis_is_for_the_service_team(
    context: BrowserContext, screenshots: ScreenshotBook
) -> None:
    page = await context.new_page()
    watch = PageWatch.on(page)
    await sign_in(page, "demo-nordbrau", "/diagnosis?machine=l1-filler")

    await expect(page.locator("#refused-message")).to_contain_text("for the LineCare service team")
    await expect(page.locator("#page")).to_be_hidden()
    await page.wait_for_load_state("networkidle")
    await screenshots.take(page, "customer", "diagnosis refused")
    # No annotation form, so no refused call to the annotations API on the console.
    assert (watch.refusals(), watch.errors, watch.assets) == ([], [], [])

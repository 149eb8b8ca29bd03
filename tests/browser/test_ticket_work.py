"""A ticket worked through the console's buttons, by each person in turn.

The desk takes a phone call's ticket from the queue, classifies it with a note and
dispatches the Hamburg engineer; the engineer, on a phone, accepts the job, sets off and
arrives; the desk sees the ticket on site, and the customer reads where it stands in
plain words.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.api.dispatch_factories import registered_ticket
from tests.browser.customer_words import internal_terms
from tests.browser.page_watch import PageWatch
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import sign_in, sign_out

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DESK = {"Authorization": "Bearer demo-desk"}
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1400, height=1000)
CALL_BACK = "Called Jonas Brandt back: the main drive runs hot since the early shift."
# People read each other by name on the console; logins are for signing in.
STAFF_LOGINS = re.compile(r"\bdemo-(?:desk|support|field-\d)\b")


async def _status(page: Page) -> str:
    return await page.locator(".ticket-title .status-pill").first.inner_text()


async def _fits_the_screen(page: Page) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow} px wider than the phone"


async def _desk_classifies_and_dispatches(
    page: Page, number: str, screenshots: ScreenshotBook
) -> None:
    await sign_in(page, "demo-desk", "/tickets")
    row = page.locator("tr", has=page.get_by_role("link", name=number))
    await expect(row).to_contain_text("unassigned")
    await screenshots.take(page, "desk", "ticket queue")

    # Take the ticket: select it, assign it to oneself.
    await page.get_by_label(f"Select {number}").check()
    await page.get_by_role("button", name="Assign 1 ticket").click()
    await expect(row).to_contain_text("Service desk (demo)")
    await screenshots.take(page, "desk", "assigned to me")

    # Its page: classify it with a note for the audit trail.
    await page.get_by_role("link", name=number).click()
    await expect(page.get_by_role("heading", name=number)).to_be_visible()
    assert await _status(page) == "Registered"
    await page.get_by_placeholder("What was done or agreed, for the audit trail").fill(CALL_BACK)
    await page.get_by_role("button", name="Classify", exact=True).click()
    await expect(page.locator(".ticket-title .status-pill").first).to_have_text("Classified")
    await expect(page.get_by_text(CALL_BACK)).to_be_visible()
    await screenshots.take(page, "desk", "classified")

    # Dispatch the Hamburg engineer with what to bring.
    await page.get_by_label(re.compile("Field engineer Hamburg")).check()
    await page.get_by_label("Tools to bring (comma-separated)").fill("bearing puller")
    await page.get_by_role("button", name="Dispatch to Field engineer Hamburg (demo)").click()
    await expect(page.locator(".ticket-title .status-pill").first).to_have_text("Dispatched")
    await expect(
        page.locator("p").filter(has_text=re.compile(r"dispatched .* by Service desk \(demo\)"))
    ).to_be_visible()
    await expect(page.locator("#page")).to_contain_text("Registered by")
    assert STAFF_LOGINS.findall(await page.locator("#page").inner_text()) == []
    await screenshots.take(page, "desk", "dispatched")


async def _engineer_works_the_job_on_a_phone(
    browser: Browser, api_url: str, ticket: int, number: str, screenshots: ScreenshotBook
) -> None:
    phone = await browser.new_context(
        base_url=api_url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    try:
        page = await phone.new_page()
        watch = PageWatch.on(page)
        await sign_in(page, "demo-field-1", "/my-jobs")
        job = page.locator("article.job", has=page.get_by_role("link", name=number))
        await expect(job).to_contain_text("Filling line 1 · Filler")
        await expect(job).to_contain_text("Call +49 40 555 0199")
        await _fits_the_screen(page)
        await screenshots.take(page, "field engineer", "my jobs on a phone")

        await job.get_by_role("button", name="Accept this job").click()
        await expect(job).to_contain_text("✓ Accepted")
        await job.get_by_role("button", name="On my way").click()
        await expect(job.locator(".status-pill")).to_have_text("En route")
        await screenshots.take(page, "field engineer", "on the way")
        await job.get_by_role("button", name="Arrived on site").click()
        await expect(job.locator(".status-pill")).to_have_text("On site")
        await _fits_the_screen(page)
        await screenshots.take(page, "field engineer", "on site")

        # The job's ticket page names the people on it, not their logins.
        await page.goto(f"/tickets/{ticket}")
        await expect(page.get_by_role("heading", name=number)).to_be_visible()
        await expect(page.locator("#page")).to_contain_text("Field engineer Hamburg (demo)")
        assert STAFF_LOGINS.findall(await page.locator("#page").inner_text()) == []
        await screenshots.take(page, "field engineer", "ticket page on a phone")
        watch.expect_clean()
    finally:
        await phone.close()


async def _customer_reads_it_in_plain_words(
    browser: Browser, api_url: str, number: str, screenshots: ScreenshotBook
) -> None:
    context = await browser.new_context(base_url=api_url, viewport=DESKTOP)
    try:
        page = await context.new_page()
        watch = PageWatch.on(page)
        await sign_in(page, "demo-nordbrau", "/tickets")
        request = page.locator("article.portal-card", has_text=number)
        await expect(request).to_contain_text("Our engineer is with you")
        assert internal_terms(await page.locator("#page").inner_text()) == []
        await screenshots.take(page, "customer", "my requests")

        # Their request's page: who did what in plain words, never a login.
        await request.get_by_role("link").first.click()
        await expect(page.get_by_text(f"Reference {number}")).to_be_visible()
        text = await page.locator("#page").inner_text()
        assert STAFF_LOGINS.findall(text) == [] and internal_terms(text) == []
        await screenshots.take(page, "customer", "my request")
        watch.expect_clean()
        await sign_out(page)
    finally:
        await context.close()


async def test_a_ticket_is_worked_through_the_buttons(
    browser: Browser,
    context: BrowserContext,
    api_url: str,
    api: httpx.AsyncClient,
    screenshots: ScreenshotBook,
) -> None:
    ticket = await registered_ticket(api)
    number = (await api.get(f"/api/tickets/{ticket}", headers=DESK)).json()["number"]
    desk = await context.new_page()
    watch = PageWatch.on(desk)

    await _desk_classifies_and_dispatches(desk, number, screenshots)
    await _engineer_works_the_job_on_a_phone(browser, api_url, ticket, number, screenshots)

    # Back at the desk, the ticket reads on site, with the engineer's moves on its timeline.
    await desk.reload()
    await expect(desk.locator(".ticket-title .status-pill").first).to_have_text("On site")
    await expect(desk.get_by_text("En route → On site")).to_be_visible()
    await expect(desk.locator(".timeline")).to_contain_text("Field engineer Hamburg (demo)")
    assert STAFF_LOGINS.findall(await desk.locator("#page").inner_text()) == []
    await screenshots.take(desk, "desk", "on site")
    stored = (await api.get(f"/api/tickets/{ticket}", headers=DESK)).json()
    owners = (await api.get("/api/ticket-owners", headers=DESK)).json()
    assert stored["status"] == "on_site"
    assert {"ticket_id": ticket, "owner": "demo-desk"}.items() <= next(
        o for o in owners if o["ticket_id"] == ticket
    ).items()

    watch.expect_clean()

    await _customer_reads_it_in_plain_words(browser, api_url, number, screenshots)

"""Signing in on /sign-in with a password: a wrong one is refused in words, the session
cookie works and stays out of the page's reach, ?next= only leads within the site, and
signing out ends the session."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import BrowserContext, expect

from tests.browser.page_watch import PageWatch
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import SIGN_IN_TIMEOUT_MS, submit_sign_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_a_person_signs_in_and_out(
    context: BrowserContext, api_url: str, screenshots: ScreenshotBook
) -> None:
    page = await context.new_page()
    watch = PageWatch.on(page)
    await page.goto("/sign-in?next=/api/me")
    # The demo accounts are listed once the page's script runs.
    demo_buttons = page.locator("#demo-list button")
    await expect(demo_buttons.first).to_be_visible()
    await screenshots.take(page, "customer", "sign-in page")

    await submit_sign_in(page, "demo-nordbrau", "wrong-password")
    await expect(page.locator("#sign-in-error")).to_have_text("The login or the password is wrong.")
    await screenshots.take(page, "customer", "wrong password")

    # A demo account's button fills the form in.
    await demo_buttons.filter(has_text="Support engineer").click()
    await expect(page.get_by_label("Login")).to_have_value("demo-support")

    # Signed in, the page follows ?next= to a path of this site, where the cookie works.
    await submit_sign_in(page, "demo-nordbrau")
    await page.wait_for_url("**/api/me", timeout=SIGN_IN_TIMEOUT_MS)
    await expect(page.locator("body")).to_contain_text('"login"')
    assert json.loads(await page.inner_text("body"))["login"] == "demo-nordbrau"
    # HttpOnly: no script reads the session.
    assert await page.evaluate("document.cookie") == ""
    [cookie] = await context.cookies()
    assert (cookie.get("httpOnly"), cookie.get("sameSite")) == (True, "Strict")

    # ?next=//evil.example leads home instead.
    await page.goto("/sign-in?next=//evil.example/x")
    await submit_sign_in(page, "demo-nordbrau")
    await page.wait_for_url(f"{api_url}/", timeout=SIGN_IN_TIMEOUT_MS)
    await screenshots.take(page, "customer", "signed in home")

    # Signing out with the browser's cookie ends the session (the page itself then goes
    # to /sign-in on its next refresh, so the requests go beside it).
    signed_out = await page.request.post("/api/sign-out", headers={"X-Requested-With": "fetch"})
    assert signed_out.status == 204
    assert (await page.request.get("/api/me")).status == 401
    # The refusals above were asked for; nothing else went wrong on the way.
    assert (watch.errors, watch.assets) == ([], [])


@pytest.mark.parametrize(
    ("login", "landing"),
    [
        ("demo-field-1", "/my-jobs"),
        ("demo-desk", "/tickets"),
        ("demo-support", "/fleet"),
        ("demo-nordbrau", "/"),
    ],
)
async def test_without_next_each_role_lands_on_its_own_page(
    context: BrowserContext, api_url: str, screenshots: ScreenshotBook, login: str, landing: str
) -> None:
    page = await context.new_page()
    watch = PageWatch.on(page)
    await page.goto("/sign-in")
    await expect(page.locator("#demo-list button").first).to_be_visible()

    await submit_sign_in(page, login)

    await page.wait_for_url(f"{api_url}{landing}", timeout=SIGN_IN_TIMEOUT_MS)
    await page.wait_for_load_state("networkidle")
    await screenshots.take(page, login, f"landing {landing}")
    if login == "demo-field-1":
        # The desktop monitoring console sends a field engineer on to their jobs.
        await page.goto("/")
        await page.wait_for_url(f"{api_url}/my-jobs", timeout=SIGN_IN_TIMEOUT_MS)
    assert (watch.errors, watch.assets) == ([], [])

"""Signing in and out as a person does: the form on /sign-in, the top bar's Sign out."""

from __future__ import annotations

from playwright.async_api import Page, expect

# Every demo account's password (storage/user_store.py).
DEMO_PASSWORD = "linecare-demo"
# argon2id on a busy 2-core machine: a sign-in may take seconds.
SIGN_IN_TIMEOUT_MS = 30_000


async def submit_sign_in(page: Page, login: str, password: str = DEMO_PASSWORD) -> None:
    """Types the login and password into the form on the open /sign-in page and sends it."""
    await page.get_by_label("Login").fill(login)
    await page.get_by_label("Password").fill(password)
    # The button is enabled by the page's script: a form sent before it goes without it.
    await page.get_by_role("button", name="Sign in", exact=True).click()


async def sign_in(page: Page, login: str, next_page: str = "/") -> None:
    """Opens /sign-in?next=..., signs in with the demo password and waits to land."""
    await page.goto(f"/sign-in?next={next_page}")
    await submit_sign_in(page, login)
    await page.wait_for_url(lambda url: "/sign-in" not in url, timeout=SIGN_IN_TIMEOUT_MS)
    # Every page's top bar has Sign out (and the user chip, see expect_signed_in).
    await expect(page.locator("#sign-out")).to_be_visible()


async def expect_signed_in(page: Page) -> None:
    """The top bar shows who is signed in and the Sign out button."""
    await expect(page.locator("#user-chip")).to_be_visible()
    await expect(page.locator("#user-chip")).not_to_be_empty()
    await expect(page.locator("#sign-out")).to_be_visible()


async def sign_out(page: Page) -> None:
    """The top bar's Sign out: back on the sign-in page, and the session is gone."""
    await page.locator("#sign-out").click()
    await page.wait_for_url("**/sign-in")
    me = await page.request.get("/api/me")
    assert me.status == 401, await me.text()

"""The console on the session cookie alone.

Signed out, a page sends its visitor to /sign-in and gets them back; signed in with a
password, every page loads without an Authorization header and without a refusal, a
script error or a missing asset, unsafe requests carry X-Requested-With, a stale stored
token is dropped, Sign out ends the session, and a '#token=' link still works.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import httpx
import pytest
from playwright.async_api import BrowserContext, expect

from tests.api.dispatch_factories import FILLER_FAULT
from tests.browser.page_watch import PageWatch
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import (
    SIGN_IN_TIMEOUT_MS,
    expect_signed_in,
    sign_out,
    submit_sign_in,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DESK = {"Authorization": "Bearer demo-desk"}
PHONE_CALL = {
    **FILLER_FAULT,
    "line_id": "line-2",
    "machine_id": "l2-capper",
    "severity": "general",
    "summary": "Capper loses torque on every tenth bottle",
    "symptoms": "Caps loose since the night shift; no alarm on the HMI.",
}


def _address(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize(
    ("login", "role", "pages"),
    [
        ("demo-desk", "desk", ["/tickets", "/", "/tickets/{ticket}", "/kpis", "/knowledge",
                               "/maintenance", "/report?line=line-1"]),
        ("demo-field-1", "field engineer", ["/my-jobs", "/maintenance", "/knowledge"]),
    ],
    ids=["desk", "field-engineer"],
)  # fmt: skip
async def test_each_page_works_on_the_session_cookie_alone(
    context: BrowserContext,
    api: httpx.AsyncClient,
    screenshots: ScreenshotBook,
    login: str,
    role: str,
    pages: list[str],
) -> None:
    created = await api.post(
        "/api/tickets", json=PHONE_CALL, headers={**DESK, "Idempotency-Key": "session-browser"}
    )
    assert created.status_code == 201, created.text
    pages = [page.format(ticket=created.json()["id"]) for page in pages]
    page = await context.new_page()
    watch = PageWatch.on(page)

    # Signed out, the first page sends its visitor to sign in and gets them back.
    await page.goto(pages[0])
    await page.wait_for_url("**/sign-in?*")
    assert _address(page.url) == f"/sign-in?next={quote(pages[0], safe='')}"
    await expect(page.locator("#demo-list button").first).to_be_visible()
    await screenshots.take(page, role, "sent to sign in")
    await submit_sign_in(page, login)
    await page.wait_for_url(lambda url: "/sign-in" not in url, timeout=SIGN_IN_TIMEOUT_MS)
    await expect_signed_in(page)
    assert _address(page.url) == pages[0]

    for path in pages:
        watch.failures.clear()
        errors_before = len(watch.errors)
        await page.goto(path)
        await expect_signed_in(page)
        await page.wait_for_load_state("networkidle")  # the page's own requests
        assert _address(page.url).split("?")[0] == path.split("?")[0]
        assert (watch.refusals(), watch.errors[errors_before:], watch.assets) == ([], [], []), path
        await screenshots.take(page, role, f"page {path}")

    # An unsafe request through the console's client carries X-Requested-With: the
    # server's CSRF check lets it through to validation (422), without it the answer is 403.
    unsafe = await page.evaluate(
        """import("/static/api_client.js").then((m) =>
             m.apiPost("/tickets", {}, { idempotencyKey: m.newIdempotencyKey() })
               .then(() => 0, (e) => e.status))"""
    )
    assert unsafe == 422
    assert await page.evaluate('localStorage.getItem("linecare.token")') is None
    # The cookie alone: no request carried a token, every unsafe one the CSRF header.
    cookie_only = list(watch.requests)
    assert {r.authorization for r in cookie_only} == {None}
    unsafe_requests = [r for r in cookie_only if r.method not in ("GET", "HEAD")]
    assert unsafe_requests, cookie_only
    assert {r.requested_with for r in unsafe_requests} == {"fetch"}

    # A stale token left in the browser is forgotten, and the page goes on with the cookie.
    await page.evaluate('localStorage.setItem("linecare.token", "stale-token")')
    await page.goto(pages[0])
    await expect_signed_in(page)
    await page.wait_for_load_state("networkidle")
    assert await page.evaluate('localStorage.getItem("linecare.token")') is None

    # The top bar's Sign out ends the session and shows the sign-in page.
    await sign_out(page)
    await screenshots.take(page, role, "signed out")

    # A '#token=' link (API-key users, old demo links) still opens a page, with the Bearer
    # header.
    linked_from = len(watch.requests)
    await page.goto(f"{pages[0]}#token={quote(login)}")
    await expect_signed_in(page)
    await page.wait_for_load_state("networkidle")
    linked = watch.requests[linked_from:]
    assert f"Bearer {login}" in {r.authorization for r in linked}, linked

"""A customer's portal: their own lines and service requests in plain words, and nothing
of another customer's, whatever address they type.

Nordbrau (Hamburg, filling lines 1 and 2) signs in; Alpenpack's case packing line in Bern
has data, an open alert and a request of its own, none of which may reach Nordbrau's
browser: not on the page, not in any answer the page received.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Route, expect

from storage.connections import Pool
from tests.api.dispatch_factories import FILLER_FAULT, registered_ticket
from tests.api.factories import T0, insert_alert, insert_oee, insert_series
from tests.browser.customer_words import internal_terms
from tests.browser.page_watch import PageWatch
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import sign_in, sign_out

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ALPENPACK_CALL = {
    **FILLER_FAULT,
    "line_id": "line-3",
    "machine_id": "l3-packer",
    "summary": "Packer drops cartons at the gripper head",
    "symptoms": "Every fortieth carton falls; gripper vacuum reads low.",
    "contact_name": "Luca Moser",
    "contact_phone": "+41 31 555 0199",
}
# Words that would only reach Nordbrau's browser through a leak.
ALPENPACK = ("Alpenpack", "Case packing", "Case packer", "PK9-52201", "Bern", "gripper",
             "Luca Moser", "l3-erector", "l3-sealer")  # fmt: skip
# The staff console's words a customer's "My lines" does without.
SIGMA = "\N{GREEK SMALL LETTER SIGMA}"
INTERNALS = ("Anomaly", "anomaly", "lifetime counter", "uncertain", SIGMA, "score", "Signal")
NOT_FOUND = re.compile(r"not found|no such|does not exist|not yours|you may see", re.IGNORECASE)


class NotToldNotFound(AssertionError):
    """The page showed none of the other customer's data, but did not say it found none."""


async def _plant_with_two_customers(pool: Pool, api: httpx.AsyncClient) -> tuple[int, int]:
    """Data on both customers' lines; the ids of Nordbrau's and Alpenpack's requests."""
    async with pool.connection() as conn:
        for machine in ("l1-filler", "l3-packer"):
            await insert_series(
                conn,
                machine_id=machine,
                signal="vibration_rms",
                start=T0 - timedelta(hours=1),
                step=timedelta(seconds=10),
                values=[3.0 + (i % 5) / 10 for i in range(360)],
            )
        # Line 1's early shift, under way at T0 (06:00-14:00 UTC).
        for scope, subject in (("line", "line-1"), ("machine", "l1-filler")):
            await insert_oee(
                conn, scope=scope, subject_id=subject, shift_start=T0 - timedelta(hours=6)
            )
        await insert_alert(
            conn,
            machine_id="l3-packer",
            opened_at=T0 - timedelta(minutes=10),
            signals=("vibration_rms",),
            message="gripper vibration above normal",
        )
    return await registered_ticket(api), await registered_ticket(api, **ALPENPACK_CALL)


async def test_a_customer_sees_their_lines_and_requests_in_plain_words(
    context: BrowserContext,
    seeded_pool: Pool,
    api: httpx.AsyncClient,
    screenshots: ScreenshotBook,
) -> None:
    mine, _ = await _plant_with_two_customers(seeded_pool, api)
    page = await context.new_page()
    watch = PageWatch.on(page)
    await sign_in(page, "demo-nordbrau", "/")

    # My lines: both of Nordbrau's and no one else's, each in a plant manager's words.
    for line in ("Filling line 1", "Filling line 2"):
        await expect(page.get_by_role("heading", name=line, exact=True)).to_be_visible()
    first = page.locator("section.my-line", has_text="Filling line 1")
    # Samples seconds old: the data arrives, and the plant's clock reads their time, though
    # no collector has recorded the machine and its state signal is silent.
    await expect(first.locator("li.my-machine", has_text="Filler")).to_contain_text("data arriving")
    await expect(page.locator("#plant-clock")).to_contain_text("2026-03-02 12:59")
    # The shift under way, said to be one; the request in plain words; the report a click away.
    await expect(first).to_contain_text("OEE · Early shift")
    await expect(first).to_contain_text("in progress")
    await expect(first.locator(".my-oee-value")).to_have_text("68.4 %")
    await expect(first).to_contain_text("We have received your request")
    await expect(first.get_by_role("link", name="OEE report")).to_have_attribute(
        "href", "/report?line=line-1"
    )
    # None of the service team's internals.
    my_lines = await page.locator("#my-lines").inner_text()
    assert [w for w in INTERNALS if w in my_lines] == [], my_lines
    assert internal_terms(my_lines) == []
    await _expect_nothing_of_alpenpack(page)
    await screenshots.take(page, "customer", "my lines")

    # My requests, in plain words.
    await page.get_by_role("link", name=re.compile("My tickets|All your requests")).first.click()
    card = page.locator("article.portal-card", has_text="Filler main drive runs hot")
    await expect(card).to_contain_text("We have received your request")
    await expect(card).to_contain_text("Phone call")
    assert internal_terms(await page.locator("#page").inner_text()) == []
    await _expect_nothing_of_alpenpack(page)
    await screenshots.take(page, "customer", "my requests")

    # One request: where it stands and what was promised, without the team's internals.
    await page.goto(f"/tickets/{mine}")
    await expect(page.get_by_text("What we promised")).to_be_visible()
    await expect(page.locator("#page")).to_contain_text("Filler on Filling line 1")
    assert internal_terms(await page.locator("#page").inner_text()) == []
    await screenshots.take(page, "customer", "my request")

    # The OEE report offers Nordbrau's lines only.
    await page.goto("/report?line=line-1")
    lines = page.get_by_label("Line", exact=True).locator("option")
    await expect(lines).to_have_text([re.compile("^Filling line 1"), re.compile("^Filling line 2")])
    await expect(page.get_by_text("Loading…")).to_have_count(0)
    # The week up to the line's newest data (T0), with the shift under way in it.
    await expect(page.locator("#line-title")).to_have_text("OEE report · Filling line 1")
    await expect(page.locator("#line-sub")).to_contain_text("2026-02-23")
    await _expect_nothing_of_alpenpack(page)
    await screenshots.take(page, "customer", "OEE report")
    watch.expect_clean()

    await sign_out(page)
    await screenshots.take(page, "customer", "signed out")


# Remote diagnosis is the service team's page: a customer is told so for any machine.
SERVICE_TEAMS = re.compile(r"for the LineCare service team")


@pytest.mark.parametrize(
    ("address", "told"),
    [
        pytest.param("/?machine=l3-packer", NOT_FOUND, id="console-machine"),
        pytest.param("/diagnosis?machine=l3-packer", SERVICE_TEAMS, id="diagnosis"),
        pytest.param("/report?line=line-3", NOT_FOUND, id="oee-report"),
        pytest.param("/tickets/{alpenpack_ticket}", NOT_FOUND, id="ticket"),
    ],
)
async def test_a_customer_typing_another_customers_address_gets_nothing(
    context: BrowserContext,
    seeded_pool: Pool,
    api: httpx.AsyncClient,
    screenshots: ScreenshotBook,
    address: str,
    told: re.Pattern[str],
) -> None:
    _, theirs = await _plant_with_two_customers(seeded_pool, api)
    page = await context.new_page()
    await sign_in(page, "demo-nordbrau", "/tickets")
    answers = await _keep_api_answers(page)

    await page.goto(address.format(alpenpack_ticket=theirs))
    await page.wait_for_load_state("networkidle")
    await screenshots.take(page, "customer", "typed another customer's address")

    # No data: not on the page, not in any answer the page was given.
    await _expect_nothing_of_alpenpack(page)
    assert answers, "the page asked the API nothing"
    for url, body in answers:
        assert [word for word in ALPENPACK if word in body] == [], url
    # And it says so.
    text = await page.locator("body").inner_text()
    if not told.search(text):
        raise NotToldNotFound(f"{address}: no not-found message in {text[:300]!r}")


async def _keep_api_answers(page: Page) -> list[tuple[str, str]]:
    """Every answer the API gives the page from now on, as (address, body): relayed by the
    test, since a body is gone once the page moves on. Live streams never end: they pass."""
    answers: list[tuple[str, str]] = []

    async def relay(route: Route) -> None:
        if route.request.url.split("?")[0].endswith("/stream"):
            await route.continue_()
            return
        answer = await route.fetch()
        answers.append((route.request.url, await answer.text()))
        await route.fulfill(response=answer)

    await page.route("**/api/**", relay)
    return answers


async def _expect_nothing_of_alpenpack(page: Page) -> None:
    text = await page.locator("body").inner_text()
    assert [word for word in ALPENPACK if word in text] == []

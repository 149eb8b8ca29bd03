"""A customer's request history tells a machine stop as it was: when it stopped, when it
ran again after how long, and a raised priority only when the stop itself raised it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import BrowserContext, expect

from storage import ticket_store
from storage.connections import Pool
from tests.api.conftest import DESK
from tests.api.dispatch_factories import registered_ticket
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import sign_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HAMBURG = ZoneInfo("Europe/Berlin")


async def _received_at(api: httpx.AsyncClient, ticket_id: int) -> datetime:
    response = await api.get(f"/api/tickets/{ticket_id}", headers=DESK)
    assert response.status_code == 200, response.text
    return datetime.fromisoformat(response.json()["received_at"]).replace(second=0, microsecond=0)


async def _regrade(pool: Pool, ticket_id: int, at: datetime, old: str, new: str) -> None:
    async with pool.connection() as conn:
        await ticket_store.append_event(
            conn,
            ticket_id=ticket_id,
            at=at,
            kind="regraded",
            note=f"{old} -> {new}",
            field="severity",
            old_value=old,
            new_value=new,
        )


async def _stop(pool: Pool, ticket_id: int, at: datetime, minutes: int | None) -> None:
    async with pool.connection() as conn:
        await ticket_store.append_event(
            conn,
            ticket_id=ticket_id,
            at=at,
            kind="machine_stop",
            note="Filler stopped since ... on PLC fault 201, still stopped",
            field="fault_code",
            new_value="201",
        )
        if minutes is not None:
            await ticket_store.append_event(
                conn,
                ticket_id=ticket_id,
                at=at + timedelta(minutes=minutes),
                kind="machine_running",
                note="Filler running again",
                field="machine_state",
                old_value="stopped",
                new_value="running",
            )


def _clock(at: datetime) -> str:
    local = at.astimezone(HAMBURG)
    return f"{local:%H:%M} {local:%Z}"


async def test_a_stop_raises_the_priority_in_the_customers_words_only_when_it_did(
    context: BrowserContext,
    seeded_pool: Pool,
    api: httpx.AsyncClient,
    screenshots: ScreenshotBook,
) -> None:
    earlier = await registered_ticket(api)
    by_stop = await registered_ticket(api, summary="Filler stops on a drive fault")
    start = await _received_at(api, earlier) + timedelta(minutes=2)
    # The priority went up before the stop (a worsening warning); the stop changed nothing.
    await _regrade(seeded_pool, earlier, start, "general", "serious")
    await _stop(seeded_pool, earlier, start + timedelta(minutes=10), 45)
    # Here the stop itself raised it; the machine has not run since.
    await _stop(seeded_pool, by_stop, start + timedelta(minutes=10), None)
    await _regrade(seeded_pool, by_stop, start + timedelta(minutes=10), "general", "serious")

    page = await context.new_page()
    await sign_in(page, "demo-nordbrau", "/")
    await page.goto(f"/tickets/{earlier}")
    history = page.locator("ol.timeline.plain")
    stopped = f"Your machine stopped at {_clock(start + timedelta(minutes=10))}"
    await expect(history).to_contain_text(stopped)
    await expect(history).to_contain_text(
        f"Your machine runs again at {_clock(start + timedelta(minutes=55))}, after 45 min"
    )
    await expect(history).not_to_contain_text("raised the priority")
    await screenshots.take(page, "customer", "stop that changed nothing")

    await page.goto(f"/tickets/{by_stop}")
    await expect(history).to_contain_text(f"{stopped}: we raised the priority")
    await expect(history).not_to_contain_text("runs again")
    await screenshots.take(page, "customer", "stop that raised the priority")

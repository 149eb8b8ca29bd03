"""The PLC alarms on a ticket's evidence read in words: the desk sees the machine's name
and the fault-code manual's meaning, the customer the meaning the manual publishes for
them, never the machine's internal id."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect

from alerts.alert_job import run_alert_cycle
from alerts.parts_catalogue_import import read_catalogue
from launcher.knowledge_cli import seed_demo_knowledge
from models.plant import Plant
from models.plc_events import PlcEvent
from storage import parts_store
from storage.anomaly_store import insert_scores
from storage.connections import Pool
from storage.customer_scope import CustomerScope
from storage.plc_event_store import write_plc_events
from storage.ticket_store import list_tickets
from tests.alerts.factories import FRIDAY_0800, WINDOW, score_series
from tests.api.factories import T0
from tests.browser.page_watch import PageWatch
from tests.browser.screenshots import ScreenshotBook
from tests.browser.sign_in_steps import sign_in

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
NOW = FRIDAY_0800 + timedelta(minutes=20)


@pytest.fixture
async def warned(seeded_pool: Pool, plant: Plant) -> int:
    """The demo manual, and a warning on the Hamburg filler after PLC alarm 104."""
    catalogue = read_catalogue((CONFIG_DIR / "parts_catalogue.csv").read_text(encoding="utf-8"))
    async with seeded_pool.connection() as conn:
        await parts_store.import_catalogue(conn, parts=catalogue.rows, by="test", at=T0)
        await seed_demo_knowledge(conn, config_dir=CONFIG_DIR, at=T0)
        await write_plc_events(
            conn,
            events=[
                PlcEvent(
                    NOW - timedelta(minutes=30),
                    "l1-filler",
                    "ns=2;s=Filler",
                    "AlarmConditionType",
                    500,
                    104,
                    "l1-filler: fault 104",
                    b"e104",
                    {},
                )
            ],
        )
        await insert_scores(
            conn, scores=score_series("l1-filler", start=NOW - 10 * WINDOW, windows=10, score=0.7)
        )
    await run_alert_cycle(seeded_pool, plant, now=NOW)
    async with seeded_pool.connection() as conn:
        (ticket,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
    return ticket.id


@pytest.mark.parametrize(
    ("login", "role", "words"),
    [
        ("demo-desk", "desk", "Filler: fault 104 Outfeed blocked"),
        ("demo-nordbrau", "customer", "Outfeed blocked (fault 104)"),
    ],
)
async def test_a_plc_alarm_on_the_ticket_reads_in_words(
    context: BrowserContext,
    warned: int,
    screenshots: ScreenshotBook,
    login: str,
    role: str,
    words: str,
) -> None:
    page = await context.new_page()
    watch = PageWatch.on(page)
    await sign_in(page, login, f"/tickets/{warned}")

    evidence = page.locator("section", has=page.locator("[id^='evidence-']"))
    await expect(evidence).to_contain_text(words)
    await expect(evidence).not_to_contain_text("l1-filler")
    await expect(evidence).not_to_contain_text("fault code 104")
    await evidence.scroll_into_view_if_needed()
    await screenshots.take(page, role, "alarm in words")
    watch.expect_clean()

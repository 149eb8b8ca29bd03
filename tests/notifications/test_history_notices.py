"""Seeded or imported service history tells no one: only live tickets make notices."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from launcher.service_history_demo import seed_service_history
from models.plant import Plant
from notifications.notification_job import notification_cycle
from storage import notification_store
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from tests.api.factories import T0
from tests.notifications.conftest import policy
from tests.notifications.test_notification_job import NORDBRAU_CONTACT, open_ticket

pytestmark = pytest.mark.integration


async def test_seeded_history_sends_nothing_while_a_live_ticket_still_does(
    seeded_pool: Pool, plant: Plant, http: httpx.AsyncClient
) -> None:
    async with seeded_pool.connection() as conn:
        seeded = await seed_service_history(conn, plant=plant, now=T0)
        live = await open_ticket(conn)

    await notification_cycle(seeded_pool, policy(), http=http, now=T0 + timedelta(minutes=5))

    async with seeded_pool.connection() as conn:
        deliveries = await notification_store.list_deliveries(
            conn, scope=EVERY_CUSTOMER, subscription_id=None
        )
    assert seeded == 7
    # Only the live ticket's 'ticket opened', to its contact and the desk.
    assert {d.notice.ticket_id for d in deliveries} == {live}
    assert {d.notice.email_to for d in deliveries} == {NORDBRAU_CONTACT, "desk@linecare.example"}

"""GET /api/machines/{id}/live/stream: live values pushed over Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.live_broadcast import broadcaster_of
from storage.connections import Pool
from tests.api.conftest import ALPENPACK, NORDBRAU, SUPPORT
from tests.api.factories import T0, insert_samples

pytestmark = pytest.mark.integration

WAIT_S = 5.0


async def _live_events(response: httpx.Response) -> AsyncGenerator[dict[str, Any]]:
    """The data of each ``live`` event, as it arrives."""
    event = None
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:") and event == "live":
            yield json.loads(line.removeprefix("data:"))


def _value(update: dict[str, Any], signal: str) -> object:
    return next(v["value"] for v in update["live"]["values"] if v["signal"] == signal)


async def test_a_new_sample_reaches_the_stream(
    app: FastAPI, api_url: str, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        await insert_samples(
            conn, machine_id="l1-filler", signal="bearing_temp", samples=[(T0, 61.0)]
        )
    async with (
        httpx.AsyncClient(base_url=api_url, timeout=WAIT_S) as http,
        http.stream("GET", "/api/machines/l1-filler/live/stream", headers=NORDBRAU) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _live_events(response)
        first = await asyncio.wait_for(anext(events), WAIT_S)
        assert _value(first, "bearing_temp") == 61.0
        assert first["live"]["machine_id"] == "l1-filler"
        # No collector has recorded the machine: its status says so rather than "online".
        assert first["status"]["state"] == "unknown"

        async with seeded_pool.connection() as conn:
            await insert_samples(
                conn,
                machine_id="l1-filler",
                signal="bearing_temp",
                samples=[(T0 + timedelta(seconds=1), 62.5)],
            )
        second = await asyncio.wait_for(anext(events), WAIT_S)
        assert _value(second, "bearing_temp") == 62.5
        assert broadcaster_of(app).watchers == 1
        await events.aclose()

    # The closed stream stops counting as a watcher.
    for _ in range(50):
        if broadcaster_of(app).watchers == 0:
            break
        await asyncio.sleep(0.1)
    assert broadcaster_of(app).watchers == 0


async def test_offline_machines_say_so(api_url: str, seeded_pool: Pool) -> None:
    async with seeded_pool.connection() as conn:
        await conn.execute(
            "INSERT INTO machine_status (machine_id, online, since, last_seen, reason, detail)"
            " VALUES ('l2-filler', false, %s, %s, 'silent', 'no data for 60 s')",
            (T0, T0 - timedelta(minutes=1)),
        )
    async with (
        httpx.AsyncClient(base_url=api_url, timeout=WAIT_S) as http,
        http.stream("GET", "/api/machines/l2-filler/live/stream", headers=SUPPORT) as response,
    ):
        events = _live_events(response)
        first = await asyncio.wait_for(anext(events), WAIT_S)
        await events.aclose()

    assert first["status"]["state"] == "offline"
    assert first["status"]["reason"] == "no data for 60 s"


async def test_another_customers_machine_is_404_before_any_event(api_url: str) -> None:
    async with httpx.AsyncClient(base_url=api_url, timeout=WAIT_S) as http:
        response = await http.get("/api/machines/l1-filler/live/stream", headers=ALPENPACK)
        unknown = await http.get("/api/machines/nope/live/stream", headers=SUPPORT)
        anonymous = await http.get("/api/machines/l1-filler/live/stream")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "machine 'l1-filler' not found"
    assert unknown.status_code == 404
    assert anonymous.status_code == 401


async def test_streams_do_not_hold_pooled_connections(
    app: FastAPI, api_url: str, seeded_pool: Pool
) -> None:
    """More watchers than the pool has connections all get their first event."""
    watchers = seeded_pool.max_size + 5

    async def first_event(http: httpx.AsyncClient) -> dict[str, Any]:
        async with http.stream(
            "GET", "/api/machines/l1-filler/live/stream", headers=SUPPORT
        ) as response:
            events = _live_events(response)
            try:
                return await anext(events)
            finally:
                await events.aclose()

    limits = httpx.Limits(max_connections=watchers + 1)
    async with httpx.AsyncClient(base_url=api_url, timeout=WAIT_S, limits=limits) as http:
        firsts = await asyncio.wait_for(
            asyncio.gather(*(first_event(http) for _ in range(watchers))), 2 * WAIT_S
        )

    assert len(firsts) == watchers


async def test_a_lines_stream_carries_each_of_its_machines(
    app: FastAPI, api_url: str, seeded_pool: Pool
) -> None:
    async with seeded_pool.connection() as conn:
        for machine in ("l1-filler", "l1-capper", "l1-labeller"):
            await insert_samples(conn, machine_id=machine, signal="speed", samples=[(T0, 100.0)])
    async with (
        httpx.AsyncClient(base_url=api_url, timeout=WAIT_S) as http,
        http.stream("GET", "/api/lines/line-1/live/stream", headers=NORDBRAU) as response,
    ):
        events = _live_events(response)
        seen = {
            (await asyncio.wait_for(anext(events), WAIT_S))["live"]["machine_id"] for _ in range(3)
        }
        await events.aclose()
        other = await http.get("/api/lines/line-3/live/stream", headers=NORDBRAU)

    assert seen == {"l1-filler", "l1-capper", "l1-labeller"}
    assert other.status_code == 404
    assert other.json()["detail"] == "line 'line-3' not found"
    for _ in range(50):
        if broadcaster_of(app).watchers == 0:
            break
        await asyncio.sleep(0.1)
    assert broadcaster_of(app).watchers == 0

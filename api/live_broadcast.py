"""Live values fanned out to every open stream from one database poller per process.

However many people watch, the process asks the database once per tick for the
newest values of the machines someone watches (one LATERAL query) and their
connection status (one query); the model and score facts, which change slowly,
every few seconds. Each machine's update is serialised once and handed to every
subscriber by swapping an ``asyncio.Event``: a waiting stream wakes, reads the
newest payload and sends it.

The poller reads every customer's rows (``EVERY_CUSTOMER``): one query serves the
streams of all users; who may watch a machine is checked when a stream opens.

Overflow policy: a stream that cannot keep up skips to the newest payload; live
values are a state, not a log, so nothing a reader needs is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

from fastapi import FastAPI

from api.live_status import UNSCORED, ModelFacts, live_status
from api.schemas.live import LiveUpdatePublic
from api.schemas.telemetry import MachineLivePublic
from api.score_freshness import score_freshness
from models.plant import Plant
from models.readings import LatestValue
from models.states import TimeCategory
from storage import anomaly_store, condition_model_store, condition_scoring_store
from storage.condition_model_codec import ModelDecodeError
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.machine_status_store import list_machine_status
from storage.telemetry_queries import latest_values

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.25
MODEL_REFRESH_S = 10.0


class LiveBroadcaster:
    """Polls while anyone subscribes; ``updates`` yields a machine's payloads as they change."""

    def __init__(
        self,
        pool: Pool,
        plant: Plant,
        *,
        interval_s: float = POLL_INTERVAL_S,
        model_refresh_s: float = MODEL_REFRESH_S,
    ) -> None:
        self._pool = pool
        self._plant = plant
        self._interval_s = interval_s
        self._model_refresh_s = model_refresh_s
        self._signals = sorted({s.name for p in plant.placements() for s in p.machine.signals})
        self._running_states = {
            state
            for state, category in plant.state_categories.items()
            if category is TimeCategory.RUNNING
        }
        self._payloads: dict[str, str] = {}
        self._changed: dict[str, asyncio.Event] = {}
        self._watchers: Counter[str] = Counter()
        self._models: dict[str, ModelFacts] = {}
        self._models_at = float("-inf")
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def watchers(self) -> int:
        return sum(self._watchers.values())

    async def updates(self, machine_id: str) -> AsyncIterator[str]:
        """The machine's newest payload now (once the first poll has it), then each change."""
        self._watchers[machine_id] += 1
        self._start()
        if machine_id not in self._payloads:
            self._wake.set()
        try:
            sent: str | None = None
            while not self._closed:
                # The event is taken before the payload is read: a change in between sets it.
                changed = self._changed.setdefault(machine_id, asyncio.Event())
                payload = self._payloads.get(machine_id)
                if payload is not None and payload is not sent:
                    sent = payload
                    yield payload
                    continue
                await changed.wait()
        finally:
            self._watchers[machine_id] -= 1
            if self._watchers[machine_id] <= 0:
                del self._watchers[machine_id]

    async def close(self) -> None:
        """Stop polling and let every stream end."""
        self._closed = True
        for event in self._changed.values():
            event.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="live-broadcast")

    async def _run(self) -> None:
        while not self._closed:
            machines = sorted(self._watchers)
            if machines:
                try:
                    await self._poll(machines)
                except Exception:  # a failed tick must not end every stream: the next retries
                    log.exception("live values poll failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval_s)

    async def _poll(self, machines: list[str]) -> None:
        async with self._pool.connection() as conn:
            latest = await latest_values(
                conn, machine_ids=machines, signals=self._signals, scope=EVERY_CUSTOMER
            )
            recorded = {
                s.machine_id: s
                for s in await list_machine_status(conn, machine_ids=machines, scope=EVERY_CUSTOMER)
            }
            due = time.monotonic() - self._models_at >= self._model_refresh_s
            if due or any(m not in self._models for m in machines):
                self._models.update(await self._model_facts(conn, machines, latest))
                self._models_at = time.monotonic()
        by_machine: dict[str, list[LatestValue]] = {}
        for value in latest:
            by_machine.setdefault(value.machine_id, []).append(value)
        for machine in machines:
            update = LiveUpdatePublic(
                live=MachineLivePublic.of(
                    self._plant.placement_of(machine), by_machine.get(machine, []), self._plant
                ),
                status=live_status(recorded.get(machine), self._models.get(machine, UNSCORED)),
            )
            self._publish(machine, update.model_dump_json())

    def _publish(self, machine_id: str, payload: str) -> None:
        if self._payloads.get(machine_id) == payload:
            return
        self._payloads[machine_id] = payload
        waiting = self._changed.get(machine_id)
        self._changed[machine_id] = asyncio.Event()
        if waiting is not None:
            waiting.set()

    async def _model_facts(
        self, conn: Connection, machines: Sequence[str], latest: Sequence[LatestValue]
    ) -> dict[str, ModelFacts]:
        scores = await anomaly_store.latest_scores(conn, machine_ids=machines, scope=EVERY_CUSTOMER)
        positions = await condition_scoring_store.positions(
            conn, machine_ids=machines, scope=EVERY_CUSTOMER
        )
        facts: dict[str, ModelFacts] = {}
        for machine_id in machines:
            machine = self._plant.placement_of(machine_id).machine
            try:
                usable = await condition_model_store.load_usable_model(
                    conn,
                    machine_id=machine_id,
                    signals=[s.name for s in machine.signals],
                    scope=EVERY_CUSTOMER,
                )
            except ModelDecodeError:
                facts[machine_id] = ModelFacts(analysis="unscored", freshness=None)
                continue
            if usable is None:
                facts[machine_id] = UNSCORED
                continue
            score = scores.get(machine_id)
            if score is None:
                facts[machine_id] = ModelFacts(analysis="scoring", freshness=None)
                continue
            own = [v for v in latest if v.machine_id == machine_id]
            state = next((v.value for v in own if v.signal == "state"), None)
            position = positions.get(machine_id)
            facts[machine_id] = ModelFacts(
                analysis="scoring",
                freshness=score_freshness(
                    score_time=score.time,
                    analysed_until=position.scored_until if position is not None else None,
                    newest_sample=max((v.time for v in own), default=None),
                    state=int(state) if state is not None else None,
                    running_states=self._running_states,
                    observation_width=timedelta(seconds=usable.stored.model.observation_width_s),
                ),
            )
        return facts


def broadcaster_of(app: FastAPI) -> LiveBroadcaster:
    """The app's broadcaster, made on first use: the pool may open only in the lifespan."""
    existing: LiveBroadcaster | None = getattr(app.state, "live_broadcaster", None)
    if existing is None:
        existing = LiveBroadcaster(app.state.pool, app.state.plant)
        app.state.live_broadcaster = existing
    return existing


async def close_broadcaster(app: FastAPI) -> None:
    existing: LiveBroadcaster | None = getattr(app.state, "live_broadcaster", None)
    if existing is not None:
        await existing.close()
        app.state.live_broadcaster = None

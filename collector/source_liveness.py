"""Which machines are sending: lag per machine, and offline marking in ``machine_status``.

``observe`` runs for every batch a transport puts into the sink and only updates
a few numbers per machine. ``run`` writes to the database every few seconds: the
machines seen since the last time (online, with their last-seen time), then
every machine of this collector that has sent nothing for ``offline_after_s``
(offline). The offline decision is made in SQL against ``last_seen``, the latest
time *any* collector saw the machine, so collectors sharing a line's messages
never mark each other's machines offline.

A source may know sooner: an OPC UA session lost, a certificate refused, a
Sparkplug death. ``mark_down`` marks those machines offline at once, with the
reason; only data that arrives after it brings them back. The ``online``
pseudo-readings of Sparkplug births and deaths say nothing about data arriving
and never count as data here.

Times here are the collector's wall clock, not the source's: a replayed or
simulated plant may run ahead of or behind the wall clock, and a machine is
offline when its data stops *arriving*, whatever time it carries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from collector.sparkplug_host import ONLINE_SIGNAL
from models.machine_status import OfflineReason
from models.readings import Reading
from storage.connections import Pool
from storage.machine_status_store import MachineDown, mark_offline, record_down, record_seen

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Seen:
    received: int
    newest_source_time: datetime
    last_received: float  # wall clock, seconds since the epoch


@dataclass(frozen=True, slots=True)
class MachineLiveness:
    machine_id: str
    received: int
    online: bool
    # Receive time of the newest sample minus its source time; negative when
    # the source's clock runs ahead of ours (a simulated plant at 60x does).
    lag_s: float | None


class SourceLiveness:
    def __init__(
        self,
        machine_ids: Iterable[str],
        *,
        offline_after_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._machines = sorted(set(machine_ids))
        self._offline_after_s = offline_after_s
        self._clock = clock
        self._started = clock()
        self._seen: dict[str, _Seen] = {}
        # Per machine, first and last receive time since the database last heard of it.
        self._unrecorded: dict[str, tuple[float, float]] = {}
        # Machines their source reported gone, not yet written; and when each went.
        self._downs: list[MachineDown] = []
        self._down_at: dict[str, float] = {}

    @property
    def offline_after_s(self) -> float:
        return self._offline_after_s

    def observe(self, readings: Sequence[Reading]) -> None:
        """Note a batch as it arrives; cheap enough for every message."""
        now = self._clock()
        machine = ""
        seen: _Seen | None = None
        for r in readings:
            if r.signal == ONLINE_SIGNAL:
                continue
            if seen is None or r.machine_id != machine:
                machine = r.machine_id
                seen = self._seen.get(machine)
                if seen is None:
                    seen = self._seen[machine] = _Seen(0, r.time, now)
                seen.last_received = now
                first, _ = self._unrecorded.get(machine, (now, now))
                self._unrecorded[machine] = (first, now)
            seen.received += 1
            if r.time > seen.newest_source_time:
                seen.newest_source_time = r.time

    def snapshot(self) -> list[MachineLiveness]:
        """Every machine of this collector and every machine heard from, as of now."""
        now = self._clock()
        machines = sorted(set(self._machines) | set(self._seen))
        result = []
        for machine in machines:
            seen = self._seen.get(machine)
            if seen is None:
                result.append(MachineLiveness(machine, 0, False, None))
                continue
            online = (
                now - seen.last_received <= self._offline_after_s
                and seen.last_received > self._down_at.get(machine, float("-inf"))
            )
            lag = seen.last_received - seen.newest_source_time.timestamp()
            result.append(MachineLiveness(machine, seen.received, online, lag))
        return result

    def mark_down(self, machine_ids: Collection[str], reason: OfflineReason, detail: str) -> None:
        """The machines' source says their data stopped now; written on the next record."""
        now = self._clock()
        for machine in machine_ids:
            # Data that arrived before the loss must not bring the machine back.
            self._unrecorded.pop(machine, None)
            self._down_at[machine] = now
            self._downs.append(MachineDown(machine, _utc(now), reason, detail))

    async def run(self, pool: Pool, *, interval_s: float | None = None) -> None:
        """Record liveness in the database every ``interval_s`` until cancelled."""
        interval = interval_s if interval_s is not None else min(self._offline_after_s / 4, 5.0)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.record(pool)
            except (psycopg.Error, TimeoutError) as error:
                log.warning("machine status not recorded, retrying: %s", error)

    async def record(self, pool: Pool) -> None:
        """Write the machines their sources reported gone, who was seen since, then mark
        the silent machines offline."""
        unrecorded, self._unrecorded = self._unrecorded, {}
        downs, self._downs = self._downs, []
        now = self._clock()
        try:
            async with asyncio.timeout(30), pool.connection() as conn:
                gone = await record_down(conn, downs=downs)
                back = await record_seen(
                    conn,
                    seen={m: (_utc(first), _utc(last)) for m, (first, last) in unrecorded.items()},
                )
                silent: list[str] = []
                if now - self._started >= self._offline_after_s:
                    silent = await mark_offline(
                        conn,
                        machine_ids=self._machines,
                        silent_since=_utc(now - self._offline_after_s),
                        now=_utc(now),
                    )
        except BaseException:
            self._downs[:0] = downs
            for machine, (first, last) in unrecorded.items():
                known = self._unrecorded.get(machine, (first, last))
                self._unrecorded[machine] = (first, max(last, known[1]))
            raise
        reasons = {down.machine_id: down for down in downs}
        for machine in gone:
            log.warning(
                "machine %s is offline: %s",
                machine,
                reasons[machine].detail,
                extra={"machine": machine, "reason": str(reasons[machine].reason)},
            )
        for machine in back:
            log.info("machine %s is online", machine, extra={"machine": machine})
        for machine in silent:
            log.warning(
                "machine %s is offline: no data for %.0f s",
                machine,
                self._offline_after_s,
                extra={"machine": machine},
            )


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)

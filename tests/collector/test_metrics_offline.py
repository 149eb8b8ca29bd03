"""A machine whose data stops arriving is marked offline, and online again when it returns;
a source that reports its machines gone marks them offline at once, with the reason."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from collector.source_liveness import SourceLiveness
from models.machine_status import MachineStatus, OfflineReason
from models.plant import Plant
from models.readings import Reading
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.machine_status_store import list_machine_status

pytestmark = pytest.mark.integration

PACKER, SEALER = "l3-packer", "l3-sealer"
START = 1_800_000_000.0  # wall clock of the fake clock, seconds since the epoch


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(START + seconds, UTC)


def _reading(machine: str) -> list[Reading]:
    # The source's own time plays no part: liveness is about data arriving.
    return [Reading(datetime(2020, 1, 1, tzinfo=UTC), machine, "state", 6)]


async def _statuses(pool: Pool) -> dict[str, MachineStatus]:
    async with pool.connection() as conn:
        rows = await list_machine_status(
            conn, machine_ids=[PACKER, SEALER, "l1-filler"], scope=EVERY_CUSTOMER
        )
    return {status.machine_id: status for status in rows}


async def test_silence_marks_offline_and_new_data_online_again(db_pool: Pool, plant: Plant) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    clock = FakeClock()
    liveness = SourceLiveness([PACKER, SEALER], offline_after_s=60, clock=clock)

    clock.now += 5
    liveness.observe(_reading(PACKER))
    await liveness.record(db_pool)
    first = await _statuses(db_pool)
    # Nothing is marked offline before a whole timeout has passed since start.
    assert first == {PACKER: MachineStatus(PACKER, True, _at(5), _at(5))}

    clock.now += 70
    await liveness.record(db_pool)
    silent = await _statuses(db_pool)
    silence = (OfflineReason.SILENT, "no data for 60 s")
    assert silent[PACKER] == MachineStatus(PACKER, False, _at(75), _at(5), *silence)
    assert silent[SEALER] == MachineStatus(SEALER, False, _at(75), None, *silence)
    assert not any(m.online for m in liveness.snapshot())

    clock.now += 10
    liveness.observe(_reading(PACKER))
    clock.now += 2
    liveness.observe(_reading(PACKER))
    await liveness.record(db_pool)
    back = await _statuses(db_pool)
    assert back[PACKER] == MachineStatus(PACKER, True, _at(85), _at(87))
    assert back[SEALER].online is False
    assert {m.machine_id: m.online for m in liveness.snapshot()} == {PACKER: True, SEALER: False}


async def test_a_machine_another_collector_hears_stays_online(db_pool: Pool, plant: Plant) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    clock = FakeClock()
    # Two collectors share the line's messages; only the first got the packer's lately.
    hearing = SourceLiveness([PACKER], offline_after_s=60, clock=clock)
    deaf = SourceLiveness([PACKER], offline_after_s=60, clock=clock)

    clock.now += 100
    hearing.observe(_reading(PACKER))
    await hearing.record(db_pool)
    await deaf.record(db_pool)

    assert (await _statuses(db_pool))[PACKER].online


async def test_status_is_not_lost_while_the_database_cannot_be_reached(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    clock = FakeClock()
    liveness = SourceLiveness([PACKER], offline_after_s=60, clock=clock)
    liveness.observe(_reading(PACKER))
    unreachable: Pool = AsyncConnectionPool("host=127.0.0.1", open=False)
    with pytest.raises(psycopg.OperationalError):
        await liveness.record(unreachable)
    await liveness.record(db_pool)

    assert (await _statuses(db_pool))[PACKER] == MachineStatus(PACKER, True, _at(0), _at(0))


def _online(machine: str, value: float) -> list[Reading]:
    return [Reading(datetime(2020, 1, 1, tzinfo=UTC), machine, "online", value)]


async def test_a_source_marks_its_machines_offline_at_once_with_the_reason(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    clock = FakeClock()
    liveness = SourceLiveness([PACKER, SEALER], offline_after_s=60, clock=clock)
    liveness.observe(_reading(PACKER))
    await liveness.record(db_pool)

    clock.now += 2
    # The NDEATH's own online=0 reading arrives with the death: it is no data.
    liveness.observe(_online(PACKER, 0.0))
    liveness.mark_down([PACKER], OfflineReason.NODE_DEATH, "Sparkplug NDEATH of g/n")
    await liveness.record(db_pool)
    dead = (await _statuses(db_pool))[PACKER]
    assert dead == MachineStatus(
        PACKER, False, _at(2), _at(0), OfflineReason.NODE_DEATH, "Sparkplug NDEATH of g/n"
    )
    assert {m.machine_id: m.online for m in liveness.snapshot()}[PACKER] is False

    # A retry failing for another reason keeps the time the machine went offline.
    clock.now += 3
    liveness.mark_down([PACKER], OfflineReason.UNTRUSTED, "trust the certificate")
    await liveness.record(db_pool)
    untrusted = (await _statuses(db_pool))[PACKER]
    assert (untrusted.online, untrusted.since, untrusted.reason) == (
        False,
        _at(2),
        OfflineReason.UNTRUSTED,
    )

    # Births' online=1 pseudo-readings do not bring it back either; data does.
    clock.now += 1
    liveness.observe(_online(PACKER, 1.0))
    await liveness.record(db_pool)
    assert (await _statuses(db_pool))[PACKER].online is False
    clock.now += 1
    liveness.observe(_reading(PACKER))
    await liveness.record(db_pool)
    assert (await _statuses(db_pool))[PACKER] == MachineStatus(PACKER, True, _at(7), _at(7))


async def test_online_pseudo_readings_alone_never_keep_a_machine_online(
    db_pool: Pool, plant: Plant
) -> None:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
    clock = FakeClock()
    liveness = SourceLiveness([PACKER], offline_after_s=60, clock=clock)
    liveness.observe(_reading(PACKER))
    await liveness.record(db_pool)
    for _ in range(8):
        clock.now += 10
        liveness.observe(_online(PACKER, 0.0))
        await liveness.record(db_pool)

    status = (await _statuses(db_pool))[PACKER]
    assert (status.online, status.reason, status.last_seen) == (
        False,
        OfflineReason.SILENT,
        _at(0),
    )

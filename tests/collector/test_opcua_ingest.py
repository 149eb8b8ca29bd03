"""OPC UA server → collector → TimescaleDB, against real asyncua servers and a real database."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from asyncua import ua
from asyncua.ua.status_codes import StatusCodes

from collector.opcua_session import SessionTiming
from collector.opcua_subscriber import OpcUaSubscriber
from collector.payload_parsing import DEFAULT_BOUNDS
from collector.telemetry_sink import TelemetrySink
from models.opcua_source import CollectMode, Deadband, OpcUaSource, SignalNode
from models.plant import Line, Plant
from models.readings import Quality, Reading
from services.free_ports import free_port
from simulator.opcua_server import SimulatorOpcUaServer, serving_opcua
from simulator.plant_simulation import PlantSimulation, SimulationTick
from simulator.run_simulator import served_endpoints
from simulator.scenarios import QUIET
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.plc_event_store import list_plc_events
from tests.simulator.scenario_factories import SEED, START

pytestmark = pytest.mark.integration

PLANT_ENDPOINT = "opc.tcp://127.0.0.1:48400/linecare/"
# Each test writes at its own time: the shared server keeps the values of earlier tests.
T1, T2, T3, T4, T5, T6, T7 = (START + timedelta(hours=1, minutes=m) for m in range(7))
FAST = SessionTiming(keepalive_s=1.0, retry_s=0.5, watch_interval_s=0.1)


@dataclass(frozen=True)
class Served:
    url: str
    server: SimulatorOpcUaServer
    simulation: PlantSimulation
    lines: tuple[Line, ...]


@pytest.fixture(scope="module")
async def served(plant: Plant) -> AsyncIterator[Served]:
    """Lines 1 and 2 on one server, shared by the tests: a server takes seconds to start."""
    simulation = PlantSimulation(plant, seed=SEED, start=START, scenario=QUIET)
    url = f"opc.tcp://127.0.0.1:{free_port()}/linecare/"
    (lines,) = served_endpoints(plant, {PLANT_ENDPOINT: url}).values()
    async with serving_opcua(url, lines, simulation.advance_to(START)) as server:
        yield Served(url, server, simulation, lines)


def _tuned(line: Line, **changes: object) -> Line:
    """``line`` collected every 50 ms, with ``changes`` to its OPC UA source."""
    assert isinstance(line.source, OpcUaSource)
    source = line.source.model_copy(update={"publishing_interval_ms": 50, **changes})
    return line.model_copy(update={"source": source})


@asynccontextmanager
async def collecting(
    sink: TelemetrySink, subscribers: Sequence[OpcUaSubscriber]
) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(sink.run())]
    tasks += [asyncio.create_task(subscriber.run()) for subscriber in subscribers]
    try:
        await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in subscribers)), 15)
        yield
        assert not any(task.done() for task in tasks), "a collector task stopped"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _series(
    pool: Pool, machine_id: str, signal: str, since: datetime, expected: int = 1
) -> list[tuple[datetime, float, int]]:
    """(time, value, quality) of the series from ``since``, once it has ``expected`` samples."""
    rows: list[tuple[datetime, float, int]] = []
    for _ in range(100):
        async with pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT time, value, quality FROM telemetry"
                " WHERE machine_id = %s AND signal = %s AND time >= %s ORDER BY time",
                (machine_id, signal, since),
            )
            rows = [(r[0], r[1], r[2]) for r in await cursor.fetchall()]
        if len(rows) >= expected:
            break
        await asyncio.sleep(0.1)
    return rows


async def _dead_letter_reasons(pool: Pool, expected: int) -> list[str]:
    for _ in range(100):
        async with pool.connection() as conn:
            cursor = await conn.execute("SELECT reason FROM dead_letters ORDER BY id")
            reasons = [str(row[0]) for row in await cursor.fetchall()]
        if len(reasons) >= expected:
            break
        await asyncio.sleep(0.1)
    return reasons


async def test_signals_mapped_by_node_id_and_browse_path_land_with_source_times(
    served: Served, pool: Pool
) -> None:
    line_1 = _tuned(
        served.lines[0],
        nodes={
            "l1-filler": {
                "speed": SignalNode(browse_path="/2:line-1/2:l1-filler/2:speed"),
                # A NodeId given for a signal wins over the template.
                "bearing_temp": SignalNode(node_id="ns=2;s=line-1.l1-filler.motor_current"),
            }
        },
    )
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    subscriber = OpcUaSubscriber(served.url, [line_1], sink, timing=FAST)
    async with collecting(sink, [subscriber]):
        await served.server.write_value("l1-filler", "speed", 111.5, T1)
        await served.server.write_value("l1-filler", "motor_current", 9.25, T1)
        speed = await _series(pool, "l1-filler", "speed", T1)
        bearing = await _series(pool, "l1-filler", "bearing_temp", T1)

    assert speed == [(T1, 111.5, Quality.GOOD)]
    assert bearing == [(T1, 9.25, Quality.GOOD)]


async def test_good_uncertain_and_bad_values_are_stored_with_their_quality(
    served: Served, pool: Pool
) -> None:
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    subscriber = OpcUaSubscriber(served.url, [_tuned(served.lines[0])], sink, timing=FAST)
    statuses = [
        (1.0, StatusCodes.Good),
        (2.0, StatusCodes.UncertainLastUsableValue),
        (None, StatusCodes.BadSensorFailure),
        (4.0, StatusCodes.Good),
    ]
    async with collecting(sink, [subscriber]):
        for second, (value, status) in enumerate(statuses):
            at = T2 + timedelta(seconds=second)
            code = ua.StatusCode(ua.UInt32(status))
            await served.server.write_value("l1-capper", "speed", value, at, code)
        rows = await _series(pool, "l1-capper", "speed", T2, len(statuses))

    assert [quality for _, _, quality in rows] == [0, 1, 2, 0]
    assert [value for _, value, _ in rows][:2] == [1.0, 2.0]
    assert math.isnan(rows[2][1])
    assert rows[3][1] == 4.0


async def test_a_deadband_keeps_small_changes_of_analog_signals_out(
    served: Served, pool: Pool
) -> None:
    line_1 = _tuned(served.lines[0], deadband=Deadband(value=1.0))
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    subscriber = OpcUaSubscriber(served.url, [line_1], sink, timing=FAST)
    async with collecting(sink, [subscriber]):
        for second, value in enumerate((40.0, 40.5, 42.0)):
            at = T7 + timedelta(seconds=second)
            await served.server.write_value("l1-capper", "bearing_temp", value, at)
        rows = await _series(pool, "l1-capper", "bearing_temp", T7, 2)
        await asyncio.sleep(0.3)
        rows = await _series(pool, "l1-capper", "bearing_temp", T7, 2)

    assert [value for _, value, _ in rows] == [40.0, 42.0]


async def test_polled_lines_are_read_at_their_poll_interval(served: Served, pool: Pool) -> None:
    line_2 = _tuned(served.lines[1], mode=CollectMode.POLL, poll_interval_ms=100)
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    subscriber = OpcUaSubscriber(served.url, [line_2], sink, timing=FAST)
    async with collecting(sink, [subscriber]):
        await served.server.write_value("l2-filler", "speed", 77.0, T3)
        rows = await _series(pool, "l2-filler", "speed", T3)
        await asyncio.sleep(0.3)  # several more polls of the unchanged value
        again = await _series(pool, "l2-filler", "speed", T3)

    assert rows == again == [(T3, 77.0, Quality.GOOD)]


async def test_unknown_and_non_numeric_nodes_are_dead_lettered_and_retried(
    served: Served, pool: Pool
) -> None:
    text_node = ua.NodeId.from_string("ns=2;s=test.text")
    late_node = ua.NodeId.from_string("ns=2;s=test.late")
    objects = served.server.server.nodes.objects
    await objects.add_variable(text_node, "2:text", "running")
    line_1 = _tuned(
        served.lines[0],
        nodes={
            "l1-labeller": {
                "speed": SignalNode(node_id=late_node.to_string()),
                "product": SignalNode(node_id=text_node.to_string()),
            }
        },
    )
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    subscriber = OpcUaSubscriber(served.url, [line_1], sink, timing=FAST)
    async with collecting(sink, [subscriber]):
        reasons = await _dead_letter_reasons(pool, 2)
        # The PLC gets the missing node later (a program download): it is picked up.
        await objects.add_variable(late_node, "2:late", 0.0, ua.VariantType.Double)
        await served.server.server.write_attribute_value(
            late_node,
            ua.DataValue(
                ua.Variant(5.5, ua.VariantType.Double), SourceTimestamp=cast(ua.DateTime, T4)
            ),
        )
        rows = await _series(pool, "l1-labeller", "speed", T4)
        await asyncio.sleep(0.6)  # retries of the text node report nothing twice
        reasons = await _dead_letter_reasons(pool, 2)

    assert sorted(reasons) == [
        "a value of type str is not numeric",
        "subscribing ns=2;s=test.late: BadNodeIdUnknown",
    ]
    assert rows == [(T4, 5.5, Quality.GOOD)]


async def test_plc_fault_codes_are_stored_as_events(served: Served, pool: Pool) -> None:
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    subscriber = OpcUaSubscriber(
        served.url, [_tuned(served.lines[0])], sink, plc_events=pool, timing=FAST
    )
    fault = Reading(T5, "l1-filler", "fault_code", 201)
    async with collecting(sink, [subscriber]):
        await served.server.publish(SimulationTick(T5, events=(fault,), samples=()))
        for _ in range(100):
            async with pool.connection() as conn:
                events = await list_plc_events(
                    conn, machine_ids=["l1-filler"], since=START, until=T6, scope=EVERY_CUSTOMER
                )
            if events:
                break
            await asyncio.sleep(0.1)
        cleared = replace(fault, value=0)
        await served.server.publish(SimulationTick(T5, events=(cleared,), samples=()))

    (event,) = events
    assert (event.time, event.machine_id, event.fault_code) == (T5, "l1-filler", 201)
    assert (event.event_type, event.severity) == ("MachineFaultEventType", 700)
    assert "fault 201" in event.message
    assert event.raw["SourceName"] == "l1-filler"


async def _event_dead_letters(pool: Pool, expected: int) -> list[tuple[str, bytes]]:
    """(reason, payload) of the dead letters of refused PLC events."""
    letters: list[tuple[str, bytes]] = []
    for _ in range(100):
        async with pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT reason, payload FROM dead_letters WHERE origin LIKE '% events' ORDER BY id"
            )
            letters = [(str(row[0]), bytes(row[1])) for row in await cursor.fetchall()]
        if len(letters) >= expected:
            break
        await asyncio.sleep(0.1)
    return letters


async def test_plc_events_timed_far_from_their_arrival_are_dead_lettered(
    served: Served, pool: Pool
) -> None:
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    subscriber = OpcUaSubscriber(
        served.url,
        [_tuned(served.lines[0])],
        sink,
        plc_events=pool,
        sample_bounds=DEFAULT_BOUNDS,
        timing=FAST,
    )
    now = datetime.now(UTC)
    clock_ahead, clock_behind = now + timedelta(hours=2), now - timedelta(days=3)
    faults = [(clock_ahead, 301), (clock_behind, 302), (now, 303), (now, 0)]
    async with collecting(sink, [subscriber]):
        for at, code in faults:
            fault = Reading(at, "l1-capper", "fault_code", code)
            await served.server.publish(SimulationTick(at, events=(fault,), samples=()))
        letters = await _event_dead_letters(pool, 2)
        for _ in range(100):
            async with pool.connection() as conn:
                stored = await list_plc_events(
                    conn,
                    machine_ids=["l1-capper"],
                    since=clock_behind - timedelta(days=1),
                    until=clock_ahead + timedelta(days=1),
                    scope=EVERY_CUSTOMER,
                )
            if stored:
                break
            await asyncio.sleep(0.1)
    # The sink has stopped: every dead letter it took is stored by now.
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) FROM dead_letters")
        row = await cursor.fetchone()

    # Only the event on time is stored, at its own time.
    assert [(event.time, event.fault_code) for event in stored] == [(now, 303)]
    reasons = [reason for reason, _ in letters]
    assert len(reasons) == 2
    assert "l1-capper" in reasons[0] and "too far in the future" in reasons[0]
    assert "l1-capper" in reasons[1] and "too far in the past" in reasons[1]
    # The dead letter keeps the event's fields, so the fault is not lost to diagnosis.
    assert b"'2:FaultCode': '301'" in letters[0][1] and b"l1-capper" in letters[0][1]
    assert b"'2:FaultCode': '302'" in letters[1][1]
    # Counted like every other dead letter the sink stored.
    assert row is not None and sink.counters.dead_lettered == row[0] >= 2


async def test_two_servers_are_collected_by_one_process(
    served: Served, pool: Pool, plant: Plant
) -> None:
    line_1, line_2 = served.lines
    second_url = f"opc.tcp://127.0.0.1:{free_port()}/line-2/"
    simulation = PlantSimulation(plant, seed=SEED, start=START, scenario=QUIET)
    async with serving_opcua(second_url, [line_2], simulation.advance_to(START)) as second:
        sink = TelemetrySink(pool, flush_interval_s=0.05)
        subscribers = [
            OpcUaSubscriber(served.url, [_tuned(line_1)], sink, timing=FAST),
            OpcUaSubscriber(second_url, [_tuned(line_2)], sink, timing=FAST),
        ]
        async with collecting(sink, subscribers):
            await served.server.write_value("l1-filler", "motor_current", 8.0, T6)
            await second.write_value("l2-filler", "motor_current", 9.0, T6)
            first_rows = await _series(pool, "l1-filler", "motor_current", T6)
            second_rows = await _series(pool, "l2-filler", "motor_current", T6)

    assert first_rows == [(T6, 8.0, Quality.GOOD)]
    assert second_rows == [(T6, 9.0, Quality.GOOD)]

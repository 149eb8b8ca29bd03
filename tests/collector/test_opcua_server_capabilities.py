"""Servers that cannot do all a collector asks: subscriptions or monitored items refused,
percent deadbands on nodes without an engineering range. Real asyncua servers, limited
the way PLCs are, and a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from asyncua import ua
from asyncua.common.callback import CallbackService, CallbackType, ServerItemCallback
from asyncua.common.utils import ServiceError
from asyncua.ua.status_codes import StatusCodes

from collector.opcua_session import SessionTiming
from collector.opcua_subscriber import OpcUaSubscriber
from collector.telemetry_sink import TelemetrySink
from models.opcua_source import Deadband, DeadbandKind, OpcUaSource, SignalNode
from models.plant import Line, Plant
from models.readings import Quality
from services.free_ports import free_port
from simulator.opcua_server import SimulatorOpcUaServer, serving_opcua
from simulator.plant_simulation import PlantSimulation
from simulator.run_simulator import served_endpoints
from simulator.scenarios import QUIET
from storage.connections import Pool
from tests.simulator.scenario_factories import SEED, START

pytestmark = pytest.mark.integration

PLANT_ENDPOINT = "opc.tcp://127.0.0.1:48400/linecare/"
FAST = SessionTiming(keepalive_s=1.0, retry_s=0.5, watch_interval_s=0.1)
T1 = START + timedelta(hours=2)


@dataclass(frozen=True)
class LineServer:
    url: str
    server: SimulatorOpcUaServer
    line: Line


@pytest.fixture
async def line_server(plant: Plant) -> AsyncIterator[LineServer]:
    """Line 1 on a server of its own: each test limits its server in its own way."""
    simulation = PlantSimulation(plant, seed=SEED, start=START, scenario=QUIET)
    url = f"opc.tcp://127.0.0.1:{free_port()}/linecare/"
    (lines,) = served_endpoints(plant, {PLANT_ENDPOINT: url}).values()
    async with serving_opcua(url, lines[:1], simulation.advance_to(START)) as server:
        yield LineServer(url, server, lines[0])


def _tuned(line: Line, **changes: object) -> Line:
    """``line`` published every 50 ms and polled every 100 ms, with ``changes`` to its source."""
    assert isinstance(line.source, OpcUaSource)
    update = {"publishing_interval_ms": 50, "poll_interval_ms": 100, **changes}
    return line.model_copy(update={"source": line.source.model_copy(update=update)})


@asynccontextmanager
async def collecting(
    pool: Pool, line: Line, url: str, *, with_events: bool = False
) -> AsyncIterator[OpcUaSubscriber]:
    """One subscriber on ``url`` for ``line``, collecting until the block ends."""
    sink = TelemetrySink(pool, flush_interval_s=0.05)
    events = pool if with_events else None
    subscriber = OpcUaSubscriber(url, [line], sink, plc_events=events, timing=FAST)
    tasks = [asyncio.create_task(sink.run()), asyncio.create_task(subscriber.run())]
    try:
        await asyncio.wait_for(subscriber.connected.wait(), 15)
        yield subscriber
        assert not any(task.done() for task in tasks), "a collector task stopped"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _values(
    pool: Pool, machine_id: str, signal: str, since: datetime, expected: int
) -> list[float]:
    """The Good values of a series in the minute from ``since``, once it has ``expected``."""
    values: list[float] = []
    for _ in range(100):
        async with pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT value FROM telemetry WHERE machine_id = %s AND signal = %s"
                " AND time >= %s AND time < %s AND quality = %s ORDER BY time",
                (machine_id, signal, since, since + timedelta(minutes=1), Quality.GOOD),
            )
            values = [float(row[0]) for row in await cursor.fetchall()]
        if len(values) >= expected:
            break
        await asyncio.sleep(0.1)
    return values


async def _dead_letters(pool: Pool, expected: int) -> list[tuple[str, str]]:
    letters: list[tuple[str, str]] = []
    for _ in range(100):
        async with pool.connection() as conn:
            cursor = await conn.execute("SELECT origin, reason FROM dead_letters ORDER BY id")
            letters = [(str(row[0]), str(row[1])) for row in await cursor.fetchall()]
        if len(letters) >= expected:
            break
        await asyncio.sleep(0.1)
    return letters


async def _write_one_by_one(
    served: LineServer, pool: Pool, machine_id: str, signal: str, values: Sequence[float]
) -> list[float]:
    """Write ``values`` one a second from T1 on, each once the one before is stored (a
    poll must not miss one); returns the values stored."""
    stored: list[float] = []
    for second, value in enumerate(values):
        await served.server.write_value(machine_id, signal, value, T1 + timedelta(seconds=second))
        stored = await _values(pool, machine_id, signal, T1, second + 1)
    return stored


# -- Subscriptions refused: everything polled ---------------------------------------


def _at_most_no_subscriptions(served: LineServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real server limit, as on a PLC whose few subscriptions are all taken.
    monkeypatch.setattr(served.server.server.iserver, "max_subscriptions", 0)


def _without_subscription_service(served: LineServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # A server that implements no Subscription service set at all.
    async def unsupported(*args: object, **kwargs: object) -> Any:
        raise ServiceError(StatusCodes.BadServiceUnsupported)

    service = served.server.server.iserver.subscription_service
    monkeypatch.setattr(service, "create_subscription", unsupported)


@pytest.mark.parametrize("refuse", [_at_most_no_subscriptions, _without_subscription_service])
async def test_a_server_refusing_subscriptions_is_polled(
    line_server: LineServer,
    pool: Pool,
    monkeypatch: pytest.MonkeyPatch,
    refuse: Callable[[LineServer, pytest.MonkeyPatch], None],
) -> None:
    refuse(line_server, monkeypatch)
    line = _tuned(line_server.line)
    async with collecting(pool, line, line_server.url, with_events=True) as subscriber:
        speeds = await _write_one_by_one(
            line_server, pool, "l1-filler", "speed", [101.0, 102.0, 103.0]
        )
        letters = await _dead_letters(pool, 1)
        failure = subscriber.last_error

    assert speeds == [101.0, 102.0, 103.0]
    # Polled from the first session on: no reconnects, and nothing subscribed.
    assert failure is None
    assert not line_server.server.server.iserver.subscription_service.subscriptions
    # PLC events cannot be polled: their loss is reported, not silent.
    ((origin, reason),) = letters
    assert origin.endswith(" events") and "no PLC events collected" in reason


# -- Monitored items refused: those nodes polled ------------------------------------


def _refuse_monitored_items(
    served: LineServer,
    monkeypatch: pytest.MonkeyPatch,
    refused: Callable[[ua.MonitoredItemCreateRequest], bool],
) -> list[ua.NodeId]:
    """Make the server refuse the items ``refused`` picks with BadTooManyMonitoredItems,
    as a PLC does past its limit; returns the nodes it monitors."""
    service = served.server.server.iserver.subscription_service
    create = service.create_monitored_items
    monitored: list[ua.NodeId] = []

    async def create_some(
        params: ua.CreateMonitoredItemsParameters,
    ) -> list[ua.MonitoredItemCreateResult]:
        requested = list(params.ItemsToCreate)
        params.ItemsToCreate = [item for item in requested if not refused(item)]
        created = iter(await create(params) if params.ItemsToCreate else [])
        too_many = ua.StatusCode(ua.UInt32(StatusCodes.BadTooManyMonitoredItems))
        results = [
            ua.MonitoredItemCreateResult(StatusCode=too_many) if refused(item) else next(created)
            for item in requested
        ]
        monitored.extend(
            item.ItemToMonitor.NodeId
            for item, result in zip(requested, results, strict=True)
            if result.StatusCode.is_good()
        )
        return results

    monkeypatch.setattr(service, "create_monitored_items", create_some)
    return monitored


def _node_of(served: LineServer, machine_id: str, signal: str) -> ua.NodeId:
    assert isinstance(served.line.source, OpcUaSource)
    template = served.line.source.node_template
    return ua.NodeId.from_string(
        template.format(line=served.line.id, machine=machine_id, signal=signal)
    )


async def test_nodes_a_server_will_not_monitor_are_polled(
    line_server: LineServer, pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    labeller = _node_of(line_server, "l1-labeller", "speed")
    monitored = _refuse_monitored_items(
        line_server, monkeypatch, lambda item: item.ItemToMonitor.NodeId == labeller
    )
    async with collecting(pool, _tuned(line_server.line), line_server.url) as subscriber:
        labeller_speeds = await _write_one_by_one(
            line_server, pool, "l1-labeller", "speed", [61.0, 62.0]
        )
        filler_speeds = await _write_one_by_one(
            line_server, pool, "l1-filler", "speed", [71.0, 72.0]
        )
        failure = subscriber.last_error

    assert labeller_speeds == [61.0, 62.0]
    assert filler_speeds == [71.0, 72.0]
    assert failure is None
    # Only the refused node is polled: the others stay subscribed.
    assert labeller not in monitored
    assert _node_of(line_server, "l1-filler", "speed") in monitored


async def test_a_server_refusing_a_whole_monitored_items_request_is_polled(
    line_server: LineServer, pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def too_many(params: ua.CreateMonitoredItemsParameters) -> Any:
        raise ServiceError(StatusCodes.BadTooManyMonitoredItems)

    service = line_server.server.server.iserver.subscription_service
    monkeypatch.setattr(service, "create_monitored_items", too_many)
    async with collecting(pool, _tuned(line_server.line), line_server.url) as subscriber:
        speeds = await _write_one_by_one(line_server, pool, "l1-capper", "speed", [81.0, 82.0])
        failure = subscriber.last_error

    assert speeds == [81.0, 82.0]
    assert failure is None


# -- Percent deadbands: only where the node has an EURange --------------------------


# (trigger, deadband type, deadband value) of a DataChangeFilter the server received.
Deadbanding = tuple[int, int, float]


def _record_filters(served: LineServer) -> dict[ua.NodeId, Deadbanding | None]:
    """The deadband of every data change item the server is asked to create, by node."""
    filters: dict[ua.NodeId, Deadbanding | None] = {}

    def on_created(event: ServerItemCallback, _service: CallbackService) -> None:
        for item in event.request_params.ItemsToCreate:
            wanted = item.RequestedParameters.Filter
            filters[item.ItemToMonitor.NodeId] = (
                (wanted.Trigger, wanted.DeadbandType, wanted.DeadbandValue) if wanted else None
            )

    served.server.server.subscribe_server_callback(CallbackType.ItemSubscriptionCreated, on_created)
    return filters


async def test_a_percent_deadband_is_asked_for_only_where_the_node_has_an_eu_range(
    line_server: LineServer, pool: Pool
) -> None:
    objects = line_server.server.server.nodes.objects
    ranged = await objects.add_variable("ns=2;s=test.ranged", "2:ranged", 0.0)
    await ranged.add_property(
        "ns=2;s=test.ranged.EURange", ua.QualifiedName("EURange", 0), ua.Range(Low=0, High=200)
    )
    unranged = await objects.add_variable("ns=2;s=test.unranged", "2:unranged", 0.0)
    # An AnalogItem whose range nobody filled in.
    unset = await objects.add_variable("ns=2;s=test.unset", "2:unset", 0.0)
    await unset.add_property(
        "ns=2;s=test.unset.EURange", ua.QualifiedName("EURange", 0), None, ua.VariantType.Null
    )
    five_percent = Deadband(kind=DeadbandKind.PERCENT, value=5.0)
    line = _tuned(
        line_server.line,
        nodes={
            "l1-filler": {
                "speed": SignalNode(node_id="ns=2;s=test.ranged", deadband=five_percent),
                "motor_current": SignalNode(node_id="ns=2;s=test.unranged", deadband=five_percent),
            },
            "l1-capper": {
                "speed": SignalNode(node_id="ns=2;s=test.unset", deadband=five_percent),
            },
        },
    )
    filters = _record_filters(line_server)
    async with collecting(pool, line, line_server.url):
        for second, value in enumerate((10.0, 10.1, 10.2)):
            at = T1 + timedelta(seconds=second)
            await unranged.write_value(
                ua.DataValue(ua.Variant(value, ua.VariantType.Double), SourceTimestamp=at)  # type: ignore[arg-type]
            )
            await asyncio.sleep(0.25)
        currents = await _values(pool, "l1-filler", "motor_current", T1, 3)
        letters = await _dead_letters(pool, 2)

    assert filters[ranged.nodeid] == (
        ua.DataChangeTrigger.StatusValue,
        ua.DeadbandType.Percent,
        5.0,
    )
    # Without an EURange the server cannot scale it: no deadband, every change kept.
    assert filters[unranged.nodeid] is None
    assert filters[unset.nodeid] is None
    assert currents == [10.0, 10.1, 10.2]
    reasons = {origin.rsplit(" ", 1)[1]: reason for origin, reason in letters}
    assert reasons.keys() == {"l1-filler.motor_current", "l1-capper.speed"}
    assert "needs an EURange" in reasons["l1-filler.motor_current"]
    assert "no EURange property" in reasons["l1-filler.motor_current"]
    assert "holds no range" in reasons["l1-capper.speed"]

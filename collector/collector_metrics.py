"""The collector's Prometheus metrics, served on ``/metrics``.

Each collector process builds its own ``CollectorRegistry``; nothing is
registered globally. The hot path only bumps plain counters (the sink's and the
liveness tracker's); they become metrics when Prometheus scrapes, so a scrape
costs the collector nothing between scrapes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from collector.disk_spool import DiskSpool
from collector.source_liveness import SourceLiveness
from collector.source_status import SOURCE_STATES, Problem, SourceStatusBoard
from collector.telemetry_sink import TelemetrySink

log = logging.getLogger(__name__)

_PREFIX = "linecare_collector_"


_PROBLEMS = {
    Problem.UNMAPPED_EVENT_SOURCE: (
        "unmapped_event_source_events",
        "OPC UA events from a source no machine is mapped to, per endpoint and source",
    ),
    Problem.NDEATH_BDSEQ_MISMATCH: (
        "sparkplug_ndeath_bdseq_mismatches",
        "Sparkplug NDEATHs whose bdSeq is not their node's NBIRTH's, per edge node",
    ),
    Problem.UNMAPPED_SPARKPLUG_METRIC: (
        "sparkplug_unmapped_metrics",
        "Sparkplug births declaring a metric no signal of the machine maps, per metric",
    ),
}


class _CollectorState(Collector):
    """Reads the sink, spool, liveness tracker and source board at scrape time."""

    def __init__(
        self,
        sink: TelemetrySink,
        liveness: SourceLiveness | None,
        spool: DiskSpool | None,
        status: SourceStatusBoard | None,
    ) -> None:
        self._sink = sink
        self._liveness = liveness
        self._spool = spool
        self._status = status

    def collect(self) -> Iterable[Metric]:
        yield from self._sink_totals()
        if self._liveness is not None:
            yield from self._machines(self._liveness)
        if self._spool is not None:
            yield from self._spool_state(self._spool)
        if self._status is not None:
            yield from self._sources(self._status)

    def _sources(self, status: SourceStatusBoard) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            _PREFIX + "source_state",
            "1 for the state each source (OPC UA endpoint, MQTT broker) is in: connected,"
            " unreachable, session_lost, untrusted (client certificate refused) or refused",
            labels=["source", "state"],
        )
        for report in status.sources():
            for name in SOURCE_STATES:
                state.add_metric([report.source, str(name)], 1 if report.state == name else 0)
        yield state
        families = {
            problem: CounterMetricFamily(_PREFIX + name, text, labels=["subject"])
            for problem, (name, text) in _PROBLEMS.items()
        }
        for (problem, subject), count in sorted(status.problems().items()):
            families[problem].add_metric([subject], count)
        yield from families.values()

    def _sink_totals(self) -> Iterator[Metric]:
        counters = self._sink.counters
        for name, text, value in (
            ("samples_received", "Samples handed to the sink by the transports", counters.received),
            ("samples_written", "Samples newly stored in TimescaleDB", counters.written),
            ("samples_duplicate", "Samples already stored (replays)", counters.duplicates),
            ("samples_spooled", "Samples written to the disk spool", counters.spooled),
            ("samples_drained", "Spooled samples since stored in TimescaleDB", counters.drained),
            ("dead_letters", "Payloads that could not be parsed, stored", counters.dead_lettered),
            ("write_failures", "Failed attempts to write to TimescaleDB", counters.failed_writes),
        ):
            yield CounterMetricFamily(_PREFIX + name, text, value=value)
        yield GaugeMetricFamily(
            _PREFIX + "pending_samples",
            "Samples and dead letters accepted but not yet durable",
            value=self._sink.pending,
        )
        yield GaugeMetricFamily(
            _PREFIX + "backpressure",
            "1 while the spool is full and sources stay unacknowledged",
            value=1 if self._sink.backpressure else 0,
        )

    def _machines(self, liveness: SourceLiveness) -> Iterator[Metric]:
        received = CounterMetricFamily(
            _PREFIX + "machine_samples_received",
            "Samples received per machine",
            labels=["machine"],
        )
        online = GaugeMetricFamily(
            _PREFIX + "machine_online",
            f"1 if data arrived in the last {liveness.offline_after_s:g} s",
            labels=["machine"],
        )
        lag = GaugeMetricFamily(
            _PREFIX + "source_lag_seconds",
            "Receive time minus source time of the newest sample per machine"
            " (negative when the source clock runs ahead, e.g. a simulated plant)",
            labels=["machine"],
        )
        for machine in liveness.snapshot():
            received.add_metric([machine.machine_id], machine.received)
            online.add_metric([machine.machine_id], 1 if machine.online else 0)
            if machine.lag_s is not None:
                lag.add_metric([machine.machine_id], machine.lag_s)
        yield from (received, online, lag)

    def _spool_state(self, spool: DiskSpool) -> Iterator[Metric]:
        stats = spool.stats()
        yield GaugeMetricFamily(
            _PREFIX + "spool_bytes", "Bytes waiting in the spool", value=stats.size_bytes
        )
        yield GaugeMetricFamily(
            _PREFIX + "spool_limit_bytes", "The spool's bound", value=stats.max_bytes
        )
        yield GaugeMetricFamily(
            _PREFIX + "spool_fill_ratio",
            "Spool bytes over its bound; a warning is logged at 0.8",
            value=stats.fill_ratio,
        )
        yield GaugeMetricFamily(
            _PREFIX + "spool_batches", "Batches waiting in the spool", value=stats.records
        )


def collector_registry(
    sink: TelemetrySink,
    liveness: SourceLiveness | None = None,
    spool: DiskSpool | None = None,
    status: SourceStatusBoard | None = None,
) -> CollectorRegistry:
    """A registry of this collector's metrics alone (no process or platform metrics)."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(_CollectorState(sink, liveness, spool, status))
    registry.register(sink.write_seconds)
    return registry


@contextlib.contextmanager
def serving_metrics(
    registry: CollectorRegistry, port: int, host: str = "127.0.0.1"
) -> Iterator[int]:
    """Serve ``/metrics`` on ``port`` while inside; yields the port, 0 when off.

    Port 0 turns the endpoint off. A port that is taken costs the metrics, not
    the collection: it is logged as an error and the collector runs on.
    """
    if port == 0:
        yield 0
        return
    try:
        server, thread = start_http_server(port, host, registry)
    except OSError as error:
        log.error("metrics endpoint not served on port %d: %s", port, error)
        yield 0
        return
    log.info("metrics on http://%s:%d/metrics", host, port)
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

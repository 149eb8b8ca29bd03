"""The benchmark's plant and its sample series, shared by the collector side and the loaders.

One customer with three lines of ``MACHINES`` machines each: a line publishing
JSON over MQTT, a Sparkplug B edge node, and an OPC UA line. Every workload's
samples are a pure function of its parameters, so the publishing process, the
raw COPY baseline and the final check all see the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.plant import Plant, SignalKind, SignalSpec
from models.readings import Reading

MACHINES = 10
JSON_LINE, SPARKPLUG_LINE, OPCUA_LINE = "bench-json", "bench-sparkplug", "bench-opcua"
SPARKPLUG_GROUP, SPARKPLUG_NODE = "bench", "edge-1"
JSON_TOPIC = "bench/{line}/{machine}"
# Every bench machine has these four signals; a batched message carries all four
# per timestamp, a single-sample message one of them.
SIGNALS = (
    SignalSpec(name="speed", kind=SignalKind.PROCESS),
    SignalSpec(name="motor_current", kind=SignalKind.CONDITION),
    SignalSpec(name="vibration_rms", kind=SignalKind.CONDITION),
    SignalSpec(name="bearing_temp", kind=SignalKind.CONDITION),
)
BATCH_SIGNALS = tuple(spec.name for spec in SIGNALS)
SINGLE_SIGNAL = "speed"


def machine_ids(line: str) -> list[str]:
    return [f"{line}-m{index:02d}" for index in range(MACHINES)]


def bench_plant(opcua_endpoint: str) -> Plant:
    """The plant file of the benchmark, as a model."""

    signals = [spec.model_dump(mode="json") for spec in SIGNALS]

    def line(line_id: str, source: dict[str, object]) -> dict[str, object]:
        return {
            "id": line_id,
            "name": line_id,
            "model": "BENCH",
            "serial": line_id,
            "acceptance_date": "2026-01-01",
            "source": source,
            "machines": [
                {"id": m, "name": m, "model": "BENCH", "serial": m, "signals": signals}
                for m in machine_ids(line_id)
            ],
        }

    return Plant.model_validate(
        {
            "products": [{"code": 1, "name": "bench", "ideal_cycle_s": 1.0}],
            "customers": [
                {
                    "id": "bench",
                    "name": "Benchmark",
                    "contact": {"name": "Bench"},
                    "contract": {"number": "BENCH"},
                    "sites": [
                        {
                            "id": "bench-site",
                            "name": "Benchmark site",
                            "timezone": "UTC",
                            "calendar": {
                                "shifts": [{"name": "day", "start": "06:00", "end": "14:00"}]
                            },
                            "lines": [
                                line(JSON_LINE, {"protocol": "mqtt", "topic_template": JSON_TOPIC}),
                                line(
                                    SPARKPLUG_LINE,
                                    {
                                        "protocol": "mqtt",
                                        "payload_format": "sparkplug_b",
                                        "sparkplug": {
                                            "group_id": SPARKPLUG_GROUP,
                                            "edge_node_id": SPARKPLUG_NODE,
                                        },
                                    },
                                ),
                                line(
                                    OPCUA_LINE,
                                    {
                                        "protocol": "opcua",
                                        "endpoint": opcua_endpoint,
                                        "sampling_interval_ms": 0,
                                        "publishing_interval_ms": 50,
                                        "queue_size": 10_000,
                                        "events": {"enabled": False},
                                    },
                                ),
                            ],
                        }
                    ],
                }
            ],
        }
    )


@dataclass(frozen=True, slots=True)
class Workload:
    """``messages`` messages of ``timestamps`` sample times each, over ``MACHINES`` machines."""

    messages: int
    timestamps: int
    signals: tuple[str, ...]
    # Sample times start here and step by one millisecond per machine.
    start: datetime

    @property
    def samples(self) -> int:
        return self.messages * self.timestamps * len(self.signals)

    def message_samples(
        self, line: str
    ) -> Iterator[tuple[str, list[tuple[datetime, dict[str, float]]]]]:
        """Per message: the machine, and its (time, values) in time order."""
        machines = machine_ids(line)
        step = timedelta(milliseconds=1)
        for message in range(self.messages):
            machine = machines[message % MACHINES]
            first = (message // MACHINES) * self.timestamps
            yield (
                machine,
                [
                    (
                        self.start + (first + i) * step,
                        {
                            s: float((first + i) % 1000) + 0.25 * k
                            for k, s in enumerate(self.signals)
                        },
                    )
                    for i in range(self.timestamps)
                ],
            )

    def readings(self, line: str) -> Iterator[Reading]:
        """The rows these messages become."""
        for machine, samples in self.message_samples(line):
            for when, values in samples:
                for signal, value in values.items():
                    yield Reading(when, machine, signal, value)


def recent_start() -> datetime:
    """Sample times an hour ago, on a whole second: well inside the parser's time bounds."""
    return (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)

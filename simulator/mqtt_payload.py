"""The JSON documents an MQTT line controller publishes, one per machine per tick.

(Lines whose topics name the signal get one small document per sample instead:
``encode_signal_sample``.)

One timestamp gives ``{"ts": ..., "values": {...}}``; a tick with events at
several seconds gives ``{"samples": [{"ts": ..., "values": {...}}, ...]}`` in
time order. The document at the tick's own time carries every signal, state
included, so a subscriber that joins late learns the machine's state at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from simulator.plant_simulation import SimulationTick

_DECIMALS = 3


def format_timestamp(at: datetime) -> str:
    """``2026-11-21T06:00:00.000Z``: UTC with milliseconds."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else round(value, _DECIMALS)


def encode_samples(samples: Iterable[tuple[datetime, Mapping[str, float]]]) -> bytes:
    """One machine's values per timestamp, as a single sample or a batch in time order."""
    documents = [
        {"ts": format_timestamp(at), "values": {name: _number(v) for name, v in values.items()}}
        for at, values in sorted(samples, key=lambda sample: sample[0])
    ]
    if not documents:
        raise ValueError("nothing to encode")
    body = documents[0] if len(documents) == 1 else {"samples": documents}
    return json.dumps(body, separators=(",", ":")).encode()


def encode_signal_sample(at: datetime, value: float) -> bytes:
    """One sample of one signal, for a topic that names the signal: ``{"v": ..., "ts": ...}``."""
    return json.dumps(
        {"v": _number(value), "ts": format_timestamp(at)}, separators=(",", ":")
    ).encode()


class MachinePayloads:
    """Builds each machine's document per tick, remembering the last state values."""

    def __init__(self, machine_ids: Iterable[str]) -> None:
        self._current: dict[str, dict[str, float]] = {machine: {} for machine in machine_ids}

    def build(self, tick: SimulationTick) -> dict[str, bytes]:
        """The encoded document of every machine this builder serves."""
        per_machine: dict[str, dict[datetime, dict[str, float]]] = {m: {} for m in self._current}
        for event in tick.events:
            by_time = per_machine.get(event.machine_id)
            if by_time is None:
                continue
            by_time.setdefault(event.time, {})[event.signal] = event.value
            self._current[event.machine_id][event.signal] = event.value
        for machine_id, current in self._current.items():
            per_machine[machine_id].setdefault(tick.time, {}).update(current)
        for sample in tick.samples:
            by_time = per_machine.get(sample.machine_id)
            if by_time is not None:
                by_time[tick.time][sample.signal] = sample.value
        return {
            machine_id: encode_samples(by_time.items())
            for machine_id, by_time in per_machine.items()
        }

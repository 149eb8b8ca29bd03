"""The JSON documents of MQTT lines, exactly in the format the collector parses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from models.readings import Reading
from simulator.mqtt_payload import MachinePayloads, encode_samples, format_timestamp
from simulator.plant_simulation import SimulationTick

AT = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def _tick(at: datetime, events: list[Reading], samples: list[Reading]) -> SimulationTick:
    return SimulationTick(at, tuple(events), tuple(samples))


def test_timestamps_are_utc_with_milliseconds() -> None:
    assert format_timestamp(AT) == "2026-11-21T06:00:00.000Z"
    berlin = AT.astimezone(datetime.now().astimezone().tzinfo).replace(microsecond=250_000)
    assert format_timestamp(berlin) == "2026-11-21T06:00:00.250Z"


def test_one_timestamp_gives_a_single_sample() -> None:
    body = json.loads(encode_samples([(AT, {"state": 6.0, "speed": 118.54321})]))
    assert body == {"ts": "2026-11-21T06:00:00.000Z", "values": {"state": 6, "speed": 118.543}}


def test_events_at_several_seconds_give_a_batch_in_time_order() -> None:
    machine = "l3-packer"
    payloads = MachinePayloads([machine])
    first = _tick(
        AT,
        [Reading(AT, machine, "state", 6.0), Reading(AT, machine, "product", 3.0)],
        [Reading(AT, machine, "good_count", 1234.0)],
    )
    assert json.loads(payloads.build(first)[machine]) == {
        "ts": "2026-11-21T06:00:00.000Z",
        "values": {"state": 6, "product": 3, "good_count": 1234},
    }
    later = AT + timedelta(seconds=30)
    stop, restart = AT + timedelta(seconds=5), AT + timedelta(seconds=17)
    second = _tick(
        later,
        [
            Reading(stop, machine, "state", 5.0),
            Reading(stop, machine, "fault_code", 101.0),
            Reading(restart, machine, "state", 6.0),
            Reading(restart, machine, "fault_code", 0.0),
        ],
        [Reading(later, machine, "good_count", 1290.0)],
    )
    body = json.loads(payloads.build(second)[machine])
    assert body == {
        "samples": [
            {"ts": "2026-11-21T06:00:05.000Z", "values": {"state": 5, "fault_code": 101}},
            {"ts": "2026-11-21T06:00:17.000Z", "values": {"state": 6, "fault_code": 0}},
            # The tick's own document repeats the current state for late subscribers.
            {
                "ts": "2026-11-21T06:00:30.000Z",
                "values": {"state": 6, "product": 3, "fault_code": 0, "good_count": 1290},
            },
        ]
    }


def test_machines_of_other_lines_are_left_out() -> None:
    payloads = MachinePayloads(["l3-sealer"])
    tick = _tick(
        AT, [Reading(AT, "l1-filler", "state", 6.0)], [Reading(AT, "l3-sealer", "speed", 1.5)]
    )
    assert list(payloads.build(tick)) == ["l3-sealer"]
    assert json.loads(payloads.build(tick)["l3-sealer"])["values"] == {"speed": 1.5}

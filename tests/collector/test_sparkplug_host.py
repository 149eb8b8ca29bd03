"""The Sparkplug B host bookkeeping: births, aliases, seq and bdSeq, deaths and rebirths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.payload_parsing import DEFAULT_BOUNDS, TimeBounds
from collector.sparkplug_birth_state import NodeBirthState
from collector.sparkplug_host import EdgeNode, SparkplugDevice, SparkplugHost, SparkplugOutcome
from collector.sparkplug_payload import decode_payload
from collector.sparkplug_protobuf import DataType, Payload, new_payload
from models.machine_status import OfflineReason
from models.plant import STANDARD_SIGNALS
from models.readings import Reading
from simulator.sparkplug_payload import EdgeNodeMessages, epoch_ms

AT = datetime(2026, 11, 21, 6, tzinfo=UTC)
SIGNALS = frozenset(s.name for s in STANDARD_SIGNALS)
NODE = EdgeNode(
    "alpenpack",
    "line-3",
    {
        "packer-plc": SparkplugDevice("l3-packer", SIGNALS),
        "l3-sealer": SparkplugDevice("l3-sealer", SIGNALS),
    },
    {"Speed": "speed"},
)


def _edge(bd_seq: int = 4) -> EdgeNodeMessages:
    return EdgeNodeMessages.for_machines(
        "alpenpack",
        "line-3",
        {
            "l3-packer": ("packer-plc", STANDARD_SIGNALS),
            "l3-sealer": ("l3-sealer", STANDARD_SIGNALS),
        },
        metric_names={"speed": "Speed"},
        bd_seq=bd_seq,
    )


class Line:
    """A host and the edge node talking to it, with shortcuts for each message."""

    def __init__(
        self, bounds: TimeBounds = DEFAULT_BOUNDS, node: EdgeNode = NODE, **host_options: Any
    ) -> None:
        self.host = SparkplugHost(
            [node], bounds=bounds, rebirth_interval=timedelta(seconds=10), **host_options
        )
        self.edge = _edge()

    def restarted(self, **host_options: Any) -> Line:
        """A new host, restored from this one's births, for the same edge node."""
        line = Line(restored=self.host.snapshot(), **host_options)
        line.edge = self.edge
        return line

    def send(
        self, kind: str, payload: bytes, machine: str | None = None, at: datetime = AT
    ) -> SparkplugOutcome:
        return self.host.handle(self.edge.topic(kind, machine), payload, at)

    def born(self) -> Line:
        assert self.send("NBIRTH", self.edge.node_birth(AT)).error is None
        for machine in ("l3-packer", "l3-sealer"):
            outcome = self.send(
                "DBIRTH", self.edge.device_birth(machine, AT, {"state": 6}), machine
            )
            assert outcome.error is None, outcome.error
        return self

    def data(
        self, machine: str, samples: list[tuple[datetime, str, float]], at: datetime = AT
    ) -> SparkplugOutcome:
        return self.send("DDATA", self.edge.device_data(machine, at, samples), machine, at)


def _values(outcome: SparkplugOutcome) -> list[tuple[str, str, float]]:
    return [(r.machine_id, r.signal, r.value) for r in outcome.readings]


def _is_rebirth_request(outcome: SparkplugOutcome) -> bool:
    if outcome.rebirth is None:
        return False
    assert outcome.rebirth.topic == "spBv1.0/alpenpack/NCMD/line-3"
    metrics = list(decode_payload(outcome.rebirth.payload).metrics)
    return [(m.name, m.boolean_value) for m in metrics] == [("Node Control/Rebirth", True)]


def test_births_declare_aliases_and_data_uses_them() -> None:
    line = Line()
    assert line.send("NBIRTH", line.edge.node_birth(AT)).readings == []
    birth = line.send(
        "DBIRTH", line.edge.device_birth("l3-packer", AT, {"state": 6, "speed": 118.5}), "l3-packer"
    )
    # The birth carries current values; every other metric is null. The machine is online.
    assert _values(birth) == [
        ("l3-packer", "state", 6.0),
        ("l3-packer", "speed", 118.5),
        ("l3-packer", "online", 1.0),
    ]
    later = AT + timedelta(seconds=1)
    data = line.data(
        "l3-packer", [(AT, "state", 5), (later, "speed", 99.25), (later, "fault_code", -3)]
    )
    assert data.error is None and data.rebirth is None
    assert data.readings == [
        Reading(AT, "l3-packer", "state", 5.0),
        Reading(later, "l3-packer", "speed", 99.25),
        Reading(later, "l3-packer", "fault_code", -3.0),
    ]


def test_data_before_any_birth_is_dead_lettered_and_asks_for_a_rebirth() -> None:
    line = Line()
    outcome = line.data("l3-packer", [(AT, "state", 6)])
    assert outcome.error is not None and "before its node's NBIRTH" in outcome.error
    assert _is_rebirth_request(outcome)
    line.send("NBIRTH", line.edge.node_birth(AT))
    outcome = line.data("l3-packer", [(AT, "state", 6)])
    assert outcome.error is not None and "before DBIRTH" in outcome.error


def test_a_seq_gap_keeps_the_data_and_asks_for_a_rebirth_once_per_interval() -> None:
    line = Line().born()
    assert line.data("l3-packer", [(AT, "state", 6)]).rebirth is None
    line.edge._seq += 2  # two messages lost
    gap = line.data("l3-packer", [(AT, "state", 5)])
    assert _values(gap) == [("l3-packer", "state", 5.0)]
    assert _is_rebirth_request(gap)
    line.edge._seq += 1
    assert line.data("l3-packer", [(AT, "state", 4)], AT + timedelta(seconds=5)).rebirth is None
    line.edge._seq += 1
    assert _is_rebirth_request(
        line.data("l3-packer", [(AT, "state", 3)], AT + timedelta(seconds=11))
    )
    # The rebirth resets the sequence.
    line.born()
    assert line.data("l3-packer", [(AT, "state", 6)]).rebirth is None


def test_seq_wraps_after_255() -> None:
    line = Line().born()
    outcomes = [
        line.data("l3-sealer", [(AT + timedelta(seconds=i), "speed", i)]) for i in range(300)
    ]
    assert all(o.rebirth is None and o.error is None for o in outcomes)


def test_a_repeated_message_is_no_gap() -> None:
    line = Line().born()
    payload = line.edge.device_data("l3-packer", AT, [(AT, "state", 6)])
    first, again = (line.send("DDATA", payload, "l3-packer") for _ in range(2))
    assert first.readings == again.readings and again.rebirth is None


def test_deaths_take_machines_offline() -> None:
    line = Line().born()
    death = line.send("DDEATH", line.edge.device_death("l3-packer", AT), "l3-packer")
    assert _values(death) == [("l3-packer", "online", 0.0)]
    assert line.data("l3-packer", [(AT, "state", 6)]).error is not None

    # An NDEATH of an earlier session (other bdSeq) is a late will: the node lives on.
    assert line.send("NDEATH", _edge(bd_seq=3).node_death()).readings == []
    received = AT + timedelta(minutes=5)
    death = line.send("NDEATH", line.edge.node_death(), at=received)
    assert sorted(_values(death)) == [("l3-packer", "online", 0.0), ("l3-sealer", "online", 0.0)]
    assert {r.time for r in death.readings} == {received}
    assert line.data("l3-sealer", [(AT, "state", 6)]).error is not None


def test_unknown_nodes_and_devices_are_dead_lettered() -> None:
    line = Line().born()
    stranger = line.host.handle("spBv1.0/alpenpack/DDATA/line-9/x", b"", AT)
    assert stranger.error == "unknown Sparkplug edge node alpenpack/line-9"
    device = line.host.handle("spBv1.0/alpenpack/DDATA/line-3/robot", b"", AT)
    assert device.error == "unknown Sparkplug device 'robot'" and device.rebirth is None
    assert line.host.handle("spBv1.0/alpenpack/NCMD/line-3", b"", AT).error is not None


def _payload(build: Callable[[Payload], None], seq: int) -> bytes:
    message = new_payload()
    message.seq = seq
    message.timestamp = epoch_ms(AT)
    build(message)
    return message.SerializeToString()


def test_undeclared_aliases_are_dead_lettered_and_ask_for_a_rebirth() -> None:
    line = Line().born()

    def stray_alias(message: Payload) -> None:
        metric = message.metrics.add()
        metric.alias = 999
        metric.double_value = 1.0

    outcome = line.send("DDATA", _payload(stray_alias, seq=3), "l3-packer")
    assert outcome.error == "metric 999 was not declared in the DBIRTH"
    assert _is_rebirth_request(outcome)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (lambda m: setattr(m, "double_value", float("nan")), "not finite"),
        (lambda m: setattr(m, "float_value", float("-inf")), "not finite"),
        (lambda m: setattr(m, "string_value", "fast"), "no numeric value"),
        (lambda m: None, "no numeric value"),
    ],
)
def test_values_that_are_no_numbers_are_dead_lettered(
    value: Callable[[object], None], reason: str
) -> None:
    line = Line().born()

    def build(message: Payload) -> None:
        metric = message.metrics.add()
        metric.name = "Speed"
        value(metric)

    outcome = line.send("DDATA", _payload(build, seq=3), "l3-packer")
    assert outcome.error is not None and reason in outcome.error
    assert outcome.readings == [] and outcome.rebirth is None


def test_datatypes_become_numbers() -> None:
    line = Line()
    line.send("NBIRTH", line.edge.node_birth(AT))

    def birth(message: Payload) -> None:
        for name, datatype, field, raw in [
            ("state", DataType.INT8, "int_value", 0xFF),  # -1 in 8 bits
            ("fault_code", DataType.INT32, "int_value", 0xFFFFFFFE),  # -2
            ("good_count", DataType.UINT32, "int_value", 0xFFFFFFFE),
            ("reject_count", DataType.INT64, "long_value", (1 << 64) - 5),  # -5
            ("product", DataType.BOOLEAN, "boolean_value", True),
            ("speed", DataType.FLOAT, "float_value", 1.5),
            ("Serial number", DataType.STRING, "string_value", "PK9-52201"),
        ]:
            metric = message.metrics.add()
            metric.name = name
            metric.datatype = datatype
            setattr(metric, field, raw)
        null = message.metrics.add()
        null.name, null.datatype, null.is_null = "motor_current", DataType.DOUBLE, True

    outcome = line.send("DBIRTH", _payload(birth, seq=1), "l3-sealer")
    assert _values(outcome) == [
        ("l3-sealer", "state", -1.0),
        ("l3-sealer", "fault_code", -2.0),
        ("l3-sealer", "good_count", 4294967294.0),
        ("l3-sealer", "reject_count", -5.0),
        ("l3-sealer", "product", 1.0),
        ("l3-sealer", "speed", 1.5),
        ("l3-sealer", "online", 1.0),
    ]


def test_times_far_from_the_receive_time_are_dead_lettered() -> None:
    line = Line(TimeBounds(max_age=timedelta(hours=1), max_lead=timedelta(minutes=1))).born()
    stale = line.data("l3-packer", [(AT - timedelta(hours=2), "state", 6)])
    assert stale.error is not None and "too far in the past" in stale.error
    ahead = line.data("l3-packer", [(AT + timedelta(minutes=2), "state", 6)])
    assert ahead.error is not None and "too far in the future" in ahead.error
    assert line.data("l3-packer", [(AT, "state", 6)]).error is None


_KINDS = st.sampled_from(["NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH"])


@settings(deadline=None)
@given(st.binary(max_size=300), _KINDS, st.booleans())
def test_arbitrary_bytes_give_readings_or_a_reason(payload: bytes, kind: str, born: bool) -> None:
    line = Line().born() if born else Line()
    machine = "l3-packer" if kind.startswith("D") else None
    outcome = line.send(kind, payload, machine)
    assert outcome.error is None or (outcome.error and outcome.readings == [])
    assert all(r.value == r.value for r in outcome.readings)


@settings(deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_topics_give_a_reason(topic: str) -> None:
    outcome = Line().host.handle(topic, b"", AT)
    assert outcome.readings == [] and (outcome.error or outcome.rebirth is not None or topic)


_SAMPLES = st.lists(
    st.tuples(
        st.integers(min_value=-3_600_000, max_value=600_000),
        st.sampled_from(["speed", "bearing_temp", "state", "good_count"]),
        st.integers(min_value=-(2**53), max_value=2**53),
    ),
    min_size=1,
    max_size=30,
)


@settings(deadline=None)
@given(_SAMPLES)
def test_generated_data_round_trips(samples: list[tuple[int, str, int]]) -> None:
    line = Line().born()
    sent = [
        (AT + timedelta(milliseconds=offset), signal, float(value))
        for offset, signal, value in samples
    ]
    outcome = line.data("l3-sealer", sent)
    assert outcome.error is None
    assert outcome.readings == [
        Reading(at, "l3-sealer", signal, value) for at, signal, value in sent
    ]


def test_each_birth_and_death_hands_over_the_node_state() -> None:
    changes: list[NodeBirthState] = []
    line = Line(on_birth_change=changes.append).born()
    # NBIRTH, then one DBIRTH per device, each with the seq it arrived with.
    assert [(sorted(c.devices), c.seq) for c in changes] == [
        ([], 0),
        (["packer-plc"], 1),
        (["l3-sealer", "packer-plc"], 2),
    ]
    assert changes[-1] == line.host.snapshot()[0]
    assert (changes[-1].born, changes[-1].bd_seq) == (True, 4)
    line.data("l3-packer", [(AT, "state", 6)])
    assert len(changes) == 3  # data changes no birth

    line.send("DDEATH", line.edge.device_death("l3-packer", AT), "l3-packer")
    assert sorted(changes[-1].devices) == ["l3-sealer"]
    line.send("NDEATH", line.edge.node_death())
    assert (changes[-1].born, changes[-1].devices, changes[-1].bd_seq) == (False, {}, 4)


def test_a_restored_host_decodes_data_that_follows_the_saved_seq() -> None:
    line = Line().born()
    restarted = line.restarted()
    outcome = restarted.data("l3-packer", [(AT, "state", 5), (AT, "speed", 80.5)])
    assert outcome.error is None and outcome.rebirth is None
    assert _values(outcome) == [("l3-packer", "state", 5.0), ("l3-packer", "speed", 80.5)]
    assert restarted.host.snapshot() == [replace(line.host.snapshot()[0], seq=3)]
    # Without the births the same kind of message cannot be decoded.
    assert Line().data("l3-packer", [(AT, "state", 5)]).error is not None


def test_a_gap_after_a_restore_still_decodes_and_asks_for_a_rebirth() -> None:
    line = Line().born()
    line.data("l3-packer", [(AT, "state", 6)])  # after the last saved birth
    restarted = Line(restored=[replace(line.host.snapshot()[0], seq=2)])
    restarted.edge = line.edge
    outcome = restarted.data("l3-sealer", [(AT, "state", 5)])
    assert _values(outcome) == [("l3-sealer", "state", 5.0)]
    assert _is_rebirth_request(outcome)


def test_a_restore_of_a_dead_node_decodes_nothing() -> None:
    line = Line().born()
    line.send("NDEATH", line.edge.node_death())
    outcome = line.restarted().data("l3-packer", [(AT, "state", 5)])
    assert outcome.error is not None and "before its node's NBIRTH" in outcome.error


def test_a_restore_follows_the_plant_file_as_it_is_now() -> None:
    line = Line().born()
    # Since the births were saved, Speed feeds another signal and the sealer left the line.
    changed = EdgeNode(
        "alpenpack",
        "line-3",
        {"packer-plc": SparkplugDevice("l3-packer", SIGNALS)},
        {"Speed": "motor_current"},
    )
    stranger = NodeBirthState("alpenpack", "line-9", True, 1, 0, {})
    restarted = Line(node=changed, restored=[*line.host.snapshot(), stranger])
    restarted.edge = line.edge
    outcome = restarted.data("l3-packer", [(AT, "speed", 80.5)])
    assert outcome.error is None and _values(outcome) == [("l3-packer", "motor_current", 80.5)]
    assert [sorted(s.devices) for s in restarted.host.snapshot()] == [["packer-plc"]]


def test_nodes_of_another_collector_are_ignored_not_dead_lettered() -> None:
    line = Line(foreign_nodes={("alpenpack", "line-9")})
    foreign = line.host.handle("spBv1.0/alpenpack/DDATA/line-9/x", b"junk", AT)
    assert (foreign.readings, foreign.error, foreign.rebirth) == ([], None, None)
    stranger = line.host.handle("spBv1.0/alpenpack/DDATA/line-8/x", b"", AT)
    assert stranger.error == "unknown Sparkplug edge node alpenpack/line-8"


def test_a_matching_ndeath_is_a_death_of_every_device_of_the_node() -> None:
    line = Line().born()
    death = line.send("NDEATH", line.edge.node_death())
    assert death.death is not None and death.bd_seq_mismatch is None
    assert sorted(death.death.machine_ids) == ["l3-packer", "l3-sealer"]
    assert death.death.reason is OfflineReason.NODE_DEATH


def test_an_ndeath_with_the_next_bdseq_is_reported_and_taken_for_a_death() -> None:
    # Some edge libraries send their clean-disconnect NDEATH with the bdSeq to come.
    line = Line().born()
    death = line.send("NDEATH", _edge(bd_seq=5).node_death())
    assert death.death is not None
    assert death.bd_seq_mismatch is not None and "bdSeq 5" in death.bd_seq_mismatch
    assert sorted(_values(death)) == [("l3-packer", "online", 0.0), ("l3-sealer", "online", 0.0)]


def test_an_ndeath_of_an_earlier_session_is_reported_and_ignored() -> None:
    line = Line().born()
    late = line.send("NDEATH", _edge(bd_seq=3).node_death())
    assert late.death is None and late.readings == []
    assert late.bd_seq_mismatch is not None and "earlier session" in late.bd_seq_mismatch
    # The node lives on.
    assert line.data("l3-packer", [(AT, "state", 6)]).error is None


def test_a_ddeath_names_its_machine() -> None:
    line = Line().born()
    death = line.send("DDEATH", line.edge.device_death("l3-packer", AT), "l3-packer")
    assert death.death is not None
    assert (death.death.machine_ids, death.death.reason) == (
        ("l3-packer",),
        OfflineReason.DEVICE_DEATH,
    )


def test_a_metric_no_signal_maps_is_reported_once_per_device_and_name() -> None:
    narrow = EdgeNode(
        "alpenpack",
        "line-3",
        {
            "packer-plc": SparkplugDevice("l3-packer", frozenset({"state", "speed"})),
            "l3-sealer": SparkplugDevice("l3-sealer", SIGNALS),
        },
        {"Speed": "speed"},
    )
    line = Line(node=narrow)
    assert line.send("NBIRTH", line.edge.node_birth(AT)).error is None
    birth = line.send("DBIRTH", line.edge.device_birth("l3-packer", AT, {"state": 6}), "l3-packer")
    unmapped = dict(birth.unmapped)
    assert "alpenpack/line-3/packer-plc good_count" in unmapped
    assert "does not list" in unmapped["alpenpack/line-3/packer-plc good_count"]
    assert not any(subject.endswith((" state", " Speed")) for subject in unmapped)
    # A rebirth declares them again: no second report.
    again = line.send("DBIRTH", line.edge.device_birth("l3-packer", AT, {"state": 6}), "l3-packer")
    assert again.unmapped == []

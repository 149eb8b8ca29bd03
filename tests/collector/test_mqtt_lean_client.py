"""The lean PUBLISH decoder agrees with paho's, and leaves paho what it does not handle.

Packets are built byte by byte as the MQTT 3.1.1 and 5 specifications lay them
out; paho's own decoder is the reference.
"""

from __future__ import annotations

import socket

import paho.mqtt.client as mqtt
from hypothesis import given
from hypothesis import strategies as st
from paho.mqtt import _packet
from paho.mqtt.enums import MQTTProtocolVersion

from collector.mqtt_lean_client import BufferedSocket, lean_publish

V5 = MQTTProtocolVersion.MQTTv5
V311 = MQTTProtocolVersion.MQTTv311


def _publish(
    topic: bytes,
    payload: bytes,
    *,
    qos: int,
    mid: int = 0,
    dup: bool = False,
    retain: bool = False,
    properties: bytes | None = b"",
) -> tuple[int, bytes]:
    """(first header byte, the packet after the remaining length); no properties for 3.1.1."""
    command = 0x30 | (0x08 if dup else 0) | (qos << 1) | (1 if retain else 0)
    body = len(topic).to_bytes(2, "big") + topic
    if qos:
        body += mid.to_bytes(2, "big")
    if properties is not None:
        body += bytes([len(properties)]) + properties
    return command, body + payload


def _same_as_paho(command: int, packet: bytes, protocol: MQTTProtocolVersion) -> None:
    lean = lean_publish(command, packet, protocol)
    reference = _packet.decode_publish(command, packet, protocol)
    assert lean is not None
    assert (lean.mid, lean.qos, lean.dup, lean.retain) == (
        reference.mid,
        reference.qos,
        reference.dup,
        reference.retain,
    )
    assert lean.topic == reference.topic.decode()
    assert bytes(lean.payload) == bytes(reference.payload)
    # Built without MQTTMessage.__init__: every attribute paho declares must still be set.
    for slot in mqtt.MQTTMessage.__slots__:
        getattr(lean, slot)


@given(
    topic=st.text(min_size=1, max_size=80).map(str.encode),
    payload=st.binary(max_size=300),
    qos=st.sampled_from([0, 1]),
    mid=st.integers(1, 65535),
    dup=st.booleans(),
    retain=st.booleans(),
)
def test_plain_publish_decodes_as_paho_decodes_it(
    topic: bytes, payload: bytes, qos: int, mid: int, dup: bool, retain: bool
) -> None:
    mid = mid if qos else 0
    _same_as_paho(*_publish(topic, payload, qos=qos, mid=mid, dup=dup, retain=retain), V5)
    packet_311 = _publish(topic, payload, qos=qos, mid=mid, dup=dup, retain=retain, properties=None)
    _same_as_paho(*packet_311, V311)


def test_a_publish_with_properties_is_left_to_paho() -> None:
    content_type = b"\x03" + len(b"json").to_bytes(2, "big") + b"json"
    command, packet = _publish(b"a/b", b"{}", qos=1, mid=7, properties=content_type)
    assert lean_publish(command, packet, V5) is None
    assert _packet.decode_publish(command, packet, V5).properties is not None


def test_qos_2_and_malformed_packets_are_left_to_paho() -> None:
    assert lean_publish(*_publish(b"a/b", b"1", qos=2, mid=3), V5) is None
    assert lean_publish(*_publish(b"a/b", b"1", qos=3, mid=3), V5) is None  # paho refuses it
    # MQTT 3.1.1 forbids an empty topic: paho raises, so it must see the packet.
    assert lean_publish(*_publish(b"", b"1", qos=1, mid=3, properties=None), V311) is None
    command, packet = _publish(b"a/b", b"", qos=1, mid=3)
    assert lean_publish(command, packet[:5], V5) is None  # cut inside the packet id
    assert lean_publish(command, packet[:1], V5) is None


def test_buffered_socket_serves_small_reads_from_one_recv() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.setblocking(False)
        buffered = BufferedSocket(ours)
        theirs.sendall(b"\x30\x05hello")
        assert buffered.recv(1) == b"\x30"
        assert buffered.pending() == 6  # what paho must parse before waiting on the socket
        assert buffered.recv(1) == b"\x05"
        assert buffered.recv(100) == b"hello"
        assert buffered.pending() == 0
        theirs.close()
        assert buffered.recv(1) == b""  # the peer closed

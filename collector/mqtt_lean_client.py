"""A paho client tuned for receiving many small messages.

Two costs dominate when paho receives QoS 1 messages of one sample each
(bench.ingest, ``single``): paho reads each packet with three or more ``recv``
calls (a byte, the length bytes, the rest), and for MQTT 5 it builds a full
``Properties`` object per PUBLISH, even when the packet carries none: over half
of the time per message. ``LeanClient`` reads the socket in large chunks and
decodes property-less QoS 0/1 PUBLISH packets itself; everything else (QoS 2,
PUBLISH with properties, every other packet type) is paho's own code.

Both hook into paho internals (``_create_socket``, ``_handle_publish``), so
pyproject pins paho-mqtt to the minor versions tested with them, and
tests/collector/test_mqtt_lean_client.py checks the decoding against paho's.
"""

from __future__ import annotations

import ssl
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MessageState, MQTTErrorCode, MQTTProtocolVersion

# One recv takes what the kernel holds, up to this: thousands of small messages.
_READ_CHUNK = 256 * 1024


class BufferedSocket:
    """A socket whose reads are served from one large ``recv``.

    paho asks for one byte, then the length bytes, then the rest of each packet;
    served from a buffer these are slices, not system calls. ``pending`` tells
    paho (as it does for TLS) that bytes are waiting without the socket being
    readable, so they are parsed before the next ``select``.
    """

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._buffer = b""
        self._position = 0

    def recv(self, size: int) -> bytes:
        available = len(self._buffer) - self._position
        if available == 0:
            # Raises BlockingIOError (or ssl.SSLWantReadError) when nothing came: paho's "again".
            self._buffer = self._sock.recv(_READ_CHUNK)
            self._position = 0
            available = len(self._buffer)
            if available == 0:
                return b""  # the broker closed the connection
        end = self._position + min(size, available)
        chunk = self._buffer[self._position : end]
        self._position = end
        return chunk

    def pending(self) -> int:
        inner = self._sock.pending() if isinstance(self._sock, ssl.SSLSocket) else 0
        return len(self._buffer) - self._position + inner

    def fileno(self) -> int:
        return int(self._sock.fileno())

    def __getattr__(self, name: str) -> Any:
        # send, close, setblocking, ...: the socket's own.
        return getattr(self._sock, name)


class LeanClient(mqtt.Client):
    """A paho client with buffered reads and a lean decoder for plain PUBLISH packets."""

    def _create_socket(self) -> Any:
        return BufferedSocket(super()._create_socket())

    def _handle_publish(self) -> MQTTErrorCode:
        packet = self._in_packet
        message = lean_publish(packet["command"], packet["packet"], self._protocol)
        if message is None:
            return super()._handle_publish()
        message.timestamp = time.monotonic()  # as paho stamps it
        self._handle_on_message(message)
        if message.qos == 0 or self._manual_ack:
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        return self._send_puback(message.mid)


def lean_publish(
    command: int, packet: bytes | bytearray, protocol: MQTTProtocolVersion
) -> mqtt.MQTTMessage | None:
    """A QoS 0 or 1 PUBLISH without properties, decoded; None for anything else.

    ``command`` is the fixed header's first byte, ``packet`` what follows the
    remaining length. None leaves the packet to paho, errors included.
    """
    qos = (command & 0x06) >> 1
    if qos > 1 or len(packet) < 2:  # QoS 2's handshake, or the invalid QoS 3
        return None
    topic_end = 2 + int.from_bytes(packet[:2], "big")
    position = topic_end
    mid = 0
    if qos:
        mid = int.from_bytes(packet[position : position + 2], "big")
        position += 2
    if protocol == MQTTProtocolVersion.MQTTv5:
        if packet[position : position + 1] != b"\x00":
            return None  # properties present, or the packet is cut short
        position += 1
    if position > len(packet) or (topic_end == 2 and protocol != MQTTProtocolVersion.MQTTv5):
        return None
    return _received_message(
        mid,
        bytes(packet[2:topic_end]),
        packet[position:],
        qos=qos,
        dup=bool(command & 0x08),
        retain=bool(command & 0x01),
    )


# Only messages we publish use their ``info``: received ones can share one.
_RECEIVED_INFO = mqtt.MQTTMessageInfo(0)


def _received_message(
    mid: int, topic: bytes, payload: bytes | bytearray, *, qos: int, dup: bool, retain: bool
) -> mqtt.MQTTMessage:
    """An MQTTMessage as paho builds one on receipt, without its per-message lock.

    ``MQTTMessage()`` gives each message an ``MQTTMessageInfo`` with a
    ``threading.Condition``, for waiting on a publish: an eighth of the time per
    received message, for nothing.
    """
    message = mqtt.MQTTMessage.__new__(mqtt.MQTTMessage)
    message.timestamp = 0.0
    message.state = MessageState.MQTT_MS_INVALID
    message.mid = mid
    message._topic = topic
    message.payload = payload
    message.qos = qos
    message.dup = dup
    message.retain = retain
    message.info = _RECEIVED_INFO
    message.properties = None
    return message

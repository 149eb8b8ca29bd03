"""How a collector reaches its MQTT broker, and a paho client set up accordingly.

The settings build one ``MqttConnection``; the plant file says nothing about
brokers. Sessions are persistent by default: with a fixed client id and
``clean_start`` off, the broker keeps our subscriptions and queues QoS 1
messages while the collector is away, and hands them over when it returns.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, TypeVar, overload

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

ClientType = TypeVar("ClientType", bound=mqtt.Client)

# The most QoS 1 messages the broker may send before we acknowledge one (MQTT 5).
# Messages are acknowledged only once stored, a batch at a time, so the window
# must hold a whole flush interval's worth of messages.
RECEIVE_MAXIMUM = 65_535


@dataclass(frozen=True, slots=True)
class MqttConnection:
    """Broker address, security and session of one collector's MQTT client."""

    host: str
    port: int = 1883
    protocol: Literal["5", "3.1.1"] = "5"
    # Must differ between collector processes: the broker keeps one session per id.
    client_id: str = "linecare-collector"
    # Keep the session (subscriptions and queued messages) across disconnects.
    persistent_session: bool = True
    # How long the broker keeps the session of a disconnected collector (MQTT 5).
    session_expiry_s: int = 7 * 24 * 3600
    keepalive_s: int = 30
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    # CA that signed the broker's certificate; None trusts the system's CAs.
    ca_file: Path | None = None
    # Client certificate and key, for brokers that authenticate clients by certificate.
    cert_file: Path | None = None
    key_file: Path | None = None
    # Members of one shared subscription group split the JSON topics' messages (MQTT 5
    # ``$share/<group>/<filter>``); None subscribes alone.
    shared_group: str | None = None

    def __post_init__(self) -> None:
        if self.username is not None and self.password is None:
            raise ValueError("an MQTT username needs a password")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("an MQTT client certificate needs its key, and the other way")
        if not self.tls and (self.ca_file or self.cert_file):
            raise ValueError("CA and client certificates need tls=True")
        if self.shared_group is not None and (
            not self.shared_group or any(c in self.shared_group for c in "/+#")
        ):
            raise ValueError(f"invalid shared subscription group {self.shared_group!r}")
        if self.persistent_session and not self.client_id:
            raise ValueError("a persistent session needs a fixed client id")

    @property
    def is_mqtt5(self) -> bool:
        return self.protocol == "5"

    def subscription(self, topic_filter: str) -> str:
        """The filter to subscribe with: shared within the group, when there is one."""
        if self.shared_group is None:
            return topic_filter
        return f"$share/{self.shared_group}/{topic_filter}"


@overload
def create_client(connection: MqttConnection, *, manual_ack: bool) -> mqtt.Client: ...


@overload
def create_client(
    connection: MqttConnection, *, manual_ack: bool, client_type: type[ClientType]
) -> ClientType: ...


def create_client(
    connection: MqttConnection,
    *,
    manual_ack: bool,
    client_type: type[mqtt.Client] = mqtt.Client,
) -> mqtt.Client:
    """A paho client with protocol, credentials and TLS set; not connected yet.

    With ``manual_ack`` a QoS 1 message stays unacknowledged until ``client.ack``.
    """
    if connection.is_mqtt5:
        client = client_type(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=connection.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=manual_ack,
        )
    else:
        client = client_type(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=connection.client_id,
            protocol=mqtt.MQTTv311,
            clean_session=not connection.persistent_session,
            manual_ack=manual_ack,
        )
    if connection.username is not None:
        client.username_pw_set(connection.username, connection.password)
    if connection.tls:
        client.tls_set_context(tls_context(connection))
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client


def tls_context(connection: MqttConnection) -> ssl.SSLContext:
    """Verifies the broker's certificate and host name; presents ours when we have one."""
    context = ssl.create_default_context(
        cafile=str(connection.ca_file) if connection.ca_file else None
    )
    if connection.cert_file is not None and connection.key_file is not None:
        context.load_cert_chain(connection.cert_file, connection.key_file)
    context.sslsocket_class = _ClosedOnFailedHandshake
    return context


class _ClosedOnFailedHandshake(ssl.SSLSocket):
    """A TLS socket that closes itself when its handshake fails.

    paho drops a socket whose handshake failed (an untrusted broker certificate)
    without closing it; it would stay open until the garbage collector came by.
    """

    def do_handshake(self, block: bool = False) -> None:
        try:
            super().do_handshake(block)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise  # a non-blocking handshake that is not done yet, not a failed one
        except BaseException:
            self.close()
            raise


def connect_async(client: mqtt.Client, connection: MqttConnection) -> None:
    """Start connecting; paho's loop completes it and reconnects after every loss."""
    if not connection.is_mqtt5:
        client.connect_async(connection.host, connection.port, keepalive=connection.keepalive_s)
        return
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho: unannotated
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    if connection.persistent_session:
        properties.SessionExpiryInterval = connection.session_expiry_s
    client.connect_async(
        connection.host,
        connection.port,
        keepalive=connection.keepalive_s,
        # Never MQTT_CLEAN_START_FIRST_ONLY: the first connect must resume the session too.
        clean_start=not connection.persistent_session,
        properties=properties,
    )


def discard_session(connection: MqttConnection, timeout_s: float = 10.0) -> None:
    """Make the broker forget this client id's session and the messages queued for it.

    Connecting once with a clean start ends the old session; for starting over
    from an empty database, where those messages belong to a plant that is gone.
    """
    clean = replace(connection, persistent_session=False)
    client = create_client(clean, manual_ack=False)
    if clean.is_mqtt5:
        client.connect(clean.host, clean.port, keepalive=clean.keepalive_s, clean_start=True)
    else:
        client.connect(clean.host, clean.port, keepalive=clean.keepalive_s)
    client.loop_start()
    try:
        # The broker drops the old session when it accepts the clean connect.
        deadline = time.monotonic() + timeout_s
        while not client.is_connected():
            if time.monotonic() > deadline:
                raise ConnectionError(f"no answer from MQTT broker {clean.host}:{clean.port}")
            time.sleep(0.05)
        client.disconnect()
    finally:
        client.loop_stop()

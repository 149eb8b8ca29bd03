"""Runs a paho client on the asyncio event loop instead of in a thread of its own.

Why: with paho's ``loop_start`` every message crosses from paho's thread to the
event loop, and the two threads contend for the GIL. Here paho parses the
packets on the event loop, in bursts (its socket reads are buffered, see
``LeanClient``), and the collector handles each burst right after, in the same
thread. This is paho's documented external-loop interface (``on_socket_open``,
``loop_read``, ``loop_write``, ``loop_misc``); paho's automatic reconnect only
exists in its own thread, so ``EventLoopMqttDriver.run`` reconnects with backoff;
while the broker's port is closed, a TCP probe every second cuts the wait short
as soon as it opens (``reconnect_wait``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

from collector.mqtt_lean_client import BufferedSocket, LeanClient
from collector.reconnect_wait import PROBE_EVERY_S, Address, Backoff, wait_to_reconnect

log = logging.getLogger(__name__)

# Packets parsed per turn of the event loop, so that a backlog does not starve it.
_PACKETS_PER_TURN = 2000
# How often paho's housekeeping runs: keepalive pings and their timeouts.
_HOUSEKEEPING_S = 1.0


class EventLoopMqttDriver:
    """Connects a paho client, keeps it connected, and runs its I/O on the event loop.

    The client must be a ``LeanClient`` with ``connect_async`` called on it,
    so that ``reconnect`` knows where to go. Its callbacks run on the event loop,
    ``on_message`` once per packet of a burst of up to ``packets_per_turn``.
    """

    def __init__(
        self,
        client: LeanClient,
        *,
        min_backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        packets_per_turn: int = _PACKETS_PER_TURN,
        probe_every_s: float = PROBE_EVERY_S,
    ) -> None:
        self._client = client
        self._probe_every_s = probe_every_s
        self._packets_per_turn = packets_per_turn
        self._min_backoff_s = min_backoff_s
        self._max_backoff_s = max_backoff_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._socket: BufferedSocket | None = None
        # Kept apart: paho may have closed the socket by the time it is detached.
        self._socket_fd = -1
        self._socket_closed = asyncio.Event()
        self._read_scheduled = False
        self._stopped = False
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_socket_register_write
        client.on_socket_unregister_write = self._on_socket_unregister_write

    async def run(self) -> None:
        """Connect and reconnect with exponential backoff, until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._stopped = False
        backoff = Backoff(self._min_backoff_s, self._max_backoff_s)
        address = Address(self._client.host, self._client.port)
        try:
            while True:
                if await self._connect() and await self._until_closed():
                    backoff.reset()
                wait_s = backoff.next_wait()
                if await wait_to_reconnect(address, wait_s, probe_every_s=self._probe_every_s):
                    log.info("MQTT broker %s:%d is listening again", address.host, address.port)
                    backoff.reset()
        finally:
            self._disconnect()

    async def _connect(self) -> bool:
        self._socket_closed.clear()
        host = f"{self._client.host}:{self._client.port}"
        # Blocking: TCP connect and TLS handshake. Off the event loop.
        connecting = asyncio.ensure_future(asyncio.to_thread(self._client.reconnect))
        try:
            await asyncio.shield(connecting)
        except asyncio.CancelledError:
            # The thread runs on regardless: let it finish, so its socket gets closed.
            with contextlib.suppress(Exception):
                await connecting
            raise
        except (OSError, ssl.SSLError) as error:
            log.warning("MQTT broker %s unreachable: %s", host, error)
            return False
        return True

    async def _until_closed(self) -> bool:
        """Housekeeping until the connection ends; whether the broker ever accepted it."""
        accepted = False
        while not self._socket_closed.is_set():
            accepted = accepted or self._client.is_connected()
            if self._client.loop_misc() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                break
            try:
                await asyncio.wait_for(self._socket_closed.wait(), _HOUSEKEEPING_S)
            except TimeoutError:
                pass
        return accepted

    def _disconnect(self) -> None:
        self._stopped = True
        client = self._client
        if client.is_connected():
            client.disconnect()
            # DISCONNECT is tiny: it goes out at once, and paho then closes the socket.
            client.loop_write()
        sock = client.socket()
        if isinstance(sock, BufferedSocket):
            # Not connected yet, or the DISCONNECT could not be written: close anyway.
            self._detach(sock)
            sock.close()

    def _on_socket_open(self, client: mqtt.Client, userdata: object, sock: Any) -> None:
        self._on_loop(self._attach, sock)

    def _on_socket_close(self, client: mqtt.Client, userdata: object, sock: Any) -> None:
        self._on_loop(self._detach, sock)

    def _on_socket_register_write(self, client: mqtt.Client, userdata: object, sock: Any) -> None:
        self._on_loop(self._watch_writable, sock)

    def _on_socket_unregister_write(self, client: mqtt.Client, userdata: object, sock: Any) -> None:
        self._on_loop(self._unwatch_writable, sock)

    def _on_loop(self, callback: Callable[[Any], None], sock: Any) -> None:
        # paho calls back from the thread running ``reconnect`` too.
        assert self._loop is not None
        if threading.get_ident() == self._loop_thread:
            callback(sock)
        else:
            self._loop.call_soon_threadsafe(callback, sock)

    def _attach(self, sock: BufferedSocket) -> None:
        assert self._loop is not None
        if self._stopped:
            return
        self._socket = sock
        self._socket_fd = sock.fileno()
        self._loop.add_reader(self._socket_fd, self._read)

    def _detach(self, sock: BufferedSocket) -> None:
        assert self._loop is not None
        if sock is not self._socket:
            return
        self._socket = None
        self._loop.remove_reader(self._socket_fd)
        self._loop.remove_writer(self._socket_fd)
        self._socket_closed.set()

    def _watch_writable(self, sock: BufferedSocket) -> None:
        assert self._loop is not None
        if sock is self._socket:
            self._loop.add_writer(self._socket_fd, self._client.loop_write)

    def _unwatch_writable(self, sock: BufferedSocket) -> None:
        assert self._loop is not None
        if sock is self._socket:
            self._loop.remove_writer(self._socket_fd)

    def _read(self) -> None:
        """Parse a burst of packets; paho calls ``on_message`` for each."""
        self._read_scheduled = False
        sock = self._socket
        client = self._client
        for _ in range(self._packets_per_turn):
            try:
                read = client.loop_read()
            except Exception:
                # paho leaves a packet whose handling raised (a bug in a callback)
                # half-read, and would parse on from its middle: start afresh.
                log.exception("MQTT packet from %s could not be handled", client.host)
                client.disconnect()
                return
            if read != MQTTErrorCode.MQTT_ERR_SUCCESS or sock is not self._socket:
                return  # connection lost: paho closed the socket and reported it
            if sock is None or not sock.pending():
                return
        # Bytes left in our buffer do not make the socket readable: come back next turn.
        if not self._read_scheduled and self._loop is not None:
            self._read_scheduled = True
            self._loop.call_soon(self._read)

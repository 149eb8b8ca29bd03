"""Waiting between reconnect attempts: exponential backoff, cut short by a cheap TCP probe.

A full attempt (an OPC UA secure channel and session, an MQTT CONNECT) costs the
server work; a TCP connect refused at once costs it next to nothing. So while
the server's port is closed, the wait probes it every ``probe_every_s``, and
ends as soon as the port accepts connections again: data flows again about a
probe interval after a server comes back, however long it was away and however
far the backoff had grown. A server whose port is open but which refuses
sessions (an untrusted certificate, a wrong password, still starting) is not
probed, and is retried at the backoff's pace only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Often enough to resume within seconds, rare enough to cost a server nothing.
PROBE_EVERY_S = 1.0


@dataclass(slots=True)
class Backoff:
    """Waits that double after each failed attempt, from ``initial_s`` up to ``cap_s``."""

    initial_s: float
    cap_s: float
    _next_s: float = field(init=False)

    def __post_init__(self) -> None:
        self._next_s = min(self.initial_s, self.cap_s)

    def next_wait(self) -> float:
        wait, self._next_s = self._next_s, min(self._next_s * 2, self.cap_s)
        return wait

    def reset(self) -> None:
        self._next_s = min(self.initial_s, self.cap_s)


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int


def address_of(url: str, default_port: int = 4840) -> Address:
    """Host and port of ``opc.tcp://host:port/path`` (or any URL with a host)."""
    parts = urlsplit(url)
    return Address(parts.hostname or "localhost", parts.port or default_port)


async def port_accepts(address: Address, timeout_s: float) -> bool:
    """Whether a TCP connection to ``address`` opens within ``timeout_s``; closed at once."""
    try:
        async with asyncio.timeout(timeout_s):
            _, writer = await asyncio.open_connection(address.host, address.port)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def wait_to_reconnect(
    address: Address, wait_s: float, *, probe_every_s: float = PROBE_EVERY_S
) -> bool:
    """Sleep ``wait_s``, or less: True when the port, closed when the wait began,
    accepts connections again before the time is up (retry now, from the shortest wait)."""
    deadline = time.monotonic() + wait_s
    if await port_accepts(address, probe_every_s):
        # Up, but the attempt failed all the same: only the backoff helps.
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        return False
    while (remaining := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(probe_every_s, remaining))
        if await port_accepts(address, probe_every_s):
            return True
    return False

"""Machine liveness: whether data of a machine is arriving, since when, and if not, why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class OfflineReason(StrEnum):
    """Why a machine's data stopped, as the collector that noticed it knows."""

    # Nothing arrived for the collector's offline timeout (MQTT JSON goes quiet this way).
    SILENT = "silent"
    # The OPC UA session to the machine's server was lost.
    SESSION_LOST = "session_lost"
    # The server or broker cannot be reached (no TCP connection).
    UNREACHABLE = "unreachable"
    # The OPC UA server refused LineCare's client certificate: trust it on the server.
    UNTRUSTED = "untrusted"
    # The server refused the connection otherwise (login, security settings).
    REFUSED = "refused"
    # Sparkplug B: the device's DDEATH, or its edge node's NDEATH.
    DEVICE_DEATH = "device_death"
    NODE_DEATH = "node_death"


@dataclass(frozen=True, slots=True)
class MachineStatus:
    machine_id: str
    online: bool
    # When the current state (online or offline) began.
    since: datetime
    # When a sample of the machine last arrived at a collector; None if never.
    last_seen: datetime | None
    # While offline: why, and the collector's one-line explanation.
    reason: OfflineReason | None = None
    detail: str | None = None

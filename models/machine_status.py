"""Machine liveness: whether data of a machine is arriving, and since when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MachineStatus:
    machine_id: str
    online: bool
    # When the current state (online or offline) began.
    since: datetime
    # When a sample of the machine last arrived at a collector; None if never.
    last_seen: datetime | None

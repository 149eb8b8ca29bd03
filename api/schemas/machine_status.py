"""Whether each machine's data is arriving, as the console shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from api.schemas.base import PublicModel
from models.machine_status import MachineStatus

ReasonName = Literal[
    "silent",
    "session_lost",
    "unreachable",
    "untrusted",
    "refused",
    "device_death",
    "node_death",
]


class MachineStatusPublic(PublicModel):
    """``status`` is ``unknown`` until a collector has recorded the machine. While
    offline, ``reason`` says why in a word and ``detail`` in the collector's own line."""

    machine_id: str
    line_id: str
    status: Literal["online", "offline", "unknown"]
    # When the current status began.
    since: datetime | None
    # When a sample of the machine last arrived at a collector.
    last_seen: datetime | None
    reason: ReasonName | None
    detail: str | None

    @classmethod
    def of(
        cls, machine_id: str, line_id: str, recorded: MachineStatus | None
    ) -> MachineStatusPublic:
        if recorded is None:
            return cls(
                machine_id=machine_id,
                line_id=line_id,
                status="unknown",
                since=None,
                last_seen=None,
                reason=None,
                detail=None,
            )
        return cls(
            machine_id=machine_id,
            line_id=line_id,
            status="online" if recorded.online else "offline",
            since=recorded.since,
            last_seen=recorded.last_seen,
            reason=None if recorded.online or recorded.reason is None else recorded.reason.value,
            detail=None if recorded.online else recorded.detail,
        )

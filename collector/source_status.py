"""What the collector knows about its sources beyond the data: connection state and
misconfigurations, for the metrics endpoint and the machine status.

Transports report here; they never write machine status themselves. A source
(an OPC UA endpoint, the MQTT broker) is connected or down for a reason
(``OfflineReason``); going down marks its machines offline at once, with the
reason, through ``MachineStatusReporter`` (``SourceLiveness`` in a collector
process). ``down`` says whether the state is new, so that a transport logs one
line per outage and reason, not one per retry. Problems of the configuration
(an event source no machine is mapped to, a Sparkplug NDEATH with a foreign
bdSeq, a Sparkplug metric no signal maps) are counted per subject.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from models.machine_status import OfflineReason

CONNECTED = "connected"
# The states a source's metric reports, connected first.
SOURCE_STATES = (
    CONNECTED,
    OfflineReason.UNREACHABLE,
    OfflineReason.SESSION_LOST,
    OfflineReason.UNTRUSTED,
    OfflineReason.REFUSED,
)


class Problem(StrEnum):
    UNMAPPED_EVENT_SOURCE = "unmapped_event_source"
    NDEATH_BDSEQ_MISMATCH = "ndeath_bdseq_mismatch"
    UNMAPPED_SPARKPLUG_METRIC = "unmapped_sparkplug_metric"


class MachineStatusReporter(Protocol):
    def mark_down(self, machine_ids: Collection[str], reason: OfflineReason, detail: str) -> None:
        """Machines whose data stopped now, and why."""


@dataclass(frozen=True, slots=True)
class SourceReport:
    source: str
    state: str  # CONNECTED or an OfflineReason
    detail: str | None
    since: datetime


class SourceStatusBoard:
    def __init__(
        self,
        machines: MachineStatusReporter | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._machines = machines
        self._clock = clock
        self._sources: dict[str, SourceReport] = {}
        self._problems: Counter[tuple[Problem, str]] = Counter()

    def connected(self, source: str) -> bool:
        """The source is connected; whether that is news."""
        if (known := self._sources.get(source)) is not None and known.state == CONNECTED:
            return False
        self._sources[source] = SourceReport(source, CONNECTED, None, self._now())
        return True

    def down(
        self, source: str, machine_ids: Collection[str], reason: OfflineReason, detail: str
    ) -> bool:
        """The source is down for ``reason``; its machines are marked offline when the
        reason is new. Whether it is new (log it), rather than a retry failing alike."""
        known = self._sources.get(source)
        if known is not None and known.state == reason:
            self._sources[source] = SourceReport(source, reason, detail, known.since)
            return False
        self._sources[source] = SourceReport(source, reason, detail, self._now())
        self.machines_down(machine_ids, reason, detail)
        return True

    def machines_down(
        self, machine_ids: Collection[str], reason: OfflineReason, detail: str
    ) -> None:
        """Machines gone while their source stays connected (a Sparkplug death)."""
        if self._machines is not None and machine_ids:
            self._machines.mark_down(machine_ids, reason, detail)

    def count(self, problem: Problem, subject: str, times: int = 1) -> int:
        """Count ``times`` occurrences of a problem; returns the total so far."""
        self._problems[problem, subject] += times
        return self._problems[problem, subject]

    def sources(self) -> list[SourceReport]:
        return sorted(self._sources.values(), key=lambda report: report.source)

    def problems(self) -> dict[tuple[Problem, str], int]:
        return dict(self._problems)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

"""Which analytics process analyses which lines. Pure.

Several ``linecare analyze`` processes can share a fleet: each takes the lines
whose stable hash falls on its index, so every machine is analysed by exactly
one process, and adding a line moves no other line. A line is the unit because
OEE is computed per line, and each line keeps its own "now" (the newest sample
of its machines), so one plant's late collector never holds back another's,
and a line whose data lags is not analysed past its data.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.plant import Line, Plant
from models.stable_partition import stable_partition


@dataclass(frozen=True, slots=True)
class FleetPartition:
    """This process's share: partition ``index`` of ``count``."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(
                f"analytics partition {self.index} of {self.count}: needs 0 <= index < count"
            )

    def owns(self, line: Line) -> bool:
        return stable_partition(line.id, self.count) == self.index

    def lines(self, plant: Plant) -> list[Line]:
        """The plant's lines this process analyses."""
        return [line for _, _, line in plant.lines() if self.owns(line)]

"""The plant file's OEE settings beyond the state mapping: how micro-stops count,
what fault codes mean, and planned downtime outside the shift calendar."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import model_validator

from models.frozen_model import Frozen


class MicroStopPolicy(StrEnum):
    """Where a stop shorter than the micro-stop threshold is booked.

    - ``PERFORMANCE`` (the TPM six big losses, the default): the stop stays in
      running time, so it costs performance (fewer parts in that time).
    - ``DOWNTIME`` (ISO 22400-2): every stop is unplanned downtime, so a
      micro-stop costs availability like any other stop.

    Either way micro-stops are counted and listed as the small-stops loss.
    """

    PERFORMANCE = "performance"
    DOWNTIME = "downtime"


# Reason texts for stops without a fault-code entry of their own.
UNSPECIFIED_BREAKDOWN = "unspecified breakdown"
CHANGEOVER = "changeover/setup"
UNSPECIFIED_STOP = "unplanned stop"
UNSPECIFIED_MICRO_STOP = "micro-stop"
WAITING = "idle (waiting)"


class PlannedDowntime(Frozen):
    """A stretch in which shifts of the calendar are not planned to produce, on top of
    their breaks: planned maintenance, no orders. It is planned downtime, never a loss.

    ``start`` and ``end`` are wall-clock times of the site's time zone, like
    shift times; ``lines`` names the lines it stops (empty: every line).
    """

    reason: str
    start: datetime
    end: datetime
    lines: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> PlannedDowntime:
        if self.end <= self.start:
            raise ValueError(f"planned downtime {self.reason!r} must end after it starts")
        return self

    def concerns(self, line_id: str) -> bool:
        return not self.lines or line_id in self.lines

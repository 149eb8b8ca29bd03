"""What kind of stop a run is and why it happened.

Reasons come from the plant file's fault-code table and are stored with each
stop, so reports need no plant file:

- a breakdown: the reason of its fault code, "fault <code>" for a code the
  table lacks, "unspecified breakdown" without a code;
- setup: "changeover/setup";
- an unplanned stop at or over the micro-stop threshold: like a breakdown,
  "unplanned stop" without a code;
- a micro-stop: "micro-stop: <reason>", so micro-stops form reasons of their
  own in the Pareto, "micro-stop" without a code;
- idle time inside planned busy time: "idle (waiting)".
"""

from __future__ import annotations

from collections.abc import Mapping

from analytics.state_timeline import Run
from models.oee import DowntimeCategory
from models.oee_settings import (
    CHANGEOVER,
    UNSPECIFIED_BREAKDOWN,
    UNSPECIFIED_MICRO_STOP,
    UNSPECIFIED_STOP,
    WAITING,
)
from models.states import TimeCategory

_CATEGORIES = {
    TimeCategory.BREAKDOWN: DowntimeCategory.BREAKDOWN,
    TimeCategory.SETUP: DowntimeCategory.SETUP,
    TimeCategory.STOP: DowntimeCategory.STOP,
    TimeCategory.IDLE: DowntimeCategory.IDLE,
}


def downtime_category(run: Run) -> DowntimeCategory | None:
    """The kind of stop a run is; None for running and unknown time."""
    if run.micro_stop:
        return DowntimeCategory.MICRO_STOP
    return _CATEGORIES.get(run.category)


def _fault_reason(code: int, reasons: Mapping[int, str]) -> str:
    return reasons.get(code, f"fault {code}")


def downtime_reason(
    category: DowntimeCategory, fault_code: int | None, reasons: Mapping[int, str]
) -> str:
    """The reason shown for a stop of this kind and fault code."""
    if category is DowntimeCategory.SETUP:
        return CHANGEOVER
    if category is DowntimeCategory.IDLE:
        return WAITING
    if category is DowntimeCategory.MICRO_STOP:
        if fault_code is None:
            return UNSPECIFIED_MICRO_STOP
        return f"{UNSPECIFIED_MICRO_STOP}: {_fault_reason(fault_code, reasons)}"
    if fault_code is None:
        return UNSPECIFIED_BREAKDOWN if category is DowntimeCategory.BREAKDOWN else UNSPECIFIED_STOP
    return _fault_reason(fault_code, reasons)

"""Machine states (PackML) and the OEE time categories they map to."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class PackMLState(IntEnum):
    """ISA-TR88 / PackML state numbers as PLCs publish them."""

    UNDEFINED = 0
    CLEARING = 1
    STOPPED = 2
    STARTING = 3
    IDLE = 4
    SUSPENDED = 5
    EXECUTE = 6
    STOPPING = 7
    ABORTING = 8
    ABORTED = 9
    HOLDING = 10
    HELD = 11
    UNHOLDING = 12
    SUSPENDING = 13
    UNSUSPENDING = 14
    RESETTING = 15
    COMPLETING = 16
    COMPLETE = 17


class TimeCategory(StrEnum):
    """Where a second of machine time goes in the OEE time model."""

    RUNNING = "running"
    SETUP = "setup"
    BREAKDOWN = "breakdown"
    STOP = "stop"
    IDLE = "idle"
    UNKNOWN = "unknown"


DEFAULT_STATE_CATEGORIES: dict[int, TimeCategory] = {
    PackMLState.EXECUTE: TimeCategory.RUNNING,
    PackMLState.SUSPENDED: TimeCategory.STOP,
    PackMLState.SUSPENDING: TimeCategory.STOP,
    PackMLState.UNSUSPENDING: TimeCategory.STOP,
    PackMLState.ABORTING: TimeCategory.BREAKDOWN,
    PackMLState.ABORTED: TimeCategory.BREAKDOWN,
    PackMLState.HOLDING: TimeCategory.BREAKDOWN,
    PackMLState.HELD: TimeCategory.BREAKDOWN,
    PackMLState.UNHOLDING: TimeCategory.BREAKDOWN,
    PackMLState.CLEARING: TimeCategory.BREAKDOWN,
    PackMLState.STOPPED: TimeCategory.SETUP,
    PackMLState.STOPPING: TimeCategory.SETUP,
    PackMLState.RESETTING: TimeCategory.SETUP,
    PackMLState.STARTING: TimeCategory.SETUP,
    PackMLState.IDLE: TimeCategory.IDLE,
    PackMLState.COMPLETING: TimeCategory.IDLE,
    PackMLState.COMPLETE: TimeCategory.IDLE,
    PackMLState.UNDEFINED: TimeCategory.UNKNOWN,
}

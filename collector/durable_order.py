"""Which puts are durable yet: batches in flight, and the callbacks waiting on them.

Writers finish batches in any order, but a source may only be acknowledged once
everything put before it is durable too: an MQTT broker or an OPC UA server
would otherwise take a later acknowledgement for the earlier samples as well.
So callbacks are released strictly in put order, as the oldest batches finish.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from models.readings import DeadLetter, Reading

DurableCallback = Callable[[], None]


@dataclass(slots=True, eq=False)
class SinkBatch:
    """Readings and dead letters taken together for one write."""

    readings: list[Reading]
    letters: list[DeadLetter]
    # Running totals of readings and letters taken, up to and including this batch.
    readings_end: int
    letters_end: int
    done: bool = False


class DurableOrder:
    """Which puts are durable: callbacks run in put order, whatever order batches finish."""

    def __init__(self) -> None:
        self.queued = (0, 0)
        self.taken = (0, 0)
        self.stored = (0, 0)
        self.in_flight: deque[SinkBatch] = deque()
        self._callbacks: deque[tuple[int, int, DurableCallback]] = deque()

    def queue(self, readings: int, letters: int, on_durable: DurableCallback | None) -> None:
        """Count a put; ``on_durable`` runs once it and every put before it are durable."""
        self.queued = (self.queued[0] + readings, self.queued[1] + letters)
        if on_durable is not None:
            self._callbacks.append((*self.queued, on_durable))
            self._release()

    def take(self, readings: list[Reading], letters: list[DeadLetter]) -> SinkBatch:
        """Start a batch of the oldest queued readings and letters."""
        self.taken = (self.taken[0] + len(readings), self.taken[1] + len(letters))
        batch = SinkBatch(readings, letters, *self.taken)
        self.in_flight.append(batch)
        return batch

    def complete(self, batch: SinkBatch) -> None:
        """Mark a batch durable and run the callbacks that no earlier batch holds back."""
        batch.done = True
        while self.in_flight and self.in_flight[0].done:
            finished = self.in_flight.popleft()
            self.stored = (finished.readings_end, finished.letters_end)
        self._release()

    @property
    def pending(self) -> int:
        """Readings and dead letters queued but not durable yet."""
        return sum(self.queued) - sum(self.stored)

    def _release(self) -> None:
        readings, letters = self.stored
        while self._callbacks and (
            self._callbacks[0][0] <= readings and self._callbacks[0][1] <= letters
        ):
            self._callbacks.popleft()[2]()

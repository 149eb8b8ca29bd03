"""Garbage-collector settings for a collector process.

At ingest rates the collector allocates objects by the hundred thousand a second
(messages, readings, batches), and a burst of them stays alive until the batch
is durable. With CPython's default thresholds that triggers frequent full
collections, each walking every object the process holds, including the
modules and plant loaded at start-up: a third to a half of the CPU time at
20,000 messages/s (bench.ingest). Freezing what exists at start-up takes it
out of every later collection, and a higher first threshold makes young
collections rarer; cycles are still collected, only less often.
"""

from __future__ import annotations

import gc

# Allocations between young collections (CPython's default: 700).
YOUNG_THRESHOLD = 50_000
# Young collections per middle one, and middle per full one (defaults: 10, 10).
MIDDLE_THRESHOLD = 20
OLD_THRESHOLD = 20


def tune_for_ingest() -> None:
    """Freeze the objects of start-up and collect less often; once, when the process starts."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)

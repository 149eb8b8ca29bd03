"""The six big losses of a machine or line, from its time model and counts.

The six add up to the whole OEE loss: planned busy time minus the ideal time
of the good parts. Availability, performance and quality losses split as:

- planned busy - running     = breakdowns + setup and adjustment
                               (+ small stops under the ISO 22400-2 policy)
- running - ideal output     = reduced speed (+ small stops under TPM)
- ideal output - ideal good  = start-up rejects + production rejects

Breakdowns are every unplanned stop that is not a micro-stop: machine
failures (PackML held/aborted), stops at or over the micro-stop threshold,
and idle time inside planned busy time (starved, blocked, no operator),
which the six-big-losses model also books as unplanned stops. The downtime
Pareto tells them apart by reason. Small stops are the micro-stops, under
either micro-stop policy. The reject losses are in ideal time of the
rejected parts; a reject made within the start-up window after a changeover
or a breakdown is a start-up reject.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.oee import LossCategory, LossEntry
from models.oee_ratios import OeeTotals


@dataclass(frozen=True, slots=True)
class LossTally:
    """What a subject's losses in one shift are made of beyond its ``OeeTotals``.

    ``micro_stops_in_running`` says whether the micro-stop seconds sit in
    running time (TPM policy) or in stop time (ISO 22400-2). Counts are of
    stops that began in the shift (or first cost time in it).
    """

    micro_stop_s: float
    micro_stops_in_running: bool
    micro_stops: int
    unplanned_stops: int
    setups: int
    reject_ideal_s: float
    startup_rejects: float
    startup_reject_ideal_s: float


def six_big_losses(totals: OeeTotals, tally: LossTally) -> tuple[LossEntry, ...]:
    """The six losses, in ``LossCategory`` order; ``totals.losses`` is not read."""
    micro_in_running = tally.micro_stop_s if tally.micro_stops_in_running else 0.0
    micro_in_stops = tally.micro_stop_s - micro_in_running
    unplanned_s = totals.breakdown_s + totals.idle_s + totals.stop_s - micro_in_stops
    # Negative only when performance is flagged: the counts claim more than the time allows.
    reduced_speed_s = max(0.0, totals.running_s - micro_in_running - totals.ideal_output_s)
    return (
        LossEntry(LossCategory.BREAKDOWNS, unplanned_s, tally.unplanned_stops),
        LossEntry(LossCategory.SETUP_ADJUSTMENT, totals.setup_s, tally.setups),
        LossEntry(LossCategory.SMALL_STOPS, tally.micro_stop_s, tally.micro_stops),
        LossEntry(LossCategory.REDUCED_SPEED, reduced_speed_s, 0),
        LossEntry(
            LossCategory.STARTUP_REJECTS, tally.startup_reject_ideal_s, tally.startup_rejects
        ),
        LossEntry(
            LossCategory.PRODUCTION_REJECTS,
            tally.reject_ideal_s - tally.startup_reject_ideal_s,
            totals.reject - tally.startup_rejects,
        ),
    )

"""OEE of a line in one shift, from its machines' figures, in two definitions.

A line is a chain of stations; its last machine delivers the line's output.

``OeeScope.LINE``: the line as a system, judged by its output (the definition
of ISO 22400-2 for a work centre, and what a plant manager asks: how much good
product did the line deliver against what it could have).

- Time model (planned busy, running, setup, breakdown, stop, idle, unknown) is
  the output machine's: its states already show when the stations upstream
  starved it.
- Good parts are the output machine's; rejects are those of every station,
  since a part scrapped anywhere is a part the line did not deliver.
- Ideal output time = the output machine's parts plus every upstream reject,
  at the ideal cycle of the product: the plant file rates each product at the
  line's bottleneck, so every station shares that ideal rate.
- So OEE = ideal cycle x good output / planned busy time exactly, and
  P = ideal cycle x (good output + all rejects) / running time.
- Losses: the output machine's stops and small stops; rejects of all stations;
  reduced speed is what is left, so the six still add up to the OEE loss.

``OeeScope.LINE_MACHINES``: the machines taken together: every time, count and
loss of the line's machines added up and the ratios taken again. It equals
each machine's A, P and Q weighted by its planned busy time (and its running
time, its parts), the "average equipment OEE" plant-wide comparisons use. It
shows how well the stations run; the LINE figure shows what the line delivers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from analytics.oee_calculation import MachineShift
from analytics.oee_losses import six_big_losses
from models.oee import OeeResult, OeeScope
from models.oee_ratios import OeeTotals, rate


def line_results(line_id: str, machines: Sequence[MachineShift]) -> list[OeeResult]:
    """The LINE and LINE_MACHINES results of one shift; ``machines`` in line order."""
    if not machines:
        raise ValueError(f"line {line_id!r} has no machine figures to build on")
    shift = machines[0].shift
    output, upstream = machines[-1], machines[:-1]
    tally = replace(
        output.tally,
        reject_ideal_s=sum(m.tally.reject_ideal_s for m in machines),
        startup_rejects=sum(m.tally.startup_rejects for m in machines),
        startup_reject_ideal_s=sum(m.tally.startup_reject_ideal_s for m in machines),
    )
    totals = replace(
        output.totals,
        reject=sum(m.totals.reject for m in machines),
        ideal_output_s=output.totals.ideal_output_s + sum(m.tally.reject_ideal_s for m in upstream),
    )
    by_output = replace(totals, losses=six_big_losses(totals, tally))
    together = OeeTotals.added([m.totals for m in machines])
    return [
        rate(
            figures,
            scope=scope,
            subject_id=line_id,
            name=shift.name,
            start=shift.start,
            end=shift.end,
        )
        for scope, figures in ((OeeScope.LINE, by_output), (OeeScope.LINE_MACHINES, together))
    ]

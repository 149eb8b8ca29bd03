"""A small plant for the OEE golden scenarios: one site on Berlin time, three shifts.

Shifts in local time: early 06:00-14:00 (lunch 10:00-10:30), late 14:00-22:00
(dinner 18:00-18:30), night 22:00-06:00 (break 02:00-02:30), every day. In
January Berlin is UTC+1, so the early shift is 05:00-13:00 UTC with lunch
09:00-09:30 UTC. Products: 1 at 0.5 s, 2 at 0.75 s ideal cycle.
"""

from __future__ import annotations

from datetime import date, time

from models.oee_settings import MicroStopPolicy
from models.plant import (
    STANDARD_SIGNALS,
    Break,
    Contact,
    Contract,
    CounterBits,
    Customer,
    Line,
    Machine,
    Plant,
    Product,
    Shift,
    ShiftCalendar,
    SignalKind,
    Site,
)

LINE_ID = "gl"
FAULT_REASONS = {101: "Infeed jam", 201: "Main drive bearing failure"}

CALENDAR = ShiftCalendar(
    shifts=(
        Shift(
            name="early",
            start=time(6),
            end=time(14),
            breaks=(Break(name="lunch", start=time(10), end=time(10, 30)),),
        ),
        Shift(
            name="late",
            start=time(14),
            end=time(22),
            breaks=(Break(name="dinner", start=time(18), end=time(18, 30)),),
        ),
        Shift(
            name="night",
            start=time(22),
            end=time(6),
            breaks=(Break(name="night break", start=time(2), end=time(2, 30)),),
        ),
    ),
    working_days=(1, 2, 3, 4, 5, 6, 7),
)


def golden_plant(
    template: Plant,
    *,
    machines: tuple[str, ...] = ("g1",),
    policy: MicroStopPolicy = MicroStopPolicy.PERFORMANCE,
    counter_bits: CounterBits = 32,
) -> Plant:
    """The golden plant; ``template`` (the shipped plant file) lends a line source.

    The machines have the standard signals, their counters ``counter_bits`` wide.
    """
    source = template.customers[0].sites[0].lines[0].source
    signals = tuple(
        s.model_copy(update={"counter_bits": counter_bits}) if s.kind == SignalKind.COUNTER else s
        for s in STANDARD_SIGNALS
    )
    line = Line(
        id=LINE_ID,
        name="Golden line",
        model="GL-1",
        serial="GL-0001",
        acceptance_date=date(2025, 1, 1),
        source=source,
        machines=tuple(
            Machine(id=m, name=m.title(), model="M-1", serial=f"S-{m}", signals=signals)
            for m in machines
        ),
    )
    site = Site(
        id="golden-site",
        name="Golden site",
        timezone="Europe/Berlin",
        calendar=CALENDAR,
        lines=(line,),
    )
    customer = Customer(
        id="golden",
        name="Golden GmbH",
        contact=Contact(name="Gold"),
        contract=Contract(number="SC-GOLD"),
        sites=(site,),
    )
    return Plant(
        products=(
            Product(code=1, name="Bottle 0.5 l", ideal_cycle_s=0.5),
            Product(code=2, name="Bottle 1.0 l", ideal_cycle_s=0.75),
        ),
        customers=(customer,),
        micro_stop_threshold_s=120,
        micro_stop_policy=policy,
        startup_window_s=180,
        fault_reasons=FAULT_REASONS,
    )

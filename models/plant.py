"""The plant file: customers, sites, lines, machines, signals, calendars, contracts.

One YAML file describes the installed base LineCare watches. It is parsed once at
start-up into these frozen models and passed down to every stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, model_validator

from models.condition_model import SignalDirection
from models.frozen_model import Frozen
from models.mqtt_source import MqttSource
from models.oee_settings import MicroStopPolicy, PlannedDowntime
from models.opcua_source import OpcUaSource
from models.states import DEFAULT_STATE_CATEGORIES, TimeCategory


class SignalKind(StrEnum):
    STATE = "state"
    COUNTER = "counter"
    PRODUCT = "product"
    PROCESS = "process"
    CONDITION = "condition"
    FAULT = "fault"


# How many bits a PLC part counter has: it wraps from 2**bits - 1 to 0.
CounterBits = Literal[16, 32]
DEFAULT_COUNTER_BITS: CounterBits = 32


class SignalSpec(Frozen):
    name: str
    kind: SignalKind
    unit: str = ""
    # The counter's width (16-bit counters wrap at 65536); counters only. None: the
    # default width for a counter. Never set on other kinds, so a dumped plant reloads.
    counter_bits: CounterBits | None = None
    # Which deviations of a condition signal count (up, down, both). None: the
    # machine model's setting (``condition_directions``), else both.
    direction: SignalDirection | None = None
    # Where a condition signal must not go (its alarm limit, in its unit): the
    # forecast says when it will get there. None: 6 sigmas of its normal spread.
    limit: float | None = None
    lower_limit: float | None = None

    @model_validator(mode="after")
    def _counter_bits_only_on_counters(self) -> SignalSpec:
        if self.counter_bits is not None and self.kind != SignalKind.COUNTER:
            raise ValueError(
                f"counter_bits applies to counter signals only; {self.name!r} is a"
                f" {self.kind.value} signal"
            )
        condition_only = (self.direction, self.limit, self.lower_limit)
        if any(v is not None for v in condition_only) and self.kind != SignalKind.CONDITION:
            raise ValueError(
                f"direction and limits apply to condition signals only; {self.name!r} is not one"
            )
        return self


STANDARD_SIGNALS: tuple[SignalSpec, ...] = (
    SignalSpec(name="state", kind=SignalKind.STATE),
    SignalSpec(name="fault_code", kind=SignalKind.FAULT),
    SignalSpec(name="good_count", kind=SignalKind.COUNTER, unit="pcs"),
    SignalSpec(name="reject_count", kind=SignalKind.COUNTER, unit="pcs"),
    SignalSpec(name="product", kind=SignalKind.PRODUCT),
    SignalSpec(name="speed", kind=SignalKind.PROCESS, unit="pcs/min"),
    SignalSpec(name="vibration_rms", kind=SignalKind.CONDITION, unit="mm/s"),
    SignalSpec(name="bearing_temp", kind=SignalKind.CONDITION, unit="°C"),
    SignalSpec(name="motor_current", kind=SignalKind.CONDITION, unit="A"),
)


class Machine(Frozen):
    id: str
    name: str
    model: str
    serial: str
    signals: tuple[SignalSpec, ...] = STANDARD_SIGNALS

    def signals_of(self, kind: SignalKind) -> tuple[str, ...]:
        return tuple(s.name for s in self.signals if s.kind == kind)

    def counter_bits(self, signal: str) -> CounterBits:
        """The width of counter ``signal``; the default for a signal the machine does
        not declare (it has no readings to wrap)."""
        spec = next((s for s in self.signals if s.name == signal), None)
        if spec is None or spec.counter_bits is None:
            return DEFAULT_COUNTER_BITS
        return spec.counter_bits


class Line(Frozen):
    id: str
    name: str
    model: str
    serial: str
    acceptance_date: date
    warranty_months: int = 12
    source: OpcUaSource | MqttSource = Field(discriminator="protocol")
    machines: tuple[Machine, ...]


class Break(Frozen):
    name: str
    start: time
    end: time


class Shift(Frozen):
    name: str
    start: time
    end: time
    breaks: tuple[Break, ...] = ()


class ShiftCalendar(Frozen):
    shifts: tuple[Shift, ...]
    # ISO weekdays (1 = Monday) on which shifts are planned.
    working_days: tuple[int, ...] = (1, 2, 3, 4, 5)
    holidays: tuple[date, ...] = ()


class Location(Frozen):
    """A point on the map (WGS 84 degrees), for the distance an engineer travels."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Site(Frozen):
    id: str
    name: str
    timezone: str
    calendar: ShiftCalendar
    lines: tuple[Line, ...]
    # Where the site is, so dispatch can rank engineers by distance, or at least by
    # region (a name shared with the engineers' home regions) when there is no location.
    region: str | None = None
    location: Location | None = None


class DocumentKind(StrEnum):
    MANUAL = "manual"
    DRAWING = "drawing"
    OTHER = "other"


class Document(Frozen):
    """A drawing or manual of a machine model that the engineer takes along as a link."""

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^(https?://|/)\S+$")
    kind: DocumentKind = DocumentKind.MANUAL


class Severity(StrEnum):
    """Fault grade, from DOMAIN.md: minor < general < serious < major."""

    MINOR = "minor"
    GENERAL = "general"
    SERIOUS = "serious"
    MAJOR = "major"


class SlaTerms(Frozen):
    response_hours: float
    # On-site arrival is promised either in clock hours or in working days.
    arrival_hours: float | None = None
    arrival_working_days: int | None = None
    resolution_hours: float


DEFAULT_SLA: dict[Severity, SlaTerms] = {
    Severity.MAJOR: SlaTerms(response_hours=1, arrival_hours=10, resolution_hours=24),
    Severity.SERIOUS: SlaTerms(response_hours=1, arrival_hours=24, resolution_hours=48),
    Severity.GENERAL: SlaTerms(response_hours=2, arrival_working_days=3, resolution_hours=72),
    Severity.MINOR: SlaTerms(response_hours=24, resolution_hours=168),
}


class ContractPricing(Frozen):
    """What billable work costs the customer (docs/spare_parts.md, "Costs"); warranty
    work is free. Labour and travel are priced in ``currency``; parts in their own
    catalogue currency, at the unit cost plus the markup."""

    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    labour_rate_per_hour: Decimal = Field(default=Decimal("95.00"), ge=0)
    travel_rate_per_hour: Decimal = Field(default=Decimal("60.00"), ge=0)
    travel_rate_per_km: Decimal = Field(default=Decimal("0.60"), ge=0)
    # Set: each trip costs this flat amount instead of its hours and kilometres.
    travel_flat_per_trip: Decimal | None = Field(default=None, ge=0)
    parts_markup_percent: Decimal = Field(default=Decimal("20"), ge=0)


class Contract(Frozen):
    number: str
    pricing: ContractPricing = Field(default_factory=ContractPricing)
    sla: dict[Severity, SlaTerms] = Field(default_factory=lambda: dict(DEFAULT_SLA))
    working_days: tuple[int, ...] = (1, 2, 3, 4, 5)
    # SLA clocks count only the site's working hours (its shifts, working days and
    # holidays) when true; they run around the clock (24/7) when false.
    counts_working_time: bool = False
    # Time spent waiting for the customer stops the SLA clocks when true.
    pauses_while_waiting_for_customer: bool = False

    @model_validator(mode="after")
    def _fill_missing_grades(self) -> Contract:
        # A contract that overrides one grade keeps the defaults for the others.
        merged = {**DEFAULT_SLA, **self.sla}
        object.__setattr__(self, "sla", merged)
        return self


class Contact(Frozen):
    name: str
    phone: str = ""
    email: str = ""


class Customer(Frozen):
    id: str
    name: str
    contact: Contact
    contract: Contract
    sites: tuple[Site, ...]


class Product(Frozen):
    code: int
    name: str
    ideal_cycle_s: float = Field(gt=0)


class Plant(Frozen):
    """Everything the plant file says."""

    products: tuple[Product, ...]
    customers: tuple[Customer, ...]
    state_categories: dict[int, TimeCategory] = Field(
        default_factory=lambda: dict(DEFAULT_STATE_CATEGORIES)
    )
    micro_stop_threshold_s: float = Field(default=120.0, ge=0)
    # TPM (performance loss) or ISO 22400-2 (unplanned downtime); see MicroStopPolicy.
    micro_stop_policy: MicroStopPolicy = MicroStopPolicy.PERFORMANCE
    # Rejects this long after a restart from setup or a breakdown are start-up rejects.
    startup_window_s: float = Field(default=180.0, ge=0)
    # Fault code -> reason text for the downtime Pareto; other codes read "fault <code>".
    fault_reasons: dict[int, str] = Field(default_factory=dict)
    # Planned maintenance and no-order stretches: cut out of planned time like breaks.
    planned_downtime: tuple[PlannedDowntime, ...] = ()
    # Machine model -> condition signal -> which deviations count; a machine's own
    # signal setting overrides it.
    condition_directions: dict[str, dict[str, SignalDirection]] = Field(default_factory=dict)
    # Machine model -> its drawings and manuals, linked from every dispatch order.
    machine_documents: dict[str, tuple[Document, ...]] = Field(default_factory=dict)

    def placements(self) -> Iterator[MachinePlacement]:
        """Every machine with the customer, site and line it stands in."""
        for customer in self.customers:
            for site in customer.sites:
                for line in site.lines:
                    for machine in line.machines:
                        yield MachinePlacement(customer, site, line, machine)

    def lines(self) -> Iterator[tuple[Customer, Site, Line]]:
        for customer in self.customers:
            for site in customer.sites:
                for line in site.lines:
                    yield customer, site, line

    def placement_of(self, machine_id: str) -> MachinePlacement:
        for placement in self.placements():
            if placement.machine.id == machine_id:
                return placement
        raise KeyError(f"machine {machine_id!r} is not in the plant file")

    def product(self, code: int) -> Product | None:
        return next((p for p in self.products if p.code == code), None)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Plant:
        machine_ids = [p.machine.id for p in self.placements()]
        line_ids = [line.id for _, _, line in self.lines()]
        for kind, ids in (("machine", machine_ids), ("line", line_ids)):
            duplicates = {i for i in ids if ids.count(i) > 1}
            if duplicates:
                raise ValueError(f"{kind} ids must be unique: {sorted(duplicates)}")
        return self


class MachinePlacement:
    """A machine together with where it stands; built on demand, never stored."""

    __slots__ = ("customer", "line", "machine", "site")

    def __init__(self, customer: Customer, site: Site, line: Line, machine: Machine) -> None:
        self.customer = customer
        self.site = site
        self.line = line
        self.machine = machine


def load_plant(path: Path) -> Plant:
    """Read and validate the plant file; errors name the offending field."""
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return Plant.model_validate(raw)

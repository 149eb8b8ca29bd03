"""The fleet overview: every line the service watches, with what needs attention first."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from api.schemas.base import PublicModel
from api.schemas.lines import CustomerRef, MachineStatePublic, SiteRef
from models.plant import Severity
from models.tickets import SlaClockKind, SlaClockState

MachineConnection = Literal["online", "offline", "unknown"]
Attention = Literal["sla_breached", "sla_at_risk", "alert", "offline", "ok"]


class FleetMachinePublic(PublicModel):
    id: str
    name: str
    model: str
    connection: MachineConnection = Field(
        description="online: its data arrives; offline: the collectors lost it; unknown:"
        " no collector has recorded it yet"
    )
    offline_since: datetime | None
    state: MachineStatePublic | None
    anomaly_score: float | None
    open_alerts: int
    worst_alert: Severity | None


class FleetDeadlinePublic(PublicModel):
    """The line's most pressing promise: an open ticket's SLA clock."""

    ticket_id: int
    ticket_number: str
    kind: SlaClockKind
    state: SlaClockState
    due: datetime
    seconds_left: int = Field(description="Negative once overdue")


class FleetLinePublic(PublicModel):
    id: str
    name: str
    model: str
    customer: CustomerRef
    site: SiteRef
    attention: Attention = Field(description="The worst of what the line needs, first in the list")
    reasons: list[str] = Field(description="Why, in words, the worst first")
    machines: list[FleetMachinePublic]
    machines_running: int
    machines_offline: int
    machines_silent: int = Field(description="Machines no collector has heard from yet")
    open_alerts: int
    worst_alert: Severity | None
    open_tickets: int
    sla_breached: int = Field(description="Open tickets with an SLA deadline overdue")
    sla_at_risk: int = Field(description="Open tickets past 80 % of a promised time")
    next_deadline: FleetDeadlinePublic | None


class FleetTotalsPublic(PublicModel):
    lines: int
    machines: int
    machines_online: int = Field(description="Machines whose data arrives")
    machines_offline: int = Field(description="Machines the collectors lost")
    open_alerts: int
    open_tickets: int
    sla_breached: int
    sla_at_risk: int


class FleetPublic(PublicModel):
    as_of: datetime = Field(description="The service clock the SLA figures are counted at")
    totals: FleetTotalsPublic
    lines: list[FleetLinePublic] = Field(description="What needs attention first")

"""The evidence frozen on an automatic ticket when a warning opens or joins it.

What support and the engineers need to judge the warning without digging: the
trends of the signals that drove it, each signal's share of the anomaly, the
outlook to its limit, the PLC alarms and stops around it, and what it has cost
in OEE so far. It is captured once per warning, as of the plant time the
warning was raised, and never changed afterwards: later data, retrained models
or pruned history do not rewrite what the ticket was opened on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.oee import OeeScope
from models.plant import Severity
from models.readings import TrendPoint

# Bumped when the stored snapshot's shape changes; readers convert older shapes.
EVIDENCE_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class SignalTrend:
    """One signal's history around the warning, in buckets of ``bucket_s`` seconds.

    Each point holds the bucket's average (``value``), minimum, maximum and
    sample count, enough for a small band chart.
    """

    signal: str
    unit: str
    bucket_s: float
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True, slots=True)
class SignalShare:
    """One signal's part in the anomaly over the warning's observations.

    ``share`` is its mean contribution divided by the mean score (the shares of
    all signals add up to 1; one that runs against the others' correlation can
    be negative). ``deviation`` is its mean deviation from normal, in units of
    its own normal spread (sigma), signed.
    """

    signal: str
    share: float
    deviation: float


@dataclass(frozen=True, slots=True)
class AnomalyContributions:
    """The anomaly behind the warning: its scores and what drove them."""

    observations: int
    since: datetime
    until: datetime
    mean_score: float
    peak_score: float
    shares: tuple[SignalShare, ...]


@dataclass(frozen=True, slots=True)
class SignalOutlook:
    """Where one signal is heading: hours until it reaches its limit, with the 90 % band.

    ``hours_to_limit`` is None when it is not heading there with confidence, 0
    when it is there already.
    """

    signal: str
    unit: str
    level: float
    limit: float
    hours_to_limit: float | None
    hours_low: float | None
    hours_high: float | None


@dataclass(frozen=True, slots=True)
class ConditionOutlook:
    """The machine's condition forecast as it stood at capture."""

    computed_at: datetime
    health_index: float
    signals: tuple[SignalOutlook, ...]


@dataclass(frozen=True, slots=True)
class PlcAlarm:
    """A PLC alarm or fault event of the machine before the warning."""

    time: datetime
    severity: int
    fault_code: int | None
    message: str


@dataclass(frozen=True, slots=True)
class MachineStopEvidence:
    """A stop of the machine before the warning, with the time it cost."""

    start: datetime
    end: datetime
    category: str
    fault_code: int | None
    reason: str
    lost_s: float


@dataclass(frozen=True, slots=True)
class OeeFigure:
    """OEE and its availability over one shift, or over the recent normal stretch."""

    name: str
    start: datetime
    end: datetime
    oee: float
    availability: float
    performance: float
    quality: float


@dataclass(frozen=True, slots=True)
class OeeImpact:
    """The machine's or line's OEE in the current and previous shift against its recent normal.

    ``normal`` adds up the shifts of ``normal_days`` before the previous shift
    and rates them again; None when there were none.
    """

    scope: OeeScope
    subject_id: str
    current: OeeFigure | None
    previous: OeeFigure | None
    normal: OeeFigure | None
    normal_days: int


@dataclass(frozen=True, slots=True)
class TicketEvidence:
    """Everything frozen on a ticket for one warning (the alert that opened or joined it).

    ``captured_at`` is the plant time the warning was raised; the trends run
    from ``window_start`` to it.
    """

    ticket_id: int
    alert_id: int
    machine_id: str
    line_id: str
    rule: str
    severity: Severity
    # The alert's own figures: when its evidence began, and its peak score.
    alert_opened_at: datetime
    peak_score: float
    signals: tuple[str, ...]
    captured_at: datetime
    window_start: datetime
    trends: tuple[SignalTrend, ...]
    contributions: AnomalyContributions | None
    outlook: ConditionOutlook | None
    alarms: tuple[PlcAlarm, ...]
    stops: tuple[MachineStopEvidence, ...]
    oee: tuple[OeeImpact, ...]
    schema_version: int = EVIDENCE_SCHEMA_VERSION

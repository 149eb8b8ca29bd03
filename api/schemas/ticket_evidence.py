"""A ticket's frozen evidence, as staff read it and as its customer reads it.

Staff get every figure: the trends, each signal's share of the anomaly and its
deviation in sigmas, the hours to each limit, the rule and the alert. The
customer gets the same trends and events in plain language: signal labels as
the console shows them (``api/static/signal_labels.js``), sentences instead of
scores, and no sigmas, rule names or internal alert numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from api.fault_meanings import FaultMeanings
from api.schemas.base import PublicModel
from models.oee import OeeScope
from models.plant import Plant, Severity
from models.readings import TrendPoint
from models.ticket_evidence import (
    OeeFigure,
    OeeImpact,
    SignalOutlook,
    SignalTrend,
    TicketEvidence,
)

# Mirrors api/static/signal_labels.js, so the customer reads the names the console shows.
_KNOWN_LABELS = {
    "state": "State",
    "fault_code": "Fault code",
    "good_count": "Good count",
    "reject_count": "Reject count",
    "product": "Product",
    "speed": "Speed",
    "vibration_rms": "Vibration RMS",
    "bearing_temp": "Bearing temperature",
    "motor_current": "Motor current",
}
_ACRONYMS = frozenset({"rms", "rpm", "plc", "id", "ac", "dc", "co2", "ph", "uv"})
_WORDS = {"temp": "temperature", "pct": "%", "qty": "quantity"}


def signal_label(name: str) -> str:
    """A signal name as people read it: "vibration_rms" -> "Vibration RMS"."""
    if name in _KNOWN_LABELS:
        return _KNOWN_LABELS[name]
    words = []
    for word in name.replace("_", " ").split():
        lower = word.lower()
        words.append(lower.upper() if lower in _ACRONYMS else _WORDS.get(lower, lower))
    text = " ".join(words)
    return text[:1].upper() + text[1:]


class TrendPointPublic(PublicModel):
    """One bucket: its start, average (``value``), minimum, maximum and sample count."""

    time: datetime
    value: float | None
    min: float | None
    max: float | None
    samples: int

    @classmethod
    def of(cls, point: TrendPoint) -> TrendPointPublic:
        return cls(
            time=point.time,
            value=_finite(point.value),
            min=_finite(point.min_value),
            max=_finite(point.max_value),
            samples=point.samples,
        )


class SignalTrendPublic(PublicModel):
    """A signal's buckets oldest first, ``bucket_s`` wide, from the window start to capture."""

    signal: str
    label: str
    unit: str
    bucket_s: float
    points: list[TrendPointPublic]

    @classmethod
    def of(cls, trend: SignalTrend) -> SignalTrendPublic:
        return cls(
            signal=trend.signal,
            label=signal_label(trend.signal),
            unit=trend.unit,
            bucket_s=trend.bucket_s,
            points=[TrendPointPublic.of(p) for p in trend.points],
        )


class SignalSharePublic(PublicModel):
    """``share`` of the anomaly (0..1, all add up to 1); ``deviation_sigma`` from normal."""

    signal: str
    label: str
    share: float
    deviation_sigma: float


class ContributionsPublic(PublicModel):
    observations: int
    since: datetime
    until: datetime
    mean_score: float
    peak_score: float
    shares: list[SignalSharePublic]


class SignalOutlookPublic(PublicModel):
    """Hours until the signal reaches ``limit`` (null: not heading there; 0: there),
    with the 90 % band ``hours_low`` to ``hours_high`` (null: not foreseeable)."""

    signal: str
    label: str
    unit: str
    level: float
    limit: float
    hours_to_limit: float | None
    hours_low: float | None
    hours_high: float | None


class OutlookPublic(PublicModel):
    computed_at: datetime
    health_index: float
    signals: list[SignalOutlookPublic]


class PlcAlarmPublic(PublicModel):
    """A PLC alarm: ``message`` as the PLC sent it, ``text`` in words ("Filler: fault 104
    Outfeed blocked"), with the meaning from the fault-code manual when it has one."""

    time: datetime
    severity: int
    fault_code: int | None
    message: str
    meaning: str | None
    text: str


class StopPublic(PublicModel):
    start: datetime
    end: datetime
    category: str
    fault_code: int | None
    reason: str
    lost_s: float


class OeeFigurePublic(PublicModel):
    """Ratios on 0..1 over one shift, or over the normal stretch (``name``: "7 days before")."""

    name: str
    start: datetime
    end: datetime
    oee: float
    availability: float
    performance: float
    quality: float

    @classmethod
    def of(cls, figure: OeeFigure | None) -> OeeFigurePublic | None:
        if figure is None:
            return None
        return cls(
            name=figure.name,
            start=figure.start,
            end=figure.end,
            oee=figure.oee,
            availability=figure.availability,
            performance=figure.performance,
            quality=figure.quality,
        )


class OeeImpactPublic(PublicModel):
    scope: OeeScope
    subject_id: str
    current: OeeFigurePublic | None
    previous: OeeFigurePublic | None
    normal: OeeFigurePublic | None
    normal_days: int


class EvidenceSnapshotPublic(PublicModel):
    """Everything frozen for one warning, as staff see it."""

    alert_id: int
    rule: str
    severity: Severity
    machine_id: str
    line_id: str
    signals: list[str]
    alert_opened_at: datetime
    peak_score: float
    captured_at: datetime
    window_start: datetime
    schema_version: int
    trends: list[SignalTrendPublic]
    contributions: ContributionsPublic | None
    outlook: OutlookPublic | None
    alarms: list[PlcAlarmPublic]
    stops: list[StopPublic]
    oee: list[OeeImpactPublic]

    @classmethod
    def of(
        cls, evidence: TicketEvidence, plant: Plant, meanings: FaultMeanings
    ) -> EvidenceSnapshotPublic:
        machine = _names(evidence, plant)[evidence.machine_id]
        model = _model(evidence, plant)
        found = evidence.contributions
        outlook = evidence.outlook
        return cls(
            alert_id=evidence.alert_id,
            rule=evidence.rule,
            severity=evidence.severity,
            machine_id=evidence.machine_id,
            line_id=evidence.line_id,
            signals=list(evidence.signals),
            alert_opened_at=evidence.alert_opened_at,
            peak_score=evidence.peak_score,
            captured_at=evidence.captured_at,
            window_start=evidence.window_start,
            schema_version=evidence.schema_version,
            trends=[SignalTrendPublic.of(t) for t in evidence.trends],
            contributions=None
            if found is None
            else ContributionsPublic(
                observations=found.observations,
                since=found.since,
                until=found.until,
                mean_score=found.mean_score,
                peak_score=found.peak_score,
                shares=[
                    SignalSharePublic(
                        signal=s.signal,
                        label=signal_label(s.signal),
                        share=s.share,
                        deviation_sigma=s.deviation,
                    )
                    for s in found.shares
                ],
            ),
            outlook=None
            if outlook is None
            else OutlookPublic(
                computed_at=outlook.computed_at,
                health_index=outlook.health_index,
                signals=[
                    SignalOutlookPublic(
                        signal=s.signal,
                        label=signal_label(s.signal),
                        unit=s.unit,
                        level=s.level,
                        limit=s.limit,
                        hours_to_limit=s.hours_to_limit,
                        hours_low=s.hours_low,
                        hours_high=s.hours_high,
                    )
                    for s in outlook.signals
                ],
            ),
            alarms=[
                PlcAlarmPublic(
                    time=a.time,
                    severity=a.severity,
                    fault_code=a.fault_code,
                    message=a.message,
                    meaning=(meaning := _meaning(meanings, model, a.fault_code)),
                    text=_staff_alarm_text(
                        machine, evidence.machine_id, a.message, a.fault_code, meaning
                    ),
                )
                for a in evidence.alarms
            ],
            stops=[
                StopPublic(
                    start=s.start,
                    end=s.end,
                    category=s.category,
                    fault_code=s.fault_code,
                    reason=s.reason,
                    lost_s=s.lost_s,
                )
                for s in evidence.stops
            ],
            oee=[_impact(i) for i in evidence.oee],
        )


class TicketEvidencePublic(PublicModel):
    """Staff view: the snapshots of the warnings behind the ticket, the opening one first."""

    view: Literal["staff"] = "staff"
    ticket_id: int
    snapshots: list[EvidenceSnapshotPublic]

    @classmethod
    def of(
        cls,
        ticket_id: int,
        evidence: Sequence[TicketEvidence],
        plant: Plant,
        meanings: FaultMeanings,
    ) -> TicketEvidencePublic:
        return cls(
            ticket_id=ticket_id,
            snapshots=[EvidenceSnapshotPublic.of(e, plant, meanings) for e in evidence],
        )


class CustomerTrendPublic(PublicModel):
    label: str
    unit: str
    bucket_s: float
    points: list[TrendPointPublic]


class CustomerEventPublic(PublicModel):
    """A machine alarm (``end`` null) or a stop, in words."""

    start: datetime
    end: datetime | None
    text: str


class CustomerOeePublic(PublicModel):
    """OEE and availability (0..1) of this shift, the one before, and as usual; ``text`` says it."""

    subject: str
    current_oee: float | None
    current_availability: float | None
    previous_oee: float | None
    previous_availability: float | None
    usual_oee: float | None
    usual_availability: float | None
    text: str


class CustomerSnapshotPublic(PublicModel):
    """One warning's evidence in plain language."""

    captured_at: datetime
    window_start: datetime
    summary: str
    # The signals that showed it, most telling first, as the console labels them.
    signs: list[str]
    outlook: list[str]
    trends: list[CustomerTrendPublic]
    events: list[CustomerEventPublic]
    oee: list[CustomerOeePublic]

    @classmethod
    def of(
        cls, evidence: TicketEvidence, plant: Plant, meanings: FaultMeanings
    ) -> CustomerSnapshotPublic:
        signs = _signs(evidence)
        subjects = _names(evidence, plant)
        machine = subjects[evidence.machine_id]
        return cls(
            captured_at=evidence.captured_at,
            window_start=evidence.window_start,
            summary=_summary(machine, signs, forecast=evidence.rule != _ANOMALY),
            signs=signs,
            outlook=[
                text
                for s in (evidence.outlook.signals if evidence.outlook else ())
                if (text := _outlook_sentence(s)) is not None
            ],
            trends=[
                CustomerTrendPublic(
                    label=signal_label(t.signal),
                    unit=t.unit,
                    bucket_s=t.bucket_s,
                    points=[TrendPointPublic.of(p) for p in t.points],
                )
                for t in evidence.trends
            ],
            events=_events(evidence, _model(evidence, plant), meanings),
            oee=[_customer_oee(i, subjects.get(i.subject_id, i.subject_id)) for i in evidence.oee],
        )


class TicketEvidenceCustomerPublic(PublicModel):
    """Customer view: what LineCare saw before it opened the ticket, in plain language."""

    view: Literal["customer"] = "customer"
    ticket_id: int
    snapshots: list[CustomerSnapshotPublic]

    @classmethod
    def of(
        cls,
        ticket_id: int,
        evidence: Sequence[TicketEvidence],
        plant: Plant,
        meanings: FaultMeanings,
    ) -> TicketEvidenceCustomerPublic:
        return cls(
            ticket_id=ticket_id,
            snapshots=[CustomerSnapshotPublic.of(e, plant, meanings) for e in evidence],
        )


_ANOMALY = "sustained_anomaly"
# A signal is named as a sign when its share is at least this part of the largest.
_SIGN_SHARE = 0.25


def _impact(impact: OeeImpact) -> OeeImpactPublic:
    return OeeImpactPublic(
        scope=impact.scope,
        subject_id=impact.subject_id,
        current=OeeFigurePublic.of(impact.current),
        previous=OeeFigurePublic.of(impact.previous),
        normal=OeeFigurePublic.of(impact.normal),
        normal_days=impact.normal_days,
    )


def _names(evidence: TicketEvidence, plant: Plant) -> dict[str, str]:
    """The machine's and line's names; their ids once the plant file no longer has them."""
    try:
        placement = plant.placement_of(evidence.machine_id)
    except KeyError:
        return {evidence.machine_id: evidence.machine_id, evidence.line_id: evidence.line_id}
    return {evidence.machine_id: placement.machine.name, evidence.line_id: placement.line.name}


def _model(evidence: TicketEvidence, plant: Plant) -> str | None:
    """The machine's model; None once the plant file no longer has the machine."""
    try:
        return plant.placement_of(evidence.machine_id).machine.model
    except KeyError:
        return None


def fault_codes_of(evidence: Sequence[TicketEvidence], plant: Plant) -> set[tuple[str, int]]:
    """The (machine model, fault code) of every alarm in the evidence, to look their meanings up."""
    return {
        (model, a.fault_code)
        for e in evidence
        if (model := _model(e, plant)) is not None
        for a in e.alarms
        if a.fault_code is not None
    }


def _meaning(meanings: FaultMeanings, model: str | None, code: int | None) -> str | None:
    if model is None or code is None:
        return None
    return meanings.get((model, code))


def _staff_alarm_text(
    machine: str, machine_id: str, message: str, code: int | None, meaning: str | None
) -> str:
    """The alarm as "Filler: fault 104 Outfeed blocked": the machine's name, never its id,
    and the manual's meaning of the code, else the PLC's own words when they say more."""
    words = meaning or _plc_words(message, machine_id, code)
    if code is None:
        return f"{machine}: {words or 'alarm'}"
    return f"{machine}: fault {code}" + (f" {words}" if words else "")


def _customer_alarm_text(
    machine_id: str, message: str, code: int | None, meaning: str | None
) -> str:
    """The alarm as "Outfeed blocked (fault 104)", else "fault 104" when neither the
    manual (its entries for customers) nor the PLC has words for it; the ticket names
    the machine already."""
    words = meaning or _plc_words(message, machine_id, code)
    if code is None:
        return words or "Machine alarm"
    return f"{words[:1].upper()}{words[1:]} (fault {code})" if words else f"fault {code}"


def _plc_words(message: str, machine_id: str, code: int | None) -> str | None:
    """The PLC's message without the machine's id; None when it only repeats the code
    ("l1-filler: fault 104")."""
    words = message.removeprefix(f"{machine_id}:").strip()
    if not words or (code is not None and words.lower() == f"fault {code}"):
        return None
    return words


def _signs(evidence: TicketEvidence) -> list[str]:
    """The warning's own signals, then others with a fair share of the anomaly."""
    names = list(evidence.signals)
    if evidence.contributions is not None and evidence.contributions.shares:
        top = max(s.share for s in evidence.contributions.shares)
        names += [
            s.signal
            for s in evidence.contributions.shares
            if s.signal not in names and top > 0 and s.share >= _SIGN_SHARE * top
        ]
    return [signal_label(n) for n in names]


def _summary(machine: str, signs: Sequence[str], *, forecast: bool) -> str:
    which = _listing(signs) if signs else "its condition signals"
    if forecast:
        return f"{machine}: the trend of {which} points to a limit being reached soon."
    return f"{machine} has been running outside its usual pattern, seen in {which}."


def _listing(items: Sequence[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


def _outlook_sentence(signal: SignalOutlook) -> str | None:
    label = signal_label(signal.signal)
    limit = f"{signal.limit:.4g}{f' {signal.unit}' if signal.unit else ''}"
    if signal.hours_to_limit is None:
        return None
    if signal.hours_to_limit == 0:
        return f"{label} has reached its limit of {limit}."
    return f"{label} may reach its limit of {limit} {_when(signal.hours_to_limit)}."


def _when(hours: float) -> str:
    if hours < 1:
        return "within the hour"
    if hours < 48:
        return f"in about {hours:.0f} hours"
    return f"in about {hours / 24:.0f} days"


def _events(
    evidence: TicketEvidence, model: str | None, meanings: FaultMeanings
) -> list[CustomerEventPublic]:
    alarms = [
        CustomerEventPublic(
            start=a.time,
            end=None,
            text=_customer_alarm_text(
                evidence.machine_id,
                a.message,
                a.fault_code,
                _meaning(meanings, model, a.fault_code),
            ),
        )
        for a in evidence.alarms
    ]
    stops = [
        CustomerEventPublic(
            start=s.start,
            end=s.end,
            text=f"Stopped for {_minutes(s.lost_s)}: {s.reason}",
        )
        for s in evidence.stops
    ]
    return sorted([*alarms, *stops], key=lambda e: e.start, reverse=True)


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _customer_oee(impact: OeeImpact, subject: str) -> CustomerOeePublic:
    current, previous, normal = impact.current, impact.previous, impact.normal
    return CustomerOeePublic(
        subject=subject,
        current_oee=current.oee if current else None,
        current_availability=current.availability if current else None,
        previous_oee=previous.oee if previous else None,
        previous_availability=previous.availability if previous else None,
        usual_oee=normal.oee if normal else None,
        usual_availability=normal.availability if normal else None,
        text=_oee_sentence(subject, current, previous, normal),
    )


def _oee_sentence(
    subject: str, current: OeeFigure | None, previous: OeeFigure | None, normal: OeeFigure | None
) -> str:
    if current is None:
        return f"{subject}: no OEE figures for this shift yet."
    usual = f" (usually {_percent(normal.oee)})" if normal else ""
    usual_availability = f" (usually {_percent(normal.availability)})" if normal else ""
    text = (
        f"{subject}: OEE {_percent(current.oee)} this shift{usual},"
        f" availability {_percent(current.availability)}{usual_availability}"
    )
    if previous is not None:
        text += f"; the shift before: OEE {_percent(previous.oee)}"
    return text + "."


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.0f} %"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None

"""Evidence frozen on automatic tickets: condensed by pure functions, captured by the alert job.

The filler of line 1 runs sampled every 30 s; from 07:35 its bearing wears and
its scores stay high, and the cycle at 08:20 opens a ticket. Its evidence holds
the trends of the last six hours, the shares of the anomaly, the outlook, the
PLC alarm and the stop of the morning, and the OEE of this and the night shift
against the week before.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from alerts.alert_job import run_alert_cycle
from alerts.ticket_evidence import (
    EvidenceSettings,
    bucket_width,
    contributions,
    normal_until,
    oee_impact,
    trend_window,
)
from models.anomaly import AnomalyScore, SignalContribution
from models.condition_forecast import HealthForecast, SignalForecast
from models.oee import DowntimeEvent, OeeResult, OeeScope, ShiftDowntime
from models.plant import Plant
from models.plc_events import PlcEvent
from models.readings import Reading
from models.ticket_evidence import TicketEvidence
from models.tickets import TicketStatus
from storage.alert_store import list_alerts
from storage.anomaly_store import insert_scores
from storage.asset_registry import sync_assets
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER, CustomerScope
from storage.downtime_store import replace_downtimes
from storage.forecast_store import save_forecast
from storage.history_retention import prune_history
from storage.oee_store import upsert_oee
from storage.plc_event_store import write_plc_events
from storage.telemetry_writer import write_readings
from storage.ticket_evidence_store import evidence_from_json, evidence_json, evidence_of
from storage.ticket_store import append_event, list_tickets
from tests.alerts.factories import FRIDAY_0800, WINDOW, score_series
from tests.storage.history_policy import HISTORY_RETENTION

NOW = FRIDAY_0800 + timedelta(minutes=20)
RAISE_AFTER = 10
ANOMALY_START = NOW - RAISE_AFTER * WINDOW
SETTINGS = EvidenceSettings()
CONDITION = ("vibration_rms", "bearing_temp", "motor_current")


def _score(time: datetime, score: float, vibration: float, temperature: float) -> AnomalyScore:
    return AnomalyScore(
        time,
        "m1",
        score,
        (
            SignalContribution("vibration_rms", 4.0, vibration),
            SignalContribution("bearing_temp", 3.0, temperature),
        ),
    )


def _shift(start: datetime, *, oee: float, availability: float, name: str = "early") -> OeeResult:
    return OeeResult(
        scope=OeeScope.MACHINE,
        subject_id="l1-filler",
        shift_name=name,
        shift_start=start,
        shift_end=start + timedelta(hours=8),
        planned_busy_s=27000,
        running_s=27000 * availability,
        setup_s=0,
        breakdown_s=27000 * (1 - availability),
        stop_s=0,
        idle_s=0,
        unknown_s=0,
        good_count=1000,
        reject_count=0,
        ideal_output_s=27000 * oee,
        availability=availability,
        performance=oee / availability,
        quality=1.0,
        oee=oee,
    )


# Pure parts.


def test_the_trends_cover_six_hours_or_back_to_a_little_before_the_evidence_began() -> None:
    assert trend_window(NOW, NOW - timedelta(hours=1), SETTINGS) == NOW - timedelta(hours=6)
    began = NOW - timedelta(hours=9)
    assert trend_window(NOW, began, SETTINGS) == began - timedelta(minutes=30)
    assert trend_window(NOW, NOW - timedelta(days=3), SETTINGS) == NOW - timedelta(hours=24)


def test_buckets_keep_a_chart_within_its_points() -> None:
    since = NOW - timedelta(hours=6)
    width = bucket_width(since, NOW, 200)
    assert width == timedelta(seconds=109)
    assert (NOW - since) / width < 199
    assert bucket_width(NOW - timedelta(seconds=30), NOW, 200) == timedelta(seconds=1)


def test_shares_are_each_signals_part_of_the_mean_score_over_the_warning() -> None:
    before = _score(NOW - timedelta(hours=1), 0.2, 0.0, 0.2)
    during = [
        _score(NOW - timedelta(minutes=10), 0.6, 0.45, 0.15),
        _score(NOW, 0.8, 0.55, 0.25),
    ]
    found = contributions([before, *during], since=NOW - timedelta(minutes=10), fallback=30)

    assert found is not None
    assert (found.observations, found.peak_score) == (2, 0.8)
    assert found.mean_score == pytest.approx(0.7)
    assert [s.signal for s in found.shares] == ["vibration_rms", "bearing_temp"]
    assert [s.share for s in found.shares] == pytest.approx([0.5 / 0.7, 0.2 / 0.7])
    assert sum(s.share for s in found.shares) == pytest.approx(1.0)
    assert found.shares[0].deviation == pytest.approx(4.0)


def test_a_warning_without_scores_of_its_own_takes_the_latest_ones() -> None:
    scores = [_score(NOW - timedelta(minutes=m), 0.3, 0.2, 0.1) for m in (30, 20, 10)]

    found = contributions(scores, since=NOW + timedelta(minutes=1), fallback=2)

    assert found is not None
    assert found.observations == 2
    assert found.since == NOW - timedelta(minutes=20)
    assert contributions([], since=NOW, fallback=2) is None


def test_the_oee_impact_is_the_current_and_previous_shift_against_the_days_before() -> None:
    night = _shift(NOW - timedelta(hours=10), oee=0.7, availability=0.8, name="night")
    early = _shift(NOW - timedelta(hours=2), oee=0.5, availability=0.6)
    later = _shift(NOW + timedelta(hours=6), oee=0.1, availability=0.2, name="late")
    normal = _shift(NOW - timedelta(days=7), oee=0.8, availability=0.9)

    impact = oee_impact(
        OeeScope.MACHINE, "l1-filler", [later, early, night], normal, now=NOW, normal_days=7
    )

    assert impact.current is not None and impact.previous is not None
    assert (impact.current.name, impact.current.oee) == ("early", 0.5)
    assert (impact.previous.name, impact.previous.availability) == ("night", 0.8)
    assert impact.normal is not None and impact.normal.name == "7 days before"
    assert normal_until([later, early, night], now=NOW) == night.shift_start
    assert normal_until([], now=NOW) == NOW


# Captured by the alert job, on a real TimescaleDB.


def _telemetry() -> list[Reading]:
    start = NOW - timedelta(hours=8)
    readings = []
    for i in range(8 * 120 + 1):
        time = start + timedelta(seconds=30 * i)
        wear = max(0.0, (time - ANOMALY_START).total_seconds() / 3600)
        readings += [
            Reading(time, "l1-filler", "vibration_rms", 2.0 + wear),
            Reading(time, "l1-filler", "bearing_temp", 45.0 + 10 * wear),
            Reading(time, "l1-filler", "motor_current", 12.0 + (i % 3) * 0.1),
        ]
    return readings


def _forecast(hours_to_limit: float | None) -> HealthForecast:
    return HealthForecast(
        machine_id="l1-filler",
        computed_at=NOW,
        health_index=0.62,
        signals=(
            SignalForecast("vibration_rms", "mm/s", 3.2, 7.1, True, 0.1, None, None, None),
            SignalForecast(
                "bearing_temp",
                "°C",
                52.0,
                68.0,
                True,
                0.5,
                hours_to_limit,
                None if hours_to_limit is None else hours_to_limit * 0.7,
                None if hours_to_limit is None else hours_to_limit * 1.5,
            ),
        ),
        change_at=None,
        observations=400,
    )


async def _machine_history(conn: Connection) -> None:
    await write_readings(conn, _telemetry())
    await write_plc_events(
        conn,
        events=[
            _alarm(NOW - timedelta(hours=3), b"a1", "bearing overtemperature warning"),
            _alarm(NOW - timedelta(days=2), b"a0", "too old to be evidence"),
        ],
    )
    shift_start = FRIDAY_0800 - timedelta(hours=2)
    stop = DowntimeEvent(
        "l1-filler",
        NOW - timedelta(hours=1),
        NOW - timedelta(minutes=50),
        "breakdown",
        31,
        "bearing overtemperature",
        600.0,
    )
    await replace_downtimes(
        conn,
        machine_id="l1-filler",
        shift_starts=[shift_start],
        downtimes=[ShiftDowntime(shift_start, stop, True)],
    )
    night = shift_start - timedelta(hours=8)
    machine_shifts = [
        _shift(shift_start, oee=0.55, availability=0.7),
        _shift(night, oee=0.72, availability=0.85, name="night"),
        *(_shift(night - timedelta(days=d), oee=0.8, availability=0.9) for d in range(1, 5)),
    ]
    line_shifts = [replace(s, scope=OeeScope.LINE, subject_id="line-1") for s in machine_shifts]
    await upsert_oee(conn, results=[*machine_shifts, *line_shifts])
    await insert_scores(
        conn, scores=score_series("l1-filler", start=ANOMALY_START, windows=RAISE_AFTER, score=0.7)
    )


def _alarm(time: datetime, event_id: bytes, message: str) -> PlcEvent:
    return PlcEvent(
        time=time,
        machine_id="l1-filler",
        source_node="ns=2;s=Filler",
        event_type="AlarmConditionType",
        severity=700,
        fault_code=31,
        message=message,
        event_id=event_id,
        raw={},
    )


@pytest.fixture
async def wearing(db_pool: Pool, plant: Plant) -> Pool:
    """Line 1's filler with its morning's telemetry, alarms, stops, OEE and high scores."""
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        await _machine_history(conn)
        await save_forecast(conn, forecast=_forecast(None))
    return db_pool


async def _only_ticket_evidence(pool: Pool) -> tuple[int, list[TicketEvidence]]:
    async with pool.connection() as conn:
        (ticket,) = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        return ticket.id, await evidence_of(conn, ticket_id=ticket.id, scope=EVERY_CUSTOMER)


@pytest.mark.integration
async def test_the_ticket_a_warning_opens_has_its_evidence_frozen(
    wearing: Pool, plant: Plant
) -> None:
    report = await run_alert_cycle(wearing, plant, now=NOW)

    ticket_id, (evidence,) = await _only_ticket_evidence(wearing)
    assert len(report.tickets) == 1
    assert (evidence.ticket_id, evidence.alert_id) == (ticket_id, report.opened[0])
    assert (evidence.machine_id, evidence.line_id) == ("l1-filler", "line-1")
    assert evidence.captured_at == NOW
    assert evidence.window_start == NOW - timedelta(hours=6)
    # The warning's signals first, then the machine's other condition signal.
    assert [t.signal for t in evidence.trends] == ["vibration_rms", "bearing_temp", "motor_current"]
    temperature = evidence.trends[1]
    assert temperature.unit == "°C"
    assert temperature.bucket_s == 109
    assert 190 <= len(temperature.points) <= 200
    assert temperature.points[0].time == NOW - timedelta(hours=6)
    assert temperature.points[0].value == pytest.approx(45.0)
    assert temperature.points[-1].max_value == pytest.approx(45.0 + 10 * 50 / 60)
    assert all(p.min_value <= p.value <= p.max_value for p in temperature.points)
    assert evidence.contributions is not None
    assert evidence.contributions.observations == RAISE_AFTER  # since the alert's evidence began
    assert [s.signal for s in evidence.contributions.shares][:2] == [
        "vibration_rms",
        "bearing_temp",
    ]
    assert sum(s.share for s in evidence.contributions.shares) == pytest.approx(1.0)
    assert evidence.outlook is not None
    assert [s.signal for s in evidence.outlook.signals] == ["vibration_rms", "bearing_temp"]
    assert [a.message for a in evidence.alarms] == ["bearing overtemperature warning"]
    assert [(s.reason, s.lost_s) for s in evidence.stops] == [("bearing overtemperature", 600.0)]
    machine, line = evidence.oee
    assert (machine.scope, line.scope, line.subject_id) == (
        OeeScope.MACHINE,
        OeeScope.LINE,
        "line-1",
    )
    assert machine.current is not None and machine.previous is not None
    assert (machine.current.oee, machine.previous.oee) == (0.55, 0.72)
    assert machine.normal is not None
    assert machine.normal.oee == pytest.approx(0.8)
    assert machine.normal.availability == pytest.approx(0.9)


@pytest.mark.integration
async def test_a_second_warning_joining_the_ticket_appends_its_own_snapshot(
    wearing: Pool, plant: Plant
) -> None:
    await run_alert_cycle(wearing, plant, now=NOW)
    later = NOW + timedelta(minutes=5)
    async with wearing.connection() as conn:
        # The forecast now sees the bearing at its limit within a day: a second warning.
        await save_forecast(conn, forecast=_forecast(20.0))
    again = await run_alert_cycle(wearing, plant, now=later)

    _, (first, second) = await _only_ticket_evidence(wearing)
    assert first.rule == "sustained_anomaly"
    assert (second.rule, second.alert_id, second.captured_at) == (
        "predicted_limit",
        again.opened[0],
        later,
    )
    assert second.signals == ("bearing_temp",)
    assert second.outlook is not None
    assert second.outlook.signals[0].signal == "bearing_temp"
    assert second.outlook.signals[0].hours_to_limit == 20.0
    assert second.outlook.signals[0].hours_high == 30.0
    # A repeated cycle opens nothing and freezes nothing more.
    await run_alert_cycle(wearing, plant, now=later)
    _, snapshots = await _only_ticket_evidence(wearing)
    assert len(snapshots) == 2


@pytest.mark.integration
async def test_a_failing_capture_never_loses_the_ticket(wearing: Pool, plant: Plant) -> None:
    async with wearing.connection() as conn:
        # The evidence cannot be stored at all: a real failure of the capture's transaction.
        await conn.execute("ALTER TABLE ticket_evidence RENAME TO ticket_evidence_gone")

    report = await run_alert_cycle(wearing, plant, now=NOW)

    async with wearing.connection() as conn:
        tickets = await list_tickets(conn, scope=CustomerScope(customer_id="nordbrau"))
        (alert,) = await list_alerts(conn, scope=CustomerScope(customer_id="nordbrau"))
    assert [t.number for t in tickets] == list(report.tickets)
    assert alert.ticket_id == tickets[0].id


@pytest.mark.integration
async def test_the_snapshot_reads_back_as_it_was_frozen(wearing: Pool, plant: Plant) -> None:
    await run_alert_cycle(wearing, plant, now=NOW)

    _, (evidence,) = await _only_ticket_evidence(wearing)

    assert evidence_from_json(evidence_json(evidence)) == evidence
    assert evidence_json(evidence)["schema_version"] == 1


async def _archive(conn: Connection, ticket_id: int, at: datetime) -> None:
    await conn.execute(
        "UPDATE tickets SET status = %s WHERE id = %s", (TicketStatus.ARCHIVED.value, ticket_id)
    )
    await append_event(
        conn,
        ticket_id=ticket_id,
        at=at,
        kind="transition",
        note="",
        actor="desk",
        field="status",
        old_value=TicketStatus.REVIEWED.value,
        new_value=TicketStatus.ARCHIVED.value,
    )
    await conn.commit()


async def _evidence_count(conn: Connection) -> int:
    cursor = await conn.execute("SELECT count(*) FROM ticket_evidence")
    row = await cursor.fetchone()
    return int(row[0]) if row else -1


@pytest.mark.integration
async def test_archived_tickets_release_their_evidence_after_the_retention_period(
    wearing: Pool, plant: Plant
) -> None:
    # Plant time here is January 2026; retention runs on the wall clock. PLC events
    # are kept 30 days here, so the morning's alarm has outlived its own retention.
    policy = replace(HISTORY_RETENTION, plc_events=timedelta(days=30))
    await run_alert_cycle(wearing, plant, now=NOW)
    ticket_id, _ = await _only_ticket_evidence(wearing)
    async with wearing.connection() as conn:
        kept_while_open = await prune_history(conn, policy)
        open_count = await _evidence_count(conn)
        recently = datetime.now(NOW.tzinfo) - policy.ticket_evidence / 2
        await _archive(conn, ticket_id, recently)
        kept_after_archive = await prune_history(conn, policy)
        archived_count = await _evidence_count(conn)
        (frozen,) = await evidence_of(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
        long_ago = datetime.now(NOW.tzinfo) - policy.ticket_evidence * 2
        await conn.execute("UPDATE ticket_events SET at = %s WHERE field = 'status'", (long_ago,))
        await conn.commit()
        released = await prune_history(conn, policy)
        left = await _evidence_count(conn)

    # The open ticket holds the alarms near it, and its snapshot.
    assert (kept_while_open.plc_events, kept_while_open.ticket_evidence, open_count) == (0, 0, 1)
    # Archived: the raw alarms go at once, the frozen copy stays for the period.
    assert (kept_after_archive.plc_events, archived_count) == (2, 1)
    assert kept_after_archive.ticket_evidence == 0
    assert [a.message for a in frozen.alarms] == ["bearing overtemperature warning"]
    assert (released.ticket_evidence, left) == (1, 0)

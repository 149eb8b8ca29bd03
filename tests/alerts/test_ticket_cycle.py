"""The ticket cycle on real TimescaleDB: SLA warning and breach once each, stops re-grade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.sla_deadlines import sla_deadlines
from alerts.ticket_cycle import run_ticket_cycle
from alerts.ticket_joining import join_open_ticket
from models.plant import Line, Plant, Severity
from models.tickets import Channel, TicketDraft, TicketType
from storage.alert_store import open_alert
from storage.asset_registry import sync_assets
from storage.connections import Connection, Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.ticket_store import get_ticket, register_ticket, ticket_events
from tests.api.factories import insert_samples

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _draft(plant: Plant, machine_id: str = "l1-filler") -> TicketDraft:
    placement = plant.placement_of(machine_id)
    return TicketDraft(
        customer_id=placement.customer.id,
        contract_number=placement.customer.contract.number,
        contact_name="Anna Keller",
        line_id=placement.line.id,
        machine_id=machine_id,
        machine_model=placement.machine.model,
        machine_serial=placement.machine.serial,
        ticket_type=TicketType.GENERAL_FAULT,
        channel=Channel.AUTOMATIC_WARNING,
        severity=Severity.GENERAL,
        under_warranty=True,
        summary="vibration rising",
        symptoms="",
        signals=("vibration_rms",),
        received_at=T0,
        deadlines=sla_deadlines(placement.customer.contract, Severity.GENERAL, received_at=T0),
    )


STOPPED, RUNNING = 8.0, 6.0  # PackML aborted, execute


async def _state(conn: Connection, machine_id: str, at: datetime, state: float) -> None:
    """A state sample of the PLC's, as the collector stores it."""
    await insert_samples(conn, machine_id=machine_id, signal="state", samples=[(at, state)])


async def _stop(
    conn: Connection,
    machine_id: str,
    started: datetime,
    minutes: int,
    code: int | None = 201,
    *,
    ran_again: bool = True,
) -> None:
    """A breakdown as the analytics store it, with the state samples that bound it: the
    machine running again at its end, or still stopped at the newest sample read."""
    await _state(conn, machine_id, started, STOPPED)
    await _state(
        conn, machine_id, started + timedelta(minutes=minutes), RUNNING if ran_again else STOPPED
    )
    await conn.execute(
        "INSERT INTO downtime_events (machine_id, shift_start, started, ended, category,"
        " fault_code, reason, lost_s, counted) VALUES (%s, %s, %s, %s, 'breakdown', %s, %s, %s,"
        " true)",
        (
            machine_id,
            started.replace(hour=5),
            started,
            started + timedelta(minutes=minutes),
            code,
            "Main drive bearing failure",
            minutes * 60.0,
        ),
    )


@pytest.fixture
async def ticket_id(db_pool: Pool, plant: Plant) -> int:
    async with db_pool.connection() as conn:
        await sync_assets(conn, plant)
        ticket = await register_ticket(conn, draft=_draft(plant), note="from a warning")
    return ticket.id


def _line(plant: Plant, line_id: str = "line-1") -> Line:
    return next(line for _, _, line in plant.lines() if line.id == line_id)


async def test_warning_at_80_percent_and_escalation_at_the_breach_once_each(
    db_pool: Pool, plant: Plant, ticket_id: int
) -> None:
    line = _line(plant)
    early = await run_ticket_cycle(db_pool, plant, now=T0 + timedelta(minutes=30), line=line)
    warned = await run_ticket_cycle(db_pool, plant, now=T0 + timedelta(minutes=100), line=line)
    again = await run_ticket_cycle(db_pool, plant, now=T0 + timedelta(minutes=110), line=line)
    breached = await run_ticket_cycle(db_pool, plant, now=T0 + timedelta(minutes=125), line=line)

    assert early.warned == () and len(warned.warned) == 1 and again.warned == ()
    assert breached.escalated == warned.warned
    async with db_pool.connection() as conn:
        ticket = await get_ticket(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
        events = await ticket_events(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
    assert ticket is not None and ticket.work.escalated_at == T0 + timedelta(minutes=125)
    sla = [(e.kind, e.field) for e in events if e.kind.startswith("sla_")]
    assert sla == [("sla_warning", "response_clock"), ("sla_breach", "response_clock")]
    breach = next(e for e in events if e.kind == "sla_breach")
    assert "escalated to the technical support centre" in breach.note
    assert "5 min overdue" in breach.note


async def test_a_breakdown_of_the_machine_reaches_its_ticket_and_regrades_it(
    db_pool: Pool, plant: Plant, ticket_id: int
) -> None:
    async with db_pool.connection() as conn:
        await _stop(conn, "l1-filler", T0 + timedelta(minutes=20), 35)
        await _stop(conn, "l1-capper", T0 + timedelta(minutes=50), 5)  # another machine

    first = await run_ticket_cycle(
        db_pool, plant, now=T0 + timedelta(minutes=60), line=_line(plant)
    )
    second = await run_ticket_cycle(
        db_pool, plant, now=T0 + timedelta(minutes=61), line=_line(plant)
    )

    assert len(first.regraded) == 1 and second.regraded == ()
    async with db_pool.connection() as conn:
        ticket = await get_ticket(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
        events = await ticket_events(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
    assert ticket is not None
    assert (ticket.draft.severity, ticket.draft.ticket_type) == (
        Severity.SERIOUS,
        TicketType.EMERGENCY_REPAIR,
    )
    assert ticket.draft.deadlines == _draft(plant).deadlines  # as at opening
    stops = [e for e in events if e.kind == "machine_stop"]
    assert len(stops) == 1 and stops[0].new_value == "201"
    assert stops[0].note == (
        "Filler stopped 2026-03-02 09:20 CET on PLC fault 201: Main drive bearing failure"
    )
    running = [e for e in events if e.kind == "machine_running"]
    assert [(e.at, e.note) for e in running] == [
        (
            T0 + timedelta(minutes=55),
            "Filler running again 2026-03-02 09:55 CET after 35 min (stopped since 09:20)",
        )
    ]
    regrade = next(e for e in events if e.kind == "regraded")
    assert (regrade.old_value, regrade.new_value) == ("general", "serious")


async def _extend_stop(
    conn: Connection, machine_id: str, started: datetime, minutes: int, *, ran_again: bool
) -> None:
    """The analytics' recompute of a stop that went on: its end moves to the newer sample."""
    ended = started + timedelta(minutes=minutes)
    await _state(conn, machine_id, ended, RUNNING if ran_again else STOPPED)
    await conn.execute(
        "UPDATE downtime_events SET ended = %s, lost_s = %s WHERE machine_id = %s AND started = %s",
        (ended, minutes * 60.0, machine_id, started),
    )


async def test_a_stop_going_on_says_so_and_its_real_end_follows_once_it_runs_again(
    db_pool: Pool, plant: Plant, ticket_id: int
) -> None:
    line = _line(plant)
    started = T0 + timedelta(minutes=20)
    async with db_pool.connection() as conn:
        await _stop(conn, "l1-filler", started, 1, ran_again=False)  # first seen a minute in

    await run_ticket_cycle(db_pool, plant, now=started + timedelta(minutes=1), line=line)
    async with db_pool.connection() as conn:
        await _extend_stop(conn, "l1-filler", started, 30, ran_again=False)
    # Later, while the stop's shift was not recomputed: its end is where the data ended.
    await run_ticket_cycle(db_pool, plant, now=started + timedelta(minutes=40), line=line)
    async with db_pool.connection() as conn:
        during = await ticket_events(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
        await _extend_stop(conn, "l1-filler", started, 45, ran_again=True)
    await run_ticket_cycle(db_pool, plant, now=started + timedelta(minutes=47), line=line)
    await run_ticket_cycle(db_pool, plant, now=started + timedelta(minutes=60), line=line)

    async with db_pool.connection() as conn:
        events = await ticket_events(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
    assert not [e for e in during if e.kind == "machine_running"]
    stops = [e for e in events if e.kind == "machine_stop"]
    assert [(e.at, e.note) for e in stops] == [
        (
            started,
            "Filler stopped since 2026-03-02 09:20 CET on PLC fault 201:"
            " Main drive bearing failure, still stopped",
        )
    ]
    running = [e for e in events if e.kind == "machine_running"]
    assert [(e.at, e.note, e.new_value) for e in running] == [
        (
            started + timedelta(minutes=45),
            "Filler running again 2026-03-02 10:05 CET after 45 min (stopped since 09:20)",
            "running",
        )
    ]


async def test_a_stop_on_the_ticket_gets_its_end_after_the_repair_but_no_new_stop_is_added(
    db_pool: Pool, plant: Plant, ticket_id: int
) -> None:
    line = _line(plant)
    started = T0 + timedelta(minutes=20)
    async with db_pool.connection() as conn:
        await _stop(conn, "l1-filler", started, 5, ran_again=False)
    await run_ticket_cycle(db_pool, plant, now=started + timedelta(minutes=5), line=line)
    async with db_pool.connection() as conn:
        await conn.execute("UPDATE tickets SET status = 'repaired' WHERE id = %s", (ticket_id,))
        await _extend_stop(conn, "l1-filler", started, 70, ran_again=True)
        await _stop(conn, "l1-filler", started + timedelta(minutes=80), 10)

    await run_ticket_cycle(db_pool, plant, now=started + timedelta(minutes=100), line=line)

    async with db_pool.connection() as conn:
        events = await ticket_events(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
    assert [e.at for e in events if e.kind == "machine_stop"] == [started]
    running = [e for e in events if e.kind == "machine_running"]
    assert [e.note for e in running] == [
        "Filler running again 2026-03-02 10:30 CET after 1 h 10 min (stopped since 09:20)"
    ]


async def test_two_lines_down_at_once_make_it_major(
    db_pool: Pool, plant: Plant, ticket_id: int
) -> None:
    async with db_pool.connection() as conn:
        await _stop(conn, "l1-filler", T0 + timedelta(minutes=20), 35)
        await _stop(conn, "l2-capper", T0 + timedelta(minutes=30), 20)

    await run_ticket_cycle(db_pool, plant, now=T0 + timedelta(minutes=60), line=_line(plant))

    async with db_pool.connection() as conn:
        ticket = await get_ticket(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
    assert ticket is not None and ticket.draft.severity is Severity.MAJOR


async def test_a_second_warning_on_the_machine_joins_its_open_ticket(
    db_pool: Pool, plant: Plant, ticket_id: int
) -> None:
    async with db_pool.connection() as conn, conn.transaction():
        alert = await open_alert(
            conn,
            machine_id="l1-filler",
            rule="predicted_limit",
            severity=Severity.SERIOUS,
            opened_at=T0,
            raised_at=T0 + timedelta(hours=1),
            last_seen_at=T0 + timedelta(hours=1),
            peak_score=0.9,
            signals=["bearing_temp"],
            message="bearing temperature reaches its limit in about 6 h",
        )
        assert alert is not None
        joined = await join_open_ticket(conn, alert=alert, now=T0 + timedelta(hours=1))
        other = await open_alert(
            conn,
            machine_id="l2-filler",
            rule="predicted_limit",
            severity=Severity.GENERAL,
            opened_at=T0,
            raised_at=T0,
            last_seen_at=T0,
            peak_score=0.6,
            signals=["vibration_rms"],
            message="vibration rising",
        )
        assert other is not None
        elsewhere = await join_open_ticket(conn, alert=other, now=T0)

    assert joined == ticket_id and elsewhere is None
    async with db_pool.connection() as conn:
        ticket = await get_ticket(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
        events = await ticket_events(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
    assert ticket is not None and ticket.draft.severity is Severity.SERIOUS
    assert [e.kind for e in events][-2:] == ["alert_joined", "regraded"]

"""Registering a request a person entered, once per idempotency key, with its read-back.

The warranty comes from the line and its stored breakdowns; the confirmation
notice is kept in the ticket's history, so the desk can see what the customer
was told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from alerts.ticket_intake import (
    confirmation_notice,
    draft_from_request,
    placement_for,
    warranty_status,
)
from models.plant import Plant
from models.tickets import Ticket, TicketRequest
from models.users import User
from storage import ticket_store, ticket_workflow_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER


@dataclass(frozen=True, slots=True)
class Registration:
    """The ticket, the notice read back to the customer, and whether it was new."""

    ticket: Ticket
    confirmation: str
    created: bool


async def register_request(
    conn: Connection,
    *,
    request: TicketRequest,
    plant: Plant,
    user: User,
    now: datetime,
    idempotency_key: str | None,
) -> Registration:
    """Register the request, or return the ticket the same key registered before.

    Raises ``IntakeError`` for a request that cannot be registered as entered.
    """
    placement = placement_for(plant, request)
    async with conn.transaction():
        if idempotency_key is not None:
            earlier = await _earlier(conn, user, idempotency_key, plant)
            if earlier is not None:
                return earlier
        received_at = request.received_at or now
        zone = ZoneInfo(placement.site.timezone)
        line = placement.line
        stops = await ticket_workflow_store.breakdowns(
            conn,
            machine_ids=[m.id for m in line.machines],
            since=datetime.combine(line.acceptance_date, time(), zone),
            until=received_at,
        )
        warranty = warranty_status(
            line,
            received_at.astimezone(zone).date(),
            downtime=stops,
            timezone=placement.site.timezone,
        )
        draft = draft_from_request(
            request, placement, received_at=received_at, warranty=warranty, created_by=user.login
        )
        ticket = await ticket_store.register_ticket(
            conn, draft=draft, note=f"registered by {user.login} from {draft.channel.value}"
        )
        if draft.warranty_override_reason is not None:
            await ticket_store.append_event(
                conn,
                ticket_id=ticket.id,
                at=draft.received_at,
                kind="warranty_override",
                note=draft.warranty_override_reason,
                actor=user.login,
                field="under_warranty",
                old_value=str(warranty.under_warranty).lower(),
                new_value=str(draft.under_warranty).lower(),
            )
        notice = confirmation_notice(ticket, placement)
        await ticket_store.append_event(
            conn,
            ticket_id=ticket.id,
            at=max(now, draft.received_at).astimezone(UTC),
            kind="confirmation",
            note=notice,
            actor=user.login,
        )
        if idempotency_key is not None and not await ticket_workflow_store.remember_key(
            conn, user_id=user.id, key=idempotency_key, ticket_id=ticket.id
        ):
            # Two requests with one key raced; the row lock on the key's index makes the
            # loser wait, so this one was the second: give up its ticket.
            raise _KeyTaken()
    return Registration(ticket=ticket, confirmation=notice, created=True)


async def register_once(
    conn: Connection,
    *,
    request: TicketRequest,
    plant: Plant,
    user: User,
    now: datetime,
    idempotency_key: str | None,
) -> Registration:
    """``register_request``, retried once when a concurrent request took the same key."""
    try:
        return await register_request(
            conn, request=request, plant=plant, user=user, now=now, idempotency_key=idempotency_key
        )
    except _KeyTaken:
        assert idempotency_key is not None
        earlier = await _earlier(conn, user, idempotency_key, plant)
        assert earlier is not None  # the winner committed the key with its ticket
        return earlier


class _KeyTaken(Exception):
    pass


async def _earlier(conn: Connection, user: User, key: str, plant: Plant) -> Registration | None:
    ticket_id = await ticket_workflow_store.ticket_for_key(conn, user_id=user.id, key=key)
    if ticket_id is None:
        return None
    ticket = await ticket_store.get_ticket(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
    assert ticket is not None  # the key references it
    events = await ticket_store.ticket_events(conn, ticket_id=ticket_id, scope=EVERY_CUSTOMER)
    notice = next((e.note for e in events if e.kind == "confirmation"), "")
    return Registration(ticket=ticket, confirmation=notice, created=False)

"""Annotations: a moment on a machine's chart, attached to a ticket by staff.

POST /api/v1/tickets/{id}/annotations and GET the ticket's list; GET
/api/v1/machines/{id}/annotations draws them back on the machine's chart. They
are diagnosis notes of the service team: a customer is refused them (403 on
their own tickets, 404 on anybody else's, like a ticket that does not exist). Who
marked each is named beside their login (api/people_names.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Response, status

from api.access_scope import machine_for, not_found, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.people_names import people_names
from api.routers.tickets import TicketId
from api.schemas.annotations import AnnotationCreate, AnnotationPublic
from api.ticket_access import visible_ticket
from api.ticket_clock import NowDep
from api.time_ranges import as_utc, resolve_range
from models.plant import Plant
from models.tickets import Ticket
from models.users import Role, User
from storage import annotation_store
from storage.connections import Connection

router = APIRouter(tags=["annotations"])

DEFAULT_SPAN = timedelta(days=7)


async def _staff_ticket(conn: Connection, user: User, ticket_id: int) -> Ticket:
    """The ticket for its staff: 404 where it is not seen at all (another customer's,
    another field engineer's job), 403 for its own customer."""
    ticket = await visible_ticket(conn, user, ticket_id)
    if user.role is Role.CUSTOMER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "annotations are the service team's notes")
    return ticket


def _check_machine(plant: Plant, user: User, ticket: Ticket, body: AnnotationCreate) -> None:
    machine = machine_for(plant, user, body.machine_id)
    if machine.customer.id != ticket.draft.customer_id:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"machine {body.machine_id!r} is not the ticket customer's",
        )
    if body.signal is not None and body.signal not in {s.name for s in machine.machine.signals}:
        raise not_found("signal", f"{body.signal!r} of machine {body.machine_id!r}")


@router.post("/tickets/{ticket_id}/annotations", status_code=status.HTTP_201_CREATED)
async def annotate(
    ticket_id: TicketId,
    body: AnnotationCreate,
    response: Response,
    user: CurrentUser,
    plant: PlantDep,
    conn: ConnDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> AnnotationPublic:
    """Mark a moment of one of the customer's machines on the ticket; the ticket's history
    gets an ``annotation`` event. The same ``Idempotency-Key`` again answers 200 with the
    same annotation."""
    ticket = await _staff_ticket(conn, user, ticket_id)
    _check_machine(plant, user, ticket, body)
    await conn.commit()  # the annotation's transaction must be its own
    annotation, new = await annotation_store.add_annotation(
        conn,
        draft=annotation_store.AnnotationDraft(
            ticket_id=ticket.id,
            machine_id=body.machine_id,
            at=as_utc(body.at),
            signal=body.signal,
            note=body.note,
        ),
        created_by=user.login,
        now=now,
        idempotency_key=idempotency_key,
    )
    if not new:
        response.status_code = status.HTTP_200_OK
    (named,) = await _named(conn, user, [annotation])
    return named


@router.get("/tickets/{ticket_id}/annotations")
async def ticket_annotations(
    ticket_id: TicketId, user: CurrentUser, conn: ConnDep
) -> list[AnnotationPublic]:
    """The ticket's annotations, by the moment they mark."""
    await _staff_ticket(conn, user, ticket_id)
    found = await annotation_store.annotations_of_ticket(
        conn, ticket_id=ticket_id, scope=scope_of(user)
    )
    return await _named(conn, user, found)


@router.get("/machines/{machine_id}/annotations")
async def machine_annotations(
    machine_id: str,
    user: CurrentUser,
    plant: PlantDep,
    conn: ConnDep,
    since: Annotated[datetime | None, Query(alias="from")] = None,
    until: Annotated[datetime | None, Query(alias="to")] = None,
) -> list[AnnotationPublic]:
    """The marks on a machine's chart in a range (default: the 7 days to now)."""
    machine_for(plant, user, machine_id)
    if user.role is Role.CUSTOMER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "annotations are the service team's notes")
    window = resolve_range(since, until, anchor=None, default_span=DEFAULT_SPAN)
    found = await annotation_store.annotations_of_machine(
        conn, machine_id=machine_id, since=window.since, until=window.until, scope=scope_of(user)
    )
    return await _named(conn, user, found)


async def _named(
    conn: Connection, user: User, annotations: list[annotation_store.Annotation]
) -> list[AnnotationPublic]:
    names = await people_names(conn, user, [a.created_by for a in annotations])
    return [AnnotationPublic.of(a, names) for a in annotations]

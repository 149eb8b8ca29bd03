"""Patrol inspections: the checklist templates, recording a filled-in checklist from a phone,
a ticket per finding, and the inspections kept with each line's history.

Field engineers, the desk, support and admins record inspections and open tickets from
findings; customers read their own lines' inspections; another customer's are 404.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, Response, status

from alerts.inspection_commands import (
    InspectionError,
    read_templates,
    record_inspection,
    ticket_for_finding,
)
from api.access_scope import can_see, line_for, not_found
from api.deps import ConnDep, CurrentUser, PlantDep, SettingsDep
from api.pagination import PageDep, page_of
from api.schemas.inspections import (
    FindingTicketPublic,
    InspectionCreate,
    InspectionPublic,
    InspectionTemplate,
)
from api.ticket_clock import NowDep
from models.inspections import Inspection, InspectionDraft
from models.users import Role, User
from settings.linecare_settings import Settings
from storage import inspection_store
from storage.connections import Connection

router = APIRouter(tags=["inspections"])

_INSPECTORS = frozenset({Role.FIELD_ENGINEER, Role.DESK, Role.SUPPORT, Role.ADMIN})
# An inspection is entered on site, at most a little ahead of the server's clock.
_CLOCK_SLACK = timedelta(minutes=5)


async def _templates(settings: Settings) -> dict[str, InspectionTemplate]:
    templates = await asyncio.to_thread(read_templates, settings.plant_file)
    return {t.key: t for t in templates}


def _may_record(user: User) -> None:
    if user.role not in _INSPECTORS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a {user.role} cannot record inspections")


async def _visible(conn: Connection, user: User, inspection_id: int) -> Inspection:
    inspection = await inspection_store.get_inspection(conn, inspection_id=inspection_id)
    if inspection is None or not can_see(user, inspection.draft.customer_id):
        raise not_found("inspection", inspection_id)
    return inspection


@router.get("/inspections/templates")
async def list_templates(user: CurrentUser, settings: SettingsDep) -> list[InspectionTemplate]:
    """The checklist templates an inspection is filled in from."""
    return list((await _templates(settings)).values())


@router.post("/inspections", status_code=status.HTTP_201_CREATED)
async def create_inspection(
    body: InspectionCreate,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    settings: SettingsDep,
    now: NowDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> InspectionPublic:
    """Record a patrol inspection of a line; the same ``Idempotency-Key`` again answers 200
    with the inspection it recorded first."""
    placement = line_for(plant, user, body.line_id)
    _may_record(user)
    template = (await _templates(settings)).get(body.template)
    if template is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"no inspection template {body.template!r}"
        )
    inspected_at = body.inspected_at or now
    if inspected_at.tzinfo is None or inspected_at > now + _CLOCK_SLACK:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "inspected_at needs a time zone offset and may not lie in the future",
        )
    draft = InspectionDraft(
        customer_id=placement.customer.id,
        site_id=placement.site.id,
        line_id=placement.line.id,
        template=template.key,
        inspected_at=inspected_at,
        inspector=user.login,
        answers=body.answer_list(),
        findings=body.finding_list(),
    )
    await conn.commit()  # the recording's transaction must be its own
    try:
        recorded = await record_inspection(
            conn,
            draft=draft,
            template=template,
            line=placement.line,
            user=user,
            idempotency_key=idempotency_key,
        )
    except InspectionError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    if not recorded.created:
        response.status_code = status.HTTP_200_OK
    return InspectionPublic.of(recorded.inspection, template)


@router.get("/inspections/{inspection_id}")
async def get_inspection(
    inspection_id: int, user: CurrentUser, conn: ConnDep, settings: SettingsDep
) -> InspectionPublic:
    """One patrol inspection with its checklist answers, findings and their tickets; another
    customer's answers 404."""
    inspection = await _visible(conn, user, inspection_id)
    template = (await _templates(settings)).get(inspection.draft.template)
    return InspectionPublic.of(inspection, template)


@router.post(
    "/inspections/{inspection_id}/findings/{position}/ticket",
    status_code=status.HTTP_201_CREATED,
)
async def open_finding_ticket(
    inspection_id: int,
    position: int,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
) -> FindingTicketPublic:
    """Open a ticket for a finding; again for the same finding answers 200 with that ticket."""
    inspection = await _visible(conn, user, inspection_id)
    _may_record(user)
    await conn.commit()
    try:
        opened = await ticket_for_finding(
            conn, plant=plant, inspection=inspection, position=position, user=user, now=now
        )
    except InspectionError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    if opened is None:
        raise not_found("finding", f"{inspection_id}/{position}")
    if not opened.created:
        response.status_code = status.HTTP_200_OK
    return FindingTicketPublic(
        ticket_id=opened.ticket.id, ticket_number=opened.ticket.number, created=opened.created
    )


@router.get("/lines/{line_id}/inspections")
async def line_inspections(
    line_id: str,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    settings: SettingsDep,
    page: PageDep,
    request: Request,
    response: Response,
) -> list[InspectionPublic]:
    """The line's inspections, newest first, a page at a time (``Link`` header); 404 for
    another customer's line."""
    placement = line_for(plant, user, line_id)
    templates = await _templates(settings)
    found = await inspection_store.line_inspections(
        conn, line_id=placement.line.id, limit=page.fetch_limit, offset=page.offset
    )
    return [
        InspectionPublic.of(i, templates.get(i.draft.template))
        for i in page_of(found, page, request, response)
    ]

"""/api/v1/knowledge: the fault-code manual and symptom articles; the links of a ticket or a
machine's fault to them.

Staff read every entry (drafts included, newest version); technical support and
administrators write, review, publish and retire. A customer reads only entries
published for customers on a machine model they own: any other entry answers 404,
exactly like a missing one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status

from alerts.knowledge_linking import links_for
from alerts.knowledge_proposals import NothingToPropose, fault_context_of, propose_from_ticket
from api.access_scope import customer_filter, machine_for, not_found, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.pagination import PageDep, page_of
from api.schemas.knowledge import (
    EntryBody,
    EntryDetail,
    EntryEdit,
    EntryPublic,
    EntryTransition,
    KnowledgeLinksPublic,
    LinkPublic,
    ProposalPublic,
    ProposalRequest,
    SearchHitPublic,
    TicketRef,
    VersionPublic,
    VersionSummary,
)
from api.ticket_access import visible_ticket
from api.ticket_clock import NowDep
from models.knowledge import (
    STAFF_VIEWER,
    WRITERS,
    EntryContent,
    EntryStatus,
    FaultContext,
    KnowledgeEntry,
    KnowledgeLink,
    KnowledgeQuery,
    Proposal,
    Viewer,
    content_problem,
    move_refusal,
    status_after_edit,
)
from models.plant import Plant
from models.users import User
from storage import knowledge_store, parts_store, ticket_store
from storage.connections import Connection
from storage.customer_scope import EVERY_CUSTOMER

router = APIRouter(tags=["knowledge base"])

EntryId = Annotated[int, Path(ge=1, le=2**63 - 1)]
TicketId = Annotated[int, Path(ge=1, le=2**63 - 1)]
IdempotencyKey = Annotated[str | None, Header(max_length=200)]
_SIGNAL_LIST = r"^[A-Za-z0-9_.\-]+(,[A-Za-z0-9_.\-]+)*$"


def viewer_of(plant: Plant, user: User) -> Viewer:
    """Staff see everything; a customer the machine models of their own machines."""
    customer_id = customer_filter(user)
    if customer_id is None:
        return STAFF_VIEWER
    owned = frozenset(p.machine.model for p in plant.placements() if p.customer.id == customer_id)
    return Viewer(staff=False, owned_models=owned)


def _require_writer(user: User) -> None:
    if user.role not in WRITERS:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only technical support or an administrator writes the knowledge base",
        )


@router.get("/knowledge")
async def search_knowledge(
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    page: PageDep,
    request: Request,
    response: Response,
    q: Annotated[str, Query(max_length=200, description='words, "phrases", -not, or')] = "",
    machine_model: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Entries for this model")
    ] = None,
    fault_code: Annotated[
        int | None, Query(ge=0, le=2**31 - 1, description="Entries on this PLC fault code")
    ] = None,
    signal: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Entries on this signal")
    ] = None,
    statuses: Annotated[
        list[EntryStatus] | None, Query(alias="status", max_length=4, description="any of these")
    ] = None,
) -> list[SearchHitPublic]:
    """Entries matching the filters, a page at a time (``Link`` header); with ``q`` (web
    search syntax) ranked by relevance (title first, then symptoms and causes, then the
    rest) with highlighted snippets, else by title."""
    viewer = viewer_of(plant, user)
    if not viewer.staff:
        # Customers read published versions only; another status must not tell them which
        # entries have drafts on the way.
        if statuses and EntryStatus.PUBLISHED not in statuses:
            return []
        statuses = None
    query = KnowledgeQuery(
        q,
        machine_model,
        fault_code,
        signal,
        tuple(statuses or ()),
        limit=page.fetch_limit,
        offset=page.offset,
    )
    hits = page_of(
        await knowledge_store.search(conn, query=query, viewer=viewer, scope=scope_of(user)),
        page,
        request,
        response,
    )
    names = await _part_names(conn, viewer, [h.entry for h in hits])
    return [SearchHitPublic.of(hit, names) for hit in hits]


@router.post("/knowledge", status_code=status.HTTP_201_CREATED)
async def create_entry(
    body: EntryBody,
    response: Response,
    user: CurrentUser,
    conn: ConnDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> EntryDetail:
    """A new draft entry. The same ``Idempotency-Key`` again answers 200 with that entry."""
    _require_writer(user)
    content = _checked(body.content())
    await conn.commit()  # the creation's transaction must be its own
    async with conn.transaction():
        if idempotency_key is not None:
            made = await knowledge_store.entry_for_key(conn, user_id=user.id, key=idempotency_key)
            if made is not None:
                response.status_code = status.HTTP_200_OK
                return await _detail(conn, made)
        entry_id = await knowledge_store.create_entry(
            conn,
            content=content,
            by=user.login,
            by_name=user.display_name,
            at=now,
            note=body.change_note or "created",
        )
        if idempotency_key is not None:
            await knowledge_store.remember_key(
                conn, user_id=user.id, key=idempotency_key, entry_id=entry_id
            )
    return await _detail(conn, entry_id)


@router.get("/knowledge/{entry_id}")
async def get_entry(
    entry_id: EntryId, user: CurrentUser, conn: ConnDep, plant: PlantDep
) -> EntryDetail:
    """The entry with who wrote and published it; staff also get every version and the
    tickets that proposed them."""
    viewer = viewer_of(plant, user)
    if not viewer.staff:
        entry = await knowledge_store.get_entry(
            conn, entry_id=entry_id, viewer=viewer, scope=scope_of(user)
        )
        if entry is None:
            raise not_found("knowledge entry", entry_id)
        names = await _part_names(conn, viewer, [entry])
        return EntryDetail(entry=EntryPublic.of(entry, names), versions=[], proposals=[])
    return await _detail(conn, entry_id)


@router.put("/knowledge/{entry_id}")
async def edit_entry(
    entry_id: EntryId, body: EntryEdit, user: CurrentUser, conn: ConnDep, now: NowDep
) -> EntryDetail:
    """A new version with its author. A reviewed or published entry becomes a draft again;
    readers keep the published version until the new one is published. 409 when the
    edit was made on an older version, or the entry is retired."""
    _require_writer(user)
    content = _checked(body.content())
    await conn.commit()
    async with conn.transaction():
        entry = await knowledge_store.lock_entry(conn, entry_id=entry_id)
        if entry is None:
            raise not_found("knowledge entry", entry_id)
        if entry.status is EntryStatus.RETIRED:
            raise HTTPException(
                status.HTTP_409_CONFLICT, "the entry is retired: reopen it as a draft first"
            )
        if body.base_version != entry.current_version:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"the entry is at version {entry.current_version} now, not"
                f" {body.base_version}: someone else edited it meanwhile; reload and edit again",
            )
        await knowledge_store.add_version(
            conn,
            entry=entry,
            content=content,
            status=status_after_edit(entry.status),
            by=user.login,
            by_name=user.display_name,
            at=now,
            note=body.change_note or "edited",
        )
    return await _detail(conn, entry_id)


@router.post("/knowledge/{entry_id}/transitions")
async def move_entry(
    entry_id: EntryId, body: EntryTransition, user: CurrentUser, conn: ConnDep, now: NowDep
) -> EntryDetail:
    """Submit for review, send back, publish, retire or reopen; 403 for other roles than
    support and admin, 409 for a move the entry's status does not allow."""
    _require_writer(user)
    await conn.commit()
    async with conn.transaction():
        entry = await knowledge_store.lock_entry(conn, entry_id=entry_id)
        if entry is None:
            raise not_found("knowledge entry", entry_id)
        refusal = move_refusal(entry.status, body.to, user.role)
        if refusal is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, f"Refused: {refusal}.")
        await knowledge_store.set_status(conn, entry=entry, status=body.to, by=user.login, at=now)
    return await _detail(conn, entry_id)


@router.get("/knowledge/{entry_id}/versions/{version}")
async def get_version(
    entry_id: EntryId,
    version: Annotated[int, Path(ge=1, le=100_000)],
    user: CurrentUser,
    conn: ConnDep,
) -> VersionPublic:
    """One version in full (staff only; customers read only the published entry)."""
    entry = await knowledge_store.get_entry(
        conn, entry_id=entry_id, viewer=STAFF_VIEWER, scope=scope_of(user)
    )
    if entry is None or customer_filter(user) is not None:
        raise not_found("knowledge entry", entry_id)
    for found in await knowledge_store.versions(conn, entry_id=entry_id):
        if found.version == version:
            return VersionPublic.of(found, entry.published_version)
    raise not_found("version", version)


@router.post("/knowledge/proposals", status_code=status.HTTP_201_CREATED)
async def propose(
    body: ProposalRequest, response: Response, user: CurrentUser, conn: ConnDep, now: NowDep
) -> ProposalPublic:
    """Propose what a ticket's report and RCA taught, as a new draft entry or a new version
    of the entry its fault links to. A ticket proposes once: asked again, 200 with the
    proposal it made. 409 when the ticket has no report or RCA yet."""
    _require_writer(user)
    await conn.commit()
    async with conn.transaction():
        ticket = await ticket_store.lock_ticket(conn, ticket_id=body.ticket_id)
        if ticket is None:
            raise not_found("ticket", body.ticket_id)
        before = await knowledge_store.proposal_of(conn, ticket_id=ticket.id)
        result = await propose_from_ticket(
            conn, ticket=ticket, by=user.login, by_name=user.display_name, at=now
        )
    if isinstance(result, NothingToPropose):
        raise HTTPException(status.HTTP_409_CONFLICT, f"Nothing to propose: {result.message}.")
    if before is not None:
        response.status_code = status.HTTP_200_OK
    return _proposal(result, ticket.number)


@router.get("/tickets/{ticket_id}/knowledge")
async def ticket_knowledge(
    ticket_id: TicketId, user: CurrentUser, conn: ConnDep, plant: PlantDep
) -> KnowledgeLinksPublic:
    """The entries the ticket's fault links to (its PLC fault codes, then its driving
    signals), best first; 404 for another customer's ticket."""
    ticket = await visible_ticket(conn, user, ticket_id)
    context = await fault_context_of(conn, ticket=ticket, scope=scope_of(user))
    viewer = viewer_of(plant, user)
    links = await links_for(conn, context=context, viewer=viewer, scope=scope_of(user))
    answer = await _links(conn, viewer, context, links)
    return answer.model_copy(update={"ticket": TicketRef(id=ticket.id, number=ticket.number)})


@router.get("/machines/{machine_id}/knowledge")
async def machine_knowledge(
    machine_id: str,
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    signals: Annotated[
        str | None, Query(max_length=1000, pattern=_SIGNAL_LIST, examples=["vibration_rms"])
    ] = None,
    fault_code: Annotated[list[int] | None, Query(max_length=20)] = None,
) -> KnowledgeLinksPublic:
    """The entries a fault on this machine links to: ``signals`` comma-separated (an
    alert's driving signals), ``fault_code`` repeatable. 404 for another customer's machine."""
    placement = machine_for(plant, user, machine_id)
    codes = fault_code or []
    if any(code < 0 or code > 2**31 - 1 for code in codes):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "fault codes are 0 or more")
    context = FaultContext(
        placement.machine.model,
        frozenset(codes),
        frozenset(signals.split(",")) if signals else frozenset(),
    )
    viewer = viewer_of(plant, user)
    return await _links(
        conn,
        viewer,
        context,
        await links_for(conn, context=context, viewer=viewer, scope=scope_of(user)),
    )


@router.get("/alerts/{alert_id}/knowledge")
async def alert_knowledge(
    alert_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
) -> KnowledgeLinksPublic:
    """The entries an alert links to: by its driving signals, and by the fault codes of the
    stops its ticket saw. 404 for another customer's alert, like a missing one."""
    fault = await knowledge_store.alert_fault(conn, alert_id=alert_id, scope=scope_of(user))
    if fault is None:
        raise not_found("alert", alert_id)
    machine_id, signals, codes = fault
    try:
        placement = machine_for(plant, user, machine_id)
    except HTTPException:
        raise not_found("alert", alert_id) from None
    context = FaultContext(placement.machine.model, codes, signals)
    viewer = viewer_of(plant, user)
    links = await links_for(conn, context=context, viewer=viewer, scope=scope_of(user))
    return await _links(conn, viewer, context, links)


def _checked(content: EntryContent) -> EntryContent:
    problem = content_problem(content)
    if problem is not None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, problem)
    return content


async def _links(
    conn: Connection, viewer: Viewer, context: FaultContext, links: list[KnowledgeLink]
) -> KnowledgeLinksPublic:
    names = await _part_names(conn, viewer, [link.entry for link in links])
    return KnowledgeLinksPublic(
        machine_model=context.machine_model,
        fault_codes=sorted(context.fault_codes),
        signals=sorted(context.signals),
        links=[LinkPublic.of(link, names) for link in links],
    )


async def _part_names(
    conn: Connection, viewer: Viewer, entries: list[KnowledgeEntry]
) -> dict[str, str]:
    """Part descriptions for staff; customers get part numbers only (the catalogue is staff's)."""
    if not viewer.staff:
        return {}
    numbers = sorted({p for e in entries for p in e.shown.content.part_numbers})
    parts = await parts_store.parts_by_number(conn, part_numbers=numbers)
    return {number: part.description for number, part in parts.items()}


async def _detail(conn: Connection, entry_id: int) -> EntryDetail:
    """The staff view of an entry: newest version, history and proposing tickets."""
    entry = await knowledge_store.get_entry(
        conn, entry_id=entry_id, viewer=STAFF_VIEWER, scope=EVERY_CUSTOMER
    )
    if entry is None:
        raise not_found("knowledge entry", entry_id)
    proposals = await knowledge_store.proposals_of_entry(conn, entry_id=entry_id)
    source = None
    for proposal, number in proposals:
        if proposal.version == entry.shown.version:
            source = TicketRef(id=proposal.ticket_id, number=number)
    names = await _part_names(conn, STAFF_VIEWER, [entry])
    history = await knowledge_store.versions(conn, entry_id=entry_id)
    return EntryDetail(
        entry=EntryPublic.of(entry, names, source),
        versions=[VersionSummary.of(v, entry.published_version) for v in history],
        proposals=[_proposal(p, number) for p, number in proposals],
    )


def _proposal(proposal: Proposal, number: str) -> ProposalPublic:
    return ProposalPublic(
        ticket=TicketRef(id=proposal.ticket_id, number=number),
        entry_id=proposal.entry_id,
        version=proposal.version,
        addition=proposal.addition,
        proposed_at=proposal.proposed_at,
        proposed_by=proposal.proposed_by,
    )

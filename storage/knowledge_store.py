"""The knowledge base in the database: entries, their versions, full-text search,
the candidates a fault links to, and the proposals tickets made.

Every read takes a ``Viewer``: staff read each entry's newest version, customers
the published version, and only when it is published for customers on a machine
model they own. Writers lock the entry first (``lock_entry``) in their transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.knowledge import (
    Audience,
    EntryContent,
    EntryKind,
    EntryStatus,
    EntryVersion,
    FaultContext,
    KnowledgeEntry,
    KnowledgeQuery,
    Proposal,
    SearchHit,
    SnippetPart,
    Viewer,
)
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

# ts_headline marks hits with these; no entry text contains them (control characters).
_START, _STOP = "\x01", "\x02"
_HEADLINE_OPTIONS = (
    f"StartSel={_START}, StopSel={_STOP}, MaxWords=22, MinWords=10,"
    ' MaxFragments=2, FragmentDelimiter=" … "'
)
_VERSION_COLUMNS = """
    v.entry_id, v.version, v.kind, v.audience, v.machine_models, v.fault_codes, v.signals,
    v.part_numbers, v.title, v.symptoms, v.causes, v.checks, v.remedies, v.body,
    v.edited_by, v.edited_by_name, v.edited_at, v.change_note, v.source_ticket_id
"""
_ENTRY_COLUMNS = """
    e.id, e.manual_key, e.status, e.current_version, e.published_version, e.created_at,
    e.created_by, e.published_at, e.published_by
"""
# The version a viewer sees, and whether they may see the entry at all.
_SHOWN_JOIN = """
    JOIN knowledge_versions v ON v.entry_id = e.id AND v.version =
        CASE WHEN %(staff)s THEN e.current_version ELSE e.published_version END
"""
_VISIBLE = """
    (%(staff)s OR (e.status <> 'retired' AND v.audience = 'customers'
                   AND v.machine_models && %(owned)s::text[]))
"""
# The first wall, in the query: the knowledge base is the vendor's and shared, so a
# customer's scope keeps the entries published for customers on a machine model one of
# the customer's machines is, whatever the viewer passed says; the rest (drafts, internal
# and retired entries, other models) is left out. What ties a version to one customer,
# the ticket it was proposed from, reads NULL unless that ticket is the scope's own.
_IN_SCOPE = """
    (%(scope_customer)s::text IS NULL OR (
        e.status <> 'retired' AND v.version = e.published_version AND v.audience = 'customers'
        AND v.machine_models && ARRAY(
            SELECT m.model FROM machines m JOIN lines l ON l.id = m.line_id
            JOIN sites s ON s.id = l.site_id WHERE s.customer_id = %(scope_customer)s)))
"""
_SCOPED_VERSION_COLUMNS = _VERSION_COLUMNS.replace(
    "v.source_ticket_id",
    f"CASE WHEN {scope_filter('ticket', 'v.source_ticket_id')} THEN v.source_ticket_id END",
)
# The snippet comes from the text under the title (the title is shown anyway).
_SNIPPET_TEXT = (
    "v.symptoms || ' ' || v.causes || ' ' || v.checks || ' ' || v.remedies || ' ' || v.body"
)


@dataclass(frozen=True, slots=True)
class EntryState:
    """What a writer needs of a locked entry."""

    id: int
    status: EntryStatus
    current_version: int
    published_version: int | None


def _viewer_params(viewer: Viewer) -> dict[str, Any]:
    return {"staff": viewer.staff, "owned": sorted(viewer.owned_models)}


async def create_entry(
    conn: Connection,
    *,
    content: EntryContent,
    by: str,
    by_name: str,
    at: datetime,
    note: str = "",
    manual_key: str | None = None,
    source_ticket_id: int | None = None,
    published: bool = False,
) -> int:
    """A new entry with its first version, a draft (or published at once: a manual import).

    Call it inside a transaction: the entry's link to its current version is checked
    at commit, once both rows are there.
    """
    status = EntryStatus.PUBLISHED if published else EntryStatus.DRAFT
    cursor = await conn.execute(
        "INSERT INTO knowledge_entries (manual_key, status, current_version, published_version,"
        " created_at, created_by, published_at, published_by, status_changed_at,"
        " status_changed_by) VALUES (%s, %s, 1, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (
            manual_key,
            status.value,
            1 if published else None,
            at,
            by,
            at if published else None,
            by if published else None,
            at,
            by,
        ),
    )
    row = await cursor.fetchone()
    assert row is not None  # INSERT … RETURNING
    entry_id = int(row[0])
    await _insert_version(conn, entry_id, 1, content, by, by_name, at, note, source_ticket_id)
    return entry_id


async def add_version(
    conn: Connection,
    *,
    entry: EntryState,
    content: EntryContent,
    status: EntryStatus,
    by: str,
    by_name: str,
    at: datetime,
    note: str,
    source_ticket_id: int | None = None,
) -> int:
    """Store the content as the locked entry's next version and move it to ``status``."""
    version = entry.current_version + 1
    await _insert_version(conn, entry.id, version, content, by, by_name, at, note, source_ticket_id)
    await conn.execute(
        "UPDATE knowledge_entries SET current_version = %s, status = %s,"
        " status_changed_at = CASE WHEN status = %s THEN status_changed_at ELSE %s END,"
        " status_changed_by = CASE WHEN status = %s THEN status_changed_by ELSE %s END"
        " WHERE id = %s",
        (version, status.value, status.value, at, status.value, by, entry.id),
    )
    return version


async def _insert_version(
    conn: Connection,
    entry_id: int,
    version: int,
    content: EntryContent,
    by: str,
    by_name: str,
    at: datetime,
    note: str,
    source_ticket_id: int | None,
) -> None:
    await conn.execute(
        "INSERT INTO knowledge_versions (entry_id, version, kind, audience, machine_models,"
        " fault_codes, signals, part_numbers, title, symptoms, causes, checks, remedies, body,"
        " edited_by, edited_by_name, edited_at, change_note, source_ticket_id)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            entry_id,
            version,
            content.kind.value,
            content.audience.value,
            list(content.machine_models),
            list(content.fault_codes),
            list(content.signals),
            list(content.part_numbers),
            content.title,
            content.symptoms,
            content.causes,
            content.checks,
            content.remedies,
            content.body,
            by,
            by_name,
            at,
            note,
            source_ticket_id,
        ),
    )


async def lock_entry(conn: Connection, *, entry_id: int) -> EntryState | None:
    cursor = await conn.execute(
        "SELECT id, status, current_version, published_version FROM knowledge_entries"
        " WHERE id = %s FOR UPDATE",
        (entry_id,),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return EntryState(row[0], EntryStatus(row[1]), row[2], row[3])


async def entry_for_manual_key(conn: Connection, *, manual_key: str) -> int | None:
    cursor = await conn.execute(
        "SELECT id FROM knowledge_entries WHERE manual_key = %s", (manual_key,)
    )
    row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def set_status(
    conn: Connection, *, entry: EntryState, status: EntryStatus, by: str, at: datetime
) -> None:
    """Move the locked entry; publishing makes its newest version the one readers see."""
    publishing = status is EntryStatus.PUBLISHED
    await conn.execute(
        "UPDATE knowledge_entries SET status = %s, status_changed_at = %s,"
        " status_changed_by = %s,"
        " published_version = CASE WHEN %s THEN current_version ELSE published_version END,"
        " published_at = CASE WHEN %s THEN %s ELSE published_at END,"
        " published_by = CASE WHEN %s THEN %s ELSE published_by END"
        " WHERE id = %s",
        (status.value, at, by, publishing, publishing, at, publishing, by, entry.id),
    )


async def get_entry(
    conn: Connection, *, entry_id: int, viewer: Viewer, scope: CustomerScope
) -> KnowledgeEntry | None:
    """The entry as the viewer sees it; None when it does not exist or is hidden from them
    or from the scope."""
    cursor = await conn.execute(
        f"SELECT {_ENTRY_COLUMNS}, {_SCOPED_VERSION_COLUMNS}"
        f" FROM knowledge_entries e {_SHOWN_JOIN}"
        f" WHERE e.id = %(id)s AND {_VISIBLE} AND {_IN_SCOPE}",
        {"id": entry_id, **_viewer_params(viewer), **scope.params},
    )
    row = await cursor.fetchone()
    return None if row is None else _entry(row)


async def versions(conn: Connection, *, entry_id: int) -> list[EntryVersion]:
    """Every version of the entry, newest first (staff only: drafts included)."""
    cursor = await conn.execute(
        f"SELECT {_VERSION_COLUMNS} FROM knowledge_versions v WHERE v.entry_id = %s"
        " ORDER BY v.version DESC",
        (entry_id,),
    )
    return [_version(row) for row in await cursor.fetchall()]


async def search(
    conn: Connection, *, query: KnowledgeQuery, viewer: Viewer, scope: CustomerScope
) -> list[SearchHit]:
    """Entries within the scope matching the filters; with text, ranked by ts_rank (title
    weighs most) with highlighted snippets, else by title."""
    params: dict[str, Any] = {
        "text": query.text.strip(),
        "model": query.machine_model,
        "code": query.fault_code,
        "signal": query.signal,
        "statuses": [s.value for s in query.statuses],
        "limit": query.limit,
        "offset": query.offset,
        "options": _HEADLINE_OPTIONS,
        **_viewer_params(viewer),
        **scope.params,
    }
    searching = bool(params["text"])
    rank = "ts_rank(v.search, q)" if searching else "0.0"
    snippet = f"ts_headline('english', {_SNIPPET_TEXT}, q, %(options)s)" if searching else "''"
    source = ", websearch_to_tsquery('english', %(text)s) q" if searching else ""
    matches = "AND v.search @@ q" if searching else ""
    # Only the fixed fragments above are formatted in; every value is a parameter.
    order = "rank DESC, e.id" if searching else "lower(v.title), e.id"
    cursor = await conn.execute(
        f"""
        SELECT {_ENTRY_COLUMNS}, {_SCOPED_VERSION_COLUMNS}, {rank} AS rank, {snippet}
        FROM knowledge_entries e {_SHOWN_JOIN} {source}
        WHERE {_VISIBLE} AND {_IN_SCOPE} {matches}
          AND (%(model)s::text IS NULL OR %(model)s = ANY(v.machine_models))
          AND (%(code)s::integer IS NULL OR %(code)s = ANY(v.fault_codes))
          AND (%(signal)s::text IS NULL OR %(signal)s = ANY(v.signals))
          AND (cardinality(%(statuses)s::text[]) = 0 OR e.status = ANY(%(statuses)s))
        ORDER BY {order}
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        params,
    )
    hits = []
    for row in await cursor.fetchall():
        entry = _entry(row[:-2])
        hits.append(SearchHit(entry, float(row[-2]), snippet_parts(row[-1])))
    return hits


def snippet_parts(headline: str) -> tuple[SnippetPart, ...]:
    """ts_headline's text split into plain stretches and the marked hits."""
    parts: list[SnippetPart] = []
    for i, chunk in enumerate(headline.split(_START)):
        hit, _, rest = chunk.partition(_STOP) if i > 0 else ("", "", chunk)
        if hit:
            parts.append(SnippetPart(hit, True))
        if rest:
            parts.append(SnippetPart(rest, False))
    return tuple(parts)


async def link_candidates(
    conn: Connection, *, context: FaultContext, viewer: Viewer, scope: CustomerScope
) -> list[KnowledgeEntry]:
    """Live entries within the scope for the context's machine model sharing a fault code or
    a signal with it (unranked: ``alerts.knowledge_linking`` ranks them)."""
    cursor = await conn.execute(
        f"""
        SELECT {_ENTRY_COLUMNS}, {_SCOPED_VERSION_COLUMNS}
        FROM knowledge_entries e {_SHOWN_JOIN}
        WHERE {_VISIBLE} AND {_IN_SCOPE} AND e.status <> 'retired'
          AND %(model)s = ANY(v.machine_models)
          AND (v.fault_codes && %(codes)s::integer[] OR v.signals && %(signals)s::text[])
        """,
        {
            "model": context.machine_model,
            "codes": sorted(context.fault_codes),
            "signals": sorted(context.signals),
            **_viewer_params(viewer),
            **scope.params,
        },
    )
    return [_entry(row) for row in await cursor.fetchall()]


async def ticket_fault_codes(
    conn: Connection, *, ticket_id: int, scope: CustomerScope
) -> frozenset[int]:
    """The PLC fault codes of the machine stops that reached the ticket; none for a ticket
    outside the scope."""
    cursor = await conn.execute(
        "SELECT DISTINCT new_value::integer FROM ticket_events WHERE ticket_id = %(ticket)s"
        " AND kind = 'machine_stop' AND field = 'fault_code' AND new_value ~ '^[0-9]{1,9}$'"
        f" AND {scope_filter('ticket', 'ticket_id')}",
        {"ticket": ticket_id, **scope.params},
    )
    return frozenset(int(row[0]) for row in await cursor.fetchall())


async def customer_words(conn: Connection) -> tuple[str, ...]:
    """Names that identify customers (organisations, contacts, sites), longest first, for
    scrubbing text that other customers may come to read."""
    cursor = await conn.execute(
        "SELECT name, contact_name, contact_phone, contact_email FROM customers"
        " UNION ALL SELECT name, '', '', '' FROM sites"
    )
    words = {word for row in await cursor.fetchall() for word in row if word}
    return tuple(sorted(words, key=len, reverse=True))


async def proposal_of(conn: Connection, *, ticket_id: int) -> Proposal | None:
    cursor = await conn.execute(
        "SELECT ticket_id, entry_id, version, addition, proposed_at, proposed_by"
        " FROM knowledge_proposals WHERE ticket_id = %s",
        (ticket_id,),
    )
    row = await cursor.fetchone()
    return None if row is None else Proposal(*row)


async def record_proposal(conn: Connection, *, proposal: Proposal) -> bool:
    """Remember the ticket's proposal; False when the ticket already made one."""
    cursor = await conn.execute(
        "INSERT INTO knowledge_proposals (ticket_id, entry_id, version, addition, proposed_at,"
        " proposed_by) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (ticket_id) DO NOTHING",
        (
            proposal.ticket_id,
            proposal.entry_id,
            proposal.version,
            proposal.addition,
            proposal.proposed_at,
            proposal.proposed_by,
        ),
    )
    return cursor.rowcount == 1


async def proposals_of_entry(conn: Connection, *, entry_id: int) -> list[tuple[Proposal, str]]:
    """The tickets that proposed versions of the entry, with their numbers (staff only)."""
    cursor = await conn.execute(
        "SELECT p.ticket_id, p.entry_id, p.version, p.addition, p.proposed_at, p.proposed_by,"
        " t.number FROM knowledge_proposals p JOIN tickets t ON t.id = p.ticket_id"
        " WHERE p.entry_id = %s ORDER BY p.version",
        (entry_id,),
    )
    return [(Proposal(*row[:6]), row[6]) for row in await cursor.fetchall()]


def _version(row: Sequence[Any]) -> EntryVersion:
    content = EntryContent(
        kind=EntryKind(row[2]),
        audience=Audience(row[3]),
        machine_models=tuple(row[4]),
        fault_codes=tuple(row[5]),
        signals=tuple(row[6]),
        part_numbers=tuple(row[7]),
        title=row[8],
        symptoms=row[9],
        causes=row[10],
        checks=row[11],
        remedies=row[12],
        body=row[13],
    )
    return EntryVersion(row[0], row[1], content, row[14], row[15], row[16], row[17], row[18])


def _entry(row: Sequence[Any]) -> KnowledgeEntry:
    return KnowledgeEntry(
        id=row[0],
        manual_key=row[1],
        status=EntryStatus(row[2]),
        current_version=row[3],
        published_version=row[4],
        created_at=row[5],
        created_by=row[6],
        published_at=row[7],
        published_by=row[8],
        shown=_version(row[9:]),
    )


async def entry_for_key(conn: Connection, *, user_id: int, key: str) -> int | None:
    """The entry a creation with this idempotency key made before, if it did."""
    cursor = await conn.execute(
        "SELECT entry_id FROM knowledge_idempotency_keys WHERE user_id = %s AND key = %s",
        (user_id, key),
    )
    row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def remember_key(conn: Connection, *, user_id: int, key: str, entry_id: int) -> bool:
    """Tie the key to the entry; False when a concurrent request took the key first."""
    cursor = await conn.execute(
        "INSERT INTO knowledge_idempotency_keys (user_id, key, entry_id) VALUES (%s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (user_id, key, entry_id),
    )
    return cursor.rowcount == 1


async def alert_fault(
    conn: Connection, *, alert_id: int, scope: CustomerScope
) -> tuple[str, frozenset[str], frozenset[int]] | None:
    """An alert's machine, its driving signals and the fault codes of its ticket's stops;
    None for an alert of a machine outside the scope."""
    cursor = await conn.execute(
        "SELECT a.machine_id, a.signals, coalesce(array_agg(DISTINCT e.new_value::integer)"
        " FILTER (WHERE e.new_value ~ '^[0-9]{1,9}$'), '{}')"
        " FROM alerts a LEFT JOIN ticket_events e ON e.ticket_id = a.ticket_id"
        " AND e.kind = 'machine_stop' AND e.field = 'fault_code'"
        f" WHERE a.id = %(alert)s AND {scope_filter('machine', 'a.machine_id')} GROUP BY a.id",
        {"alert": alert_id, **scope.params},
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return row[0], frozenset(row[1]), frozenset(row[2])

"""Which knowledge-base entries a fault links to, best first.

A ticket or an alert knows its machine model, the PLC fault codes of its stops
and the signals that drove it. The manual page of the same fault code on the
same model comes first; then entries sharing driving signals, the larger the
share of the fault's signals (and of the entry's own) the higher.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.knowledge import (
    FaultContext,
    KnowledgeEntry,
    KnowledgeLink,
    LinkReason,
    Viewer,
)
from storage import knowledge_store
from storage.connections import Connection
from storage.customer_scope import CustomerScope

# A fault-code match outranks any signal overlap (signal scores stay below 1).
_CODE_SCORE = 10.0


def rank_links(
    context: FaultContext, entries: Iterable[KnowledgeEntry], *, limit: int = 10
) -> list[KnowledgeLink]:
    """The entries that apply to the context, ranked; entries of other models or sharing
    neither a code nor a signal are left out."""
    links = [link for entry in entries if (link := _link(context, entry)) is not None]
    links.sort(key=lambda link: (-link.score, link.entry.shown.content.title, link.entry.id))
    return links[:limit]


def _link(context: FaultContext, entry: KnowledgeEntry) -> KnowledgeLink | None:
    content = entry.shown.content
    if context.machine_model not in content.machine_models:
        return None
    codes = tuple(sorted(context.fault_codes.intersection(content.fault_codes)))
    signals = tuple(sorted(context.signals.intersection(content.signals)))
    if not codes and not signals:
        return None
    overlap = _signal_overlap(len(signals), len(context.signals), len(content.signals))
    if codes:
        return KnowledgeLink(entry, LinkReason.FAULT_CODE, codes, signals, _CODE_SCORE + overlap)
    return KnowledgeLink(entry, LinkReason.SIGNALS, codes, signals, overlap)


def _signal_overlap(shared: int, of_fault: int, of_entry: int) -> float:
    """Between 0 and 1: the share of the fault's signals the entry covers, ties broken
    by how focused the entry is (an article on exactly these signals beats a broad one)."""
    if shared == 0:
        return 0.0
    return 0.9 * shared / of_fault + 0.09 * shared / of_entry


async def links_for(
    conn: Connection,
    *,
    context: FaultContext,
    viewer: Viewer,
    scope: CustomerScope,
    limit: int = 10,
) -> list[KnowledgeLink]:
    """The entries the viewer may read within the scope that the fault links to, best first."""
    if not context.fault_codes and not context.signals:
        return []
    candidates = await knowledge_store.link_candidates(
        conn, context=context, viewer=viewer, scope=scope
    )
    return rank_links(context, candidates, limit=limit)

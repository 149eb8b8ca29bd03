"""What a PLC fault code means, in the words of the fault-code manual (the knowledge base).

The manual's fault-code entries are titled "FIL-12 fault 104: outfeed blocked"; the
words after the colon are the meaning. Staff read every published entry; a customer
only entries published for customers on a machine model they own, so a code the
manual keeps internal stays a bare number for them.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.knowledge import EntryContent, EntryKind, EntryStatus, KnowledgeQuery, Viewer
from storage import knowledge_store
from storage.connections import Connection
from storage.customer_scope import CustomerScope

# (machine model, fault code) → meaning, first letter upper case.
FaultMeanings = dict[tuple[str, int], str]


async def fault_meanings(
    conn: Connection, *, wanted: Iterable[tuple[str, int]], viewer: Viewer, scope: CustomerScope
) -> FaultMeanings:
    """The meaning of each (model, code) the manual documents for this viewer and scope."""
    found: FaultMeanings = {}
    for model, code in sorted(set(wanted)):
        hits = await knowledge_store.search(
            conn,
            query=KnowledgeQuery(
                machine_model=model,
                fault_code=code,
                statuses=(EntryStatus.PUBLISHED,),
                limit=20,
            ),
            viewer=viewer,
            scope=scope,
        )
        for hit in hits:
            content = hit.entry.shown.content
            meaning = meaning_in(content, code) if content.kind is EntryKind.FAULT_CODE else None
            if meaning:
                found[(model, code)] = meaning
                break
    return found


def meaning_in(content: EntryContent, code: int) -> str | None:
    """The meaning of ``code`` in a fault-code entry's title; None when it has none.

    An entry on several codes lists their meanings in order ("faults 103 and 104:
    sensor blocked, outfeed blocked"); when the counts differ the whole text is taken.
    """
    _, colon, words = content.title.partition(":")
    words = words.strip()
    if not colon or not words:
        return None
    parts = [p.strip() for p in words.split(",")]
    if len(content.fault_codes) > 1 and len(parts) == len(content.fault_codes):
        words = parts[content.fault_codes.index(code)] if code in content.fault_codes else words
    return words[:1].upper() + words[1:]

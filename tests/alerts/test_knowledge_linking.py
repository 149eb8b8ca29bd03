"""Ranking the knowledge-base entries a fault links to (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.knowledge_linking import rank_links
from models.knowledge import (
    Audience,
    EntryContent,
    EntryKind,
    EntryStatus,
    EntryVersion,
    FaultContext,
    KnowledgeEntry,
    LinkReason,
)

AT = datetime(2026, 3, 2, tzinfo=UTC)
_ids = iter(range(1, 1000))


def entry(
    title: str,
    models: tuple[str, ...] = ("FIL-12",),
    codes: tuple[int, ...] = (),
    signals: tuple[str, ...] = (),
) -> KnowledgeEntry:
    entry_id = next(_ids)
    kind = EntryKind.FAULT_CODE if codes else EntryKind.SYMPTOM
    content = EntryContent(kind, Audience.CUSTOMERS, models, title, codes, signals)
    version = EntryVersion(entry_id, 1, content, "s", "S", AT, "", None)
    return KnowledgeEntry(entry_id, None, EntryStatus.PUBLISHED, 1, 1, AT, "s", AT, "s", version)


BEARING = entry(
    "fault 201", codes=(201,), signals=("vibration_rms", "bearing_temp", "motor_current")
)
VIBRATION = entry("vibration rising", signals=("vibration_rms", "bearing_temp"))
HEAT = entry("bearing heat", models=("FIL-12", "CAP-6"), signals=("bearing_temp",))
CAPPER_201 = entry("capper 201", models=("CAP-6",), codes=(201,), signals=("vibration_rms",))
JAM = entry("infeed jam", codes=(101,))
ALL = [HEAT, JAM, CAPPER_201, VIBRATION, BEARING]


def titles(context: FaultContext) -> list[str]:
    return [link.entry.shown.content.title for link in rank_links(context, ALL)]


def test_the_fault_code_page_of_the_same_model_comes_first() -> None:
    context = FaultContext("FIL-12", frozenset({201}), frozenset({"bearing_temp"}))
    links = rank_links(context, ALL)
    # Then the articles on the signal, the one about only this signal first.
    assert [link.entry for link in links] == [BEARING, HEAT, VIBRATION]
    assert links[0].reason is LinkReason.FAULT_CODE
    assert links[0].matched_codes == (201,)
    assert links[1].reason is LinkReason.SIGNALS
    assert links[1].matched_signals == ("bearing_temp",)


def test_signals_rank_by_the_share_of_the_fault_they_cover_then_by_focus() -> None:
    both = FaultContext("FIL-12", signals=frozenset({"vibration_rms", "bearing_temp"}))
    # Both cover the two signals; the article on exactly these beats the broad page.
    assert titles(both) == ["vibration rising", "fault 201", "bearing heat"]


def test_other_models_and_entries_sharing_nothing_are_left_out() -> None:
    assert titles(FaultContext("CAP-6", frozenset({201}))) == ["capper 201"]
    assert titles(FaultContext("FIL-12", frozenset({999}), frozenset({"speed"}))) == []
    assert titles(FaultContext("LAB-2", frozenset({201}), frozenset({"vibration_rms"}))) == []


def test_the_limit_keeps_the_best() -> None:
    context = FaultContext("FIL-12", frozenset({201}), frozenset({"bearing_temp"}))
    assert [link.entry for link in rank_links(context, ALL, limit=1)] == [BEARING]

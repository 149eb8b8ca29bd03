"""What a closure teaches, as text for the knowledge base (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.knowledge_proposals import Lesson, added_content, lesson_of, redact
from models.knowledge import Audience, EntryContent, EntryKind, FaultContext
from models.service_report import (
    CapaAction,
    CapaKind,
    ReplacedPart,
    RootCauseAnalysis,
    ServiceReport,
    ServiceReportDraft,
)

AT = datetime(2026, 3, 2, 12, tzinfo=UTC)
NAMES = ("Nordbrau GmbH", "Anna Keller", "Nordbrau")


def report(**changes: object) -> ServiceReport:
    fields: dict[str, object] = {
        "symptoms": "Noise at nordbrau GmbH",
        "diagnosis": "Race pitted",
        "root_cause": "Worn bearing",
        "actions_taken": "Replaced the bearing",
        "state_before": "stopped",
        "state_after": "running",
        "failure_at": AT,
        "arrived_at": AT,
        "restored_at": AT,
        "advice": "Ask Anna Keller to check the greaser",
        "parts": (
            ReplacedPart("FIL12-BRG-KIT", "S1", 1, "main-drive"),
            ReplacedPart("FIL12-BRG-KIT", "S2", 1, "main-drive-2"),
        ),
    }
    fields.update(changes)
    return ServiceReport(1, 1, "eng", "field_engineer", AT, ServiceReportDraft(**fields))  # type: ignore[arg-type]


def test_redaction_ignores_case_and_takes_the_longest_name_first() -> None:
    assert redact("Call NORDBRAU GMBH or nordbrau", NAMES) == "Call [customer] or [customer]"
    assert redact("nothing to hide", NAMES) == "nothing to hide"


def test_the_rca_root_cause_wins_and_its_actions_follow_the_report_s() -> None:
    rca = RootCauseAnalysis(
        1,
        "Greaser starved",
        "5 whys",
        (
            CapaAction(CapaKind.PREVENTIVE, "Shorter interval", "planning"),
            CapaAction(CapaKind.CORRECTIVE, "New greaser", "field"),
        ),
        "support",
        AT,
    )
    lesson = lesson_of(report(), rca, NAMES)
    assert lesson is not None
    assert lesson.root_cause == "Greaser starved"
    assert lesson.remedies.splitlines() == [
        "- Replaced the bearing",
        "- Corrective: New greaser",
        "- Preventive: Shorter interval",
    ]
    assert lesson.symptoms == "Noise at [customer]"
    assert lesson.advice == "Ask [customer] to check the greaser"
    assert lesson.part_numbers == ("FIL12-BRG-KIT",)
    assert lesson_of(report(), None, NAMES).root_cause == "Worn bearing"  # type: ignore[union-attr]
    assert lesson_of(None, None, NAMES) is None


def test_an_addition_appends_dated_findings_once_and_is_internal() -> None:
    current = EntryContent(
        EntryKind.FAULT_CODE,
        Audience.CUSTOMERS,
        ("FIL-12",),
        "fault 201",
        fault_codes=(201,),
        signals=("vibration_rms",),
        part_numbers=("FIL12-BRG-KIT",),
        causes="Bearing wear",
        remedies="- Replaced the bearing",
    )
    lesson = Lesson("", "Greaser starved", "", "- Replaced the bearing", "", ("GREASER-1",))
    context = FaultContext("FIL-12", frozenset({201, 202}), frozenset({"bearing_temp"}))
    added = added_content(current, context, lesson, AT)
    assert added.audience is Audience.INTERNAL
    assert added.causes == "Bearing wear\n\nFrom a repair on 2026-03-02:\nGreaser starved"
    assert added.remedies == "- Replaced the bearing"  # already said: not repeated
    assert added.fault_codes == (201, 202)
    assert added.signals == ("bearing_temp", "vibration_rms")
    assert added.part_numbers == ("FIL12-BRG-KIT", "GREASER-1")
    assert added.title == current.title
    repaired = Lesson("", "Seal washed out", "", "", "", (), datetime(2026, 2, 27, tzinfo=UTC))
    assert (
        "From a repair on 2026-02-27:\nSeal washed out"
        in added_content(current, context, repaired, AT).causes
    )

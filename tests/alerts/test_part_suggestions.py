"""Ranking the parts to bring for a fault from past repairs and the knowledge base (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from alerts.part_suggestions import judge_outcomes, rank_parts
from models.part_suggestions import (
    EvidenceLevel,
    FaultSignature,
    KnowledgePrior,
    Outcome,
    PastRepair,
    ServiceRecord,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
NOW = T0 + 400 * DAY
KIT, SEAL, PROBE, SENSOR = "FIL12-BRG-KIT", "FIL12-VALVE-SEAL", "FIL12-LEVEL-PROBE", "SENS-PX-M18"
FITTING = (KIT, SEAL, PROBE, SENSOR)
_ids = count(1)


def fault(
    codes: tuple[int, ...] = (), signals: tuple[str, ...] = (), model: str = "FIL-12"
) -> FaultSignature:
    return FaultSignature(model, frozenset(codes), frozenset(signals))


def record(
    signature: FaultSignature, *parts: str, day: int = 0, machine: str = "l1-filler"
) -> ServiceRecord:
    at = T0 + day * DAY
    return ServiceRecord(next(_ids), machine, signature, parts, at, at + timedelta(hours=6))


def fixed(signature: FaultSignature, *parts: str, day: int = 0) -> PastRepair:
    return PastRepair(record(signature, *parts, day=day), Outcome.FIXED)


def numbers(fault_: FaultSignature, repairs: list[PastRepair], **kwargs: object) -> list[str]:
    return [p.part_number for p in rank_parts(fault_, repairs, **kwargs)]  # type: ignore[arg-type]


BEARING = fault((201,), ("vibration_rms", "bearing_temp"))
DRIP = fault((103,), ("fill_level",))


def test_the_repairs_of_the_same_fault_code_decide_the_order() -> None:
    history = [fixed(DRIP, SEAL, day=d) for d in range(6)] + [
        fixed(BEARING, KIT, day=10 + d) for d in range(3)
    ]

    ranked = rank_parts(fault((201,)), history, fitting=FITTING)

    assert [p.part_number for p in ranked][:2] == [KIT, SEAL]
    assert ranked[0].evidence_level is EvidenceLevel.FAULT_CODE
    assert ranked[0].evidence.used == 3
    assert ranked[0].evidence.fix_rate == 1.0
    assert ranked[0].score > 0.5
    assert "used on 3 earlier repair(s) of fault 201 on FIL-12" in ranked[0].reasons
    assert ranked[0].rank == 1


def test_without_history_the_knowledge_base_entry_leads() -> None:
    manual = KnowledgePrior(7, "FIL-12 fault 102: material missing", (PROBE,), 1.0)

    ranked = rank_parts(fault((102,)), [], [manual], fitting=FITTING)

    assert ranked[0].part_number == PROBE
    assert ranked[0].knowledge_entries == ("FIL-12 fault 102: material missing",)
    assert ranked[0].evidence.used == 0
    assert "the knowledge base names it: FIL-12 fault 102: material missing" in ranked[0].reasons


def test_a_fault_without_a_code_is_matched_by_its_driving_signals() -> None:
    history = [
        fixed(fault((), ("vibration_rms", "bearing_temp")), KIT, day=1),
        fixed(fault((), ("vibration_rms", "bearing_temp", "motor_current")), KIT, day=2),
        fixed(fault((), ("fill_level",)), SEAL, day=3),
        fixed(fault((), ("fill_level",)), SEAL, day=4),
        fixed(fault((), ("fill_level",)), SEAL, day=5),
    ]

    ranked = rank_parts(fault((), ("vibration_rms",)), history, fitting=FITTING)

    assert ranked[0].part_number == KIT
    assert ranked[0].evidence_level is EvidenceLevel.SIGNALS


def test_a_part_after_which_the_fault_came_back_ranks_below_one_that_held() -> None:
    history = [
        PastRepair(record(BEARING, SENSOR, day=1), Outcome.REPEATED),
        PastRepair(record(BEARING, SENSOR, day=2), Outcome.REPEATED),
        fixed(BEARING, KIT, day=3),
        fixed(BEARING, KIT, day=4),
    ]

    ranked = rank_parts(BEARING, history, fitting=FITTING)

    assert [p.part_number for p in ranked][:2] == [KIT, SENSOR]
    sensor = ranked[1].evidence
    assert (sensor.used, sensor.fixed, sensor.judged) == (2, 0, 2)


def test_only_parts_that_fit_the_model_and_its_own_repairs_count() -> None:
    capper = fault((201,), model="CAP-6")
    history = [
        PastRepair(record(capper, "CAP6-CHUCK", day=d, machine="l1-capper"), Outcome.FIXED)
        for d in range(5)
    ] + [fixed(BEARING, "NOT-A-FILLER-PART")]

    suggested = numbers(BEARING, history, fitting=FITTING)

    assert sorted(suggested) == sorted(FITTING)  # nothing else, and no evidence to order by


def test_no_history_no_knowledge_no_catalogue_suggests_nothing() -> None:
    assert rank_parts(BEARING, []) == []


def test_a_repair_is_repeated_when_the_same_fault_returns_on_the_machine_within_30_days() -> None:
    first = record(BEARING, KIT, day=0)
    back = record(fault((201,)), KIT, day=20)  # same code, same machine, day 20
    other_machine = record(DRIP, SEAL, day=1, machine="l2-filler")
    unrelated = record(DRIP, SEAL, day=5)  # other fault on the same machine
    late = record(BEARING, day=200)  # long after the second repair's window

    judged = {
        r.record.ticket_id: r.outcome
        for r in judge_outcomes([first, back, other_machine, unrelated, late], now=NOW)
    }

    assert judged[first.ticket_id] is Outcome.REPEATED
    assert judged[back.ticket_id] is Outcome.FIXED
    assert judged[other_machine.ticket_id] is Outcome.FIXED
    assert judged[unrelated.ticket_id] is Outcome.FIXED
    assert late.ticket_id not in judged  # no parts used: not a repair


def test_a_repair_is_pending_until_its_window_passed_and_a_later_repeat_is_not_seen_early() -> None:
    first = record(BEARING, KIT, day=0)
    back = record(BEARING, KIT, day=20)

    early = judge_outcomes([first, back], now=T0 + 10 * DAY)
    assert [r.outcome for r in early] == [Outcome.PENDING, Outcome.PENDING]
    later = judge_outcomes([first, back], now=T0 + 21 * DAY)
    assert later[0].outcome is Outcome.REPEATED

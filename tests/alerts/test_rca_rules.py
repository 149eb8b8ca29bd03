"""When a root cause analysis is required before archiving, and when one is complete."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alerts.rca_rules import archive_blocker, rca_gaps, rca_requirement
from models.service_report import CapaAction, CapaKind, RcaSubject, RootCauseAnalysis

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def subject(ticket_id: int = 2, **changes: object) -> RcaSubject:
    base = RcaSubject(
        ticket_id=ticket_id,
        number=f"LC-2026-{ticket_id:06d}",
        machine_id="l1-filler",
        severity="serious",
        received_at=T0,
        fault_codes=frozenset(),
        signals=frozenset(),
        from_warning=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def earlier(days: float, **changes: object) -> RcaSubject:
    return subject(1, received_at=T0 - timedelta(days=days), **changes)


def test_a_major_fault_needs_an_rca() -> None:
    requirement = rca_requirement(subject(severity="major"), [])
    assert requirement.required and requirement.reasons == ("major fault",)


def test_a_single_serious_fault_does_not() -> None:
    assert not rca_requirement(subject(fault_codes=frozenset({41})), []).required


def test_the_same_fault_code_on_the_same_machine_within_30_days_repeats() -> None:
    now = subject(fault_codes=frozenset({41, 7}))
    requirement = rca_requirement(now, [earlier(29, fault_codes=frozenset({41})), now])
    assert requirement.required
    assert requirement.reasons == (
        "repeat fault: PLC fault code 41 on l1-filler as in ticket LC-2026-000001"
        " less than 30 days before",
    )


def test_no_repeat_after_30_days_on_another_machine_or_with_another_code() -> None:
    now = subject(fault_codes=frozenset({41}))
    others = [
        earlier(31, fault_codes=frozenset({41})),
        earlier(3, fault_codes=frozenset({41}), machine_id="l1-capper"),
        earlier(3, fault_codes=frozenset({42})),
    ]
    assert not rca_requirement(now, others).required


def test_a_later_ticket_does_not_make_this_one_a_repeat() -> None:
    later = subject(1, received_at=T0 + timedelta(days=2), fault_codes=frozenset({41}))
    assert not rca_requirement(subject(fault_codes=frozenset({41})), [later]).required


def test_warnings_repeat_when_the_same_signal_drives_them() -> None:
    now = subject(from_warning=True, signals=frozenset({"bearing_temp", "vibration_rms"}))
    again = earlier(10, from_warning=True, signals=frozenset({"vibration_rms"}))
    requirement = rca_requirement(now, [again])
    assert requirement.reasons == (
        "repeat warning: vibration_rms on l1-filler as in ticket LC-2026-000001"
        " less than 30 days before",
    )
    # A person's request naming the same signal is no repeated warning.
    assert not rca_requirement(now, [replace(again, from_warning=False)]).required


def test_a_major_repeat_gives_both_reasons() -> None:
    now = subject(severity="major", fault_codes=frozenset({41}))
    reasons = rca_requirement(now, [earlier(1, fault_codes=frozenset({41}))]).reasons
    assert reasons[0] == "major fault" and reasons[1].startswith("repeat fault")


def rca(
    *actions: CapaAction, cause: str = "worn bearing: lubrication interval too long"
) -> RootCauseAnalysis:
    return RootCauseAnalysis(2, cause, "5 whys", actions, "support-lead", T0)


FIX = CapaAction(CapaKind.CORRECTIVE, "replace bearing", "field")
PREVENT = CapaAction(CapaKind.PREVENTIVE, "halve the lubrication interval", "planning")


def test_an_rca_needs_a_cause_and_both_kinds_of_action() -> None:
    assert rca_gaps(rca(FIX, PREVENT)) == []
    assert rca_gaps(rca(FIX)) == ["a preventive action"]
    assert rca_gaps(rca(PREVENT, cause=" ")) == ["the root cause", "a corrective action"]


def test_archiving_is_blocked_until_a_complete_rca_exists() -> None:
    required = rca_requirement(subject(severity="major"), [])
    missing = archive_blocker(required, None, ticket_id=2)
    assert missing is not None
    assert "required before archiving (major fault)" in missing
    assert "PUT /api/tickets/2/rca" in missing
    partial = archive_blocker(required, rca(FIX), ticket_id=2)
    assert partial == "the root cause analysis lacks a preventive action (major fault)"
    assert archive_blocker(required, rca(FIX, PREVENT), ticket_id=2) is None
    assert archive_blocker(rca_requirement(subject(), []), None, ticket_id=2) is None

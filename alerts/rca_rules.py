"""Whether a ticket needs a root cause analysis before it is archived, and whether one is
complete. Pure.

DOMAIN.md ("After the visit") makes RCA with corrective and preventive actions
mandatory for major faults and for repeated faults. A fault repeats when the same
machine had another ticket within ``REPEAT_WINDOW`` before this one, and both
carry the same PLC fault code, or, for warnings, share a signal that drove them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from models.plant import Severity
from models.service_report import CapaKind, RcaRequirement, RcaSubject, RootCauseAnalysis

REPEAT_WINDOW = timedelta(days=30)


def repeat_reasons(subject: RcaSubject, earlier: Iterable[RcaSubject]) -> list[str]:
    """One sentence per earlier ticket this one repeats, oldest first."""
    reasons = []
    for other in sorted(earlier, key=lambda t: t.received_at):
        if other.ticket_id == subject.ticket_id or other.machine_id != subject.machine_id:
            continue
        if not subject.received_at - REPEAT_WINDOW <= other.received_at <= subject.received_at:
            continue
        codes = sorted(subject.fault_codes & other.fault_codes)
        if codes:
            listed = ", ".join(str(c) for c in codes)
            reasons.append(
                f"repeat fault: PLC fault code {listed} on {subject.machine_id}"
                f" as in ticket {other.number} less than 30 days before"
            )
            continue
        signals = sorted(subject.signals & other.signals)
        if subject.from_warning and other.from_warning and signals:
            reasons.append(
                f"repeat warning: {', '.join(signals)} on {subject.machine_id}"
                f" as in ticket {other.number} less than 30 days before"
            )
    return reasons


def rca_requirement(subject: RcaSubject, earlier: Iterable[RcaSubject]) -> RcaRequirement:
    """Required for a major fault or a repeat fault; the reasons say which and why."""
    reasons = []
    if subject.severity == Severity.MAJOR.value:
        reasons.append("major fault")
    reasons.extend(repeat_reasons(subject, earlier))
    return RcaRequirement(required=bool(reasons), reasons=tuple(reasons))


def rca_gaps(rca: RootCauseAnalysis) -> list[str]:
    """What a root cause analysis still lacks; empty when it is complete."""
    gaps = []
    if not rca.root_cause.strip():
        gaps.append("the root cause")
    if not rca.actions_of(CapaKind.CORRECTIVE):
        gaps.append("a corrective action")
    if not rca.actions_of(CapaKind.PREVENTIVE):
        gaps.append("a preventive action")
    return gaps


def archive_blocker(
    requirement: RcaRequirement, rca: RootCauseAnalysis | None, *, ticket_id: int
) -> str | None:
    """Why the ticket cannot be archived yet for want of an RCA, or None."""
    if not requirement.required:
        return None
    why = "; ".join(requirement.reasons)
    if rca is None:
        return (
            "a root cause analysis with corrective and preventive actions is required"
            f" before archiving ({why}): record it with PUT /api/tickets/{ticket_id}/rca"
        )
    gaps = rca_gaps(rca)
    if gaps:
        return f"the root cause analysis lacks {' and '.join(gaps)} ({why})"
    return None

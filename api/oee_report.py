"""Grouping OEE results of a line and its machines into one row per shift."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from api.schemas.oee import OeeFiguresPublic, OeeShiftPublic
from models.oee import OeeResult, OeeScope


def shifts_newest_first(
    results: Iterable[OeeResult],
    machine_order: Sequence[str],
    *,
    measured_until: datetime | None = None,
) -> list[OeeShiftPublic]:
    """One entry per shift start, the line's figures apart, machines in line order.

    ``measured_until`` is the line's newest data: a shift ending after it is still
    in progress, and its figures cover only its first part.
    """
    by_start: dict[datetime, list[OeeResult]] = {}
    for result in results:
        by_start.setdefault(result.shift_start, []).append(result)
    position = {machine_id: i for i, machine_id in enumerate(machine_order)}
    shifts = []
    for group in by_start.values():
        line = next((r for r in group if r.scope is OeeScope.LINE), None)
        machines = sorted(
            (r for r in group if r.scope is OeeScope.MACHINE),
            key=lambda r: position.get(r.subject_id, len(position)),
        )
        first = group[0]
        in_progress = measured_until is not None and first.shift_end > measured_until
        shifts.append(
            OeeShiftPublic(
                shift_name=first.shift_name,
                shift_start=first.shift_start,
                shift_end=first.shift_end,
                in_progress=in_progress,
                counted_until=measured_until if in_progress else first.shift_end,
                line=OeeFiguresPublic.of(line) if line is not None else None,
                machines=[OeeFiguresPublic.of(m) for m in machines],
            )
        )
    return sorted(shifts, key=lambda s: s.shift_start, reverse=True)

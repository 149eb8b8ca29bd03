"""Storing OEE results per scope, subject and shift, and reading them back per shift,
per period (day, week, month in the plant's time) or over any range.

Periods and ranges are added up in SQL from the stored shifts (times, counts,
losses) and rated again with ``models.oee_ratios.rate``, never averaged.
A shift belongs to the period or range its start falls in; shift results are
never split.

The recompute queue (``oee_recompute_queue``) is kept here too: which machines
have telemetry whose shifts still have to be recomputed, and from when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from models.oee import LossCategory, LossEntry, OeeResult, OeeScope
from models.oee_ratios import OeeTotals, rate
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

Period = Literal["shift", "day", "week", "month"]

_LOSS_COLUMNS = [f"{c.value}_{part}" for c in LossCategory for part in ("s", "n")]
_COLUMNS = [
    "scope",
    "subject_id",
    "shift_name",
    "shift_start",
    "shift_end",
    "planned_busy_s",
    "running_s",
    "setup_s",
    "breakdown_s",
    "stop_s",
    "idle_s",
    "unknown_s",
    "good_count",
    "reject_count",
    "ideal_output_s",
    "availability",
    "performance",
    "quality",
    "oee",
    "performance_flagged",
    *_LOSS_COLUMNS,
]
_KEY = {"scope", "subject_id", "shift_start"}

# A shift is recomputed while it runs and whenever late data reaches it; the latest
# figures win. Column names come from the constants above, never from input.
_UPSERT = (
    f"INSERT INTO oee_results ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    " ON CONFLICT (scope, subject_id, shift_start) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c not in _KEY)
    + ", computed_at = now()"
)

# The subjects asked for, of the customer scope's machines or lines only. The keyword
# ``scope`` already names what a result rates (OeeScope): the customer's is
# ``customer_scope`` here.
_SUBJECTS = f"""scope = %(scope)s AND subject_id = ANY(%(subjects)s)
  AND CASE WHEN scope = 'machine' THEN {scope_filter("machine", "subject_id")}
           ELSE {scope_filter("line", "subject_id")} END"""

_LIST = f"""
SELECT {", ".join(_COLUMNS)} FROM oee_results
WHERE {_SUBJECTS}
  AND shift_end > %(since)s AND shift_start < %(until)s
ORDER BY subject_id, shift_start
"""

_SHIFTS_STARTING = f"""
SELECT {", ".join(_COLUMNS)} FROM oee_results
WHERE {_SUBJECTS}
  AND shift_start >= %(since)s AND shift_start < %(until)s
ORDER BY subject_id, shift_start
"""

# What adds up across shifts: times, counts, losses; a flag in any shift taints the sum.
_SUMS = ", ".join(
    f"sum({c})"
    for c in (
        "running_s",
        "setup_s",
        "breakdown_s",
        "stop_s",
        "idle_s",
        "unknown_s",
        "good_count",
        "reject_count",
        "ideal_output_s",
        *_LOSS_COLUMNS,
    )
)

_RANGE = f"""
SELECT subject_id, bool_or(performance_flagged), {_SUMS}
FROM oee_results
WHERE {_SUBJECTS}
  AND shift_start >= %(since)s AND shift_start < %(until)s
GROUP BY subject_id
ORDER BY subject_id
"""

# Periods are cut in the plant's local time: a day from local midnight to midnight
# (23 or 25 hours across a DST change), a week from Monday, a month from the 1st.
_PERIODS = f"""
SELECT subject_id, date_trunc(%(unit)s, shift_start AT TIME ZONE %(zone)s) AS local_start,
       bool_or(performance_flagged), {_SUMS}
FROM oee_results
WHERE {_SUBJECTS}
  AND shift_start >= %(since)s AND shift_start < %(until)s
GROUP BY subject_id, local_start
ORDER BY subject_id, local_start
"""

_CLAIM_LATE_DATA = """
WITH taken AS (DELETE FROM telemetry_pending_analysis RETURNING machine_id, since)
INSERT INTO oee_recompute_queue AS q (machine_id, since)
SELECT machine_id, min(since) FROM taken GROUP BY machine_id
ON CONFLICT (machine_id) DO UPDATE SET since = LEAST(q.since, EXCLUDED.since)
"""


def _losses(values: Sequence[Any]) -> tuple[LossEntry, ...]:
    """Loss entries from (seconds, count) pairs in ``LossCategory`` order."""
    return tuple(
        LossEntry(category, float(values[2 * i]), float(values[2 * i + 1]))
        for i, category in enumerate(LossCategory)
    )


def _row(result: OeeResult) -> tuple[object, ...]:
    loss_values = []
    for category in LossCategory:
        entry = result.loss(category)
        loss_values += [entry.seconds, entry.count]
    return (
        str(result.scope),
        result.subject_id,
        result.shift_name,
        result.shift_start,
        result.shift_end,
        result.planned_busy_s,
        result.running_s,
        result.setup_s,
        result.breakdown_s,
        result.stop_s,
        result.idle_s,
        result.unknown_s,
        result.good_count,
        result.reject_count,
        result.ideal_output_s,
        result.availability,
        result.performance,
        result.quality,
        result.oee,
        result.performance_flagged,
        *loss_values,
    )


def _result(row: Sequence[Any]) -> OeeResult:
    return OeeResult(
        scope=OeeScope(row[0]),
        subject_id=row[1],
        shift_name=row[2],
        shift_start=row[3],
        shift_end=row[4],
        planned_busy_s=row[5],
        running_s=row[6],
        setup_s=row[7],
        breakdown_s=row[8],
        stop_s=row[9],
        idle_s=row[10],
        unknown_s=row[11],
        good_count=row[12],
        reject_count=row[13],
        ideal_output_s=row[14],
        availability=row[15],
        performance=row[16],
        quality=row[17],
        oee=row[18],
        performance_flagged=row[19],
        losses=_losses(row[20:]),
    )


def _totals(sums: Sequence[Any]) -> OeeTotals:
    """Totals from the ``_SUMS`` columns."""
    return OeeTotals(
        running_s=sums[0],
        setup_s=sums[1],
        breakdown_s=sums[2],
        stop_s=sums[3],
        idle_s=sums[4],
        unknown_s=sums[5],
        good=sums[6],
        reject=sums[7],
        ideal_output_s=sums[8],
        losses=_losses(sums[9:]),
    )


def _rated(
    scope: OeeScope,
    subject_id: str,
    flagged: bool,
    sums: Sequence[Any],
    *,
    name: str,
    start: datetime,
    end: datetime,
) -> OeeResult:
    result = rate(
        _totals(sums), scope=scope, subject_id=subject_id, name=name, start=start, end=end
    )
    if flagged and not result.performance_flagged:
        # A sum holding a flagged shift holds its suspect counts too.
        return replace(result, performance_flagged=True)
    return result


async def upsert_oee(conn: Connection, *, results: Sequence[OeeResult]) -> None:
    """Store results in one transaction, replacing earlier figures for the same shift."""
    if not results:
        return
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(_UPSERT, [_row(r) for r in results])


def _params(
    scope: OeeScope,
    subject_ids: Sequence[str],
    since: datetime,
    until: datetime,
    customer_scope: CustomerScope,
) -> dict[str, object]:
    return {
        "scope": str(scope),
        "subjects": list(subject_ids),
        "since": since,
        "until": until,
        **customer_scope.params,
    }


async def list_oee(
    conn: Connection,
    *,
    scope: OeeScope,
    subject_ids: Sequence[str],
    since: datetime,
    until: datetime,
    customer_scope: CustomerScope,
) -> list[OeeResult]:
    """Results of the given machines or lines for shifts overlapping ``[since, until)``,
    ordered by subject and shift start; none of subjects outside the customer scope."""
    cursor = await conn.execute(_LIST, _params(scope, subject_ids, since, until, customer_scope))
    return [_result(row) for row in await cursor.fetchall()]


async def oee_for_range(
    conn: Connection,
    *,
    scope: OeeScope,
    subject_ids: Sequence[str],
    since: datetime,
    until: datetime,
    customer_scope: CustomerScope,
) -> list[OeeResult]:
    """One result per subject over ``[since, until)``: the stored shifts starting in it,
    times, counts and losses added up and the ratios taken again.

    The result is named "range" and spans ``since`` to ``until``; a subject
    without any stored shift in the range, or outside the customer scope, is absent.
    """
    cursor = await conn.execute(_RANGE, _params(scope, subject_ids, since, until, customer_scope))
    return [
        _rated(scope, row[0], row[1], row[2:], name="range", start=since, end=until)
        for row in await cursor.fetchall()
    ]


@dataclass(frozen=True, slots=True)
class _LocalPeriod:
    unit: str
    step: timedelta | None  # None: a calendar month
    label: str


_LOCAL_PERIODS = {
    "day": _LocalPeriod("day", timedelta(days=1), "%Y-%m-%d"),
    "week": _LocalPeriod("week", timedelta(days=7), "%G-W%V"),
    "month": _LocalPeriod("month", None, "%Y-%m"),
}


def _period_bounds(
    local_start: datetime, period: _LocalPeriod, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """A period's start and end as instants, from its local wall-clock start."""
    if period.step is not None:
        local_end = local_start + period.step
    elif local_start.month == 12:
        local_end = local_start.replace(year=local_start.year + 1, month=1)
    else:
        local_end = local_start.replace(month=local_start.month + 1)
    return (
        local_start.replace(tzinfo=zone).astimezone(UTC),
        local_end.replace(tzinfo=zone).astimezone(UTC),
    )


async def oee_by_period(
    conn: Connection,
    *,
    scope: OeeScope,
    subject_ids: Sequence[str],
    since: datetime,
    until: datetime,
    period: Period,
    timezone: str,
    customer_scope: CustomerScope,
) -> list[OeeResult]:
    """Results per shift, local day, ISO week or month for trend charts, ordered by
    subject and period start.

    A shift counts in the period its start falls in (a night shift in the day it
    began), and only shifts starting in ``[since, until)`` count. Each period
    result spans its whole local period and is named like "2026-01-05",
    "2026-W02" or "2026-01"; with ``period="shift"`` the stored shift results
    are returned as they are. Subjects outside the customer scope have none.
    """
    params = _params(scope, subject_ids, since, until, customer_scope)
    if period == "shift":
        cursor = await conn.execute(_SHIFTS_STARTING, params)
        return [_result(row) for row in await cursor.fetchall()]
    local = _LOCAL_PERIODS[period]
    zone = ZoneInfo(timezone)
    cursor = await conn.execute(_PERIODS, {**params, "unit": local.unit, "zone": timezone})
    results = []
    for subject_id, local_start, flagged, *sums in await cursor.fetchall():
        start, end = _period_bounds(local_start, local, zone)
        name = local_start.strftime(local.label)
        results.append(_rated(scope, subject_id, flagged, sums, name=name, start=start, end=end))
    return results


async def claim_late_data(conn: Connection) -> dict[str, datetime]:
    """Move the telemetry writer's late-data marks into the recompute queue, in one
    short transaction, and return the whole queue: machine id -> recompute from.

    The writer's marks are cleared at once, so batches written from now on mark
    again; the queue keeps the work until ``recomputed`` or ``forget_recomputed``.
    """
    async with conn.transaction():
        await conn.execute(_CLAIM_LATE_DATA)
        cursor = await conn.execute("SELECT machine_id, since FROM oee_recompute_queue")
        return {machine_id: since for machine_id, since in await cursor.fetchall()}


async def recomputed(conn: Connection, *, machine_ids: Sequence[str], until: datetime) -> None:
    """Record that the machines' shifts before ``until`` are recomputed; call it in the
    transaction that stores them."""
    await conn.execute(
        "UPDATE oee_recompute_queue SET since = %s WHERE machine_id = ANY(%s) AND since < %s",
        (until, list(machine_ids), until),
    )


async def forget_recomputed(conn: Connection, *, machine_ids: Sequence[str]) -> None:
    """Drop the machines from the queue once everything up to now is recomputed."""
    await conn.execute(
        "DELETE FROM oee_recompute_queue WHERE machine_id = ANY(%s)", (list(machine_ids),)
    )

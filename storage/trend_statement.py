"""The one statement a trend read runs: a read plan's spans bucketed on the grid.

It takes a ``storage.trend_pieces.ReadPlan`` as parameters, in a fixed shape so
every read shares one prepared statement: two spans per stored level, two raw
spans, and two spans of whole buckets to fill, either re-bucketed from their
level or, at the level's own width, read as they are stored. An unused span is
empty.

It answers with a first row holding the machine's rollup state, present only
within the reader's scope, and whether the rollups still are as the plan
assumed; then, only if they are, one row per part (the edges before and after
the whole buckets, the whole buckets filled) and signal: each figure as a JSON
array in time order with the grid slots its buckets take. Both conditions are
checked once, on the way out: a check in every span cost more than what the rare
plan that no longer holds reads in vain. The database prints the numbers:
parsing and printing thousands of them in Python cost more than the query itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from psycopg.types.numeric import Int4, Int8

from models.intervals import Interval
from storage.customer_scope import scope_filter
from storage.trend_cache import RollupState
from storage.trend_pieces import NOTHING_ROLLED_UP, ReadPlan
from storage.trend_rollups import FINEST, LEVELS_S

# The parts of the answer: the edges before the whole buckets, the edges after them
# (each one run of slots, as a rule), and the whole buckets filled for the cache.
HEAD, TAIL, FILLS = 0, 1, 2
# What the edge pieces are marked with before bucketing tells head from tail by slot.
_EDGE_PIECE = -1
_NO_WHOLE_BUCKETS = 2**31 - 1
SPANS_PER_LEVEL = 2
RAW_SPANS = 2
FILL_SPANS = 2
_UNUSED = Interval(datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 1, 1, tzinfo=UTC))

# Rollups are complete before the machine's mark, lowered by late data still pending
# (LEAST skips a missing pending mark); a machine never rolled up has nothing rolled
# up. The plan holds while the revision is the one it was made for and the rollups
# reach at least as far as it assumed; a plan that assumes nothing rolled up holds
# whatever they are (``checks`` false).
_STATE = f"""
state AS (
    SELECT COALESCE(s.revision, 0) AS revision,
           COALESCE(CASE WHEN s.rolled_up_until IS NOT NULL THEN LEAST(
               s.rolled_up_until,
               (SELECT time_bucket(%(finest)s::interval, since) FROM trend_rollups_pending
                WHERE machine_id = %(machine)s)
           ) END, %(nothing_rolled_up)s) AS complete
    FROM (SELECT) AS one
    LEFT JOIN trend_rollup_state AS s ON s.machine_id = %(machine)s
    WHERE {scope_filter("machine", "%(machine)s")}
),
checked AS (
    SELECT NOT %(checks)s OR (revision = %(revision)s AND complete >= %(assumed)s) AS holds
    FROM state
)"""


def _stored(part: int, level: str, lo: str, hi: str) -> str:
    return f"""
    SELECT {part}, signal, bucket, avg_value * samples, min_value, max_value, samples
    FROM trend_rollups
    WHERE level_s = {level} AND machine_id = %(machine)s AND signal = ANY(%(signals)s)
      AND bucket >= %({lo})s AND bucket < %({hi})s"""


def _raw(lo: str, hi: str) -> str:
    return f"""
    SELECT {_EDGE_PIECE}, signal, time, value, value, value, 1::bigint
    FROM telemetry
    WHERE machine_id = %(machine)s AND signal = ANY(%(signals)s)
      AND time >= %({lo})s AND time < %({hi})s"""


def _level_spans(level_s: int) -> list[str]:
    return [
        _stored(_EDGE_PIECE, str(level_s), f"l{level_s}_{i}_lo", f"l{level_s}_{i}_hi")
        for i in range(SPANS_PER_LEVEL)
    ]


_PIECES = " UNION ALL".join(
    [
        *(span for level_s in LEVELS_S for span in _level_spans(level_s)),
        *(_raw(f"raw_{i}_lo", f"raw_{i}_hi") for i in range(RAW_SPANS)),
        *(
            _stored(FILLS, "%(fill_level)s", f"fill_{i}_lo", f"fill_{i}_hi")
            for i in range(FILL_SPANS)
        ),
    ]
)

# Whole buckets of the fill level's own width: the stored rows are the buckets.
_LEVEL_FILLS = " UNION ALL".join(
    f"""
    SELECT {FILLS}, signal, bucket, avg_value, min_value, max_value, samples
    FROM trend_rollups
    WHERE level_s = %(fill_level)s AND machine_id = %(machine)s AND signal = ANY(%(signals)s)
      AND bucket >= %(level_fill_{i}_lo)s AND bucket < %(level_fill_{i}_hi)s"""
    for i in range(FILL_SPANS)
)

# Sorted once and aggregated in that order, grouped by the same bytewise name order
# so a grouping sort cannot reshuffle them (PostgreSQL 15 sorts once per ordered
# aggregate; sorting on collated names cost more than the rest of the query).
STATEMENT = f"""
WITH {_STATE},
pieces (part, signal, time, total, low, high, samples) AS ({_PIECES}
),
buckets AS (
    SELECT part, signal, time_bucket(%(width)s::interval, time) AS bucket,
           sum(total) / sum(samples) AS avg, min(low) AS low, max(high) AS high,
           sum(samples) AS samples
    FROM pieces
    GROUP BY part, signal, bucket
    UNION ALL{_LEVEL_FILLS}
),
slotted AS (
    SELECT part, signal, avg, low, high, samples,
           round(date_part('epoch', bucket - %(first)s::timestamptz) / %(width_s)s)::integer
               AS slot
    FROM buckets
),
ordered AS (
    SELECT CASE WHEN part = {FILLS} THEN {FILLS}
                WHEN slot < %(whole_slot)s THEN {HEAD} ELSE {TAIL} END AS part,
           signal, avg, low, high, samples, slot
    FROM slotted
    ORDER BY 1, signal COLLATE "C", slot
)
SELECT NULL::integer, NULL::text, NULL::integer, NULL::integer, NULL::text,
       NULL::text, NULL::text, NULL::text, NULL::text,
       revision, complete, (SELECT holds FROM checked)
FROM state
UNION ALL
SELECT part, signal COLLATE "C", min(slot), max(slot),
       CASE WHEN max(slot) - min(slot) + 1 > count(*) THEN to_json(array_agg(slot))::text END,
       to_json(array_agg(avg::float8))::text,
       to_json(array_agg(low::float8))::text,
       to_json(array_agg(high::float8))::text,
       to_json(array_agg(samples::bigint))::text,
       NULL::bigint, NULL::timestamptz, NULL::boolean
FROM ordered
WHERE (SELECT holds FROM checked)
GROUP BY part, signal COLLATE "C"
"""


def _numbered(statement: str) -> tuple[str, tuple[str, ...]]:
    """``statement`` with ``$n`` placeholders, and the parameter names in their order.

    Converted once here: psycopg parses a statement this long on every execution
    (it caches only short ones), which cost a tenth of a cached trend read.
    """
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PLACEHOLDER.sub(number, statement), tuple(names)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
NUMBERED_STATEMENT, _PARAMETER_ORDER = _numbered(STATEMENT)


def positional(parameters: dict[str, object]) -> list[object]:
    """Named parameters in the order of ``NUMBERED_STATEMENT``'s placeholders."""
    return [parameters[name] for name in _PARAMETER_ORDER]


def statement_parameters(
    plan: ReadPlan,
    *,
    machine_id: str,
    signals: Sequence[str],
    first: datetime,
    checked: RollupState | None,
) -> dict[str, object]:
    """The plan's spans, slot by slot, and the rollup state it was made for; None
    reads without checking (a plan that assumes nothing rolled up holds anyway).

    Numbers are typed, so every read prepares the same statement: psycopg keys a
    prepared statement by its parameters' types, and picks the smallest for an int.
    """
    parameters: dict[str, object] = {
        "machine": machine_id,
        "signals": list(signals),
        "finest": FINEST,
        "width": plan.width,
        "width_s": plan.width.total_seconds(),
        "first": first,
        "checks": checked is not None,
        "revision": Int8(checked.revision if checked is not None else 0),
        "assumed": checked.complete if checked is not None else NOTHING_ROLLED_UP,
        "nothing_rolled_up": NOTHING_ROLLED_UP,
        "fill_level": Int4(plan.fill_level_s or 0),
        "whole_slot": Int4(
            _NO_WHOLE_BUCKETS if plan.whole.empty else (plan.whole.start - first) // plan.width
        ),
    }
    for level_s in LEVELS_S:
        spans = [stored.span for stored in plan.edges.stored if stored.level_s == level_s]
        parameters |= _slots(f"l{level_s}", spans, SPANS_PER_LEVEL)
    parameters |= _slots("raw", list(plan.edges.raw), RAW_SPANS)
    # Fills at the level's own width skip the re-bucketing (``_LEVEL_FILLS``).
    as_stored = plan.fill_level_s is not None and plan.width.total_seconds() == plan.fill_level_s
    parameters |= _slots("fill", [] if as_stored else list(plan.fills), FILL_SPANS)
    parameters |= _slots("level_fill", list(plan.fills) if as_stored else [], FILL_SPANS)
    return parameters


def _slots(prefix: str, spans: list[Interval], slots: int) -> dict[str, object]:
    if len(spans) > slots:
        raise ValueError(f"a read plan with {len(spans)} {prefix} spans; the statement has {slots}")
    padded = spans + [_UNUSED] * (slots - len(spans))
    parameters: dict[str, object] = {}
    for i, span in enumerate(padded):
        parameters[f"{prefix}_{i}_lo"] = span.start
        parameters[f"{prefix}_{i}_hi"] = span.end
    return parameters

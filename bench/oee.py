"""OEE benchmark: ``python -m bench.oee [--quick]``.

On a throwaway TimescaleDB cluster it generates a month of 1 Hz telemetry for a
six-machine line (``--quick``: 3 days, 3 machines), then measures

- ``recompute_s``: a full recompute of every shift of the line, as the analytics
  job does it when it first meets the data (SQL tallies, stored results);
- ``pandas_recompute_s``: a straightforward pandas implementation of the same
  per-shift figures (A, P, Q, OEE per machine and shift) on the same data: the
  raw rows of each machine loaded into a DataFrame, a 1 s grid, ``groupby``
  and ``diff``; ``speedup_vs_pandas`` is their ratio;
- ``report_ms``: serving a month report from stored results (range figures of
  the line and its machines, the daily trend, the downtime Pareto, the stops
  and MTBF/MTTR), the median of several runs.

The last line printed is one JSON object with these keys and some context.

The data: per machine, state, fault code and product on change, the good and
reject counters on change (a counter changes almost every second while the
machine runs), vibration every 10 s, bearing temperature and motor current
every 30 s: about 15 million rows for the month.
Machines run three shifts a day with breaks, micro-stops every ~15 minutes,
a changeover every ~3 hours and a breakdown every few days; one machine's
counter wraps at 2**32 and another's is reset. Rows go into the hypertable in
time order, interleaved across machines, as collectors write them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import struct
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg

from analytics.oee_calculation import OeeRules
from analytics.oee_refresh import refresh_oee
from analytics.shift_calendar import ShiftWindow, shift_windows
from models.oee import OeeScope
from models.plant import Plant
from models.states import PackMLState
from services import postgres_cluster
from services.free_ports import free_port
from services.postgres_cluster import ClusterSpec, dsn
from storage.asset_registry import sync_assets
from storage.connections import Pool
from storage.customer_scope import EVERY_CUSTOMER
from storage.database import ensure_database, open_pool
from storage.downtime_store import downtime_pareto, list_downtimes
from storage.oee_store import list_oee, oee_by_period, oee_for_range
from storage.reliability_store import machine_reliability
from storage.schema_migrations import migrate

PG_BIN_DIR = Path("/usr/lib/postgresql/15/bin")
ZONE = "Europe/Berlin"
LINE = "bench-line"
START = datetime(2026, 3, 2, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)  # a month across a DST change
MAX_GAP_S = 120.0
REPORT_RUNS = 9
CYCLES = {1: 0.5, 2: 0.75}
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

EXECUTE, IDLE, SUSPENDED = int(PackMLState.EXECUTE), int(PackMLState.IDLE), PackMLState.SUSPENDED
STOPPED, RESETTING, STARTING = PackMLState.STOPPED, PackMLState.RESETTING, PackMLState.STARTING
HELD, ABORTED = PackMLState.HELD, PackMLState.ABORTED


def bench_plant(machines: int) -> Plant:
    return Plant.model_validate(
        {
            "products": [
                {"code": code, "name": f"product {code}", "ideal_cycle_s": cycle}
                for code, cycle in CYCLES.items()
            ],
            "fault_reasons": {101: "Infeed jam", 201: "Main drive bearing failure"},
            "customers": [
                {
                    "id": "bench",
                    "name": "Bench",
                    "contact": {"name": "Bench"},
                    "contract": {"number": "BENCH"},
                    "sites": [
                        {
                            "id": "bench-site",
                            "name": "Bench site",
                            "timezone": ZONE,
                            "calendar": {
                                "working_days": [1, 2, 3, 4, 5, 6, 7],
                                "shifts": [
                                    {
                                        "name": name,
                                        "start": f"{h:02d}:00",
                                        "end": f"{(h + 8) % 24:02d}:00",
                                        "breaks": [
                                            {
                                                "name": "break",
                                                "start": f"{(h + 4) % 24:02d}:00",
                                                "end": f"{(h + 4) % 24:02d}:30",
                                            }
                                        ],
                                    }
                                    for name, h in (("early", 6), ("late", 14), ("night", 22))
                                ],
                            },
                            "lines": [
                                {
                                    "id": LINE,
                                    "name": "Bench line",
                                    "model": "BENCH",
                                    "serial": "BENCH",
                                    "acceptance_date": "2025-01-01",
                                    "source": {
                                        "protocol": "mqtt",
                                        "topic_template": "b/{line}/{machine}",
                                    },
                                    "machines": [
                                        {
                                            "id": f"bench-m{i}",
                                            "name": f"M{i}",
                                            "model": "B",
                                            "serial": f"{i}",
                                        }
                                        for i in range(1, machines + 1)
                                    ],
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    )


# --- data ---------------------------------------------------------------------------


def _paint(array: npt.NDArray[Any], start: int, length: int, value: int) -> None:
    array[max(start, 0) : max(start + length, 0)] = value


def _break_seconds(plant: Plant, seconds: int) -> list[tuple[int, int]]:
    site = plant.customers[0].sites[0]
    end = START + timedelta(seconds=seconds)
    windows = shift_windows(site.calendar, ZoneInfo(ZONE), since=START, until=end)
    return [
        (int((b.start - START).total_seconds()), int((b.end - START).total_seconds()))
        for w in windows
        for b in w.breaks
    ]


def simulate_machine(index: int, seconds: int, breaks: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """Per-second state, fault code, product and counter values of one machine."""
    rng = np.random.default_rng(index)
    state = np.full(seconds, EXECUTE, np.int16)
    fault = np.zeros(seconds, np.int16)
    product = np.ones(seconds, np.int16)
    t = rng.exponential(900)
    while t < seconds:  # micro-stops
        length = int(rng.integers(10, 91))
        _paint(state, int(t), length, SUSPENDED)
        _paint(fault, int(t), length, int(rng.integers(101, 105)))
        t += length + rng.exponential(900)
    at, current = 7200 + int(rng.integers(-1800, 1800)), 1
    while at < seconds:  # changeovers: STOPPED, RESETTING (the new product), STARTING
        length = int(rng.integers(900, 1201))
        stopped, resetting = round(length * 0.6), round(length * 0.25)
        _paint(state, at, stopped, STOPPED)
        _paint(state, at + stopped, resetting, RESETTING)
        _paint(state, at + stopped + resetting, length - stopped - resetting, STARTING)
        _paint(fault, at, length, 0)
        current = 3 - current
        product[at + stopped :] = current
        at += 10800 + int(rng.integers(-1800, 1800))
    for start, end in breaks:
        _paint(state, start, end - start, IDLE)
        _paint(fault, start, end - start, 0)
    t = rng.uniform(0.5, 3) * 86400
    while t < seconds:  # breakdowns: tripped (HELD), then opened up for repair (ABORTED)
        repair = int(rng.integers(1200, 3600))
        _paint(state, int(t), 180, HELD)
        _paint(state, int(t) + 180, repair, ABORTED)
        _paint(fault, int(t), 180 + repair, 201)
        t += rng.uniform(2, 4) * 86400
    cycle = np.where(product == 1, CYCLES[1], CYCLES[2])
    speed = np.where(state == EXECUTE, rng.uniform(0.9, 0.97) / cycle, 0.0)
    parts = np.diff(np.floor(np.cumsum(speed * rng.normal(1, 0.02, seconds))), prepend=0.0)
    restarts = np.flatnonzero((state[1:] == EXECUTE) & np.isin(state[:-1], [STARTING, ABORTED])) + 1
    marks = np.zeros(seconds + 181)
    np.add.at(marks, restarts, 1)
    np.add.at(marks, restarts + 180, -1)
    startup = np.cumsum(marks)[:seconds] > 0
    rejects = rng.binomial(parts.astype(np.int64), np.where(startup, 0.05, 0.01)).astype(float)
    good = parts - rejects
    offset = 2**32 - 40_000.0 if index == 1 else float(rng.integers(0, 2**31))
    good_count = (offset + np.cumsum(good)) % 2**32
    if index == 2:  # an operator resets the counter to 0 two thirds into the data
        reset = seconds * 2 // 3
        good_count[reset:] = np.cumsum(good[reset:])
    return {
        "state": state,
        "fault_code": fault,
        "product": product,
        "good_count": good_count,
        "reject_count": np.cumsum(rejects),
        "good_changes": good > 0,
        "reject_changes": rejects > 0,
    }


_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)


def _copy_records(machine: str, signal: str, seconds: Ints, values: Floats) -> bytes:
    """Rows of one machine and signal in PostgreSQL's binary COPY format."""
    m, s = machine.encode(), signal.encode()
    layout = np.dtype(
        [
            ("n", ">i2"),
            ("lt", ">i4"),
            ("t", ">i8"),
            ("lm", ">i4"),
            ("m", f"S{len(m)}"),
            ("ls", ">i4"),
            ("s", f"S{len(s)}"),
            ("lv", ">i4"),
            ("v", ">f8"),
            ("lq", ">i4"),
            ("q", ">i2"),
        ]
    )
    rows = np.empty(len(seconds), dtype=layout)
    base_us = int((START - _PG_EPOCH).total_seconds()) * 1_000_000
    rows["n"], rows["lt"], rows["t"] = 5, 8, base_us + seconds * 1_000_000
    rows["lm"], rows["m"], rows["ls"], rows["s"] = len(m), m, len(s), s
    rows["lv"], rows["v"], rows["lq"], rows["q"] = 8, values, 2, 0
    return rows.tobytes()


def machine_rows(machine: str, data: dict[str, Any]) -> Iterator[tuple[str, Ints, Floats]]:
    """(signal, seconds, values) as a collector stores them: events and counters on change."""
    seconds = len(data["state"])
    for signal in ("state", "fault_code", "product"):
        values = data[signal]
        changed = np.flatnonzero(np.diff(values, prepend=values[0] - 1) != 0)
        yield signal, changed, values[changed].astype(float)
    for signal, changes in (("good_count", "good_changes"), ("reject_count", "reject_changes")):
        changed = np.flatnonzero(data[changes] | (np.arange(seconds) == 0))
        yield signal, changed, data[signal][changed]
    noise = np.random.default_rng(7)
    for signal, every_s, level in (
        ("vibration_rms", 10, 2.0),
        ("bearing_temp", 30, 45.0),
        ("motor_current", 30, 12.0),
    ):
        at = np.arange(0, seconds, every_s)
        yield signal, at, level + noise.normal(0, level * 0.05, len(at))


async def load(conn: psycopg.AsyncConnection[Any], plant: Plant, seconds: int) -> int:
    """Generate and store the data; returns the number of rows."""
    breaks = _break_seconds(plant, seconds)
    await conn.execute("SET maintenance_work_mem = '1GB'")
    await conn.execute("SET work_mem = '512MB'")
    await conn.execute(
        "CREATE UNLOGGED TABLE staging (time timestamptz, machine_id text, signal text,"
        " value double precision, quality smallint)"
    )
    rows = 0
    machines = [m.id for m in plant.customers[0].sites[0].lines[0].machines]
    for index, machine in enumerate(machines, start=1):
        data = simulate_machine(index, seconds, breaks)
        async with conn.cursor().copy("COPY staging FROM STDIN (FORMAT BINARY)") as copy:
            await copy.write(_COPY_HEADER)
            for signal, at, values in machine_rows(machine, data):
                await copy.write(_copy_records(machine, signal, at, values))
                rows += len(at)
            await copy.write(struct.pack(">h", -1))
    # Into the hypertable in time order, machines interleaved, as collectors write;
    # the index is built once afterwards, like a restore.
    await conn.execute("DROP INDEX telemetry_sample_key")
    await conn.execute("INSERT INTO telemetry SELECT * FROM staging ORDER BY time")
    await conn.execute("DROP TABLE staging")
    await conn.execute(
        "CREATE UNIQUE INDEX telemetry_sample_key ON telemetry (machine_id, signal, time DESC)"
    )
    # What the telemetry writer leaves behind: every machine has data from START on.
    await conn.execute(
        "INSERT INTO telemetry_pending_analysis SELECT unnest(%s::text[]), %s", (machines, START)
    )
    await conn.commit()
    await conn.set_autocommit(True)
    await conn.execute("VACUUM ANALYZE telemetry")
    return rows


# --- the pandas reference -----------------------------------------------------------


def _per_second(times: pd.Series, grid: pd.DatetimeIndex, end: datetime) -> npt.NDArray[np.bool_]:
    """Whether each second of the grid lies between samples at most MAX_GAP_S apart."""
    epoch = pd.Timestamp(0, tz="UTC")
    t = (times - epoch).dt.total_seconds().to_numpy()
    g = (grid - epoch).total_seconds().to_numpy()
    after = np.searchsorted(t, g, side="right")
    before_t = np.where(after > 0, t[np.maximum(after - 1, 0)], -np.inf)
    next_t = np.where(after < len(t), t[np.minimum(after, len(t) - 1)], end.timestamp())
    return np.asarray(next_t - before_t <= MAX_GAP_S)


def _counted(frame: pd.DataFrame, shifts: range) -> tuple[Floats, Floats]:
    """Parts and their ideal time counted in each shift."""
    per_shift = frame.reindex(index=shifts, fill_value=0.0)
    return per_shift["parts"].to_numpy(float), per_shift["ideal"].to_numpy(float)


def pandas_machine(
    rows: list[tuple[Any, ...]], plant: Plant, shifts: Sequence[ShiftWindow], end: datetime
) -> dict[datetime, float]:
    """OEE per shift start of one machine, the straightforward pandas way."""
    df = pd.DataFrame(rows, columns=["signal", "time", "value"])
    df["time"] = pd.to_datetime(df["time"], utc=True)
    df = df.sort_values("time")
    grid = pd.date_range(shifts[0].start, end, freq="1s", inclusive="left")
    signals = {name: group.set_index("time")["value"] for name, group in df.groupby("signal")}
    state = signals["state"].reindex(grid, method="ffill")
    category = state.map({k: str(v) for k, v in plant.state_categories.items()}).fillna("unknown")
    run = (category != category.shift()).cumsum()
    length = category.groupby(run).transform("size")
    micro = (category == "stop") & (length < plant.micro_stop_threshold_s)
    category = category.mask(micro, "running")  # TPM: micro-stops stay in running time
    category = category.mask(~_per_second(df["time"].drop_duplicates(), grid, end), "unknown")
    shift_of = pd.Series(-1, index=grid)
    for k, shift in enumerate(shifts):
        for span in shift.planned_intervals(until=end):
            shift_of[span.start : span.end - timedelta(seconds=1)] = k
    seconds = pd.DataFrame({"shift": shift_of, "category": category})
    table = (
        seconds[seconds["shift"] >= 0].groupby(["shift", "category"]).size().unstack(fill_value=0)
    )
    cycle = (
        signals["product"]
        .reindex(grid, method="ffill")
        .map({p.code: p.ideal_cycle_s for p in plant.products})
    )
    counted = {}
    for name in ("good_count", "reject_count"):
        counter = signals[name]
        before = counter.shift()
        step = counter.index.to_series().diff().dt.total_seconds()
        parts = counter - before
        wrapped = counter + 2**32 - before
        parts = parts.where(parts >= 0, wrapped.where(wrapped <= 2**16, counter))
        second = pd.DatetimeIndex(counter.index) - pd.Timedelta(seconds=1)
        frame = pd.DataFrame({"parts": parts.to_numpy(), "step": step.to_numpy()}, index=second)
        frame = frame[(frame.index >= grid[0]) & (frame["step"] <= MAX_GAP_S)]
        frame["shift"] = shift_of.reindex(frame.index).to_numpy()
        frame = frame[
            (frame["shift"] >= 0) & (category.reindex(frame.index) != "unknown").to_numpy()
        ]
        frame["ideal"] = frame["parts"] * cycle.reindex(frame.index).to_numpy()
        counted[name] = frame.groupby("shift")[["parts", "ideal"]].sum()
    shift_numbers = range(len(shifts))
    seconds_per_shift = table.reindex(index=shift_numbers, fill_value=0)
    planned = seconds_per_shift.drop(columns=["unknown"], errors="ignore").to_numpy(float).sum(1)
    running = seconds_per_shift.get("running", pd.Series(0, index=shift_numbers)).to_numpy(float)
    good, good_ideal = _counted(counted["good_count"], shift_numbers)
    reject, reject_ideal = _counted(counted["reject_count"], shift_numbers)
    ideal = good_ideal + reject_ideal
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(planned > 0, running / planned, 0.0)
        p = np.where(running > 0, np.minimum(ideal / running, 1.0), 0.0)
        q = np.where(good + reject > 0, good / (good + reject), 0.0)
    return {shift.start: float(oee) for shift, oee in zip(shifts, a * p * q, strict=True)}


def pandas_recompute(
    database: str, plant: Plant, shifts: Sequence[ShiftWindow], end: datetime
) -> dict[tuple[str, datetime], float]:
    results = {}
    since = shifts[0].start - timedelta(seconds=MAX_GAP_S)
    with psycopg.connect(database) as conn:
        for machine in plant.customers[0].sites[0].lines[0].machines:
            rows = conn.execute(
                "SELECT signal, time, value FROM telemetry"
                " WHERE machine_id = %s AND time >= %s AND time <= %s AND quality < 2",
                (machine.id, since - timedelta(days=1), end),
            ).fetchall()
            for start, value in pandas_machine(rows, plant, shifts, end).items():
                results[(machine.id, start)] = value
    return results


# --- the run ------------------------------------------------------------------------


async def serve_report(
    pool: Pool, machines: Sequence[str], since: datetime, until: datetime
) -> None:
    async with pool.connection() as conn:
        for scope, subjects in ((OeeScope.LINE, [LINE]), (OeeScope.MACHINE, list(machines))):
            await oee_for_range(
                conn,
                scope=scope,
                subject_ids=subjects,
                since=since,
                until=until,
                customer_scope=EVERY_CUSTOMER,
            )
        await oee_by_period(
            conn,
            scope=OeeScope.LINE,
            subject_ids=[LINE],
            since=since,
            until=until,
            period="day",
            timezone=ZONE,
            customer_scope=EVERY_CUSTOMER,
        )
        await downtime_pareto(
            conn, machine_ids=machines, since=since, until=until, scope=EVERY_CUSTOMER
        )
        await list_downtimes(
            conn, machine_ids=machines, since=since, until=until, limit=500, scope=EVERY_CUSTOMER
        )
        await machine_reliability(
            conn, machine_ids=machines, since=since, until=until, scope=EVERY_CUSTOMER
        )


@contextmanager
def throwaway_cluster() -> Iterator[ClusterSpec]:
    root = Path(tempfile.mkdtemp(prefix="linecare-oee-bench-"))
    root.chmod(0o755)  # the postgres account must reach it when we are root
    spec = ClusterSpec(data_dir=root / "data", port=free_port(), bin_dir=PG_BIN_DIR, durable=False)
    try:
        postgres_cluster.initialise(spec)
        postgres_cluster.start(spec)
        yield spec
    finally:
        postgres_cluster.remove(spec)
        shutil.rmtree(root, ignore_errors=True)


async def run(days: int, machines: int) -> dict[str, object]:
    plant = bench_plant(machines)
    seconds = days * 86400
    end = START + timedelta(seconds=seconds)
    machine_ids = [m.id for m in plant.customers[0].sites[0].lines[0].machines]
    with throwaway_cluster() as cluster:
        database = dsn(cluster, "oee_bench")
        await ensure_database(database)
        async with await psycopg.AsyncConnection.connect(database) as conn:
            await migrate(conn)
            await sync_assets(conn, plant)
            rows = await load(conn, plant, seconds)
        pool = open_pool(database, max_size=machines + 2)
        await pool.open(wait=True)
        try:
            began = time.perf_counter()
            progress = await refresh_oee(
                pool, plant, OeeRules.from_plant(plant, max_sample_gap_s=MAX_GAP_S), now=end
            )
            recompute_s = time.perf_counter() - began
            report_times = []
            for _ in range(REPORT_RUNS):
                began = time.perf_counter()
                await serve_report(pool, machine_ids, START, end)
                report_times.append(time.perf_counter() - began)
            async with pool.connection() as conn:
                stored = await list_oee(
                    conn,
                    scope=OeeScope.MACHINE,
                    subject_ids=machine_ids,
                    since=START,
                    until=end,
                    customer_scope=EVERY_CUSTOMER,
                )
        finally:
            await pool.close()
        site = plant.customers[0].sites[0]
        shifts = [
            s
            for s in shift_windows(site.calendar, ZoneInfo(ZONE), since=START, until=end)
            if s.start >= START
        ]
        began = time.perf_counter()
        reference = await asyncio.to_thread(pandas_recompute, database, plant, shifts, end)
        pandas_s = time.perf_counter() - began
    ours = {(r.subject_id, r.shift_start): r.oee for r in stored if r.planned_busy_s > 0}
    differences = [abs(ours[key] - value) for key, value in reference.items() if key in ours]
    return {
        "recompute_s": round(recompute_s, 3),
        "pandas_recompute_s": round(pandas_s, 3),
        "speedup_vs_pandas": round(pandas_s / recompute_s, 2),
        "report_ms": round(statistics.median(report_times) * 1000, 1),
        "rows": rows,
        "days": days,
        "machines": machines,
        "results_stored": progress.results_stored,
        "shifts_compared": len(differences),
        "max_oee_difference_vs_pandas": round(max(differences, default=0.0), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 days, 3 machines")
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--machines", type=int, default=None)
    args = parser.parse_args()
    days = args.days or (3 if args.quick else 30)
    machines = args.machines or (3 if args.quick else 6)
    result = asyncio.run(run(days, machines))
    print(json.dumps({**result, "quick": bool(args.quick)}))


if __name__ == "__main__":
    main()

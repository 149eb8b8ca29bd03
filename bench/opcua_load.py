"""An OPC UA server that changes every benchmark node as fast as it can, on cue.

Run as its own process (``python -m bench.opcua_load --endpoint ...``) so its CPU
is not the collector's. It prints ``ready`` once it listens, waits for a line on
stdin, writes ``--updates`` values to every node (each with its own source
timestamp), prints ``done <seconds>``, and serves on until stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bench.bench_plant import BATCH_SIGNALS, OPCUA_LINE, bench_plant, machine_ids
from models.readings import Reading
from simulator.opcua_server import serving_opcua
from simulator.plant_simulation import SimulationTick


def opcua_nodes() -> list[tuple[str, str]]:
    return [(m, s) for m in machine_ids(OPCUA_LINE) for s in BATCH_SIGNALS]


async def serve(endpoint: str, updates: int, start: datetime) -> None:
    plant = bench_plant(endpoint)
    lines = [line for _, _, line in plant.lines() if line.id == OPCUA_LINE]
    # Every node starts with a value of its own time, read once by a new subscription.
    # It differs from every update: a server reports only values that change.
    initial = tuple(Reading(start - timedelta(seconds=1), m, s, -1.0) for m, s in opcua_nodes())
    async with serving_opcua(endpoint, lines, SimulationTick(start, (), initial)) as server:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        started = time.perf_counter()
        step = timedelta(milliseconds=1)
        for update in range(updates):
            at = start + update * step
            for machine, signal in opcua_nodes():
                await server.write_value(machine, signal, float(update % 1000), at)
            if update % 10 == 0:
                await asyncio.sleep(0)  # let the server publish to its subscribers
        print(f"done {time.perf_counter() - started:.3f}", flush=True)
        await asyncio.to_thread(sys.stdin.read)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--updates", type=int, required=True, help="values per node")
    parser.add_argument("--start", type=datetime.fromisoformat, required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.endpoint, args.updates, args.start.astimezone(UTC)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

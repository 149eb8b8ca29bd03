#!/usr/bin/env bash
# Sets up what is missing, then runs the linters and the whole test suite against
# real TimescaleDB, Mosquitto and OPC UA servers that the tests start themselves.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
# One worker per core (each starts its own TimescaleDB and Mosquitto);
# LINECARE_TEST_WORKERS=0 runs in this process, e.g. to debug with -x or --pdb.
exec .venv/bin/pytest -n "${LINECARE_TEST_WORKERS:-auto}" "$@"

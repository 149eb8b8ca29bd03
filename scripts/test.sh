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
exec .venv/bin/pytest "$@"

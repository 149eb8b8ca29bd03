#!/usr/bin/env bash
# Sets up what is missing, then runs the simulated plant through the whole
# pipeline; the console is at http://127.0.0.1:8000. Ctrl-C stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
exec .venv/bin/linecare demo "$@"

#!/usr/bin/env bash
# Set up a virtualenv and run the whole test suite (lint included). Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${GEODISTRICT_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[test,stats,raster]"
echo "== ruff"
"$VENV/bin/ruff" check geodistrict tests benchmarks boundaries
"$VENV/bin/ruff" format --check geodistrict tests benchmarks boundaries
echo "== pytest"
"$VENV/bin/python" -m pytest --doctest-modules geodistrict tests "$@"

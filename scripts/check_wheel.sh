#!/usr/bin/env bash
# Acceptance of an installed (not checked-out) geodistrict: build the wheel, install it into a
# fresh virtualenv outside the checkout (not editable, the source tree not on sys.path) and run
# the headline commands from an empty temporary folder:
#   geodistrict datasets list; geodistrict districts;
#   geodistrict report --all --boundaries lep2021 ... (38 HTML reports + index.html);
#   geodistrict app (HTTP 200 with the shipped districts listed); one notebook executed.
# Usage: bash scripts/check_wheel.sh   (PYTHON: the interpreter whose packages are reused)
#
# To keep CI short on 2 cores, the fresh virtualenv takes geodistrict from the wheel and its
# dependencies from the development virtualenv (a .pth line naming that site-packages folder,
# whose own .pth files, the editable install's among them, are not processed). Set
# GEODISTRICT_WHEEL_FULL=1 to install the dependencies from the package index instead.
set -euo pipefail
ROOT=${GEODISTRICT_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
DEV_PY=${PYTHON:-$ROOT/.venv/bin/python}
DEV_PY="$(cd "$(dirname "$DEV_PY")" && pwd)/$(basename "$DEV_PY")"  # absolute, symlink kept
WORK=$(mktemp -d "${TMPDIR:-/tmp}/geodistrict-wheel.XXXXXX")
APP_PID=
cleanup() {
  if [ -n "$APP_PID" ]; then kill "$APP_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
T0=$SECONDS
say() { echo "== wheel: $* ($((SECONDS - T0)) s)"; }

say "building"
"$DEV_PY" -m pip wheel --quiet --no-deps --wheel-dir "$WORK/dist" "$ROOT" >/dev/null
WHEEL=$(ls "$WORK"/dist/geodistrict-*.whl)
SIZE=$(stat -c %s "$WHEEL")
echo "$(basename "$WHEEL"): $((SIZE / 1000)) kB"
[ "$SIZE" -lt 15000000 ] || { echo "the wheel is over 15 MB" >&2; exit 1; }

say "installing into a fresh virtualenv"
"$DEV_PY" -m venv --without-pip "$WORK/venv"  # the development pip installs into it (--python)
VPY="$WORK/venv/bin/python"
if [ "${GEODISTRICT_WHEEL_FULL:-}" = 1 ]; then
  "$DEV_PY" -m pip --python "$VPY" install --quiet "$WHEEL[stats,maps,app,notebooks]"
else
  "$DEV_PY" -m pip --python "$VPY" install --quiet --no-deps "$WHEEL"
  DEV_SITE=$("$DEV_PY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
  NEW_SITE=$("$VPY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
  echo "$DEV_SITE" >"$NEW_SITE/zz_geodistrict_dependencies.pth"
fi
GD="$WORK/venv/bin/geodistrict"
RUN="$WORK/run"
mkdir -p "$RUN"
cd "$RUN"
env -u PYTHONPATH -u GEODISTRICT_SHARED_DATA "$VPY" - "$ROOT" <<'EOF'
import sys
from pathlib import Path

import geodistrict

root = Path(sys.argv[1]).resolve()
where = Path(geodistrict.__file__).resolve()
assert root not in where.parents, f"geodistrict imported from the checkout: {where}"
assert not any(Path(p or ".").resolve() == root for p in sys.path), "checkout on sys.path"
print(f"geodistrict {geodistrict.__version__} from {where.parent}")
EOF
export -n PYTHONPATH GEODISTRICT_SHARED_DATA 2>/dev/null || true
unset PYTHONPATH GEODISTRICT_SHARED_DATA

say "geodistrict datasets list"
"$GD" datasets list >datasets.txt
grep -q "^lep2021 .*bundled" datasets.txt
grep -q "^ubc-industry-2022 .*bundled" datasets.txt
"$GD" datasets info learning-providers | grep -q "^attribution: "

say "geodistrict districts"
"$GD" districts >districts.txt
grep -q "22at-barcelona" districts.txt
grep -q "cambridge" districts.txt

say "geodistrict report --all (38 LEPs)"
"$GD" report --all --boundaries lep2021 --universities learning-providers \
  --business-counts ubc-industry-2022 --out r/ --no-pdf
N=$(find r -maxdepth 1 -name "*.html" ! -name index.html | wc -l)
[ "$N" -eq 38 ] || { echo "expected 38 HTML reports, found $N" >&2; exit 1; }
[ -s r/index.html ] || { echo "no index.html" >&2; exit 1; }
echo "38 HTML reports and index.html"

say "geodistrict app"
PORT=$("$VPY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$GD" app --port "$PORT" --no-browser >app.log 2>&1 &
APP_PID=$!
"$VPY" - "$PORT" <<'EOF'
import os
import sys
import time
import urllib.request

url = f"http://127.0.0.1:{sys.argv[1]}/"
deadline = time.monotonic() + 180
while True:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            status, body = resp.status, resp.read().decode("utf-8", "replace")
        break
    except OSError as exc:
        if time.monotonic() > deadline:
            sys.exit(f"the app did not answer at {url}: {exc}")
        time.sleep(1)
assert status == 200, status
print(f"app: HTTP {status}, {len(body)} bytes")
# the page is drawn by the browser from the server's document: read its place list there
from pathlib import Path

chromium = Path(os.environ.get("GEODISTRICT_CHROMIUM", "/usr/bin/chromium"))
try:
    from playwright.sync_api import sync_playwright
except ImportError:
    sync_playwright = None
if sync_playwright is None or not chromium.exists():
    if os.environ.get("CI", "").lower() == "true":
        sys.exit("the app check needs playwright and Debian chromium")
    print("app: no playwright/chromium here: the place list was not read")
    sys.exit(0)
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=str(chromium), headless=True,
                                args=["--no-sandbox", "--disable-gpu"])
    page = browser.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    page.wait_for_selector(".gd-places select option", state="attached")
    options = page.locator(".gd-places select option").all_inner_texts()
    browser.close()
for name in ("Newcastle Helix", "Manchester Oxford Road Corridor", "22@Barcelona (Poblenou)"):
    assert name in options, f"{name} is not listed in the app ({len(options)} places)"
leps = [o for o in options if o.endswith("(LEP 2021)")]
assert len(leps) == 38, f"{len(leps)} LEPs listed: the bundled lep2021 was not loaded"
print(f"app: {len(options)} places listed, the shipped districts and the 38 LEPs among them")
EOF
kill "$APP_PID"
wait "$APP_PID" 2>/dev/null || true
APP_PID=

say "a notebook executed"
cp "$ROOT/notebooks/02_smart_specialisation_by_lep.py" .
"$VPY" - <<'EOF'
import os

import jupytext
import nbclient

os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
nb = jupytext.read("02_smart_specialisation_by_lep.py")
nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
figures = sum(
    1
    for cell in nb.cells
    for out in cell.get("outputs", [])
    if "image/png" in out.get("data", {})
)
print(f"notebook executed: {len(nb.cells)} cells, {figures} inline figures")
EOF
say "done"

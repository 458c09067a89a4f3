"""The Panel app in a real browser (headless Chromium through Playwright).

The app is served by ``geodistrict app`` in a subprocess on a free port of 127.0.0.1 with the
shared data folder; every request to another host is blocked, so the page must work offline.
The tests share one page and run in file order: first render, compare, upload, bad uploads,
screenshots of every view.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.shared_data, pytest.mark.serial]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[1]
SERVER_TIMEOUT_S = 360  # the data load in the background: about 30-100 s on a busy machine
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _need_browser() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "playwright is not installed"
    else:
        missing = "" if CHROMIUM.exists() else f"{CHROMIUM} is missing"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests need Chromium: {missing}")
        pytest.skip(f"browser tests need Chromium: {missing}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(shared_data, tmp_path_factory):
    _need_browser()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log_path = tmp_path_factory.mktemp("app-server") / "server.log"
    cmd = [sys.executable, "-m", "geodistrict.cli", "app", "--port", str(port),
           "--address", "127.0.0.1", "--data", str(shared_data), "--no-browser"]  # fmt: skip
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    try:
        t0 = time.monotonic()
        first_200 = loading_page = None
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the app server exited ({proc.returncode}): {log_path.read_text()}")
            if time.monotonic() - t0 > SERVER_TIMEOUT_S:
                pytest.fail(f"the app server did not answer in {SERVER_TIMEOUT_S} s: {log_path}")
            if first_200 is None:
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        if r.status == 200:
                            first_200 = time.monotonic() - t0
                            loading_page = "data ready" not in log_path.read_text()
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
            # the data load in the background: the page fills in once they are ready
            if first_200 is not None and "data ready" in log_path.read_text():
                break
            time.sleep(0.3)
        ready = time.monotonic()
        print(
            f"\napp server: first HTTP 200 after {first_200:.1f} s (data still loading: "
            f"{loading_page}), data ready after {ready - t0:.1f} s on {url} (log: {log_path})"
        )
        yield SimpleNamespace(
            url=url,
            ready=ready,
            log=log_path,
            first_200=first_200,
            answered_while_loading=loading_page,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def only_local(route) -> None:
        host = urlparse(route.request.url).hostname
        if host in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", only_local)
            pg = context.new_page()
            pg.set_default_timeout(30_000)
            pg.blocked = blocked  # type: ignore[attr-defined]
            pg.server_url = server.url  # type: ignore[attr-defined]
            yield pg
        finally:
            browser.close()


@pytest.fixture(scope="module")
def cambridge_square(tmp_path_factory) -> Path:
    """A 1 km square around E 545000 N 258500 (Cambridge's centre), written in EPSG:4326."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(27700, 4326, always_xy=True)
    xs = [544500, 545500, 545500, 544500, 544500]
    ys = [258000, 258000, 259000, 259000, 258000]
    lon, lat = to_lonlat.transform(xs, ys)
    ring = [[round(a, 7), round(b, 7)] for a, b in zip(lon, lat, strict=True)]
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature",
           "properties": {"name": "Cambridge centre <b>km²</b>"},
           "geometry": {"type": "Polygon", "coordinates": [ring]}}]}  # fmt: skip
    path = tmp_path_factory.mktemp("uploads") / "cambridge_centre.geojson"
    path.write_text(json.dumps(doc))
    return path


_SHADOW_TEXT = """el => Array.from((el.shadowRoot || el).children)
    .filter(c => c.tagName !== "STYLE" && c.tagName !== "LINK")
    .map(c => c.innerText).join("\\n")"""


def _text(locator) -> str:
    """Visible text of a Panel pane (rendered inside its shadow root)."""
    return locator.evaluate(_SHADOW_TEXT)


def _server_seconds(summary_text: str) -> float:
    return float(re.search(r"read and measured in ([\d.]+) s", summary_text).group(1))


def _opened(page) -> None:
    """Open the app in ``page`` unless a test before (the first-render one) did: so that each
    test also runs on its own (``pytest -k``)."""
    from playwright.sync_api import expect

    if page.url == "about:blank":
        page.goto(page.server_url)
        expect(page.locator(".gd-compare-table .tabulator-row")).to_have_count(3, timeout=60_000)


def _tab(page, title: str) -> None:
    _opened(page)
    page.locator(".bk-tab", has_text=title).first.click()


def test_first_page_renders_fast(server, page):
    from playwright.sync_api import expect

    rows = page.locator(".gd-compare-table .tabulator-row")
    timings = []
    for _ in range(2):  # a second try only if a busy machine stalled the first
        t0 = time.monotonic()
        page.goto(server.url)
        try:
            expect(rows).to_have_count(3, timeout=15_000)
        finally:
            timings.append(time.monotonic() - t0)
        if timings[-1] < 5.0:
            break
    print(f"first render {timings[0]:.2f} s after the server was ready (tries: {timings})")
    assert min(timings) < 5.0, timings
    assert "geodistrict" in page.title()


def test_server_answers_before_the_data_are_loaded(server):
    """The first HTTP 200 comes while the postcodes and the data folder still load."""
    assert server.answered_while_loading, server.first_200


def test_compare_three_places(page):
    from playwright.sync_api import expect

    _opened(page)
    options = page.locator(".gd-places select option").all_inner_texts()
    for name in ("22@Barcelona", "Medellín", "Melbourne City North"):
        assert any(name in o for o in options), name
    uk = [o for o in options if o.endswith(("(LAD 2024)", "(LEP 2021)"))]
    assert {"Cambridge (LAD 2024)", "London (LEP 2021)"} <= set(uk)
    chosen = ["22@Barcelona (Poblenou)", "Cambridge (LAD 2024)", "London (LEP 2021)"]
    page.locator(".gd-places select").select_option(label=chosen)
    rows = page.locator(".gd-compare-table .tabulator-row")
    expect(rows).to_have_count(3)
    for name in chosen:  # computed in the worker pool (London is large): a wait, not a timing
        expect(page.locator(".gd-compare-table")).to_contain_text(name, timeout=30_000)
    img = page.locator(".gd-chart img")
    expect(img).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert page.blocked == []  # type: ignore[attr-defined]  # nothing asked of the internet


def test_upload_polygon_card_and_diff(page, cambridge_square):
    from playwright.sync_api import expect

    _tab(page, "Proposed district")
    t0 = time.monotonic()
    page.locator(".gd-upload input[type=file]").set_input_files(str(cambridge_square))
    summary = page.locator(".gd-prop-summary")
    expect(summary).to_contain_text("Postcodes inside", timeout=10_000)
    elapsed = time.monotonic() - t0
    text = _text(summary)
    print(f"upload -> card {elapsed:.2f} s; {text!r}")
    postcodes = int(re.search(r"Postcodes inside: ([\d,]+)", text).group(1).replace(",", ""))
    unis = int(re.search(r"Universities inside: ([\d,]+)", text).group(1).replace(",", ""))
    assert postcodes > 0 and unis > 0
    assert "Diff against Cambridge (LAD 2024)" in text  # the LAD overlapping it most
    # the notes on the upload are a list, one item each (the file had no CRS member)
    expect(page.locator(".gd-prop-msg li").first).to_have_text(
        "GeoJSON without a crs member: longitude/latitude (RFC 7946)"
    )
    timings = [_server_seconds(text)]
    if timings[0] >= 1.0:  # a busy machine: measure once more, keep the best
        again = cambridge_square.with_name("again.geojson")
        again.write_text(cambridge_square.read_text().replace("Cambridge centre", "Again"))
        page.locator(".gd-upload input[type=file]").set_input_files(str(again))
        expect(summary).to_contain_text("Again", timeout=10_000)
        timings.append(_server_seconds(_text(summary)))
    print(f"upload parsed, card and diff computed on the server in {timings} s")
    assert min(timings) < 1.0, text
    assert "<b>" in text  # the uploaded name is shown as text, not markup
    # tables render client-side after the summary: on a loaded 2-core machine that can take
    # longer than the default 5 s (a wait for rendering, not a speed assertion)
    expect(page.locator(".gd-prop-diff .tabulator-row").first).to_contain_text(
        "area_ha", timeout=20_000
    )
    expect(page.locator(".gd-prop-card")).to_contain_text("postcodes_count", timeout=20_000)
    expect(page.locator(".bk-btn", has_text="Audit report (HTML)")).to_be_visible()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("big", r"over the 20 MB limit"),
        ("text", r"\.txt files are not accepted"),
        ("bowtie", r"self-intersection"),
    ],
)
def test_bad_upload_says_why_and_app_keeps_working(page, tmp_path, kind, expected,
                                                   cambridge_square):  # fmt: skip
    from playwright.sync_api import expect

    _tab(page, "Proposed district")
    if kind == "big":
        path = tmp_path / "huge.geojson"
        path.write_bytes(b'{"type": "FeatureCollection", "features": []}' + b" " * 50_000_000)
    elif kind == "text":
        path = tmp_path / "notes.txt"
        path.write_text("Not a map: just some notes about the district.\n")
    else:
        path = tmp_path / "bowtie.geojson"
        ring = [[0.11, 52.2], [0.13, 52.21], [0.13, 52.2], [0.11, 52.21], [0.11, 52.2]]
        path.write_text(
            json.dumps(
                {
                    "type": "Feature",
                    "properties": {"name": "bow tie"},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            )
        )
    page.locator(".gd-upload input[type=file]").set_input_files(str(path))
    msg = page.locator(".gd-prop-msg")
    expect(msg).to_contain_text(re.compile(expected, re.I), timeout=60_000)
    expect(msg).to_contain_text("Upload refused")
    page.screenshot(path=str(tmp_path / f"refused_{kind}.png"))
    print(f"\nrefused upload ({kind}): {tmp_path / f'refused_{kind}.png'}")
    expect(page.locator(".gd-prop-summary")).not_to_contain_text("Postcodes inside")
    # the session still works: a valid upload after the refused one
    page.locator(".gd-upload input[type=file]").set_input_files(str(cambridge_square))
    expect(page.locator(".gd-prop-summary")).to_contain_text("Postcodes inside", timeout=10_000)
    expect(msg).not_to_contain_text("Upload refused")


@pytest.fixture(scope="module")
def squares_999(tmp_path_factory) -> Path:
    """999 squares of ~35 m side by side in Cambridge (216 KB): the upload that froze the app."""
    d = 0.0005
    feats = [{"type": "Feature", "properties": {"name": f"square {i}"},
              "geometry": {"type": "Polygon", "coordinates": [[
                  [0.05 + d * i, 52.19], [0.05 + d * (i + 1), 52.19],
                  [0.05 + d * (i + 1), 52.19 + d], [0.05 + d * i, 52.19 + d],
                  [0.05 + d * i, 52.19]]]}} for i in range(999)]  # fmt: skip
    path = tmp_path_factory.mktemp("uploads") / "squares_999.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


@pytest.fixture(scope="module")
def circles_999(tmp_path_factory) -> Path:
    """999 overlapping circles of 180 vertices in Cambridge (~6 MB, near every upload cap)."""
    import math

    ring = [(math.cos(2 * math.pi * k / 179), math.sin(2 * math.pi * k / 179)) for k in range(180)]
    feats = [{"type": "Feature", "properties": {"name": f"circle {i}"},
              "geometry": {"type": "Polygon", "coordinates": [[
                  [round(0.05 + 0.0003 * i + 0.0004 * c, 7), round(52.19 + 0.00025 * s, 7)]
                  for c, s in ring]]}} for i in range(999)]  # fmt: skip
    path = tmp_path_factory.mktemp("uploads") / "circles_999.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def _probe_latencies(url: str, stop: threading.Event) -> list[float]:
    """Seconds the server takes to answer a tiny request (a 404), one every 0.1 s until stop.

    Tornado answers it on the event loop, so its latency is how long the loop was blocked.
    """
    out = []
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            urllib.request.urlopen(url + "geodistrict-loop-probe", timeout=30).close()
        except urllib.error.HTTPError:
            pass  # the 404 itself: the loop answered
        out.append(time.monotonic() - t0)
        stop.wait(0.1)
    return out


def test_a_heavy_upload_does_not_block_the_event_loop(server, page, circles_999):
    """While one session measures 999 circles, the server's event loop keeps answering.

    Measured directly: a request every 0.1 s during the upload. Had the measuring run on the
    loop, one request would wait for most of it; the slowest answer must stay under half
    the time the server took (its summary says how long).
    """
    from playwright.sync_api import expect

    _tab(page, "Proposed district")
    stop = threading.Event()
    with ThreadPoolExecutor(1) as ex:
        probe = ex.submit(_probe_latencies, server.url, stop)
        time.sleep(0.3)
        page.locator(".gd-upload input[type=file]").set_input_files(str(circles_999))
        summary = page.locator(".gd-prop-summary")
        try:
            expect(summary).to_contain_text("999 features merged", timeout=120_000)
        finally:
            stop.set()
        latencies = probe.result()
    took = _server_seconds(_text(summary))
    print(f"\n999 circles measured in {took:.2f} s; {len(latencies)} probes of the event loop, "
          f"slowest {max(latencies):.3f} s")  # fmt: skip
    assert len(latencies) >= 5, latencies
    assert max(latencies) < max(0.5 * took, 0.25), (took, sorted(latencies)[-5:])


def test_a_heavy_upload_does_not_freeze_another_session(server, page, squares_999):
    """While one session measures 999 squares, a new session shows its comparison.

    The budget is the user's (a page that appears), not a benchmark: on a loaded 2-core
    machine the browser's own rendering of the second page takes most of it.
    """
    from playwright.sync_api import expect

    _tab(page, "Proposed district")
    page.locator(".gd-upload input[type=file]").set_input_files(str(squares_999))
    context = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if urlparse(route.request.url).hostname in LOCAL_HOSTS
            else route.abort()
        ),
    )
    other = context.new_page()
    try:
        t0 = time.monotonic()
        other.goto(server.url)
        expect(other.locator(".gd-compare-table .tabulator-row")).to_have_count(3, timeout=30_000)
        took = time.monotonic() - t0
        print(f"\nsecond session's comparison table during the 999-square upload: {took:.2f} s")
        assert took < 10.0, took
    finally:
        context.close()
    summary = page.locator(".gd-prop-summary")
    expect(summary).to_contain_text("999 features merged", timeout=120_000)
    assert "Postcodes inside" in _text(summary)


def test_screenshots_of_every_view(page, tmp_path):
    from playwright.sync_api import expect

    shots = {}
    page.set_viewport_size({"width": 1400, "height": 1800})
    _tab(page, "Compare")  # places near the uploaded square, for a map worth looking at
    chosen = ["Cambridge city core (1 mile of the Old Schools)", "Cambridge (LAD 2024)"]
    page.locator(".gd-places select").select_option(label=chosen)
    expect(page.locator(".gd-compare-table .tabulator-row")).to_have_count(2, timeout=30_000)
    for title, ready in (
        ("Compare", ".gd-compare-table .tabulator-row"),
        ("Map", ".gd-map iframe"),
        ("Proposed district", ".gd-prop-card .tabulator-row"),
        ("Specialisation", ".gd-lq-table .tabulator-row"),
        ("About / data", "text=Sources, vintages and licences"),
    ):
        _tab(page, title)
        expect(page.locator(ready).first).to_be_visible(timeout=15_000)
        if title == "Map":
            frame = page.frame_locator(".gd-map iframe")
            expect(frame.locator(".leaflet-container")).to_be_visible(timeout=15_000)
            expect(frame.locator("path.leaflet-interactive").first).to_be_attached()
        if title == "Specialisation":
            expect(page.locator(".gd-lq-top")).to_contain_text("Top specialisms")
        page.wait_for_timeout(300)
        path = tmp_path / f"{re.sub(r'[^a-z]+', '_', title.lower()).strip('_')}.png"
        page.screenshot(path=str(path), full_page=True)
        shots[title] = path
    print(f"\nscreenshots in {tmp_path}")
    assert all(p.stat().st_size > 10_000 for p in shots.values())


def test_script_payloads_in_an_upload_execute_nothing(page, tmp_path, cambridge_square):
    """Names carrying script, event-handler and javascript: payloads show as text only."""
    from playwright.sync_api import expect

    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    payload = (
        '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
        '<a href="javascript:window.__xss=3">x</a>'
    )
    doc = json.loads(cambridge_square.read_text())
    doc["features"][0]["properties"]["name"] = payload
    path = tmp_path / "payload.geojson"
    path.write_text(json.dumps(doc))
    _tab(page, "Proposed district")
    page.locator(".gd-upload input[type=file]").set_input_files(str(path))
    summary = page.locator(".gd-prop-summary")
    expect(summary).to_contain_text("onerror", timeout=15_000)  # the new name, shown as text
    assert "Postcodes inside" in _text(summary)
    for tab in ("Compare", "Map", "Proposed district"):
        _tab(page, tab)
        page.wait_for_timeout(300)
    assert page.evaluate("() => window.__xss === undefined")
    assert dialogs == []

"""The app under load and attack: time to first content for 1, 10 and 25 sessions, and the
server's memory before, during and after a set of hostile uploads.

Bounded by design: the server is started here on 127.0.0.1 (a free port), the browser
(headless Chromium through Playwright) reaches nothing else, the session counts are fixed
(1, 10, 25 by default), every wait has a timeout and the whole run a time limit.

0. With ``--starts N`` (default 3): N alternate fresh starts of ``geodistrict app --data DIR``
   and of the floor, a bare Panel server of one page (a Bootstrap template and a line of
   text, what the app's loading page is); the median and fastest time to each one's first
   HTTP 200 are printed, and their difference: what geodistrict adds to Panel's own start.
1. ``geodistrict app --data DIR`` starts; the time to its first HTTP 200 and to "data ready"
   (the data load in the background) are printed.
2. For each count N, N sessions open the page at once; the time to first content is the time
   until the session's document, holding the comparison table, has reached the client. Two
   clients: ``--client server`` (default) pulls the document with Bokeh's own client
   (``bokeh.client.pull_session``, the server's work alone); ``--client browser`` opens N
   headless Chromium pages and waits for the first row of the table to render (on a 2-core
   machine the browsers' own rendering then dominates). Median and p90 are printed.
3. One session uploads the hostile set (generated here, never saved outside a temporary
   folder): a bzip2 and a deflate zip that unpack to more than they declare, a JSON nested
   200,000 deep, a polygon of 600,000 vertices, 999 adjacent squares, a 90 MB file. The
   server's resident memory is sampled every 50 ms (``/proc/PID/status``): before, peak and
   after are printed. Target: peak - before < 300 MB.

Usage: python benchmarks/app_load.py --data ../shared/data [--sessions 1 10 25]
       [--starts 3] [--limit-s 900] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LOCAL = {"127.0.0.1", "localhost"}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Sampler:
    """The peak resident memory of a process, sampled every 50 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_mb(self.pid))
            time.sleep(0.05)

    def __enter__(self) -> Sampler:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


#: The floor under the app's first answer: a bare Panel server of a page like its loading page.
FLOOR_APP = """\
import sys
import panel as pn

port = int(sys.argv[1])


def page():
    t = pn.template.BootstrapTemplate(title="floor", header_background="#3b6ea8")
    t.main.append(pn.pane.Markdown("Loading the postcodes and the data ..."))
    return t


pn.serve(page, port=port, address="127.0.0.1", show=False,
         websocket_origin=[f"127.0.0.1:{port}"])
"""


def _stop(proc: subprocess.Popen) -> None:
    """Terminate a server, and kill it if it has not stopped after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _first_answer(cmd: list[str], port: int, limit_s: float = 60.0) -> float:
    """Seconds from starting ``cmd`` (a server on ``port``) to its first HTTP 200; then stop it."""
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        while time.perf_counter() - start < limit_s:
            if proc.poll() is not None:
                sys.exit(f"the server stopped before answering: {' '.join(cmd)}")
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    r.read()
                    if r.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
        sys.exit(f"no answer within {limit_s:.0f} s: {' '.join(cmd)}")
    finally:
        _stop(proc)


def first_answers(data: str | None, starts: int) -> None:
    """Print the median first HTTP 200 of the app and of the floor, ``starts`` alternate runs."""
    ours, floor = [], []
    with tempfile.TemporaryDirectory(prefix="geodistrict-floor-") as tmp:
        script = Path(tmp) / "floor_app.py"
        script.write_text(FLOOR_APP)
        for _ in range(starts):
            port = _free_port()
            cmd = [sys.executable, "-m", "geodistrict.cli", "app", "--port", str(port),
                   "--address", "127.0.0.1", "--no-browser"]  # fmt: skip
            ours.append(_first_answer(cmd + (["--data", data] if data else []), port))
            port = _free_port()
            floor.append(_first_answer([sys.executable, str(script), str(port)], port))
            time.sleep(1.0)  # let the stopped server's memory go before the next start
    m_ours, m_floor = float(np.median(ours)), float(np.median(floor))
    print(f"first HTTP 200, {starts} alternate fresh starts (median / fastest):")
    print(f"  geodistrict app{' --data DIR' if data else ''}: {m_ours:.2f} s / {min(ours):.2f} s")
    print(f"  bare Panel server of one page (the floor): {m_floor:.2f} s / {min(floor):.2f} s")
    print(f"  geodistrict's part: {m_ours - m_floor:+.2f} s (medians)")


def _bomb(method: int, produced: int, declared: int = 1000) -> bytes:
    """A zipped 'Shapefile' whose .shp unpacks to ``produced`` bytes but declares ``declared``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        with zf.open("district.shp", "w") as f:
            block = bytes(1 << 20)
            for _ in range(produced >> 20):
                f.write(block)
        for ext in (".shx", ".dbf", ".prj"):
            zf.writestr(f"district{ext}", b"x" * 10)
    data = bytearray(buf.getvalue())
    local = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("district.shp").header_offset
    data[local + 22 : local + 26] = declared.to_bytes(4, "little")
    central = bytes(data).index(b"PK\x01\x02")
    data[central + 24 : central + 28] = declared.to_bytes(4, "little")
    return bytes(data)


def hostile_set(folder: Path) -> list[tuple[Path, str]]:
    """(file, phrase the session must show) for each hostile upload."""
    d = 0.0005
    squares = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": f"s{i}"}, "geometry": {"type": "Polygon",
         "coordinates": [[[0.05 + d * i, 52.19], [0.05 + d * (i + 1), 52.19],
                          [0.05 + d * (i + 1), 52.19 + d], [0.05 + d * i, 52.19 + d],
                          [0.05 + d * i, 52.19]]]}} for i in range(999)]}  # fmt: skip
    t = np.linspace(0, 2 * np.pi, 600_000, endpoint=False)
    ring = np.c_[0.12 + 0.05 * np.cos(t), 52.2 + 0.03 * np.sin(t)].round(6).tolist()
    dense = {"type": "Feature", "properties": {},
             "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}  # fmt: skip
    files = {
        "bomb_bzip2.zip": (_bomb(zipfile.ZIP_BZIP2, 256 << 20), "unpacks to more than"),
        "bomb_deflate.zip": (_bomb(zipfile.ZIP_DEFLATED, 200 << 20), "unpacks to more than"),
        "deep.geojson": (b"[" * 200_000 + b"]" * 200_000, "levels deep"),
        "dense.geojson": (json.dumps(dense).encode(), "vertices, more than"),
        "squares_999.geojson": (json.dumps(squares).encode(), "999 features merged"),
        "huge.geojson": (b'{"type": "FeatureCollection", "features": []}' + b" " * 90_000_000,
                         "over the 20 MB limit"),
    }  # fmt: skip
    out = []
    for name, (data, phrase) in files.items():
        path = folder / name
        path.write_bytes(data)
        out.append((path, phrase))
    return out


async def _first_content(browser, url: str, timeout_s: float) -> float:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})

    async def only_local(route) -> None:
        from urllib.parse import urlparse

        if urlparse(route.request.url).hostname in LOCAL:
            await route.continue_()
        else:
            await route.abort()

    await context.route("**/*", only_local)
    page = await context.new_page()
    try:
        t0 = time.perf_counter()
        await page.goto(url, timeout=timeout_s * 1000)
        await page.locator(".gd-compare-table .tabulator-row").first.wait_for(
            timeout=timeout_s * 1000
        )
        return time.perf_counter() - t0
    except Exception:  # noqa: BLE001 - a session that never showed content counts as a timeout
        return float("inf")
    finally:
        await context.close()


def _pull(url: str) -> float:
    """Seconds until a new session's document, with the comparison table, reaches a client."""
    from bokeh.client import pull_session

    _panel_models()
    t0 = time.perf_counter()
    with pull_session(url=url) as session:
        tables = [m for m in session.document.models
                  if "gd-compare-table" in (getattr(m, "css_classes", None) or [])]  # fmt: skip
        rows = len(next(iter(tables[0].source.data.values()))) if tables else 0
        took = time.perf_counter() - t0
    return took if rows else float("inf")


def _panel_models() -> None:
    """Import every Panel model, so that a pulled document can be decoded."""
    import importlib
    import pkgutil

    import panel.models

    for m in pkgutil.iter_modules(panel.models.__path__):
        try:
            importlib.import_module(f"panel.models.{m.name}")
        except Exception:  # noqa: BLE001, S112 - optional models (their packages absent)
            continue


def _server_sessions(url: str, n: int) -> list[float]:
    _panel_models()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: _pull(url), range(n)))


async def _wire_pull(url: str, timeout_s: float) -> float:
    """Seconds until a new session's document, with the comparison table, has arrived.

    What a browser does, without a browser: GET the page (the server makes the session's
    document), open the session's websocket with its token, ask for the document
    (``PULL-DOC-REQ``) and read the reply's frames. Nothing is decoded into Bokeh models, so
    the client costs milliseconds and the time measured is the server's.
    """
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    from tornado.websocket import websocket_connect

    t0 = time.perf_counter()
    page = await AsyncHTTPClient().fetch(url, request_timeout=timeout_s)
    token = re.search(r'"token":\s*"([^"]+)"', page.body.decode("utf-8", "replace"))
    if token is None:
        return float("inf")
    ws_url = url.replace("http://", "ws://").rstrip("/") + "/ws"
    ws = await websocket_connect(HTTPRequest(ws_url, request_timeout=timeout_s),
                                 subprotocols=["bokeh", token.group(1)])  # fmt: skip

    async def message() -> tuple[dict, str]:
        header = json.loads(await ws.read_message())
        await ws.read_message()  # metadata
        content = await ws.read_message()
        for _ in range(int(header.get("num_buffers", 0))):
            await ws.read_message()  # the buffer's id, then its bytes
            await ws.read_message()
        return header, content

    try:
        while (await message())[0]["msgtype"] != "ACK":
            pass
        req = {"msgid": "pull-1", "msgtype": "PULL-DOC-REQ"}
        for part in (req, {}, {}):
            await ws.write_message(json.dumps(part))
        while True:
            header, content = await message()
            if header["msgtype"] == "PULL-DOC-REPLY":
                break
        took = time.perf_counter() - t0
    finally:
        ws.close()
    return took if "gd-compare-table" in content and "22@Barcelona" in content else float("inf")


async def _wire_sessions(url: str, n: int, timeout_s: float) -> list[float]:
    async def one() -> float:
        try:
            return await asyncio.wait_for(_wire_pull(url, timeout_s), timeout_s)
        except Exception:  # noqa: BLE001 - a session that never arrived counts as a timeout
            return float("inf")

    return list(await asyncio.gather(*(one() for _ in range(n))))


async def _sessions(chromium: str, url: str, n: int, timeout_s: float) -> list[float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        try:
            return list(await asyncio.gather(
                *(_first_content(browser, url, timeout_s) for _ in range(n))))  # fmt: skip
        finally:
            await browser.close()


def _hostile(chromium: str, url: str, files: list[tuple[Path, str]]) -> list[tuple[str, str]]:
    from playwright.sync_api import expect, sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(url)
            page.locator(".gd-compare-table .tabulator-row").first.wait_for(timeout=120_000)
            page.locator(".bk-tab", has_text="Proposed district").first.click()
            for path, phrase in files:
                t0 = time.perf_counter()
                page.locator(".gd-upload input[type=file]").set_input_files(str(path))
                where = ".gd-prop-summary" if "merged" in phrase else ".gd-prop-msg"
                # this file's message, not the previous file's (which may share the phrase)
                want = (
                    phrase
                    if "merged" in phrase
                    else re.compile(re.escape(path.name) + ".*" + re.escape(phrase), re.S)
                )
                try:
                    expect(page.locator(where)).to_contain_text(want, timeout=180_000)
                    got = f"shown in {time.perf_counter() - t0:.1f} s"
                except AssertionError:
                    got = "NOT shown"
                out.append((path.name, got))
        finally:
            browser.close()
    return out


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("GEODISTRICT_SHARED_DATA"),
                    help="the shared data folder")  # fmt: skip
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 25])
    ap.add_argument("--timeout-s", type=float, default=120.0, help="per session")
    ap.add_argument("--limit-s", type=float, default=900.0, help="the whole run")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--skip-hostile", action="store_true")
    ap.add_argument("--client", choices=["wire", "server", "browser"], default="wire")
    ap.add_argument("--num-procs", type=int, default=1, help="geodistrict app --num-procs")
    ap.add_argument("--starts", type=int, default=3,
                    help="fresh starts of the app and of a bare Panel page (0: none)")  # fmt: skip
    args = ap.parse_args()
    if max(args.sessions) > 50:
        sys.exit("at most 50 sessions: this benchmark is bounded on purpose")
    if not 0 <= args.starts <= 20:
        sys.exit("--starts: 0 to 20")
    if args.starts:
        first_answers(args.data, args.starts)
    start = time.perf_counter()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = Path(tempfile.mkdtemp(prefix="geodistrict-load-")) / "server.log"
    cmd = [sys.executable, "-m", "geodistrict.cli", "app", "--port", str(port), "--address",
           "127.0.0.1", "--no-browser", "--num-procs", str(args.num_procs)]  # fmt: skip
    cmd += ["--data", args.data] if args.data else []
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        first = None
        while "data ready" not in log.read_text():
            if proc.poll() is not None or time.perf_counter() - start > args.limit_s:
                sys.exit(f"the server stopped or took too long: {log.read_text()[-2000:]}")
            if first is None:
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        first = time.perf_counter() - start if r.status == 200 else None
                except OSError:
                    pass
            time.sleep(0.2)
        ready = time.perf_counter() - start
        while True:  # with --num-procs the server binds after the data are ready
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
            if time.perf_counter() - start > args.limit_s:
                sys.exit("the server did not answer")
        first = first if first is not None else time.perf_counter() - start
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        first_s = f"{first:.1f} s" if first is not None else "n/a"
        print(f"server: first HTTP 200 after {first_s}, data ready after {ready:.1f} s")
        print(f"server memory with the data loaded: {_rss_mb(proc.pid):,.0f} MB")
        for n in args.sessions:
            if time.perf_counter() - start > args.limit_s:
                print("time limit reached: stopping")
                break
            if args.client == "browser":
                times = asyncio.run(_sessions(args.chromium, url, n, args.timeout_s))
            elif args.client == "wire":
                times = asyncio.run(_wire_sessions(url, n, args.timeout_s))
            else:
                times = _server_sessions(url, n)
            ok = [t for t in times if np.isfinite(t)]
            print(f"{n:>3} sessions ({args.client}): first content median {_pct(ok, 50):.2f} s, "
                  f"p90 {_pct(ok, 90):.2f} s, max {max(ok):.2f} s ({len(times) - len(ok)} timed "
                  "out)" if ok else f"{n:>3} sessions: all timed out")  # fmt: skip
        if not args.skip_hostile:
            with tempfile.TemporaryDirectory(prefix="geodistrict-hostile-") as tmp:
                files = hostile_set(Path(tmp))
                before = _rss_mb(proc.pid)
                with Sampler(proc.pid) as s:
                    shown = _hostile(args.chromium, url, files)
                after = _rss_mb(proc.pid)
            for name, got in shown:
                print(f"  hostile upload {name}: message {got}")
            print(
                f"server memory: before {before:,.0f} MB, peak {s.peak:,.0f} MB "
                f"(+{s.peak - before:,.0f} MB), after {after:,.0f} MB"
            )
    finally:
        _stop(proc)


if __name__ == "__main__":
    main()

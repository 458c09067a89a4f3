"""HTML reports printed to PDF by a real headless Chromium, with the network blocked.

The documents are written here with facts we fix ourselves: a forced page break (so two
pages), an 8 x 6 PNG made byte by byte (so an 8 x 6 image in the PDF), A4 and A5 page sizes
(210 x 297 mm and 148 x 210 mm, so 595 x 842 pt and 420 x 595 pt). The PDFs are read back with
a few lines of stdlib code (object dictionaries, Flate streams, the fonts' ToUnicode maps), not
with the code under test. No mocks of the browser: when no Chromium is found the browser tests
are skipped, and fail under ``CI=true``.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import struct
import sys
import time
import zlib
from pathlib import Path

import pytest

from geodistrict.errors import MissingDependencyError, ParameterError
from geodistrict.reports._pdf import PrintResult, find_chromium, print_pdfs

pytestmark = pytest.mark.serial  # Chromium's timeouts and wall-clock budgets: run alone

A4_PT = (210 / 25.4 * 72, 297 / 25.4 * 72)  # 595.3 x 841.9
A5_LANDSCAPE_PT = (210 / 25.4 * 72, 148 / 25.4 * 72)  # 595.3 x 419.5
PT_TOLERANCE = 2.0  # Chromium rounds paper sizes to 1/100 inch


# --- fixtures: Chromium, documents -----------------------------------------------------------


def _need(what: str, missing: str) -> None:
    msg = f"PDF tests need {what}: {missing}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope="module")
def chromium() -> str:
    """Path of the Chromium executable (skip locally, fail under CI=true, when none)."""
    try:
        return find_chromium()
    except MissingDependencyError as e:
        _need("Chromium", str(e))
        raise  # unreachable: _need skips or fails


@pytest.fixture(scope="module")
def playwright_chromium(chromium: str) -> str:
    """Chromium and Python Playwright (the main engine)."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        _need("Playwright", "playwright is not installed (pip install playwright)")
    return chromium


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour RGB PNG built byte by byte (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG_W, PNG_H = 8, 6
PNG_URI = "data:image/png;base64," + base64.b64encode(_png(PNG_W, PNG_H, (200, 30, 30))).decode()


def _two_page_html(title: str = "Leeds innovation audit", page_css: str = "") -> str:
    rows = "".join(f"<tr><td>Sector {i}</td><td>{i * 7}</td></tr>" for i in range(1, 6))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
  {page_css}
  body {{ font-family: sans-serif; }}
  table {{ border-collapse: collapse; }}
  td {{ border: 1px solid #999; padding: 2px 6px; background: #eef; }}
  .second {{ break-before: page; }}
  img {{ width: 80px; height: 60px; image-rendering: pixelated; }}
</style></head>
<body>
  <h1>{title}</h1>
  <p>Firms per square kilometre by sector.</p>
  <table><tr><th>Sector</th><th>Firms</th></tr>{rows}</table>
  <img alt="red block" src="{PNG_URI}">
  <section class="second"><h2>Second page</h2><p>Sources and licences.</p></section>
</body></html>
"""


NETWORK_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>leaky</title></head>
<body><h1>Leaky report</h1>
<img alt="remote" src="http://example.com/x.png">
<script>
  fetch('https://example.org').catch(() => {});
  try { new WebSocket('wss://example.net/live'); } catch (e) {}
</script>
</body></html>
"""

# load never fires: the script spins before the document finishes
BUSY_HTML = "<!doctype html><html><body><p>busy</p><script>while (true) {}</script></body></html>"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- reading PDFs back (stdlib only) ---------------------------------------------------------


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(m[1]): m[2] for m in re.finditer(rb"(?s)(\d+) 0 obj(.*?)endobj", data)}


def _stream(body: bytes) -> bytes:
    m = re.search(rb"(?s)stream\r?\n(.*)endstream", body)
    assert m is not None, body[:200]
    raw = m[1]
    if b"/FlateDecode" in body[: m.start()]:
        return zlib.decompressobj().decompress(raw)
    return raw


def _to_unicode(cmap: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for block in re.findall(rb"(?s)beginbfchar(.*?)endbfchar", cmap):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[src.decode().upper()] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"(?s)beginbfrange(.*?)endbfrange", cmap):
        triples = re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block)
        for lo, hi, dst in triples:
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[f"{code:04X}"] = chr(int(dst, 16) + i)
    return out


def _page_texts(data: bytes) -> list[str]:
    """Text drawn on each page, in page order (whitespace removed)."""
    objs = _objects(data)
    root = next(b for b in objs.values() if re.search(rb"/Type\s*/Pages\b", b))
    kids = re.search(rb"/Kids\s*\[(.*?)\]", root, re.S)
    assert kids is not None
    texts = []
    for ref in re.findall(rb"(\d+) 0 R", kids[1]):
        page = objs[int(ref)]
        fonts = {}
        for name, font_ref in re.findall(rb"/(F\d+)\s+(\d+) 0 R", page):
            tu = re.search(rb"/ToUnicode\s+(\d+) 0 R", objs[int(font_ref)])
            fonts[name] = _to_unicode(_stream(objs[int(tu[1])])) if tu else {}
        contents = re.search(rb"/Contents\s+(\d+) 0 R", page)
        assert contents is not None
        cmap: dict[str, str] = {}
        out = []
        ops = rb"/(F\d+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>\s*Tj|\[([^\]]*)\]\s*TJ"
        for m in re.finditer(ops, _stream(objs[int(contents[1])])):
            if m[1]:
                cmap = fonts.get(m[1], {})
                continue
            for hexes in [m[2]] if m[2] is not None else re.findall(rb"<([0-9A-Fa-f]*)>", m[3]):
                h = hexes.decode().upper()
                out.append("".join(cmap.get(h[i : i + 4], "?") for i in range(0, len(h), 4)))
        texts.append(re.sub(r"\s+", "", "".join(out)))
    return texts


def _media_box(data: bytes) -> tuple[float, float]:
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data))
    assert len(boxes) == 1, boxes
    (w, h) = next(iter(boxes))
    return float(w), float(h)


def _root_count(data: bytes) -> int:
    m = re.search(rb"/Type\s*/Pages\s*/Count\s+(\d+)", data)
    assert m is not None
    return int(m[1])


def _close_to(actual: tuple[float, float], expected: tuple[float, float]) -> bool:
    return all(abs(a - e) <= PT_TOLERANCE for a, e in zip(actual, expected, strict=True))


# --- find_chromium ---------------------------------------------------------------------------


def _fake_executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_find_chromium_bogus_explicit_path_teaches(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("GEODISTRICT_CHROMIUM", raising=False)
    with pytest.raises(MissingDependencyError) as info:
        find_chromium("/no/such/dir/chromium")
    msg = str(info.value)
    assert "/no/such/dir/chromium" in msg
    assert "chromium" in msg and "--no-pdf" in msg and "--chromium" in msg
    assert isinstance(info.value, ImportError)  # callers who know only builtins can catch it


def test_find_chromium_nothing_on_path_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("GEODISTRICT_CHROMIUM", raising=False)
    with pytest.raises(MissingDependencyError, match=r"apt-get install chromium.*--no-pdf"):
        find_chromium()


def test_find_chromium_search_order(monkeypatch, tmp_path):
    monkeypatch.delenv("GEODISTRICT_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    chrome = _fake_executable(tmp_path, "google-chrome")
    assert find_chromium() == str(chrome)  # chromium and chromium-browser are absent
    browser = _fake_executable(tmp_path, "chromium-browser")
    assert find_chromium() == str(browser)  # listed before google-chrome
    elsewhere = tmp_path / "opt"
    elsewhere.mkdir()
    pinned = _fake_executable(elsewhere, "my-chrome")
    monkeypatch.setenv("GEODISTRICT_CHROMIUM", str(pinned))
    assert find_chromium() == str(pinned)  # the environment beats PATH
    assert find_chromium(str(chrome)) == str(chrome)  # an explicit path beats both


def test_find_chromium_rejects_bad_environment_and_non_executables(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    _fake_executable(tmp_path, "chromium")
    monkeypatch.setenv("GEODISTRICT_CHROMIUM", str(tmp_path / "gone"))
    with pytest.raises(MissingDependencyError, match="GEODISTRICT_CHROMIUM"):
        find_chromium()  # no silent fallback to the chromium on PATH
    plain = tmp_path / "chromium.txt"
    plain.write_text("not a program")
    with pytest.raises(MissingDependencyError, match="chromium.txt"):
        find_chromium(str(plain))


def test_print_pdfs_checks_its_options_first(tmp_path):
    with pytest.raises(ParameterError, match="timeout_s"):
        print_pdfs([(tmp_path / "a.html", tmp_path / "a.pdf")], timeout_s=0)
    assert print_pdfs([], chromium="/no/such/chromium") == []  # nothing to print, nothing needed


# --- printing with Playwright ----------------------------------------------------------------


def test_two_page_report(playwright_chromium, tmp_path):
    html = _write(tmp_path, "leeds.html", _two_page_html())
    [result] = print_pdfs([(html, tmp_path / "leeds.pdf")], chromium=playwright_chromium)
    assert isinstance(result, PrintResult)
    assert result.error is None
    assert result.blocked == ()
    assert result.html == html and result.pdf == tmp_path / "leeds.pdf"
    data = result.pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert result.pages == 2 == _root_count(data)  # the forced break, read two ways
    assert _close_to(_media_box(data), A4_PT)  # A4 portrait by default
    image = re.search(rb"/Subtype\s*/Image(.*?)>>", data, re.S)
    assert image is not None, "the data: URI image is missing from the PDF"
    dims = (re.search(rb"/Width (\d+)", image[0]), re.search(rb"/Height (\d+)", image[0]))
    assert [int(m[1]) for m in dims if m] == [PNG_W, PNG_H]
    page1, page2 = _page_texts(data)
    assert "Leedsinnovationaudit" in page1 and "Sector5" in page1 and "35" in page1
    assert "Secondpage" in page2 and "Secondpage" not in page1
    assert "/" not in page1 + page2  # no footer unless asked for one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leeds.html", "leeds.pdf"]
    assert 0 < result.seconds < 30


def test_footer_per_file_and_css_page_size_wins(playwright_chromium, tmp_path):
    a4 = _write(tmp_path, "york.html", _two_page_html("York"))
    a5 = _write(
        tmp_path, "hull.html", _two_page_html("Hull", "@page { size: A5 landscape; margin: 12mm; }")
    )
    seen: list[Path] = []

    def footer(html: Path) -> str:
        seen.append(html)
        return f"{html.stem.title()} <&> geodistrict report"

    results = print_pdfs(
        [(a4, tmp_path / "york.pdf"), (a5, tmp_path / "hull.pdf")],
        chromium=playwright_chromium,
        footer=footer,
    )
    assert seen == [a4, a5]
    assert [r.error for r in results] == [None, None]
    york, hull = (r.pdf.read_bytes() for r in results)
    assert _close_to(_media_box(york), A4_PT)
    assert _close_to(_media_box(hull), A5_LANDSCAPE_PT)  # the HTML's @page rule won
    for data, place in ((york, "York"), (hull, "Hull")):
        texts = _page_texts(data)
        assert len(texts) == 2
        for number, text in enumerate(texts, start=1):
            assert f"{place}<&>geodistrictreport" in text  # escaped, so shown as typed
            assert text.endswith(f"{number}/2")  # footer last, page / pages at the right


def test_network_requests_are_blocked_and_listed(playwright_chromium, tmp_path):
    html = _write(tmp_path, "leaky.html", NETWORK_HTML)
    t0 = time.monotonic()
    [result] = print_pdfs([(html, tmp_path / "leaky.pdf")], chromium=playwright_chromium)
    elapsed = time.monotonic() - t0
    assert result.error is None
    assert result.pages == 1
    assert result.pdf.read_bytes().startswith(b"%PDF-")
    # fetch() normalises the bare origin to "https://example.org/" (WHATWG URL parsing)
    assert set(result.blocked) == {
        "http://example.com/x.png",
        "https://example.org/",
        "wss://example.net/live",
    }
    assert elapsed < 30  # aborted at once, not left to the 60 s timeout


def test_missing_html_among_three(playwright_chromium, tmp_path):
    first = _write(tmp_path, "first.html", _two_page_html("First"))
    last = _write(tmp_path, "last.html", _two_page_html("Last"))
    missing = tmp_path / "missing.html"
    done: list[PrintResult] = []
    results = print_pdfs(
        [
            (first, tmp_path / "first.pdf"),
            (missing, tmp_path / "missing.pdf"),
            (str(last), str(tmp_path / "last.pdf")),  # str paths work too
        ],
        chromium=playwright_chromium,
        on_done=done.append,
    )
    assert done == results and len(done) == 3
    assert [r.html.name for r in results] == ["first.html", "missing.html", "last.html"]
    bad = results[1]
    assert bad.error is not None and str(missing) in bad.error and "not found" in bad.error
    assert bad.pages == 0 and not bad.pdf.exists()
    for good in (results[0], results[2]):
        assert good.error is None and good.pages == 2
        assert good.pdf.read_bytes().startswith(b"%PDF-")


def test_timeout_keeps_previous_pdf_and_moves_on(playwright_chromium, tmp_path):
    busy = _write(tmp_path, "busy.html", BUSY_HTML)
    fine = _write(tmp_path, "fine.html", _two_page_html("Fine"))
    (tmp_path / "busy.pdf").write_bytes(b"previous pdf")
    results = print_pdfs(
        [(busy, tmp_path / "busy.pdf"), (fine, tmp_path / "fine.pdf")],
        chromium=playwright_chromium,
        timeout_s=2,
    )
    stuck, printed = results
    assert stuck.error is not None and "busy.html" in stuck.error and "2 s" in stuck.error
    assert stuck.pages == 0 and 2 <= stuck.seconds < 12
    assert (tmp_path / "busy.pdf").read_bytes() == b"previous pdf"  # untouched
    assert printed.error is None and printed.pages == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "busy.html",
        "busy.pdf",
        "fine.html",
        "fine.pdf",
    ]  # no temporary files left behind


# a report that keeps trying the network after it has loaded (every 20 ms, forever)
CHATTY_HTML = """<!doctype html><html><body><p>chatty</p><script>
  setInterval(() => fetch('https://chatty.example/' + Date.now()).catch(() => {}), 20);
</script></body></html>"""


def test_one_page_prints_every_file_and_keeps_each_files_requests(playwright_chromium, tmp_path):
    """The page reused from file to file leaves nothing behind: a report that keeps fetching
    after it loaded does not put its requests on the next file, and a busy file that timed
    out does not stop the next."""
    chatty = _write(tmp_path, "chatty.html", CHATTY_HTML)
    quiet = _write(tmp_path, "quiet.html", _two_page_html("Quiet"))
    busy = _write(tmp_path, "busy.html", BUSY_HTML)
    after = _write(tmp_path, "after.html", _two_page_html("After"))
    results = print_pdfs(
        [(chatty, tmp_path / "c.pdf"), (quiet, tmp_path / "q.pdf"),
         (busy, tmp_path / "b.pdf"), (after, tmp_path / "a.pdf")],
        chromium=playwright_chromium,
        timeout_s=3,
    )  # fmt: skip
    c, q, b, a = results
    assert c.error is None and c.blocked and all("chatty.example" in u for u in c.blocked)
    assert (q.error, q.pages, q.blocked) == (None, 2, ())
    assert b.error is not None and "3 s" in b.error
    assert (a.error, a.pages, a.blocked) == (None, 2, ())
    assert "After" in _page_texts(a.pdf.read_bytes())[0]


def test_jobs_from_a_generator_print_while_the_next_files_are_written(
    playwright_chromium, tmp_path
):
    """The first PDF is done before the generator is asked for (and writes) the second file."""
    events: list[str] = []

    def jobs():
        for k in range(3):
            html = _write(tmp_path, f"g{k}.html", _two_page_html(f"Gen {k}"))
            events.append(f"wrote g{k}")
            yield html, tmp_path / f"g{k}.pdf"
            if k == 0:  # the next file is written only once the first is printed
                deadline = time.monotonic() + 30
                while "printed g0" not in events and time.monotonic() < deadline:
                    time.sleep(0.05)

    results = print_pdfs(
        jobs(),
        chromium=playwright_chromium,
        on_done=lambda r: events.append(f"printed {r.html.stem}"),
    )
    assert [(r.error, r.pages) for r in results] == [(None, 2)] * 3
    assert events.index("printed g0") < events.index("wrote g1")
    assert [e for e in events if e.startswith("printed")] == ["printed g0", "printed g1",
                                                              "printed g2"]  # fmt: skip


def test_two_workers_keep_the_jobs_order(playwright_chromium, tmp_path):
    """Results and ``on_done`` follow the jobs, whichever worker finishes first."""
    with pytest.raises(ParameterError, match="workers"):
        print_pdfs([(tmp_path / "a.html", tmp_path / "a.pdf")], workers=0)
    slow = _write(tmp_path, "slow.html", _two_page_html("Slow").replace(
        "</body>", "<script>const t = Date.now(); while (Date.now() - t < 1500) {}</script>"
        "</body>"))  # fmt: skip
    fast = [_write(tmp_path, f"f{k}.html", _two_page_html(f"Fast {k}")) for k in range(3)]
    jobs = [(h, h.with_suffix(".pdf")) for h in [slow, *fast]]
    done: list[PrintResult] = []
    results = print_pdfs(jobs, chromium=playwright_chromium, workers=2, on_done=done.append)
    assert [r.html for r in results] == [h for h, _ in jobs]
    assert done == results
    assert [(r.error, r.pages) for r in results] == [(None, 2)] * 4
    titles = ["Slow", "Fast0", "Fast1", "Fast2"]  # page texts come without spaces
    for r, title in zip(results, titles, strict=True):
        assert title in _page_texts(r.pdf.read_bytes())[0]


@pytest.mark.parametrize("separate_process", [True, False])
def test_background_printer(playwright_chromium, tmp_path, separate_process):
    """Files queued one at a time are printed in the background (another process, or a
    thread), in order, with their footers; a missing file gets its error and the others
    print; cancel stops it."""
    from geodistrict.reports._pdf import BackgroundPrinter

    htmls = [_write(tmp_path, f"b{k}.html", _two_page_html(f"Back {k}")) for k in range(3)]
    seen: list[PrintResult] = []
    printer = BackgroundPrinter(
        playwright_chromium, on_done=seen.append, separate_process=separate_process
    )
    if separate_process:
        assert printer._proc.pid != os.getpid() and printer._proc.is_alive()
    printer.put(htmls[0], tmp_path / "b0.pdf", footer="Zero <&> report")
    printer.put(tmp_path / "gone.html", tmp_path / "gone.pdf", footer="x")
    for k in (1, 2):
        printer.put(htmls[k], tmp_path / f"b{k}.pdf", footer=None if k == 2 else f"One {k}")
    results = printer.close()
    assert seen == results
    assert [r.html.name for r in results] == ["b0.html", "gone.html", "b1.html", "b2.html"]
    assert results[1].error is not None and "gone.html" in results[1].error
    for r in (results[0], results[2], results[3]):
        assert (r.error, r.pages) == (None, 2)
    texts = _page_texts(results[0].pdf.read_bytes())
    assert "Zero<&>report" in texts[0] and texts[0].endswith("1/2")
    assert "One1" in _page_texts(results[2].pdf.read_bytes())[0]
    assert "/" not in "".join(_page_texts(results[3].pdf.read_bytes()))  # no footer asked
    if not separate_process:
        return
    assert not printer._proc.is_alive()
    stopped = BackgroundPrinter(playwright_chromium)
    stopped.put(_write(tmp_path, "busy.html", BUSY_HTML), tmp_path / "busy.pdf")
    t0 = time.monotonic()
    stopped.cancel()
    assert not stopped._proc.is_alive() and time.monotonic() - t0 < 15
    assert not (tmp_path / "busy.pdf").exists()


def _our_browser_pids() -> list[int]:
    """Main Chromium processes descended from this test process (via Playwright's driver)."""
    parent: dict[int, int] = {}
    exe: dict[int, str] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            exe[int(d.name)] = os.readlink(d / "exe")
        except OSError:
            continue  # gone, or a zombie
        parent[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])

    def ours(pid: int) -> bool:
        while pid > 1:
            pid = parent.get(pid, 0)
            if pid == os.getpid():
                return True
        return False

    return [
        pid
        for pid, path in exe.items()
        if path.endswith("/chromium") and "chromium" not in exe.get(parent[pid], "") and ours(pid)
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_browser_killed_between_files_is_restarted(playwright_chromium, tmp_path):
    htmls = [_write(tmp_path, f"p{i}.html", _two_page_html(f"P{i}")) for i in range(3)]
    killed: list[int] = []

    def kill_after_first(result: PrintResult) -> None:
        if not killed:
            killed.extend(_our_browser_pids())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    results = print_pdfs(
        [(h, h.with_suffix(".pdf")) for h in htmls],
        chromium=playwright_chromium,
        on_done=kill_after_first,
    )
    assert len(killed) == 1, "expected exactly one browser process of ours to kill"
    assert [(r.error, r.pages) for r in results] == [(None, 2)] * 3


# --- printing with Chromium's command line (no Playwright) -----------------------------------


def test_command_line_fallback_prints_two_pages(chromium, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright.async_api", None)  # import now fails
    html = _write(tmp_path, "cli.html", _two_page_html("Command line"))
    missing = tmp_path / "nope.html"
    results = print_pdfs(
        [(html, tmp_path / "cli.pdf"), (missing, tmp_path / "nope.pdf")],
        chromium=chromium,
        footer="ignored without Playwright",
    )
    printed, bad = results
    assert printed.error is None, printed.error
    data = printed.pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert printed.pages == 2 == _root_count(data)
    assert printed.blocked == ()
    page1, page2 = _page_texts(data)
    assert "Commandline" in page1 and "Secondpage" in page2
    assert "ignored" not in page1 + page2
    assert bad.error is not None and "nope.html" in bad.error and bad.pages == 0


def test_the_cli_starts_printing_before_it_reads_the_data_and_stops_on_error(monkeypatch, tmp_path):
    # the printing process and Chromium start while the data are read; a failure there
    # stops them (no printing process is left behind)
    import geodistrict.reports as reports
    from geodistrict.cli import main
    from geodistrict.districts.registry import district_boundaries
    from geodistrict.errors import ParameterError

    events: list[tuple] = []

    class Printer:
        def __init__(self, chromium, *, total):
            events.append(("start", chromium, total))

        def cancel(self):
            events.append(("cancel",))

    def context(*args, **kwargs):
        events.append(("context",))
        raise ParameterError("the data could not be read")

    monkeypatch.setattr(reports, "ReportPrinter", Printer)
    monkeypatch.setattr(reports, "build_context", context)
    status = main(["report", "--all", "--no-postcodes", "--chromium", "/x/chromium",
                   "--out", str(tmp_path)])  # fmt: skip
    assert status != 0
    n = len(district_boundaries())
    assert events == [("start", "/x/chromium", n), ("context",), ("cancel",)]
    events.clear()
    main(["report", "--all", "--no-postcodes", "--no-pdf", "--out", str(tmp_path)])
    assert events == [("context",)]  # --no-pdf: nothing to start

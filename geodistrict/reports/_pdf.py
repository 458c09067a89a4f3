"""Print self-contained HTML reports to PDF with headless Chromium, without the network.

One browser prints every file of a worker, in one page (starting either is the slow part; a
page that fails or times out is replaced). Each file loads from a ``file:`` URI, and a page
with scripts goes back to ``about:blank`` once printed; every request is routed and only
``file:``, ``data:``, ``about:`` and ``blob:`` URLs are served, so a report that tries the
network is still printed, promptly, and the URLs it tried are listed in
:attr:`PrintResult.blocked`. The browser is also pointed at a proxy that does not exist
(``127.0.0.1:9``, loopback included), so a request that escapes the routing (a WebSocket, a
pre-connect) fails instead of leaving the machine.

Chromium is driven through Playwright's asyncio API, which can abandon a ``page.pdf()`` call
that never returns (a script spinning forever after ``load``); the synchronous API cannot. When
Playwright is not installed, each file is printed by Chromium's own command line instead
(``--print-to-pdf``): no footer, no list of blocked requests, one browser start per file.

Every PDF is written atomically (:func:`geodistrict.io.write.atomic_path`): a failed or
interrupted print leaves the previous PDF as it was.
"""

from __future__ import annotations

import asyncio
import html as _html
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MissingDependencyError, ParameterError

__all__ = ["BackgroundPrinter", "PrintResult", "find_chromium", "print_pdfs"]

#: Executable names tried on ``PATH``, in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Environment variable naming the Chromium executable (after ``--chromium``, before ``PATH``).
CHROMIUM_ENV = "GEODISTRICT_CHROMIUM"
#: Page margins when the HTML has no ``@page`` rule of its own.
MARGIN = "14mm"
#: URL schemes a report may load; every other request is aborted and reported.
ALLOWED_SCHEMES = ("file:", "data:", "about:", "blob:")

_FIX = (
    "install it with `apt-get install chromium` (as root), pass --chromium PATH, "
    "or skip the PDFs with --no-pdf"
)
# Flags for both engines: headless as root, no GPU, nothing phoning home, and a proxy that
# does not exist (port 9 is "discard"; <-loopback> sends loopback through it too).
_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)
_CLOSE_TIMEOUT_S = 10.0
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z0-9_])")
_PAGES_COUNT = re.compile(rb"/Count\s+(\d+)")


@dataclass(frozen=True)
class PrintResult:
    """What happened to one HTML file.

    Attributes
    ----------
    html : Path
        The HTML file printed.
    pdf : Path
        The PDF written (or that would have been written).
    error : str or None
        ``None`` when the PDF was written; otherwise one line naming the file, what failed and
        what to do. The previous PDF, if any, is left untouched.
    pages : int
        Pages in the PDF written, counted from its bytes (0 on error).
    blocked : tuple of str
        URLs the page tried to fetch over the network, in order of first attempt, once each.
        They were blocked; the page was printed without them. Always empty with the
        command-line engine.
    seconds : float
        Time spent on this file (the browser's start-up is not included).
    """

    html: Path
    pdf: Path
    error: str | None
    pages: int
    blocked: tuple[str, ...]
    seconds: float


def find_chromium(explicit: str | None = None) -> str:
    """Locate the Chromium (or Chrome) executable used to print PDFs.

    Parameters
    ----------
    explicit : str, optional
        A path or a command name given by the user (``--chromium``). When given, it must work:
        there is no silent fallback to another browser.

    Returns
    -------
    str
        The executable's path: ``explicit`` if given, else the environment variable
        ``GEODISTRICT_CHROMIUM`` if set, else the first of ``chromium``, ``chromium-browser``,
        ``google-chrome`` and ``google-chrome-stable`` found on ``PATH``.

    Raises
    ------
    MissingDependencyError
        When no executable is found; the message says how to install one, how to point at
        one, and how to do without PDFs.

    Examples
    --------
    >>> find_chromium("/no/such/chromium")
    Traceback (most recent call last):
    ...
    geodistrict.errors.MissingDependencyError: Chromium not found at '/no/such/chromium' ...
    """
    if explicit is not None:
        found = _executable(explicit)
        if found is None:
            raise MissingDependencyError(
                f"Chromium not found at {explicit!r} (given with --chromium): no executable "
                f"file there; pass the path of chromium (e.g. /usr/bin/chromium), {_FIX}."
            )
        return found
    env = os.environ.get(CHROMIUM_ENV, "").strip()
    if env:
        found = _executable(env)
        if found is None:
            raise MissingDependencyError(
                f"Chromium not found at {env!r} (set by {CHROMIUM_ENV}): no executable file "
                f"there; fix or unset {CHROMIUM_ENV}, {_FIX}."
            )
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise MissingDependencyError(
        f"PDF output needs Chromium and none is on PATH (looked for {', '.join(CHROMIUM_NAMES)}"
        f" and {CHROMIUM_ENV}): {_FIX}."
    )


def print_pdfs(
    jobs: Iterable[tuple[str | Path, str | Path]],
    *,
    chromium: str | None = None,
    footer: str | Callable[[Path], str | None] | None = None,
    timeout_s: float = 60.0,
    on_done: Callable[[PrintResult], None] | None = None,
    workers: int = 1,
) -> list[PrintResult]:
    """Print HTML files to PDF with headless Chromium, with every network request blocked.

    Pages are A4 portrait with 14 mm margins and their backgrounds, unless the HTML's own
    ``@page`` rule sets the size or margins (it wins). Each file is printed once its ``load``
    event has fired and its web fonts are ready; images must be inline (``data:`` URIs) or
    local files. A file that is missing, fails to load or print, or takes longer than
    ``timeout_s`` gets a :class:`PrintResult` with ``error`` set and the next file is printed.
    If Chromium itself stops, it is started once more for the remaining files.

    Parameters
    ----------
    jobs : iterable of (html path, pdf path)
        The files to print and where to write each PDF (its folder must exist). A list is
        read at once; any other iterable (a generator fed while the files are being written)
        is read one job at a time, off the printing loop, so printing starts with the first.
    chromium : str, optional
        Chromium executable; see :func:`find_chromium` for the default search.
    footer : str or callable, optional
        Text printed small at the left of every page footer, with ``page / pages`` at the
        right; a callable receives the HTML path and returns the text (``None``: no footer on
        that file). ``None`` (the default) prints no header or footer at all; ``""`` prints
        page numbers only. The footer sits in the bottom margin, so an ``@page`` rule with no
        bottom margin hides it.
    timeout_s : float
        Seconds allowed per file, from opening the page to the PDF's bytes.
    on_done : callable, optional
        Called with each :class:`PrintResult` as soon as its file and every file before it
        are done, in the order of the jobs (to drive a progress bar).
    workers : int
        Files printed at once, each worker with its own browser (a file that crashes one
        browser cannot take another worker's file with it). Two suit a machine with two
        cores or more.

    Returns
    -------
    list of PrintResult
        One per job, in the order given.

    Raises
    ------
    MissingDependencyError
        When there are jobs and no Chromium executable is found (before anything is printed).
    ParameterError
        When ``timeout_s`` is not positive.

    Notes
    -----
    Without Playwright (``pip install playwright``; its downloaded browsers are not needed),
    each file is printed by ``chromium --headless --print-to-pdf``: the footer is not
    supported and is ignored, ``blocked`` is always empty (requests still fail: the browser
    is pointed at a proxy that does not exist), the page size and margins come from the
    HTML's ``@page`` rule only (Chromium's default is US Letter) and every file pays the
    browser's start-up. Called from a running asyncio loop (a Jupyter cell), the printing runs
    in a worker thread, and ``on_done`` is called from that thread.

    Examples
    --------
    >>> results = print_pdfs(  # doctest: +SKIP
    ...     [("out/leeds.html", "out/leeds.pdf"), ("out/york.html", "out/york.pdf")],
    ...     footer=lambda html: f"{html.stem.title()} · geodistrict report",
    ... )
    >>> [(r.pdf.name, r.pages, r.error) for r in results]  # doctest: +SKIP
    [('leeds.pdf', 6, None), ('york.pdf', 5, None)]
    """
    if not timeout_s > 0:
        raise ParameterError(f"timeout_s={timeout_s!r}: give a positive number of seconds.")
    if not (isinstance(workers, int) and workers >= 1):
        raise ParameterError(f"workers={workers!r}: give a whole number of files, 1 or more.")
    if isinstance(jobs, Sequence) and not jobs:
        return []
    exe = find_chromium(chromium)
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        pairs = [(Path(h), Path(p)) for h, p in jobs]
        return _print_cli(pairs, chromium=exe, timeout_s=timeout_s, on_done=on_done)
    return _run_coroutine(
        lambda: _print_playwright(
            jobs,
            chromium=exe,
            footer=footer,
            timeout_s=timeout_s,
            on_done=on_done,
            workers=workers,
        )
    )


class BackgroundPrinter:
    """:func:`print_pdfs` in the background, fed one file at a time.

    Reports are built in Python while the printer prints the ones already written. By
    default it runs in a process of its own: in a thread of the building process the printing
    waits for the interpreter's lock at every message to and from Chromium (measured: 40 %
    slower while Python builds). A process takes about a second to start, so for one or two
    files a thread (``separate_process=False``) finishes sooner. Chromium is started before
    the first file arrives.

    Parameters
    ----------
    chromium : str
        The Chromium executable (:func:`find_chromium`).
    timeout_s : float
        Seconds allowed per file.
    on_done : callable, optional
        Called (from a thread of this process) with each :class:`PrintResult`, in the order
        the files were given.
    separate_process : bool
        Print in a spawned process (default) or in a thread.

    Examples
    --------
    >>> printer = BackgroundPrinter(find_chromium())  # doctest: +SKIP
    >>> printer.put("out/leeds.html", "out/leeds.pdf", footer="Leeds")  # doctest: +SKIP
    >>> [r.pages for r in printer.close()]  # doctest: +SKIP
    [6]
    """

    def __init__(
        self,
        chromium: str,
        *,
        timeout_s: float = 60.0,
        on_done: Callable[[PrintResult], None] | None = None,
        separate_process: bool = True,
    ):
        import multiprocessing
        import queue

        self._on_done = on_done
        self.results: list[PrintResult] = []
        self.error: BaseException | None = None
        self._proc: Any = None
        args: tuple[Any, ...]
        if separate_process:
            # spawned, not forked: the building process has threads (a fork could copy a lock
            # some thread holds)
            mp = multiprocessing.get_context("spawn")
            self._jobs: Any = mp.Queue()
            self._out: Any = mp.Queue()
            args = (self._jobs, self._out, chromium, timeout_s)
            self._proc = mp.Process(
                target=_serve_print_jobs, args=args, name="geodistrict-pdf", daemon=True
            )
            self._proc.start()
            self._worker: threading.Thread | None = None
        else:
            self._jobs, self._out = queue.Queue(), queue.Queue()
            args = (self._jobs, self._out, chromium, timeout_s)
            self._worker = threading.Thread(
                target=_serve_print_jobs, args=args, name="geodistrict-pdf", daemon=True
            )
            self._worker.start()
        self._reader = threading.Thread(target=self._read, name="geodistrict-pdf-results")
        self._reader.daemon = True
        self._reader.start()

    def put(self, html: str | Path, pdf: str | Path, *, footer: str | None = None) -> None:
        """Queue one file (``footer`` as in :func:`print_pdfs`)."""
        self._jobs.put((str(html), str(pdf), footer))

    def _read(self) -> None:
        while True:
            try:
                kind, value = self._out.get()
            except (EOFError, OSError):  # the process is gone
                return
            if kind == "done":
                self.results.append(value)
                if self._on_done is not None:
                    self._on_done(value)
            elif kind == "error":
                self.error = value
            else:
                return

    def close(self) -> list[PrintResult]:
        """Wait for every queued file; return the results in the order the files were given.

        Raises
        ------
        Exception
            What :func:`print_pdfs` raised in the background, if anything.
        """
        self._jobs.put(None)
        self._reader.join()
        if self._proc is not None:
            self._proc.join()
        elif self._worker is not None:
            self._worker.join()
        if self.error is not None:
            raise self.error
        if self._proc is not None and self._proc.exitcode not in (0, None) and not self.results:
            raise RuntimeError(
                f"the PDF process stopped with exit code {self._proc.exitcode}; print again "
                "or use --no-pdf"
            )
        return self.results

    def cancel(self) -> None:
        """Stop (the run was interrupted): files not yet started are not printed."""
        if self._proc is not None:
            self._proc.terminate()
            self._proc.join(_CLOSE_TIMEOUT_S)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join()
            return
        try:  # a thread cannot be killed: drop what waits, it stops after the current file
            while True:
                self._jobs.get_nowait()
        except Exception:  # noqa: BLE001 - queue.Empty
            pass
        self._jobs.put(None)


def _serve_print_jobs(jobs: Any, out: Any, chromium: str, timeout_s: float) -> None:
    """The body of :class:`BackgroundPrinter`: print what comes, report each file."""
    if threading.current_thread() is threading.main_thread():  # the printing process
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops us
    footers: dict[str, str | None] = {}

    def files() -> Iterator[tuple[Path, Path]]:
        while (job := jobs.get()) is not None:
            html, pdf, footer = job
            footers[str(Path(html))] = footer
            yield Path(html), Path(pdf)

    try:
        print_pdfs(
            files(),
            chromium=chromium,
            footer=lambda html: footers.get(str(html)),
            timeout_s=timeout_s,
            on_done=lambda r: out.put(("done", r)),
        )
    except BaseException as exc:  # noqa: BLE001 - sent to the parent, raised there
        try:
            out.put(("error", exc))
        except Exception:  # noqa: BLE001 - an exception that does not pickle
            out.put(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        out.put(("end", None))


# --- helpers shared by both engines ----------------------------------------------------------


def _executable(name: str) -> str | None:
    """Absolute path of ``name`` if it is an executable file (or a command on ``PATH``)."""
    path = Path(name).expanduser()
    if os.sep in name or path.exists():
        if path.is_file() and os.access(path, os.X_OK):
            return os.path.abspath(path)  # not resolve(): keep a wrapper script's own name
        return None
    return shutil.which(name)


def _preflight(html: Path, pdf: Path) -> str | None:
    """Problems that make printing pointless, found before the browser is involved."""
    if not html.is_file():
        what = "is a folder, not a file" if html.is_dir() else "not found"
        return f"{html}: HTML file {what}; write the report first or fix the path."
    if not pdf.parent.is_dir():
        return f"{pdf}: the folder {pdf.parent} does not exist; create it first."
    return None


def _first_line(error: BaseException) -> str:
    """An exception as one short line (Playwright appends a multi-line call log)."""
    lines = [s.strip() for s in str(error).splitlines() if s.strip()]
    return lines[0] if lines else type(error).__name__


def _count_pages(data: bytes) -> int:
    """Count the pages of a PDF from its bytes: its ``/Type /Page`` objects.

    Chromium writes every object uncompressed at the top level; for a PDF that hides its
    objects in compressed object streams, the largest ``/Count`` (the page tree's root) is
    used instead.

    Examples
    --------
    >>> pdf = (b"%PDF-1.4 1 0 obj <</Type /Pages /Kids [2 0 R 3 0 R] /Count 2>> endobj "
    ...        b"2 0 obj <</Type /Page /Parent 1 0 R>> endobj "
    ...        b"3 0 obj <</Type/Page/Parent 1 0 R>> endobj")
    >>> _count_pages(pdf)
    2
    """
    pages = len(_PAGE_OBJECT.findall(data))
    if pages == 0:
        pages = max((int(n) for n in _PAGES_COUNT.findall(data)), default=0)
    return pages


def _write_pdf(html: Path, pdf: Path, data: bytes) -> tuple[str | None, int]:
    """Check ``data`` is a PDF with pages and write it atomically; return (error, pages)."""
    if not data.startswith(b"%PDF-"):
        return f"{html}: Chromium returned something that is not a PDF; print it again.", 0
    pages = _count_pages(data)
    if pages == 0:
        return f"{html}: Chromium returned a PDF with no pages; check the page opens.", 0
    from ..io.write import atomic_path

    try:
        with atomic_path(pdf) as tmp:
            tmp.write_bytes(data)
    except OSError as e:
        return f"{pdf}: could not write the PDF ({e.strerror or e}); check the folder.", 0
    return None, pages


def _result(
    html: Path, pdf: Path, error: str | None, pages: int, blocked: Sequence[str], started: float
) -> PrintResult:
    return PrintResult(
        html=html,
        pdf=pdf,
        error=error,
        pages=0 if error else pages,
        blocked=tuple(dict.fromkeys(blocked)),
        seconds=time.monotonic() - started,
    )


def _finish(
    results: list[PrintResult],
    on_done: Callable[[PrintResult], None] | None,
    html: Path,
    pdf: Path,
    error: str | None,
    pages: int,
    blocked: Sequence[str],
    started: float,
) -> None:
    result = _result(html, pdf, error, pages, blocked, started)
    results.append(result)
    if on_done is not None:
        on_done(result)


# --- Playwright engine -----------------------------------------------------------------------


def _run_coroutine(factory: Callable[[], Any]) -> Any:
    """Run a coroutine to completion, in a worker thread if this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="geodistrict-pdf") as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _footer_template(text: str) -> str:
    """Playwright footer: ``text`` at the left, ``page / pages`` at the right, 8 px."""
    return (
        '<div style="box-sizing:border-box;width:100%;padding:0 14mm;display:flex;'
        "justify-content:space-between;font:8px/1.2 sans-serif;color:#444;"
        '-webkit-print-color-adjust:exact;">'
        f'<span>{_html.escape(text)}</span><span><span class="pageNumber"></span> / '
        '<span class="totalPages"></span></span></div>'
    )


def _pdf_options(footer_text: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "format": "A4",
        "landscape": False,
        "print_background": True,
        "prefer_css_page_size": True,
        "margin": dict.fromkeys(("top", "right", "bottom", "left"), MARGIN),
    }
    if footer_text is not None:
        options["display_header_footer"] = True
        options["header_template"] = "<span></span>"
        options["footer_template"] = _footer_template(footer_text)
    return options


#: Once the fonts are ready: how many things on the page could still act after printing
#: (scripts, a meta refresh). A page with none is left as it is for the next file's load.
_LIVE = (
    "document.fonts.ready.then(() => document.scripts.length + "
    "document.querySelectorAll('meta[http-equiv=\"refresh\" i]').length)"
)


async def _print_page(
    page: Any, html: Path, options: dict[str, Any], timeout_s: float
) -> tuple[bytes, bool]:
    """The PDF of the file, and whether the page could go on acting (scripts, refresh)."""
    page.set_default_timeout(timeout_s * 1000)
    await page.goto(html.resolve().as_uri(), wait_until="load")
    live = await page.evaluate(_LIVE)
    return await page.pdf(**options), bool(live)


class _Tab:
    """A worker's browser context and page, reused from file to file.

    Opening a page starts a renderer process (about 0.3 s here, half of a report's printing),
    so one page prints every file of a worker; after a file with scripts (or a meta refresh)
    it is sent to ``about:blank``, so nothing of one report runs on while the next loads. A
    file that fails or times out closes the context (killing whatever the page was running)
    and the next file gets a new one. Every network request is routed: ``file:``, ``data:``,
    ``about:`` and ``blob:`` are served, others aborted and listed in the current file's
    ``blocked``.
    """

    def __init__(self, playwright_error: type[Exception]):
        self.error_type = playwright_error
        self.browser: Any = None
        self.context: Any = None
        self.page: Any = None
        self.blocked: list[str] = []

    async def open(self, browser: Any) -> Any:
        """The page, opened on ``browser`` unless it is already open there.

        Raises
        ------
        _BrowserGone
            When the browser cannot even open a context (it died between files).
        """
        if self.page is not None and self.browser is browser and not self.page.is_closed():
            try:  # still answering? (the browser may have died since the last file)
                await asyncio.wait_for(self.page.evaluate("1"), _CLOSE_TIMEOUT_S)
                return self.page
            except (self.error_type, TimeoutError):
                pass  # a new context on a dead browser fails below: _BrowserGone
        await self.close()

        async def route(r: Any) -> None:
            url = r.request.url
            try:
                if url.startswith(ALLOWED_SCHEMES):
                    await r.continue_()
                else:
                    self.blocked.append(url)
                    await r.abort("blockedbyclient")
            except self.error_type:
                pass  # the page or context closed while the request was pending

        def watch(page: Any) -> None:
            page.on("websocket", lambda ws: self.blocked.append(ws.url))

        try:
            context = await asyncio.wait_for(
                browser.new_context(service_workers="block", accept_downloads=False),
                _CLOSE_TIMEOUT_S,
            )
            await context.route("**/*", route)
            context.on("page", watch)  # pop-ups the report opens
            page = await asyncio.wait_for(context.new_page(), _CLOSE_TIMEOUT_S)
        except (self.error_type, TimeoutError) as e:
            raise _BrowserGone(_first_line(e)) from e
        self.browser, self.context, self.page = browser, context, page
        return page

    async def blank(self) -> None:
        """Leave the file just printed (its scripts and requests stop with it)."""
        try:
            await asyncio.wait_for(self.page.goto("about:blank"), _CLOSE_TIMEOUT_S)
        except (self.error_type, TimeoutError):
            await self.close()

    async def close(self) -> None:
        context, self.context, self.page = self.context, None, None
        if context is not None and self.browser is not None and self.browser.is_connected():
            try:
                await asyncio.wait_for(context.close(), _CLOSE_TIMEOUT_S)
            except (self.error_type, TimeoutError):
                pass


class _BrowserGone(Exception):
    """The browser was unusable before the page was opened: nothing of the file was tried."""


class _Browser:
    """One Chromium for a run, started on first use and restarted at most once."""

    MAX_LAUNCHES = 2

    def __init__(self, playwright: Any, chromium: str, timeout_s: float, error: type[Exception]):
        self.playwright, self.chromium, self.timeout_s = playwright, chromium, timeout_s
        self.error_type = error
        self.browser: Any = None
        self.launches = 0
        self.failed: str | None = None  # why no browser can be had any more
        self.stale = False

    def usable(self) -> bool:
        return self.browser is not None and not self.stale and self.browser.is_connected()

    async def get(self) -> Any:
        """A connected browser, or ``None`` with :attr:`failed` saying why (start-up timed)."""
        if self.usable() or self.failed is not None:
            return self.browser if self.failed is None else None
        if self.launches >= self.MAX_LAUNCHES:
            self.failed = "Chromium stopped twice in this run; print it again"
            return None
        await self.close()
        self.launches += 1
        try:
            self.browser = await self.playwright.chromium.launch(
                executable_path=self.chromium,
                args=list(_ARGS),
                headless=True,
                timeout=max(self.timeout_s, 30.0) * 1000,
            )
        except self.error_type as e:
            self.browser = None
            self.failed = (
                f"Chromium ({self.chromium}) did not start: {_first_line(e)}; check that "
                f"`{self.chromium} --headless --no-sandbox --dump-dom about:blank` works, "
                "pass --chromium PATH, or use --no-pdf"
            )
            return None
        self.stale = False
        return self.browser

    async def close(self) -> None:
        if self.browser is not None and self.browser.is_connected():
            try:
                await asyncio.wait_for(self.browser.close(), _CLOSE_TIMEOUT_S)
            except (self.error_type, TimeoutError):
                pass  # leaving async_playwright() stops the driver, which kills it
        self.browser = None


class _Jobs:
    """The jobs, numbered, handed to the workers one at a time.

    A list is read directly; another iterable (a generator waiting for files still being
    written) is advanced in a thread, one worker at a time, so the loop keeps printing.
    """

    def __init__(self, jobs: Iterable[tuple[str | Path, str | Path]]):
        self.listed = isinstance(jobs, Sequence)
        self.it: Iterator[tuple[str | Path, str | Path]] = iter(jobs)
        self.count = 0
        self.lock = asyncio.Lock()

    async def next(self) -> tuple[int, Path, Path] | None:
        async with self.lock:
            job = (
                next(self.it, None) if self.listed else await asyncio.to_thread(next, self.it, None)
            )
            if job is None:
                return None
            self.count += 1
            return self.count - 1, Path(job[0]), Path(job[1])


class _InOrder:
    """Results kept by job number; ``on_done`` sees them in the jobs' order."""

    def __init__(self, on_done: Callable[[PrintResult], None] | None):
        self.on_done = on_done
        self.done: dict[int, PrintResult] = {}
        self.released = 0

    def add(self, k: int, result: PrintResult) -> None:
        self.done[k] = result
        while self.released in self.done:
            if self.on_done is not None:
                self.on_done(self.done[self.released])
            self.released += 1

    def results(self) -> list[PrintResult]:
        return [self.done[k] for k in range(len(self.done))]


async def _print_playwright(
    jobs: Iterable[tuple[str | Path, str | Path]],
    *,
    chromium: str,
    footer: str | Callable[[Path], str | None] | None,
    timeout_s: float,
    on_done: Callable[[PrintResult], None] | None,
    workers: int = 1,
) -> list[PrintResult]:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout
    from playwright.async_api import async_playwright

    source, results = _Jobs(jobs), _InOrder(on_done)
    async with async_playwright() as p:

        async def worker() -> None:
            browsers = _Browser(p, chromium, timeout_s, PlaywrightError)
            tab = _Tab(PlaywrightError)
            try:
                if not source.listed:  # files still being written: start the browser meanwhile
                    await browsers.get()
                while (job := await source.next()) is not None:
                    k, html, pdf = job
                    results.add(
                        k,
                        await _print_job(
                            browsers, tab, html, pdf, footer, timeout_s, PlaywrightTimeout
                        ),
                    )
            finally:
                await tab.close()
                await browsers.close()

        await asyncio.gather(*(worker() for _ in range(workers)))
    return results.results()


async def _print_job(
    browsers: _Browser,
    tab: _Tab,
    html: Path,
    pdf: Path,
    footer: str | Callable[[Path], str | None] | None,
    timeout_s: float,
    playwright_timeout: type[Exception],
) -> PrintResult:
    """Print one file on the worker's browser, starting (or restarting) it when needed."""
    error, pages = _preflight(html, pdf), 0
    blocked: list[str] = []
    started = time.monotonic()
    # a browser found dead before the page opened costs the file nothing: the file is tried
    # again on a fresh browser (at most one restart per worker)
    while error is None:
        launched = time.monotonic()
        browser = await browsers.get()
        started += time.monotonic() - launched  # start-up is not the file's time
        if browser is None:
            error = f"{html}: not printed: {browsers.failed}."
            break
        text = footer(html) if callable(footer) else footer
        try:
            error, pages = await _print_one(
                browser, tab, html, pdf, _pdf_options(text), timeout_s, blocked, playwright_timeout
            )
        except _BrowserGone:
            browsers.stale = True
            continue
        break
    return _result(html, pdf, error, pages, blocked, started)


async def _print_one(
    browser: Any,
    tab: _Tab,
    html: Path,
    pdf: Path,
    options: dict[str, Any],
    timeout_s: float,
    blocked: list[str],
    playwright_timeout: type[Exception],
) -> tuple[str | None, int]:
    """Print one file on the worker's page; return (error, pages).

    Raises
    ------
    _BrowserGone
        When the browser cannot even open a context (it died between files).
    """
    page = await tab.open(browser)
    tab.blocked = blocked
    try:
        data, live = await asyncio.wait_for(_print_page(page, html, options, timeout_s), timeout_s)
        if live:
            await tab.blank()
    except (TimeoutError, playwright_timeout):
        await tab.close()
        return (
            f"{html}: not printed: loading and printing took more than {timeout_s:g} s; "
            "look for a script that never finishes, or raise the timeout.",
            0,
        )
    except tab.error_type as e:
        await tab.close()
        if not browser.is_connected():
            return (
                f"{html}: not printed: Chromium stopped while printing it ({_first_line(e)}); "
                "the remaining files use a fresh browser; print this one again.",
                0,
            )
        return f"{html}: not printed: Chromium failed on it ({_first_line(e)}).", 0
    finally:
        tab.blocked = []
    return _write_pdf(html, pdf, data)


# --- command-line engine (no Playwright) -----------------------------------------------------


def _print_cli(
    pairs: Sequence[tuple[Path, Path]],
    *,
    chromium: str,
    timeout_s: float = 60.0,
    on_done: Callable[[PrintResult], None] | None = None,
) -> list[PrintResult]:
    """Print each file with ``chromium --headless --print-to-pdf`` (one browser per file).

    The fallback of :func:`print_pdfs` when Playwright is not installed: no footer, no list of
    blocked requests; the page size and margins come from the HTML's ``@page`` rule.
    """
    results: list[PrintResult] = []
    for html, pdf in pairs:
        html, pdf = Path(html), Path(pdf)
        started = time.monotonic()
        error, pages = _preflight(html, pdf), 0
        if error is None:
            error, pages = _print_cli_one(chromium, html, pdf, timeout_s)
        _finish(results, on_done, html, pdf, error, pages, (), started)
    return results


def _print_cli_one(
    chromium: str, html: Path, pdf: Path, timeout_s: float
) -> tuple[str | None, int]:
    with tempfile.TemporaryDirectory(prefix="geodistrict-chromium-") as work:
        out = Path(work) / "out.pdf"
        cmd = [
            chromium,
            "--headless",
            *_ARGS,
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(work) / 'profile'}",
            f"--print-to-pdf={out}",
            html.resolve().as_uri(),
        ]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: a timeout kills the helpers too
        )
        try:
            _, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            return (
                f"{html}: not printed: Chromium took more than {timeout_s:g} s; look for a "
                "script that never finishes, or raise the timeout.",
                0,
            )
        finally:
            _kill_group(proc)  # helpers (crashpad) that outlive the browser
        if not out.is_file():
            tail = [s for s in stderr.decode(errors="replace").splitlines() if s.strip()][-1:]
            detail = f" ({tail[0].strip()[:200]})" if tail else ""
            return (
                f"{html}: not printed: `{chromium} --print-to-pdf` exited with "
                f"{proc.returncode} and no PDF{detail}; check the page opens in Chromium.",
                0,
            )
        return _write_pdf(html, pdf, out.read_bytes())


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the process group started for ``proc`` (its own session), if any is left."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass

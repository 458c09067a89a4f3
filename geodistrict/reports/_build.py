"""Write the reports of many places: HTML, PDF, the index page and a JSON record of the run.

A failure on one place is caught, recorded with its reason (in the index page, the run's JSON
and on stderr) and the other places still build.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._paths import public_paths, public_text
from .._progress import progress, progress_enabled
from ..errors import GeodistrictError, ParameterError
from ..io.write import write_json, write_text
from ._context import ReportContext, subset_layer
from ._place import PlaceReport, place_report

__all__ = ["ReportPrinter", "ReportRun", "build_reports", "report_workers", "select_places"]


@dataclass
class ReportRun:
    """What a run wrote.

    Attributes
    ----------
    out_dir : Path
    html : dict
        Place id → HTML path.
    pdf : dict
        Place id → PDF path (only those printed).
    index : Path or None
    failures : list of dict
        ``id``, ``name``, ``stage`` (``report`` or ``pdf``), ``error``.
    seconds : dict
        Time spent per stage: ``html`` (building every report), ``pdf`` (printing, in the
        background from the start of the run, so it overlaps ``html``) and ``pdf_wait`` (the
        time from the last report built to the last PDF).
    """

    out_dir: Path
    html: dict[str, Path] = field(default_factory=dict)
    pdf: dict[str, Path] = field(default_factory=dict)
    index: Path | None = None
    record: Path | None = None
    failures: list[dict[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    headlines: list[dict[str, Any]] = field(default_factory=list)


def select_places(ctx: ReportContext, places: Sequence[str] | None) -> list[int]:
    """Positions of the named places (id, name or slug; case- and punctuation-blind).

    ``None`` selects every place. An unknown name is a :class:`ParameterError` listing
    close names.
    """
    from ..zones.match import normalise_label
    from ._place import slugify

    b = ctx.boundaries
    if places is None:
        return list(range(len(b)))
    keys: dict[str, int] = {}
    for i, (pid, nm) in enumerate(zip(b.ids, b.names, strict=True)):
        for k in (str(pid), normalise_label(nm), slugify(nm), slugify(pid)):
            keys.setdefault(k.lower(), i)
    out = []
    for p in places:
        hit = None
        for k in (str(p).lower(), normalise_label(p), slugify(p)):
            if k in keys:
                hit = keys[k]
                break
        if hit is None:
            import difflib

            close = difflib.get_close_matches(
                normalise_label(p), [normalise_label(n) for n in b.names], n=3
            )  # noqa: E501
            raise ParameterError(
                f"{p!r} is not a place of {b.info.source} (give an id or a name"
                + (f"; did you mean {', '.join(close)}?" if close else "; or use --all")
                + ")."
            )
        out.append(hit)
    return out


def _accounting(ctx: ReportContext) -> dict[str, str]:
    out = {}
    for name, rep in (("postcodes", ctx.postcode_report), ("universities", ctx.university_report)):
        if not rep:
            continue
        counts = {k: rep.get(k) for k in ("input", "matched", "multi", "unmatched", "rejected")}
        if name == "postcodes" and ctx.postcodes is not None:
            name = ctx.postcodes.name
        out[name] = (
            ", ".join(f"{k} {v:,}" for k, v in counts.items() if isinstance(v, int))
            + " (matched + multi + unmatched + rejected = input; multi points lie in two "
            "overlapping places and count in each)"
        )
    return out


def _images(ctx: ReportContext, rep: PlaceReport, i: int) -> tuple[Any, Any, Any]:
    from ._charts import lq_chart, place_map

    lq_image = None
    s = rep.specialisation
    if "table" in s:
        lq_image = lq_chart(
            s["table"],
            min_lq=ctx.options.min_lq,
            min_count=ctx.options.min_count,
            title=f"Enterprises by sector: LQ against {s['reference']} ({s['year']})",
        )
    h = rep.hotspots
    points = []
    if ctx.universities is not None and len(ctx.university_index[i]):
        points.append(subset_layer(ctx.universities, ctx.university_index[i]))
    map_image, record = place_map(
        ctx.place(i),
        hotspots=h.get("grid"),
        outlines=h.get("outlines_gdf"),
        points=points,
        title=f"{rep.name}: hot spots of {h['layer']}" if "grid" in h else rep.name,
    )
    return lq_image, map_image, record


def _summary_json(rep: PlaceReport, files: dict[str, str]) -> dict[str, Any]:
    s = rep.specialisation
    return {
        **rep.headline(),
        "files": files,
        "card": rep.card,
        "university_list": rep.universities.to_dict("records"),
        "specialisms": s.get("specialisms", []),
        "small_concentrations": s.get("small", []),
        "under_represented": s.get("under", []),
        "krugman": s.get("krugman"),
        "shannon": s.get("shannon"),
        "hotspots": {k: v for k, v in rep.hotspots.items() if k not in ("grid", "outlines_gdf")},
        "overlaps": rep.vintages["overlaps"].to_dict("records"),
        "overlap_sentence": rep.vintages["overlap_sentence"],
        "vintages": [
            {k: v for k, v in vars(c).items() if k != "others"}
            for c in rep.vintages.get("changes", [])
        ],
        "parameters": rep.parameters,
        "sources": rep.sources,
    }


def _write_public_text(path: Path, text: str) -> Path:
    """Write a report file naming files, never the folders of this machine."""
    return write_text(path, public_text(text))


def _write_public_json(path: Path, obj: Any) -> Path:
    return write_json(path, public_paths(obj))


def build_reports(
    ctx: ReportContext,
    out_dir: str | Path,
    *,
    places: Sequence[int] | None = None,
    pdf: bool = True,
    chromium: str | None = None,
    command: str | None = None,
    title: str | None = None,
    debug: bool = False,
    firms: Any = None,
    context_maps: Mapping[str, str] | None = None,
    printer: ReportPrinter | None = None,
    workers: int | None = None,
) -> ReportRun:
    """Write one HTML (and PDF) report per place, the index page and ``reports.json``.

    Parameters
    ----------
    ctx : ReportContext
        From :func:`geodistrict.reports.build_context`.
    out_dir : str or Path
        An existing folder.
    places : sequence of int, optional
        Positions of the places (default: all).
    pdf : bool
        Print each HTML report to PDF with headless Chromium.
    chromium : str, optional
        The Chromium executable (default: found on PATH).
    command : str, optional
        The command line, printed in every report.
    title : str, optional
        Title of the index page.
    debug : bool
        Re-raise a place's error instead of recording it.
    firms : PointLayer, optional
        Firms with SIC codes (:func:`geodistrict.io.firms.read_firms`): adds the "Innovation
        sectors" section (:mod:`geodistrict.reports._sectors`) to every report.
    context_maps : mapping of str to str, optional
        Place id → a self-contained map document of the place in context, shown before the
        place's figures (:func:`geodistrict.reports._html.insert_context_map`).
    printer : ReportPrinter, optional
        A printer started earlier (the command line starts it before reading the data);
        default: one is started here when ``pdf`` is true (``chromium`` is then ignored).
    workers : int, optional
        Processes writing reports (:func:`report_workers`): by default, from
        :data:`PARALLEL_FROM` places on, one per core less one for the PDFs, where ``fork``
        is available (Linux); the helpers are forked after the context is built, so they
        share it.

    Returns
    -------
    ReportRun
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise ParameterError(f"--out {out}: the folder does not exist; create it first.")
    run = ReportRun(out_dir=out)
    idx = list(range(len(ctx.boundaries))) if places is None else list(places)
    accounting = _accounting(ctx)
    if pdf and printer is None:
        printer = ReportPrinter(chromium, total=len(idx))
    if not pdf and printer is not None:
        printer.cancel()
        printer = None
    if printer is not None:
        printer.attach(ctx, run)
    t0 = time.perf_counter()
    kw = {"pdf": pdf, "accounting": accounting, "command": command, "firms": firms,
          "context_maps": context_maps or {}}  # fmt: skip
    n_workers = report_workers(workers, len(idx), pdf=pdf, debug=debug)
    try:
        if n_workers > 1:
            _build_forked(ctx, idx, run, printer, kw, n_workers)
        else:
            for i in progress(idx, desc="reports", total=len(idx), unit="place"):
                if _build_place(ctx, i, run, kw, debug=debug) and printer is not None:
                    printer.put(str(ctx.boundaries.ids[i]))  # printed while the next are built
    except BaseException:
        if printer is not None:
            printer.cancel()
        raise
    run.seconds["html"] = time.perf_counter() - t0
    if printer is not None:
        printer.finish()
    _write_index(ctx, run, pdf=pdf, title=title, command=command)
    return run


def _build_place(ctx: ReportContext, i: int, run: ReportRun, kw: dict, *, debug: bool) -> bool:
    """Write place ``i``'s report; a failure is recorded in ``run`` (raised with ``debug``)."""
    try:
        _write_place(ctx, i, run, **kw)
    except Exception as exc:  # one place's failure must not stop the others
        if debug:
            raise
        _record_failure(run, ctx, i, exc)
        return False
    return True


#: Places from which :func:`build_reports` may write them in several processes by default
#: (forked helpers take every other place); below, a helper's start costs more than it saves.
PARALLEL_FROM = 8


def report_workers(
    workers: int | None, n_places: int, *, pdf: bool = False, debug: bool = False
) -> int:
    """Processes that write ``n_places`` reports (1: this process alone).

    ``None``: from :data:`PARALLEL_FROM` places on, one per core (up to 4) less the core the
    PDF printing takes when ``pdf``; else one. On two cores with PDFs that is one: Python and
    Chromium already keep both busy (measured: two writers were no faster there, and 1.8
    times faster without PDFs). Always one where processes cannot be forked (Windows, macOS)
    and with ``debug`` (an error must be raised where it happened).

    Examples
    --------
    >>> report_workers(1, 38), report_workers(3, 2), report_workers(None, 3)
    (1, 2, 1)
    """
    import multiprocessing

    if workers is None:
        cores = min(os.cpu_count() or 1, 4)
        workers = max(1, cores - (1 if pdf else 0)) if n_places >= PARALLEL_FROM else 1
    if int(workers) < 1:
        raise ParameterError(f"workers={workers}: give 1 or more processes.")
    if debug or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(int(workers), n_places))


class _Helper:
    """A forked process writing a share of the reports; it reports each place on a pipe."""

    def __init__(self, ctx: ReportContext, share: list[int], run: ReportRun, kw: dict):
        import multiprocessing

        fork = multiprocessing.get_context("fork")
        self.share = share
        self.done: set[int] = set()
        self.finished = False
        self.conn, send = fork.Pipe(duplex=False)
        self.proc = fork.Process(
            target=_helper_main, args=(ctx, share, run.out_dir, kw, send),
            name="geodistrict-reports", daemon=True,
        )  # fmt: skip
        self.proc.start()
        send.close()

    def drain(
        self, ctx: ReportContext, run: ReportRun, printer: ReportPrinter | None, *, wait: bool
    ) -> int:
        """Take in the places the helper has finished (all of them with ``wait``): how many."""
        got = 0
        while not self.finished and (wait or self.conn.poll()):
            try:
                msg = self.conn.recv()
            except (EOFError, OSError):  # the helper died: its places left are failures
                self.proc.join(5)
                code = self.proc.exitcode
                for i in self.share:
                    if i not in self.done:
                        _record_failure(run, ctx, i, GeodistrictError(
                            f"the process writing this report stopped (exit code {code}); "
                            "run the report of this place again"
                        ))  # fmt: skip
                        got += 1
                self.finished = True
                break
            if msg[0] == "end":
                self.finished = True
                break
            kind, i, value = msg
            self.done.add(i)
            got += 1
            if kind == "failed":
                run.failures.append(value)
                continue
            pid, html, headline = value
            run.html[pid] = Path(html)
            run.headlines.append(headline)
            if printer is not None:
                printer.put(pid)
        return got

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()


def _helper_main(ctx: ReportContext, share: list[int], out_dir: Path, kw: dict, conn: Any) -> None:
    """The body of a forked helper: write each report of ``share``, say so on ``conn``."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops us
    os.environ["GEODISTRICT_PROGRESS"] = "0"  # one bar, the parent's
    run = ReportRun(out_dir=out_dir)
    for i in share:
        pid = str(ctx.boundaries.ids[i])
        if _build_place(ctx, i, run, kw, debug=False):
            conn.send(("html", i, (pid, str(run.html[pid]), run.headlines[-1])))
        else:
            conn.send(("failed", i, run.failures[-1]))
    conn.send(("end",))
    conn.close()


def _build_forked(
    ctx: ReportContext,
    idx: list[int],
    run: ReportRun,
    printer: ReportPrinter | None,
    kw: dict,
    workers: int,
) -> None:
    """Write the reports of ``idx`` here and in ``workers - 1`` forked helpers.

    Place ``idx[k]`` goes to process ``k % workers``; each PDF is queued as its report is
    done, whichever process wrote it. The index lists the places in the order of ``idx``.
    """
    if ctx.postcodes is not None and ctx.vintages:  # the box index the vintages use, built
        ctx.postcodes.in_box(0.0, 0.0, 0.0, 0.0)  # once and shared with the helpers
    shares = [idx[k::workers] for k in range(workers)]
    helpers = [_Helper(ctx, share, run, kw) for share in shares[1:]]
    bar: Any = None
    if progress_enabled():
        from tqdm.auto import tqdm

        bar = tqdm(total=len(idx), desc="reports", unit="place", file=sys.stderr, leave=False)
    try:
        for i in shares[0]:
            if _build_place(ctx, i, run, kw, debug=False) and printer is not None:
                printer.put(str(ctx.boundaries.ids[i]))
            done = 1 + sum(h.drain(ctx, run, printer, wait=False) for h in helpers)
            if bar is not None:
                bar.update(done)
        for h in helpers:
            done = h.drain(ctx, run, printer, wait=True)
            if bar is not None:
                bar.update(done)
    finally:
        for h in helpers:
            h.stop()
        if bar is not None:
            bar.close()
    order = {str(ctx.boundaries.ids[i]): k for k, i in enumerate(idx)}
    run.html = dict(sorted(run.html.items(), key=lambda kv: order.get(kv[0], len(order))))
    run.headlines.sort(key=lambda h: order.get(str(h["id"]), len(order)))
    run.failures.sort(key=lambda f: order.get(f["id"], len(order)))


def _write_place(
    ctx: ReportContext,
    i: int,
    run: ReportRun,
    *,
    pdf: bool,
    accounting: dict[str, str],
    command: str | None,
    firms: Any,
    context_maps: Mapping[str, str],
) -> None:
    """Write place ``i``'s HTML report and its JSON summary; record them in ``run``."""
    from ._html import insert_context_map, render_report
    from ._sectors import (
        innovation_sectors,
        insert_section,
        render_innovation_sectors,
        section_json,
    )

    pid = str(ctx.boundaries.ids[i])
    rep = place_report(ctx, i)
    lq_image, map_image, record = _images(ctx, rep, i)
    html = render_report(
        rep,
        reference=rep.reference.get("name") if rep.reference else ctx.reference.get("name"),
        lq_image=lq_image,
        map_image=map_image,
        map_record=record,
        accounting=accounting,
        command=command,
    )
    sectors = None
    if firms is not None:
        sectors = innovation_sectors(firms, ctx.place(i))
        html = insert_section(html, render_innovation_sectors(sectors))
    if pid in context_maps:
        html = insert_context_map(html, context_maps[pid])
    path = write_text(run.out_dir / f"{rep.slug}.html", public_text(html))
    run.html[pid] = path
    files = {"html": path.name}
    if pdf:
        files["pdf"] = f"{rep.slug}.pdf"
    summary = _summary_json(rep, files)
    if sectors is not None:
        summary["innovation_sectors"] = section_json(sectors)
    write_json(run.out_dir / f"{rep.slug}.json", public_paths(summary))
    run.headlines.append(rep.headline())


def _record_failure(run: ReportRun, ctx: ReportContext, i: int, exc: Exception) -> None:
    """Record and print the failure of place ``i``'s report (the run goes on)."""
    pid, name = str(ctx.boundaries.ids[i]), str(ctx.boundaries.names[i])
    msg = str(exc) if isinstance(exc, GeodistrictError) else f"{type(exc).__name__}: {exc}"
    run.failures.append({"id": pid, "name": name, "stage": "report", "error": msg})
    print(f"geodistrict: report of {name} ({pid}) failed: {msg}", file=sys.stderr)
    if not isinstance(exc, GeodistrictError):
        tb = traceback.format_exc(limit=3).strip().splitlines()[-1]
        print(f"  {tb}", file=sys.stderr)


#: From this many places on, the PDFs are printed in a process of their own; fewer, in a
#: thread (a process takes about a second to start, longer than a report to build).
PRINT_PROCESS_FROM = 3


class ReportPrinter:
    """Prints each report to PDF as soon as it is written, while the next one is built.

    The printing runs in the background (:class:`~geodistrict.reports._pdf.BackgroundPrinter`):
    in a process of its own from :data:`PRINT_PROCESS_FROM` places on, in a thread for fewer.
    Python builds a report on one core while Chromium prints the previous one on the other,
    so the PDFs cost little more than the HTML. Without Chromium, the error is raised once the
    HTML reports are written (as :func:`build_reports` always did).

    :func:`build_reports` starts one itself; the command line starts it before it reads the
    data, so that the printing process and Chromium are up by the time the first report is
    written, and passes it on (``printer=``).

    Parameters
    ----------
    chromium : str, optional
        The Chromium executable (default: found on PATH).
    total : int
        Reports to come: a process from :data:`PRINT_PROCESS_FROM` on.

    Examples
    --------
    >>> printer = ReportPrinter(None, total=38)  # doctest: +SKIP
    >>> run = build_reports(ctx, "out", printer=printer)  # doctest: +SKIP
    """

    def __init__(self, chromium: str | None, *, total: int):
        from ..errors import MissingDependencyError
        from ._pdf import BackgroundPrinter, find_chromium

        self.total = total
        self.run: ReportRun | None = None
        self.names: dict[str, str] = {}
        self.missing: Exception | None = None
        self.bar: Any = None
        self.printer: BackgroundPrinter | None = None
        self.exe: str | None = None
        self.queued: list[str] = []
        self.started = time.perf_counter()
        try:
            self.exe = find_chromium(chromium)
        except MissingDependencyError as exc:
            self.missing = exc
            return
        self.printer = BackgroundPrinter(
            self.exe, on_done=self._tick, separate_process=total >= PRINT_PROCESS_FROM
        )

    def attach(self, ctx: ReportContext, run: ReportRun) -> None:
        """Print for ``run``, naming places as ``ctx`` does (called by :func:`build_reports`)."""
        self.run = run
        self.names = dict(
            zip(map(str, ctx.boundaries.ids), map(str, ctx.boundaries.names), strict=True)
        )
        if self.printer is not None and progress_enabled():
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=self.total, desc="pdf", unit="place", file=sys.stderr, leave=False
            )

    def _tick(self, _result: Any) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def _footer(self, pid: str) -> str:
        return f"{self.names.get(pid, '')} · geodistrict report"

    def put(self, pid: str) -> None:
        """Queue place ``pid``'s report (just written) for printing."""
        if self.printer is None or self.run is None:
            return
        html = self.run.html[pid]
        self.queued.append(pid)
        self.printer.put(html, html.with_suffix(".pdf"), footer=self._footer(pid))

    def cancel(self) -> None:
        """Stop printing (the run was interrupted)."""
        if self.printer is not None:
            self.printer.cancel()
        if self.bar is not None:
            self.bar.close()

    def finish(self) -> None:
        """Wait for the last PDFs; record the PDFs and failures in the run."""
        if self.run is None:
            raise ParameterError("ReportPrinter.finish: attach it to a run first.")
        if self.missing is not None and self.run.html:
            raise self.missing
        if self.printer is None:
            return
        t = time.perf_counter()
        try:
            results = self.printer.close()
        finally:
            if self.bar is not None:
                self.bar.close()
            self.run.seconds["pdf_wait"] = time.perf_counter() - t
            self.run.seconds["pdf"] = time.perf_counter() - self.started
        for pid, r in zip(self.queued, results, strict=False):
            if r.error is None:
                self.run.pdf[pid] = Path(r.pdf)
            else:
                self.run.failures.append(
                    {"id": pid, "name": self.names.get(pid, pid), "stage": "pdf", "error": r.error}
                )
                print(f"geodistrict: PDF of {pid} failed: {r.error}", file=sys.stderr)
            if r.blocked:
                print(
                    f"geodistrict: warning: {r.html} asked for {len(r.blocked)} network "
                    "resource(s); they were blocked.",
                    file=sys.stderr,
                )


def _write_index(
    ctx: ReportContext, run: ReportRun, *, pdf: bool, title: str | None, command: str | None
) -> None:
    """Write the run's ``index.html`` and ``reports.json``."""
    from ._html import render_index

    pdf_ok = bool(pdf and run.pdf)
    run.index = _write_public_text(
        run.out_dir / "index.html",
        render_index(
            run.headlines,
            run.failures,
            title=title or f"Regional innovation audits: {Path(ctx.boundaries.info.source).name}",
            reference=ctx.reference.get("name"),
            sources=ctx.sources,
            parameters=ctx.options.as_dict(),
            pdf=pdf_ok,
        ),
    )
    run.record = _write_public_json(
        run.out_dir / "reports.json",
        {
            "places": run.headlines,
            "html": {k: v.name for k, v in run.html.items()},
            "pdf": {k: v.name for k, v in run.pdf.items()},
            "failures": run.failures,
            "reference": ctx.reference,
            "notes": ctx.notes,
            "accounting": {"postcodes": ctx.postcode_report, "universities": ctx.university_report},
            "parameters": ctx.options.as_dict(),
            "sources": ctx.sources,
            "seconds": run.seconds,
            "command": command,
        },
    )

"""Audit reports of all 38 LEPs of 2021: time per stage, and PDF printing against its baseline.

1. The shared context (reading the layers and tables, 2.7 M postcodes joined, Nomis tables,
   benchmark districts), then the 38 HTML reports alone (figures, LQ chart, hot-spot map),
   written by one process and by the default number of processes (:func:`report_workers`).
2. The run as ``geodistrict report --all`` does it: the 38 HTML reports with their PDFs, each
   printed in another process while the next is built. "whole run" is the context plus this.
3. PDF printing alone: one headless Chromium page driven by Playwright for every report
   against the obvious baseline, ``chromium --headless --print-to-pdf`` started once per
   report; prints the ratio and checks that both give the same number of pages.
4. With ``--main-job``: the README's main job as a fresh process, ``geodistrict report --all``
   on the bundled datasets with the three boundary vintages and the reference zones (what
   ``scripts/run.sh`` runs), with one process writing the reports and with two (the default
   on two cores with PDFs is one: Chromium takes the other core).

Usage: python benchmarks/report.py [--data ../shared/data] [--places N] [--main-job]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from geodistrict import read_boundaries, read_points
from geodistrict.reports import ReportOptions, build_context, build_reports, report_workers
from geodistrict.reports._pdf import _count_pages, _print_cli, find_chromium, print_pdfs

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--places", type=int, default=38, help="how many LEPs (first N)")
    ap.add_argument("--main-job", action="store_true", help="also time the README's main job")
    a = ap.parse_args()
    uk = a.data / "uk"

    t0 = time.perf_counter()
    leps = read_boundaries(
        uk / "boundaries/Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson"
    )
    ctx = build_context(
        leps,
        options=ReportOptions(noun="LEP"),
        postcodes=read_points("onspd", name="postcodes"),
        universities=read_points(uk / "universities/learning-providers-plus.csv",
                                 name="universities"),
        business_counts=uk / "tables/nomis_UBC_enterprises_by_size_industry_2023-04.xlsx",
        employment=uk / "tables/nomis_APS_employment_by_industry_2023-04.xlsx",
    )  # fmt: skip
    t_ctx = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "html"
        out.mkdir()
        places = list(range(min(a.places, len(leps))))
        t1 = time.perf_counter()
        run = build_reports(ctx, out, places=places, pdf=False, workers=1)
        t_html = time.perf_counter() - t1
        n = len(run.html)
        k = report_workers(None, n)
        par = Path(tmp) / "par"
        par.mkdir()
        t6 = time.perf_counter()
        build_reports(ctx, par, places=places, pdf=False)
        t_par = time.perf_counter() - t6
        both = Path(tmp) / "both"
        both.mkdir()
        t4 = time.perf_counter()
        run2 = build_reports(ctx, both, places=places, pdf=True)
        t_both = time.perf_counter() - t4
        assert len(run2.pdf) == n, run2.failures
        print(f"context (read the layers, join 2.7 M postcodes, Nomis, benchmarks): {t_ctx:6.1f} s")
        print(f"{n} HTML reports alone (figures, chart, map):     {t_html:6.1f} s "
              f"({t_html / n:.2f} s per report)")  # fmt: skip
        print(f"{n} HTML reports alone, {k} processes:             {t_par:6.1f} s "
              f"({t_html / t_par:.1f}x one process)")  # fmt: skip
        print(
            f"{n} HTML reports with their PDFs (as the CLI):    {t_both:6.1f} s "
            f"({t_both / n:.2f} s per report; printing {run2.seconds['pdf']:.1f} s in its "
            f"process, {run2.seconds.get('pdf_wait', 0):.1f} s waited after the last report)"
        )

        one = Path(tmp) / "one"
        one.mkdir()
        t5 = time.perf_counter()
        run1 = build_reports(ctx, one, places=[places[-1]], pdf=True)
        t_one = time.perf_counter() - t5
        assert len(run1.pdf) == 1, run1.failures
        print(f"one report with its PDF, the context loaded:  {t_one:6.1f} s "
              "(the browser started for it; issue #19 aim: 3 s)")  # fmt: skip

        exe = find_chromium()
        jobs = [(h, h.with_suffix(".pdf")) for h in run.html.values()]
        t2 = time.perf_counter()
        ours = print_pdfs(jobs, chromium=exe)
        t_ours = time.perf_counter() - t2
        base_jobs = [(h, h.with_name(h.stem + "_cli.pdf")) for h in run.html.values()]
        t3 = time.perf_counter()
        base = _print_cli(base_jobs, chromium=exe)
        t_base = time.perf_counter() - t3
        assert all(r.error is None for r in ours + base), [r.error for r in ours + base]
        same = sum(
            _count_pages(Path(o.pdf).read_bytes()) == _count_pages(Path(b.pdf).read_bytes())
            for o, b in zip(ours, base, strict=True)
        )
        print(f"PDF alone, one Playwright page:   {t_ours:6.1f} s ({t_ours / n:.2f} s per report)")
        print(f"PDF alone, chromium CLI per file: {t_base:6.1f} s ({t_base / n:.2f} s per report)")
        print(f"ratio (CLI / Playwright): {t_base / t_ours:.1f}x; same page count in {same}/{n}")
        total = t_ctx + t_both
        print(f"whole run (context + reports with PDFs): {total:.1f} s (issue #19 aim: 25 s)")
    if a.main_job:
        _main_job()


#: ``scripts/run.sh``'s audit: every input a dataset that ships in the package.
MAIN_JOB = [
    "report", "--all", "--boundaries", "lep2021", "--universities", "learning-providers",
    "--business-counts", "ubc-industry-2022", "--employment", "aps-industry-2022",
    "--reference-zones", "lad2024_lep21", "--vintage", "LEP 2020=lep2020",
    "--vintage", "LSIP 2023=lsip2023",
    "--vintage", "Combined authority 2023=combined_authorities2023",
]  # fmt: skip


def _main_job() -> None:
    """The README's main job as a fresh process: one writer, then two."""
    cmd = [sys.executable, "-m", "geodistrict.cli", *MAIN_JOB]
    default = report_workers(None, 38, pdf=True)
    for label, extra in (("one writer", ["--workers", "1"]), ("two writers", ["--workers", "2"])):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            proc = subprocess.run([*cmd, "--out", tmp, *extra], capture_output=True, text=True,
                                  env={**os.environ, "GEODISTRICT_PROGRESS": "0"})  # fmt: skip
            dt = time.perf_counter() - t
            if proc.returncode:
                raise SystemExit(f"the main job failed: {proc.stderr[-2000:]}")
            pdfs = len(list(Path(tmp).glob("*.pdf")))
            print(f"main job (38 reports, {pdfs} PDFs, 3 vintages), {label}: {dt:6.1f} s"
                  f"{' (the default here)' if extra[-1] == str(default) else ''}")  # fmt: skip


if __name__ == "__main__":
    main()

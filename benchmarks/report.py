"""Audit reports of all 38 LEPs of 2021: time per stage, and PDF printing against its baseline.

1. The shared context (reading the layers and tables, 2.7 M postcodes joined, Nomis tables,
   benchmark districts), then the 38 HTML reports alone (figures, LQ chart, hot-spot map).
2. The run as ``geodistrict report --all`` does it: the 38 HTML reports with their PDFs, each
   printed in a thread while the next is built. "whole run" is the context plus this.
3. PDF printing alone: one headless Chromium page driven by Playwright for every report
   against the obvious baseline, ``chromium --headless --print-to-pdf`` started once per
   report; prints the ratio and checks that both give the same number of pages.

Usage: python benchmarks/report.py [--data ../shared/data] [--places N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from geodistrict import read_boundaries, read_points
from geodistrict.reports import ReportOptions, build_context, build_reports
from geodistrict.reports._pdf import _count_pages, _print_cli, find_chromium, print_pdfs

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--places", type=int, default=38, help="how many LEPs (first N)")
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
        run = build_reports(ctx, out, places=places, pdf=False)
        t_html = time.perf_counter() - t1
        n = len(run.html)
        both = Path(tmp) / "both"
        both.mkdir()
        t4 = time.perf_counter()
        run2 = build_reports(ctx, both, places=places, pdf=True)
        t_both = time.perf_counter() - t4
        assert len(run2.pdf) == n, run2.failures
        print(f"context (read the layers, join 2.7 M postcodes, Nomis, benchmarks): {t_ctx:6.1f} s")
        print(f"{n} HTML reports alone (figures, chart, map):     {t_html:6.1f} s "
              f"({t_html / n:.2f} s per report)")  # fmt: skip
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


if __name__ == "__main__":
    main()

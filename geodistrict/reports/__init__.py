"""Regional innovation audit reports: one self-contained HTML and PDF per place.

:func:`build_context` joins the layers and reads the national tables once per run;
:func:`place_report` assembles one place's figures; :func:`build_reports` writes the HTML,
the PDF (headless Chromium, network blocked), the index page and ``reports.json``.
"""

from ._build import ReportPrinter, ReportRun, build_reports, report_workers, select_places
from ._compare import measure_benchmarks
from ._context import (
    DEFAULT_MIN_COUNT,
    DEFAULT_MIN_LQ,
    ReportContext,
    ReportOptions,
    auto_cell,
    build_context,
)
from ._pdf import PrintResult, find_chromium, print_pdfs
from ._place import PlaceReport, place_report, slugify
from ._sectors import innovation_sectors, section_json

__all__ = [
    "DEFAULT_MIN_COUNT",
    "DEFAULT_MIN_LQ",
    "PlaceReport",
    "PrintResult",
    "ReportContext",
    "ReportPrinter",
    "ReportOptions",
    "ReportRun",
    "auto_cell",
    "build_context",
    "build_reports",
    "find_chromium",
    "innovation_sectors",
    "measure_benchmarks",
    "place_report",
    "print_pdfs",
    "report_workers",
    "section_json",
    "select_places",
    "slugify",
]

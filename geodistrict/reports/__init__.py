"""Regional innovation audit reports: one self-contained HTML and PDF per place.

:func:`build_context` joins the layers and reads the national tables once per run;
:func:`place_report` assembles one place's figures; :func:`build_reports` writes the HTML,
the PDF (headless Chromium, network blocked), the index page and ``reports.json``.
"""

from ._build import ReportRun, build_reports, select_places
from ._context import (
    DEFAULT_MIN_COUNT,
    DEFAULT_MIN_LQ,
    ReportContext,
    ReportOptions,
    auto_cell,
    build_context,
)
from ._place import PlaceReport, place_report, slugify

__all__ = [
    "DEFAULT_MIN_COUNT",
    "DEFAULT_MIN_LQ",
    "PlaceReport",
    "ReportContext",
    "ReportOptions",
    "ReportRun",
    "auto_cell",
    "build_context",
    "build_reports",
    "place_report",
    "select_places",
    "slugify",
]

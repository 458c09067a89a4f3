"""``geodistrict report``: a regional innovation audit of each place, as HTML and PDF."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._args import Formatter
from ._output import command_line

if TYPE_CHECKING:
    from ..reports import ReportContext, ReportPrinter, ReportRun

__all__ = ["register", "run"]

_EXAMPLE = """\
examples:
  # all 38 LEPs of 2021 with business counts, employment, universities and postcodes
  # (dataset names, bundled with geodistrict; file paths work the same way)
  geodistrict report --all --boundaries lep2021 \\
      --business-counts ubc-industry-2022 --employment aps-industry-2022 \\
      --universities learning-providers \\
      --vintage "LEP 2020=lep2020" --vintage "LSIP 2023=lsip2023" \\
      --vintage "Combined authority 2023=combined_authorities2023" \\
      --floorspace voa_floorspace.csv --floorspace-zones LAD_May_2024_EN_BUC.geojson \\
      --out reports/

  # one place, by name or code, without PDF
  geodistrict report "Greater Cambridge and Greater Peterborough" --boundaries leps.geojson \\
      --business-counts ubc_industry.xlsx --out reports/ --no-pdf

output (in --out): <place>.html (self-contained: inline CSS, images as data URIs, no network),
<place>.pdf (headless Chromium print, network blocked), <place>.json (the figures of the
report), index.html (every place with its headline figures and links; failures listed) and
reports.json (the run: places, files, failures, accounting, sources, parameters, timings).
A place that fails is reported and the others still build; the exit status is then 1.
Specialism rule: LQ >= --min-lq and count >= --min-count (stated in every report).
"""

#: The national reference's LAD polygons when none is given: England's LADs (bundled).
DEFAULT_REFERENCE_ZONES = "lad2024_lep21"

_NOUNS = {"LEP": "LEP", "LAD": "local authority", "CAUTH": "combined authority",
          "LSIP": "LSIP area", "CTRY": "country", "RGN": "region"}  # fmt: skip


def register(subparsers: Any) -> None:
    """Add the ``report`` subcommand."""
    from ..metrics.rules import SPECIALISM_RULE

    p = subparsers.add_parser(
        "report",
        help="regional innovation audit reports (HTML + PDF) of one, several or all places",
        description=(
            "For each place (a LEP, a local authority, a combined authority, a shipped or "
            "uploaded district): its card (area, enterprises, employment, universities, "
            "densities and ratios to England), sector specialisation (location quotients, "
            "specialisms, Krugman and diversity), hot spots and cluster outlines on a map at a "
            "stated scale, the nearest comparable districts of the benchmark registry, the "
            "changes between boundary vintages, and every source, licence and parameter."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    p.add_argument("places", nargs="*", metavar="PLACE", help="place id or name (or --all)")
    p.add_argument("--all", action="store_true", help="every place of --boundaries")
    p.add_argument(
        "--boundaries",
        metavar="PATH|NAME",
        default=None,
        help="the places: a file or a dataset name such as lep2021 (default: the shipped "
        "districts)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument(
        "--postcodes",
        metavar="SPEC",
        default="onspd",
        help="hot-spot point layer: 'onspd' (all UK postcodes, default), 'onspd:E', or a file",
    )
    p.add_argument("--no-postcodes", action="store_true", help="no point layer, no hot spots")
    p.add_argument("--universities", metavar="PATH|NAME", default=None,
                   help="learning-providers-plus.csv (UKPRN, PROVIDER_NAME, GROUPS), or the "
                   "dataset learning-providers")  # fmt: skip
    p.add_argument(
        "--firms",
        metavar="PATH",
        default=None,
        help="firms with SIC codes (a firm table or BasicCompanyData): adds an "
        "'Innovation sectors' section",
    )
    p.add_argument(
        "--sic-column",
        metavar="COL",
        default=None,
        help="with --firms: the column holding each firm's SIC code",
    )
    p.add_argument("--business-counts", metavar="PATH|NAME", default=None,
                   help="Nomis UK Business Counts by industry (xlsx/csv) for the places' "
                   "geography: enterprises and location quotients (dataset: "
                   "ubc-industry-2022)")  # fmt: skip
    p.add_argument("--employment", metavar="PATH|NAME", default=None,
                   help="Nomis APS employment by industry (residence-based; dataset: "
                   "aps-industry-2022)")  # fmt: skip
    p.add_argument("--floorspace", metavar="PATH", default=None,
                   help="VOA business floorspace table by local authority (csv/xlsx)")  # fmt: skip
    p.add_argument("--floorspace-zones", metavar="PATH", default=None,
                   help="polygons of the floorspace table's area codes (LADs)")  # fmt: skip
    p.add_argument("--zones", metavar="PATH|NAME", default=None,
                   help="LAD polygons: sum the Nomis tables' LAD rows onto places made of "
                   "whole LADs (combined authorities, LSIP areas)")  # fmt: skip
    p.add_argument("--reference-zones", metavar="PATH|NAME", default=None,
                   help="LAD polygons (GSS codes) giving each UK country's area for the "
                   "national reference of the ratios (default: --zones or "
                   f"--floorspace-zones, else the bundled {DEFAULT_REFERENCE_ZONES}: England's "
                   "LADs)")  # fmt: skip
    p.add_argument("--geography", metavar="TYPE", default=None,
                   help="Nomis geography type of the places (default: lep for LEP boundaries, "
                   "ladu for LADs)")  # fmt: skip
    p.add_argument("--year", type=int, default=None, metavar="YEAR",
                   help="year of the Nomis tables (default: the latest)")  # fmt: skip
    p.add_argument("--vintage", action="append", default=None, metavar="LABEL=PATH|NAME",
                   help="another boundary vintage to compare with, e.g. 'LEP 2020=lep2020' (a "
                   "dataset name or a file); repeatable")  # fmt: skip
    p.add_argument("--min-lq", type=float, default=SPECIALISM_RULE.min_lq, metavar="LQ",
                   help="lowest location quotient of a specialism")  # fmt: skip
    p.add_argument("--min-count", type=float, default=SPECIALISM_RULE.min_count, metavar="N",
                   help="fewest enterprises of a specialism")  # fmt: skip
    p.add_argument("--cell", type=float, default=None, metavar="METRES",
                   help="hot-spot cell (default: ~1,500 cells per place, rounded)")  # fmt: skip
    p.add_argument("--fdr", type=float, default=0.05, help="false discovery rate of the hot spots")
    p.add_argument("--no-pdf", action="store_true", help="write HTML only")
    p.add_argument("--chromium", metavar="PATH", default=None, help="Chromium executable")
    p.add_argument("--workers", metavar="N", type=int, default=None,
                   help="processes writing the reports (default, on Linux from 8 places on: "
                   "one per core up to 4, less one for the PDFs; 1 writes them one after "
                   "another)")  # fmt: skip
    p.add_argument("--no-benchmarks", action="store_true",
                   help="leave out the comparison with the benchmark districts")  # fmt: skip
    p.add_argument("--no-context-map", action="store_true",
                   help="a single drawn district (--boundaries with one polygon that is not a "
                   "LEP or LAD) gets the app's map of it in context (baseline, LAD, LEP, "
                   "nearby districts, postcodes, hot cells, universities); leave it "
                   "out")  # fmt: skip
    p.add_argument("--title", default=None, help="title of the index page")
    p.add_argument("--debug", action="store_true", help="show tracebacks; stop at a failure")
    p.set_defaults(_run=run)


def _vintages(specs: list[str] | None) -> dict[str, Any]:
    from ..errors import ParameterError
    from ..io.read import read_boundaries

    out = {}
    for spec in specs or []:
        label, sep, path = spec.partition("=")
        if not sep or not label.strip() or not path.strip():
            raise ParameterError(
                f"--vintage {spec!r}: write it as LABEL=PATH, e.g. 'LEP 2020=lep2020.geojson'."
            )
        out[label.strip()] = read_boundaries(path.strip())
    return out


def _noun(id_field: str | None) -> tuple[str, str | None]:
    """(noun, Nomis geography) from the boundary id field (``LEP21CD`` → LEP, lep)."""
    f = (id_field or "").upper()
    for prefix, noun in _NOUNS.items():
        if f.startswith(prefix):
            geo = {"LEP": "lep", "LAD": "ladu"}.get(prefix)
            return noun, geo
    return "district", None


def _firms(args: argparse.Namespace) -> Any:
    """The --firms layer with its SIC 2007 sectors, or None."""
    if not getattr(args, "firms", None):
        return None
    from ..io.firms import read_firms

    return read_firms(args.firms, name="firms", sic_column=args.sic_column)


def _reference_zones(args: argparse.Namespace) -> Any:
    """--reference-zones, or England's bundled LADs when no LAD polygons are given at all.

    ``--zones`` and ``--floorspace-zones`` serve as the reference when given (in
    :func:`geodistrict.reports.build_context`); without any, a place in England is measured
    against England's area from :data:`DEFAULT_REFERENCE_ZONES` (the report's reference note
    names the file), never against the union of the places.
    """
    from ..io.read import read_boundaries

    if args.reference_zones:
        return read_boundaries(args.reference_zones)
    if args.zones or args.floorspace_zones:
        return None
    if args.no_postcodes and not args.universities:
        return None  # no layer to divide by a national density
    return read_boundaries(DEFAULT_REFERENCE_ZONES)


def _context_maps(args: argparse.Namespace, b: Any, noun: str) -> dict[str, str] | None:
    """The app's map in context of a single drawn district (as its report on request has)."""
    if args.no_context_map or not args.boundaries or noun != "district" or len(b) != 1:
        return None
    from ..app import context_map_for, get_app_data
    from ..errors import GeodistrictError

    try:
        data = get_app_data(None)
        assert data is not None
        doc, why = context_map_for(data, b)
    except GeodistrictError as exc:
        print(f"geodistrict: note: no map of the district in context: {exc}", file=sys.stderr)
        return None
    print(f"geodistrict: note: map of the district in context; baseline {why}", file=sys.stderr)
    return {str(b.ids[0]): doc}


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict report`` (returns the exit status)."""
    from ..districts.registry import district_boundaries
    from ..errors import ParameterError
    from ..io.read import read_boundaries
    from ..reports import ReportPrinter

    if args.all and args.places:
        raise ParameterError("give place names or --all, not both.")
    if not args.all and not args.places:
        raise ParameterError("name a place (its id or name) or pass --all.")
    t0 = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    b = read_boundaries(args.boundaries) if args.boundaries else district_boundaries()
    noun, geo = _noun(b.id_field)
    nomis = args.business_counts or args.employment
    if nomis and not (geo or args.geography or args.zones):
        raise ParameterError(
            f"{args.boundaries or 'the shipped districts'}: these places are not a Nomis "
            "geography; pass --zones LAD_boundaries.geojson to sum the tables' LAD rows onto "
            "places made of whole LADs, or --geography TYPE if the table has rows for them."
        )
    # the printing process and Chromium start now, while the data are read
    printer = (
        None
        if args.no_pdf
        else ReportPrinter(args.chromium, total=len(b) if args.all else len(args.places))
    )
    try:
        result, ctx = _build(args, b, out, geo=geo, noun=noun, printer=printer)
    except BaseException:
        if printer is not None:
            printer.cancel()
        raise
    for note in ctx.notes:
        print(f"geodistrict: note: {note}", file=sys.stderr)
    n = len(result.html)
    pdfs = f", {len(result.pdf)} PDFs" if not args.no_pdf else ""
    failed = f"; {len(result.failures)} failed (listed in index.html)" if result.failures else ""
    print(
        f"report: {n} HTML reports{pdfs} and index.html in {out} "
        f"({time.perf_counter() - t0:.0f} s){failed}",
        file=sys.stderr,
    )
    return 1 if result.failures else 0


def _build(
    args: argparse.Namespace,
    b: Any,
    out: Path,
    *,
    geo: str | None,
    noun: str,
    printer: ReportPrinter | None,
) -> tuple[ReportRun, ReportContext]:
    """Read the data, build the shared context and write the reports (the run, the context)."""
    from ..io.read import read_boundaries, read_points
    from ..reports import ReportOptions, build_context, build_reports, select_places

    options = ReportOptions(
        min_lq=args.min_lq,
        min_count=args.min_count,
        cell_m=args.cell,
        fdr=args.fdr,
        nomis_year=args.year,
        geography=args.geography or geo or "lep",
        noun=noun,
    )
    ctx = build_context(
        b,
        options=options,
        postcodes=None if args.no_postcodes else read_points(args.postcodes, name="postcodes"),
        universities=read_points(args.universities, name="universities")
        if args.universities
        else None,
        business_counts=args.business_counts,
        employment=args.employment,
        zones=read_boundaries(args.zones) if args.zones else None,
        vintages=_vintages(args.vintage),
        floorspace=args.floorspace,
        floorspace_zones=read_boundaries(args.floorspace_zones) if args.floorspace_zones else None,
        benchmarks=not args.no_benchmarks,
        reference_zones=_reference_zones(args),
    )
    places = None if args.all else select_places(ctx, args.places)
    result = build_reports(
        ctx,
        out,
        places=places,
        pdf=not args.no_pdf,
        chromium=args.chromium,
        command=command_line(),
        title=args.title,
        debug=args.debug,
        firms=_firms(args),
        context_maps=_context_maps(args, b, noun),
        printer=printer,
        workers=args.workers,
    )
    return result, ctx

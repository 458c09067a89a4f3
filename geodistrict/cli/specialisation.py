"""``geodistrict specialisation``: location quotients of every sector in every area.

Two sources of counts, one location-quotient function
(:func:`geodistrict.metrics.specialisation.location_quotients`): a Nomis table (``--table``),
or firm points counted in any polygons (``--points firms=PATH --areas BOUNDARIES``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from typing import TYPE_CHECKING, Any

from ..io.write import write_json
from ..provenance import NOMIS_NOTICE

if TYPE_CHECKING:
    from ..metrics.rules import SpecialismRule

__all__ = ["register", "run"]

_EXAMPLE = """\
examples:
  # UK Business Counts by SIC section: every LEP against England, 2022
  geodistrict specialisation \\
      --table nomis_UBC_enterprises_by_size_industry_2023-04.xlsx --date 2022 \\
      --geography lep --out lep_lq.csv --indices lep_indices.csv --report lep_lq.json

  # local authorities against the London LEP instead of England
  geodistrict specialisation --table ubc_industry.xlsx --geography lad \\
      --reference "lep:London" --out lad_lq.csv

  # firm points by SIC 2007 section in any polygons, against all firms of the layer
  geodistrict specialisation --points firms=firms.csv --areas lads.geojson \\
      --level section --out firm_lq.csv --report firm_lq.json

  # employment-weighted, Eurostat technology groups, against a reference polygon
  geodistrict specialisation --points firms=firms.csv --sic-column SIC_5DIGIT_CODE \\
      --level eurostat_technology --weight Employees_thisyear --areas district.geojson \\
      --reference region.geojson --out district_lq.csv

output columns (CSV), in this order: area, sector, count, area_total, reference_count,
reference_total, lq, then area_total_complete, reference_complete, reference, sector_label,
flag, specialism. lq = (count / area_total) / (reference_count / reference_total); a
suppressed count stays empty (never 0) and so does its lq; area_total_complete is False when
the area's total leaves out a suppressed count. A specialism has lq >= --min-lq and
count >= --min-count.
--indices: one row per area with krugman, hhi, shannon, n_specialisms, top_specialisms.
With --points the columns after lq are area_total_complete, reference_complete, reference,
sector_label, area_name, specialism; --level is section, division, group, class, subclass or
a grouping (eurostat_technology, eurostat_kis, eurostat_manufacturing, dcms_creative,
dcms_digital, innovation, or one from --groups FILE.yaml); --reference is all (every firm of
the layer with a sector, default), areas (the sum of the areas) or a polygon file. Firms
without a SIC 2007 section (Companies House codes 98000, 74990, 99999, no code) are counted
in the report with their reason, never in a sector.
"""


def register(subparsers: Any) -> None:
    """Add the ``specialisation`` subcommand."""
    from ..metrics.rules import SPECIALISM_RULE

    p = subparsers.add_parser(
        "specialisation",
        help="location quotients and specialisation indices of sectors by area (Nomis or firms)",
        description=(
            "One row per area and sector of a Nomis download by industry (UK Business Counts "
            "by SIC 2007 section ...): the count, the area's total, the reference's count and "
            "total, and the location quotient. The reference is the table's country row "
            "(England) unless --reference names another area. With --points firms=PATH "
            "--areas BOUNDARIES instead: firm points counted by SIC 2007 sector in any polygons."
        ),
        epilog=_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--table", metavar="PATH", default=None, help="Nomis download (xlsx/csv)")
    p.add_argument(
        "--points",
        metavar="NAME=PATH",
        default=None,
        help="firm points instead of --table: a firm table with coordinates or postcodes and "
        "a SIC column, a Companies House BasicCompanyData CSV or its GeoParquet cache",
    )
    p.add_argument(
        "--areas",
        metavar="BOUNDARIES",
        default=None,
        help="with --points: the polygons to count firms in",
    )
    p.add_argument(
        "--sic-column", metavar="COL", default=None, help="with --points: the SIC code column"
    )
    p.add_argument(
        "--level",
        metavar="LEVEL",
        default="section",
        help="with --points: section (default), division, group, class, subclass or a grouping",
    )
    p.add_argument(
        "--weight",
        metavar="COL",
        default=None,
        help="with --points: sum this column (employees) instead of counting firms",
    )
    p.add_argument(
        "--label-column",
        metavar="COL",
        default=None,
        help="with --points: the firms' column naming their area (localauthority_name); the "
        "report says how many firms fall in the polygon of that area, by postcode and by point",
    )
    p.add_argument(
        "--groups",
        metavar="FILE.yaml",
        default=None,
        help="with --points: more sector groupings (YAML) for --level",
    )
    p.add_argument("--sheet", metavar="NAME", default=None, help="sheet of a workbook")
    p.add_argument(
        "--date",
        type=int,
        metavar="YEAR",
        default=None,
        help="year of the blocks to use (default: the latest)",
    )
    p.add_argument(
        "--geography",
        metavar="TYPE",
        default="lep",
        help="Nomis geography type of the areas: lep (default), lad (= ladu), country, udg "
        "(= User Defined Geography) ...",
    )
    p.add_argument(
        "--reference",
        metavar="NAME",
        default=None,
        help="area to compare with, as TYPE:LABEL ('country:England', 'lep:London') or a "
        "label (default: the table's country row); with --points: all (default), areas or a "
        "polygon file",
    )
    p.add_argument(
        "--variable",
        metavar="COLUMN",
        default="Total",
        help="column of the download (default: Total), e.g. 'Micro (0 to 9)'",
    )
    p.add_argument(
        "--industry-dimension",
        metavar="DIM",
        default="industry",
        help="the dimension that holds the sectors (default: industry)",
    )
    p.add_argument(
        "--where",
        action="append",
        metavar="DIM=VALUE",
        default=None,
        help="fix another Nomis dimension that takes several values, e.g. legal_status=Total",
    )
    p.add_argument(
        "--min-lq",
        type=float,
        default=SPECIALISM_RULE.min_lq,
        metavar="LQ",
        help=f"lowest lq of a specialism (default: {SPECIALISM_RULE.min_lq:g})",
    )
    p.add_argument(
        "--min-count",
        type=float,
        default=SPECIALISM_RULE.min_count,
        metavar="N",
        help=f"lowest count of a specialism (default: {SPECIALISM_RULE.min_count:g})",
    )
    p.add_argument("--out", required=True, metavar="PATH.csv", help="long table of LQs (CSV)")
    p.add_argument("--indices", metavar="PATH.csv", default=None, help="per-area indices (CSV)")
    p.add_argument("--report", metavar="PATH.json", default=None, help="JSON report")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    if args.points is not None or args.table is None:
        return run_points(args)
    if args.areas is not None:
        from ..errors import ParameterError

        raise ParameterError("--areas goes with --points NAME=PATH, not with --table.")
    from .._version import __version__
    from ..io.nomis import read_nomis
    from ..metrics.specialisation import specialisation_table
    from ._args import kv as _kv

    where = _kv(args.where, "--where")
    table = read_nomis(args.table, sheet=args.sheet)
    result = specialisation_table(
        table,
        geography=args.geography,
        year=args.date,
        rule=_rule(args),
        variable=args.variable,
        industry_dimension=args.industry_dimension,
        reference=args.reference,
        where=where,
    )
    counts, reference = result.counts, result.reference
    assert counts is not None and reference is not None  # set by specialisation_table
    lq, indices = result.lq, result.indices

    sel = counts.attrs
    sectors = lq.drop_duplicates("sector")
    incomplete = indices.loc[~indices["area_total_complete"], "area"].tolist()
    provenance = {
        "tool": f"geodistrict {__version__}",
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "source": str(args.table),
        "title": table.title,
        "licence": NOMIS_NOTICE,
        "attribution": result.provenance["attribution"],
        "command": "geodistrict " + " ".join(sys.argv[1:]),
    }
    report = {
        "parameters": {
            "table": str(args.table),
            "date": args.date,
            "geography": args.geography,
            "reference": args.reference,
            "variable": args.variable,
            "industry_dimension": args.industry_dimension,
            "where": where,
            "min_lq": args.min_lq,
            "min_count": args.min_count,
        },
        "year": sel["year"],
        "geography": sel["geography_type"],
        "reference": sel["reference"],
        "n_areas": int(lq["area"].nunique()),
        "n_sectors": int(len(sectors)),
        "sectors": dict(zip(sectors["sector"], sectors["sector_label"], strict=True)),
        "suppressed": {
            "cells": int(counts["count"].isna().sum()),
            "reference_cells": int(reference.isna().sum()),
            "kept_missing": True,
            "areas_with_incomplete_totals": incomplete,
        },
        "n_specialisms": int(lq["specialism"].sum()),
        "lq": "(count / area_total) / (reference_count / reference_total)",
        "provenance": provenance,
    }
    _write_outputs(args, lq, indices, report, provenance)
    print(
        f"specialisation: {report['n_areas']} {sel['geography_type']} areas x "
        f"{report['n_sectors']} sectors, {sel['year']}, against {sel['reference']}; "
        f"{report['suppressed']['cells']} suppressed cells kept missing; "
        f"{report['n_specialisms']} specialisms (lq >= {args.min_lq:g}, "
        f"count >= {args.min_count:g})",
        file=sys.stderr,
    )
    _print_written(args)
    return 0


def _write_outputs(
    args: argparse.Namespace,
    lq: Any,
    indices: Any,
    report: dict[str, Any],
    provenance: dict[str, Any],
) -> None:
    """Write ``--out`` (the LQ table), ``--indices`` and ``--report`` when asked for."""
    from ..io.write import write_table

    write_table(lq, args.out, provenance=provenance)
    if args.indices:
        write_table(indices, args.indices, provenance=provenance)
    if args.report:
        write_json(args.report, report)


def _print_written(args: argparse.Namespace) -> None:
    """Name the files written on stderr."""
    written = [args.out, args.indices, args.report]
    print(f"wrote {', '.join(str(w) for w in written if w)}", file=sys.stderr)


def _rule(args: argparse.Namespace) -> SpecialismRule:
    """The rule of a specialism from ``--min-lq`` and ``--min-count``."""
    from ..metrics.rules import SpecialismRule

    return SpecialismRule(min_lq=args.min_lq, min_count=args.min_count)


def run_points(args: argparse.Namespace) -> int:
    """``--points firms=PATH --areas BOUNDARIES``: firm-based location quotients."""
    from .._version import __version__
    from ..errors import ParameterError
    from ..io.firms import firm_accounting, read_firms
    from ..io.read import read_boundaries
    from ..metrics.firm_sectors import firm_location_quotients
    from ..metrics.specialisation import specialisation_from_lq
    from ..sectors import load_groupings
    from ._args import points_spec

    if args.points is None:
        raise ParameterError(
            "give --table PATH (a Nomis download) or --points firms=PATH --areas BOUNDARIES."
        )
    if args.table is not None:
        raise ParameterError("give --table or --points, not both.")
    if args.areas is None:
        raise ParameterError(
            "--points needs --areas BOUNDARIES: the polygons to count the firms in."
        )
    name, path = points_spec(args.points, hint=" NAME names the firm layer.")
    groupings = load_groupings(args.groups)
    firms = read_firms(path, name=name, sic_column=args.sic_column)
    areas = read_boundaries(args.areas)
    reference = args.reference or "all"
    firm_lq, fc = firm_location_quotients(
        firms,
        areas,
        level=args.level,
        weight=args.weight,
        reference=reference,
        groupings=groupings,
    )
    result = specialisation_from_lq(firm_lq, rule=_rule(args))
    lq, indices = result.lq, result.indices
    accounting = {**firm_accounting(firms), **fc.accounting}
    agreement = None
    if args.label_column:
        from ..io.tables import detect_postcode_column
        from ..metrics.firm_sectors import place_agreement

        agreement = place_agreement(
            firms,
            areas,
            label=args.label_column,
            postcode=detect_postcode_column(list(firms.attributes.columns)),
        )
    provenance = {
        "tool": f"geodistrict {__version__}",
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "source": str(path),
        "licence": firms.info.licence,
        "attribution": firms.info.attribution,
        "command": "geodistrict " + " ".join(sys.argv[1:]),
    }
    report = {
        "parameters": {
            "points": args.points,
            "areas": str(args.areas),
            "sic_column": args.sic_column,
            "level": args.level,
            "weight": args.weight,
            "reference": reference,
            "groups": args.groups,
            "min_lq": args.min_lq,
            "min_count": args.min_count,
        },
        "reference": fc.reference.name,
        "n_areas": int(lq["area"].nunique()),
        "n_sectors": int(lq["sector"].nunique()),
        "accounting": accounting,
        "grouping": fc.grouping,
        "places": agreement,
        "n_specialisms": int(lq["specialism"].sum()),
        "lq": "(count / area_total) / (reference_count / reference_total)",
        "notes": list(firms.info.notes),
        "provenance": provenance,
    }
    _write_outputs(args, lq, indices, report, provenance)
    reasons = "; ".join(f"{v} x {k}" for k, v in accounting["reasons"].items()) or "none"
    print(
        f"specialisation: {report['n_areas']} areas x {report['n_sectors']} sectors "
        f"({args.level}{', weighted by ' + args.weight if args.weight else ''}) against "
        f"{fc.reference.name}; {accounting['input']:,} rows: {accounting['located']:,} located, "
        f"{accounting['with_section']:,} with a SIC 2007 section, "
        f"{accounting['without_section']:,} without ({reasons}); "
        f"{accounting['in_areas']:,} in the areas, {accounting['outside_areas']:,} outside",
        file=sys.stderr,
    )
    if agreement is not None:
        print(f"places: {agreement['sentence']}", file=sys.stderr)
    _print_written(args)
    return 0

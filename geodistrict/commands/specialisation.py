"""``geodistrict specialisation``: location quotients of every sector in every area of a table."""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from typing import Any

from ..io.write import write_json

__all__ = ["register", "run"]

_LICENCE = "ONS Crown Copyright / OGL v3.0"

_EXAMPLE = """\
examples:
  # UK Business Counts by SIC section: every LEP against England, 2022
  geodistrict specialisation \\
      --table nomis_UBC_enterprises_by_size_industry_2023-04.xlsx --date 2022 \\
      --geography lep --out lep_lq.csv --indices lep_indices.csv --report lep_lq.json

  # local authorities against the London LEP instead of England
  geodistrict specialisation --table ubc_industry.xlsx --geography lad \\
      --reference "lep:London" --out lad_lq.csv

output columns (CSV), in this order: area, sector, count, area_total, reference_count,
reference_total, lq, then area_total_complete, reference_complete, reference, sector_label,
flag, specialism. lq = (count / area_total) / (reference_count / reference_total); a
suppressed count stays empty (never 0) and so does its lq; area_total_complete is False when
the area's total leaves out a suppressed count. A specialism has lq >= --min-lq and
count >= --min-count.
--indices: one row per area with krugman, hhi, shannon, n_specialisms, top_specialisms.
"""


def register(subparsers: Any) -> None:
    """Add the ``specialisation`` subcommand."""
    p = subparsers.add_parser(
        "specialisation",
        help="location quotients and specialisation indices of sectors by area (Nomis)",
        description=(
            "One row per area and sector of a Nomis download by industry (UK Business Counts "
            "by SIC 2007 section ...): the count, the area's total, the reference's count and "
            "total, and the location quotient. The reference is the table's country row "
            "(England) unless --reference names another area."
        ),
        epilog=_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--table", required=True, metavar="PATH", help="Nomis download (xlsx/csv)")
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
        "label (default: the table's country row)",
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
        default=1.25,
        metavar="LQ",
        help="lowest lq of a specialism (default: 1.25)",
    )
    p.add_argument(
        "--min-count",
        type=float,
        default=100,
        metavar="N",
        help="lowest count of a specialism (default: 100)",
    )
    p.add_argument("--out", required=True, metavar="PATH.csv", help="long table of LQs (CSV)")
    p.add_argument("--indices", metavar="PATH.csv", default=None, help="per-area indices (CSV)")
    p.add_argument("--report", metavar="PATH.json", default=None, help="JSON report")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from .._version import __version__
    from ..cli import _kv
    from ..io.nomis import read_nomis
    from ..io.write import write_table
    from ..metrics.specialisation import (
        is_specialism,
        location_quotients,
        nomis_sector_counts,
        specialisation_indices,
    )

    where = _kv(args.where, "--where")
    table = read_nomis(args.table, sheet=args.sheet)
    counts, reference = nomis_sector_counts(
        table,
        geography_type=args.geography,
        year=args.date,
        variable=args.variable,
        industry_dimension=args.industry_dimension,
        reference=args.reference,
        **where,
    )
    lq = location_quotients(counts, reference=reference)
    lq["specialism"] = is_specialism(lq, min_lq=args.min_lq, min_count=args.min_count)
    indices = specialisation_indices(lq, min_lq=args.min_lq, min_count=args.min_count)

    sel = counts.attrs
    sectors = lq.drop_duplicates("sector")
    incomplete = indices.loc[~indices["area_total_complete"], "area"].tolist()
    provenance = {
        "tool": f"geodistrict {__version__}",
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "source": str(args.table),
        "title": table.title,
        "licence": _LICENCE,
        "attribution": f"Source: Nomis, {table.title}. {_LICENCE}.",
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
    write_table(lq, args.out, provenance=provenance)
    if args.indices:
        write_table(indices, args.indices, provenance=provenance)
    if args.report:
        write_json(args.report, report)
    print(
        f"specialisation: {report['n_areas']} {sel['geography_type']} areas x "
        f"{report['n_sectors']} sectors, {sel['year']}, against {sel['reference']}; "
        f"{report['suppressed']['cells']} suppressed cells kept missing; "
        f"{report['n_specialisms']} specialisms (lq >= {args.min_lq:g}, "
        f"count >= {args.min_count:g})",
        file=sys.stderr,
    )
    written = [args.out, args.indices, args.report]
    print(f"wrote {', '.join(str(w) for w in written if w)}", file=sys.stderr)
    return 0

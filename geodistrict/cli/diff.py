"""``geodistrict diff``: what a proposed district boundary adds to and removes from a baseline."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register", "run"]

_EXAMPLE = """\
examples:
  # a redrawn Cambridge boundary against the shipped one, with postcodes and firms
  geodistrict diff proposed_cambridge.geojson cambridge --points postcodes=onspd \\
      --points firms=BasicCompanyData.csv --out cambridge_diff.json

output: JSON with proposed/baseline {id, name, area_ha}, area_added_ha (proposed minus
baseline), area_removed_ha (baseline minus proposed), area_common_ha, area_change_ha,
area_change_pct, layers {NAME: baseline_count, proposed_count, added_count, removed_count,
common_count, baseline_per_km2, proposed_per_km2, density_change_pct}, gaining_sectors and
sectors; CSV with one row per measure (measure, unit, baseline, proposed, added, removed,
change, change_pct). Areas are exact geometric differences in metres.

hot cells: when a --points layer is named postcodes, the JSON also has hot_cells {proposed,
baseline, added, removed, common, in_study_area, cell_m, margin_m, study_area, n_cells,
p_threshold, method} and the CSV a hot_cells_count row: significant Getis-Ord Gi* hot cells
(the test of geodistrict hotspots: points per --hot-cell square, queen contiguity, FDR 5 %)
over both polygons' bounding boxes (one per part) grown by --hot-margin; a cell counts in a
polygon when its centre lies in it.
"""


def register(subparsers: Any) -> None:
    """Add the ``diff`` subcommand."""
    from ..districts.defaults import HOT_CELL_M, HOT_MARGIN_M
    from ._args import Formatter, points_argument

    p = subparsers.add_parser(
        "diff",
        help="proposed vs baseline district: hectares and points added and removed",
        description=(
            "Compare a proposed district polygon with a baseline one: hectares added and "
            "removed, points of each layer added and removed, density change, and the sectors "
            "that gain."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    p.add_argument("proposed", metavar="PROPOSED", help="slug or polygon file")
    p.add_argument("baseline", metavar="BASELINE", help="slug or polygon file")
    points_argument(p)
    p.add_argument("--hot-cell", type=float, default=HOT_CELL_M, metavar="METRES",
                   help="cell side of the postcodes' hot cells")  # fmt: skip
    p.add_argument("--hot-margin", type=float, default=HOT_MARGIN_M, metavar="METRES",
                   help="how far the hot cells' study area reaches beyond each polygon's "
                   "bounding box")  # fmt: skip
    p.add_argument("--out", required=True, metavar="PATH.json|.csv", help="output file")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict diff`` (returns the exit status)."""
    from ..districts import diff_districts
    from ._args import check_out, parse_by, read_layers
    from ._output import print_warnings, write_card_document

    check_out(args.out, (".json", ".csv"), "--out")
    layers = read_layers(args.points)
    d = diff_districts(args.proposed, args.baseline, layers=layers,
                       by_sector=parse_by(args.by, layers), hot_cells="postcodes",
                       hot_cell_m=args.hot_cell, hot_margin_m=args.hot_margin)  # fmt: skip
    write_card_document(d, args.out)
    print_warnings(d.warnings)
    h = d.hot_cells
    hot = (
        f"; Gi* hot cells ({h['cell_m']:g} m) {h['proposed']} in the proposed, {h['baseline']} "
        f"in the baseline, +{h['added']}, -{h['removed']}"
        if h
        else ""
    )
    print(
        f"{d.proposed['id']} vs {d.baseline['id']}: +{d.area_added_ha:,.2f} ha, "
        f"-{d.area_removed_ha:,.2f} ha{hot}; wrote {args.out}",
        file=sys.stderr,
    )
    return 0

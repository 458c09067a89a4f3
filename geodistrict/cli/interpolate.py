"""``geodistrict interpolate``: carry a published zone table onto other polygons."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..io.write import write_json
from ._args import Formatter, kv
from ._output import command_line

__all__ = ["register", "run", "with_area_columns"]


_EXAMPLE = """\
examples:
  # UK Business Counts 2022 per LAD (2022 names) onto the LEP 2021 polygons
  geodistrict interpolate --zones LAD_May_2024_EN_BUC_with_LEP21.geojson \\
      --table nomis_UBC_enterprises_by_sizeband_2023-04.xlsx --date 2022 \\
      --to "Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson" --nested \\
      --out ubc_lep.csv --report ubc_lep.json

  # jobs per CLUE small area onto a proposed district, weighted by postcodes
  geodistrict interpolate --zones clue_small_areas.shp --table jobs.csv \\
      --to proposed.geojson --weights onspd --out jobs.csv

output columns (CSV): id, name, value, value_coverage, area_km2, value_per_km2, method
(value_coverage: share of the target's area reached by zones that have a value).
"""


def register(subparsers: Any) -> None:
    """Add the ``interpolate`` subcommand."""
    n = subparsers.add_parser(
        "interpolate",
        help="carry a published zone table (Nomis, CLUE, VOA, CSV) onto other polygons",
        description=(
            "Read a table published per zone (UK Business Counts per LAD, jobs per CLUE small "
            "area, floorspace per LAD, any CSV keyed by area code or name), join it to its zone "
            "polygons by code or name (successors of abolished districts and known aliases "
            "included; unmatched rows and zones reported), then carry it onto target polygons "
            "by area share (or by ancillary points with --weights). Totals are conserved: "
            "inside + outside = table total, stated in the report."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    n.add_argument("--zones", required=True, metavar="PATH|NAME",
                   help="polygons the table describes (a file or a dataset name)")  # fmt: skip
    n.add_argument("--zones-id", metavar="FIELD", default=None, help="their code field")
    n.add_argument("--zones-name", metavar="FIELD", default=None, help="their name field")
    n.add_argument("--zones-layer", metavar="LAYER", default=None, help="layer of a GeoPackage")
    n.add_argument(
        "--table",
        required=True,
        metavar="PATH",
        help="Nomis download (xlsx/csv), CLUE jobs CSV, VOA floorspace, or CSV/XLSX "
        "keyed by area code or name",
    )
    n.add_argument(
        "--date",
        type=int,
        metavar="YEAR",
        default=None,
        help="year of the block to use (default: the latest)",
    )
    n.add_argument(
        "--value",
        metavar="COLUMN",
        default=None,
        help="the table's column / Nomis variable / VOA sector (default: the total)",
    )
    n.add_argument(
        "--key",
        metavar="COLUMN",
        default=None,
        help="code or name column of a plain table (default: detected)",
    )
    n.add_argument(
        "--where",
        action="append",
        metavar="DIM=VALUE",
        default=None,
        help="fix another Nomis dimension, e.g. industry='Total'",
    )
    n.add_argument("--to", required=True, metavar="PATH|NAME",
                   help="target polygons (a file or a dataset name)")  # fmt: skip
    n.add_argument("--to-id", metavar="FIELD", default=None, help="target code field")
    n.add_argument("--to-name", metavar="FIELD", default=None, help="target name field")
    n.add_argument("--to-layer", metavar="LAYER", default=None, help="layer of a GeoPackage")
    n.add_argument(
        "--weights",
        metavar="POINTS",
        default=None,
        help="ancillary points for dasymetric weights: 'onspd' or a points file",
    )
    n.add_argument(
        "--nested",
        action="store_true",
        help="zones nest in the targets but were generalised separately (LADs in "
        "LEPs): same as --tolerance 0.05",
    )
    n.add_argument(
        "--tolerance",
        type=float,
        metavar="SHARE",
        default=None,
        help="drop a zone's pieces below SHARE and rescale a zone covered at least "
        "1-SHARE to the whole (default 0: pure shares)",
    )
    n.add_argument(
        "--overlap",
        choices=["full", "split"],
        default="full",
        help="in overlapping targets count a value in each (full, as Nomis does) or "
        "divide it among them (split)",
    )
    n.add_argument(
        "--intensive",
        action="store_true",
        help="the value is a rate or density: average it by area, never sum it",
    )
    n.add_argument(
        "--out",
        required=True,
        metavar="PATH.csv",
        help="output: .csv (or .gpkg/.parquet/.geojson with geometry)",
    )
    n.add_argument(
        "--report",
        metavar="PATH.json",
        default=None,
        help="JSON report: matching, conservation, adjustments, provenance",
    )
    n.add_argument("--debug", action="store_true", help="show tracebacks")
    n.set_defaults(_run=run)


def with_area_columns(table: Any, area_km2: Any, *, intensive: bool) -> Any:
    """Insert ``area_km2`` (and, for a count, ``value_per_km2``) after the value's columns.

    Parameters
    ----------
    table : DataFrame
        The interpolated table: ``value`` followed by ``value_coverage`` (counts only).
    area_km2 : array-like
        The targets' areas, aligned with the rows.
    intensive : bool
        A rate is not divided by area: only ``area_km2`` is added, right after ``value``.

    Returns
    -------
    DataFrame
        ``table`` itself, changed in place (a zero area gives an infinite or NaN density).
    """
    import numpy as np

    pos = list(table.columns).index("value") + (1 if intensive else 2)
    table.insert(pos, "area_km2", area_km2)
    if not intensive:
        with np.errstate(divide="ignore", invalid="ignore"):
            table.insert(pos + 1, "value_per_km2", table["value"].to_numpy() / area_km2)
    return table


def _print_summary(table_report: dict[str, Any], rep: dict[str, Any]) -> None:
    """How the table matched its zones and how the value was conserved, on stderr."""
    tr = table_report
    print(
        f"table: {tr['matched_rows']} rows matched zones "
        f"({', '.join(f'{k} {v}' for k, v in tr['matched_by'].items())}); "
        f"{len(tr['unmatched_labels'])} rows and {len(tr['unmatched_zones'])} zones unmatched",
        file=sys.stderr,
    )
    if "source_total" in rep:
        print(
            f"value: total {rep['source_total']:,.6g} = inside {rep['inside']:,.6g} + outside "
            f"{rep['outside']:,.6g}; sum over targets {rep['sum_over_targets']:,.6g} "
            f"(double counted in overlaps {rep['double_counted_in_overlaps']:,.6g})",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict interpolate`` (returns the exit status)."""
    from ..io.read import read_boundaries, read_points
    from ..io.write import write_table
    from ..provenance import provenance_block
    from ..zones.interpolate import interpolate
    from ..zones.tables import zone_values

    zones = read_boundaries(
        args.zones, id=args.zones_id, name=args.zones_name, layer=args.zones_layer
    )
    targets = read_boundaries(args.to, id=args.to_id, name=args.to_name, layer=args.to_layer)
    zv = zone_values(
        args.table,
        zones,
        value=args.value,
        date=args.date,
        key=args.key,
        where=kv(args.where, "--where"),
    )
    weights: Any = read_points(args.weights, name="ancillary") if args.weights else "area"
    tolerance = args.tolerance if args.tolerance is not None else (0.05 if args.nested else 0.0)
    r = interpolate(
        zones,
        zv.values.rename("value"),
        targets,
        intensive=["value"] if args.intensive else (),
        weights=weights,
        overlap=args.overlap,
        tolerance=tolerance,
    )
    table = with_area_columns(r.table, targets.area_km2, intensive=args.intensive)
    prov = provenance_block(
        boundaries=targets,
        layers=[zones] + ([weights] if args.weights else []),
        parameters={
            "table": str(args.table),
            "zones": str(args.zones),
            "selection": zv.selection,
            "weights": "area" if not args.weights else f"points: {args.weights}",
            "tolerance": tolerance,
            "overlap": args.overlap,
            "intensive": bool(args.intensive),
        },
        command=command_line(),
    )
    report = {
        "table": zv.report(),
        "interpolation": r.report,
        "zones": zones.report(),
        "targets": targets.report(),
        "provenance": prov,
    }
    write_table(table, args.out, provenance=prov)
    if args.report:
        write_json(args.report, report)
    _print_summary(zv.report(), r.report["value"])
    print(f"wrote {args.out}" + (f" and {args.report}" if args.report else ""), file=sys.stderr)
    return 0

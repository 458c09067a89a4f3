"""``geodistrict hotspots``: hot spots of a point layer on a grid, with corrected significance."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..io.write import write_json
from ._args import (
    Formatter,
    add_cluster_options,
    check_cluster_options,
    check_folders,
    point_layer_argument,
    read_points_option,
    read_study_area,
)
from ._output import command_line

__all__ = ["register", "run"]

_EXAMPLE = """\
examples:
  # hot spots of postcode locations in Cambridge on 250 m cells (Getis-Ord Gi*, FDR 5 %)
  geodistrict hotspots --points onspd --within LAD_May_2024_EN_BUC_with_LEP21.geojson \\
      --within-id E07000008 --cell 250 --value locations --out cambridge_hotspots.gpkg \\
      --report cambridge_hotspots.json

  # clusters and outliers of firms (local Moran's I) with 999 permutations
  geodistrict hotspots --points firms=BasicCompanyData.csv --within district.geojson \\
      --cell 100 --statistic lisa --permutations 999 --seed 1 --out firms_lisa.gpkg

output: one feature per grid cell with count, count_per_km2, locations (distinct
coordinates), z, p (before correction), significant (after the --correction at level --fdr),
and hot_cold (gi: hot, cold, ns) or lisa_I and quadrant (lisa: HH, LH, LL, HL, ns). The report
states the number of tests and the p-value threshold used, the weights, and the sources with
their licences.
"""


def register(subparsers: Any) -> None:
    """Add the ``hotspots`` subcommand."""
    p = subparsers.add_parser(
        "hotspots",
        help="hot spots of a point layer on a square or hexagonal grid (Gi* or local Moran)",
        description=(
            "Count a point layer on a grid in metres, then test each cell with Getis-Ord Gi* "
            "(hot and cold spots) or local Moran's I (clusters and outliers) over its queen "
            "neighbours. Every cell is a test: significance is decided after a multiple-testing "
            "correction (Benjamini-Hochberg FDR by default)."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    point_layer_argument(p)
    p.add_argument(
        "--within",
        metavar="PATH",
        default=None,
        help="study-area polygons the grid covers; without it, the points' bounding box",
    )
    p.add_argument(
        "--within-id",
        action="append",
        metavar="ID",
        default=None,
        help="keep only the --within features with this id or name (repeatable)",
    )
    p.add_argument(
        "--cell", required=True, type=float, metavar="METRES", help="cell side in metres"
    )
    p.add_argument(
        "--statistic",
        choices=["gi", "lisa"],
        default="gi",
        help="gi: Getis-Ord Gi* hot/cold spots; lisa: local Moran's I clusters and outliers",
    )
    p.add_argument(
        "--value",
        choices=["count", "locations"],
        default="count",
        help="test the points per cell, or the distinct coordinates per cell (postcodes: "
        "PO-box and large-user postcodes stack on their delivery office)",
    )
    p.add_argument(
        "--grid",
        choices=["square", "hex"],
        default="square",
        help="square cells aligned to the metric CRS, or H3 hexagons of about the same area",
    )
    p.add_argument(
        "--resolution",
        type=int,
        metavar="RES",
        default=None,
        help="H3 resolution for --grid hex; without it, the one closest to --cell in area",
    )
    p.add_argument(
        "--contiguity",
        choices=["queen", "rook"],
        default="queen",
        help="neighbours of a square cell: across corners too (queen) or edges only (rook)",
    )
    p.add_argument(
        "--fdr",
        type=float,
        metavar="LEVEL",
        default=0.05,
        help="level of the correction (false discovery rate for fdr_bh)",
    )
    p.add_argument(
        "--correction",
        choices=["fdr_bh", "bonferroni", "none"],
        default="fdr_bh",
        help="multiple-testing correction",
    )
    p.add_argument(
        "--permutations",
        type=int,
        metavar="N",
        default=0,
        help="0: analytic normal p-values; N: conditional permutations (esda)",
    )
    p.add_argument("--seed", type=int, metavar="S", default=None, help="seed of the permutations")
    p.add_argument("--out", required=True, metavar="PATH.gpkg", help="output cells")
    p.add_argument("--report", metavar="PATH.json", default=None, help="JSON report")
    add_cluster_options(p)
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def _grid(args: argparse.Namespace, layer: Any, within: Any) -> Any:
    """The tested grid cells, on Dask with ``--cluster``."""
    from ..clusters.hotspots import hotspots

    options = dict(
        within=within,
        cell_m=args.cell,
        statistic=args.statistic,
        value=args.value,
        grid=args.grid,
        resolution=args.resolution,
        contiguity=args.contiguity,
        permutations=args.permutations,
        seed=args.seed,
        fdr=args.fdr,
        correction=args.correction,
    )
    if not args.cluster:
        return hotspots(layer, **options)
    from ..scale import dask_client, hotspots_dask

    with dask_client(args.cluster) as client:
        return hotspots_dask(layer, client=client, partitions=args.partitions, **options)


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict hotspots`` (returns the exit status)."""
    from ..io.write import write_table
    from ..provenance import provenance_block

    check_folders([("--out", args.out), ("--report", args.report)])
    check_cluster_options(args)
    _, layer = read_points_option(args.points, cluster=args.cluster)
    layer = layer.require_points()
    within = read_study_area(args.within, args.within_id)
    out = _grid(args, layer, within)
    params = out.attrs["hotspots"]
    provenance = provenance_block(
        layers=[layer, within],
        crs={"output": out.crs.to_string(), "points": layer.crs.to_string()},
        parameters={
            "points": args.points,
            "within": args.within,
            "within_id": args.within_id,
            **params,
        },
        command=command_line(),
    )
    write_table(out, args.out, provenance=provenance)
    report = {
        "parameters": params,
        "grid": out.attrs["grid"],
        "points": out.attrs["count"],
        "output": {"path": str(args.out), "cells": len(out)},
        "provenance": provenance,
    }
    if args.report:
        write_json(args.report, report)
    classes = ", ".join(f"{k} {v}" for k, v in sorted(params["classes"].items()))
    print(
        f"{layer.name}: {out.attrs['count']['in_cells']} of {len(layer)} points in "
        f"{len(out)} cells; {params['n_tests']} tests, {params['correction']} at "
        f"{params['alpha']:g}: p <= {params['p_threshold']:.3g} is significant ({classes})",
        file=sys.stderr,
    )
    print(f"wrote {args.out}" + (f" and {args.report}" if args.report else ""), file=sys.stderr)
    return 0

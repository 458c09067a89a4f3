"""``geodistrict density``: a kernel density surface of a point layer as a GeoTIFF."""

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
from ._output import command_line, wrote

__all__ = ["register", "run"]

_EXAMPLE = """\
examples:
  # universities per km² in England, quartic kernel of 2 km on 1 km cells, with the patches
  # holding the densest 1 % and 5 % of cells
  geodistrict density --points universities=learning-providers-plus.csv \\
      --within "Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson" \\
      --bandwidth 2000 --cell 1000 --out universities_kde.tif \\
      --contours universities_top.gpkg --levels top1,top5 --report universities_kde.json

  # all UK postcodes, gaussian kernel (sigma 1 km) on 250 m cells
  geodistrict density --points onspd --bandwidth 1000 --cell 250 --kernel gaussian \\
      --out postcodes_kde.tif

output: a GeoTIFF of points (or --weight) per km² in the metric CRS (EPSG:27700 in Great
Britain), tagged with the source, licence, kernel, bandwidth and cell; the surface integrates
to the number of points. No edge correction: the report states the mass spilling outside
--within.
"""


def register(subparsers: Any) -> None:
    """Add the ``density`` subcommand."""
    p = subparsers.add_parser(
        "density",
        help="kernel density surface of a point layer (GeoTIFF, points per km²)",
        description=(
            "Kernel density of a point layer on a grid in metres: points are binned to cell "
            "centres and convolved with a quartic or gaussian kernel. The GeoTIFF holds points "
            "(or weight) per km²; its integral equals the number of points."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    point_layer_argument(p)
    p.add_argument(
        "--within",
        metavar="PATH",
        default=None,
        help="study-area polygons: only points inside count; the grid covers their bounds",
    )
    p.add_argument(
        "--cell",
        type=float,
        default=None,
        metavar="METRES",
        help="cell side in metres (default: bandwidth/8 quartic, bandwidth/5 gaussian, about "
        "1 %% low at a peak; a coarser cell warns with the expected peak error)",
    )
    p.add_argument(
        "--edge",
        choices=["none", "renormalise"],
        default="none",
        help="edge correction: none (the mass spilling outside --within is reported) or "
        "renormalise (Diggle: each cell divided by the share of its kernel inside the study "
        "area; 0 outside it)",
    )
    p.add_argument(
        "--bandwidth",
        required=True,
        type=float,
        metavar="METRES",
        help="kernel bandwidth in metres (quartic: radius; gaussian: sigma)",
    )
    p.add_argument(
        "--kernel", choices=["quartic", "gaussian"], default="quartic", help="kernel shape"
    )
    p.add_argument(
        "--weight", metavar="COLUMN", default=None, help="numeric column to sum instead of counting"
    )
    p.add_argument("--out", required=True, metavar="PATH.tif", help="output GeoTIFF")
    p.add_argument(
        "--contours",
        metavar="PATH.gpkg",
        default=None,
        help="write the patches of cells at or above each --levels value",
    )
    p.add_argument(
        "--levels",
        metavar="LEVELS",
        default=None,
        help="comma-separated densities per km², or topN for the densest N %% of cells "
        "(default with --contours: top1,top5)",
    )
    p.add_argument("--report", metavar="PATH.json", default=None, help="JSON report")
    add_cluster_options(p)
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def _levels(text: str, result: Any) -> dict[str, float]:
    """``top1,top5,250`` → {label: density per km²}."""
    from ..clusters.kde import ParameterError

    out: dict[str, float] = {}
    for tok in (t.strip() for t in text.split(",")):
        try:
            if tok.lower().startswith("top"):
                out[tok] = result.top_share_level(float(tok[3:]) / 100.0)
            else:
                out[tok] = float(tok)
        except ValueError as exc:
            raise ParameterError(
                f"--levels {text!r}: {tok!r} is neither a density nor topN (N a percentage, "
                "e.g. top1); write e.g. --levels top1,top5,250."
            ) from exc
    return out


def _check_options(args: argparse.Namespace) -> None:
    """Refuse wrong kernel options, outputs and cluster options before any work."""
    from ..clusters.kde import ParameterError, check_parameters

    check_parameters(
        bandwidth_m=args.bandwidth,
        cell_m=args.cell if args.cell is not None else 1.0,
        kernel=args.kernel,
    )
    if args.edge != "none" and args.cluster:
        raise ParameterError("--edge renormalise runs on one machine only; drop --cluster.")
    if args.levels and not args.contours:
        raise ParameterError("--levels needs --contours PATH.gpkg to write the patches to.")
    check_folders([("--out", args.out), ("--contours", args.contours), ("--report", args.report)])
    check_cluster_options(args)


def _surface(args: argparse.Namespace, layer: Any, within: Any) -> Any:
    """The kernel density of the layer, on Dask with ``--cluster``."""
    from ..clusters.kde import default_cell, kde

    options = {
        "bandwidth_m": args.bandwidth,
        "cell_m": args.cell,
        "kernel": args.kernel,
        "weights": args.weight,
        "within": within,
    }
    if not args.cluster:
        return kde(layer, edge=args.edge, **options)
    from ..scale import dask_client, kde_dask

    if options["cell_m"] is None:
        options["cell_m"] = default_cell(args.bandwidth, args.kernel)
    with dask_client(args.cluster) as client:
        return kde_dask(layer, client=client, partitions=args.partitions, **options)


def _report(args: argparse.Namespace, layer: Any, within: Any, result: Any) -> dict[str, Any]:
    """The JSON report: parameters, surface, accounting of the points, provenance."""
    from ..provenance import provenance_block

    meta = result.metadata()
    return {
        "parameters": {
            "points": args.points,
            "within": args.within,
            "kernel": args.kernel,
            "bandwidth_m": args.bandwidth,
            "cell_m": result.cell_m,
            "edge": args.edge,
            "weight": args.weight,
        },
        "surface": {
            "path": str(args.out),
            "units": meta["units"],
            "shape": list(result.array.shape),
            "transform": list(result.transform)[:6],
            "crs": meta["crs"],
            "max": float(result.array.max()),
        },
        "n_input": layer.n_input,
        "n_rejected": len(layer.rejected),
        "n_points": result.n_points,
        "n_excluded": result.n_excluded,
        "total_weight": result.total_weight,
        "integral": meta["integral"],
        "lost_edge_mass": result.lost_mass,
        "spill_mass": result.spill_mass,
        "edge": result.edge,
        "provenance": provenance_block(layers=[layer, within], command=command_line()),
    }


def _contours(args: argparse.Namespace, result: Any, provenance: dict[str, Any]) -> dict[str, Any]:
    """Write the patches at each ``--levels`` value; their entry of the report."""
    from ..io.write import write_table

    levels = _levels(args.levels or "top1,top5", result)
    patches = result.contours(levels)
    write_table(patches, args.contours, provenance=provenance)
    return {
        "path": str(args.contours),
        "levels": levels,
        "patches": {k: int((patches["label"] == k).sum()) for k in levels},
        "area_km2": {
            k: float(patches.loc[patches["label"] == k, "area_km2"].sum()) for k in levels
        },
    }


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict density`` (returns the exit status)."""
    _check_options(args)
    _, layer = read_points_option(args.points, example="universities", cluster=args.cluster)
    layer = layer.require_points()
    within = read_study_area(args.within)
    result = _surface(args, layer, within)
    result.to_geotiff(args.out, tags={"command": command_line()})
    report = _report(args, layer, within, result)
    if args.contours:
        report["contours"] = _contours(args, result, report["provenance"])
    if args.report:
        write_json(args.report, report)
    excl = f", {result.n_excluded} outside --within excluded" if args.within else ""
    print(
        f"{layer.name}: {result.n_points} points{excl}; surface {result.array.shape[1]} x "
        f"{result.array.shape[0]} cells of {result.cell_m:g} m, integral "
        f"{report['integral']:,.6g} {report['surface']['units'].replace(' per km2', '')}",
        file=sys.stderr,
    )
    wrote(args.out, args.contours, args.report)
    return 0

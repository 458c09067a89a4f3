"""``geodistrict clusters``: DBSCAN/HDBSCAN clusters of a point layer, outlined and accounted."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path
from typing import Any

from .._errors import GeodistrictError, SchemaError

__all__ = ["register", "run"]

_EXAMPLE = """\
examples:
  # dense postcode clusters in Manchester (150 m, 30 postcodes), concave outlines
  geodistrict clusters --points postcodes=onspd --within manchester.geojson \\
      --method dbscan --eps 150 --min-points 30 --out clusters.gpkg \\
      --labels labels.csv --compare district.geojson --report clusters.json

  # HDBSCAN on firms: no distance to choose, only the smallest cluster size
  geodistrict clusters --points firms=firms.csv --method hdbscan --min-cluster-size 50 \\
      --out firm_clusters.gpkg

outlines (GeoPackage, metric CRS): cluster (0 = most points), points, area_km2, points_per_km2,
outline. The report states: located points = clustered + noise + outside the window, and
input rows = located points + rows without a location.
"""


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def register(subparsers: Any) -> None:
    """Add the ``clusters`` command."""
    p = subparsers.add_parser(
        "clusters",
        help="outline dense clusters of points (DBSCAN or HDBSCAN)",
        description=(
            "Cluster a point layer in metres (EPSG:27700 in Great Britain, UTM elsewhere) and "
            "draw an outline around each cluster; every point is labelled with its cluster, "
            "as noise, or as outside --within."
        ),
        epilog=_EXAMPLE,
        formatter_class=_Formatter,
    )
    p.add_argument(
        "--points",
        required=True,
        metavar="NAME=PATH|onspd",
        help="the point layer: CSV/XLSX with coordinates or postcodes, a vector file, or "
        "'onspd' (all UK postcodes)",
    )
    p.add_argument("--xy", metavar="XCOL,YCOL", default=None, help="coordinate columns of a table")
    p.add_argument("--points-crs", metavar="CRS", default=None, help="CRS of a table's coordinates")
    p.add_argument(
        "--within",
        metavar="PATH",
        default=None,
        help="cluster only the points inside these polygons (measured in their metric CRS)",
    )
    p.add_argument(
        "--within-name",
        metavar="ID_OR_NAME",
        default=None,
        help="use one boundary of --within, by code or name; without it all are united",
    )
    p.add_argument("--method", required=True, choices=["dbscan", "hdbscan"])
    p.add_argument(
        "--eps", type=float, metavar="METRES", default=None, help="DBSCAN radius (required)"
    )
    p.add_argument(
        "--min-points",
        type=int,
        metavar="N",
        default=None,
        help="DBSCAN: points within --eps (itself included) that make a core point "
        "(required); HDBSCAN: min_samples",
    )
    p.add_argument(
        "--min-cluster-size",
        type=int,
        metavar="N",
        default=None,
        help="HDBSCAN: smallest cluster (required)",
    )
    p.add_argument("--hull", choices=["concave", "convex", "buffer"], default="concave")
    p.add_argument(
        "--buffer",
        type=float,
        metavar="METRES",
        default=None,
        help="disc radius for --hull buffer (DBSCAN default: eps/2)",
    )
    p.add_argument(
        "--ratio",
        type=float,
        default=0.3,
        help="concave hull ratio: 0 most concave, 1 convex",
    )
    p.add_argument(
        "--out", required=True, metavar="PATH.gpkg", help="outlines (.gpkg, .geojson, .parquet)"
    )
    p.add_argument(
        "--labels",
        metavar="PATH.csv",
        default=None,
        help="CSV, one row per located point inside --within: row (in the source), id, "
        "x, y (metric CRS), cluster (-1: noise)",
    )
    p.add_argument(
        "--compare",
        metavar="DISTRICT",
        default=None,
        help="polygon file: report the overlap of the outlines with it",
    )
    p.add_argument(
        "--compare-name",
        metavar="ID_OR_NAME",
        default=None,
        help="compare with one boundary of --compare, by code or name; without it all are united",
    )
    p.add_argument(
        "--report", metavar="PATH.json", default=None, help="JSON report with the accounting"
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def _layer_spec(spec: str) -> tuple[str, str]:
    if "=" in spec:
        name, path = spec.split("=", 1)
        if name and path:
            return name.strip(), path.strip()
    elif spec.startswith("onspd"):
        return "postcodes", spec
    raise SchemaError(f"--points {spec!r}: write it as NAME=PATH (e.g. firms={spec}) or 'onspd'.")


def _check_options(args: argparse.Namespace) -> None:
    """Collect every missing or wrong option and raise once."""
    problems = []
    if args.method == "dbscan":
        if args.eps is None:
            problems.append("--method dbscan needs --eps METRES (e.g. --eps 150)")
        elif args.eps <= 0:
            problems.append(f"--eps {args.eps:g} must be a positive distance in metres")
        if args.min_points is None:
            problems.append("--method dbscan needs --min-points N (e.g. --min-points 30)")
        if args.min_cluster_size is not None:
            problems.append("--min-cluster-size is for --method hdbscan; drop it")
    else:
        if args.min_cluster_size is None:
            problems.append("--method hdbscan needs --min-cluster-size N (e.g. 50)")
        elif args.min_cluster_size < 2:
            problems.append("--min-cluster-size must be at least 2")
        if args.eps is not None:
            problems.append("--eps is for --method dbscan; HDBSCAN chooses its own scale")
        if args.hull == "buffer" and args.buffer is None:
            problems.append("--hull buffer with hdbscan needs --buffer METRES")
    if args.min_points is not None and args.min_points < 1:
        problems.append("--min-points must be at least 1")
    if args.buffer is not None and args.buffer <= 0:
        problems.append("--buffer must be a positive distance in metres")
    if not 0 <= args.ratio <= 1:
        problems.append("--ratio must lie between 0 and 1")
    if problems:
        raise GeodistrictError("clusters: " + "; ".join(problems) + ".")


def _compare(result: Any, path: str, name: str | None) -> dict[str, Any]:
    """Overlap of all outlines, and of each, with one district (or the union of a file)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from ..boundaries import read_boundaries
    from ..clusters.outlines import compare_outline

    b = read_boundaries(path)
    keep = np.ones(len(b), dtype=bool)
    if name is not None:
        keep = (b.ids.astype(str) == name) | (b.names.astype(str) == name)
        if not keep.any():
            raise SchemaError(
                f"{path}: no boundary with code or name {name!r}; names include "
                f"{', '.join(b.names.astype(str)[:6])}."
            )
    district = gpd.GeoSeries(
        [shapely.union_all(np.asarray(b.metric, dtype=object)[keep])], crs=b.metric_crs
    )
    out: dict[str, Any] = {"district": path, "name": name, "all_outlines": None, "clusters": []}
    if result.n_clusters:
        out["all_outlines"] = compare_outline(result, district)
        out["clusters"] = [
            {"cluster": int(c), **compare_outline(result.outlines.iloc[[k]], district)}
            for k, c in enumerate(result.outlines["cluster"])
        ]
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict clusters``; returns the exit status."""
    from .._version import __version__
    from ..boundaries import read_boundaries
    from ..clusters.outlines import OUTSIDE, dbscan_outlines, hdbscan_outlines
    from ..io.read import read_points
    from ..io.write import write_table

    _check_options(args)
    name, path = _layer_spec(args.points)
    x = y = None
    if args.xy:
        parts = [s.strip() for s in args.xy.split(",")]
        if len(parts) != 2 or not all(parts):
            raise SchemaError(f"--xy {args.xy}: give two columns, XCOL,YCOL.")
        x, y = parts
    layer = read_points(path, name=name, x=x, y=y, crs=args.points_crs).require_points()
    within = read_boundaries(args.within) if args.within else None
    common = {
        "within": within,
        "boundary": args.within_name,
        "hull": args.hull,
        "buffer_m": args.buffer,
        "ratio": args.ratio,
    }
    if args.method == "dbscan":
        result = dbscan_outlines(layer, eps_m=args.eps, min_points=args.min_points, **common)
    else:
        result = hdbscan_outlines(
            layer, min_cluster_size=args.min_cluster_size, min_samples=args.min_points, **common
        )
    report = result.report()
    located = report["points"]
    report["points"] = {
        "input_rows": int(layer.n_input),
        "rejected_rows": int(len(layer.rejected)),
        "located": int(len(layer)),
        **{k: v for k, v in located.items() if k != "input"},
    }
    report["points"]["balanced"] = (
        report["points"]["clustered"]
        + report["points"]["noise"]
        + report["points"]["outside_window"]
        == report["points"]["located"]
        and report["points"]["located"] + report["points"]["rejected_rows"]
        == report["points"]["input_rows"]
    )
    if args.compare:
        report["compare"] = _compare(result, args.compare, args.compare_name)
    sources = [layer.info.as_dict()] + ([within.info.as_dict()] if within is not None else [])
    report["provenance"] = {
        "tool": f"geodistrict {__version__}",
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "sources": sources,
        "attribution": [s["attribution"] for s in sources if s.get("attribution")],
        "crs": {"output": report["crs"], "measured_in": report["crs"]},
        "parameters": report["parameters"],
        "command": "geodistrict " + " ".join(sys.argv[1:]),
    }
    write_table(result.outlines, args.out, provenance=report["provenance"])
    if args.labels:
        import pandas as pd

        from ..crs import transform_xy

        lx, ly = transform_xy(layer.x, layer.y, layer.crs, result.crs)
        idf = layer.info.id_field
        frame = pd.DataFrame(
            {
                "row": layer.attributes["row"].to_numpy(),
                "id": layer.attributes[idf].to_numpy() if idf and idf in layer.attributes else None,
                "x": lx,
                "y": ly,
                "cluster": result.labels,
            }
        )
        # points outside --within are counted in the report, not listed
        write_table(frame.loc[result.labels != OUTSIDE], args.labels)
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2, default=str))
    pts = report["points"]
    print(
        f"{name}: {pts['located']} located = {pts['clustered']} in {result.n_clusters} "
        f"clusters + {pts['noise']} noise + {pts['outside_window']} outside the window"
        + (f" ({pts['rejected_rows']} rows had no location)" if pts["rejected_rows"] else ""),
        file=sys.stderr,
    )
    wrote = [args.out] + [p for p in (args.labels, args.report) if p]
    print("wrote " + ", ".join(map(str, wrote)), file=sys.stderr)
    return 0

"""``geodistrict clusters``: clusters of a point layer, outlined and accounted.

``--method dbscan|hdbscan`` clusters the points themselves; ``--method kde`` outlines prime
locations (observed density above the simulated density of as many points drawn from populated
land); ``--method gi`` outlines contiguous significant Getis-Ord Gi* hot cells.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import ParameterError, SchemaError
from ..io.write import write_json
from ._args import (
    POINT_LAYER_HELP,
    Formatter,
    point_layer_argument,
    read_points_option,
    read_study_area,
)
from ._output import command_line, wrote

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

  # prime locations of universities: cells whose density (10 km quartic, 1250 m cells: the
  # default bandwidth/8) beats 99 simulations drawing as many points from England's
  # postcodes, tested over the whole map (family-wise error 5 %)
  geodistrict clusters --points universities=learning-providers-plus.csv \\
      --within "Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson" --method kde \\
      --bandwidth 10000 --populated onspd:E --simulations 99 --seed 1 \\
      --out prime.gpkg --report prime.json

  # contiguous significant Gi* hot cells (1 km cells, FDR 5 %)
  geodistrict clusters --points firms=firms.csv --within district.geojson --method gi \\
      --cell 1000 --out hot.gpkg

outlines (GeoPackage, metric CRS): dbscan/hdbscan: cluster (0 = most points), points, area_km2,
points_per_km2, outline; kde/gi: outline (0 = most points), cells, area_km2, points (observed
points in the outline's cells), points_per_km2. The report states: located points = clustered
+ noise + outside the window (kde/gi: in the study area + outside it), and input rows = located
points + rows without a location.
"""


#: Defaults of the kde/gi options (an option left at its default is not "given").
_DEFAULTS: dict[str, Any] = {
    "kernel": "quartic",
    "populated": "onspd",
    "simulations": 99,
    "quantile": 0.95,
    "fdr": 0.05,
}


def register(subparsers: Any) -> None:
    """Add the ``clusters`` command."""
    p = subparsers.add_parser(
        "clusters",
        help="outline dense clusters of points (DBSCAN, HDBSCAN, prime locations, Gi* hot cells)",
        description=(
            "Cluster a point layer in metres (EPSG:27700 in Great Britain, UTM elsewhere) and "
            "draw an outline around each cluster; every point is labelled with its cluster, "
            "as noise, or as outside --within. --method kde outlines the cells whose kernel "
            "density is significantly above that of simulated patterns drawn from populated "
            "land, tested over the whole map (prime locations: the chance that a pattern "
            "without clusters shows any prime cell is 1 - --quantile); --method gi outlines "
            "contiguous significant "
            "Getis-Ord Gi* hot cells."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    point_layer_argument(
        p, help=POINT_LAYER_HELP.replace("/ 'onspd:E' (postcodes)", "(all UK postcodes)")
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
    p.add_argument("--method", required=True, choices=list(_METHODS))
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
        "--bandwidth",
        type=float,
        metavar="METRES",
        default=None,
        help="kde: kernel bandwidth (quartic: radius; gaussian: sigma) (required)",
    )
    p.add_argument(
        "--cell",
        type=float,
        metavar="METRES",
        default=None,
        help="kde, gi: cell side (gi: required; kde: default bandwidth/8 quartic, /5 gaussian)",
    )
    p.add_argument(
        "--kernel",
        choices=["quartic", "gaussian"],
        default=_DEFAULTS["kernel"],
        help="kde: kernel shape",
    )
    p.add_argument(
        "--populated",
        metavar="onspd|PATH",
        default=_DEFAULTS["populated"],
        help="kde: locations of populated land the simulated points are drawn from: 'onspd', "
        "'onspd:E' (postcodes) or a point file",
    )
    p.add_argument(
        "--simulations",
        type=int,
        metavar="N",
        default=_DEFAULTS["simulations"],
        help="kde: simulated patterns",
    )
    p.add_argument(
        "--quantile",
        type=float,
        metavar="Q",
        default=_DEFAULTS["quantile"],
        help="kde: a prime cell's score exceeds this quantile of the simulated maps' largest "
        "scores (1 - QUANTILE is the family-wise error over the map)",
    )
    p.add_argument("--seed", type=int, metavar="S", default=None, help="kde: seed of the draws")
    p.add_argument(
        "--jitter",
        action="store_true",
        help="kde: move each drawn location by up to half a cell along each axis",
    )
    p.add_argument(
        "--fdr",
        type=float,
        metavar="LEVEL",
        default=_DEFAULTS["fdr"],
        help="gi: false discovery rate of the Benjamini-Hochberg correction",
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


_KDE_ONLY = ("bandwidth", "kernel", "populated", "simulations", "quantile", "jitter", "seed")
_POINT_ONLY = ("eps", "min_points", "min_cluster_size", "buffer", "labels")


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> list[str]:
    """The options among ``names`` given a value other than their default."""
    return [
        "--" + n.replace("_", "-")
        for n in names
        if getattr(args, n, None) not in (None, False, _DEFAULTS.get(n))
    ]


def _misplaced(args: argparse.Namespace, names: tuple[str, ...], methods: str) -> list[str]:
    """One problem per option among ``names`` given although only ``methods`` read it."""
    return [f"{opt} is for --method {methods}; drop it" for opt in _given(args, names)]


def _dbscan_problems(args: argparse.Namespace) -> list[str]:
    """Problems with the options only --method dbscan reads."""
    problems = []
    if args.eps is None:
        problems.append("--method dbscan needs --eps METRES (e.g. --eps 150)")
    elif args.eps <= 0:
        problems.append(f"--eps {args.eps:g} must be a positive distance in metres")
    if args.min_points is None:
        problems.append("--method dbscan needs --min-points N (e.g. --min-points 30)")
    if args.min_cluster_size is not None:
        problems.append("--min-cluster-size is for --method hdbscan; drop it")
    return problems


def _hdbscan_problems(args: argparse.Namespace) -> list[str]:
    """Problems with the options only --method hdbscan reads."""
    problems = []
    if args.min_cluster_size is None:
        problems.append("--method hdbscan needs --min-cluster-size N (e.g. 50)")
    elif args.min_cluster_size < 2:
        problems.append("--min-cluster-size must be at least 2")
    if args.eps is not None:
        problems.append("--eps is for --method dbscan; HDBSCAN chooses its own scale")
    if args.hull == "buffer" and args.buffer is None:
        problems.append("--hull buffer with hdbscan needs --buffer METRES")
    return problems


def _point_problems(args: argparse.Namespace) -> list[str]:
    """Problems with the options of --method dbscan / hdbscan."""
    method = _dbscan_problems if args.method == "dbscan" else _hdbscan_problems
    problems = method(args)
    if args.min_points is not None and args.min_points < 1:
        problems.append("--min-points must be at least 1")
    if args.buffer is not None and args.buffer <= 0:
        problems.append("--buffer must be a positive distance in metres")
    if not 0 <= args.ratio <= 1:
        problems.append("--ratio must lie between 0 and 1")
    return problems + _misplaced(args, ("cell", "fdr", *_KDE_ONLY), "kde or gi")


def _kde_problems(args: argparse.Namespace) -> list[str]:
    """Problems with the options of --method kde."""
    from ..clusters.kde import check_parameters
    from ..clusters.prime import check_prime_options as check_prime

    problems = []
    if args.bandwidth is None:
        problems.append("--method kde needs --bandwidth METRES (e.g. --bandwidth 10000)")
    if args.bandwidth is not None:
        try:
            cell = args.cell if args.cell is not None else 1.0  # default: bandwidth/8 or /5
            check_parameters(bandwidth_m=args.bandwidth, cell_m=cell, kernel=args.kernel)
        except ParameterError as exc:
            problems.append(str(exc).rstrip("."))
    try:
        check_prime(args.simulations, args.quantile, args.seed)
    except ParameterError as exc:
        problems.append(str(exc).removeprefix("prime_locations: ").rstrip("."))
    if args.fdr != _DEFAULTS["fdr"]:
        problems.append("--fdr is for --method gi; drop it")
    return problems + _misplaced(args, _POINT_ONLY, "dbscan or hdbscan")


def _gi_problems(args: argparse.Namespace) -> list[str]:
    """Problems with the options of --method gi."""
    problems = []
    if args.cell is None:
        problems.append("--method gi needs --cell METRES (e.g. --cell 1000)")
    elif not args.cell > 0:
        problems.append(f"--cell {args.cell:g} must be a positive size in metres")
    if not 0 < args.fdr < 1:
        problems.append(f"--fdr {args.fdr:g} must lie between 0 and 1 (e.g. 0.05)")
    problems += _misplaced(args, _KDE_ONLY, "kde")
    return problems + _misplaced(args, _POINT_ONLY, "dbscan or hdbscan")


def _check_options(args: argparse.Namespace) -> None:
    """Collect every missing or wrong option and raise once."""
    problems = {
        "dbscan": _point_problems,
        "hdbscan": _point_problems,
        "kde": _kde_problems,
        "gi": _gi_problems,
    }[args.method](args)
    if problems:
        raise ParameterError("clusters: " + "; ".join(problems) + ".")


def _compare(
    outlines: Any, path: str, name: str | None, key: str = "cluster", listed: str = "clusters"
) -> dict[str, Any]:
    """Overlap of all outlines, and of each, with one district (or the union of a file).

    ``outlines`` has one row per outline, numbered in column ``key``; the per-outline overlaps
    are listed under ``listed``.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from ..clusters.outlines import compare_outline
    from ..io.read import read_boundaries

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
    out: dict[str, Any] = {"district": path, "name": name, "all_outlines": None, listed: []}
    if len(outlines):
        out["all_outlines"] = compare_outline(outlines, district)
        out[listed] = [
            {key: int(c), **compare_outline(outlines.iloc[[k]], district)}
            for k, c in enumerate(outlines[key])
        ]
    return out


def _read_layer(args: argparse.Namespace) -> tuple[str, Any]:
    """The --points layer (with --xy and --points-crs) and its short name."""
    name, layer = read_points_option(args.points, xy=args.xy, crs=args.points_crs)
    return name, layer.require_points()


def _study_area(args: argparse.Namespace) -> Any:
    """--within as Boundaries, reduced to --within-name when given (kde, gi)."""
    if args.within_name and not args.within:
        raise SchemaError(f"--within-name {args.within_name!r} needs --within PATH.")
    return read_study_area(args.within, [args.within_name] if args.within_name else None)


def _provenance(inputs: list[Any], crs: str, params: Any) -> dict[str, Any]:
    """The provenance of the outlines: the inputs (None: not given), CRS, parameters."""
    from ..provenance import provenance_block

    return provenance_block(
        layers=inputs,
        crs={"output": crs, "measured_in": crs},
        parameters=params,
        command=command_line(),
    )


def _accounting(layer: Any, inside: int, outside: int, in_outlines: int) -> dict[str, Any]:
    """Points of the --points layer: input rows = located + rejected = inside + outside + ..."""
    pts = {
        "input_rows": int(layer.n_input),
        "rejected_rows": int(len(layer.rejected)),
        "located": int(len(layer)),
        "in_study_area": int(inside),
        "outside_study_area": int(outside),
        "in_outlines": int(in_outlines),
    }
    pts["balanced"] = (
        pts["in_study_area"] + pts["outside_study_area"] == pts["located"]
        and pts["located"] + pts["rejected_rows"] == pts["input_rows"]
    )
    return pts


def _finish(args: argparse.Namespace, outlines: Any, report: dict[str, Any]) -> None:
    """Compare, write the outlines and the report."""
    from ..io.write import write_table

    if args.compare:
        report["compare"] = _compare(
            outlines, args.compare, args.compare_name, key="outline", listed="outlines"
        )
    write_table(outlines, args.out, provenance=report["provenance"])
    if args.report:
        write_json(args.report, report)


def _run_kde(args: argparse.Namespace) -> int:
    """Prime locations: observed density above the simulated quantile, outlined."""
    from ..clusters.prime import prime_locations
    from ..io.read import read_points

    name, layer = _read_layer(args)
    within = _study_area(args)
    populated = read_points(args.populated, name="populated").require_points()
    result = prime_locations(
        layer,
        populated=populated,
        within=within,
        bandwidth_m=args.bandwidth,
        cell_m=args.cell,
        simulations=args.simulations,
        quantile=args.quantile,
        seed=args.seed,
        kernel=args.kernel,
        jitter=args.jitter,
    )
    report = result.report()
    obs = result.observed
    report["points"] = _accounting(
        layer, obs.n_points, obs.n_excluded, int(result.outlines["points"].sum())
    )
    params = {
        "points": args.points,
        "populated": args.populated,
        "within": args.within,
        "within_name": args.within_name,
        **report["parameters"],
    }
    report["parameters"] = params
    report["provenance"] = _provenance([layer, populated, within], report["crs"], params)
    _finish(args, result.outlines, report)
    pts = report["points"]
    print(
        f"{name}: {pts['located']} located = {pts['in_study_area']} in the study area + "
        f"{pts['outside_study_area']} outside; {report['prime_cells']} prime cells "
        f"({result.prime_km2:,.6g} km²) in {result.n_outlines} outlines holding "
        f"{pts['in_outlines']} points (map-level test, family-wise error "
        f"{1 - result.quantile:.3g}, {result.simulations} simulations from "
        f"{result.n_populated} populated locations, "
        f"seed {result.seed})",
        file=sys.stderr,
    )
    wrote(args.out, args.report)
    return 0


def _run_gi(args: argparse.Namespace) -> int:
    """Contiguous significant Gi* hot cells, outlined."""
    from ..clusters.hotspots import hotspots
    from ..clusters.prime import outline_records, significance_outline

    name, layer = _read_layer(args)
    within = _study_area(args)
    grid = hotspots(layer, within=within, cell_m=args.cell, statistic="gi", fdr=args.fdr)
    outlines = significance_outline(grid)
    count = grid.attrs["count"]
    params = {
        "points": args.points,
        "within": args.within,
        "within_name": args.within_name,
        **grid.attrs["hotspots"],
        "selection": outlines.attrs["selection"],
    }
    crs = grid.crs.to_string()
    report: dict[str, Any] = {
        "method": "gi",
        "parameters": params,
        "crs": crs,
        "grid": grid.attrs["grid"],
        "points": _accounting(
            layer, count["in_cells"], count["outside_cells"], int(outlines["points"].sum())
        ),
        "hot_cells": int(
            (grid["significant"].to_numpy(dtype=bool) & (grid["hot_cold"] == "hot")).sum()
        ),
        "n_outlines": int(len(outlines)),
        "outlines": outline_records(outlines),
    }
    report["provenance"] = _provenance([layer, within], crs, params)
    _finish(args, outlines, report)
    pts = report["points"]
    print(
        f"{name}: {pts['located']} located = {pts['in_study_area']} in grid cells + "
        f"{pts['outside_study_area']} outside; {report['hot_cells']} significant hot cells "
        f"({params['correction']} at {params['alpha']:g}, {params['n_tests']} tests) in "
        f"{report['n_outlines']} outlines holding {pts['in_outlines']} points",
        file=sys.stderr,
    )
    wrote(args.out, args.report)
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict clusters``; returns the exit status."""
    _check_options(args)
    return _METHODS[args.method](args)


def _point_accounting(layer: Any, located: dict[str, Any]) -> dict[str, Any]:
    """Input rows = located + rejected; located = clustered + noise + outside the window."""
    pts = {
        "input_rows": int(layer.n_input),
        "rejected_rows": int(len(layer.rejected)),
        "located": int(len(layer)),
        **{k: v for k, v in located.items() if k != "input"},
    }
    pts["balanced"] = (
        pts["clustered"] + pts["noise"] + pts["outside_window"] == pts["located"]
        and pts["located"] + pts["rejected_rows"] == pts["input_rows"]
    )
    return pts


def _write_labels(path: str, layer: Any, result: Any) -> None:
    """One CSV row per located point inside --within: row, id, x, y, cluster."""
    import pandas as pd

    from ..clusters.outlines import OUTSIDE
    from ..crs import transform_xy
    from ..io.write import write_table

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
    write_table(frame.loc[result.labels != OUTSIDE], path)


def _run_points(args: argparse.Namespace) -> int:
    """DBSCAN or HDBSCAN clusters of the points, outlined, every point labelled."""
    from ..clusters.outlines import dbscan_outlines, hdbscan_outlines
    from ..io.write import write_table

    name, layer = _read_layer(args)
    within = read_study_area(args.within)
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
    report["points"] = _point_accounting(layer, report["points"])
    if args.compare:
        report["compare"] = _compare(result.outlines, args.compare, args.compare_name)
    report["provenance"] = _provenance([layer, within], report["crs"], report["parameters"])
    write_table(result.outlines, args.out, provenance=report["provenance"])
    if args.labels:
        _write_labels(args.labels, layer, result)
    if args.report:
        write_json(args.report, report)
    pts = report["points"]
    print(
        f"{name}: {pts['located']} located = {pts['clustered']} in {result.n_clusters} "
        f"clusters + {pts['noise']} noise + {pts['outside_window']} outside the window"
        + (f" ({pts['rejected_rows']} rows had no location)" if pts["rejected_rows"] else ""),
        file=sys.stderr,
    )
    wrote(args.out, args.labels, args.report)
    return 0


#: ``--method`` → the function that runs it.
_METHODS = {"dbscan": _run_points, "hdbscan": _run_points, "kde": _run_kde, "gi": _run_gi}

"""``geodistrict profile``: count and density of point layers in every boundary.

Zone tables (``--zones``) and rasters (``--raster``) are carried onto the same boundaries.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import SchemaError
from ..io.write import write_json
from ._args import (
    Formatter,
    add_cluster_options,
    check_cluster_options,
    kv,
    points_spec,
    read_point_layer,
)
from ._output import command_line

__all__ = ["register", "run", "parse_zone_spec"]

_EXAMPLE = """\
examples:
  # universities and postcodes in every LEP (May 2021)
  geodistrict profile \\
      --boundaries "Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson" \\
      --points universities=learning-providers-plus.csv --points postcodes=onspd \\
      --out lep_profile.csv --report lep_profile.json

  # firms from Companies House by SIC section in the shipped districts
  geodistrict profile --boundaries "$(geodistrict datasets path districts)" \\
      --points firms=BasicCompanyData.csv --by firms=sic_section --out districts.gpkg

output columns (CSV): id, name, area_km2, then per points layer NAME_count, NAME_per_km2
(and NAME_count__<category> with --by, NAME_sum__<column> with --weight).
The report (--report) states per layer: input = matched + multi + unmatched + rejected.
"""


def register(subparsers: Any) -> None:
    """Add the ``profile`` subcommand."""
    p = subparsers.add_parser(
        "profile",
        help="count and density of point layers in every boundary",
        description=(
            "One row per boundary: id, name, area_km2 and, per points layer, NAME_count and "
            "NAME_per_km2. Areas and joins are computed in metres (EPSG:27700 in Great "
            "Britain, the local UTM zone elsewhere) whatever the input CRS."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    _add_input_options(p)
    _add_zone_options(p)
    _add_output_options(p)
    add_cluster_options(p)
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def _add_input_options(p: argparse.ArgumentParser) -> None:
    """The boundaries and the point layers (with their per-layer reading options)."""
    p.add_argument(
        "--boundaries",
        required=True,
        metavar="PATH|NAME",
        help="polygon file (GeoJSON, GeoPackage, GeoParquet, Shapefile) or a dataset name "
        "(lep2021; geodistrict datasets list)",
    )
    p.add_argument(
        "--boundaries-layer",
        metavar="LAYER",
        default=None,
        help="layer of a multi-layer file (GeoPackage)",
    )
    p.add_argument(
        "--boundaries-crs",
        metavar="CRS",
        default=None,
        help="CRS of the boundary file's coordinates when it declares none, or declares a "
        "wrong one (relabelled with a warning, not reprojected), e.g. EPSG:4326",
    )
    p.add_argument(
        "--id",
        metavar="FIELD",
        default=None,
        help="boundary code field (default: detected, e.g. LEP21CD)",
    )
    p.add_argument(
        "--name",
        metavar="FIELD",
        default=None,
        help="boundary name field (default: detected, e.g. LEP21NM)",
    )
    p.add_argument(
        "--points",
        action="append",
        required=True,
        metavar="NAME=PATH|onspd",
        help="a point layer: CSV/XLSX with coordinates or postcodes, a vector file, "
        "'onspd' (all UK postcodes) or 'onspd:E' (by country); repeatable",
    )
    p.add_argument(
        "--by",
        action="append",
        metavar="NAME=COLUMN",
        default=None,
        help="count layer NAME by the categories of COLUMN, e.g. firms=sic_section",
    )
    p.add_argument(
        "--weight",
        action="append",
        metavar="NAME=COLUMN",
        default=None,
        help="sum a numeric COLUMN of layer NAME per boundary, e.g. firms=employees",
    )
    p.add_argument(
        "--xy",
        action="append",
        metavar="NAME=XCOL,YCOL",
        default=None,
        help="coordinate columns of a table (x/longitude/easting first)",
    )
    p.add_argument(
        "--points-crs",
        action="append",
        metavar="NAME=CRS",
        default=None,
        help="CRS of a table's coordinates, e.g. postcodes=EPSG:27700",
    )
    p.add_argument(
        "--decimal",
        action="append",
        metavar="NAME=SEP",
        default=None,
        help="decimal separator of a table's coordinates ('.' or ','), needed only when a "
        "column mixes both, e.g. firms=,",
    )
    p.add_argument(
        "--postcode",
        action="append",
        metavar="NAME=COLUMN",
        default=None,
        help="postcode column used to place rows without coordinates",
    )
    p.add_argument(
        "--points-layer",
        action="append",
        metavar="NAME=LAYER",
        default=None,
        help="layer of a multi-layer points file",
    )


def _add_zone_options(p: argparse.ArgumentParser) -> None:
    """Zone tables and rasters carried onto the boundaries."""
    p.add_argument(
        "--zones",
        action="append",
        metavar="NAME=TABLE[:KEY]@POLYGONS[:FIELD]",
        default=None,
        help="a value published per zone (Nomis, CLUE jobs, VOA floorspace, CSV keyed "
        "by code or name) on its polygons, carried onto the boundaries by area "
        "share: adds NAME, NAME_per_km2, NAME_method; repeatable",
    )
    p.add_argument(
        "--zones-value",
        action="append",
        metavar="NAME=COLUMN",
        default=None,
        help="which column / Nomis variable / VOA sector of a --zones table",
    )
    p.add_argument(
        "--zones-date",
        action="append",
        metavar="NAME=YEAR",
        default=None,
        help="which year of a --zones table (default: the latest)",
    )
    p.add_argument(
        "--zones-tolerance",
        action="append",
        metavar="NAME=SHARE",
        default=None,
        help="nesting tolerance for a --zones layer (see 'interpolate --nested')",
    )
    p.add_argument(
        "--zones-weights",
        action="append",
        metavar="NAME=POINTS",
        default=None,
        help="dasymetric weights for a --zones layer: a --points layer name or 'onspd'",
    )
    p.add_argument(
        "--raster",
        action="append",
        metavar="NAME=PATH",
        default=None,
        help="a GeoTIFF summed within each boundary (e.g. floorspace m² per cell): "
        "adds NAME, NAME_per_km2, NAME_method; repeatable",
    )
    p.add_argument(
        "--raster-rule",
        action="append",
        metavar="NAME=RULE",
        default=None,
        help="cells in a boundary: centre (default), all_touched or fraction",
    )
    p.add_argument(
        "--raster-units",
        action="append",
        metavar="NAME=UNITS",
        default=None,
        help="units of a raster's values, appended to its column (floorspace=m2 "
        "gives floorspace_m2 and floor_area_ratio)",
    )


def _add_output_options(p: argparse.ArgumentParser) -> None:
    """Snapping, CRSs, outputs and the join method."""
    p.add_argument(
        "--snap",
        type=float,
        metavar="METRES",
        default=None,
        help="assign points up to METRES outside every boundary (e.g. beyond a "
        "generalised coastline) to the nearest one; reported as 'snapped'",
    )
    p.add_argument(
        "--metric-crs",
        metavar="CRS",
        default=None,
        help="measure in this projected CRS instead of the automatic choice",
    )
    p.add_argument(
        "--out-crs",
        metavar="CRS",
        default=None,
        help="CRS of the output geometry (default: the boundaries' own CRS)",
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="output table: .csv, .gpkg, .parquet or .geojson",
    )
    p.add_argument(
        "--report",
        metavar="PATH.json",
        default=None,
        help="JSON report: per layer input/matched/multi/unmatched/rejected, overlaps, provenance",
    )
    p.add_argument(
        "--method",
        choices=["grid", "prepared"],
        default="grid",
        help="point-in-polygon algorithm (identical results)",
    )


def _read_layers(args: argparse.Namespace) -> list[Any]:
    """The ``--points`` layers, each with its ``--xy``, ``--points-crs`` ... options."""
    xy = kv(args.xy, "--xy")
    per_layer = {
        "crs": kv(args.points_crs, "--points-crs"),
        "postcode": kv(args.postcode, "--postcode"),
        "layer": kv(args.points_layer, "--points-layer"),
        "decimal": kv(getattr(args, "decimal", None), "--decimal"),
    }
    layers = []
    for spec in args.points:
        name, path = points_spec(
            spec, example="universities", hint=" NAME prefixes the output columns."
        )
        layers.append(
            read_point_layer(
                name,
                path,
                cluster=args.cluster,
                xy=xy.get(name),
                xy_label=f"{name}={xy.get(name)}",
                **{option: values.get(name) for option, values in per_layer.items()},
            )
        )
    return layers


def _profile(args: argparse.Namespace, b: Any, points: list[Any]) -> Any:
    """The profile of the boundaries, on Dask with ``--cluster``."""
    from ..metrics.profile import profile

    options: dict[str, Any] = {
        "by": kv(args.by, "--by"),
        "weights": kv(args.weight, "--weight"),
        "snap_m": args.snap,
        "method": args.method,
    }
    if args.cluster:
        from ..scale import dask_client, profile_dask

        with dask_client(args.cluster) as client:
            return profile_dask(b, points, client=client, partitions=args.partitions, **options)
    return profile(b, points, **options)


def _print_summary(report: dict[str, Any], written: list[Any]) -> None:
    """The accounting of every layer, the overlaps and the files written, on stderr."""
    for name, rep in report["layers"].items():
        snapped = f" (incl. {rep['snapped']} snapped)" if rep.get("snapped") else ""
        print(
            f"{name}: {rep['input']} input = {rep['matched']} matched{snapped} + "
            f"{rep['multi']} multi + {rep['unmatched']} unmatched + {rep['rejected']} rejected",
            file=sys.stderr,
        )
    br = report["boundaries"]
    if br["overlaps"]:
        print(
            f"boundaries: {br['count']} features, {len(br['overlaps'])} overlapping pairs "
            f"({br['overlap_km2']:.2f} km² counted twice); see the report",
            file=sys.stderr,
        )
    print("wrote " + " and ".join(str(p) for p in written if p), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict profile`` (returns the exit status)."""
    from ..io.read import read_boundaries
    from ..io.write import write_table

    check_cluster_options(args)
    points = _read_layers(args)
    b = read_boundaries(
        args.boundaries,
        id=args.id,
        name=args.name,
        layer=args.boundaries_layer,
        crs=args.boundaries_crs,
        metric_crs=args.metric_crs,
    )
    for lay in points:
        lay.require_points()
    result = _profile(args, b, points)
    result = _add_zones(args, result, b, points)
    result = _add_rasters(args, result, b)
    table = result.table
    if args.out_crs:
        table = table.to_crs(args.out_crs)
        result.report["provenance"]["crs"]["output"] = table.crs.to_string()
    result.report["provenance"]["command"] = command_line()
    write_table(table, args.out, provenance=result.report["provenance"])
    if args.report:
        write_json(args.report, result.report)
    _print_summary(result.report, [args.out, args.report])
    return 0


def _split_spec(spec: str) -> tuple[str, str | None]:
    """``path[:FIELD]`` → (path, field); a path that exists as written keeps its colons."""
    from ..io.datasets import is_name

    if Path(spec).exists() or ":" not in spec or is_name(spec):
        return spec, None
    path, field = spec.rsplit(":", 1)
    if "/" in field or not field:
        return spec, None
    return path, field


def parse_zone_spec(name: str, spec: str) -> tuple[str, str | None, str, str | None]:
    """The value of ``--zones NAME=TABLE[:KEY]@POLYGONS[:FIELD]`` → (table, key, polygons, field).

    A path that exists as written, or a dataset name, keeps its colons; KEY and FIELD are None
    when not given.

    Raises
    ------
    SchemaError
        When the value has no ``@`` between the table and its polygons.

    Examples
    --------
    >>> parse_zone_spec("jobs", "bres.csv:LAD24CD@LAD_2024.geojson")
    ('bres.csv', 'LAD24CD', 'LAD_2024.geojson', None)
    """
    if "@" not in spec:
        raise SchemaError(
            f"--zones {name}={spec}: write it as NAME=TABLE[:KEY]@POLYGONS[:FIELD], e.g. "
            "jobs=bres.csv:LAD24CD@LAD_2024.geojson:LAD24CD"
        )
    left, right = spec.rsplit("@", 1)
    table, key = _split_spec(left)
    polys, field = _split_spec(right)
    return table, key, polys, field


def _add_zones(args: argparse.Namespace, result: Any, b: Any, points: list[Any]) -> Any:
    """Carry each ``--zones`` table onto the boundaries (NAME, NAME_per_km2, NAME_method)."""
    if not args.zones:
        return result
    from ..io.read import read_boundaries, read_points
    from ..metrics.profile import add_zone_values
    from ..zones.tables import zone_values

    zval = kv(args.zones_value, "--zones-value")
    zdate = kv(args.zones_date, "--zones-date")
    ztol = kv(args.zones_tolerance, "--zones-tolerance")
    zw = kv(args.zones_weights, "--zones-weights")
    named = {p.name: p for p in points}
    for name, spec in kv(args.zones, "--zones").items():
        table, key, polys, field = parse_zone_spec(name, spec)
        zones = read_boundaries(polys, id=field)
        zv = zone_values(table, zones, value=zval.get(name), date=zdate.get(name), key=key)
        weights: Any = "area"
        if name in zw:
            weights = named.get(zw[name]) or read_points(zw[name], name=f"{name}_weights")
        result = add_zone_values(
            result,
            name,
            zones,
            zv.values,
            b,
            units="m2" if zv.layout == "voa" else None,
            weights=weights,
            tolerance=float(ztol.get(name, 0.0)),
            selection={**zv.selection, **zv.report()},
        )
    return result


def _add_rasters(args: argparse.Namespace, result: Any, b: Any) -> Any:
    """Sum each ``--raster`` within the boundaries (NAME, NAME_per_km2, NAME_method)."""
    if not args.raster:
        return result
    from ..metrics.profile import add_raster_values

    rule = kv(args.raster_rule, "--raster-rule")
    units = kv(args.raster_units, "--raster-units")
    for name, path in kv(args.raster, "--raster").items():
        result = add_raster_values(
            result, name, path, b, units=units.get(name), rule=rule.get(name, "centre")
        )
    return result

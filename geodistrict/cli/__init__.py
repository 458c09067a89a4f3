"""The ``geodistrict`` command line: thin wrappers over the public functions.

Exit status: 0 on success, 2 on a user error (one line on stderr naming the file and the fix),
1 on an internal error (rerun with ``--debug`` for the traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._errors import GeodistrictError, SchemaError
from .._version import __version__
from ..io.write import write_json

__all__ = ["main", "build_parser"]

_PROFILE_EXAMPLE = """\
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


_INTERPOLATE_EXAMPLE = """\
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


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def _kv(values: Sequence[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        if "=" not in v or not v.split("=", 1)[0] or not v.split("=", 1)[1]:
            raise SchemaError(f"{option} {v!r}: write it as NAME=VALUE, e.g. {option} firms=...")
        k, val = v.split("=", 1)
        out[k.strip()] = val.strip()
    return out


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="geodistrict",
        description=(
            "Map and measure innovation districts: join firms, universities and postcodes to "
            "LEP, local-authority and district boundaries, with densities in metres and every "
            "input record accounted for."
        ),
        epilog="run 'geodistrict COMMAND --help' for a command's options and examples.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"geodistrict {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "profile",
        help="count and density of point layers in every boundary",
        description=(
            "One row per boundary: id, name, area_km2 and, per points layer, NAME_count and "
            "NAME_per_km2. Areas and joins are computed in metres (EPSG:27700 in Great "
            "Britain, the local UTM zone elsewhere) whatever the input CRS."
        ),
        epilog=_PROFILE_EXAMPLE,
        formatter_class=_Formatter,
    )
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
    add_cluster_options(p)
    p.add_argument("--debug", action="store_true", help="show tracebacks")

    n = sub.add_parser(
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
        epilog=_INTERPOLATE_EXAMPLE,
        formatter_class=_Formatter,
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

    from ._commands import register_all

    register_all(sub)

    i = sub.add_parser(
        "inspect",
        help="describe a file: CRS, bounds, features, geometry problems, detected fields",
        description="Print what geodistrict sees in a file before you use it.",
        epilog="example:\n  geodistrict inspect LAD_May_2024_EN_BUC.geojson\n"
        "  geodistrict inspect learning-providers-plus.csv --json",
        formatter_class=_Formatter,
    )
    i.add_argument("file", metavar="FILE", help="vector file or CSV/XLSX table")
    i.add_argument("--layer", default=None, help="layer of a multi-layer file")
    i.add_argument("--json", action="store_true", help="print JSON instead of text")
    i.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def add_cluster_options(p: argparse.ArgumentParser) -> None:
    """``--cluster`` and ``--partitions``: run a command's point work on Dask."""
    p.add_argument(
        "--cluster",
        metavar="local|tcp://HOST:PORT",
        default=None,
        help="run the point work as Dask tasks: 'local' starts 2 single-threaded worker "
        "processes here, an address joins a running scheduler; same output as without "
        '(needs pip install "geodistrict[scale]")',
    )
    p.add_argument(
        "--partitions",
        type=int,
        metavar="N",
        default=None,
        help="with --cluster: spatial partitions of each point layer (default: one per "
        "million points, at least two per worker thread)",
    )


def _check_cluster_options(args: argparse.Namespace) -> None:
    if args.partitions is not None and not args.cluster:
        from .._errors import ParameterError

        raise ParameterError("--partitions splits the points for --cluster; add --cluster local.")


def _cmd_profile(args: argparse.Namespace) -> int:
    from ..io.read import read_boundaries, read_points
    from ..io.write import write_table
    from ..metrics.profile import profile
    from ._args import points_spec

    _check_cluster_options(args)
    points = []
    specs = args.points
    xy = _kv(args.xy, "--xy")
    pcrs = _kv(args.points_crs, "--points-crs")
    pcol = _kv(args.postcode, "--postcode")
    dec = _kv(getattr(args, "decimal", None), "--decimal")
    play = _kv(args.points_layer, "--points-layer")
    for spec in specs:
        name, path = points_spec(
            spec, example="universities", hint=" NAME prefixes the output columns."
        )
        x = y = None
        if name in xy:
            parts = xy[name].split(",")
            if len(parts) != 2:
                raise SchemaError(f"--xy {name}={xy[name]}: give two columns, XCOL,YCOL.")
            x, y = (s.strip() for s in parts)
        if args.cluster and Path(path).is_dir():  # partitioned GeoParquet, read by the tasks
            from ..scale import read_partitioned

            points.append(read_partitioned(path, name=name))
            continue
        points.append(
            read_points(
                path,
                name=name,
                x=x,
                y=y,
                crs=pcrs.get(name),
                postcode=pcol.get(name),
                layer=play.get(name),
                decimal=dec.get(name),
            )
        )
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
    options = {
        "by": _kv(args.by, "--by"),
        "weights": _kv(args.weight, "--weight"),
        "snap_m": args.snap,
        "method": args.method,
    }
    if args.cluster:
        from ..scale import dask_client, profile_dask

        with dask_client(args.cluster) as client:
            result = profile_dask(b, points, client=client, partitions=args.partitions, **options)
    else:
        result = profile(b, points, **options)
    result = _profile_zones_and_rasters(args, result, b, points)
    table = result.table
    if args.out_crs:
        table = table.to_crs(args.out_crs)
        result.report["provenance"]["crs"]["output"] = table.crs.to_string()
    result.report["provenance"]["command"] = "geodistrict " + " ".join(sys.argv[1:])
    write_table(table, args.out, provenance=result.report["provenance"])
    if args.report:
        write_json(args.report, result.report)
    for name, rep in result.report["layers"].items():
        snapped = f" (incl. {rep['snapped']} snapped)" if rep.get("snapped") else ""
        print(
            f"{name}: {rep['input']} input = {rep['matched']} matched{snapped} + "
            f"{rep['multi']} multi + {rep['unmatched']} unmatched + {rep['rejected']} rejected",
            file=sys.stderr,
        )
    br = result.report["boundaries"]
    if br["overlaps"]:
        print(
            f"boundaries: {br['count']} features, {len(br['overlaps'])} overlapping pairs "
            f"({br['overlap_km2']:.2f} km² counted twice); see the report",
            file=sys.stderr,
        )
    print(f"wrote {args.out}" + (f" and {args.report}" if args.report else ""), file=sys.stderr)
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


def _profile_zones_and_rasters(args: argparse.Namespace, result: Any, b: Any, points: list) -> Any:
    from ..io.read import read_boundaries, read_points
    from ..metrics.profile import add_raster_values, add_zone_values
    from ..zones.tables import zone_values

    zval = _kv(args.zones_value, "--zones-value")
    zdate = _kv(args.zones_date, "--zones-date")
    ztol = _kv(args.zones_tolerance, "--zones-tolerance")
    zw = _kv(args.zones_weights, "--zones-weights")
    for name, spec in _kv(args.zones, "--zones").items():
        if "@" not in spec:
            raise SchemaError(
                f"--zones {name}={spec}: write it as NAME=TABLE[:KEY]@POLYGONS[:FIELD], e.g. "
                "jobs=bres.csv:LAD24CD@LAD_2024.geojson:LAD24CD"
            )
        left, right = spec.rsplit("@", 1)
        table, key = _split_spec(left)
        polys, field = _split_spec(right)
        zones = read_boundaries(polys, id=field)
        zv = zone_values(table, zones, value=zval.get(name), date=zdate.get(name), key=key)
        weights: Any = "area"
        if name in zw:
            named = {p.name: p for p in points}
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
    rule = _kv(args.raster_rule, "--raster-rule")
    units = _kv(args.raster_units, "--raster-units")
    for name, path in _kv(args.raster, "--raster").items():
        result = add_raster_values(
            result, name, path, b, units=units.get(name), rule=rule.get(name, "centre")
        )
    return result


def _cmd_interpolate(args: argparse.Namespace) -> int:
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
        where=_kv(args.where, "--where"),
    )
    weights: Any = "area"
    layers = []
    if args.weights:
        weights = read_points(args.weights, name="ancillary")
        layers.append(weights)
    tolerance = args.tolerance if args.tolerance is not None else (0.05 if args.nested else 0.0)
    values = zv.values.rename("value")
    r = interpolate(
        zones,
        values,
        targets,
        intensive=["value"] if args.intensive else (),
        weights=weights,
        overlap=args.overlap,
        tolerance=tolerance,
    )
    table = r.table
    area = targets.area_km2
    pos = list(table.columns).index("value") + (1 if args.intensive else 2)
    table.insert(pos, "area_km2", area)
    if not args.intensive:
        with __import__("numpy").errstate(divide="ignore", invalid="ignore"):
            table.insert(pos + 1, "value_per_km2", table["value"].to_numpy() / area)
    prov = provenance_block(
        boundaries=targets,
        layers=layers,
        parameters={
            "table": str(args.table),
            "zones": str(args.zones),
            "selection": zv.selection,
            "weights": "area" if not args.weights else f"points: {args.weights}",
            "tolerance": tolerance,
            "overlap": args.overlap,
            "intensive": bool(args.intensive),
        },
    )
    prov["sources"].insert(1, zones.info.as_dict())
    prov["command"] = "geodistrict " + " ".join(sys.argv[1:])
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
    rep = r.report["value"]
    tr = zv.report()
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
    print(f"wrote {args.out}" + (f" and {args.report}" if args.report else ""), file=sys.stderr)
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from ..io.inspect import describe

    info = describe(args.file, layer=args.layer)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    for k, v in info.items():
        if isinstance(v, list) and v and k in ("fields", "invalid_features", "notes"):
            print(f"{k}:")
            for item in v:
                print(f"  - {item}")
        else:
            print(f"{k}: {v}")
    return 0


def _format_warning(message, category, filename, lineno, file=None, line=None) -> str:
    return f"geodistrict: warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (130 after Ctrl-C, with one line)."""
    import signal

    from .._sigint import MESSAGE, interrupted, is_cli_process

    main_thread = threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT) if main_thread else None
    if main_thread and before in (interrupted, signal.default_int_handler):
        # from here Ctrl-C raises KeyboardInterrupt, so that writes in progress clean up
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        sys.stderr.write(MESSAGE)
        return 130
    finally:
        if main_thread and before is not None:  # the command line: one line again until exit
            signal.signal(signal.SIGINT, interrupted if is_cli_process() else before)


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    debug = bool(getattr(args, "debug", False))
    warnings.formatwarning = _format_warning  # type: ignore[assignment]
    commands: dict[str, Any] = {
        "profile": _cmd_profile,
        "interpolate": _cmd_interpolate,
        "inspect": _cmd_inspect,
    }
    run = commands.get(args.command) or getattr(args, "_run", None)
    try:
        return int(run(args))
    except GeodistrictError as exc:
        if debug:
            raise
        print(f"geodistrict: error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        if debug:
            raise
        print(f"geodistrict: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a bare traceback
        if debug:
            raise
        print(
            f"geodistrict: internal error: {type(exc).__name__}: {exc} (rerun with --debug "
            "and report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``geodistrict`` command line: thin wrappers over the public functions.

Exit status: 0 on success, 2 on a user error (one line on stderr naming the file and the fix),
1 on an internal error (rerun with ``--debug`` for the traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._errors import GeodistrictError, SchemaError
from ._version import __version__

__all__ = ["main", "build_parser"]

_PROFILE_EXAMPLE = """\
examples:
  # universities and postcodes in every LEP (May 2021)
  geodistrict profile \\
      --boundaries "Local_Enterprise_Partnerships_(May_2021)_EN_BUC.geojson" \\
      --points universities=learning-providers-plus.csv --points postcodes=onspd \\
      --out lep_profile.csv --report lep_profile.json

  # firms from Companies House by SIC section in the shipped districts
  geodistrict profile --boundaries boundaries/districts.geojson \\
      --points firms=BasicCompanyData.csv --by firms=sic_section --out districts.gpkg

output columns (CSV): id, name, area_km2, then per points layer NAME_count, NAME_per_km2
(and NAME_count__<category> with --by, NAME_sum__<column> with --weight).
The report (--report) states per layer: input = matched + multi + unmatched + rejected.
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
    p.add_argument("--boundaries", required=True, metavar="PATH",
                   help="polygon file (GeoJSON, GeoPackage, GeoParquet, Shapefile)")
    p.add_argument("--boundaries-layer", metavar="LAYER", default=None,
                   help="layer of a multi-layer file (GeoPackage)")
    p.add_argument("--boundaries-crs", metavar="CRS", default=None,
                   help="CRS of the boundary file's coordinates when it declares none, or declares a "
                        "wrong one (relabelled with a warning, not reprojected), e.g. EPSG:4326")
    p.add_argument("--id", metavar="FIELD", default=None,
                   help="boundary code field (default: detected, e.g. LEP21CD)")
    p.add_argument("--name", metavar="FIELD", default=None,
                   help="boundary name field (default: detected, e.g. LEP21NM)")
    p.add_argument("--points", action="append", required=True, metavar="NAME=PATH|onspd",
                   help="a point layer: CSV/XLSX with coordinates or postcodes, a vector file, "
                        "'onspd' (all UK postcodes) or 'onspd:E' (by country); repeatable")
    p.add_argument("--by", action="append", metavar="NAME=COLUMN", default=None,
                   help="count layer NAME by the categories of COLUMN, e.g. firms=sic_section")
    p.add_argument("--weight", action="append", metavar="NAME=COLUMN", default=None,
                   help="sum a numeric COLUMN of layer NAME per boundary, e.g. firms=employees")
    p.add_argument("--xy", action="append", metavar="NAME=XCOL,YCOL", default=None,
                   help="coordinate columns of a table (x/longitude/easting first)")
    p.add_argument("--points-crs", action="append", metavar="NAME=CRS", default=None,
                   help="CRS of a table's coordinates, e.g. postcodes=EPSG:27700")
    p.add_argument("--postcode", action="append", metavar="NAME=COLUMN", default=None,
                   help="postcode column used to place rows without coordinates")
    p.add_argument("--points-layer", action="append", metavar="NAME=LAYER", default=None,
                   help="layer of a multi-layer points file")
    p.add_argument("--snap", type=float, metavar="METRES", default=None,
                   help="assign points up to METRES outside every boundary (e.g. beyond a "
                        "generalised coastline) to the nearest one; reported as 'snapped'")
    p.add_argument("--metric-crs", metavar="CRS", default=None,
                   help="measure in this projected CRS instead of the automatic choice")
    p.add_argument("--out-crs", metavar="CRS", default=None,
                   help="CRS of the output geometry (default: the boundaries' own CRS)")
    p.add_argument("--out", required=True, metavar="PATH",
                   help="output table: .csv, .gpkg, .parquet or .geojson")
    p.add_argument("--report", metavar="PATH.json", default=None,
                   help="JSON report: per layer input/matched/multi/unmatched/rejected, overlaps, "
                        "provenance")
    p.add_argument("--method", choices=["grid", "prepared"], default="grid",
                   help="point-in-polygon algorithm (identical results)")
    p.add_argument("--debug", action="store_true", help="show tracebacks")

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


def _cmd_profile(args: argparse.Namespace) -> int:
    from .boundaries import read_boundaries
    from .io.read import read_points
    from .io.write import write_table
    from .profile import profile

    points = []
    specs = args.points
    xy = _kv(args.xy, "--xy")
    pcrs = _kv(args.points_crs, "--points-crs")
    pcol = _kv(args.postcode, "--postcode")
    play = _kv(args.points_layer, "--points-layer")
    for spec in specs:
        if "=" in spec:
            name, path = spec.split("=", 1)
        elif spec.startswith("onspd"):
            name, path = "postcodes", spec
        else:
            raise SchemaError(
                f"--points {spec!r}: write it as NAME=PATH (e.g. universities={spec}); NAME "
                "prefixes the output columns."
            )
        x = y = None
        if name in xy:
            parts = xy[name].split(",")
            if len(parts) != 2:
                raise SchemaError(f"--xy {name}={xy[name]}: give two columns, XCOL,YCOL.")
            x, y = (s.strip() for s in parts)
        points.append(
            read_points(
                path,
                name=name,
                x=x,
                y=y,
                crs=pcrs.get(name),
                postcode=pcol.get(name),
                layer=play.get(name),
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
    result = profile(
        b,
        points,
        by=_kv(args.by, "--by"),
        weights=_kv(args.weight, "--weight"),
        snap_m=args.snap,
        method=args.method,
    )
    table = result.table
    if args.out_crs:
        table = table.to_crs(args.out_crs)
        result.report["provenance"]["crs"]["output"] = table.crs.to_string()
    result.report["provenance"]["command"] = "geodistrict " + " ".join(sys.argv[1:])
    write_table(table, args.out, provenance=result.report["provenance"])
    if args.report:
        Path(args.report).write_text(json.dumps(result.report, indent=2, default=str))
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


def _cmd_inspect(args: argparse.Namespace) -> int:
    from .inspect import describe

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
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    debug = bool(getattr(args, "debug", False))
    warnings.formatwarning = _format_warning  # type: ignore[assignment]
    commands: dict[str, Any] = {"profile": _cmd_profile, "inspect": _cmd_inspect}
    try:
        return int(commands[args.command](args))
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
    except KeyboardInterrupt:
        print("geodistrict: interrupted", file=sys.stderr)
        return 130
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

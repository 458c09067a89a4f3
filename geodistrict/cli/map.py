"""``geodistrict map``: a layered interactive map (HTML) or a static figure (PNG, SVG, PDF)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]

_EXAMPLE = """\
examples:
  # universities per km² by LEP, the universities as markers, and the density of all UK
  # postcodes (5 km bandwidth, default 625 m cells), in one HTML file that opens offline
  geodistrict map --boundaries lep2021 \\
      --points universities=learning-providers --points onspd \\
      --choropleth universities_per_km2 --scheme natural_breaks \\
      --density postcodes --bandwidth 5000 \\
      --basemap none --out leps.html

  # hot spots of postcodes on 250 m cells around the shipped districts
  geodistrict map --boundaries manchester-oxford-road --points onspd \\
      --hotspots postcodes --cell 250 --out oxford_road.html

  # the same layers as a static figure, or shipped districts side by side
  geodistrict map --boundaries leps.geojson --points universities=unis.csv \\
      --choropleth universities_per_km2 --out leps.png
  geodistrict map --compare 22at-barcelona manchester-oxford-road --out districts.png

layers: the choropleth column comes from a profile of --boundaries with the --points layers
(NAME_count, NAME_per_km2, area_km2). Point layers are drawn as markers (clustered above
--max-markers, counted on squares above 20,000 points), except a large layer used only for
--density or --hotspots, which the surface represents. The footer of every map lists the
sources, licences, vintages, the CRS of every measurement and the parameters.
"""

_STATIC = (".png", ".svg", ".pdf")


def register(subparsers: Any) -> None:
    """Add the ``map`` subcommand."""
    from ._args import Formatter

    p = subparsers.add_parser(
        "map",
        help="layered interactive map (HTML) or static figure of boundaries, points, density",
        description=(
            "Draw boundaries with a choropleth of a profile column, point layers, a kernel "
            "density surface, hot spots and shipped districts on one map, with a legend and a "
            "footer of sources, licences and parameters. HTML maps are kept under a size budget "
            "and open offline: Leaflet is inlined unless --cdn is given."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    p.add_argument(
        "--boundaries",
        nargs="+",
        action="extend",
        metavar="PATH|SLUG",
        default=None,
        help="a polygon file, or shipped district slugs",
    )
    p.add_argument(
        "--choropleth",
        metavar="COLUMN",
        default=None,
        help="profile column to colour the boundaries by, e.g. universities_per_km2",
    )
    p.add_argument(
        "--scheme",
        choices=["quantiles", "natural_breaks", "equal_interval"],
        default="quantiles",
        help="classification of the choropleth (mapclassify)",
    )
    p.add_argument("--k", type=int, default=5, metavar="N", help="number of classes")
    p.add_argument(
        "--points",
        nargs="+",
        action="extend",
        metavar="NAME=PATH|onspd",
        default=None,
        help="point layers: CSV/XLSX with coordinates or postcodes, a vector file, or 'onspd' "
        "(all UK postcodes, named postcodes)",
    )
    p.add_argument(
        "--density", metavar="NAME", default=None, help="kernel density of this --points layer"
    )
    p.add_argument(
        "--bandwidth",
        type=float,
        metavar="METRES",
        default=None,
        help="kernel bandwidth for --density (quartic radius)",
    )
    p.add_argument(
        "--cell",
        type=float,
        metavar="METRES",
        default=None,
        help="cell side of --density (default: bandwidth / 8, about 1 %% low at a peak; "
        "coarser warns) and of --hotspots",
    )
    p.add_argument(
        "--hotspots",
        metavar="NAME",
        default=None,
        help="Getis-Ord Gi* hot spots of this --points layer on --cell squares (FDR 5 %%)",
    )
    p.add_argument(
        "--districts",
        nargs="+",
        action="extend",
        metavar="SLUG",
        default=None,
        help="shipped districts drawn as dashed outlines",
    )
    p.add_argument(
        "--compare",
        nargs="+",
        action="extend",
        metavar="SLUG",
        default=None,
        help="shipped districts side by side, one panel each (--out .png or .svg)",
    )
    p.add_argument(
        "--self-contained",
        action="store_true",
        help="inline Leaflet so that the HTML opens with no network (except basemap tiles); "
        "the default now; kept for scripts",
    )
    p.add_argument(
        "--cdn",
        action="store_true",
        help="load Leaflet from its CDN instead of inlining it (a smaller file that needs "
        "the network to open)",
    )
    p.add_argument(
        "--basemap",
        default="osm",
        metavar="none|osm|NAME",
        help="basemap tiles: osm, none, or an xyzservices name such as CartoDB.Positron",
    )
    p.add_argument(
        "--budget-mb",
        type=float,
        default=3.0,
        metavar="MB",
        help="largest HTML file allowed; above it the error names the largest layer",
    )
    p.add_argument("--title", default=None, metavar="TEXT", help="title shown on the map")
    p.add_argument(
        "--simplify",
        type=float,
        default=None,
        metavar="METRES",
        help="simplification tolerance of polygons (default: extent / 2000)",
    )
    p.add_argument(
        "--max-markers",
        type=int,
        default=2000,
        metavar="N",
        help="points per layer drawn as single markers; above it they are clustered",
    )
    p.add_argument("--out", required=True, metavar="PATH.html|.png|.svg|.pdf", help="output file")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def _boundaries(specs: list[str] | None) -> Any:
    from ..districts.registry import district_boundaries, district_slugs
    from ..errors import SchemaError
    from ..io.datasets import is_name
    from ..io.read import read_boundaries

    if not specs:
        return None
    slugs = set(district_slugs())
    one = specs[0]
    if len(specs) == 1 and (Path(one).exists() or (one not in slugs and is_name(one))):
        return read_boundaries(one)
    if all(s in slugs for s in specs):
        return district_boundaries(list(specs))
    unknown = [s for s in specs if s not in slugs and not Path(s).exists() and not is_name(s)]
    if unknown:
        raise SchemaError(
            f"--boundaries: {', '.join(unknown)} is neither a file, a dataset (geodistrict "
            f"datasets list) nor a shipped district (shipped: {', '.join(sorted(slugs))})."
        )
    raise SchemaError(
        "--boundaries: give one polygon file, or shipped district slugs, not several files "
        "or a mix."
    )


def _layer(layers: dict[str, Any], name: str, option: str) -> Any:
    from ..errors import SchemaError

    if name not in layers:
        raise SchemaError(
            f"{option} {name}: no --points layer of that name; layers are "
            f"{', '.join(layers) or 'none'} (add --points {name}=PATH)."
        )
    return layers[name]


def _figures() -> Any:
    from ..errors import MissingDependencyError

    try:
        from .. import figures
    except ImportError as exc:
        raise MissingDependencyError(
            "static figures need geodistrict.figures and matplotlib "
            '(pip install "geodistrict[maps]"); write --out PATH.html for an interactive map.'
        ) from exc
    return figures


def _check_options(args: argparse.Namespace, out: Path) -> None:
    """Refuse a wrong output or a surface without its size, before any work."""
    from ..errors import ParameterError
    from ._args import check_folders

    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", *_STATIC):
        raise ParameterError(f"--out {args.out}: write .html, .png, .svg or .pdf.")
    check_folders([("--out", args.out)])
    if args.compare and suffix not in (".png", ".svg"):
        raise ParameterError(
            "--compare draws one panel per district as a figure: write --out PATH.png or "
            ".svg (for one interactive map of several districts use --districts)."
        )
    if args.compare:
        return
    if args.density and not args.bandwidth:
        raise ParameterError(
            f"--density {args.density} needs --bandwidth METRES, e.g. --bandwidth 1000."
        )
    if args.hotspots and not args.cell:
        raise ParameterError(f"--hotspots {args.hotspots} needs --cell METRES, e.g. --cell 250.")


def _check_drawing(args: argparse.Namespace, b: Any, static: bool) -> None:
    """Refuse options the chosen output cannot draw."""
    from ..errors import ParameterError

    if args.choropleth and b is None:
        raise ParameterError("--choropleth needs --boundaries to colour.")
    if static and args.districts:
        raise ParameterError(
            "--districts is drawn on interactive maps (--out PATH.html); for a figure of "
            "districts use --compare SLUG ... --out PATH.png."
        )
    if not static and args.cdn and args.self_contained:
        raise ParameterError("--cdn and --self-contained contradict each other; give one.")


def _style(args: argparse.Namespace, static: bool) -> dict[str, Any]:
    """The classification and, on HTML maps, basemap, simplification and marker options."""
    if static:  # geodistrict.figures names Fisher-Jenks after the algorithm
        return {"scheme": {"natural_breaks": "fisher_jenks"}.get(args.scheme, args.scheme)}
    return {
        "scheme": args.scheme,
        "basemap": args.basemap,
        "simplify_m": args.simplify,
        "max_markers": args.max_markers,
    }


def _choropleth(b: Any, layers: dict[str, Any], column: str) -> Any:
    """The profile column ``column`` of the boundaries, indexed by id."""
    from ..errors import SchemaError
    from ..metrics.profile import profile

    p = profile(b, list(layers.values()))
    if column not in p.table.columns:
        numeric = [c for c in p.table.columns if c not in ("id", "name", "geometry")]
        raise SchemaError(
            f"--choropleth {column}: the profile has no such column; columns are "
            f"{', '.join(numeric)}."
        )
    return p.table.set_index("id")[column]


def _layers_drawn(args: argparse.Namespace, b: Any, layers: dict[str, Any]) -> dict[str, Any]:
    """The choropleth, density, hot spots, districts and point layers to draw."""
    from ..maps import CLUSTER_MAX

    drawn: dict[str, Any] = {}
    if args.choropleth:
        drawn["choropleth"] = _choropleth(b, layers, args.choropleth)
    if args.density:
        from ..clusters.kde import kde

        drawn["density"] = kde(
            _layer(layers, args.density, "--density"),
            bandwidth_m=args.bandwidth,
            cell_m=args.cell,  # None: bandwidth / 8
            within=b,
        )
    if args.hotspots:
        from ..clusters.hotspots import hotspots

        drawn["hotspots"] = hotspots(
            _layer(layers, args.hotspots, "--hotspots"), within=b, cell_m=args.cell
        )
    if args.districts:
        from ..districts.registry import district_boundaries

        drawn["districts"] = district_boundaries(list(args.districts))
    surfaces = {args.density, args.hotspots} - {None}
    drawn["points"] = [
        lay for name, lay in layers.items() if not (name in surfaces and len(lay) > CLUSTER_MAX)
    ]
    return drawn


def run(args: argparse.Namespace) -> int:
    """Run ``geodistrict map`` (returns the exit status)."""
    from ._args import read_layers

    out = Path(args.out)
    _check_options(args, out)
    if args.compare:
        path = Path(_figures().compare_panels(list(args.compare), out) or out)
        print(f"wrote {path}", file=sys.stderr)
        return 0
    b = _boundaries(args.boundaries)
    layers = read_layers(args.points)
    for lay in layers.values():
        lay.require_points()
    static = out.suffix.lower() in _STATIC
    _check_drawing(args, b, static)
    kwargs: dict[str, Any] = {"boundaries": b, "k": args.k, "title": args.title}
    kwargs |= _style(args, static) | _layers_drawn(args, b, layers)
    if static:
        path = Path(_figures().static_map(out, **kwargs) or out)
    else:
        from ..maps import make_map, save_map

        m = make_map(**kwargs)
        path = save_map(m, out, self_contained=not args.cdn, budget_mb=args.budget_mb)
    size = path.stat().st_size / 1e6
    print(f"wrote {path} ({size:.2f} MB)", file=sys.stderr)
    return 0

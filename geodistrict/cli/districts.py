"""``geodistrict districts``: the shipped district polygons, their areas, and an export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ._args import Formatter
from ._output import command_line

__all__ = ["register", "run", "COLUMNS"]

#: Columns of the table, in order (the first five are the command's contract).
COLUMNS = ["slug", "name", "city", "country", "area_ha", "published_area_ha", "metric_crs"]

_EXAMPLE = """\
examples:
  # the shipped districts, each measured in its own local metric CRS
  geodistrict districts

  # also write their polygons (GeoJSON, EPSG:4326) with the same columns
  geodistrict districts --out districts.geojson

columns: slug, name, city, country, area_ha (planar area in the district's local metric CRS:
British National Grid in Great Britain, the UTM zone elsewhere), published_area_ha (the
publisher's figure, empty when none is published) and metric_crs. Sources, methods and the
accuracy of each outline are in the file (geodistrict datasets path districts) and in
boundaries/README.md of the source repository.
"""


def register(subparsers: Any) -> None:
    """Add the ``districts`` subcommand."""
    p = subparsers.add_parser(
        "districts",
        help="list the shipped districts with their areas; export their polygons",
        description=(
            "One row per district shipped with geodistrict (22@ Barcelona, "
            "Medellín, Melbourne City North, Manchester Oxford Road, Cambridge, Newcastle Helix, "
            "London Knowledge Quarter ...): slug, name, city, country and the area measured in "
            "hectares in the district's own metric CRS."
        ),
        epilog=_EXAMPLE,
        formatter_class=Formatter,
    )
    p.add_argument(
        "--out",
        metavar="PATH.geojson",
        default=None,
        help="write the polygons with the table's columns (GeoJSON, EPSG:4326)",
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(_run=run)


def districts_table() -> Any:
    """The shipped districts as a GeoDataFrame with :data:`COLUMNS` (geometry in EPSG:4326).

    Each district is prepared on its own with
    :func:`geodistrict.districts.registry.district_boundaries`, so that its area is measured
    in its local metric CRS (a layer spanning continents would be measured in one CRS for all).
    """
    import geopandas as gpd
    import pandas as pd

    from ..districts.registry import district_boundaries, district_slugs

    rows: list[dict[str, Any]] = []
    geoms = []
    crs = None
    for slug in district_slugs():
        b = district_boundaries([slug])
        rec = b.data.iloc[0]
        published = rec.get("published_area_ha")
        rows.append(
            {
                "slug": slug,
                "name": str(rec["name"]),
                "city": rec.get("city"),
                "country": rec.get("country"),
                "area_ha": float(b.area_km2[0]) * 100.0,
                "published_area_ha": None if pd.isna(published) else float(published),
                "metric_crs": b.metric_crs.to_string(),
            }
        )
        geoms.append(rec.geometry)
        crs = b.data.crs
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=COLUMNS), geometry=geoms, crs=crs)


def _format(table: Any) -> str:
    """A plain-text table: text columns left-aligned, numbers right-aligned."""

    def published(v: Any) -> str:
        return "" if v is None or v != v else f"{v:,.2f}".rstrip("0").rstrip(".")

    cells = {
        "slug": [str(v) for v in table["slug"]],
        "name": [str(v) for v in table["name"]],
        "city": ["" if v is None else str(v) for v in table["city"]],
        "country": ["" if v is None else str(v) for v in table["country"]],
        "area_ha": [f"{v:,.1f}" for v in table["area_ha"]],
        "published_area_ha": [published(v) for v in table["published_area_ha"]],
        "metric_crs": [str(v) for v in table["metric_crs"]],
    }
    right = {"area_ha", "published_area_ha"}
    width = {c: max(len(c), *(len(v) for v in vals)) for c, vals in cells.items()}

    def line(values: dict[str, str]) -> str:
        return "  ".join(
            values[c].rjust(width[c]) if c in right else values[c].ljust(width[c]) for c in COLUMNS
        ).rstrip()

    rows = [line({c: c for c in COLUMNS})]
    rows += [line({c: cells[c][i] for c in COLUMNS}) for i in range(len(table))]
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from ..districts.registry import district_boundaries
    from ..errors import InputFileError
    from ..io.write import write_table
    from ..provenance import provenance_block

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".geojson", ".json"):
        raise InputFileError(
            f"{out}: districts --out writes GeoJSON; give a path ending in .geojson."
        )
    table = districts_table()
    print(_format(table))
    if out is not None:
        prov = provenance_block(
            boundaries=district_boundaries(),
            layers=[],
            parameters={
                "area_ha": "planar area in each district's own metric CRS (metric_crs)",
                "command": command_line(),
            },
        )
        write_table(table, out, provenance=prov)
        print(f"wrote {out} ({len(table)} districts, EPSG:4326)", file=sys.stderr)
    return 0

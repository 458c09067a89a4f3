"""Shipped districts and the benchmark registry of published figures.

``geodistrict/data/districts.geojson`` holds the district polygons drawn by this project (EPSG:4326,
RFC 7946), one feature per district with ``id`` (the slug, e.g. ``22at-barcelona``), ``name``,
``city``, ``country``, ``published_area_ha`` (when a publisher states one), ``source``,
``method``, ``accuracy``, ``date``, ``licence``, ``attribution`` and ``vintage``.

``geodistrict/data/benchmarks.yaml`` holds published figures per district: each with its indicator,
value, unit, year, whether it is a stock or a flow, the boundary it refers to and its source
(publisher, title, year, URL). Derived figures (firms per km², jobs per km²) are never stored:
they are computed from these.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..boundaries import Boundaries, prepare_boundaries
from ..errors import InputFileError, SchemaError
from ..io.datasets import boundaries_dir
from ..io.read import read_boundaries

__all__ = [
    "REGISTRY_COLUMNS",
    "load_districts",
    "district_slugs",
    "district_boundaries",
    "load_registry",
    "registry_figures",
    "resolve_district",
]

#: Columns of :func:`load_registry`.
REGISTRY_COLUMNS = [
    "slug",
    "indicator",
    "value",
    "unit",
    "year",
    "kind",
    "boundary",
    "publisher",
    "title",
    "source_year",
    "url",
    "note",
]


def load_districts() -> gpd.GeoDataFrame:
    """The shipped district polygons (EPSG:4326), indexed by position, ``id`` = slug."""
    path = boundaries_dir() / "districts.geojson"
    gdf = gpd.read_file(path, engine="pyogrio")
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise SchemaError(f"{path}: shipped districts must be stored in EPSG:4326.")
    return gdf


def district_slugs() -> list[str]:
    """Slugs of the shipped districts, in file order."""
    return [str(s) for s in load_districts()["id"]]


def district_boundaries(slugs: list[str] | None = None) -> Boundaries:
    """Shipped districts as :class:`Boundaries` (all, or the given slugs in that order)."""
    gdf = load_districts()
    if slugs is not None:
        known = list(gdf["id"])
        missing = [s for s in slugs if s not in known]
        if missing:
            raise SchemaError(
                f"unknown district(s) {missing}; shipped districts are {', '.join(known)} "
                "(or give a path to a polygon file)."
            )
        gdf = gdf.set_index("id").loc[slugs].reset_index()
    from ..layers import LayerInfo
    from ..provenance import known_attribution

    lic, att, vin = known_attribution("districts.geojson", gdf)
    info = LayerInfo(
        name="districts",
        source=str(boundaries_dir() / "districts.geojson"),
        kind="polygons",
        licence=lic,
        attribution=att,
        vintage=vin,
    )
    return prepare_boundaries(gdf, id="id", name="name", source="shipped districts", info=info)


def load_registry() -> pd.DataFrame:
    """All published figures as a long table with :data:`REGISTRY_COLUMNS`."""
    from .._yaml import safe_load

    path = boundaries_dir() / "benchmarks.yaml"
    if not path.exists():
        raise InputFileError(f"{path}: the benchmark registry is missing; reinstall geodistrict.")
    doc = safe_load(path.read_text(encoding="utf-8")) or []
    rows: list[dict[str, Any]] = []
    for entry in doc:
        slug = entry.get("slug")
        for fig in entry.get("figures", []):
            src = fig.get("source", {}) or {}
            rows.append(
                {
                    "slug": slug,
                    "indicator": fig.get("indicator"),
                    "value": fig.get("value"),
                    "unit": fig.get("unit"),
                    "year": fig.get("year"),
                    "kind": fig.get("kind", "stock"),
                    "boundary": fig.get("boundary"),
                    "publisher": src.get("publisher"),
                    "title": src.get("title"),
                    "source_year": src.get("year"),
                    "url": src.get("url"),
                    "note": fig.get("note"),
                }
            )
    reg = pd.DataFrame(rows, columns=REGISTRY_COLUMNS)
    bad = reg[reg["value"].isna() | reg["indicator"].isna() | reg["slug"].isna()]
    if len(bad):
        raise SchemaError(f"{path}: {len(bad)} figures lack a slug, indicator or value.")
    return reg


def registry_figures(slug: str) -> pd.DataFrame:
    """Published figures of one district (empty when the registry has none)."""
    reg = load_registry()
    return reg[reg["slug"] == slug].reset_index(drop=True)


def resolve_district(spec: str | Path) -> Boundaries:
    """A district given by slug (shipped) or by the path of a polygon file."""
    s = str(spec)
    if s in district_slugs():
        return district_boundaries([s])
    from ..io.datasets import is_name

    p = Path(s)
    if p.exists() or is_name(s):
        return read_boundaries(s)
    raise InputFileError(
        f"{s}: neither a shipped district ({', '.join(district_slugs())}) nor an existing file."
    )

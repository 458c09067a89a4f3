"""Shared pieces of the map layers: what they report, and geometry made ready for display.

Geometry is simplified in its own metric CRS (topology-preserving), then — here and nowhere
else in geodistrict — reprojected to EPSG:4326 for display and rounded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import CRS

from ..layers import LayerInfo
from ._legend import fmt

#: Display width the automatic simplification aims at: tolerance = extent / this.
DISPLAY_PX = 2000


@dataclass
class State:
    """What the layers added to the legend and footer, and where they lie."""

    bounds: list[tuple[float, float, float, float]] = field(default_factory=list)
    legend: list[str] = field(default_factory=list)
    sources: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    measured: list[str] = field(default_factory=list)
    method: list[str] = field(default_factory=list)
    display: list[str] = field(default_factory=list)
    basemap: list[str] = field(default_factory=list)

    def source(self, info: LayerInfo | Mapping[str, Any] | None) -> None:
        if info is None:
            return
        d = info.as_dict() if isinstance(info, LayerInfo) else dict(info)
        key = (d.get("name"), d.get("source"), d.get("attribution"))
        self.sources.setdefault(key, d)

    def crs(self, what: str, crs: Any) -> None:
        c = CRS.from_user_input(crs)
        self.measured.append(f"{what}: {c.to_string()} ({c.name})")


# ---------------------------------------------------------------------------------------------
# geometry


def tolerance(geoms: np.ndarray, simplify_m: float | None) -> float:
    if simplify_m is not None:
        return float(simplify_m)
    b = shapely.total_bounds(geoms)
    if not np.all(np.isfinite(b)):
        return 0.0
    return max(b[2] - b[0], b[3] - b[1]) / DISPLAY_PX


def simplify(geoms: np.ndarray, tol: float, *, coverage: bool) -> tuple[np.ndarray, str]:
    """Topology-preserving simplification: as a coverage when the polygons form one."""
    if tol <= 0:
        return geoms, "not simplified"
    if coverage and len(geoms) > 1:
        try:
            if bool(shapely.coverage_is_valid(geoms)):
                return (
                    np.asarray(shapely.coverage_simplify(geoms, tol), dtype=object),
                    f"simplified as a coverage to {fmt(tol, 3)} m (shared edges kept shared)",
                )
        except (AttributeError, shapely.errors.GEOSException, NotImplementedError):
            pass  # GEOS < 3.12: per-feature simplification below
    out = shapely.simplify(geoms, tol, preserve_topology=True)
    return np.asarray(out, dtype=object), f"simplified to {fmt(tol, 3)} m (topology preserved)"


def lonlat(geoms: np.ndarray, crs: Any, precision: int) -> tuple[np.ndarray, tuple]:
    """Geometries in EPSG:4326, rounded to ``precision`` decimals, and their bounds."""
    import geopandas as gpd

    g = np.asarray(gpd.GeoSeries(geoms, crs=crs).to_crs(4326).array, dtype=object)
    g = shapely.transform(g, lambda c: np.round(c, precision))
    b = shapely.total_bounds(g)
    return g, tuple(float(v) for v in b)


def features(geoms: np.ndarray, props: Sequence[dict]) -> list[dict]:
    return [
        {"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": p}
        for g, p in zip(geoms, props, strict=True)
        if g is not None and not g.is_empty
    ]


def metric_frame(gdf: Any, what: str) -> tuple[np.ndarray, CRS]:
    """Geometries of a GeoDataFrame in a metric CRS (its own when projected)."""
    from ..crs import as_crs, choose_metric_crs_for

    crs = as_crs(gdf.crs, what=what)
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    if crs.is_projected:
        return geoms, crs
    mcrs = choose_metric_crs_for(geoms, crs)
    return np.asarray(gdf.geometry.to_crs(mcrs).array, dtype=object), mcrs


def hint_simplify(tol: float) -> str:
    """How to make a polygon layer smaller."""
    new = float(f"{max(2 * tol, 10.0):.2g}")
    return f"simplify more (simplify_m={new:g}, CLI --simplify {new:g}; now {fmt(tol, 3)} m)"

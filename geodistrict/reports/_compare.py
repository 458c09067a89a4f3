"""Nearest comparable districts: a place's leading cluster against the benchmark districts.

A region (a LEP, a county) and an innovation district differ in scale by two or three orders
of magnitude, so the report compares like with like: the place's *leading cluster* (its
largest hot-spot outline by postcodes) against the shipped district polygons, both measured
with the same postcode and university layers, on size and postcode density. Districts
outside the postcode layer's coverage (Barcelona, Medellín, Melbourne) are listed with their
published figures but not ranked, as nothing measured the same way exists for them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..layers import PointLayer

__all__ = ["measure_benchmarks", "nearest_benchmarks", "BENCHMARK_COLUMNS"]

BENCHMARK_COLUMNS = [
    "slug",
    "name",
    "city",
    "country",
    "area_ha",
    "postcodes",
    "postcodes_per_km2",
    "universities",
    "firms",
    "firms_year",
    "jobs",
    "jobs_year",
    "published_area_ha",
]


def _latest(reg: pd.DataFrame, slug: str, indicator: str) -> tuple[float, Any]:
    r = reg[(reg["slug"] == slug) & (reg["indicator"] == indicator) & (reg["kind"] == "stock")]
    if r.empty:
        return math.nan, None
    r = r.sort_values("year")
    return float(r["value"].iloc[-1]), int(r["year"].iloc[-1])


def _count_in(poly: Any, crs: Any, layer: PointLayer | None) -> float:
    """Points of ``layer`` in ``poly`` (NaN when the polygon lies outside the layer's cover)."""
    from ..crs import transform_geoms, transform_xy

    if layer is None or len(layer) == 0:
        return math.nan
    gx, gy = shapely.get_coordinates(poly).T
    px, py = transform_xy(gx, gy, crs, layer.crs)
    x0, y0, x1, y1 = px.min(), py.min(), px.max(), py.max()
    pad = 10_000.0 if not layer.crs.is_geographic else 0.1
    near = (layer.x >= x0 - pad) & (layer.x <= x1 + pad) & (layer.y >= y0 - pad)
    near &= layer.y <= y1 + pad
    if not near.any():
        return math.nan
    idx = np.flatnonzero(near)
    local = transform_geoms(poly, crs, layer.crs)
    shapely.prepare(local)
    inside = shapely.contains_xy(local, layer.x[idx], layer.y[idx])
    return float(inside.sum())


def measure_benchmarks(
    postcodes: PointLayer | None, universities: PointLayer | None
) -> pd.DataFrame:
    """The shipped districts measured with the run's layers, plus their published figures.

    Parameters
    ----------
    postcodes, universities : PointLayer or None
        The layers the places are measured with.

    Returns
    -------
    pandas.DataFrame
        :data:`BENCHMARK_COLUMNS`; ``postcodes`` is NaN for a district outside the postcode
        layer's coverage. Registry districts without a shipped polygon appear with their
        published figures only.
    """
    from ..districts.registry import district_boundaries, load_registry

    reg = load_registry()
    b = district_boundaries()  # districts.geojson, read once: polygons and their fields
    meta = b.data.drop(columns="geometry").set_index("id")
    rows = []
    for i, slug in enumerate(b.ids):
        poly = b.metric[i]
        area_ha = float(shapely.area(poly)) / 1e4
        pcs = _count_in(poly, b.metric_crs, postcodes)
        unis = _count_in(poly, b.metric_crs, universities) if not math.isnan(pcs) else math.nan
        firms, fy = _latest(reg, slug, "firms")
        jobs, jy = _latest(reg, slug, "jobs")
        m = meta.loc[slug]
        rows.append(
            {
                "slug": slug,
                "name": str(b.names[i]),
                "city": m.get("city"),
                "country": m.get("country"),
                "area_ha": area_ha,
                "postcodes": pcs,
                "postcodes_per_km2": pcs / (area_ha / 100) if area_ha else math.nan,
                "universities": unis,
                "firms": firms,
                "firms_year": fy,
                "jobs": jobs,
                "jobs_year": jy,
                "published_area_ha": m.get("published_area_ha"),
            }
        )
    for slug in sorted(set(reg["slug"]) - set(b.ids)):
        firms, fy = _latest(reg, slug, "firms")
        jobs, jy = _latest(reg, slug, "jobs")
        area, _ = _latest(reg, slug, "area")
        rows.append(
            {
                "slug": slug,
                "name": slug.replace("-", " ").title(),
                "area_ha": math.nan,
                "postcodes": math.nan,
                "postcodes_per_km2": math.nan,
                "universities": math.nan,
                "firms": firms,
                "firms_year": fy,
                "jobs": jobs,
                "jobs_year": jy,
                "published_area_ha": area,
            }
        )
    return pd.DataFrame(rows, columns=BENCHMARK_COLUMNS)


def nearest_benchmarks(
    area_ha: float, postcodes_per_km2: float, benchmarks: pd.DataFrame, *, n: int = 3
) -> pd.DataFrame:
    """Benchmark districts ranked by likeness in size and postcode density.

    The distance is the root mean square of the base-10 log ratios of area and postcode
    density: 0 for an identical district, 1 for one ten times larger (or denser) on both.

    Parameters
    ----------
    area_ha, postcodes_per_km2 : float
        The measures of the cluster being compared.
    benchmarks : pandas.DataFrame
        From :func:`measure_benchmarks`.
    n : int
        How many to return.

    Returns
    -------
    pandas.DataFrame
        The ``n`` nearest measured districts with ``distance``, ``area_ratio`` (cluster /
        district) and ``density_ratio``; districts without both measures are left out.

    Examples
    --------
    >>> bm = pd.DataFrame({"slug": ["a", "b", "c"], "area_ha": [100.0, 1000.0, 50.0],
    ...                    "postcodes_per_km2": [1000.0, 1000.0, float("nan")]})
    >>> r = nearest_benchmarks(100.0, 1000.0, bm, n=2)
    >>> r["slug"].tolist(), r["distance"].round(4).tolist()
    (['a', 'b'], [0.0, 0.7071])
    """
    ok = benchmarks.dropna(subset=["area_ha", "postcodes_per_km2"])
    ok = ok[(ok["area_ha"] > 0) & (ok["postcodes_per_km2"] > 0)].copy()
    if ok.empty or not (area_ha > 0 and postcodes_per_km2 > 0):
        return ok.iloc[0:0].assign(distance=[], area_ratio=[], density_ratio=[])
    ok["area_ratio"] = area_ha / ok["area_ha"]
    ok["density_ratio"] = postcodes_per_km2 / ok["postcodes_per_km2"]
    ok["distance"] = np.sqrt(
        (np.log10(ok["area_ratio"]) ** 2 + np.log10(ok["density_ratio"]) ** 2) / 2
    )
    return ok.sort_values(["distance", "slug"]).head(n).reset_index(drop=True)

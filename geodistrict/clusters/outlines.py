"""Cluster outlines: density-based clusters of points, significant grid cells, and comparisons.

* :func:`dbscan_outlines` and :func:`hdbscan_outlines` cluster points on metric coordinates
  (scikit-learn's DBSCAN and HDBSCAN) and draw an outline around each cluster: a concave hull
  (``shapely.concave_hull``), the convex hull, or the union of buffers around the members.
* :func:`outline_cells` dissolves contiguous selected grid cells (a KDE surface above a
  threshold, cells with a significant Gi* z-score) into polygons: the generic
  "significance-based outline".
* :func:`compare_outline` measures how an outline and a district overlap.

Every point is accounted for: :attr:`ClusterResult.labels` is aligned with the input points
and holds a cluster number (0 is the largest cluster), ``-1`` for noise, or ``-2`` for a
point outside the ``within`` window; ``clustered + noise + outside == n_input``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import CRS

from ..errors import ArgumentTypeError, CRSError, EmptyLayerError, ParameterError
from .ripley import as_window, inside_window, points_xy

__all__ = [
    "ClusterResult",
    "OUTSIDE",
    "NOISE",
    "compare_outline",
    "dbscan_outlines",
    "hdbscan_outlines",
    "outline_cells",
]

#: Label of a point that belongs to no cluster.
NOISE = -1
#: Label of a point outside the ``within`` window (not clustered at all).
OUTSIDE = -2
#: Columns of :attr:`ClusterResult.outlines` (before ``geometry``).
OUTLINE_COLUMNS = ["cluster", "points", "area_km2", "points_per_km2", "outline"]


@dataclass(frozen=True)
class ClusterResult:
    """Clusters of points and their outlines.

    Attributes
    ----------
    labels : numpy.ndarray
        One int per input point (same order): cluster number (0 = most points), ``-1`` noise,
        ``-2`` outside the ``within`` window.
    outlines : geopandas.GeoDataFrame
        One row per cluster: ``cluster``, ``points``, ``area_km2``, ``points_per_km2``,
        ``outline`` (how it was drawn: ``"concave"``, ``"convex"``, ``"buffer"``, or
        ``"buffered"`` for a cluster whose hull is a point or a line) and the geometry, in
        :attr:`crs`.
    noise : int
        Points that belong to no cluster.
    outside : int
        Points outside the ``within`` window (0 without one).
    n_input : int
        Points given: ``clustered + noise + outside == n_input``.
    method : str
        ``"dbscan"`` or ``"hdbscan"``.
    parameters : dict
        The clustering and outline parameters used.
    crs : pyproj.CRS
        Metric CRS of the clustering and of the outlines.
    window : str or None
        The ``within`` window, described.
    """

    labels: np.ndarray
    outlines: Any
    noise: int
    outside: int
    n_input: int
    method: str
    parameters: dict[str, Any] = field(default_factory=dict)
    crs: CRS | None = None
    window: str | None = None

    @property
    def n_clusters(self) -> int:
        """Number of clusters."""
        return int(len(self.outlines))

    @property
    def clustered(self) -> int:
        """Points in some cluster."""
        return int((self.labels >= 0).sum())

    def report(self) -> dict[str, Any]:
        """Plain-dict summary: parameters, counts that add up, and one entry per cluster."""
        return {
            "method": self.method,
            "parameters": dict(self.parameters),
            "crs": self.crs.to_string() if self.crs is not None else None,
            "window": self.window,
            "n_clusters": self.n_clusters,
            "points": {
                "input": int(self.n_input),
                "clustered": self.clustered,
                "noise": int(self.noise),
                "outside_window": int(self.outside),
            },
            "clusters": [
                {
                    "cluster": int(r["cluster"]),
                    "points": int(r["points"]),
                    "area_km2": float(r["area_km2"]),
                    "points_per_km2": float(r["points_per_km2"]),
                    "outline": r["outline"],
                }
                for r in self.outlines.drop(columns="geometry").to_dict("records")
            ],
        }


# ------------------------------------------------------------------------------------------------
# shared steps


def _metric_points(
    points: Any,
    within: Any,
    metric_crs: object | None,
    within_crs: object | None,
    boundary: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, CRS, str | None]:
    """Metric coordinates of all points, the mask of those to cluster, the CRS, the window."""
    from ..crs import as_crs, choose_metric_crs
    from ..layers import PointLayer

    src_crs = points.crs if isinstance(points, PointLayer) else getattr(points, "crs", None)
    if within is not None:
        win = as_window(within, crs=within_crs, boundary=boundary, fallback=src_crs)
        crs, desc = win.crs, win.description
    elif metric_crs is not None:
        crs, desc = as_crs(metric_crs, what="metric_crs"), None
    elif src_crs is None:
        raise CRSError(
            "points are a bare array: give metric_crs= (the CRS of the coordinates, in metres)."
        )
    else:
        src = as_crs(src_crs, what="points")
        if isinstance(points, PointLayer):
            x0, y0 = points.x, points.y
        else:
            x0, y0 = points_xy(points, src)
        ok0 = np.isfinite(x0) & np.isfinite(y0)
        if not ok0.any():
            raise EmptyLayerError("points: no usable coordinates; check the layer.")
        bounds = (x0[ok0].min(), y0[ok0].min(), x0[ok0].max(), y0[ok0].max())
        crs, desc = choose_metric_crs(bounds, src), None
    if crs.is_geographic:
        raise CRSError(f"metric_crs {crs.to_string()} is in degrees; use a projected CRS.")
    x, y = points_xy(points, crs)
    ok = np.isfinite(x) & np.isfinite(y)
    use = ok.copy()
    if within is not None:
        use &= inside_window(win.geometry, np.where(ok, x, 0.0), np.where(ok, y, 0.0))
    return x, y, use, crs, desc


def _relabel_by_size(raw: np.ndarray) -> np.ndarray:
    """Renumber cluster labels so that 0 is the largest cluster (ties: first seen)."""
    out = np.full(len(raw), NOISE, dtype=np.int64)
    member = raw >= 0
    if not member.any():
        return out
    ids, first, counts = np.unique(raw[member], return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    new = np.empty(len(ids), dtype=np.int64)
    new[order] = np.arange(len(ids))
    out[member] = new[np.searchsorted(ids, raw[member])]
    return out


def _hull(xy: np.ndarray, hull: str, ratio: float, buffer_m: float | None) -> tuple[Any, str]:
    xy = np.unique(xy, axis=0)  # postcodes and firms stack on one address
    if hull == "buffer":
        # a union of discs is ~15x faster than buffering the MultiPoint
        return shapely.union_all(shapely.buffer(shapely.points(xy), buffer_m)), "buffer"
    pts = shapely.multipoints(xy)
    geom = shapely.concave_hull(pts, ratio=ratio) if hull == "concave" else pts.convex_hull
    if geom.geom_type != "Polygon" or geom.area == 0:
        # all members on one spot or one line: a hull without area
        return shapely.buffer(geom, buffer_m or 1.0), "buffered"
    return geom, hull


def _outlines_frame(
    x: np.ndarray, y: np.ndarray, labels: np.ndarray, crs: CRS, hull: str, ratio: float, buf
):
    import geopandas as gpd

    rows, geoms = [], []
    for c in range(int(labels.max()) + 1 if (labels >= 0).any() else 0):
        m = labels == c
        geom, how = _hull(np.column_stack([x[m], y[m]]), hull, ratio, buf)
        area_km2 = float(geom.area) / 1e6
        rows.append(
            {
                "cluster": c,
                "points": int(m.sum()),
                "area_km2": area_km2,
                "points_per_km2": int(m.sum()) / area_km2,
                "outline": how,
            }
        )
        geoms.append(geom)
    frame = gpd.GeoDataFrame(
        rows or {c: [] for c in OUTLINE_COLUMNS}, geometry=geoms or [], crs=crs
    )
    return frame.astype({"cluster": "int64", "points": "int64"})


_HULLS = ("concave", "convex", "buffer")


def _check_hull(hull: str, ratio: float, buffer_m: float | None) -> None:
    if hull not in _HULLS:
        raise ParameterError(f"hull={hull!r} is not one of {list(_HULLS)}")
    if not 0.0 <= ratio <= 1.0:
        raise ParameterError(f"ratio={ratio} must lie between 0 (most concave) and 1 (convex)")
    if buffer_m is not None and not buffer_m > 0:
        raise ParameterError(f"buffer_m={buffer_m} must be a positive distance in metres")


def _cluster(
    points: Any,
    fit: Callable[[np.ndarray], np.ndarray],
    *,
    method: str,
    parameters: dict[str, Any],
    within: Any,
    within_crs: object | None,
    boundary: str | None,
    metric_crs: object | None,
    hull: str,
    ratio: float,
    buffer_m: float | None,
) -> ClusterResult:
    x, y, use, crs, desc = _metric_points(points, within, metric_crs, within_crs, boundary)
    labels = np.full(len(x), OUTSIDE, dtype=np.int64)
    if use.any():
        labels[use] = _relabel_by_size(fit(np.column_stack([x[use], y[use]])))
    frame = _outlines_frame(x, y, labels, crs, hull, ratio, buffer_m)
    return ClusterResult(
        labels=labels,
        outlines=frame,
        noise=int((labels == NOISE).sum()),
        outside=int((labels == OUTSIDE).sum()),
        n_input=len(labels),
        method=method,
        parameters={**parameters, "hull": hull, "ratio": ratio, "buffer_m": buffer_m},
        crs=crs,
        window=desc,
    )


# ------------------------------------------------------------------------------------------------
# public functions


def dbscan_outlines(
    points: Any,
    *,
    eps_m: float,
    min_points: int,
    within: Any = None,
    hull: str = "concave",
    buffer_m: float | None = None,
    ratio: float = 0.3,
    boundary: str | None = None,
    metric_crs: object | None = None,
    within_crs: object | None = None,
) -> ClusterResult:
    """DBSCAN clusters of points, in metres, with an outline around each.

    Parameters
    ----------
    points : PointLayer, GeoDataFrame of points or (n, 2) array
        Reprojected to the metric CRS (an array must be in ``metric_crs`` already).
    eps_m : float
        Neighbourhood radius in metres.
    min_points : int
        Points within ``eps_m`` (the point itself included) that make a core point
        (scikit-learn's ``min_samples``).
    within : Boundaries, GeoDataFrame or shapely polygon, optional
        Cluster only the points inside this window (the others are labelled ``-2``); its
        metric CRS is used.
    boundary : str, optional
        Id or name of the one boundary of ``within`` to use (default: all, united).
    hull : {"concave", "convex", "buffer"}
        Outline of a cluster: ``shapely.concave_hull(members, ratio)``, the convex hull, or the
        union of discs of radius ``buffer_m`` around the members.
    buffer_m : float, optional
        Disc radius for ``hull="buffer"``, also used to give a hull without area (members on
        one spot or one line) a shape; default ``eps_m / 2`` (discs of neighbouring core points
        touch, so each DBSCAN cluster's buffer outline is connected).
    ratio : float
        Concave hull ratio (0: most concave, 1: convex hull).
    metric_crs : str or pyproj.CRS, optional
        Cluster in this projected CRS (default: the window's, else chosen from the points:
        EPSG:27700 in Great Britain, UTM elsewhere).
    within_crs : str or pyproj.CRS, optional
        CRS of a bare shapely ``within``.

    Returns
    -------
    ClusterResult

    Examples
    --------
    Two tight groups of 5 points 1 km apart and one stray point:

    >>> import numpy as np
    >>> xy = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [5, 5],
    ...                [1000, 0], [1010, 0], [1000, 10], [1010, 10], [1005, 5], [500, 500]])
    >>> r = dbscan_outlines(xy, eps_m=20, min_points=3, metric_crs=27700, hull="convex")
    >>> r.labels.tolist(), r.noise, r.n_clusters
    ([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, -1], 1, 2)
    >>> r.outlines["area_km2"].round(6).tolist()  # convex hulls: 10 m squares
    [0.0001, 0.0001]
    """
    if not eps_m > 0:
        raise ParameterError(f"eps_m={eps_m} must be a positive distance in metres")
    if int(min_points) < 1:
        raise ParameterError(f"min_points={min_points} must be at least 1")
    buf = float(buffer_m) if buffer_m is not None else float(eps_m) / 2.0
    _check_hull(hull, ratio, buf)

    def fit(xy: np.ndarray) -> np.ndarray:
        from sklearn.cluster import DBSCAN

        return DBSCAN(eps=float(eps_m), min_samples=int(min_points)).fit_predict(xy)

    return _cluster(
        points,
        fit,
        method="dbscan",
        parameters={"eps_m": float(eps_m), "min_points": int(min_points)},
        within=within,
        within_crs=within_crs,
        boundary=boundary,
        metric_crs=metric_crs,
        hull=hull,
        ratio=ratio,
        buffer_m=buf,
    )


def hdbscan_outlines(
    points: Any,
    *,
    min_cluster_size: int,
    min_samples: int | None = None,
    within: Any = None,
    hull: str = "concave",
    buffer_m: float | None = None,
    ratio: float = 0.3,
    boundary: str | None = None,
    metric_crs: object | None = None,
    within_crs: object | None = None,
) -> ClusterResult:
    """HDBSCAN clusters of points, in metres, with an outline around each.

    HDBSCAN needs no distance: it keeps the clusters that persist over a range of densities.

    Parameters
    ----------
    points : PointLayer, GeoDataFrame of points or (n, 2) array
        As for :func:`dbscan_outlines`.
    min_cluster_size : int
        Smallest group of points considered a cluster.
    min_samples : int, optional
        Neighbours that make a core point (default: ``min_cluster_size``); larger values
        declare more points noise.
    within, boundary, hull, ratio, metric_crs, within_crs
        As for :func:`dbscan_outlines`.
    buffer_m : float, optional
        Disc radius; required for ``hull="buffer"`` (there is no ``eps`` to derive it from).
        Hulls without area are buffered by ``buffer_m`` or 1 m.

    Returns
    -------
    ClusterResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> xy = np.vstack([rng.normal(0, 20, (60, 2)), rng.normal(3000, 20, (60, 2))])
    >>> r = hdbscan_outlines(xy, min_cluster_size=20, metric_crs=27700)
    >>> r.n_clusters, r.clustered + r.noise == len(xy)
    (2, True)
    """
    if int(min_cluster_size) < 2:
        raise ParameterError(f"min_cluster_size={min_cluster_size} must be at least 2")
    if min_samples is not None and int(min_samples) < 1:
        raise ParameterError(f"min_samples={min_samples} must be at least 1")
    if hull == "buffer" and buffer_m is None:
        raise ParameterError("hull='buffer' with HDBSCAN needs buffer_m (a radius in metres)")
    _check_hull(hull, ratio, buffer_m)

    def fit(xy: np.ndarray) -> np.ndarray:
        from sklearn.cluster import HDBSCAN

        if len(xy) < 2:
            return np.full(len(xy), NOISE)
        return HDBSCAN(
            min_cluster_size=int(min_cluster_size),
            min_samples=None if min_samples is None else int(min_samples),
            copy=True,
        ).fit_predict(xy)

    return _cluster(
        points,
        fit,
        method="hdbscan",
        parameters={
            "min_cluster_size": int(min_cluster_size),
            "min_samples": None if min_samples is None else int(min_samples),
        },
        within=within,
        within_crs=within_crs,
        boundary=boundary,
        metric_crs=metric_crs,
        hull=hull,
        ratio=ratio,
        buffer_m=buffer_m,
    )


def outline_cells(grid: Any, selected: Any) -> Any:
    """Dissolve contiguous selected grid cells into outline polygons.

    Cells that share an edge merge; cells that touch only at a corner stay apart (rook
    contiguity). Use it with any cell-wise test: KDE above a threshold, Gi* z above 1.96.

    Parameters
    ----------
    grid : geopandas.GeoDataFrame
        Cell polygons with a CRS.
    selected : numpy.ndarray or pandas.Series of bool
        One flag per cell (a Series is aligned on the grid's index).

    Returns
    -------
    geopandas.GeoDataFrame
        ``outline`` (0 = largest), ``cells`` (selected cells inside), ``area_km2`` (measured
        in a metric CRS) and the geometry in the grid's CRS; largest first.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, shapely
    >>> cells = [shapely.box(i * 100, j * 100, i * 100 + 100, j * 100 + 100)
    ...          for j in range(2) for i in range(3)]
    >>> grid = gpd.GeoDataFrame(geometry=cells, crs=27700)
    >>> out = outline_cells(grid, np.array([True, True, False, False, False, True]))
    >>> out[["cells", "area_km2"]].values.tolist()
    [[2.0, 0.02], [1.0, 0.01]]
    """
    import geopandas as gpd
    import pandas as pd

    from ..crs import choose_metric_crs_for

    if grid.crs is None:
        raise CRSError("grid has no CRS: set one first, e.g. grid.set_crs('EPSG:27700').")
    if isinstance(selected, pd.Series):
        if len(selected) == len(grid) and selected.index.equals(grid.index):
            sel = selected.to_numpy()
        else:
            sel = selected.reindex(grid.index).to_numpy()
    else:
        sel = np.asarray(selected)
    if len(sel) != len(grid):
        raise ParameterError(f"selected has {len(sel)} flags for {len(grid)} grid cells")
    if sel.dtype != bool:
        if pd.isna(sel).any() or not np.isin(sel, [0, 1, True, False]).all():
            raise ParameterError(
                "selected must be True/False per cell (e.g. gi_z > 1.96), not values or NaN"
            )
        sel = sel.astype(bool)
    cells = np.asarray(grid.geometry.array, dtype=object)[sel]
    columns: dict[str, list[Any]] = {"outline": [], "cells": [], "area_km2": []}
    if len(cells) == 0:
        return gpd.GeoDataFrame(columns, geometry=[], crs=grid.crs)
    parts = shapely.get_parts(shapely.union_all(cells))
    parts = parts[np.isin(shapely.get_type_id(parts), [3])]  # polygons only
    tree = shapely.STRtree(parts)
    probe, part = tree.query(shapely.point_on_surface(cells), predicate="intersects")
    first = np.full(len(cells), -1)
    first[probe[::-1]] = part[::-1]  # a probe on a shared edge: keep its first part
    counts = np.bincount(first[first >= 0], minlength=len(parts))
    gs = gpd.GeoSeries(parts, crs=grid.crs)
    mcrs = grid.crs if grid.crs.is_projected else choose_metric_crs_for(parts, grid.crs)
    area = gs.to_crs(mcrs).area.to_numpy() / 1e6
    order = np.lexsort((-counts, -area))
    return gpd.GeoDataFrame(
        {"outline": np.arange(len(parts)), "cells": counts[order], "area_km2": area[order]},
        geometry=gs.iloc[order].to_numpy(),
        crs=grid.crs,
    )


def _as_geometry(obj: Any, crs: object | None, what: str) -> tuple[Any, CRS]:
    """A single (Multi)Polygon and its CRS from Boundaries, a frame, a result or a geometry."""
    from ..boundaries import Boundaries
    from ..crs import as_crs

    if isinstance(obj, ClusterResult):
        obj = obj.outlines
    if isinstance(obj, Boundaries):
        return shapely.union_all(np.asarray(obj.metric, dtype=object)), obj.metric_crs
    if hasattr(obj, "geometry") and hasattr(obj, "crs"):
        gs = obj.geometry
        if gs.crs is None:
            raise CRSError(f"{what} has no CRS: set one first, e.g. .set_crs('EPSG:27700').")
        return shapely.union_all(np.asarray(gs.array, dtype=object)), gs.crs
    if isinstance(obj, shapely.Geometry):
        return obj, as_crs(crs, what=f"{what} (a bare shapely geometry: pass crs=)")
    raise ArgumentTypeError(
        f"{what} must be Boundaries, a GeoDataFrame/GeoSeries, a ClusterResult or a shapely "
        f"geometry, not {type(obj).__name__}"
    )


def compare_outline(outline: Any, district: Any, *, crs: object | None = None) -> dict[str, Any]:
    """How much an outline and a district overlap, measured in metres.

    Parameters
    ----------
    outline, district : Boundaries, GeoDataFrame/GeoSeries, ClusterResult or shapely geometry
        Several features are united first. Any CRS: both are brought to one metric CRS
        (the district's when it is Boundaries, else chosen from the data).
    crs : str or pyproj.CRS, optional
        CRS of a bare shapely geometry.

    Returns
    -------
    dict
        ``overlap_share`` (area of outline ∩ district / area of outline),
        ``district_covered_share`` (∩ / district), ``jaccard`` (∩ / ∪), the areas
        ``outline_km2``, ``district_km2``, ``intersection_km2``, ``union_km2`` and
        ``metric_crs``.

    Examples
    --------
    Two 1 km squares offset by half a side overlap by 0.5 km²:

    >>> import shapely
    >>> c = compare_outline(shapely.box(0, 0, 1000, 1000), shapely.box(500, 0, 1500, 1000),
    ...                     crs=27700)
    >>> c["overlap_share"], c["district_covered_share"], round(c["jaccard"], 4)
    (0.5, 0.5, 0.3333)
    """
    from ..boundaries import Boundaries
    from ..crs import choose_metric_crs_for

    a, a_crs = _as_geometry(outline, crs, "outline")
    b, b_crs = _as_geometry(district, crs, "district")
    if isinstance(district, Boundaries):
        mcrs = district.metric_crs
    elif a_crs.is_projected and a_crs.equals(b_crs):
        mcrs = a_crs
    else:
        mcrs = choose_metric_crs_for(np.array([a], dtype=object), a_crs)
    import geopandas as gpd

    a = gpd.GeoSeries([a], crs=a_crs).to_crs(mcrs).iloc[0]
    b = gpd.GeoSeries([b], crs=b_crs).to_crs(mcrs).iloc[0]
    if a.is_empty or a.area == 0:
        raise EmptyLayerError("outline is empty (no clusters?): nothing to compare.")
    if b.is_empty or b.area == 0:
        raise EmptyLayerError("district is empty: nothing to compare.")
    inter = float(shapely.intersection(a, b).area)
    union = float(shapely.union(a, b).area)
    return {
        "overlap_share": inter / a.area,
        "district_covered_share": inter / b.area,
        "jaccard": inter / union,
        "outline_km2": a.area / 1e6,
        "district_km2": b.area / 1e6,
        "intersection_km2": inter / 1e6,
        "union_km2": union / 1e6,
        "metric_crs": mcrs.to_string(),
    }

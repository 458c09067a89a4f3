"""Accounting point-in-polygon join: every point matched, multi, unmatched or rejected.

The assignment is exactly ``geopandas.sjoin(points, polygons, predicate="within")`` — a point
on a boundary line is in neither polygon — computed on coordinate arrays, without building
point objects, through a rasterised look-up table (:class:`PolygonGrid`):

1. a regular grid of about 1.25 √n cells a side (2048 for the 2.7 M UK postcodes) is laid
   over the polygons and classified by rasterising their edges, with no geometry test: the
   cells each ring segment passes through are *edge* cells of its polygon; scanlines through
   the cell centres give every other cell's winding number, so each holds the one polygon
   whose interior contains it, no polygon, or a short list where polygons overlap;
2. a point takes its cell's polygon with one array look-up (in cache-sized blocks, on
   several threads);
3. a point in an edge cell is decided exactly: walking from the cell centre (whose winding
   is known) to the point, each boundary segment crossed adds or removes a turn, with
   orientation signs that are exact or left to GEOS (``shapely.contains_xy``).

The table of a polygon set is kept for the next calls on the same geometries
(:func:`cached_polygon_grid`) and pickles, so a Dask cluster builds it once per worker.
Overlapping polygons give a point several matches: it is ``multi``, counted in each, and the
pairs of boundaries it fell in are reported. :class:`JoinTally` sums what a join adds to a
profile over batches of points, exactly (the Dask path, :mod:`geodistrict.scale`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely

from .._progress import progress, progress_enabled
from ..boundaries import Boundaries
from ..crs import check_swapped_against, transformer
from ..layers import PointLayer
from .grid import assign_with_grid, check_finite_xy
from .tally import (
    MATCHED,
    MULTI,
    SNAPPED,
    UNMATCHED,
    JoinTally,
    category_counts,
    country_counts,
    country_report,
    status_bincount,
    status_counts,
    weight_sums,
)

__all__ = ["Assignment", "JoinResult", "assign_points", "join_points"]

_STATUS_NAMES = {UNMATCHED: "unmatched", MATCHED: "matched", MULTI: "multi", SNAPPED: "snapped"}


@dataclass(frozen=True)
class Assignment:
    """Point → polygon pairs.

    Attributes
    ----------
    point : numpy.ndarray
        Point index of each pair (in no particular order; see :meth:`sorted`).
    polygon : numpy.ndarray
        Polygon index of each pair.
    n_points : int
        Number of points assigned.
    """

    point: np.ndarray
    polygon: np.ndarray
    n_points: int

    def sorted(self) -> Assignment:
        """The pairs ordered by point, then polygon."""
        order = np.lexsort((self.polygon, self.point))
        return Assignment(self.point[order], self.polygon[order], self.n_points)

    def matches_per_point(self) -> np.ndarray:
        """How many polygons each point fell in."""
        return np.bincount(self.point, minlength=self.n_points)


def assign_points(
    x: np.ndarray,
    y: np.ndarray,
    polygons: np.ndarray,
    *,
    method: str = "grid",
    show_progress: bool | None = None,
) -> Assignment:
    """Assign points to the polygons whose interior contains them.

    Parameters
    ----------
    x, y : numpy.ndarray
        Point coordinates, in the same CRS as ``polygons``; must be finite.
    polygons : numpy.ndarray
        Valid shapely (Multi)Polygons.
    method : {"grid", "prepared"}
        ``"grid"`` looks points up in a rasterised table of the polygons and decides the few
        near an edge exactly (fastest; the table is kept for later calls on the same
        geometries, see :class:`PolygonGrid`; invalid polygons fall back to ``"prepared"``);
        ``"prepared"`` tests every point in each polygon's bounding box against the prepared
        polygon. Both give identical results.

    Returns
    -------
    Assignment

    Examples
    --------
    >>> import shapely, numpy as np
    >>> squares = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 0, 3, 2)])
    >>> a = assign_points(np.array([0.5, 1.5, 2.0, 5.0]), np.array([1.0, 1.0, 0.0, 1.0]), squares)
    >>> a = a.sorted()
    >>> a.point.tolist(), a.polygon.tolist()
    ([0, 1, 1], [0, 0, 1])
    """
    methods = {"grid": _assign_grid, "prepared": _assign_prepared}
    if method not in methods:
        from ..errors import ParameterError

        raise ParameterError(f"method={method!r} is not one of {sorted(methods)}")
    x = np.ascontiguousarray(x, dtype="float64")
    y = np.ascontiguousarray(y, dtype="float64")
    polygons = np.asarray(polygons, dtype=object)
    if show_progress is None:
        show_progress = progress_enabled() and len(x) > 1_000_000
    if len(x) == 0 or len(polygons) == 0:
        e = np.empty(0, dtype=np.int64)
        return Assignment(e, e, len(x))
    shapely.prepare(polygons)
    pt, pg = methods[method](x, y, polygons, show_progress)
    return Assignment(pt, pg, len(x))


def _assign_prepared(x, y, polygons, show_progress):
    check_finite_xy(x, y)  # as the table look-up does: a NaN point is an error, not "outside"
    pts, pgs = [], []
    bounds = shapely.bounds(polygons)
    it = range(len(polygons))
    if show_progress:
        it = progress(it, desc="joining", total=len(polygons), unit="polygon")
    for i in it:
        minx, miny, maxx, maxy = bounds[i]
        cand = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
        hit = cand[shapely.contains_xy(polygons[i], x[cand], y[cand])]
        pts.append(hit)
        pgs.append(np.full(len(hit), i, dtype=np.int64))
    return np.concatenate(pts).astype(np.int64), np.concatenate(pgs)


def _assign_grid(x, y, polygons, show_progress):
    pairs = assign_with_grid(x, y, polygons)
    if pairs is None:  # not a set of valid (Multi)Polygons: test every candidate exactly
        return _assign_prepared(x, y, polygons, show_progress)
    return pairs


@dataclass(frozen=True)
class JoinResult:
    """The accounting join of one point layer to a boundary set.

    Attributes
    ----------
    layer : PointLayer
        The points, in the boundaries' metric CRS.
    boundaries : Boundaries
        The polygons.
    assignment : Assignment
        Point → boundary pairs (snapped points included).
    status : numpy.ndarray
        Per point: 0 unmatched, 1 matched, 2 multi, 3 snapped (matched by ``snap_m``).
    snap_m : float or None
        The snapping distance used.
    snap_distance_m : numpy.ndarray
        Distance to the boundary each snapped point was assigned to (NaN elsewhere; a
        read-only array when no point was snapped).
    checks : dict
        Consistency checks (e.g. LAD country of postcodes vs the boundary they fell in).
    country_tally : dict
        The raw counts behind ``checks`` (:func:`geodistrict.join.tally.country_counts`),
        which sum over batches of points.
    """

    layer: PointLayer
    boundaries: Boundaries
    assignment: Assignment
    status: np.ndarray
    snap_m: float | None = None
    snap_distance_m: np.ndarray = field(default_factory=lambda: np.empty(0))
    checks: dict[str, Any] = field(default_factory=dict)
    country_tally: dict[str, Any] = field(default_factory=dict, repr=False)

    def counts(self) -> np.ndarray:
        """Number of points in each boundary (multi points count in each of theirs)."""
        return np.bincount(self.assignment.polygon, minlength=len(self.boundaries))

    def sums(self, column: str) -> tuple[np.ndarray, int]:
        """Sum of a numeric attribute per boundary, and how many assigned points lacked it."""
        a = self.assignment
        return weight_sums(self.layer.attributes[column], a.point, a.polygon, len(self.boundaries))

    def counts_by(self, column: str) -> pd.DataFrame:
        """Counts per boundary (rows, in boundary order) and category (columns).

        Missing values count under ``"missing"``; a multi-valued column (declared by the
        reader, e.g. university ``GROUPS``) counts a point once in each of its values.
        """
        return category_counts(
            self.layer.attributes[column],
            self.assignment.point,
            self.assignment.polygon,
            len(self.boundaries),
            multivalued=column in self.layer.info.multivalued,
        )

    def status_counts(self) -> dict[str, int]:
        """Points per status, plus the layer's rejected rows."""
        return status_counts(
            status_bincount(self.status), self.layer.n_input, len(self.layer.rejected)
        )

    def tally(self, *, by: Sequence[str] = (), weights: Sequence[str] = ()) -> JoinTally:
        """What this join adds to a profile (:class:`~geodistrict.join.tally.JoinTally`).

        Parameters
        ----------
        by : sequence of str
            Columns counted per boundary and category.
        weights : sequence of str
            Numeric columns summed per boundary.
        """
        return JoinTally.from_arrays(
            self.layer,
            len(self.boundaries),
            self.assignment.point,
            self.assignment.polygon,
            self.status,
            country=self.country_tally,
            by=by,
            weights=weights,
        )

    def report(self, *, max_rows: int = 100) -> dict[str, Any]:
        """The accounting report of this layer (JSON-ready)."""
        return self.tally().report(
            self.layer, self.boundaries, crs=self.layer.crs, snap_m=self.snap_m, max_rows=max_rows
        )


def join_points(
    layer: PointLayer,
    boundaries: Boundaries,
    *,
    snap_m: float | None = None,
    method: str = "grid",
    check_swap: bool = True,
) -> JoinResult:
    """Join a point layer to boundaries, accounting for every input row.

    Parameters
    ----------
    layer : PointLayer
        Points in any CRS; they are reprojected to the boundaries' metric CRS.
    boundaries : Boundaries
        Prepared polygons.
    snap_m : float, optional
        Assign points outside every polygon to the nearest one within this many metres
        (for points just outside a generalised coastline); reported as ``snapped``.
    method : {"grid", "prepared"}
        Assignment algorithm (identical results).
    check_swap : bool
        Raise if points miss the boundaries but would hit them with x/y swapped.

    Returns
    -------
    JoinResult
    """
    if check_swap and len(layer):
        ext = boundaries.data.total_bounds
        if not layer.crs.equals(boundaries.data.crs):
            # the (cached) transformer that usually just took the boundaries to metres
            minx, miny, maxx, maxy = ext
            ext = transformer(boundaries.data.crs, layer.crs).transform_bounds(
                minx, miny, maxx, maxy, densify_pts=21
            )
        check_swapped_against(layer.x, layer.y, layer.crs, ext, what=layer.info.source)
    layer = layer.to_crs(boundaries.metric_crs)
    a = assign_points(layer.x, layer.y, boundaries.metric, method=method)
    # 0, 1, 2+ matches are UNMATCHED, MATCHED, MULTI (in place: no second int64 array)
    k = a.matches_per_point()
    status = np.minimum(k, MULTI, out=k).astype(np.int8)
    del k
    # NaN for every point, as a read-only view of one value until a point is snapped
    snap_dist = np.broadcast_to(np.float64(np.nan), (len(layer),))
    if snap_m is not None and snap_m > 0:
        lost = np.flatnonzero(status == UNMATCHED)
        if len(lost):
            snap_dist = np.full(len(layer), np.nan)
            tree = shapely.STRtree(boundaries.metric)
            pts = shapely.points(layer.x[lost], layer.y[lost])
            idx, d = tree.query_nearest(
                pts, max_distance=snap_m, return_distance=True, all_matches=False
            )
            got = lost[idx[0]]
            status[got] = SNAPPED
            snap_dist[got] = d
            pt = np.concatenate([a.point, got])
            pg = np.concatenate([a.polygon, idx[1].astype(np.int64)])
            a = Assignment(pt, pg, a.n_points)
    country = country_counts(layer, boundaries, a.point, a.polygon, status)
    return JoinResult(
        layer=layer,
        boundaries=boundaries,
        assignment=a,
        status=status,
        snap_m=snap_m,
        snap_distance_m=snap_dist,
        checks=country_report(country),
        country_tally=country,
    )

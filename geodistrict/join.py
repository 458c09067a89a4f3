"""Accounting point-in-polygon join: every point matched, multi, unmatched or rejected.

The assignment is exactly ``geopandas.sjoin(points, polygons, predicate="within")`` — a point
on a boundary line is in neither polygon — computed without building point objects:

1. a regular grid is laid over the polygons; each cell is classified per polygon as *inside*
   (the closed cell lies in the polygon's interior: ``contains_properly``), *edge* (it touches
   the polygon but is not inside) or *outside*;
2. a point in a cell with no edge is decided by the cell alone;
3. a point in an edge cell is tested exactly against that polygon with
   ``shapely.contains_xy`` on the prepared polygon.

Overlapping polygons give a point several matches: it is ``multi``, counted in each, and the
pairs of boundaries it fell in are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ._progress import progress, progress_enabled
from .boundaries import Boundaries
from .crs import check_swapped_against, transform_xy
from .layers import PointLayer

__all__ = [
    "UNMATCHED",
    "MATCHED",
    "MULTI",
    "SNAPPED",
    "Assignment",
    "JoinResult",
    "assign_points",
    "join_points",
]

UNMATCHED, MATCHED, MULTI, SNAPPED = 0, 1, 2, 3
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


def _grid_shape(bounds: np.ndarray, n_polys: int, n_points: int) -> tuple[float, int, int]:
    minx, miny, maxx, maxy = bounds
    span = max(maxx - minx, maxy - miny, 1e-9)
    # ~512 cells along the longest side; fewer for small jobs, where classification dominates
    side = int(np.clip(np.sqrt(max(n_points, 1)) / 2, 16, 512 if n_polys < 100 else 1024))
    cell = span / side
    nx = int(np.ceil((maxx - minx) / cell)) + 1
    ny = int(np.ceil((maxy - miny) / cell)) + 1
    return cell, nx, ny


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
        ``"grid"`` classifies grid cells first and tests only points near edges (fastest);
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
        from ._errors import ParameterError

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


def _csr_expand(keys: np.ndarray, csr_start: np.ndarray, csr_count: np.ndarray):
    """For each key k, the positions csr_start[k] .. csr_start[k] + csr_count[k] - 1.

    Returns (owner, position): ``owner`` indexes ``keys``.
    """
    c = csr_count[keys]
    total = int(c.sum())
    owner = np.repeat(np.arange(len(keys)), c)
    if total == 0:
        return owner, np.empty(0, dtype=np.int64)
    first = np.repeat(csr_start[keys] - np.concatenate(([0], np.cumsum(c)[:-1])), c)
    return owner, np.arange(total) + first


def _by_cell(cells: np.ndarray, polys: np.ndarray, ncell: int):
    """CSR of polygons per cell: (start, count, polygon ids sorted by cell)."""
    order = np.argsort(cells, kind="stable")
    count = np.bincount(cells, minlength=ncell)
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    return start, count, polys[order]


def _edge_cells(polygons, x0, y0, cell, nx, ny):
    """(polygon, cell) pairs for every cell that a polygon's boundary may touch.

    Boundaries are densified to ``cell / 4`` spacing, so any boundary point lies within
    ``cell / 8`` of a vertex; each vertex marks its own cell and the neighbours it lies within
    ``cell / 8`` of. A cell left unmarked is therefore wholly inside or wholly outside the
    polygon's closure, its edges clear of the boundary.
    """
    dens = shapely.segmentize(shapely.boundary(polygons), cell / 4.0)
    coords, owner = shapely.get_coordinates(dens, return_index=True)
    fx = (coords[:, 0] - x0) / cell
    fy = (coords[:, 1] - y0) / cell
    sx, sy = np.floor(fx), np.floor(fy)
    fx, fy = fx - sx, fy - sy
    sx, sy = sx.astype(np.int64), sy.astype(np.int64)
    r = 0.125 + 1e-6
    near = {-1: (fx < r, fy < r), 0: (None, None), 1: (fx > 1 - r, fy > 1 - r)}
    keys = []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            m = np.ones(len(sx), dtype=bool)
            if dx:
                m &= near[dx][0]
            if dy:
                m &= near[dy][1]
            gx, gy = sx[m] + dx, sy[m] + dy
            ok = (gx >= 0) & (gx < nx) & (gy >= 0) & (gy < ny)
            keys.append(owner[m][ok].astype(np.int64) * (nx * ny) + gy[ok] * nx + gx[ok])
    key = np.unique(np.concatenate(keys))
    return key // (nx * ny), key % (nx * ny)


def _assign_grid(x, y, polygons, show_progress):
    bounds = shapely.total_bounds(polygons)
    cell, nx, ny = _grid_shape(bounds, len(polygons), len(x))
    x0, y0 = bounds[0] - cell, bounds[1] - cell  # a margin of one cell all round
    nx, ny = nx + 2, ny + 2
    ncell = nx * ny
    # points beyond the grid are clamped into its margin, which no polygon reaches
    ix = np.clip((x - x0) * (1.0 / cell), 0, nx - 1).astype(np.int64)
    iy = np.clip((y - y0) * (1.0 / cell), 0, ny - 1).astype(np.int64)
    pc = iy * nx + ix
    counts = np.bincount(pc, minlength=ncell)
    occupied = (counts > 0).reshape(ny, nx)
    e_poly, e_cell = _edge_cells(polygons, x0, y0, cell, nx, ny)
    keep = counts[e_cell] > 0
    e_poly, e_cell = e_poly[keep], e_cell[keep]
    # cells clear of polygon i's boundary are wholly in or out: test their centres
    pb = shapely.bounds(polygons)
    e_split = np.searchsorted(e_poly, np.arange(len(polygons) + 1))
    i_cells, i_polys = [], []
    is_edge = np.zeros(ncell, dtype=bool)
    for i in range(len(polygons)):
        bx0, by0 = (int(v) for v in np.clip(np.floor((pb[i, :2] - (x0, y0)) / cell), 0, None))
        bx1 = min(int(np.floor((pb[i, 2] - x0) / cell)), nx - 1)
        by1 = min(int(np.floor((pb[i, 3] - y0) / cell)), ny - 1)
        gy, gx = np.nonzero(occupied[by0 : by1 + 1, bx0 : bx1 + 1])
        cand = (gy + by0) * nx + (gx + bx0)
        mine = e_cell[e_split[i] : e_split[i + 1]]
        is_edge[mine] = True
        cand = cand[~is_edge[cand]]
        is_edge[mine] = False
        cx = x0 + (cand % nx + 0.5) * cell
        cy = y0 + (cand // nx + 0.5) * cell
        inside = cand[shapely.contains_xy(polygons[i], cx, cy)]
        i_cells.append(inside)
        i_polys.append(np.full(len(inside), i, dtype=np.int64))
    i_cell = np.concatenate(i_cells) if i_cells else np.empty(0, np.int64)
    i_poly = np.concatenate(i_polys) if i_polys else np.empty(0, np.int64)
    in_count = np.bincount(i_cell, minlength=ncell)
    ed_count = np.bincount(e_cell, minlength=ncell)
    first_in = np.full(ncell, -1, dtype=np.int64)
    first_in[i_cell] = i_poly
    # one look-up per point: >= 0 the only polygon holding the whole cell, -1 no polygon
    # near the cell, -2 a cell that needs care (a boundary crosses it or polygons overlap)
    cls = np.where(in_count == 1, first_in, -1)
    cls[(ed_count > 0) | (in_count > 1)] = -2
    pcls = cls[pc]
    simple = np.flatnonzero(pcls >= 0)
    pt_parts = [simple]
    pg_parts = [pcls[simple]]
    hp = np.flatnonzero(pcls == -2)
    hc = pc[hp]
    in_start, in_cnt, in_polys = _by_cell(i_cell, i_poly, ncell)
    owner, pos = _csr_expand(hc, in_start, in_cnt)
    pt_parts.append(hp[owner])
    pg_parts.append(in_polys[pos])
    ed_start, ed_cnt, ed_polys = _by_cell(e_cell, e_poly, ncell)
    owner, pos = _csr_expand(hc, ed_start, ed_cnt)
    cand_pt, cand_pg = hp[owner], ed_polys[pos]
    order = np.argsort(cand_pg, kind="stable")
    cand_pt, cand_pg = cand_pt[order], cand_pg[order]
    splits = np.flatnonzero(np.diff(cand_pg)) + 1
    groups = zip(np.split(cand_pt, splits), np.split(cand_pg, splits), strict=True)
    if show_progress:
        groups = progress(groups, desc="joining", total=len(splits) + 1, unit="polygon")
    for pts, pgs in groups:
        if len(pts) == 0:
            continue
        inside = shapely.contains_xy(polygons[pgs[0]], x[pts], y[pts])
        pt_parts.append(pts[inside])
        pg_parts.append(pgs[inside])
    return (
        np.concatenate(pt_parts).astype(np.int64),
        np.concatenate(pg_parts).astype(np.int64),
    )


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
        Distance to the boundary each snapped point was assigned to (NaN elsewhere).
    checks : dict
        Consistency checks (e.g. LAD country of postcodes vs the boundary they fell in).
    """

    layer: PointLayer
    boundaries: Boundaries
    assignment: Assignment
    status: np.ndarray
    snap_m: float | None = None
    snap_distance_m: np.ndarray = field(default_factory=lambda: np.empty(0))
    checks: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> np.ndarray:
        """Number of points in each boundary (multi points count in each of theirs)."""
        return np.bincount(self.assignment.polygon, minlength=len(self.boundaries))

    def sums(self, column: str) -> tuple[np.ndarray, int]:
        """Sum of a numeric attribute per boundary, and how many assigned points lacked it."""
        w = pd.to_numeric(self.layer.attributes[column], errors="coerce").to_numpy(dtype="float64")
        wp = w[self.assignment.point]
        missing = int(np.isnan(wp).sum())
        s = np.bincount(
            self.assignment.polygon, weights=np.nan_to_num(wp), minlength=len(self.boundaries)
        )
        return s, missing

    def counts_by(self, column: str) -> pd.DataFrame:
        """Counts per boundary (rows, in boundary order) and category (columns).

        Missing values count under ``"missing"``; a multi-valued column (declared by the
        reader, e.g. university ``GROUPS``) counts a point once in each of its values.
        """
        attrs = self.layer.attributes
        vals = attrs[column].astype("string").str.strip()
        vals = vals.mask(vals == "", pd.NA)
        pairs = pd.DataFrame({"point": self.assignment.point, "poly": self.assignment.polygon})
        if column in self.layer.info.multivalued:
            exploded = vals.str.split(",").explode().str.strip()
            exploded = exploded.mask(exploded == "", pd.NA)
            cat = pd.DataFrame({"point": exploded.index.to_numpy(), "cat": exploded.to_numpy()})
            cat = cat.drop_duplicates()
            pairs = pairs.merge(cat, on="point", how="left")
        else:
            pairs["cat"] = vals.to_numpy()[pairs["point"].to_numpy()]
        pairs["cat"] = pairs["cat"].fillna("missing")
        table = pd.crosstab(pairs["poly"], pairs["cat"])
        table = table.reindex(range(len(self.boundaries)), fill_value=0)
        return table.sort_index(axis=1)

    def status_counts(self) -> dict[str, int]:
        """Points per status, plus the layer's rejected rows."""
        c = np.bincount(self.status, minlength=4)
        return {
            "input": int(self.layer.n_input),
            "matched": int(c[MATCHED] + c[SNAPPED]),
            "multi": int(c[MULTI]),
            "unmatched": int(c[UNMATCHED]),
            "rejected": int(len(self.layer.rejected)),
            "snapped": int(c[SNAPPED]),
        }

    def report(self, *, max_rows: int = 100) -> dict[str, Any]:
        """The accounting report of this layer (JSON-ready)."""
        rep: dict[str, Any] = self.status_counts()
        rep["balanced"] = (
            rep["matched"] + rep["multi"] + rep["unmatched"] + rep["rejected"] == rep["input"]
        )
        rep["note"] = (
            "matched + multi + unmatched + rejected = input; 'snapped' points are part of "
            "'matched'; 'multi' points lie in overlapping boundaries and count in each."
        )
        rej = self.layer.rejected
        rep["rejected_reasons"] = {str(k): int(v) for k, v in rej["reason"].value_counts().items()}
        rep["rejected_rows"] = [
            {"row": int(r.row), "id": None if pd.isna(r.id) else str(r.id), "reason": r.reason}
            for r in rej.head(max_rows).itertuples()
        ]
        if len(rej) > max_rows:
            rep["rejected_rows_truncated"] = True
        multi_pairs = self._multi_pairs()
        rep["multi_by_boundaries"] = multi_pairs
        if self.snap_m is not None:
            rep["snap_m"] = self.snap_m
        rep["layer"] = self.layer.info.as_dict()
        rep["crs"] = self.layer.crs.to_string()
        rep["checks"] = self.checks
        return rep

    def _multi_pairs(self) -> list[dict[str, Any]]:
        a = self.assignment
        multi = self.status == MULTI
        if not multi.any():
            return []
        sel = multi[a.point]
        pt, pg = a.point[sel], a.polygon[sel]
        order = np.lexsort((pg, pt))
        pt, pg = pt[order], pg[order]
        _, start, k = np.unique(pt, return_index=True, return_counts=True)
        rank = np.arange(len(pt)) - np.repeat(start, k)
        grid = np.full((len(start), int(k.max())), -1, dtype=np.int64)
        grid[np.repeat(np.arange(len(start)), k), rank] = pg
        combos, n = np.unique(grid, axis=0, return_counts=True)
        ids = self.boundaries.ids
        out = [
            {"ids": [str(ids[j]) for j in row if j >= 0], "points": int(c)}
            for row, c in zip(combos, n, strict=True)
        ]
        return sorted(out, key=lambda d: -d["points"])


def _gss_country(codes: Any) -> np.ndarray:
    """Country letter of GSS codes (``E06000001`` → ``E``), None where not a GSS code."""
    cat = pd.Categorical(codes)
    cats = pd.Series(cat.categories, dtype="string")
    letters = cats.str[0].where(cats.str.fullmatch(r"[EWSNLM]\d{8}").fillna(False), None)
    table = np.append(letters.to_numpy(dtype=object), None)  # code -1 (missing) -> None
    return table[cat.codes]


def _country_checks(
    layer: PointLayer, b: Boundaries, a: Assignment, status: np.ndarray
) -> dict[str, Any]:
    """Compare each point's own GSS LAD code (``laua``) with the boundary it fell in."""
    if "laua" not in layer.attributes.columns:
        return {}
    bcountry = _gss_country(b.ids)
    if any(c is None for c in bcountry):
        return {}
    pcountry = _gss_country(layer.attributes["laua"])
    countries = sorted({str(c) for c in bcountry})
    assigned_country = np.asarray(bcountry, dtype=object)[a.polygon]
    mism = pd.Series(pcountry[a.point]) != pd.Series(assigned_country)
    mism_pts = np.unique(a.point[mism.to_numpy()])
    by = pd.Series(pcountry[mism_pts]).fillna("none").value_counts()
    outside = (status == UNMATCHED) | (status == SNAPPED)
    own = np.isin(pcountry, countries)
    lost = np.flatnonzero(outside & own)
    dist = np.full(len(lost), np.nan)
    if len(lost):
        tree = shapely.STRtree(b.metric)
        pts = shapely.points(layer.x[lost], layer.y[lost])
        idx, d = tree.query_nearest(pts, return_distance=True, all_matches=False)
        dist[idx[0]] = d
    bands = [100, 500, 1000, 5000]
    within = {f"within_{m}m": int((dist <= m).sum()) for m in bands}
    snapped_own = int(((status == SNAPPED) & own).sum())
    return {
        "lad_country": {
            "field": "laua",
            "boundary_countries": countries,
            "placed_in_other_country": int(len(mism_pts)),
            "placed_in_other_country_by_lad_country": {str(k): int(v) for k, v in by.items()},
            "note": (
                "points whose own LAD code (laua) names another country than the boundary they "
                "fell in: generalised boundaries cross the real border"
            ),
        },
        "outside_coastline": {
            "outside_in_boundary_countries": int(len(lost)),
            "unmatched_in_boundary_countries": int(len(lost)) - snapped_own,
            **within,
            "beyond_5000m": int((dist > 5000).sum()),
            "snapped": snapped_own,
            "note": (
                "points whose LAD code lies in the boundaries' countries but which fall outside "
                "every (generalised) boundary; --snap METRES assigns those within reach"
            ),
        },
    }


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
            from pyproj import Transformer

            tr = Transformer.from_crs(boundaries.data.crs, layer.crs, always_xy=True)
            ext = tr.transform_bounds(*ext, densify_pts=21)
        check_swapped_against(layer.x, layer.y, layer.crs, ext, what=layer.info.source)
    if not layer.crs.equals(boundaries.metric_crs):
        x, y = transform_xy(layer.x, layer.y, layer.crs, boundaries.metric_crs)
        layer = PointLayer(
            x=x,
            y=y,
            crs=boundaries.metric_crs,
            attributes=layer.attributes,
            info=layer.info,
            rejected=layer.rejected,
            n_input=layer.n_input,
        )
    a = assign_points(layer.x, layer.y, boundaries.metric, method=method)
    k = a.matches_per_point()
    status = np.where(k == 0, UNMATCHED, np.where(k == 1, MATCHED, MULTI)).astype(np.int8)
    snap_dist = np.full(len(layer), np.nan)
    if snap_m is not None and snap_m > 0:
        lost = np.flatnonzero(status == UNMATCHED)
        if len(lost):
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
    checks = _country_checks(layer, boundaries, a, status)
    return JoinResult(
        layer=layer,
        boundaries=boundaries,
        assignment=a,
        status=status,
        snap_m=snap_m,
        snap_distance_m=snap_dist,
        checks=checks,
    )

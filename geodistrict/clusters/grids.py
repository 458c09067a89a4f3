"""Aggregation grids over boundaries: square cells aligned to the metric CRS, H3 hexagons.

A grid is a GeoDataFrame with one row per cell, in the boundaries' metric CRS, and a
description in ``grid.attrs["grid"]`` that lets weights and point counts be computed by
arithmetic rather than geometry:

* square grids (:func:`square_grid`): columns ``cell_id``, ``row``, ``col``; cell (row, col)
  is ``[x0 + col * cell_m, x0 + (col + 1) * cell_m) x [y0 + row * cell_m, ...)`` with the origin
  ``(x0, y0)`` a multiple of ``cell_m``, so the same cell has the same id in every grid of that
  size; row 0 is the southernmost, col 0 the westernmost.
* hexagonal grids (:func:`hex_grid`): column ``cell_id`` holds the H3 index; the geometry is the
  H3 cell's boundary reprojected to the metric CRS.

Cells are half-open, so every point belongs to exactly one cell (a point on a shared edge goes to
the cell north or east of it); :func:`count_points` accounts for every point.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._validate import as_boundaries, as_point_layer
from ..crs import WGS84, transform_xy
from ..errors import ParameterError, SchemaError
from ..join.tally import category_counts, weight_sums
from ..layers import PointLayer

__all__ = [
    "MAX_CELLS",
    "cell_lookup",
    "cells_of_points",
    "count_points",
    "grid_spec",
    "hex_grid",
    "hex_resolution",
    "locate_cells",
    "square_grid",
]

#: Largest grid we build: beyond it, ask for larger cells rather than exhaust memory.
MAX_CELLS = 5_000_000
_CHUNK = 250_000


def _format_coord(v: np.ndarray) -> list[str]:
    """Coordinates as short text: integers without a decimal point (544500, not 544500.0)."""
    if np.all(v == np.round(v)):
        return [str(int(a)) for a in v]
    return [repr(float(a)) for a in v]


def square_grid(within: Any, *, cell_m: float, clip: bool = False) -> gpd.GeoDataFrame:
    """Square cells of ``cell_m`` metres covering the polygons of ``within``.

    Cells are aligned to multiples of ``cell_m`` in the metric CRS of ``within``, and every cell
    sharing area with a polygon is kept, so a district smaller than one cell still gets the cell
    (or cells) covering it.

    Parameters
    ----------
    within : Boundaries or geopandas.GeoDataFrame
        The study area (all its polygons together).
    cell_m : float
        Cell side in metres.
    clip : bool
        Cut the cells at the polygons' edge (densities then refer to the part inside); by default
        cells are whole squares and count every point inside them.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``cell_id`` (``"E<x0>N<y0>"``, the cell's south-west corner), ``row``, ``col``
        and the geometry, ordered by row then column; ``attrs["grid"]`` holds ``kind``
        (``"square"``), ``cell_m``, ``origin`` (x0, y0), ``nrows``, ``ncols``, ``crs``,
        ``clip`` and ``within``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> district = gpd.GeoDataFrame(
    ...     {"id": ["A"]}, geometry=[shapely.box(100, 100, 450, 220)], crs=27700
    ... )
    >>> g = square_grid(district, cell_m=200)
    >>> g[["cell_id", "row", "col"]].values.tolist()
    [['E0N0', 0, 0], ['E200N0', 0, 1], ['E400N0', 0, 2], ['E0N200', 1, 0], ['E200N200', 1, 1], \
['E400N200', 1, 2]]
    >>> g.attrs["grid"]["origin"], g.attrs["grid"]["nrows"], g.attrs["grid"]["ncols"]
    ((0.0, 0.0), 2, 3)
    >>> len(square_grid(gpd.GeoDataFrame(geometry=[shapely.box(10, 10, 20, 20)], crs=27700),
    ...                 cell_m=1000))
    1
    """
    if not cell_m > 0:
        raise ParameterError(f"cell_m={cell_m!r}: give a positive cell size in metres, e.g. 250.")
    b = as_boundaries(within, "within", paths=False)
    cell = float(cell_m)
    polys = b.metric
    minx, miny, maxx, maxy = shapely.total_bounds(polys)
    c0, r0 = int(np.floor(minx / cell)), int(np.floor(miny / cell))
    ncols = max(int(np.ceil(maxx / cell)) - c0, 1)
    nrows = max(int(np.ceil(maxy / cell)) - r0, 1)
    pieces = _grid_pieces(polys, cell)
    # the cells scanned: the grid's whole box, or the pieces' boxes when smaller
    n_cells = min(nrows * ncols, _candidate_cells(pieces, cell))
    if n_cells > MAX_CELLS:
        raise ParameterError(
            f"{b.info.source}: a {cell:g} m grid over it would have {n_cells:,} cells "
            f"(more than {MAX_CELLS:,}); choose a larger cell size or a smaller area."
        )
    x0, y0 = c0 * cell, r0 * cell
    xs = x0 + np.arange(ncols + 1) * cell
    ys = y0 + np.arange(nrows + 1) * cell
    keys, boxes_kept = [], []
    shapely.prepare(pieces)
    for poly in pieces:
        px0, py0, px1, py1 = poly.bounds
        ca = max(int(np.floor((px0 - x0) / cell)), 0)
        cb = min(int(np.ceil((px1 - x0) / cell)), ncols)
        ra = max(int(np.floor((py0 - y0) / cell)), 0)
        rb = min(int(np.ceil((py1 - y0) / cell)), nrows)
        width = cb - ca
        step = max(_CHUNK // max(width, 1), 1)  # rows per chunk: bounded memory
        for rs in range(ra, rb, step):
            rr, cc = np.divmod(np.arange((min(rs + step, rb) - rs) * width), width)
            rr, cc = rr + rs, cc + ca
            boxes = shapely.box(xs[cc], ys[rr], xs[cc + 1], ys[rr + 1])
            # sharing area: intersecting, and not merely touching along an edge or a corner
            hit = shapely.intersects(poly, boxes)
            hit[hit] = ~shapely.touches(poly, boxes[hit])
            keys.append(rr[hit].astype(np.int64) * ncols + cc[hit])
            boxes_kept.append(boxes[hit])
    # ordered by row then column; a cell under several polygons once
    key, first = np.unique(np.concatenate(keys), return_index=True)
    geom = np.concatenate(boxes_kept)[first]
    row, col = np.divmod(key, ncols)
    if clip:
        area = shapely.union_all(polys)
        shapely.prepare(area)
        edge = ~shapely.contains_properly(area, geom)
        geom[edge] = shapely.intersection(geom[edge], area)
    xs_text = np.array(["E" + t for t in _format_coord(xs)], dtype=object)
    ys_text = np.array(["N" + t for t in _format_coord(ys)], dtype=object)
    ids = xs_text[col] + ys_text[row]
    grid = gpd.GeoDataFrame(
        {"cell_id": ids, "row": row.astype(np.int64), "col": col.astype(np.int64)},
        geometry=geom,
        crs=b.metric_crs,
    )
    grid.attrs["grid"] = {
        "kind": "square",
        "cell_m": cell,
        "origin": (float(x0), float(y0)),
        "nrows": nrows,
        "ncols": ncols,
        "crs": b.metric_crs.to_string(),
        "clip": bool(clip),
        "within": b.info.source,
    }
    return grid


def _candidate_cells(polys: np.ndarray, cell: float) -> int:
    """Cells of side ``cell`` over the bounding box of each polygon, summed."""
    if len(polys) == 0:
        return 0
    lo_x, lo_y, hi_x, hi_y = shapely.bounds(polys).T
    cols = np.maximum(np.ceil(hi_x / cell) - np.floor(lo_x / cell), 1)
    rows = np.maximum(np.ceil(hi_y / cell) - np.floor(lo_y / cell), 1)
    return int((cols * rows).sum())


def _grid_pieces(polys: np.ndarray, cell: float) -> np.ndarray:
    """The polygons whose boxes :func:`square_grid` scans (multi-part ones part by part if apt).

    A multi-part polygon is scanned part by part when the parts' boxes hold less than half the
    cells of the whole one's box. The cells sharing area with a multi-part polygon are those
    sharing area with one of its parts, so the grid is the same either way; scanning parts
    only avoids testing every cell between sites far apart (a district in two cities).
    """
    out: list[Any] = []
    for poly in polys:
        parts = shapely.get_parts(poly)
        whole = _candidate_cells(np.array([poly], dtype=object), cell)
        if len(parts) > 1 and 2 * _candidate_cells(parts, cell) < whole:
            out.extend(parts)
        else:
            out.append(poly)
    return np.array(out, dtype=object)


def hex_resolution(cell_m: float) -> int:
    """The H3 resolution whose average cell area is closest to a ``cell_m`` square's.

    Examples
    --------
    >>> hex_resolution(100), hex_resolution(250), hex_resolution(1000)  # 0.105 km² at 9
    (10, 9, 8)
    """
    import h3

    target = np.log(float(cell_m) ** 2)
    areas = np.log([h3.average_hexagon_area(r, unit="m^2") for r in range(16)])
    return int(np.argmin(np.abs(areas - target)))


def _hex_polygons(cells: list[str], crs: Any) -> np.ndarray:
    """H3 cell boundaries as shapely polygons in ``crs`` (vertices reprojected)."""
    import h3

    rings = [h3.cell_to_boundary(c) for c in cells]
    counts = np.array([len(r) for r in rings])
    latlng = np.array([v for r in rings for v in r], dtype="float64").reshape(-1, 2)
    x, y = transform_xy(latlng[:, 1], latlng[:, 0], WGS84, crs)
    owner = np.repeat(np.arange(len(cells)), counts)
    rings_geom = shapely.linearrings(np.column_stack([x, y]), indices=owner)  # closes each ring
    return shapely.polygons(rings_geom)


def hex_grid(within: Any, *, resolution: int) -> gpd.GeoDataFrame:
    """H3 hexagons covering the polygons of ``within``.

    Every cell overlapping a polygon is kept (H3 ``contain="overlap"``), so a district smaller
    than one cell still gets the cell covering it.

    Parameters
    ----------
    within : Boundaries or geopandas.GeoDataFrame
        The study area.
    resolution : int
        H3 resolution (0 to 15): 9 is about 0.1 km² a cell (edge ≈ 200 m), 8 about 0.74 km²;
        :func:`hex_resolution` picks one from a square cell size.

    Returns
    -------
    geopandas.GeoDataFrame
        Column ``cell_id`` (the H3 index) and the cell geometry in the metric CRS of
        ``within``, ordered by ``cell_id``; ``attrs["grid"]`` holds ``kind`` (``"hex"``),
        ``resolution``, ``crs`` and ``within``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> tiny = gpd.GeoDataFrame(geometry=[shapely.box(544700, 258400, 544710, 258410)], crs=27700)
    >>> g = hex_grid(tiny, resolution=8)
    >>> len(g), g.crs.to_epsg(), g["cell_id"].tolist()
    (1, 27700, ['88194ec9a5fffff'])
    """
    import h3

    if not (isinstance(resolution, int | np.integer) and 0 <= int(resolution) <= 15):
        raise ParameterError(f"resolution={resolution!r}: give an H3 resolution from 0 to 15.")
    b = as_boundaries(within, "within", paths=False)
    lonlat = gpd.GeoSeries(b.metric, crs=b.metric_crs).to_crs(WGS84)
    cells: set[str] = set()
    for geom in lonlat:
        shape = h3.geo_to_h3shape(shapely.geometry.mapping(geom))
        cells.update(h3.h3shape_to_cells_experimental(shape, int(resolution), contain="overlap"))
    ids = sorted(cells)
    geom = _hex_polygons(ids, b.metric_crs) if ids else np.empty(0, dtype=object)
    grid = gpd.GeoDataFrame({"cell_id": ids}, geometry=geom, crs=b.metric_crs)
    grid.attrs["grid"] = {
        "kind": "hex",
        "resolution": int(resolution),
        "crs": b.metric_crs.to_string(),
        "within": b.info.source,
    }
    return grid


def grid_spec(grid: gpd.GeoDataFrame) -> dict[str, Any]:
    """The ``attrs["grid"]`` description of a grid, or a :class:`SchemaError` with the fix."""
    spec = grid.attrs.get("grid")
    if not spec or spec.get("kind") not in ("square", "hex"):
        raise SchemaError(
            "grid: no grid description in grid.attrs['grid'] (pandas drops attrs in some "
            "operations); build it with square_grid() or hex_grid() and keep that frame."
        )
    return spec


def cell_lookup(grid: gpd.GeoDataFrame) -> dict[str, Any]:
    """What places points in the cells of ``grid``, without the cell geometries.

    Small and picklable: the Dask path sends it to every task (:mod:`geodistrict.scale`).

    Parameters
    ----------
    grid : geopandas.GeoDataFrame
        From :func:`square_grid` or :func:`hex_grid` (with its ``attrs["grid"]``).

    Returns
    -------
    dict
        ``spec`` (the grid's description), ``bounds``, ``n`` (cells), and for squares the
        sorted keys ``row * ncols + col`` with their cell positions (``gkey_sorted``,
        ``order``), for hexagons the ``cell_ids``. Read by :func:`locate_cells`.
    """
    spec = dict(grid_spec(grid))
    lookup: dict[str, Any] = {
        "spec": spec,
        "bounds": tuple(float(v) for v in grid.total_bounds),
        "n": len(grid),
    }
    if spec["kind"] == "square":
        ncols = int(spec["ncols"])
        gkey = grid["row"].to_numpy(np.int64) * ncols + grid["col"].to_numpy(np.int64)
        order = np.argsort(gkey, kind="stable")
        lookup["gkey_sorted"] = gkey[order]
        lookup["order"] = order
    else:
        lookup["cell_ids"] = grid["cell_id"].to_numpy()
    return lookup


def locate_cells(lookup: dict[str, Any], x: np.ndarray, y: np.ndarray, crs: Any) -> np.ndarray:
    """Position of the cell holding each point (whole cells), -1 outside all.

    Parameters
    ----------
    lookup : dict
        From :func:`cell_lookup`.
    x, y : numpy.ndarray
        Point coordinates in the grid's CRS ``crs``.
    crs : pyproj.CRS
        The grid's CRS (hexagons are found from longitude and latitude).

    Returns
    -------
    numpy.ndarray
        int64 positions; a clipped square's cut is not tested here (:func:`cells_of_points`).
    """
    spec = lookup["spec"]
    pos = np.full(len(x), -1, dtype=np.int64)
    if lookup["n"] == 0 or len(x) == 0:
        return pos
    minx, miny, maxx, maxy = lookup["bounds"]
    near = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
    if spec["kind"] == "square":
        cell = float(spec["cell_m"])
        x0, y0 = spec["origin"]
        ncols = int(spec["ncols"])
        col = np.floor((x[near] - x0) / cell).astype(np.int64)
        row = np.floor((y[near] - y0) / cell).astype(np.int64)
        ok = (col >= 0) & (col < ncols) & (row >= 0)
        key = row * ncols + col
        gs = lookup["gkey_sorted"]
        at = np.clip(np.searchsorted(gs, key), 0, len(gs) - 1)
        found = ok & (gs[at] == key)
        pos[near[found]] = lookup["order"][at[found]]
        return pos
    import h3

    res = int(spec["resolution"])
    lon, lat = transform_xy(x[near], y[near], crs, WGS84)
    pairs = zip(lat.tolist(), lon.tolist(), strict=True)
    cells = pd.Index([h3.latlng_to_cell(a, b, res) for a, b in pairs])
    pos[near] = pd.Index(lookup["cell_ids"]).get_indexer(cells)
    return pos


def cells_of_points(grid: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Position in ``grid`` of the cell holding each point (metric CRS), -1 outside all.

    A clipped edge cell of a square grid holds only the points inside its polygon.
    """
    lookup = cell_lookup(grid)
    pos = locate_cells(lookup, x, y, grid.crs)
    spec = lookup["spec"]
    if spec["kind"] == "square" and spec.get("clip") and len(grid) and len(x):
        cell = float(spec["cell_m"])
        x0, y0 = spec["origin"]
        geom = np.asarray(grid.geometry.array, dtype=object)
        xs0 = x0 + grid["col"].to_numpy() * cell
        ys0 = y0 + grid["row"].to_numpy() * cell
        whole = shapely.equals(geom, shapely.box(xs0, ys0, xs0 + cell, ys0 + cell))
        p = np.flatnonzero(pos >= 0)
        p = p[~whole[pos[p]]]
        shapely.prepare(geom)
        pos[p[~shapely.contains_xy(geom[pos[p]], x[p], y[p])]] = -1
    return pos


def count_points(
    grid: gpd.GeoDataFrame,
    points: PointLayer | gpd.GeoDataFrame,
    *,
    weight: str | None = None,
    by: str | None = None,
) -> gpd.GeoDataFrame:
    """Count the points in each cell of a grid.

    Cells do not overlap and are half-open, so each point is in at most one cell. Points are
    placed by arithmetic (square cells) or by their H3 index (hexagons); in a clipped edge cell
    a point must also lie inside the clipped polygon (as :func:`geodistrict.join_points` would
    decide it).

    Parameters
    ----------
    grid : geopandas.GeoDataFrame
        From :func:`square_grid` or :func:`hex_grid`.
    points : PointLayer or geopandas.GeoDataFrame
        Points in any CRS (reprojected to the grid's).
    weight : str, optional
        Numeric attribute to sum per cell (``sum_<weight>``).
    by : str, optional
        Categorical attribute to count by (``count__<category>``; missing values count under
        ``missing``, a multi-valued column once under each of its values).

    Returns
    -------
    geopandas.GeoDataFrame
        The grid (same index) with ``count``, ``count_per_km2`` (per km² of the cell
        geometry), ``locations`` (distinct coordinates among the cell's points) and the
        optional columns; ``attrs["count"]`` accounts for every input row (``input = in_cells
        + outside_cells + rejected``) and lists the largest stacks of points sharing
        coordinates.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = square_grid(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 2000, 1000)], crs=27700),
    ...                 cell_m=1000)
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([10, 1000, 1500, 9000], [5, 5, 5, 5]),
    ...                        crs=27700)
    >>> c = count_points(g, pts)
    >>> c["count"].tolist(), c["count_per_km2"].tolist(), c["locations"].tolist()
    ([1, 2], [1.0, 2.0], [1, 2])
    >>> {k: c.attrs["count"][k] for k in ("input", "in_cells", "outside_cells", "rejected")}
    {'input': 4, 'in_cells': 3, 'outside_cells': 1, 'rejected': 0}
    """
    spec = grid_spec(grid)
    layer = as_point_layer(points, "points")
    if not layer.crs.equals(grid.crs):
        layer = layer.to_crs(grid.crs)
    for col in (weight, by):
        if col is not None and col not in layer.attributes.columns:
            raise SchemaError(
                f"{layer.info.source}: no column {col!r}; columns are "
                f"{', '.join(map(str, layer.attributes.columns))}."
            )
    n = len(grid)
    pos = cells_of_points(grid, layer.x, layer.y)
    inside = np.flatnonzero(pos >= 0)
    cell = pos[inside]
    out = grid.copy()
    counts = np.bincount(cell, minlength=n)
    out["count"] = counts
    area_km2 = out.geometry.area.to_numpy() / 1e6
    with np.errstate(divide="ignore", invalid="ignore"):
        out["count_per_km2"] = counts / area_km2
    # distinct coordinates: a postcode directory stacks hundreds of PO-box and large-user
    # postcodes on their delivery office, which a count alone would read as a hot spot
    codes, where = pd.factorize(layer.x[inside] + 1j * layer.y[inside])
    first = np.unique(codes, return_index=True)[1]
    out["locations"] = np.bincount(cell[first], minlength=n)
    stack = np.bincount(codes, minlength=len(where))
    top = np.argsort(-stack, kind="stable")[:5]
    top = top[stack[top] > 1]
    report: dict[str, Any] = {
        "layer": layer.info.as_dict(),
        "input": int(layer.n_input),
        "in_cells": int(len(inside)),
        "outside_cells": int(len(layer) - len(inside)),
        "rejected": int(len(layer.rejected)),
        "note": "input = in_cells + outside_cells + rejected",
        "locations": int(len(where)),
        "points_sharing_coordinates": int((stack[codes] > 1).sum()),
        "largest_stacks": [
            {"x": float(where[i].real), "y": float(where[i].imag), "points": int(stack[i])}
            for i in top
        ],
    }
    if weight is not None:
        sums, missing = weight_sums(layer.attributes[weight], inside, cell, n)
        out[f"sum_{weight}"] = sums
        report[f"sum_{weight}_missing"] = missing
    if by is not None:
        multivalued = by in layer.info.multivalued
        table = category_counts(layer.attributes[by], inside, cell, n, multivalued=multivalued)
        for c in table.columns:
            out[f"count__{c}"] = table[c].to_numpy()
    out.attrs["grid"] = dict(spec)
    out.attrs["count"] = report
    return out

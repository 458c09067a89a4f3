"""The rasterised look-up table behind the accounting join (:func:`geodistrict.join_points`).

A regular grid of about 1.25 √n cells a side is laid over the polygons and classified by
rasterising their edges, with no geometry test: the cells each ring segment passes through are
*edge* cells of its polygon; scanlines through the cell centres give every other cell's winding
number, so each holds the one polygon whose interior contains it, no polygon, or a short list
where polygons overlap. A point takes its cell's polygon with one array look-up (in cache-sized
blocks, on several threads); a point in an edge cell is decided exactly by walking from the
cell centre to the point. Tables are cached per polygon set (:func:`cached_polygon_grid`) and
pickle, so a Dask cluster builds one per worker.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import shapely

__all__ = [
    "PolygonGrid",
    "assign_with_grid",
    "cached_polygon_grid",
    "check_finite_xy",
    "clear_grid_cache",
    "grid_side",
    "polygon_grid",
    "set_lookup_threads",
]


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


#: Points looked up per block: temporaries of a few hundred kB stay in the CPU cache.
_BLOCK = 1 << 16
#: Largest side of the look-up table in cells.
_MAX_SIDE = 4096
#: A segment marks every cell it passes within this many cells of (a float-safe margin).
_MARGIN = 1e-3
#: Packed winding numbers: polygon count in the low 16 bits, sum of (polygon + 1) above.
_PACK_BITS = 16
_PACK_MASK = (1 << _PACK_BITS) - 1
#: Table codes besides polygon positions.
_NONE, _COMPLEX = -1, -2


@dataclass(frozen=True, eq=False)
class PolygonGrid:
    """A look-up table of grid cells classified against a set of polygons.

    Built once per polygon set by :func:`polygon_grid` and reusable for any number of point
    batches; it pickles (without its derived cell map), so a Dask cluster can broadcast it.
    Each cell of a regular grid holds the position of the only polygon whose interior holds
    the whole closed cell, ``-1`` when no polygon reaches it, or ``-2`` for a *complex* cell:
    a boundary passes within a thousandth of a cell of it, or polygons overlap there. A
    complex cell lists the polygons that hold all of it (``in_*``) and those whose boundary
    touches it (``edge_*``); a point there is tested exactly against the latter with
    ``shapely.contains_xy``.

    Attributes
    ----------
    polygons : numpy.ndarray
        The polygons (shapely; prepared on use).
    x0, y0, cell : float
        Lower-left corner of the grid and the cell side, in the polygons' CRS.
    nx, ny : int
        Columns and rows; ``table`` is row-major, row 0 the southernmost.
    table : numpy.ndarray
        Code of each cell (``ny * nx``; int8, int16 or int32 by the number of polygons).
    edge_cells : numpy.ndarray
        The complex cells a boundary touches, sorted; entries ``0 .. len - 1``.
    run_start, run_stop : numpy.ndarray
        Ranges of cells (row-major, stop excluded) where polygons overlap away from any
        boundary; entries ``len(edge_cells) + k``. Edge cells inside a range keep their own.
    in_start, in_count, in_poly, edge_start, edge_count, edge_poly : numpy.ndarray
        Compressed rows, per entry, of the polygons holding the cell and of those to test.
    """

    polygons: np.ndarray
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    table: np.ndarray
    edge_cells: np.ndarray
    run_start: np.ndarray
    run_stop: np.ndarray
    in_start: np.ndarray
    in_count: np.ndarray
    in_poly: np.ndarray
    edge_start: np.ndarray
    edge_count: np.ndarray
    edge_poly: np.ndarray
    edge_w: np.ndarray
    edge_sure: np.ndarray
    seg_start: np.ndarray
    seg_count: np.ndarray
    seg_id: np.ndarray
    seg_side: np.ndarray
    seg_xy: np.ndarray
    seg_orient: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) covered by the table."""
        return (self.x0, self.y0, self.x0 + self.nx * self.cell, self.y0 + self.ny * self.cell)

    def _entries(self) -> np.ndarray:
        """Cell → complex entry (int32, defined on complex cells only), built once."""
        m = self._cache.get("entries")
        if m is None:
            m = np.empty(self.nx * self.ny, dtype=np.int32)
            n_edge = len(self.edge_cells)
            lengths = self.run_stop - self.run_start
            if len(lengths):
                cells = np.repeat(self.run_start - (np.cumsum(lengths) - lengths), lengths)
                cells += np.arange(int(lengths.sum()))
                m[cells] = np.repeat(np.arange(n_edge, n_edge + len(lengths)), lengths)
            m[self.edge_cells] = np.arange(n_edge, dtype=np.int32)
            self._cache["entries"] = m
        return m

    def assign(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        threads: int | None = None,
        cells: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(point, polygon) int64 pairs of the points inside each polygon's interior.

        Parameters
        ----------
        x, y : numpy.ndarray
            Finite coordinates in the polygons' CRS.
        threads : int, optional
            Threads for the look-ups (default: one per core up to 4 for 200 000 points or
            more); numpy releases the GIL there.
        cells : numpy.ndarray, optional
            The points' cells in this table, when already computed.

        Returns
        -------
        tuple of numpy.ndarray
            Point and polygon positions of each pair, ordered by point within the points in
            cells of one polygon, then the pairs tested exactly.
        """
        x = np.ascontiguousarray(x, dtype="float64")
        y = np.ascontiguousarray(y, dtype="float64")
        n = len(x)
        if len(y) != n:
            from ..errors import ParameterError

            raise ParameterError(f"x has {n} values but y has {len(y)}; pass one y per x.")
        # capacity: every point in one polygon, plus slack for points in several
        cap = n + n // 8 + 1024
        pt = np.empty(cap, dtype=np.int64)
        pg = np.empty(cap, dtype=np.int64)
        threads = _threads(threads, n)
        step = -(-n // threads) if n else 1
        slots = [(a, min(a + step, n)) for a in range(0, n, step)]

        def work(slot: tuple[int, int]) -> tuple[int, list, list]:
            return self._blocks(x, y, slot[0], slot[1], pt, pg, cells)

        if len(slots) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(len(slots)) as ex:
                done = list(ex.map(work, slots))
        else:
            done = [work(s) for s in slots]
        end = 0
        for (a, _), (k, _, _) in zip(slots, done, strict=True):
            if a != end:  # close the gap left by the slot's points outside every polygon
                pt[end : end + k] = pt[a : a + k]
                pg[end : end + k] = pg[a : a + k]
            end += k
        hp = [h for d in done for h in d[1]]
        if hp:
            cpt, cpg = self._complex(
                x, y, np.concatenate(hp), np.concatenate([c for d in done for c in d[2]]), threads
            )
            k = len(cpt)
            if end + k <= cap:
                pt[end : end + k] = cpt
                pg[end : end + k] = cpg
            else:
                pt = np.concatenate([pt[:end], cpt])
                pg = np.concatenate([pg[:end], cpg])
            end += k
        return pt[:end], pg[:end]

    def _blocks(self, x, y, a, b, pt, pg, cells=None):
        """Look up points ``a`` to ``b`` in blocks; simple pairs go to ``pt``/``pg`` from ``a``.

        ``cells`` holds the points' cells when already computed (:func:`_cells_of`). Returns
        the number of simple pairs written, and the points in complex cells with their cells.
        """
        frame = (self.x0, self.y0, self.cell, self.nx, self.ny)
        table = self.table
        o = a
        hps, hcells = [], []
        for s in range(a, b, _BLOCK):
            e = min(s + _BLOCK, b)
            cell = _block_cells(frame, x[s:e], y[s:e]) if cells is None else cells[s:e]
            code = table[cell]
            p = np.flatnonzero(code >= 0)
            k = len(p)
            np.add(p, s, out=pt[o : o + k])
            pg[o : o + k] = code[p]
            o += k
            h = np.flatnonzero(code == _COMPLEX)
            if len(h):
                hcells.append(cell[h])
                h += s
                hps.append(h)
        return o - a, hps, hcells

    def _complex(self, x, y, hp, cells, threads=1):
        """Pairs of the points in complex cells: the listed polygons, and the tested ones.

        A point is tested against each polygon whose boundary passes through its cell by
        walking from the cell centre, whose winding number is known, to the point: every
        boundary segment of the cell the walk crosses adds or removes one turn. The sides
        are exact orientation signs (:func:`_orient`); the rare walk that grazes a vertex,
        a point on a segment's line, or a centre on a boundary, is left to GEOS
        (``shapely.contains_xy``).
        """
        k = self._entries()[cells]
        own, pos = _csr_expand(k, self.in_start, self.in_count)
        pts, pgs = [hp[own]], [self.in_poly[pos]]
        own, j = _csr_expand(k, self.edge_start, self.edge_count)
        cand, poly, cell = hp[own], self.edge_poly[j], cells[own]
        n = len(cand)
        if threads > 1 and n >= 20_000:
            from concurrent.futures import ThreadPoolExecutor

            cuts = [n * i // threads for i in range(threads + 1)]
            with ThreadPoolExecutor(threads) as ex:
                done = list(
                    ex.map(
                        lambda ab: self._walk(
                            x, y, cand[ab[0] : ab[1]], cell[ab[0] : ab[1]], j[ab[0] : ab[1]]
                        ),  # fmt: skip
                        zip(cuts[:-1], cuts[1:], strict=True),
                    )
                )
            inside = np.concatenate([d[0] for d in done])
            unsure = np.concatenate([d[1] for d in done])
        else:
            inside, unsure = self._walk(x, y, cand, cell, j)
        if unsure.any():
            shapely.prepare(self.polygons)
            u = np.flatnonzero(unsure)
            inside[u] = shapely.contains_xy(self.polygons[poly[u]], x[cand[u]], y[cand[u]])
        pts.append(cand[inside])
        pgs.append(poly[inside])
        return np.concatenate(pts), np.concatenate(pgs)

    def _walk(self, x, y, cand, cell, j):
        """Inside flags of candidates (point, its cell, edge pair j), and which are unsure."""
        n = len(cand)
        own, sp = _csr_expand(j, self.seg_start, self.seg_count)
        seg = self.seg_id[sp]
        sxy = self.seg_xy[seg]
        p = cand[own]
        px, py = x[p], y[p]
        s1 = self.seg_side[sp]
        s2 = _orient(sxy[:, 0], sxy[:, 1], sxy[:, 2], sxy[:, 3], px, py)
        unsure = (s1 == 0) | (s2 == 0)
        # the walk can cross a segment only where centre and point lie on either side of it
        a = np.flatnonzero(s1 * s2 < 0)
        c = cell[own[a]]
        cx = self.x0 + (c % self.nx + 0.5) * self.cell
        cy = self.y0 + (c // self.nx + 0.5) * self.cell
        pa, pb, sa = px[a], py[a], sxy[a]
        s3 = _orient(cx, cy, pa, pb, sa[:, 0], sa[:, 1])
        s4 = _orient(cx, cy, pa, pb, sa[:, 2], sa[:, 3])
        unsure[a] |= (s3 == 0) | (s4 == 0)
        cross = a[s3 * s4 < 0]
        step = (self.seg_orient[seg[cross]] * s2[cross]).astype(np.float64)  # +1: entering
        turns = np.bincount(own[cross], weights=step, minlength=n).astype(np.int64)
        bad = np.bincount(own[unsure], minlength=n) > 0
        inside = (self.edge_w[j] + turns) == 1
        return inside, bad | ~self.edge_sure[j]


def _block_cells(frame: tuple, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cell of each point of a block in the table ``frame`` = (x0, y0, cell, nx, ny).

    Points beyond the table are clamped into its margin, which no polygon reaches.
    """
    x0, y0, size, nx, ny = frame
    inv = 1.0 / size
    f = np.subtract(x, x0)
    f *= inv
    lo, hi = f.min(), f.max()
    if not (lo >= 0.0 and hi <= nx - 1.0):  # also false for NaN
        _check_finite(lo, hi)
        np.clip(f, 0.0, nx - 1.0, out=f)
    cell = f.astype(np.intp)
    np.subtract(y, y0, out=f)
    f *= inv
    lo, hi = f.min(), f.max()
    if not (lo >= 0.0 and hi <= ny - 1.0):
        _check_finite(lo, hi)
        np.clip(f, 0.0, ny - 1.0, out=f)
    row = f.astype(np.intp)
    row *= nx
    cell += row
    return cell


def _cells_of(frame: tuple, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cells of all points (:func:`_block_cells` block by block)."""
    # int32 is enough (at most 4096 × 4096 cells) and halves this array's memory
    out = np.empty(len(x), dtype=np.int32)
    for s in range(0, len(x), _BLOCK):
        out[s : s + _BLOCK] = _block_cells(frame, x[s : s + _BLOCK], y[s : s + _BLOCK])
    return out


def _check_finite(lo: float, hi: float) -> None:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        from ..errors import ParameterError

        raise ParameterError(
            "assign_points: some coordinates are NaN or infinite; drop those points first "
            "(a PointLayer from a reader or xy_layer has none)."
        )


def check_finite_xy(x: np.ndarray, y: np.ndarray) -> None:
    """Raise :class:`~geodistrict.errors.ParameterError` when a coordinate is NaN or infinite.

    The table look-up makes the same check as it goes (on each block's extremes, which are
    NaN or infinite when any value is); this is it for callers that do not use the table.
    """
    if len(x):
        _check_finite(float(np.min(x)), float(np.max(x)))
        _check_finite(float(np.min(y)), float(np.max(y)))


#: Threads of the look-ups when not given (``None``: one per core, up to 4). Dask workers set
#: 1: their tasks already run one per core.
_THREADS: int | None = None


def set_lookup_threads(threads: int | None) -> None:
    """Threads of the table look-ups when a call does not say (``None``: one per core, up to 4).

    Dask workers set 1: their tasks already run one per core.
    """
    global _THREADS
    _THREADS = threads


def _threads(threads: int | None, n_points: int) -> int:
    if threads is None:
        threads = _THREADS
    if threads is None:
        threads = min(os.cpu_count() or 1, 4) if n_points >= 200_000 else 1
    return max(1, int(threads))


def grid_side(n_points: int) -> int:
    """Cells along the longest side of the look-up table for batches of ``n_points``.

    About 1.25 √n rounded to a power of two, from 16 to 4096: finer tables leave fewer
    points to test exactly but cost more to build and read (measured on 2.7 M postcodes).

    Examples
    --------
    >>> grid_side(2_700_000), grid_side(200_000), grid_side(10)
    (2048, 512, 16)
    """
    s = np.sqrt(max(int(n_points), 1)) * 1.25
    return int(2 ** np.clip(np.round(np.log2(s)), 4, np.log2(_MAX_SIDE)))


def _grid_frame(bounds, side):
    """(x0, y0, cell, nx, ny) of the table: the polygons' bounds with 2 cells of margin."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    span = max(maxx - minx, maxy - miny)
    cell = span / side if span > 0 else 1.0
    x0, y0 = minx - 2 * cell, miny - 2 * cell
    nx = int(np.ceil((maxx + 2 * cell - x0) / cell)) + 1
    ny = int(np.ceil((maxy + 2 * cell - y0) / cell)) + 1
    return x0, y0, cell, nx, ny


#: id(geometry) tuple -> (side, table or None, the geometries). Every entry holds its
#: geometries, so that no other geometry can take their ids while the entry is kept (the
#: ``None`` of polygons that cannot be tabled holds nothing else).
_CACHE: OrderedDict[tuple[int, ...], tuple[int, PolygonGrid | None, np.ndarray]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def _cache_get(polygons: np.ndarray, side: int) -> tuple[bool, PolygonGrid | None]:
    """Whether a table of these geometries at least as fine as ``side`` is kept, and it."""
    key = tuple(map(id, polygons))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] >= side:
            _CACHE.move_to_end(key)
            return True, hit[1]
    return False, None


def _cache_put(polygons: np.ndarray, side: int, grid: PolygonGrid | None) -> None:
    # the entry holds the geometries (a copy of the array), so their ids stay theirs
    with _CACHE_LOCK:
        key = tuple(map(id, polygons))
        _CACHE[key] = (side, grid, polygons.copy())
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def clear_grid_cache() -> None:
    """Forget the kept tables (:func:`cached_polygon_grid`), e.g. to time a cold join."""
    with _CACHE_LOCK:
        _CACHE.clear()


def assign_with_grid(
    x: np.ndarray, y: np.ndarray, polygons: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """(point, polygon) pairs of the points inside each polygon, through the kept table.

    The table of these polygons at the resolution :func:`grid_side` gives for ``len(x)``
    points is taken from the cache or built (and kept); while it is built, the points' cells
    are computed on this thread for large batches.

    Parameters
    ----------
    x, y : numpy.ndarray
        Finite float64 coordinates in the polygons' CRS.
    polygons : numpy.ndarray
        Shapely (Multi)Polygons (object array).

    Returns
    -------
    tuple of numpy.ndarray or None
        The pairs as :meth:`PolygonGrid.assign`; ``None`` when the polygons cannot be tabled
        (see :func:`polygon_grid`): test them exactly instead.
    """
    side = grid_side(len(x))
    kept, grid = _cache_get(polygons, side)
    if kept:
        return None if grid is None else grid.assign(x, y)
    from concurrent.futures import ThreadPoolExecutor

    bounds = shapely.total_bounds(polygons)
    cells, frame = None, None
    with ThreadPoolExecutor(1) as ex:
        future = ex.submit(polygon_grid, polygons.copy(), side=side)
        if np.isfinite(bounds).all() and len(x) >= 200_000:
            frame = _grid_frame(bounds, side)
            cells = _cells_of(frame, x, y)
        built = future.result()
    _cache_put(polygons, side, built)
    if built is None:
        return None
    if frame != (built.x0, built.y0, built.cell, built.nx, built.ny):
        cells = None
    return built.assign(x, y, cells=cells)


def cached_polygon_grid(polygons: np.ndarray, *, side: int) -> PolygonGrid | None:
    """:func:`polygon_grid` of these polygons, kept for the next call on the same geometries.

    The last few tables are kept, keyed by the identity of the (immutable) shapely
    geometries, which the cache entry holds so that the key cannot be reused by other
    geometries (also when they cannot be tabled and the entry is ``None``); a table at least
    as fine as ``side`` is reused.
    """
    polygons = np.asarray(polygons, dtype=object)
    kept, grid = _cache_get(polygons, side)
    if not kept:
        grid = polygon_grid(polygons.copy(), side=side)
        _cache_put(polygons, side, grid)
    return grid


def polygon_grid(
    polygons: np.ndarray,
    *,
    side: int = 2048,
) -> PolygonGrid | None:
    """Classify the cells of a grid over ``polygons`` (see :class:`PolygonGrid`).

    The cells are classified by rasterising the polygon edges, with no geometry test:

    1. every ring segment marks, row by row, the cells it passes within ``_MARGIN`` cells
       of (so that rounding cannot hide a touch) as *edge* cells of its polygon;
    2. scanlines through the cell centres cross the oriented rings (shells anticlockwise,
       holes clockwise): along a row, the running sum of the crossings' directions is the
       winding number of each cell centre, 1 inside a polygon and 0 outside. Summed over all
       polygons in one packed integer (count + (polygon + 1) << 16), the runs between
       crossings give the number of polygons holding each cell and, when it is one, which;
       ``numpy.repeat`` of the runs writes the table.

    A cell that no boundary touches lies wholly inside or wholly outside each polygon, so its
    centre decides for every point in it.

    The steps: :func:`_segments` (oriented ring segments in cell units), :func:`_segment_rows`
    (the rows each segment passes), :func:`_edge_pairs` (step 1), :func:`_crossings` and
    :func:`_windings` (step 2), :func:`_centre_sides` (whether an edge cell's centre vouches
    for its winding), :func:`_holding_polygons` (the polygons holding whole complex cells)
    and :func:`_assemble` (the table).

    Parameters
    ----------
    polygons : numpy.ndarray
        Shapely (Multi)Polygons.
    side : int
        Cells along the longest side of the polygons' bounds (see :func:`grid_side`).

    Returns
    -------
    PolygonGrid or None
        ``None`` unless every geometry is a (Multi)Polygon whose rings wind once (an invalid
        polygon can wind twice or negatively): test those exactly (``method="prepared"``).
    """
    polygons = np.asarray(polygons, dtype=object)
    frame = _table_frame(polygons, side)
    if frame is None:
        return None
    seg = _segments(polygons, frame)
    rows = _segment_rows(seg)
    edges = _edge_pairs(seg, rows, frame)
    windings = _windings(polygons, seg, rows, edges, frame)
    if windings is None:
        return None
    sides, sure = _centre_sides(seg, edges, frame)
    holding = _holding_polygons(polygons, edges, windings, frame)
    return _assemble(polygons, frame, seg, edges, windings, sides, sure, holding)


class _Frame(NamedTuple):
    """The table's frame (:func:`_grid_frame`) and its number of cells."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int

    @property
    def ncell(self) -> int:
        return self.nx * self.ny

    def centres(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of the centres of ``cells`` (row-major positions)."""
        return (
            self.x0 + (cells % self.nx + 0.5) * self.cell,
            self.y0 + (cells // self.nx + 0.5) * self.cell,
        )


def _table_frame(polygons: np.ndarray, side: int) -> _Frame | None:
    """The frame of the table, or None when the polygons cannot be tabled."""
    n = len(polygons)
    if n == 0 or n >= 1 << 30:
        return None
    if not np.isin(shapely.get_type_id(polygons), (3, 6)).all():
        return None
    bounds = shapely.total_bounds(polygons)
    if not np.isfinite(bounds).all():
        return None
    frame = _Frame(*_grid_frame(bounds, side))
    if frame.ncell >= 1 << 31:
        return None
    return frame


class _Segments(NamedTuple):
    """The ring segments (a repeated vertex is no segment), numbered polygon by polygon."""

    xy: np.ndarray  # x1, y1, x2, y2 in the polygons' CRS
    u1: np.ndarray  # ends in cell units from the frame's corner
    v1: np.ndarray
    u2: np.ndarray
    v2: np.ndarray
    poly: np.ndarray  # polygon of each segment
    orient: np.ndarray  # +1 on shells anticlockwise and holes clockwise, else -1

    @property
    def n(self) -> int:
        return len(self.poly)


def _segments(polygons: np.ndarray, frame: _Frame) -> _Segments:
    """The polygons' ring segments, and their orientation (sign of the ring's area)."""
    parts, part_owner = shapely.get_parts(polygons, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    u = (xy[:, 0] - frame.x0) / frame.cell
    v = (xy[:, 1] - frame.y0) / frame.cell
    s = np.flatnonzero((ring_of[1:] == ring_of[:-1]) & (xy[1:] != xy[:-1]).any(axis=1))
    u1, v1, u2, v2 = u[s], v[s], u[s + 1], v[s + 1]
    ring = ring_of[s]
    # orient: shells anticlockwise, holes clockwise (sign of twice the ring's area)
    area2 = np.bincount(ring, weights=u1 * v2 - u2 * v1, minlength=len(rings))
    shell = np.ones(len(rings), dtype=bool)
    shell[1:] = ring_part[1:] != ring_part[:-1]
    return _Segments(
        xy=np.column_stack([xy[s], xy[s + 1]]),
        u1=u1,
        v1=v1,
        u2=u2,
        v2=v2,
        poly=part_owner[ring_part[ring]].astype(np.int64),
        orient=np.where(shell == (area2 > 0), 1, -1)[ring],
    )


class _Rows(NamedTuple):
    """(segment, row) pairs: every grid row a segment passes within ``_MARGIN`` of."""

    sid: np.ndarray
    row: np.ndarray
    u1: np.ndarray
    v1: np.ndarray
    slope: np.ndarray  # du / dv of the segment (0 where flat)
    umin: np.ndarray
    umax: np.ndarray
    vlo: np.ndarray
    vhi: np.ndarray
    flat: np.ndarray


def _segment_rows(seg: _Segments) -> _Rows:
    """The rows each segment passes within ``_MARGIN`` of, with the segment's values."""
    m = _MARGIN
    u1, v1, u2, v2 = seg.u1, seg.v1, seg.u2, seg.v2
    vlo, vhi = np.minimum(v1, v2), np.maximum(v1, v2)
    r0 = np.floor(vlo - m).astype(np.int64)
    nr = np.floor(vhi + m).astype(np.int64) - r0 + 1
    sid = np.repeat(np.arange(seg.n), nr)
    row = np.repeat(r0 - (np.cumsum(nr) - nr), nr) + np.arange(len(sid))
    du, dv = u2 - u1, v2 - v1
    steep = np.abs(dv) > 1e-9
    slope = np.zeros_like(du)
    np.divide(du, dv, out=slope, where=steep)
    return _Rows(
        sid=sid,
        row=row,
        u1=u1[sid],
        v1=v1[sid],
        slope=slope[sid],
        umin=np.minimum(u1, u2)[sid],
        umax=np.maximum(u1, u2)[sid],
        vlo=vlo[sid],
        vhi=vhi[sid],
        flat=~steep[sid],
    )


class _Edges(NamedTuple):
    """(cell, segment) pairs by cell then segment, grouped into (cell, polygon) pairs."""

    cs_cell: np.ndarray
    cs_seg: np.ndarray
    seg_start: np.ndarray  # first (cell, segment) pair of each (cell, polygon) pair
    seg_count: np.ndarray
    e_cell: np.ndarray  # the (cell, polygon) pairs, by cell then polygon
    e_poly: np.ndarray


def _edge_pairs(seg: _Segments, r: _Rows, frame: _Frame) -> _Edges:
    """Step 1: in each of its rows, the columns a segment's stretch spans (+ margin)."""
    m = _MARGIN
    ua = r.u1 + (np.maximum(r.row - m, r.vlo) - r.v1) * r.slope
    ub = r.u1 + (np.minimum(r.row + 1 + m, r.vhi) - r.v1) * r.slope
    lo = np.where(r.flat, r.umin, np.clip(np.minimum(ua, ub), r.umin, r.umax))
    hi = np.where(r.flat, r.umax, np.clip(np.maximum(ua, ub), r.umin, r.umax))
    c0 = np.floor(lo - m).astype(np.int64)
    nc = np.floor(hi + m).astype(np.int64) - c0 + 1
    base = r.row * frame.nx + c0 - (np.cumsum(nc) - nc)
    cs = np.repeat(base, nc) + np.arange(int(nc.sum()))
    n_seg = max(seg.n, 1)
    cs = _unique_sorted(cs * n_seg + np.repeat(r.sid, nc))  # (cell, segment): by cell, segment
    cs_cell, cs_seg = np.divmod(cs, n_seg)
    cs_poly = seg.poly[cs_seg]  # segments are numbered polygon by polygon
    brk = np.ones(len(cs), dtype=bool)
    brk[1:] = (cs_cell[1:] != cs_cell[:-1]) | (cs_poly[1:] != cs_poly[:-1])
    seg_start = np.flatnonzero(brk)  # edge pairs (cell, polygon), by cell then polygon
    return _Edges(
        cs_cell=cs_cell,
        cs_seg=cs_seg,
        seg_start=seg_start,
        seg_count=np.diff(np.append(seg_start, len(cs))),
        e_cell=cs_cell[seg_start],
        e_poly=cs_poly[seg_start],
    )


def _crossings(seg: _Segments, r: _Rows, nx: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 2: scanline crossings through the cell centres (half-open in v: each vertex once).

    Returns the cell after each crossing, the crossing's polygon and whether the winding
    steps up there.
    """
    yc = r.row + 0.5
    hit = np.flatnonzero((r.vlo <= yc) & (yc < r.vhi))
    uc = np.clip(r.u1[hit] + (yc[hit] - r.v1[hit]) * r.slope[hit], r.umin[hit], r.umax[hit])
    ev_cell = r.row[hit] * nx + np.floor(uc - 0.5).astype(np.int64) + 1
    hs = r.sid[hit]
    ev_up = (seg.v2[hs] < seg.v1[hs]) == (seg.orient[hs] > 0)  # the winding steps up here
    return ev_cell, seg.poly[hs], ev_up


class _Windings(NamedTuple):
    """Winding numbers: per polygon (``pk``/``pw``) and packed over all polygons (``rk``/``rv``)."""

    pk: np.ndarray  # polygon * ncell + cell after each crossing, sorted
    pw: np.ndarray  # the polygon's winding from there
    w: np.ndarray  # each polygon's winding at the centres of its edge cells
    rk: np.ndarray  # cells starting runs between crossings, sorted
    rv: np.ndarray  # packed winding of each run: count + (sum of polygon + 1) << 16
    run_code: np.ndarray  # table code of each run
    multi: np.ndarray  # the runs where polygons overlap


def _windings(
    polygons: np.ndarray, seg: _Segments, r: _Rows, e: _Edges, frame: _Frame
) -> _Windings | None:
    """Step 2: the winding numbers of the cell centres; None if a polygon winds other than once."""
    n, ncell = len(polygons), frame.ncell
    ev_cell, ev_poly, ev_up = _crossings(seg, r, frame.nx)
    # per polygon: the winding after each crossing; a valid polygon winds 0 or 1
    pk, pw = _runs(ev_poly * ncell + ev_cell, ev_up)
    if len(pw) and (pw.min() < 0 or pw.max() > 1):
        return None
    # each polygon's winding at the centres of its edge cells
    key = e.e_poly * ncell + e.e_cell
    order = np.argsort(key)
    w = np.empty(len(key), dtype=np.int64)
    w[order] = _winding_at(pk, pw, key[order])
    # all polygons at once, packed: runs of cells between crossings
    order = np.sort((ev_cell * n + ev_poly) * 2 + ev_up)
    g_up, order = order & 1, order >> 1
    g_cell, g_poly = np.divmod(order, n)
    rk, rv = _runs(g_cell, g_up.astype(bool), weight=1 + ((g_poly + 1) << _PACK_BITS))
    count = rv & _PACK_MASK
    if len(rv) and (rv.min() < 0 or count.max() > n or rv[-1] != 0):
        return None
    run_code = np.where(count == 1, (rv >> _PACK_BITS) - 1, _NONE)
    multi = np.flatnonzero(count >= 2)
    run_code[multi] = _COMPLEX
    return _Windings(pk=pk, pw=pw, w=w, rk=rk, rv=rv, run_code=run_code, multi=multi)


def _centre_sides(seg: _Segments, e: _Edges, frame: _Frame) -> tuple[np.ndarray, np.ndarray]:
    """The cell centre's side of each segment through the cell, and whether it is clear.

    A centre clear of the segments of a (cell, polygon) pair has an exact winding, and the
    crossings of a walk from it decide a point's.
    """
    ccx, ccy = frame.centres(e.cs_cell)
    sx = seg.xy[e.cs_seg]
    cs_side, det = _orient(sx[:, 0], sx[:, 1], sx[:, 2], sx[:, 3], ccx, ccy, det=True)
    # |det| / length is the centre's distance to the segment's line, at most its distance
    # to the segment: a centre far from every line is clear (closer ones are left to GEOS)
    d = (_CLEAR * frame.cell) ** 2 * ((sx[:, 2] - sx[:, 0]) ** 2 + (sx[:, 3] - sx[:, 1]) ** 2)
    near = det * det <= d
    if len(e.cs_cell):
        sure = ~np.logical_or.reduceat(near, e.seg_start)
    else:
        sure = np.zeros(0, dtype=bool)
    return cs_side, sure


class _Holding(NamedTuple):
    """The complex cells' entries and the polygons holding each whole cell."""

    cells: np.ndarray  # the edge cells, sorted (entries 0 .. len - 1)
    edge_start: np.ndarray  # per entry: its first (cell, polygon) edge pair
    edge_count: np.ndarray
    in_start: np.ndarray  # per entry: its polygons holding the whole cell
    in_count: np.ndarray
    in_poly: np.ndarray


def _holding_polygons(polygons: np.ndarray, e: _Edges, wd: _Windings, frame: _Frame) -> _Holding:
    """The polygons that hold the whole of each complex cell (edge cells, then overlap runs)."""
    ncell = frame.ncell
    first = np.ones(len(e.e_cell), dtype=bool)
    first[1:] = e.e_cell[1:] != e.e_cell[:-1]
    edge_start = np.flatnonzero(first)
    cells = e.e_cell[edge_start]
    n_edge = len(cells)
    edge_count = np.diff(np.append(edge_start, len(e.e_cell)))
    # polygons holding a whole edge cell: the packed winding at its centre less that of the
    # polygons whose boundary passes there
    rest = _winding_at(wd.rk, wd.rv, cells)
    rest -= np.add.reduceat(wd.w * (1 + ((e.e_poly + 1) << _PACK_BITS)), edge_start)
    rest_count = rest & _PACK_MASK
    one = np.flatnonzero(rest_count == 1)
    in_entry = [one]
    in_poly = [(rest[one] >> _PACK_BITS) - 1]
    # rare (overlaps): several polygons hold the cell; ask each candidate for its winding
    many = np.flatnonzero(rest_count >= 2)
    probe_entry = np.concatenate([many, n_edge + np.arange(len(wd.multi))])
    probe_cell = np.concatenate([cells[many], wd.rk[wd.multi]])
    if len(probe_entry):
        cx, cy = frame.centres(probe_cell)
        qi, qp = shapely.STRtree(polygons).query(shapely.points(cx, cy))
        qkey = qp * ncell + probe_cell[qi]
        order = np.argsort(qkey)
        qi, qp, qkey = qi[order], qp[order], qkey[order]
        inside = _winding_at(wd.pk, wd.pw, qkey) == 1
        # a polygon whose boundary passes through an edge cell is tested, not listed
        ekey = e.e_poly * ncell + e.e_cell
        ekey.sort()
        at = np.minimum(np.searchsorted(ekey, qkey), max(len(ekey) - 1, 0))
        tested = (qi < len(many)) & (ekey[at] == qkey) if len(ekey) else qi < 0
        sel = inside & ~tested
        in_entry.append(probe_entry[qi[sel]])
        in_poly.append(qp[sel].astype(np.int64))
    entry = np.concatenate(in_entry)
    ipoly = np.concatenate(in_poly)
    order = np.lexsort((ipoly, entry))
    entry, ipoly = entry[order], ipoly[order]
    n_multi = len(wd.multi)
    in_count = np.bincount(entry, minlength=n_edge + n_multi)
    return _Holding(
        cells=cells,
        edge_start=np.append(edge_start, np.full(n_multi, len(e.e_cell), dtype=np.int64)),
        edge_count=np.append(edge_count, np.zeros(n_multi, dtype=np.int64)),
        in_start=np.cumsum(in_count) - in_count,
        in_count=in_count,
        in_poly=ipoly,
    )


def _assemble(
    polygons: np.ndarray,
    frame: _Frame,
    seg: _Segments,
    e: _Edges,
    wd: _Windings,
    sides: np.ndarray,
    sure: np.ndarray,
    h: _Holding,
) -> PolygonGrid:
    """The table (``numpy.repeat`` of the runs, complex edge cells marked) and its lists."""
    n, ncell = len(polygons), frame.ncell
    dtype = np.int8 if n < 127 else np.int16 if n < 32767 else np.int32
    lengths = np.diff(np.concatenate(([0], wd.rk, [ncell])))
    table = np.repeat(np.concatenate(([_NONE], wd.run_code)).astype(dtype), lengths)
    table[h.cells] = _COMPLEX
    return PolygonGrid(
        polygons=polygons,
        x0=float(frame.x0),
        y0=float(frame.y0),
        cell=float(frame.cell),
        nx=int(frame.nx),
        ny=int(frame.ny),
        table=table,
        edge_cells=h.cells,
        run_start=wd.rk[wd.multi],
        run_stop=np.append(wd.rk, ncell)[wd.multi + 1],
        in_start=h.in_start,
        in_count=h.in_count,
        in_poly=h.in_poly,
        edge_start=h.edge_start,
        edge_count=h.edge_count,
        edge_poly=e.e_poly,
        edge_w=wd.w.astype(np.int8),
        edge_sure=sure,
        seg_start=e.seg_start,
        seg_count=e.seg_count,
        seg_id=e.cs_seg,
        seg_side=sides,
        seg_xy=seg.xy,
        seg_orient=seg.orient.astype(np.int8),
    )


#: Shewchuk's error bound of a float orientation determinant (its sign is exact beyond it).
_CCW_BOUND = (3.0 + 16.0 * 2.0**-53) * 2.0**-53
#: A cell centre closer than this (in cells) to a boundary does not vouch for its winding.
_CLEAR = 1e-6


def _orient(ax, ay, bx, by, cx, cy, *, det: bool = False) -> Any:
    """Sign of the orientation of (a, b, c): 1 if c lies left of a→b, -1 right, 0 unsure.

    Shewchuk's filtered ``orient2d``: the float determinant's sign is returned only when it
    exceeds the bound on its rounding error, so a non-zero result is the exact sign (which
    GEOS computes in double-double); 0 means too close to call. With ``det=True`` the
    determinant (twice the signed area of the triangle) comes too.
    """
    left = (ax - cx) * (by - cy)
    right = (ay - cy) * (bx - cx)
    d = left - right
    bound = _CCW_BOUND * (np.abs(left) + np.abs(right))
    sign = (d > bound).astype(np.int8) - (d < -bound).astype(np.int8)
    return (sign, d) if det else sign


def _unique_sorted(keys: np.ndarray) -> np.ndarray:
    """The distinct values of an int64 array, sorted."""
    keys = np.sort(keys)
    keep = np.ones(len(keys), dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    return keys[keep]


def _runs(
    keys: np.ndarray, up: np.ndarray, *, weight: np.ndarray | int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and the running sum of ±``weight`` (+ where ``up``) after each."""
    if isinstance(weight, int):
        order = np.sort(keys * 2 + up)
        up, k = (order & 1).astype(bool), order >> 1
        d = np.where(up, weight, -weight)
    else:  # keys already sorted (with their weights)
        k = keys
        d = np.where(up, weight, -weight)
    c = np.cumsum(d)
    last = np.ones(len(k), dtype=bool)
    last[:-1] = k[1:] != k[:-1]
    return k[last], c[last]


def _winding_at(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The run value in force at each query key (0 before the first key)."""
    if len(keys) == 0:
        return np.zeros(len(query), dtype=np.int64)
    at = np.searchsorted(keys, query, side="right") - 1
    return np.where(at >= 0, values[np.maximum(at, 0)], 0).astype(np.int64)

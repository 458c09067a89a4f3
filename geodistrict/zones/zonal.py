"""Zonal statistics: summarise a raster inside boundary polygons.

Zonal statistics never resample the raster: the polygons are reprojected to the raster's CRS
and each one is rasterised on the window of the raster its bounds cover, so a national raster
and hundreds of districts stay within memory (only one window is held at a time). Three rules
decide which cells belong to a polygon:

``"centre"``
    A cell counts when its centre lies inside the polygon (GDAL's default rasterize rule).
``"all_touched"``
    Every cell the polygon touches counts (GDAL's ``ALL_TOUCHED=TRUE``).
``"fraction"``
    Each cell is weighted by the fraction of its area inside the polygon. Only the cells the
    polygon's boundary crosses are measured exactly with shapely; the others weigh 1 (centre
    inside) or 0.

Reading and writing rasters lives in :mod:`geodistrict.io.raster`; rasterio is imported only
inside the functions, so importing this module stays light.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..crs import as_crs
from ..errors import ArgumentTypeError, CRSError, InvalidGeometryError, ParameterError
from ..io.raster import (
    RasterGrid,
    check_band,
    dataset_crs,
    open_raster,
    raster_extent,
    require_rasterio,
    valid_cells,
    window_transform,
)

if TYPE_CHECKING:
    import geopandas as gpd
    from affine import Affine

    from ..boundaries import Boundaries

__all__ = ["ZONAL_RULES", "ZONAL_STATS", "zonal_stats"]


@dataclass(frozen=True)
class _Window:
    """Cells rows r0:r1, cols c0:c1 of the raster and the transform of that window."""

    r0: int
    r1: int
    c0: int
    c1: int
    transform: Affine

    @property
    def shape(self) -> tuple[int, int]:
        return self.r1 - self.r0, self.c1 - self.c0


def _window(bounds: tuple[float, float, float, float], transform: Affine, shape) -> _Window | None:
    """The raster window covering ``bounds``, clipped to the raster; None when they miss."""
    minx, miny, maxx, maxy = bounds
    t = transform
    cols = ((minx - t.c) / t.a, (maxx - t.c) / t.a)
    rows = ((miny - t.f) / t.e, (maxy - t.f) / t.e)
    r0 = max(int(math.floor(min(rows))), 0)
    r1 = min(int(math.ceil(max(rows))), shape[0])
    c0 = max(int(math.floor(min(cols))), 0)
    c1 = min(int(math.ceil(max(cols))), shape[1])
    if r0 >= r1 or c0 >= c1:
        return None
    return _Window(r0, r1, c0, c1, window_transform(t, c0, r0))


def _mask(geom: Any, win: _Window, *, all_touched: bool) -> np.ndarray:
    import rasterio.features

    return rasterio.features.geometry_mask(
        [geom], out_shape=win.shape, transform=win.transform, all_touched=all_touched, invert=True
    )


def _centre_weights(geom: Any, win: _Window) -> np.ndarray:
    return _mask(geom, win, all_touched=False).astype(np.float64)


def _all_touched_weights(geom: Any, win: _Window) -> np.ndarray:
    return _mask(geom, win, all_touched=True).astype(np.float64)


def _fraction_weights(geom: Any, win: _Window) -> np.ndarray:
    """Area fraction of each cell inside ``geom``: exact (shapely) on the boundary's cells."""
    w = _mask(geom, win, all_touched=False).astype(np.float64)
    edge = _mask(shapely.boundary(geom), win, all_touched=True)
    if not edge.any():
        return w
    t = win.transform
    cell_area = abs(t.a * t.e - t.b * t.d)
    rows, cols = np.nonzero(edge)
    for r in np.unique(rows):
        cc = cols[rows == r]
        # cell corners (north-up or south-up grids; rotation was rejected earlier)
        x0 = t.c + cc * t.a
        x1 = x0 + t.a
        y0 = t.f + r * t.e
        y1 = y0 + t.e
        xmin, xmax = np.minimum(x0, x1), np.maximum(x0, x1)
        ymin, ymax = min(y0, y1), max(y0, y1)
        # clipping to the row's strip first keeps each cell's intersection small
        strip = shapely.clip_by_rect(geom, float(xmin.min()), ymin, float(xmax.max()), ymax)
        if strip.is_empty:
            w[r, cc] = 0.0
            continue
        boxes = shapely.box(xmin, ymin, xmax, ymax)
        try:
            frac = shapely.area(shapely.intersection(strip, boxes)) / cell_area
        except shapely.errors.GEOSException:  # a strip clipped from a dubious ring
            frac = shapely.area(shapely.intersection(geom, boxes)) / cell_area
        w[r, cc] = np.clip(frac, 0.0, 1.0)
    return w


#: Cell-selection rules of :func:`zonal_stats`: name -> weights(geometry, window).
ZONAL_RULES: dict[str, Callable[[Any, _Window], np.ndarray]] = {
    "centre": _centre_weights,
    "all_touched": _all_touched_weights,
    "fraction": _fraction_weights,
}


def _stat_sum(v: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * v))


def _stat_count(v: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w))


def _stat_mean(v: np.ndarray, w: np.ndarray) -> float:
    sw = np.sum(w)
    return float(np.sum(w * v) / sw) if sw > 0 else math.nan


def _stat_max(v: np.ndarray, w: np.ndarray) -> float:
    return float(np.max(v)) if len(v) else math.nan


def _stat_min(v: np.ndarray, w: np.ndarray) -> float:
    return float(np.min(v)) if len(v) else math.nan


def _stat_std(v: np.ndarray, w: np.ndarray) -> float:
    sw = np.sum(w)
    if sw <= 0:
        return math.nan
    m = np.sum(w * v) / sw
    return float(np.sqrt(np.sum(w * (v - m) ** 2) / sw))


#: Statistics of :func:`zonal_stats` (weighted by the rule's cell weights where it matters).
ZONAL_STATS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "sum": _stat_sum,
    "mean": _stat_mean,
    "max": _stat_max,
    "min": _stat_min,
    "count": _stat_count,
    "std": _stat_std,
}


class _Source:
    """Window reads from a RasterGrid in memory or an open dataset."""

    def __init__(self, grid: RasterGrid | None = None, dataset: Any = None, band: int = 1):
        self.grid = grid
        self.dataset = dataset
        self.band = band
        if grid is not None:
            self.shape = grid.shape
            self.transform = grid.transform
            self.crs = grid.crs
            self.nodata = grid.nodata
            self.name = grid.source or "raster"
        else:
            self.shape = (dataset.height, dataset.width)
            self.transform = dataset.transform
            self.name = str(dataset.name)
            self.crs = dataset_crs(dataset, Path(self.name))
            nd = dataset.nodatavals[band - 1]
            self.nodata = None if nd is None else float(nd)

    def read(self, win: _Window) -> tuple[np.ndarray, np.ndarray]:
        """Values (float64) and validity of the window's cells."""
        if self.grid is not None:
            sub = self.grid.array[win.r0 : win.r1, win.c0 : win.c1]
        else:
            from rasterio.windows import Window

            sub = self.dataset.read(
                self.band,
                window=Window(win.c0, win.r0, win.c1 - win.c0, win.r1 - win.r0),
                masked=True,
            )
        ok = valid_cells(sub, self.nodata)
        return np.ma.getdata(sub).astype(np.float64, copy=False), ok


def _zones(boundaries: Any, crs: CRS, what: str) -> tuple[pd.Index, np.ndarray]:
    """Boundary ids and polygons in ``crs``."""
    import geopandas as gpd

    from ..boundaries import Boundaries

    if isinstance(boundaries, Boundaries):
        ids = pd.Index(boundaries.ids, name="id")
        if boundaries.metric_crs.equals(crs):
            return ids, np.asarray(boundaries.metric, dtype=object)
        gs = boundaries.data.geometry
    elif isinstance(boundaries, gpd.GeoDataFrame | gpd.GeoSeries):
        if boundaries.crs is None:
            raise CRSError(
                f"the boundaries given to zonal_stats({what}) have no CRS; set it first, "
                "e.g. gdf.set_crs('EPSG:27700')."
            )
        if isinstance(boundaries, gpd.GeoDataFrame) and "id" in boundaries.columns:
            ids = pd.Index(boundaries["id"].to_numpy(), name="id")
        else:
            ids = pd.Index(boundaries.index.to_numpy(), name=boundaries.index.name or "id")
        gs = boundaries.geometry if isinstance(boundaries, gpd.GeoDataFrame) else boundaries
    else:
        raise ArgumentTypeError(
            f"zonal_stats({what}): boundaries must be a Boundaries (read_boundaries) or a "
            f"GeoDataFrame with a CRS, not {type(boundaries).__name__}."
        )
    geoms = np.asarray(gs.array, dtype=object)
    bad = shapely.is_missing(geoms) | ~np.isin(shapely.get_type_id(geoms), [3, 6])
    if bad.any():
        which = ", ".join(str(i) for i in ids[bad][:10])
        raise InvalidGeometryError(
            f"zonal_stats({what}): boundaries must be Polygons or MultiPolygons, but "
            f"{int(bad.sum())} are missing or of another type ({which}); drop them or prepare "
            "the layer with geodistrict.prepare_boundaries."
        )
    if not as_crs(gs.crs).equals(crs):
        geoms = np.asarray(gs.to_crs(crs).array, dtype=object)
    return ids, geoms


def zonal_stats(
    raster: str | Path | RasterGrid,
    boundaries: Boundaries | gpd.GeoDataFrame,
    *,
    stats: Iterable[str] = ("sum", "mean", "max", "count"),
    rule: str = "centre",
    band: int = 1,
) -> pd.DataFrame:
    """Summarise raster cells inside each boundary polygon.

    Parameters
    ----------
    raster : str, pathlib.Path or RasterGrid
        A raster file (read window by window, never whole) or a grid in memory.
    boundaries : Boundaries or geopandas.GeoDataFrame
        Polygons with a CRS; they are reprojected to the raster's CRS (the raster is never
        resampled). A GeoDataFrame is labelled by its ``id`` column if it has one, else by
        its index.
    stats : iterable of str
        Any of ``"sum"``, ``"mean"``, ``"max"``, ``"min"``, ``"count"``, ``"std"``.
        With ``rule="fraction"`` each cell has a weight w (its area fraction inside the
        polygon): ``sum`` = Σ w·v, ``mean`` = Σ w·v / Σ w, ``count`` = Σ w, ``std`` is the
        weighted standard deviation; ``min`` and ``max`` are over every cell with w > 0,
        however small (a sliver of a neighbouring cell counts: use ``rule="centre"`` for
        extremes over whole cells).
        Otherwise w is 1 for the selected cells.
    rule : {"centre", "all_touched", "fraction"}
        Which cells belong to a polygon (see the module's documentation).
    band : int
        Band to read when ``raster`` is a file.

    Returns
    -------
    pandas.DataFrame
        Indexed by boundary id, in the boundaries' order: one column per statistic, then
        ``cells`` (cells selected, no-data ones included), ``nodata_cells`` (of which no data;
        they are left out of every statistic), ``raster_coverage`` (share of the polygon's
        area inside the raster's extent: below 1, cells beyond the edge are missing from the
        statistics) and ``outside_raster`` (True when the polygon misses the raster: ``sum``
        and ``count`` are 0, the other statistics NaN).

    Raises
    ------
    ParameterError
        For an unknown rule or statistic (the message lists the allowed ones) or a rotated
        raster.
    ArgumentTypeError
        When ``boundaries`` is neither a Boundaries nor a GeoDataFrame.
    CRSError
        If the raster or the boundaries have no CRS.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np, shapely
    >>> from affine import Affine
    >>> grid = RasterGrid(
    ...     np.arange(16, dtype="int16").reshape(4, 4),
    ...     transform=Affine(100, 0, 0, 0, -100, 400),
    ...     crs="EPSG:27700",
    ... )
    >>> zones = gpd.GeoDataFrame(
    ...     {"id": ["a"]}, geometry=[shapely.box(100, 100, 300, 300)], crs=27700
    ... )
    >>> out = zonal_stats(grid, zones)  # cells 5, 6, 9 and 10
    >>> out.loc["a", ["sum", "mean", "max"]].tolist(), int(out.loc["a", "count"])
    ([30.0, 7.5, 10.0], 4)
    """
    if rule not in ZONAL_RULES:
        raise ParameterError(
            f"unknown rule {rule!r}; choose one of {', '.join(map(repr, ZONAL_RULES))}."
        )
    stats = [stats] if isinstance(stats, str) else list(dict.fromkeys(stats))
    unknown = [s for s in stats if s not in ZONAL_STATS]
    if unknown:
        raise ParameterError(
            f"unknown statistic(s) {', '.join(map(repr, unknown))}; choose from "
            f"{', '.join(map(repr, ZONAL_STATS))}."
        )
    rasterio = require_rasterio()  # rasterises the polygons even when the grid is in memory
    if isinstance(raster, RasterGrid):
        return _zonal(_Source(grid=raster), boundaries, stats, rule)
    path = Path(raster)
    with open_raster(rasterio, path) as src:
        check_band(src, band, path)
        return _zonal(_Source(dataset=src, band=band), boundaries, stats, rule)


def _zonal(src: _Source, boundaries: Any, stats: list[str], rule: str) -> pd.DataFrame:
    t = src.transform
    if t.b != 0 or t.d != 0:
        raise ParameterError(
            f"{src.name} is rotated (its transform has shear terms); warp it to a north-up grid "
            "first: gdalwarp in.tif out.tif."
        )
    ids, geoms = _zones(boundaries, src.crs, src.name)
    weigh = ZONAL_RULES[rule]
    extent = raster_extent(t, *src.shape)
    records = []
    for g in geoms:
        area = shapely.area(g)
        inside = shapely.area(shapely.clip_by_rect(g, *extent)) if area > 0 else 0.0
        coverage = float(min(inside / area, 1.0)) if area > 0 else 0.0
        win = _window(g.bounds, t, src.shape) if inside > 0 else None
        if win is None:
            values = np.empty(0)
            w = np.empty(0)
            n_cells = n_nodata = 0
        else:
            wt = weigh(g, win)
            sel = wt > 0
            v, ok = src.read(win)
            n_cells = int(sel.sum())
            n_nodata = int((sel & ~ok).sum())
            use = sel & ok
            values, w = v[use], wt[use]
        rec: dict[str, Any] = {s: ZONAL_STATS[s](values, w) for s in stats}
        rec.update(
            cells=n_cells,
            nodata_cells=n_nodata,
            raster_coverage=coverage,
            outside_raster=win is None,
        )
        records.append(rec)
    out = pd.DataFrame.from_records(
        records,
        index=ids,
        columns=[*stats, "cells", "nodata_cells", "raster_coverage", "outside_raster"],
    )
    if "count" in out and rule != "fraction":
        out["count"] = out["count"].round().astype("int64")
    out["cells"] = out["cells"].astype("int64")
    out["nodata_cells"] = out["nodata_cells"].astype("int64")
    out["outside_raster"] = out["outside_raster"].astype(bool)
    return out
